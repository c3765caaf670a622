"""Live workshop screens: server-sent event streams, and the PostgreSQL listener that feeds them across workers.

A stream first sends the screen's state as it is now (so a screen that reconnects or reloads is where the room is),
then waits on this process's hub (``services.workshop_events``), which also knows the newest version announced. When
woken it waits ``COALESCE`` seconds so that a burst of changes (thirty votes in a second) becomes one update, and, if
the announced version is newer than the one it sent last, sends the state at that version. Each event's ``id`` is
the version.

Everything the screens of a workshop show at one version is read once per worker (``workshop_state.snapshot``,
kept in ``snapshots``): one stream reads it, the others wait for it and cut their own view from it (a participant's
adds only their own vote). So a change costs one read per worker, not one per screen; on SQLite, where every
transaction takes the one writer lock, reads per screen would queue behind one another and the writes.

On PostgreSQL a daemon thread per worker LISTENs on ``workshop_events.CHANNEL`` and passes every notification (with
its version) to the hub, so a change made through another worker reaches this worker's screens within milliseconds
of the commit. A stream ends after about ``MAX_STREAM`` seconds or when the workshop ends; the browser's EventSource
reconnects by itself (``retry``) and gets the current state first.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio.to_thread
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.responses import Response, StreamingResponse

from cxmaturity.services import workshop_state
from cxmaturity.services.workshop_events import CHANNEL, hub
from cxmaturity.services.workshop_state import Snapshot
from cxmaturity.storage.tables import Workshop

log = logging.getLogger(__name__)

#: Seconds to wait after a change before reading the state, so that a burst of changes is sent once.
COALESCE = 0.15
#: Seconds between keep-alive comments (proxies close idle connections).
KEEPALIVE = 15.0
#: Seconds a stream lasts before the browser is asked to reconnect (it gets the current state again), give or take
#: ``MAX_STREAM_JITTER`` of it at random, so that a room's streams do not all reconnect in the same second.
MAX_STREAM = 1800.0
MAX_STREAM_JITTER = 0.2
#: Milliseconds the browser waits before reconnecting a dropped stream.
RETRY_MS = 1000

State = dict[str, Any]


class Snapshots:
    """Workshop snapshots per (database, workshop, version), read once per worker however many screens ask."""

    def __init__(self, size: int = 128) -> None:
        self._lock = threading.Lock()
        self._reading: dict[tuple[int, int], threading.Lock] = {}
        self._found: OrderedDict[tuple[int, int, int], Snapshot] = OrderedDict()
        self._size = size

    def _get(self, key: tuple[int, int, int]) -> Snapshot | None:
        with self._lock:
            found = self._found.get(key)
            if found is not None:
                self._found.move_to_end(key)
            return found

    def _put(self, key: tuple[int, int, int], found: Snapshot) -> None:
        with self._lock:
            self._found[key] = found
            while len(self._found) > self._size:
                self._found.popitem(last=False)

    def of(self, db: Session, workshop: Workshop) -> Snapshot:
        """The workshop's snapshot at its version (as ``workshop_state.snapshot``), from the cache when read before."""
        key = (id(db.get_bind()), workshop.id, workshop.version)
        found = self._get(key)
        if found is None:
            found = workshop_state.snapshot(db, workshop)
            self._put(key, found)
        return found

    def at_least(self, sessions: sessionmaker[Session], workshop_id: int, version: int) -> Snapshot | None:
        """A snapshot of at least ``version`` (None: the workshop is gone). One caller per workshop reads it; the
        others wait and take what it read."""
        bind = id(sessions.kw.get("bind"))
        found = self._get((bind, workshop_id, version))
        if found is not None:
            return found
        with self._lock:
            reading = self._reading.setdefault((bind, workshop_id), threading.Lock())
        with reading:
            found = self._get((bind, workshop_id, version))
            if found is not None:
                return found
            with sessions() as db:
                workshop = db.get(Workshop, workshop_id)
                if workshop is None:
                    return None
                found = workshop_state.snapshot(db, workshop)
            self._put((bind, workshop_id, found.version), found)
            if found.version > version:
                self._put((bind, workshop_id, version), found)
            return found


snapshots = Snapshots()


def snapshot_of(db: Session, workshop: Workshop) -> Snapshot:
    """The snapshot at the workshop's version, through this worker's cache (pages and the API use it too)."""
    return snapshots.of(db, workshop)


def _message(state: State) -> bytes:
    body = json.dumps(state, separators=(",", ":"), ensure_ascii=False)
    return f"id: {state['version']}\nevent: state\ndata: {body}\n\n".encode()


def stream(
    sessions: sessionmaker[Session],
    engine: Engine,
    workshop_id: int,
    first: State,
    view: Callable[[Snapshot], State],
) -> Response:
    """A server-sent event stream of one screen: ``first`` (the state read when it connected), then ``view`` of
    each newer snapshot. The caller has checked who may watch."""
    ensure_listener(engine)

    async def events() -> AsyncIterator[bytes]:
        woken = hub.subscribe(workshop_id)
        try:
            yield f"retry: {RETRY_MS}\n\n".encode()
            yield _message(first)
            sent = int(first["version"])
            status = first["status"]
            ends = time.monotonic() + MAX_STREAM * (1 - MAX_STREAM_JITTER * random.random())
            while status == "running" and time.monotonic() < ends:
                try:
                    await asyncio.wait_for(woken.wait(), timeout=KEEPALIVE)
                except TimeoutError:
                    yield b": keep-alive\n\n"
                    continue
                await asyncio.sleep(COALESCE)
                woken.clear()
                announced = hub.version(workshop_id)
                if announced <= sent:
                    continue
                found = await anyio.to_thread.run_sync(snapshots.at_least, sessions, workshop_id, announced)
                if found is None:
                    return
                if found.version > sent:
                    state = view(found)
                    yield _message(state)
                    sent, status = found.version, state["status"]
        finally:
            hub.unsubscribe(workshop_id, woken)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


# --- PostgreSQL: one listener thread per worker and database ---------------------------------------------------------

_listeners: dict[str, threading.Thread] = {}
_listeners_lock = threading.Lock()


def conninfo(engine: Engine) -> str:
    """The psycopg connection string of a SQLAlchemy PostgreSQL engine."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def ensure_listener(engine: Engine) -> None:
    """Start this process's listener for the engine's PostgreSQL database, once (nothing to do on SQLite)."""
    if engine.dialect.name != "postgresql":
        return
    target = conninfo(engine)
    with _listeners_lock:
        running = _listeners.get(target)
        if running is not None and running.is_alive():
            return
        ready = threading.Event()
        thread = threading.Thread(target=_listen, args=(target, ready), name="cxm-workshop-listener", daemon=True)
        _listeners[target] = thread
        thread.start()
    # Wait until LISTEN is in place, so a change made right after a screen connects is never missed.
    ready.wait(timeout=5)


def _listen(target: str, ready: threading.Event) -> None:
    import psycopg

    delay = 0.5
    while True:
        try:
            with psycopg.connect(target, autocommit=True) as conn:
                conn.execute(f"LISTEN {CHANNEL}")
                ready.set()
                delay = 0.5
                # After a reconnect every workshop may have changed unseen: wake every stream to check its version.
                hub.publish(dict.fromkeys(hub.watched(), 0))
                for note in conn.notifies():
                    workshop, _, version = note.payload.partition(":")
                    if workshop.isdigit():
                        hub.publish({int(workshop): int(version) if version.isdigit() else 0})
        except Exception:  # the database went away: reconnect, and say so once per attempt
            log.warning("workshop listener lost its PostgreSQL connection; reconnecting", exc_info=True)
            ready.set()
            time.sleep(delay)
            delay = min(delay * 2, 10.0)
