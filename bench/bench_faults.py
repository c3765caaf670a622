"""Faults under load: 500 SYNTHETIC respondents complete the survey (as in bench_load.py) while something breaks.

1. ``kill -9`` of one of the two server workers once 40% of the pages are saved (PostgreSQL): the one holding more
   connections, stopped for half a second first so that requests are in flight on it. No acknowledged answer may be
   lost; respondents whose request failed open their link again, must be offered the first page not saved,
   and finish; uvicorn's supervisor must start a new worker. Ratio: throughput from the kill until the new worker
   serves, against the throughput in as long a time just before the kill.
2. PostgreSQL restarted (stopped, 2 s down, started) once 30% of the pages are saved. This needs a PostgreSQL of its
   own (never the shared one): a cluster made with initdb in a temporary folder, deleted afterwards. Requests during
   the outage must get the 503 page that says nothing was saved (no 500, no broken connection), respondents wait as
   Retry-After says and resume, the app recovers without a restart, nothing acknowledged is lost. A probe reads a
   page every 50 ms to time the outage as respondents see it. Ratio: that outage against the database's downtime.
3. SQLite with two workers and a second process saving other respondents' pages without pause: no response may
   fail (no "database is locked", no 503), every page saved by either is counted. Ratio: p99 of a save against
   respondents one at a time on the same server before the second writer started.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench import survey as surveys
from bench.bench_load import ALONE, CONNECTIONS, POSTGRES, RESPONDENTS, RESULTS, ROOT, Checked, check, start
from bench.respondents import Run, simulate
from bench.row import Row
from bench.servers import OwnPostgres, Server, postgres_bin
from bench.survey import Count

#: Seconds PostgreSQL stays down between its stop and its start.
DOWNTIME = 2.0
#: How much longer than the database the app may take to serve again.
RECOVERY_SLACK = 2.0
#: Seconds the worker is stopped (SIGSTOP) before it is killed, so that requests are in flight on it.
FREEZE = 0.5
#: Seconds within which the supervisor must have a new worker serving.
REPLACEMENT_LIMIT = 30.0
#: Pages the second SQLite writer has to save: more than it can save while the respondents answer.
WRITER_TOKENS_PER_RESPONDENT = 4


@dataclass(frozen=True)
class Killing:
    """What the fault did, in ``time.perf_counter()`` seconds."""

    victim: int
    #: Client connections the victim held when it was chosen.
    connections: int
    frozen: float
    killed: float
    #: When a new worker's app had started; None if none came.
    replaced: float | None


@dataclass(frozen=True)
class Kill:
    checked: Checked
    killing: Killing | None
    workers_after: int

    @property
    def replacement_seconds(self) -> float | None:
        k = self.killing
        return None if k is None or k.replaced is None else k.replaced - k.killed

    @property
    def broken(self) -> int:
        """Requests that got no answer: those the killed worker held (no other request fails in this run)."""
        return len(self.checked.run.failures)


def kill_worker(
    server_url: str = POSTGRES, respondents: int = RESPONDENTS, connections: int = CONNECTIONS, at: float = 0.4
) -> Kill:
    """Kill a worker of a server on a new schema of ``server_url`` once ``at`` of the pages are saved."""
    with surveys.postgres_schema(server_url) as url:
        survey = surveys.prepare(url, respondents)
        server = start(url, "fault-kill")
        try:
            run = simulate(survey, server.url, connections, fault=_killer(server), fault_at=at)
            workers_after = len(server.worker_pids())
        finally:
            server.stop()
        count = surveys.count(survey, run.acknowledged, run.finished)
    problems = check(run, count, faults=True)
    killing = run.fault_result if isinstance(run.fault_result, Killing) else None
    if killing is None:
        problems.append("the worker was never killed: the run ended first")
    elif killing.replaced is None:
        problems.append(f"no new worker served within {REPLACEMENT_LIMIT:.0f} s of the kill")
    if workers_after != 2:
        problems.append(f"{workers_after} workers at the end instead of 2")
    unclear = [e for e in run.failures if e.status is not None]
    if unclear:
        problems.append(f"{len(unclear)} error responses, e.g. {unclear[0].problem}")
    return Kill(Checked(run, count, problems), killing, workers_after)


def _killer(server: Server) -> Callable[[Run], Killing]:
    def fault(_run: Run) -> Killing:
        before = server.worker_pids()
        # The worker holding more connections: the kernel hands new connections to whichever worker accepts
        # first, and a worker may hold few or none at a given moment.
        held = server.connections()
        victim = max(before, key=lambda pid: held.get(pid, 0))
        # Killed at a random instant, a worker sometimes has no request in flight, and the kill tests nothing.
        # Frozen for a moment first, it certainly has: the requests its connections carry meanwhile wait in it.
        frozen = time.perf_counter()
        os.kill(victim, signal.SIGSTOP)
        time.sleep(FREEZE)
        killed = time.perf_counter()
        os.kill(victim, signal.SIGKILL)
        # uvicorn's supervisor looks at its workers every 0.5 s and starts a new one for a dead one.
        replaced = None
        while replaced is None and time.perf_counter() < killed + REPLACEMENT_LIMIT:
            started = server.started_workers()
            if any(pid not in before and pid in started for pid in server.worker_pids()):
                replaced = time.perf_counter()
            time.sleep(0.05)
        return Killing(victim, held.get(victim, 0), frozen, killed, replaced)

    return fault


@dataclass(frozen=True)
class Restart:
    checked: Checked
    #: Seconds since the run began when PostgreSQL was told to stop, and when it accepted connections again.
    stopped_at: float
    started_at: float
    #: Seconds the probe saw no page.
    outage: float

    @property
    def downtime(self) -> float:
        return self.started_at - self.stopped_at


def restart_postgres(respondents: int = RESPONDENTS, connections: int = CONNECTIONS, at: float = 0.3) -> Restart:
    """Restart a PostgreSQL of this run's own once ``at`` of the pages are saved."""
    database = OwnPostgres().start()
    try:
        with surveys.postgres_schema(database.url) as url:
            survey = surveys.prepare(url, respondents + 1)
            server = start(url, "fault-restart")
            try:
                run = simulate(
                    survey,
                    server.url,
                    connections,
                    tokens=survey.tokens[:respondents],
                    probe=survey.tokens[respondents],
                    fault=lambda _run: database.restart(DOWNTIME),
                    fault_at=at,
                )
            finally:
                server.stop()
            count = surveys.count(survey, run.acknowledged, run.finished)
    finally:
        database.remove()
    problems = check(run, count, faults=True)
    if not isinstance(run.fault_result, tuple):
        problems.append("PostgreSQL was never restarted: the run ended first")
        return Restart(Checked(run, count, problems), 0.0, 0.0, 0.0)
    stopped, started = (t - run.started for t in run.fault_result)
    unclear = [e for e in run.failures if e.problem != "unavailable"]
    if unclear:
        problems.append(f"{len(unclear)} failures other than the clear 503, e.g. {unclear[0].problem}")
    if not run.failures:
        problems.append("no request failed: the restart did not meet the load")
    outage = run.probe_outage()
    if not run.probes or run.probes[-1].failed:
        problems.append("the app did not serve pages again after the restart")
    elif outage > started - stopped + RECOVERY_SLACK:
        problems.append(f"pages failed for {outage:.1f} s, more than {RECOVERY_SLACK:.0f} s beyond the downtime")
    return Restart(Checked(run, count, problems), stopped, started, outage)


@dataclass(frozen=True)
class SqliteWriters:
    alone: Run
    checked: Checked
    #: What the second writer reported: pages saved, respondents imported, errors, seconds per transaction.
    writer: dict[str, Any]
    #: Respondents found in the database in the assessment the second writer imported into.
    imported_found: int

    @property
    def writer_saves(self) -> int:
        return sum(len(pages) for pages in self.writer["saved"].values())

    def writer_p99_ms(self, kind: str) -> float:
        times = self.writer["seconds"][kind]
        return float(np.percentile(times, 99)) * 1000 if times else float("nan")


def sqlite_writers(respondents: int = RESPONDENTS, connections: int = CONNECTIONS) -> SqliteWriters:
    """Respondents one at a time, then all at once while a second process saves pages and imports respondents."""
    writer_tokens = respondents * WRITER_TOKENS_PER_RESPONDENT
    with surveys.sqlite_file(RESULTS) as url:
        survey = surveys.prepare(url, respondents + ALONE + writer_tokens)
        import_id = surveys.prepare(url, 1).assessment_id
        web, alone_tokens = survey.tokens[:respondents], survey.tokens[respondents : respondents + ALONE]
        tokens_file = Path(url.removeprefix("sqlite:///") + ".tokens")
        output = tokens_file.with_suffix(".writer.json")
        tokens_file.write_text("\n".join(survey.tokens[respondents + ALONE :]), encoding="utf-8")
        server = start(url, "fault-sqlite")
        writer = None
        try:
            alone = simulate(survey, server.url, 1, tokens=alone_tokens)
            arguments = (url, str(survey.assessment_id), str(import_id), str(tokens_file), str(output))
            path = os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH"))))
            command = [sys.executable, "-m", "bench.sqlite_writer", *arguments]
            writer = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": path})
            run = simulate(survey, server.url, connections, tokens=web)
            writer.send_signal(signal.SIGTERM)
            writer.wait(timeout=60)
            result = json.loads(output.read_text(encoding="utf-8"))
        finally:
            server.stop()
            if writer is not None and writer.poll() is None:
                writer.kill()
            for scratch in (tokens_file, output):
                scratch.unlink(missing_ok=True)
        saved = {token: set(pages) for token, pages in result["saved"].items()}
        acknowledged = {**run.acknowledged, **alone.acknowledged, **saved}
        count = surveys.count(survey, acknowledged, run.finished | alone.finished | set(result["finished"]))
        imported_found = surveys.respondents_in(url, import_id) - 1  # less the one invitation link
    both = Run(survey, alone.respondents + run.respondents, alone.exchanges + run.exchanges)
    problems = check(both, count, faults=False)
    if result["errors"]:
        problems.append(f"the second writer met {len(result['errors'])} errors, e.g. {result['errors'][0]}")
    if imported_found != result["imported"]:
        problems.append(
            f"the second writer imported {result['imported']} respondents; the database has {imported_found}"
        )
    return SqliteWriters(alone, Checked(run, count, problems), result, imported_found)


def _problems(problems: list[str]) -> str:
    return f"; PROBLEMS: {'; '.join(problems)}" if problems else ""


def _lost(count: Count) -> str:
    return f"{count.lost} lost, {count.duplicated} duplicated of {count.expected_rows} acknowledged answers"


def run() -> list[Row]:
    rows = []
    kill = kill_worker()
    run_, problems, killing = kill.checked.run, kill.checked.problems, kill.killing
    if killing is None or killing.replaced is None:
        rows.append(Row("kill -9 a worker", float("nan"), float("nan"), _problems(problems), False))
    else:
        # Throughput while one worker served alone, against as long a time just before the freeze (the run's first
        # seconds, when respondents are still arriving, would flatter the comparison).
        alone = killing.replaced - killing.killed
        start = killing.frozen - run_.started
        before = run_.throughput_between(max(0.0, start - alone), start)
        during = run_.throughput_between(killing.killed - run_.started, killing.replaced - run_.started)
        rows.append(
            Row(
                "kill -9 a worker: until a new one serves",
                alone,
                during / before,
                f"throughput from the kill until the new worker serves against as long before it ({during:.0f} vs "
                f"{before:.0f} req/s); the worker held {killing.connections} connections, {kill.broken} requests "
                f"broken, {sum(r.resumed for r in run_.respondents)} resumptions, all {len(run_.finished)} finished; "
                f"{_lost(kill.checked.count)}, {kill.checked.count.unacknowledged_pages} pages stored unacknowledged"
                + _problems(problems),
                not problems,
            )
        )
    if postgres_bin() is None:
        rows.append(Row("restart PostgreSQL", float("nan"), float("nan"), "skipped: no PostgreSQL server binaries"))
    else:
        restart = restart_postgres()
        run_, problems = restart.checked.run, restart.checked.problems
        rows.append(
            Row(
                "restart PostgreSQL: pages unavailable",
                restart.outage,
                restart.outage / restart.downtime,
                f"outage seen by a probe against the database's downtime ({restart.downtime:.1f} s); "
                f"{len(run_.failures)} requests answered 503 over {run_.failure_window():.1f} s, "
                f"{len(run_.unclear)} other errors; {sum(r.resumed for r in run_.respondents)} resumptions, all "
                f"{len(run_.finished)} finished; {_lost(restart.checked.count)}; "
                f"{sum(r.stored_despite_unavailable for r in run_.respondents)} saves answered 503 yet stored"
                + _problems(problems),
                not problems,
            )
        )
    sqlite = sqlite_writers()
    run_, problems = sqlite.checked.run, sqlite.checked.problems
    p99, alone = run_.percentile_ms(("save",), 99), sqlite.alone.percentile_ms(("save",), 99)
    rows.append(
        Row(
            "SQLite, 2 workers + a second writer: save",
            p99 / 1000,
            p99 / alone,
            f"p99 against one at a time ({alone:.0f} ms); p50 {run_.percentile_ms(('save',), 50):.0f} ms, "
            f"{run_.throughput:.0f} req/s, {len(run_.failures)} failed; second writer: {sqlite.writer_saves} saves "
            f"(p99 {sqlite.writer_p99_ms('save'):.0f} ms) and {sqlite.writer['imported']} respondents imported "
            f"(p99 {sqlite.writer_p99_ms('import'):.0f} ms a batch), {len(sqlite.writer['errors'])} errors"
            + ("" if sqlite.writer["stopped"] else " (it ran out of pages before the end)")
            + f"; {_lost(sqlite.checked.count)}"
            + _problems(problems),
            not problems,
        )
    )
    return rows
