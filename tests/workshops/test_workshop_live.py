"""Live updates: a screen's event stream starts with the room's state, gets each change within a second, carries
versions, and never shows a hidden vote; on PostgreSQL a NOTIFY from any connection reaches this worker's streams."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import psycopg
import pytest
import uvicorn

from cxmaturity.services import workshops
from cxmaturity.services.workshop_events import CHANNEL, hub
from cxmaturity.storage.database import transaction
from cxmaturity.web import live
from tests.support.site import Cast, Site
from tests.workshops.support import Answered, answered_assessment


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(site: Site) -> Iterator[str]:
    port = _free_port()
    config = uvicorn.Config(site.app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not running.started:
        assert time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def team(site: Site, cast: Cast) -> Answered:
    return answered_assessment(site, cast, "Workshop live team")


class Reader:
    """Reads a server-sent event stream on a thread of its own; ``states`` fills as events arrive."""

    def __init__(self, url: str, cookies: dict[str, str]) -> None:
        self.states: list[tuple[float, dict[str, object]]] = []
        self.raw: list[str] = []
        self._client = httpx.Client(cookies=cookies, timeout=httpx.Timeout(30.0))
        self._url = url
        self._closed = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._read()
        except (httpx.HTTPError, RuntimeError):
            if not self._closed:
                raise

    def _read(self) -> None:
        with self._client.stream("GET", self._url) as response:
            data = ""
            for line in response.iter_lines():
                self.raw.append(line)
                if line.startswith("data: "):
                    data = line[6:]
                elif line == "" and data:
                    self.states.append((time.monotonic(), json.loads(data)))
                    data = ""

    def wait_for(self, count: int, timeout: float = 5.0) -> dict[str, object]:
        deadline = time.monotonic() + timeout
        while len(self.states) < count:
            assert time.monotonic() < deadline, f"only {len(self.states)} of {count} states arrived: {self.raw[-5:]}"
            time.sleep(0.01)
        return self.states[count - 1][1]

    def close(self) -> None:
        self._closed = True
        self._client.close()
        self._thread.join(timeout=5)


def test_a_phone_sees_each_change_within_a_second_and_no_hidden_vote(site: Site, team: Answered, server: str) -> None:
    with transaction(site.sessions) as db:
        workshop = workshops.start(db, team.facilitator, team.assessment)
        db.flush()
        workshop_id, code = workshop.id, workshop.join_code
        item = workshops.items(db, workshop_id)[0].id
        assert code is not None
    with transaction(site.sessions) as db:
        token, _ = workshops.join(db, code)
        other, _ = workshops.join(db, code)
    phone = Reader(f"{server}/workshop/events", {"cxm_workshop": token})
    try:
        first = phone.wait_for(1)
        assert first["item"] is None
        version = int(str(first["version"]))
        with transaction(site.sessions) as db:
            workshops.show_item(db, team.facilitator, workshop_id, item)
            workshops.open_vote(db, team.facilitator, workshop_id, item)
        changed_at = time.monotonic()
        state = phone.wait_for(2)
        print("LATENCY", phone.states[1][0] - changed_at)
        assert phone.states[1][0] - changed_at < 1.0
        assert int(str(state["version"])) > version
        current = state["item"]
        assert isinstance(current, dict)
        assert current["vote_state"] == "open"
        option = current["options"][0]["key"]
        with transaction(site.sessions) as db:
            workshops.vote(db, other, item, 1, option)
        state = phone.wait_for(3)
        current = state["item"]
        assert isinstance(current, dict)
        assert current["votes_cast"] == 1
        assert current["votes"] is None
        # No event before the reveal carries what anyone voted.
        assert f'"votes":{{"{option}"' not in "".join(phone.raw)
        with transaction(site.sessions) as db:
            workshops.reveal(db, team.facilitator, workshop_id, item)
        state = phone.wait_for(4)
        current = state["item"]
        assert isinstance(current, dict)
        assert current["votes"][option] == 1
        # Reconnecting (a reload) starts from the room's state as it is now.
        again = Reader(f"{server}/workshop/events", {"cxm_workshop": token})
        try:
            assert again.wait_for(1)["version"] == state["version"]
        finally:
            again.close()
        with transaction(site.sessions) as db:
            workshops.finish(db, team.facilitator, workshop_id)
        assert phone.wait_for(5)["status"] == "finished"
    finally:
        phone.close()


def test_postgresql_notifications_reach_this_workers_streams(site: Site) -> None:
    if site.backend != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
    live.ensure_listener(site.engine)
    import asyncio

    def run() -> float:
        async def main() -> float:
            woken = hub.subscribe(987_654)
            try:
                started = time.monotonic()
                # Another process's commit: a plain connection of its own, not this process's session events.
                with psycopg.connect(live.conninfo(site.engine), autocommit=True) as conn:
                    conn.execute(f"NOTIFY {CHANNEL}, '987654:3'")
                await asyncio.wait_for(woken.wait(), timeout=2)
                return time.monotonic() - started
            finally:
                hub.unsubscribe(987_654, woken)

        return asyncio.run(main())

    # asyncio.run on a thread of its own (a Playwright test may leave a loop running on this one).
    results: list[float] = []
    thread = threading.Thread(target=lambda: results.append(run()))
    thread.start()
    thread.join(timeout=10)
    assert results, "the notification never arrived"
    assert results[0] < 1.0
