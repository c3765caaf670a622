"""Live workshop events: "workshop W is now at version V", delivered to every screen that watches W.

A change to a workshop raises its version in the database (one ``UPDATE … SET version = version + 1``) and calls
``announce``. The announcement goes out only when the transaction commits, so no screen ever hears of a change it
cannot read yet:

- within this process, to the ``hub`` (every worker has one; its subscribers are the server-sent event streams of
  ``web/live.py``);
- on PostgreSQL also through ``NOTIFY`` on the channel ``CHANNEL`` (sent by PostgreSQL itself at commit), which every
  worker's listener (``web/live.py``) passes to its own hub. So screens connected to another worker, or another host,
  hear it within milliseconds, with no server besides the database.

An event carries the version only; each stream then reads the room's state at that version (one read per version per
worker, ``services.workshop_state``). A lost or doubled event changes nothing: a stream sends a state only when its
version is newer than the one it sent last, and a screen that reconnects gets the current state first.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Mapping

from sqlalchemy import event, text
from sqlalchemy.orm import Session

CHANNEL = "cxm_workshop"
_PENDING = "cxm_workshop_events"


class Hub:
    """This process's subscribers per workshop: asyncio events, set from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._watchers: dict[int, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = {}
        self._versions: dict[int, int] = {}

    def subscribe(self, workshop_id: int) -> asyncio.Event:
        """Return an event that is set whenever the workshop changes (the caller clears it)."""
        woken = asyncio.Event()
        with self._lock:
            self._watchers.setdefault(workshop_id, set()).add((asyncio.get_running_loop(), woken))
        return woken

    def unsubscribe(self, workshop_id: int, woken: asyncio.Event) -> None:
        with self._lock:
            watchers = self._watchers.get(workshop_id, set())
            for entry in [w for w in watchers if w[1] is woken]:
                watchers.discard(entry)
            if not watchers:
                self._watchers.pop(workshop_id, None)
                self._versions.pop(workshop_id, None)

    def version(self, workshop_id: int) -> int:
        """The newest version announced for the workshop in this process (0: none yet)."""
        with self._lock:
            return self._versions.get(workshop_id, 0)

    def publish(self, versions: Mapping[int, int]) -> None:
        """Wake the workshops' subscribers; a version of 0 (unknown) makes them read the current one."""
        with self._lock:
            for wid, version in versions.items():
                # Unknown: one above what is known, so the streams look, and read what the database has.
                known = self._versions.get(wid, 0)
                self._versions[wid] = max(known, version) if version else known + 1
            targets = [w for wid in versions for w in self._watchers.get(wid, ())]
        for loop, woken in targets:
            with contextlib.suppress(RuntimeError):  # the loop has closed: its stream is gone
                loop.call_soon_threadsafe(woken.set)

    def watched(self) -> list[int]:
        """The workshops that have a subscriber in this process."""
        with self._lock:
            return list(self._watchers)

    def watchers(self, workshop_id: int) -> int:
        with self._lock:
            return len(self._watchers.get(workshop_id, ()))


hub = Hub()


def announce(db: Session, workshop_id: int, version: int) -> None:
    """Announce the workshop's new version when ``db``'s transaction commits (and never if it rolls back)."""
    pending: dict[int, int] = db.info.setdefault(_PENDING, {})
    pending[workshop_id] = max(version, pending.get(workshop_id, 0))
    if db.get_bind().dialect.name == "postgresql":
        # Transactional: PostgreSQL delivers it to every listener at commit, and drops it on rollback.
        db.execute(
            text("SELECT pg_notify(:channel, :payload)"), {"channel": CHANNEL, "payload": f"{workshop_id}:{version}"}
        )


@event.listens_for(Session, "after_commit")
def _after_commit(db: Session) -> None:
    pending = db.info.pop(_PENDING, None)
    if pending:
        hub.publish(pending)


@event.listens_for(Session, "after_rollback")
def _after_rollback(db: Session) -> None:
    db.info.pop(_PENDING, None)
