"""Slowing down guessing: failed sign-ins and unknown invitation links are counted and, past a limit, refused.

Invitation tokens carry 128 random bits and passwords are hashed with argon2id, so guessing is hopeless anyway; the
limits make it visibly so, and keep a flood of wrong passwords from tying up the server in password hashing.

Failures are rows in the database, so every worker of an installation sees the same counts. A worker also remembers
the keys it found blocked until their block ends: the busy paths (a respondent's pages) then refuse a blocked client
without a query, and pay nothing extra for everyone else.

Sign-in attempts are *reserved* before the password is checked (``reserve``): counting and recording happen under one
lock per key, so concurrent attempts, even on several workers, can never all see the count below the limit. The
reservation stands as a failure unless the attempt succeeds and releases it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from cxmaturity.i18n.phrase import phrase
from cxmaturity.services.errors import TooMany
from cxmaturity.services.tokens import digest
from cxmaturity.storage.tables import ThrottleEvent


@dataclass(frozen=True)
class Limit:
    """At most ``failures`` failed attempts per key within ``window``; the next ones are refused until the oldest
    failure leaves the window."""

    scope: str
    failures: int
    window: timedelta


@dataclass(frozen=True)
class Blocked:
    """A refusal, with when to try again (whole minutes, rounded up, for a message)."""

    retry_after: timedelta

    @property
    def minutes(self) -> int:
        return max(1, -(-int(self.retry_after.total_seconds()) // 60))

    @property
    def seconds(self) -> int:
        return max(1, int(self.retry_after.total_seconds() + 0.999))


#: Blocks this worker has seen: (limit, key hash) -> monotonic time at which the block ends.
_known_blocks: dict[tuple[Limit, str], float] = {}
_known_lock = threading.Lock()
_KNOWN_MAX = 10_000


def _hash(limit: Limit, key: str) -> str:
    return digest(f"{limit.scope}:{key}")


def _now() -> datetime:
    return datetime.now(UTC)


def known_block(limit: Limit, key: str) -> Blocked | None:
    """Return the block this worker already knows for ``key``, without asking the database."""
    known = (limit, _hash(limit, key))
    ends = _known_blocks.get(known)
    if ends is None:
        return None
    left = ends - time.monotonic()
    if left <= 0:
        with _known_lock:
            _known_blocks.pop(known, None)
        return None
    return Blocked(timedelta(seconds=left))


def check(db: Session, limit: Limit, key: str) -> Blocked | None:
    """Return a block when ``key`` has used up its failures within the window, None while it may try again."""
    hashed = _hash(limit, key)
    since = _now() - limit.window
    count, oldest = db.execute(
        select(func.count(), func.min(ThrottleEvent.at)).where(
            ThrottleEvent.scope == limit.scope, ThrottleEvent.key_hash == hashed, ThrottleEvent.at >= since
        )
    ).one()
    if count < limit.failures:
        return None
    oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=UTC)
    blocked = Blocked(max(oldest + limit.window - _now(), timedelta(seconds=1)))
    with _known_lock:
        if len(_known_blocks) >= _KNOWN_MAX:
            _known_blocks.clear()
        _known_blocks[limit, hashed] = time.monotonic() + blocked.retry_after.total_seconds()
    return blocked


def fail(db: Session, limit: Limit, key: str) -> Blocked | None:
    """Count a failed attempt; return the block it starts, if it used up the last one."""
    now = _now()
    db.add(ThrottleEvent(scope=limit.scope, key_hash=_hash(limit, key), at=now))
    db.flush()
    # Keep the table small: failures older than a day count for nothing (every window is shorter).
    db.execute(delete(ThrottleEvent).where(ThrottleEvent.at < now - timedelta(days=1)))
    return check(db, limit, key)


def _lock(db: Session, hashed: str) -> None:
    """Serialize counting for one key until the transaction ends.

    PostgreSQL: a transaction-level advisory lock on the key (READ COMMITTED would let concurrent transactions each
    count the others' uncommitted attempts as absent). SQLite: every transaction already holds the write lock
    (storage/database.py begins them IMMEDIATE), so there is nothing more to take.
    """
    if db.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(bytes.fromhex(hashed[:16]), "big", signed=True)
        db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def reserve(db: Session, limit: Limit, key: str) -> tuple[Blocked | None, int | None]:
    """Atomically check ``key`` and count one attempt; return the block (nothing counted) or the attempt's id.

    The attempt counts as a failure until ``release`` takes it back; commit before doing the slow work (hashing a
    password) so that the lock is held only for the count.
    """
    hashed = _hash(limit, key)
    _lock(db, hashed)
    if blocked := check(db, limit, key):
        return blocked, None
    now = _now()
    event = ThrottleEvent(scope=limit.scope, key_hash=hashed, at=now)
    db.add(event)
    db.flush()
    db.execute(delete(ThrottleEvent).where(ThrottleEvent.at < now - timedelta(days=1)))
    return None, event.id


def reserve_or_refuse(db: Session, limit: Limit, key: str, message: str) -> int | None:
    """``reserve``, refusing with TooMany when ``key`` is blocked: ``message`` is a sentence marked with ``N_`` that
    names ``%(failures)s`` (the limit's count) and ``%(minutes)s`` (the wait). Return the attempt's id."""
    blocked, attempt = reserve(db, limit, key)
    if blocked:
        raise TooMany(phrase(message, failures=limit.failures, minutes=blocked.minutes), retry_after=blocked.seconds)
    return attempt


def release(db: Session, attempt: int) -> None:
    """Take back an attempt ``reserve`` counted (it succeeded)."""
    db.execute(delete(ThrottleEvent).where(ThrottleEvent.id == attempt))


def clear(db: Session, limit: Limit, key: str) -> None:
    """Forget ``key``'s failures (after a successful sign-in)."""
    hashed = _hash(limit, key)
    db.execute(delete(ThrottleEvent).where(ThrottleEvent.scope == limit.scope, ThrottleEvent.key_hash == hashed))
    with _known_lock:
        _known_blocks.pop((limit, hashed), None)


def forget_known_blocks() -> None:
    """Drop this worker's memory of blocks (the database keeps the failures); for tests and maintenance."""
    with _known_lock:
        _known_blocks.clear()
