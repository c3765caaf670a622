"""Live workshop screens: server-sent event streams, and the PostgreSQL listener that feeds them across workers.

A stream first sends the room's state as it is now (so a screen that reconnects or reloads is where the room is),
then waits on this process's hub (``services.workshop_events``). When woken it waits ``COALESCE`` seconds so that a
burst of changes (thirty votes in a second) becomes one update, reads the workshop's version and, if it is newer than
the one sent last, sends the state at that version. Each event's ``id`` is the version. The room's shared state is
read once per version per worker and kept in a small cache; a participant's stream adds only their own vote.

On PostgreSQL a daemon thread per worker LISTENs on ``workshop_events.CHANNEL`` and passes every notification to
the hub, so a change made through another worker reaches this worker's screens within milliseconds of the commit.
A stream ends after ``MAX_STREAM`` seconds or when the workshop ends; the browser's EventSource reconnects by itself
(``retry``), and gets the current state first.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio.to_thread
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.responses import Response, StreamingResponse

from cxmaturity.services import workshop_state
from cxmaturity.services.workshop_events import CHANNEL, hub
from cxmaturity.storage.tables import Workshop

log = logging.getLogger(__name__)

#: Seconds to wait after a change before reading the state, so that a burst of changes is sent once.
COALESCE = 0.15
#: Seconds between keep-alive comments (proxies close idle connections).
KEEPALIVE = 15.0
#: Seconds a stream lasts before the browser is asked to reconnect (it gets the current state again).
MAX_STREAM = 300.0
#: Milliseconds the browser waits before reconnecting a dropped stream.
RETRY_MS = 1000

State = dict[str, Any]


class RoomCache:
    """The room's shared state per (database, workshop, version): read once per worker, whoever asks."""

    def __init__(self, size: int = 64) -> None:
        self._lock = threading.Lock()
        self._states: OrderedDict[tuple[int, int, int], State] = OrderedDict()
        self._size = size

    def get(self, db: Session, workshop: Workshop) -> State:
        key = (id(db.get_bind()), workshop.id, workshop.version)
        with self._lock:
            found = self._states.get(key)
            if found is not None:
                self._states.move_to_end(key)
                return found
        state = workshop_state.room(db, workshop)
        with self._lock:
            self._states[key] = state
            while len(self._states) > self._size:
                self._states.popitem(last=False)
        return state


rooms = RoomCache()


def room_state(db: Session, workshop: Workshop) -> State:
    """The room's state at the workshop's version, from this worker's cache when it was read before."""
    return rooms.get(db, workshop)


def _version(sessions: sessionmaker[Session], workshop_id: int) -> int | None:
    with sessions() as db:
        return db.scalar(select(Workshop.version).where(Workshop.id == workshop_id))


def _message(state: State) -> bytes:
    body = json.dumps(state, separators=(",", ":"), ensure_ascii=False)
    return f"id: {state['version']}\nevent: state\ndata: {body}\n\n".encode()


def stream(
    sessions: sessionmaker[Session], engine: Engine, workshop_id: int, load: Callable[[Session], State | None]
) -> Response:
    """A server-sent event stream of one screen's state of the workshop (``load`` reads it, None: no longer
    allowed, which ends the stream)."""
    ensure_listener(engine)

    def read() -> State | None:
        with sessions() as db:
            return load(db)

    async def events() -> AsyncIterator[bytes]:
        woken = hub.subscribe(workshop_id)
        try:
            yield f"retry: {RETRY_MS}\n\n".encode()
            state = await anyio.to_thread.run_sync(read)
            if state is None:
                return
            yield _message(state)
            sent = int(state["version"])
            ends = time.monotonic() + MAX_STREAM
            while state["status"] == "running" and time.monotonic() < ends:
                try:
                    await asyncio.wait_for(woken.wait(), timeout=KEEPALIVE)
                except TimeoutError:
                    yield b": keep-alive\n\n"
                    continue
                await asyncio.sleep(COALESCE)
                woken.clear()
                version = await anyio.to_thread.run_sync(_version, sessions, workshop_id)
                if version is None or version <= sent:
                    continue
                state = await anyio.to_thread.run_sync(read)
                if state is None:
                    return
                if int(state["version"]) > sent:
                    yield _message(state)
                    sent = int(state["version"])
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
                hub.publish(hub.watched())
                for note in conn.notifies():
                    workshop, _, _version = note.payload.partition(":")
                    if workshop.isdigit():
                        hub.publish([int(workshop)])
        except Exception:  # the database went away: reconnect, and say so once per attempt
            log.warning("workshop listener lost its PostgreSQL connection; reconnecting", exc_info=True)
            ready.set()
            time.sleep(delay)
            delay = min(delay * 2, 10.0)
