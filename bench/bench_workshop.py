"""Workshop: 300 SYNTHETIC participants in one live workshop on PostgreSQL with ``cxm serve --workers 2``.

Each participant joins by code (``POST /api/v1/join``) and keeps a server-sent event stream open (``/workshop/events``),
spread by the kernel over both workers. For each of 10 agenda items the facilitator's tool (API token) shows it and
opens a vote, every participant votes once (32 requests in flight), and the facilitator reveals it; each stream notes
when the revealed distribution reaches it. Measured: the time from the reveal being stored (its answer) to each of the
300 screens (p50, p99, max; target p99 < 1 s), and every vote counted once (the database's count per item and round
against the acknowledged votes, and no participant twice in a round). Then a reconnect storm: all 300 streams drop
at once, a vote is opened while they are away, and all reconnect at once: each must get the open round from its first
event and vote, and every vote is counted once.

Baseline, measured in the same run against the same server: a reveal with one stream connected.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np
import sqlalchemy as sa

from bench import survey as surveys
from bench.row import Row
from bench.servers import Server, serve
from cxmaturity.demo import demo_responses
from cxmaturity.services import accounts, assessments, organizations, workshops
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import make_engine, make_sessionmaker, transaction, upgrade

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
POSTGRES = os.environ.get("CXM_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PARTICIPANTS = int(os.environ.get("CXM_BENCH_PARTICIPANTS", "300"))
ITEMS = 10
WORKERS = 2
IN_FLIGHT = 32
P99_TARGET_S = 1.0


@dataclass
class Setup:
    url: str
    assessment: int
    code: str
    api_token: str


def prepare(url: str) -> Setup:
    """An open SYNTHETIC assessment with answers, a running workshop with at least ``ITEMS`` votable items."""
    engine = make_engine(url)
    try:
        upgrade(url, engine)
        with transaction(make_sessionmaker(engine)) as db:
            user = accounts.sign_up(db, f"workshop-{secrets.token_hex(4)}@example.com", "workshop bench password 1")
            actor = Actor(user.id)
            org = organizations.create(db, actor, f"Workshop bench organization {surveys.SYNTHETIC}")
            created = assessments.create(
                db, actor, org.id, f"Workshop bench {surveys.SYNTHETIC}", f"builtin:{surveys.FRAMEWORK}", groups=["All"]
            )
            db.flush()
            groups = {g.name: g.id for g in assessments.groups(db, created.id)}
            fw = assessments.framework_of(created)
            assessments.store_responses(db, created, demo_responses(fw, seed=3, groups=(("All", 0.0, 12),)), groups)
            assessments.set_status(db, actor, created.id, "open")
            workshop = workshops.start(db, actor, created.id)
            db.flush()
            votable = [i for i in workshops.items(db, workshop.id) if i.indicator]
            for n in range(ITEMS - len(votable)):
                workshops.add_item(db, actor, workshop.id, f"Extra item {n + 1}", fw.indicator_keys[n])
            assert workshop.join_code is not None
            token = accounts.create_api_token(db, user.id, "workshop bench")
            return Setup(url, created.id, workshop.join_code, token)
    finally:
        engine.dispose()


@dataclass
class Screen:
    """One participant: their token and what their stream has seen."""

    token: str
    #: (item id, round) -> when the revealed distribution arrived.
    revealed: dict[tuple[int, int], float] = field(default_factory=dict)
    #: When the first event of the current connection arrived, and its state.
    first: tuple[float, dict[str, object]] | None = None
    events: int = 0
    reconnects: int = 0
    drops: int = 0


async def watch(client: httpx.AsyncClient, screen: Screen, stop: asyncio.Event) -> None:
    """Read the participant's stream until ``stop``, reconnecting as a browser's EventSource does (after the
    stream's ``retry``, one second) when the server ends it; note reveals and the first state."""
    screen.first = None
    while not stop.is_set():
        try:
            await _read(client, screen, stop)
        except httpx.HTTPError:
            screen.drops += 1
        if not stop.is_set():
            screen.reconnects += 1
            await asyncio.sleep(1.0)


async def _read(client: httpx.AsyncClient, screen: Screen, stop: asyncio.Event) -> None:
    async with client.stream("GET", "/workshop/events", headers={"Cookie": f"cxm_workshop={screen.token}"}) as response:
        data = ""
        async for line in response.aiter_lines():
            if stop.is_set():
                return
            if line.startswith("data: "):
                data = line[6:]
                continue
            if line or not data:
                continue
            state = json.loads(data)
            data = ""
            now = time.monotonic()
            screen.events += 1
            if screen.first is None:
                screen.first = (now, state)
            item = state.get("item")
            if item and item.get("votes") is not None:
                screen.revealed.setdefault((item["id"], item["round"]), now)


async def facilitate(client: httpx.AsyncClient, setup: Setup, action: str, **fields: object) -> dict[str, object]:
    response = await client.post(
        f"/api/v1/assessments/{setup.assessment}/workshop/actions",
        headers={"Authorization": f"Bearer {setup.api_token}"},
        json={"action": action, **fields},
    )
    response.raise_for_status()
    state: dict[str, object] = response.json()
    return state


@dataclass
class Votes:
    acknowledged: int = 0
    #: Votes sent again after the connection dropped before the answer.
    retried: int = 0
    refused: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


async def vote_all(
    client: httpx.AsyncClient, screens: list[Screen], item: int, round_: int, options: list[str]
) -> Votes:
    votes = Votes()
    gate = asyncio.Semaphore(IN_FLIGHT)

    async def one(n: int, screen: Screen) -> None:
        body = {"action": "vote", "item_id": item, "round": round_, "option": options[n % len(options)]}
        async with gate:
            # A phone whose connection drops before the answer sends the vote again, as the page's script would on
            # a retry: a vote that was stored the first time is then refused as a second one, so it counts once.
            for attempt in (1, 2):
                try:
                    response = await client.post(
                        "/api/v1/join/actions", headers={"X-Participant-Token": screen.token}, json=body
                    )
                except httpx.TransportError as exc:
                    if attempt == 2:
                        votes.failed.append(repr(exc))
                        return
                    votes.retried += 1
                    continue
                if response.status_code == 200:
                    votes.acknowledged += 1
                elif attempt == 2 and response.status_code == 409 and "already" in response.text:
                    votes.acknowledged += 1  # the first attempt was stored
                else:
                    votes.refused.append(f"{response.status_code} {response.text[:120]}")
                return

    await asyncio.gather(*(one(n, s) for n, s in enumerate(screens)))
    return votes


def count_votes(url: str) -> list[tuple[int, int, int, int]]:
    """(item, round, votes, distinct participants) per item and round, from the database."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT item_id, round, count(*), count(DISTINCT participant_id) FROM workshop_vote "
                    "GROUP BY item_id, round ORDER BY item_id, round"
                )
            ).all()
            return [(int(a), int(b), int(c), int(d)) for a, b, c, d in rows]
    finally:
        engine.dispose()


@dataclass
class Outcome:
    baseline: float
    delays: list[float]
    votes: Votes
    counted: list[tuple[int, int, int, int]]
    storm_seconds: float
    storm_first_ok: int
    storm_votes: Votes
    per_worker: dict[int, int]
    problems: list[str]


async def drive(setup: Setup, server: Server) -> Outcome:
    problems: list[str] = []
    limits = httpx.Limits(max_connections=PARTICIPANTS + 100, max_keepalive_connections=PARTICIPANTS + 100)
    timeout = httpx.Timeout(60.0)
    async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=timeout) as client:
        state = (
            await client.get(
                f"/api/v1/assessments/{setup.assessment}/workshop",
                headers={"Authorization": f"Bearer {setup.api_token}"},
            )
        ).json()
        items = [a["id"] for a in state["agenda"] if a["votable"]][:ITEMS]

        # Baseline: one screen, one reveal.
        alone = Screen((await client.post("/api/v1/join", json={"code": setup.code})).json()["token"])
        stop = asyncio.Event()
        reader = asyncio.create_task(watch(client, alone, stop))
        await asyncio.sleep(0.5)
        await facilitate(client, setup, "show", item_id=items[0])
        await facilitate(client, setup, "open_vote", item_id=items[0])
        await facilitate(client, setup, "reveal", item_id=items[0])
        stored = time.monotonic()
        while (items[0], 1) not in alone.revealed and time.monotonic() - stored < 10:
            await asyncio.sleep(0.005)
        baseline = alone.revealed.get((items[0], 1), stored + 10) - stored
        stop.set()
        reader.cancel()

        screens: list[Screen] = []
        gate = asyncio.Semaphore(IN_FLIGHT)

        async def join() -> None:
            async with gate:
                response = await client.post("/api/v1/join", json={"code": setup.code})
                response.raise_for_status()
                screens.append(Screen(response.json()["token"]))

        await asyncio.gather(*(join() for _ in range(PARTICIPANTS)))
        stop = asyncio.Event()
        readers = [asyncio.create_task(watch(client, s, stop)) for s in screens]
        deadline = time.monotonic() + 60
        while sum(s.first is not None for s in screens) < PARTICIPANTS and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        per_worker = server.connections()
        if sum(s.first is not None for s in screens) < PARTICIPANTS:
            problems.append("not every stream connected")

        delays: list[float] = []
        votes = Votes()
        for n, item in enumerate(items):
            await facilitate(client, setup, "show", item_id=item)
            opened = await facilitate(client, setup, "open_vote", item_id=item)
            current = opened["item"]
            assert isinstance(current, dict)
            round_ = int(current["round"])
            options = [o["key"] for o in current["options"]]
            got = await vote_all(client, screens, item, round_, options)
            votes.acknowledged += got.acknowledged
            votes.retried += got.retried
            votes.refused += got.refused
            votes.failed += got.failed
            await facilitate(client, setup, "reveal", item_id=item)
            stored = time.monotonic()
            deadline = stored + 10
            while sum((item, round_) in s.revealed for s in screens) < PARTICIPANTS and time.monotonic() < deadline:
                await asyncio.sleep(0.005)
            for s in screens:
                delays.append(s.revealed.get((item, round_), deadline) - stored)
            print(
                f"    item {n + 1}: {got.acknowledged} votes, reveal p99 "
                f"{np.percentile([s.revealed.get((item, round_), deadline) - stored for s in screens], 99):.3f} s",
                flush=True,
            )

        # The reconnect storm: every stream drops at once; a vote opens while they are away; all come back at once.
        stop.set()
        for task in readers:
            task.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        reopened = await facilitate(client, setup, "open_vote", item_id=items[-1])
        current = reopened["item"]
        assert isinstance(current, dict)
        round_ = int(current["round"])
        for screen in screens:
            screen.first = None
        began = time.monotonic()
        stop = asyncio.Event()
        readers = [asyncio.create_task(watch(client, s, stop)) for s in screens]
        deadline = began + 60
        while sum(s.first is not None for s in screens) < PARTICIPANTS and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        storm_seconds = max((s.first[0] for s in screens if s.first), default=deadline) - began
        storm_first_ok = 0
        for s in screens:
            if s.first is None:
                continue
            item = s.first[1].get("item")
            if isinstance(item, dict) and item.get("vote_state") == "open" and item.get("round") == round_:
                storm_first_ok += 1
        storm_votes = await vote_all(client, screens, items[-1], round_, [o["key"] for o in current["options"]])
        await facilitate(client, setup, "reveal", item_id=items[-1])
        stop.set()
        for task in readers:
            task.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
    counted = count_votes(setup.url)
    return Outcome(baseline, delays, votes, counted, storm_seconds, storm_first_ok, storm_votes, per_worker, problems)


def run() -> list[Row]:
    with surveys.postgres_schema(POSTGRES) as url:
        setup = prepare(url)
        server = serve(url, WORKERS, RESULTS / "workshop.log")
        try:
            outcome = asyncio.run(drive(setup, server))
        finally:
            server.stop()
    delays = np.array(outcome.delays)
    p50, p99, worst = (float(np.percentile(delays, q)) for q in (50, 99, 100))
    expected = {(item, rnd): n for item, rnd, n, _ in outcome.counted}
    twice = sum(n - distinct for _, _, n, distinct in outcome.counted)
    stored = sum(n for _, _, n, _ in outcome.counted)
    acknowledged = outcome.votes.acknowledged + outcome.storm_votes.acknowledged
    problems = list(outcome.problems)
    # The baseline's one vote-less reveal stores nothing; every acknowledged vote must be stored, once.
    if stored != acknowledged:
        problems.append(f"{stored} votes stored for {acknowledged} acknowledged")
    if twice:
        problems.append(f"{twice} votes counted twice")
    if outcome.votes.refused or outcome.votes.failed or outcome.storm_votes.refused or outcome.storm_votes.failed:
        reasons = [
            *outcome.votes.refused,
            *outcome.votes.failed,
            *outcome.storm_votes.refused,
            *outcome.storm_votes.failed,
        ]
        problems.append(
            f"{len(outcome.votes.refused) + len(outcome.storm_votes.refused)} votes refused, "
            f"{len(outcome.votes.failed) + len(outcome.storm_votes.failed)} failed, e.g. {reasons[0]}"
        )
    if outcome.storm_first_ok != PARTICIPANTS:
        problems.append(f"only {outcome.storm_first_ok} of {PARTICIPANTS} reconnected screens saw the open round first")
    workers = ", ".join(str(n) for n in sorted(outcome.per_worker.values(), reverse=True))
    return [
        Row("one screen: reveal to screen (baseline)", outcome.baseline, 1.0, "one stream connected"),
        Row(
            f"{PARTICIPANTS} screens: reveal to screen, p99",
            p99,
            p99 / outcome.baseline,
            f"{ITEMS} reveals x {PARTICIPANTS} screens; p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max "
            f"{worst * 1000:.0f} ms (target p99 < {P99_TARGET_S * 1000:.0f} ms); streams per worker: {workers}",
            p99 < P99_TARGET_S,
        ),
        Row(
            f"{PARTICIPANTS} x {ITEMS} votes, counted in the database",
            0.0,
            1.0,
            f"{stored} stored for {acknowledged} acknowledged in {len(expected)} rounds, {twice} twice; "
            f"{outcome.votes.retried + outcome.storm_votes.retried} sent again after a dropped connection"
            + (f"; PROBLEMS: {'; '.join(problems)}" if problems else ""),
            not problems,
        ),
        Row(
            f"reconnect storm: {PARTICIPANTS} streams at once",
            outcome.storm_seconds,
            outcome.storm_seconds / outcome.baseline,
            f"all back with the current state in {outcome.storm_seconds:.2f} s; {outcome.storm_first_ok} saw the "
            f"round opened while they were away; {outcome.storm_votes.acknowledged} votes after it",
            outcome.storm_first_ok == PARTICIPANTS and outcome.storm_votes.acknowledged == PARTICIPANTS,
        ),
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
