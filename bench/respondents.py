"""Simulated respondents: each opens its invitation link and saves every page as a browser does.

A respondent reads a page, takes its form token, posts its answers, follows the redirect to the next page, and
finishes on the last page. When a request fails (no response, or an error page), it waits (as long as Retry-After
asks, within a cap) and opens its link again, as a person would: the welcome page must offer to continue at the
first page not saved yet, which is checked against the pages the server acknowledged.

All respondents run at once on one event loop, each with its own HTTP client (a browser keeps its own connection,
which the kernel hands to one of the server's workers). ``connections`` bounds the requests in flight across all of
them; a request's latency is measured from the moment it is sent, so waiting for a turn on the client is not counted
as the server's time.
"""

from __future__ import annotations

import asyncio
import re
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import numpy as np

from bench.survey import Survey

#: What errors.py answers when the database is away; a failure a respondent can understand.
UNAVAILABLE = "The database is not available right now. Nothing was saved by this request; try again in a moment."
#: Text that must never reach a respondent.
LEAKS = ("database is locked", "Traceback", "OperationalError", "psycopg")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
START = re.compile(r'href="/r/[^/"]+/p/(\d+)"')
ALREADY_SUBMITTED = "You have already submitted your answers"
EXPECTED = {"open": 200, "page": 200, "save": 303, "done": 200, "probe": 200}
#: uvicorn closes a connection idle for 5 s; a request sent on it at that moment gets no answer. Browsers retry such
#: a request; this client instead lets connections go after 2 s idle, so that every failure it reports is real.
LIMITS = httpx.Limits(max_connections=1, keepalive_expiry=2.0)


@dataclass(frozen=True)
class Exchange:
    """One request and its answer."""

    kind: str
    #: When it was sent, in seconds since the run began.
    at: float
    seconds: float
    #: None: no response (refused, reset, timed out).
    status: int | None
    #: Why it failed: "" when the answer is what a browser expects, "unavailable" for the clear 503, otherwise what
    #: went wrong.
    problem: str = ""

    @property
    def failed(self) -> bool:
        return bool(self.problem)

    @property
    def unclear(self) -> bool:
        """A failure other than the clear 503 or a broken connection: an error page a respondent cannot act on."""
        return self.failed and self.problem != "unavailable" and self.status is not None


@dataclass
class Respondent:
    token: str
    acknowledged: set[int] = field(default_factory=set)
    finished: bool = False
    #: Times the link was opened again after a failure.
    resumed: int = 0
    gave_up: bool = False
    #: Welcome pages that offered to continue somewhere the acknowledged pages rule out.
    wrong_resumes: list[str] = field(default_factory=list)
    #: Saves answered by the 503 ("nothing was saved") whose page turned out to be stored.
    stored_despite_unavailable: int = 0


class _Failed(Exception):
    def __init__(self, exchange: Exchange, wait: float, save_of: int | None = None) -> None:
        super().__init__(exchange.problem)
        self.exchange = exchange
        self.wait = wait
        self.save_of = save_of


@dataclass
class Run:
    """The outcome of one simulation."""

    survey: Survey
    respondents: list[Respondent]
    exchanges: list[Exchange] = field(default_factory=list)
    probes: list[Exchange] = field(default_factory=list)
    #: ``time.perf_counter()`` when the run began; ``Exchange.at`` counts from here.
    started: float = 0.0
    seconds: float = 0.0
    #: CPU seconds the client itself used (it shares the machine with the server and the database).
    client_cpu: float = 0.0
    saves: int = 0
    #: What the fault (if any) returned.
    fault_result: object = None

    def ok(self, kind: str) -> list[Exchange]:
        return [e for e in self.exchanges if e.kind == kind and not e.failed]

    def percentile_ms(self, kinds: tuple[str, ...], q: float) -> float:
        times = [e.seconds for e in self.exchanges if e.kind in kinds and not e.failed]
        return float(np.percentile(times, q)) * 1000 if times else float("nan")

    @property
    def throughput(self) -> float:
        return len(self.exchanges) / self.seconds

    @property
    def saves_per_second(self) -> float:
        return self.saves / self.seconds

    @property
    def failures(self) -> list[Exchange]:
        return [e for e in self.exchanges if e.failed]

    @property
    def unclear(self) -> list[Exchange]:
        return [e for e in self.exchanges + self.probes if e.unclear]

    @property
    def acknowledged(self) -> dict[str, set[int]]:
        return {r.token: r.acknowledged for r in self.respondents}

    @property
    def finished(self) -> set[str]:
        return {r.token for r in self.respondents if r.finished}

    @property
    def wrong_resumes(self) -> list[str]:
        return [w for r in self.respondents for w in r.wrong_resumes]

    def throughput_between(self, start: float, end: float) -> float:
        """Requests answered per second between two moments (seconds since the run began)."""
        done = sum(1 for e in self.exchanges if start <= e.at + e.seconds < end and not e.failed)
        return done / (end - start) if end > start else float("nan")

    def failure_window(self) -> float:
        """Seconds from the first failed request's start to the end of the last one (0 without failures)."""
        failed = self.failures
        if not failed:
            return 0.0
        return max(e.at + e.seconds for e in failed) - min(e.at for e in failed)

    def probe_outage(self) -> float:
        """Seconds the probe saw no page: from the last success before its first failure to its first success
        after its last failure (0 when it never failed)."""
        failed = [p for p in self.probes if p.failed]
        if not failed:
            return 0.0
        first, last = failed[0].at, failed[-1].at
        before = [p.at + p.seconds for p in self.probes if not p.failed and p.at < first]
        after = [p.at + p.seconds for p in self.probes if not p.failed and p.at > last]
        start = before[-1] if before else first
        end = after[0] if after else last + failed[-1].seconds
        return end - start


class Simulation:
    def __init__(
        self,
        survey: Survey,
        base_url: str,
        connections: int,
        *,
        tokens: list[str] | None = None,
        max_wait: float = 5.0,
        max_failures: int = 30,
    ) -> None:
        self.survey = survey
        self.base_url = base_url
        self.connections = connections
        self.max_wait = max_wait
        self.max_failures = max_failures
        self.run = Run(survey, [Respondent(t) for t in (tokens if tokens is not None else survey.tokens)])
        self._started = 0.0

    async def _send(
        self, client: httpx.AsyncClient, kind: str, method: str, path: str, data: dict[str, str] | None = None
    ) -> tuple[Exchange, httpx.Response | None]:
        at = time.perf_counter() - self._started
        sent = time.perf_counter()
        try:
            response = await client.request(method, path, data=data)
        except httpx.TransportError as exc:
            seconds = time.perf_counter() - sent
            return Exchange(kind, at, seconds, None, f"no response ({type(exc).__name__})"), None
        seconds = time.perf_counter() - sent
        body = response.text
        problem = ""
        if leak := next((text for text in LEAKS if text in body), None):
            problem = f"{response.status_code} showing {leak!r}"
        elif response.status_code == 503 and UNAVAILABLE in body and response.headers.get("retry-after"):
            problem = "unavailable"
        elif response.status_code != EXPECTED[kind]:
            problem = f"{response.status_code} {_title(body)}"
        return Exchange(kind, at, seconds, response.status_code, problem), response

    async def _request(
        self,
        client: httpx.AsyncClient,
        slots: asyncio.Semaphore,
        kind: str,
        method: str,
        path: str,
        data: dict[str, str] | None = None,
        save_of: int | None = None,
    ) -> httpx.Response:
        async with slots:
            exchange, response = await self._send(client, kind, method, path, data)
        self.run.exchanges.append(exchange)
        if exchange.failed or response is None:
            wait = 0.5
            if response is not None and (retry := response.headers.get("retry-after", "")).isdigit():
                wait = min(float(retry), self.max_wait)
            raise _Failed(exchange, wait, save_of)
        return response

    async def _open(
        self, client: httpx.AsyncClient, slots: asyncio.Semaphore, r: Respondent, failed: _Failed | None
    ) -> int:
        """Open the link; return the page it offers (0: already submitted) after checking it against what was
        acknowledged and the save that failed since the link was last opened (``failed``)."""
        response = await self._request(client, slots, "open", "GET", f"/r/{r.token}")
        if ALREADY_SUBMITTED in response.text:
            return 0
        found = START.search(response.text)
        if found is None:
            raise RuntimeError(f"no start link on the welcome page of {r.token}")
        offered = int(found.group(1))
        pages = len(self.survey.pages)
        first_unsaved = max(r.acknowledged, default=0) + 1
        possible = {min(first_unsaved, pages)}
        if failed is not None and failed.save_of == first_unsaved:
            # The failed save may have been committed before its answer was lost.
            possible.add(min(first_unsaved + 1, pages))
            if offered == first_unsaved + 1 and failed.exchange.problem == "unavailable":
                r.stored_despite_unavailable += 1
        if offered not in possible:
            r.wrong_resumes.append(f"{r.token}: offered page {offered}, expected one of {sorted(possible)}")
        return offered

    async def _respond(self, slots: asyncio.Semaphore, r: Respondent, tls: ssl.SSLContext) -> None:
        # The TLS context is never used on http://, but a client builds one unless given one, which costs more
        # than a respondent's requests.
        async with httpx.AsyncClient(base_url=self.base_url, timeout=30, verify=tls, limits=LIMITS) as client:
            await self._answer(client, slots, r)

    async def _answer(self, client: httpx.AsyncClient, slots: asyncio.Semaphore, r: Respondent) -> None:
        pages = len(self.survey.pages)
        page = 0
        # The last save that failed and was not followed by a successful opening of the link: it may have been
        # committed before its answer was lost.
        failed_save: _Failed | None = None
        resuming = False
        failures = 0
        while not r.finished:
            try:
                if page == 0:
                    page = await self._open(client, slots, r, failed_save)
                    r.resumed += resuming
                    failed_save, resuming = None, False
                    if page == 0:
                        r.finished = True
                        break
                response = await self._request(client, slots, "page", "GET", f"/r/{r.token}/p/{page}")
                token = CSRF.search(response.text)
                if token is None:
                    raise RuntimeError(f"no form token on page {page} of {r.token}")
                action = "finish" if page == pages else "next"
                form = {**self.survey.form(r.token, page), "csrf_token": token.group(1), "action": action}
                response = await self._request(
                    client, slots, "save", "POST", f"/r/{r.token}/p/{page}", form, save_of=page
                )
                r.acknowledged.add(page)
                self.run.saves += 1
                target = f"/r/{r.token}/done" if action == "finish" else f"/r/{r.token}/p/{page + 1}"
                if response.headers.get("location") != target:
                    raise RuntimeError(f"page {page} of {r.token} redirected to {response.headers.get('location')}")
                if action == "finish":
                    r.finished = True
                    await self._request(client, slots, "done", "GET", target)
                    break
                page += 1
            except _Failed as exc:
                if r.finished:
                    break  # only the thank-you page failed; the answers are in
                failures += 1
                if failures > self.max_failures:
                    r.gave_up = True
                    break
                if exc.save_of is not None:
                    failed_save = exc
                resuming, page = True, 0
                await asyncio.sleep(exc.wait)

    async def _probe(self, stop: asyncio.Event, token: str, interval: float) -> None:
        async with httpx.AsyncClient(base_url=self.base_url, timeout=30) as client:
            while not stop.is_set():
                exchange, _ = await self._send(client, "probe", "GET", f"/r/{token}/p/1")
                self.run.probes.append(exchange)
                await asyncio.sleep(interval)

    async def _fault(self, fault: Callable[[Run], object], after_saves: int, stop: asyncio.Event) -> None:
        while self.run.saves < after_saves:
            if stop.is_set():
                return
            await asyncio.sleep(0.02)
        self.run.fault_result = await asyncio.to_thread(fault, self.run)

    async def _main(
        self, fault: Callable[[Run], object] | None, fault_at: float, probe: str | None, probe_interval: float
    ) -> Run:
        slots = asyncio.Semaphore(self.connections)
        stop = asyncio.Event()
        tls = ssl.create_default_context()
        self._started = self.run.started = time.perf_counter()
        cpu = time.process_time()
        helpers = []
        if probe is not None:
            helpers.append(asyncio.create_task(self._probe(stop, probe, probe_interval)))
        if fault is not None:
            total = len(self.run.respondents) * len(self.survey.pages)
            helpers.append(asyncio.create_task(self._fault(fault, int(total * fault_at), stop)))
        await asyncio.gather(*(self._respond(slots, r, tls) for r in self.run.respondents))
        self.run.seconds = time.perf_counter() - self._started
        self.run.client_cpu = time.process_time() - cpu
        stop.set()
        await asyncio.gather(*helpers)
        return self.run


def simulate(
    survey: Survey,
    base_url: str,
    connections: int,
    *,
    tokens: list[str] | None = None,
    fault: Callable[[Run], object] | None = None,
    fault_at: float = 0.4,
    probe: str | None = None,
    probe_interval: float = 0.05,
    max_wait: float = 5.0,
) -> Run:
    """Let the respondents (all invitations of ``survey``, or ``tokens``) complete the survey at once.

    ``fault`` runs in a thread once ``fault_at`` of all page saves are acknowledged; ``probe`` (a token not among the
    respondents) is a page fetched every ``probe_interval`` seconds to time an outage.
    """
    simulation = Simulation(survey, base_url, connections, tokens=tokens, max_wait=max_wait)
    return asyncio.run(simulation._main(fault, fault_at, probe, probe_interval))


def _title(body: str) -> str:
    found = re.search(r"<title>(.*?)</title>", body, re.S)
    return (found.group(1).strip() if found else body[:80]).replace("\n", " ")
