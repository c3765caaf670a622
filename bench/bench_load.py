"""Load: 500 SYNTHETIC respondents complete the whole survey at once against ``cxm serve --workers 2`` on PostgreSQL.

Each respondent (bench/respondents.py) opens its invitation link, reads each page, posts its answers with the page's
form token and follows the redirect, and finishes on the last page; 32 requests are in flight at any time. The
database is a schema of its own, dropped afterwards. Then the answers are counted in the database against the page
saves the server acknowledged (bench/survey.py): every acknowledged answer must be there once, with its values.

Baseline, measured in the same run against the same server: respondents one at a time (one request in flight), so
the ratios say how much 500 respondents at once stretch a page's latency.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from bench import survey as surveys
from bench.respondents import Run, simulate
from bench.row import Row
from bench.servers import Server, serve
from bench.survey import Count

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
POSTGRES = os.environ.get("CXM_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
RESPONDENTS = 500
#: Requests in flight at once (a reverse proxy's upstream pool would be of this size).
CONNECTIONS = 32
WORKERS = 2
#: Respondents of the one-at-a-time baseline.
ALONE = 10
#: Targets under load (the machine has 2 cores that the client, the server and PostgreSQL share).
P99_TARGET_MS = 1500


@dataclass(frozen=True)
class Checked:
    """A run, the count in the database afterwards, and every check that failed (empty: all held)."""

    run: Run
    count: Count
    problems: list[str]


def check(run: Run, count: Count, *, faults: bool) -> list[str]:
    """Return what is wrong with a run and the count of the database after it. ``faults``: requests were meant to
    fail (and may have been committed before their answer was lost); without faults every request must succeed and
    nothing unacknowledged be stored."""
    problems = []
    if count.lost:
        problems.append(f"{count.lost} acknowledged answers missing or changed in the database")
    if count.duplicated:
        problems.append(f"{count.duplicated} answers stored twice")
    if count.lost_finishes:
        problems.append(f"{count.lost_finishes} acknowledged finishes not marked completed")
    if run.unclear:
        problems.append(f"{len(run.unclear)} unclear error responses, e.g. {run.unclear[0].problem}")
    if not faults:
        if run.failures:
            problems.append(f"{len(run.failures)} requests failed, e.g. {run.failures[0].problem}")
        if count.unacknowledged_pages:
            problems.append(f"{count.unacknowledged_pages} pages stored without an acknowledgement")
    unfinished = [r for r in run.respondents if not r.finished]
    if unfinished:
        gave_up = sum(r.gave_up for r in unfinished)
        problems.append(f"{len(unfinished)} respondents did not finish ({gave_up} gave up after repeated failures)")
    if run.wrong_resumes:
        problems.append(f"{len(run.wrong_resumes)} wrong resume pages, e.g. {run.wrong_resumes[0]}")
    return problems


def start(url: str, name: str) -> Server:
    return serve(url, WORKERS, RESULTS / f"{name}.log")


@dataclass(frozen=True)
class Load:
    alone: Run
    crowd: Checked


def load(server_url: str, respondents: int = RESPONDENTS, connections: int = CONNECTIONS) -> Load:
    """Respondents one at a time, then ``respondents`` at once, on a new schema of ``server_url``."""
    with surveys.postgres_schema(server_url) as url:
        survey = surveys.prepare(url, respondents + ALONE)
        server = start(url, "load")
        try:
            alone = simulate(survey, server.url, 1, tokens=survey.tokens[respondents:])
            crowd = simulate(survey, server.url, connections, tokens=survey.tokens[:respondents])
        finally:
            server.stop()
        both = Run(survey, alone.respondents + crowd.respondents, alone.exchanges + crowd.exchanges)
        count = surveys.count(survey, both.acknowledged, both.finished)
    return Load(alone, Checked(crowd, count, check(both, count, faults=False)))


def _ms(run: Run, kind: str, q: float) -> float:
    return run.percentile_ms((kind,), q)


def run() -> list[Row]:
    result = load(POSTGRES)
    alone, crowd = result.alone, result.crowd.run
    count, problems = result.crowd.count, result.crowd.problems
    survey_pages = len(crowd.survey.pages)
    rows = [
        Row(
            "respondents one at a time (baseline)",
            _ms(alone, "save", 99) / 1000,
            1.0,
            f"{len(alone.respondents)} respondents, {len(alone.exchanges)} requests; p99 GET page "
            f"{_ms(alone, 'page', 99):.0f} ms, p99 save {_ms(alone, 'save', 99):.0f} ms",
        )
    ]
    for kind, label in (("page", "GET a page"), ("save", "POST a page (save)")):
        p99 = _ms(crowd, kind, 99)
        rows.append(
            Row(
                f"{len(crowd.respondents)} at once: {label}",
                p99 / 1000,
                p99 / _ms(alone, kind, 99),
                f"p99 against one at a time; p50 {_ms(crowd, kind, 50):.0f} ms, p99 {p99:.0f} ms "
                f"(target < {P99_TARGET_MS}), {len(crowd.ok(kind))} answered",
                p99 < P99_TARGET_MS,
            )
        )
    rows.append(
        Row(
            f"{len(crowd.respondents)} at once: whole survey, counted",
            crowd.seconds,
            crowd.throughput / alone.throughput,
            f"throughput against one at a time; {crowd.throughput:.0f} req/s, {crowd.saves_per_second:.0f} saves/s, "
            f"client used {crowd.client_cpu / crowd.seconds:.0%} of a core, {len(crowd.failures)} failed; "
            f"{count.stored_rows} answers stored for {count.expected_rows} acknowledged ({crowd.saves} saves of "
            f"{len(crowd.respondents) * survey_pages}), {count.lost} lost, {count.duplicated} duplicated; "
            f"{count.completed} completed" + (f"; PROBLEMS: {'; '.join(problems)}" if problems else ""),
            not problems,
        )
    )
    return rows
