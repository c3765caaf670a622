"""Heavy work beside everyone else, against ``cxm serve --workers 2`` on SQLite and on PostgreSQL (issue 12, finding 8).

Phase 1, idle (the baseline, same server, same run): ``/healthz`` and a respondent saving pages one after another.
Phase 2, heavy: the same probes while 30 clients keep asking for the HTML report (retrying 1 s after a 503, sooner
than the Retry-After of 5 s asks) and 4 keep uploading a 1.2 MB framework that is refused (over the indicator
limit, after it was parsed). Target: p99 of both probes under 300 ms.
Phase 3, slow clients: 1,000 connections that send a request's headers one byte every 5 s (slowloris) stay open while
``/healthz`` and sign-in (a password check, argon2id) are probed, against the same probes without them.

Data are SYNTHETIC (bench/survey.py). The PostgreSQL run uses a schema of its own on ``CXM_BENCH_POSTGRES_URL``.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np

from bench import survey as surveys
from bench.respondents import CSRF
from bench.row import Row
from bench.servers import Server, serve
from bench.survey import Survey
from cxmaturity.demo import demo_responses
from cxmaturity.frameworks import load_builtin
from cxmaturity.services import accounts, assessments
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import make_engine, make_sessionmaker, transaction
from cxmaturity.storage.tables import Assessment, Membership

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
POSTGRES = os.environ.get("CXM_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
WORKERS = 2
REPORT_CLIENTS = 30
UPLOAD_CLIENTS = 4
SLOW_CLIENTS = 1000
#: Seconds of each phase.
PHASE = 20.0
P99_TARGET_MS = 300
#: With slow clients, /healthz and sign-in (argon2id: a deliberate fraction of a second of CPU) are held to the same
#: probes without them, in the same run: what they cost must not depend on how many idle connections are open.
SLOW_TARGET_RATIO = 2.0
PASSWORD = "heavy run password 1234"


@dataclass
class Site:
    server: str
    survey: Survey
    report_assessment: int
    organization: int
    api_token: str
    email: str


def _prepare(url: str) -> tuple[Survey, int, int, str, str]:
    survey = surveys.prepare(url, 400)
    engine = make_engine(url)
    try:
        with transaction(make_sessionmaker(engine)) as db:
            base = db.get(Assessment, survey.assessment_id)
            assert base is not None
            email = f"heavy-{secrets.token_hex(4)}@example.com"
            user = accounts.sign_up(db, email, PASSWORD, "Heavy run")
            db.add(Membership(user_id=user.id, organization_id=base.organization_id, role="owner"))
            db.flush()
            actor = Actor(user.id)
            fw = load_builtin(surveys.FRAMEWORK)
            groups = ("Leadership", "Operations", "Frontline")
            report = assessments.create(
                db, actor, base.organization_id, f"Heavy run report {surveys.SYNTHETIC}",
                f"builtin:{surveys.FRAMEWORK}", groups=list(groups), synthetic=True,
            )  # fmt: skip
            db.flush()
            ids = {g.name: g.id for g in assessments.groups(db, report.id)}
            responses = demo_responses(fw, seed=3, groups=tuple((g, 0.0, 12) for g in groups))
            assessments.store_responses(db, report, responses, ids, source="link", held=False)
            token = accounts.create_api_token(db, user.id, "heavy run")
            return survey, report.id, base.organization_id, token, email
    finally:
        engine.dispose()


def oversized_framework(indicators: int = 9000) -> str:
    """A framework of about 1.2 MB whose indicators are far over the limit: parsed, then refused."""
    lines = ["id: oversized", "version: 1.0.0", "name: Oversized (SYNTHETIC)", "competencies:"]
    lines += ["  - key: c1", "    name: C1", "    indicators:"]
    lines += [
        f"      - key: indicator-{n}\n        kind: statement\n        text: Statement number {n} about how customers "
        "are served, long enough to weigh what a real one weighs in a framework file"
        for n in range(indicators)
    ]
    return "\n".join(lines) + "\n"


@dataclass
class Probes:
    healthz: list[float] = field(default_factory=list)
    saves: list[float] = field(default_factory=list)
    signins: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    reports: dict[int, int] = field(default_factory=dict)
    uploads: dict[int, int] = field(default_factory=dict)


def p99(values: list[float]) -> float:
    return float(np.percentile(values, 99)) * 1000 if values else float("nan")


async def _healthz(base: str, stop: asyncio.Event, probes: Probes) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        while not stop.is_set():
            started = time.perf_counter()
            response = await client.get("/healthz")
            probes.healthz.append(time.perf_counter() - started)
            if response.status_code != 200:
                probes.failures.append(f"healthz {response.status_code}")
            await asyncio.sleep(0.1)


async def _respondent(base: str, survey: Survey, tokens: list[str], stop: asyncio.Event, probes: Probes) -> None:
    """One respondent after another saves every page; each save is timed (the page's GET is not)."""
    pages = len(survey.pages)
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        for token in tokens:
            for page in range(1, pages + 1):
                if stop.is_set():
                    return
                shown = await client.get(f"/r/{token}/p/{page}")
                found = CSRF.search(shown.text)
                if found is None:
                    probes.failures.append(f"page {shown.status_code}")
                    await asyncio.sleep(0.5)
                    continue
                action = "finish" if page == pages else "next"
                form = {**survey.form(token, page), "csrf_token": found.group(1), "action": action}
                started = time.perf_counter()
                saved = await client.post(f"/r/{token}/p/{page}", data=form)
                probes.saves.append(time.perf_counter() - started)
                if saved.status_code != 303:
                    probes.failures.append(f"save {saved.status_code}")
                await asyncio.sleep(0.1)


async def _signin(base: str, email: str, stop: asyncio.Event, probes: Probes) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        while not stop.is_set():
            page = await client.get("/signin")
            found = CSRF.search(page.text)
            if found is None:
                probes.failures.append(f"signin page {page.status_code}")
                await asyncio.sleep(0.5)
                continue
            form = {"email": email, "password": PASSWORD, "csrf_token": found.group(1), "next": "/"}
            started = time.perf_counter()
            response = await client.post("/signin", data=form)
            probes.signins.append(time.perf_counter() - started)
            if response.status_code != 303:
                probes.failures.append(f"signin {response.status_code}")
            client.cookies.clear()
            await asyncio.sleep(0.2)


async def _reports(site: Site, stop: asyncio.Event, probes: Probes) -> None:
    headers = {"Authorization": f"Bearer {site.api_token}"}
    async with httpx.AsyncClient(base_url=site.server, timeout=120, headers=headers) as client:
        while not stop.is_set():
            response = await client.get(f"/api/v1/assessments/{site.report_assessment}/report")
            probes.reports[response.status_code] = probes.reports.get(response.status_code, 0) + 1
            if response.status_code == 503:
                await asyncio.sleep(1.0)


async def _uploads(site: Site, text: str, stop: asyncio.Event, probes: Probes) -> None:
    headers = {"Authorization": f"Bearer {site.api_token}"}
    body = {"filename": "oversized.yaml", "text": text}
    async with httpx.AsyncClient(base_url=site.server, timeout=120, headers=headers) as client:
        while not stop.is_set():
            response = await client.post(f"/api/v1/organizations/{site.organization}/frameworks", json=body)
            probes.uploads[response.status_code] = probes.uploads.get(response.status_code, 0) + 1
            if response.status_code == 503:
                await asyncio.sleep(1.0)


async def _slow_client(host: str, port: int, stop: asyncio.Event, opened: list[int]) -> None:
    """Open a connection and send a request's headers a byte every 5 s, never finishing them (slowloris)."""
    try:
        _reader, writer = await asyncio.open_connection(host, port)
    except OSError:
        return
    opened[0] += 1
    line = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200
    try:
        for byte in line:
            if stop.is_set():
                break
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(5.0)
    except OSError:
        pass
    finally:
        writer.close()


async def _phase(
    site: Site, tokens: list[str], *, signin: bool, heavy: bool, slow: int, upload_text: str
) -> tuple[Probes, int]:
    stop = asyncio.Event()
    probes = Probes()
    opened = [0]
    tasks = []
    if slow:
        host, port = site.server.removeprefix("http://").rsplit(":", 1)
        tasks += [asyncio.create_task(_slow_client(host, int(port), stop, opened)) for _ in range(slow)]
        await asyncio.sleep(3.0)  # let them connect
    if heavy:
        tasks += [asyncio.create_task(_reports(site, stop, probes)) for _ in range(REPORT_CLIENTS)]
        tasks += [asyncio.create_task(_uploads(site, upload_text, stop, probes)) for _ in range(UPLOAD_CLIENTS)]
        await asyncio.sleep(2.0)  # the pool is full before the probes start
    tasks.append(asyncio.create_task(_healthz(site.server, stop, probes)))
    if signin:
        tasks.append(asyncio.create_task(_signin(site.server, site.email, stop, probes)))
    else:
        tasks.append(asyncio.create_task(_respondent(site.server, site.survey, tokens, stop, probes)))
    await asyncio.sleep(PHASE)
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    return probes, opened[0]


def measure(backend: str, url: str) -> list[Row]:
    server: Server | None = None
    survey, report_id, org_id, token, email = _prepare(url)
    try:
        # Plain HTTP on the loopback: the cookies (the sign-in form's token) must not require TLS.
        server = serve(url, WORKERS, RESULTS / f"heavy-{backend}.log", env={"CXM_COOKIE_SECURE": "false"})
        site = Site(server.url, survey, report_id, org_id, token, email)
        text = oversized_framework()
        tokens = survey.tokens
        idle, _ = asyncio.run(_phase(site, tokens[:100], signin=False, heavy=False, slow=0, upload_text=text))
        busy, _ = asyncio.run(_phase(site, tokens[100:200], signin=False, heavy=True, slow=0, upload_text=text))
        alone, _ = asyncio.run(_phase(site, [], signin=True, heavy=False, slow=0, upload_text=text))
        crowd, opened = asyncio.run(_phase(site, [], signin=True, heavy=False, slow=SLOW_CLIENTS, upload_text=text))
    finally:
        if server is not None:
            server.stop()
    mb = len(text.encode()) / 1e6
    rows = [
        Row(
            f"{backend}: idle /healthz (baseline)",
            p99(idle.healthz) / 1000,
            1.0,
            f"p99 /healthz {p99(idle.healthz):.0f} ms, p99 save {p99(idle.saves):.0f} ms "
            f"({len(idle.healthz)} and {len(idle.saves)} probes)",
        )
    ]
    for name, base_values, values in (
        ("/healthz", idle.healthz, busy.healthz),
        ("respondent's save", idle.saves, busy.saves),
    ):
        rows.append(
            Row(
                f"{backend}: {name} under heavy work",
                p99(values) / 1000,
                p99(values) / p99(base_values),
                f"p99 {p99(values):.0f} ms (idle {p99(base_values):.0f}, target < {P99_TARGET_MS}), "
                f"{len(values)} probes; {REPORT_CLIENTS} report clients {dict(sorted(busy.reports.items()))}, "
                f"{UPLOAD_CLIENTS} uploads of {mb:.1f} MB {dict(sorted(busy.uploads.items()))}"
                + (f"; failures {busy.failures[:3]}" if busy.failures else ""),
                p99(values) < P99_TARGET_MS and not busy.failures,
            )
        )
    rows.append(
        Row(
            f"{backend}: idle sign-in (baseline)",
            p99(alone.signins) / 1000,
            1.0,
            f"p99 sign-in {p99(alone.signins):.0f} ms (argon2id included), p99 /healthz {p99(alone.healthz):.0f} ms",
        )
    )
    rows.append(
        Row(
            f"{backend}: /healthz, {SLOW_CLIENTS} slow clients",
            p99(crowd.healthz) / 1000,
            p99(crowd.healthz) / p99(alone.healthz),
            f"p99 {p99(crowd.healthz):.0f} ms against {p99(alone.healthz):.0f} ms beside the same sign-ins without "
            f"them (target < {SLOW_TARGET_RATIO:g} x); {opened} slow connections held open"
            + (f"; failures {crowd.failures[:3]}" if crowd.failures else ""),
            p99(crowd.healthz) < SLOW_TARGET_RATIO * p99(alone.healthz)
            and opened >= SLOW_CLIENTS * 0.95
            and not crowd.failures,
        )
    )
    rows.append(
        Row(
            f"{backend}: sign-in, {SLOW_CLIENTS} slow clients",
            p99(crowd.signins) / 1000,
            p99(crowd.signins) / p99(alone.signins),
            f"p99 {p99(crowd.signins):.0f} ms over {len(crowd.signins)} sign-ins against idle {p99(alone.signins):.0f} "
            f"ms (target < {SLOW_TARGET_RATIO:g} x)",
            bool(crowd.signins) and p99(crowd.signins) < SLOW_TARGET_RATIO * p99(alone.signins),
        )
    )
    return rows


def run() -> list[Row]:
    rows: list[Row] = []
    with surveys.sqlite_file(RESULTS / "heavy") as url:
        rows += measure("SQLite", url)
    with surveys.postgres_schema(POSTGRES) as url:
        rows += measure("PostgreSQL", url)
    return rows


def main(backends: list[str]) -> None:
    """``python -m bench.bench_heavy [sqlite] [postgresql]``: one backend's rows (both without arguments)."""
    rows: list[Row] = []
    if not backends or "sqlite" in backends:
        with surveys.sqlite_file(RESULTS / "heavy") as url:
            rows += measure("SQLite", url)
    if not backends or "postgresql" in backends:
        with surveys.postgres_schema(POSTGRES) as url:
            rows += measure("PostgreSQL", url)
    for row in rows:
        print(f"{row.label:<46} {row.seconds * 1000:9.1f} ms  ratio {row.ratio:6.2f}  {row.ok}  {row.note}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
