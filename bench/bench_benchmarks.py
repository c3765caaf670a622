"""Peer benchmarks on PostgreSQL: one organization against a cohort drawn from 10,000 assessments.

The data are SYNTHETIC and live in a scratch schema that is dropped afterwards: 5,000 organizations (industry, size
band and region drawn at random, all sharing their results), each with two closed assessments of 30 respondents x 60
indicators, so 10,000 assessments and 18,000,000 answers, bulk-loaded with COPY through psycopg. Their stored results
(overall and per competency) are computed by the scoring engine itself (``score``, bootstrap off) from the same answer
matrices in memory, not read back from the 18 million rows, and copied in with COPY too: that is the load, not what is
measured.

Measured, each in its own transaction as a request runs it, with the median of several runs:

- the benchmark of one organization against all organizations and against one size band, through the same service
  the page, the API and ``cxm benchmark show`` call (permission check, the change check, the cohorts that may be
  shown, quartiles, stage counts in SQL, the position from the quartiles); target: under 1 s;
- the baseline, in the same run: a plain ``percentile_cont`` query for the quartiles per competency over the same
  stored results;
- for scale: the first look (which makes the release of 5,000 organizations), closing one assessment (scoring its
  1,800 answers among 18 million and storing its result) and a single pass over all 18 million answers, the least that
  benchmarking from answers instead of stored results would have to read.

``CXM_BENCH_POSTGRES_URL`` chooses the server; ``CXM_BENCH_ASSESSMENTS`` runs a smaller load (for a quick check).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa

from bench.row import Row
from bench.synthetic import synthetic_framework
from cxmaturity.benchmarks.keys import framework_key
from cxmaturity.benchmarks.privacy import CohortFilter
from cxmaturity.frameworks import Framework
from cxmaturity.scoring import ResponseMatrix, ScoringOptions, score
from cxmaturity.scoring.responses import DONT_KNOW_CODE
from cxmaturity.services import accounts, benchmark_pool, benchmarks
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import make_engine, make_sessionmaker, transaction, upgrade
from cxmaturity.storage.tables import Assessment, Membership

POSTGRES = os.environ.get("CXM_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
ASSESSMENTS = int(os.environ.get("CXM_BENCH_ASSESSMENTS", "10000"))
PER_ORGANIZATION = 2
RESPONDENTS = 30
COMPETENCIES, PER_COMPETENCY = 6, 10  # 60 indicators
K = 5
REPEAT = 7
#: Assessments per COPY block of answers (54,000 answer rows per 30 assessments).
CHUNK = 250
#: Room the load needs on the database's disk (answers, their three indexes and the rest, with a margin).
NEEDED_BYTES = 8 * 1024**3
INDUSTRIES = ("Retail", "Banking", "Insurance", "Telecom", "Utilities", "Travel", "Health care", "Public sector")
SIZE_BANDS = ("1-49", "50-249", "250-999", "1000-4999", "5000+")
REGIONS = ("Europe", "North America", "Latin America", "Asia", "Africa", "Oceania")
MOMENT = "2026-01-01 00:00:00+00"


def _median_time(fn: Callable[[], object], repeat: int = REPEAT) -> float:
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


@contextmanager
def _scratch_schema() -> Iterator[tuple[sa.Engine, str]]:
    schema = f"cxm_bench_benchmarks_{secrets.token_hex(4)}"
    admin = make_engine(POSTGRES)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(POSTGRES, connect_args={"options": f"-csearch_path={schema}"})
    try:
        upgrade(POSTGRES, engine)
        yield engine, schema
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _free_bytes() -> int:
    """Free space where PostgreSQL keeps its data (or here, when the server does not say)."""
    admin = make_engine(POSTGRES)
    try:
        with admin.connect() as conn:
            folder = conn.execute(sa.text("SHOW data_directory")).scalar()
        return shutil.disk_usage(str(folder)).free
    except Exception:  # not a superuser, or a server elsewhere: the best guess is this machine
        return shutil.disk_usage("/").free
    finally:
        admin.dispose()


def _answers(rng: np.random.Generator, fw: Framework, count: int) -> npt.NDArray[np.int16]:
    """Answer codes (assessments x respondents x indicators) around a maturity level per assessment and competency;
    3% don't know, nothing skipped, so every respondent gives 60 answers."""
    options = np.array([len(fw.answer_keys(ind)) for _, ind in fw.indicators])
    competency_of = np.repeat(np.arange(COMPETENCIES), PER_COMPETENCY)
    level = rng.uniform(0.1, 0.95, size=(count, 1, COMPETENCIES))[:, :, competency_of]
    raw = level * (options - 1) + rng.normal(0.0, 0.9, size=(count, RESPONDENTS, len(options)))
    codes = np.clip(np.rint(raw), 0, options - 1).astype(np.int16)
    codes[rng.random(codes.shape) < 0.03] = DONT_KNOW_CODE
    found: npt.NDArray[np.int16] = codes
    return found


def _answer_block(fw: Framework, codes: npt.NDArray[np.int16], first: int) -> bytes:
    """COPY text of the answers of assessments ``first``, ``first + 1``… (invitation ids follow from them)."""
    suffix = np.empty((len(fw.indicator_keys), 7), dtype=object)  # codes -2 (dk) to 4 → columns 0 to 6
    for i, (_, ind) in enumerate(fw.indicators):
        keys = ["dk", "", *fw.answer_keys(ind)]
        for column, key in enumerate(keys):
            suffix[i, column] = f"\t{ind.key}\t{key}\t\\N\t\\N\t{MOMENT}\n".encode()
    count = codes.shape[0]
    assessment_ids = first + np.arange(count)
    invitation_ids = (assessment_ids - 1)[:, None] * RESPONDENTS + np.arange(RESPONDENTS)[None, :] + 1
    prefixes = np.array(
        [f"{a}\t{i}".encode() for a, row in zip(assessment_ids, invitation_ids, strict=True) for i in row],
        dtype=object,
    ).reshape(count, RESPONDENTS, 1)
    indicators = np.arange(codes.shape[2])[None, None, :]
    parts = np.empty((*codes.shape, 2), dtype=object)
    parts[..., 0] = np.broadcast_to(prefixes, codes.shape)
    parts[..., 1] = suffix[indicators, codes + 2]
    return b"".join(parts.reshape(-1).tolist())


@contextmanager
def _bulk(cursor: Any, table: str) -> Iterator[None]:
    """Load ``table`` without its secondary indexes and constraints, then build them again as they were.

    Checking two foreign keys and updating three indexes row by row is most of a naive load's time; building them
    once afterwards gives the same table (the definitions are read back from the catalog, not written here)."""
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype IN ('f', 'u')",
        (table,),
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
        (table, table),
    )
    indexes = cursor.fetchall()
    for name, _ in constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    yield
    cursor.execute("SET maintenance_work_mem = '512MB'")
    for _, definition in indexes:
        cursor.execute(definition)
    for name, definition in constraints:
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def _load(engine: sa.Engine, fw: Framework) -> tuple[float, int]:
    """Load the installation; return the seconds it took and the asking organization's user id."""
    started = time.perf_counter()
    rng = np.random.default_rng(2026)
    organizations = ASSESSMENTS // PER_ORGANIZATION
    key = framework_key(fw)
    snapshot = json.dumps(fw.model_dump(mode="json"))
    now = datetime.now(UTC)
    raw = engine.raw_connection()
    try:
        cursor: Any = raw.cursor()
        with cursor.copy(
            "COPY organization (id, name, industry, size_band, region, created_at, benchmark_opt_out) FROM STDIN"
        ) as copy:
            for o in range(1, organizations + 1):
                copy.write_row(
                    (
                        o,
                        f"Synthetic organization {o}",
                        str(rng.choice(INDUSTRIES)),
                        str(rng.choice(SIZE_BANDS)),
                        str(rng.choice(REGIONS)),
                        now,
                        False,
                    )
                )
        closed = [now - timedelta(days=400 - 200 * (a % PER_ORGANIZATION)) for a in range(ASSESSMENTS)]
        with cursor.copy(
            "COPY assessment (id, organization_id, title, framework_id, framework_version, framework_snapshot, "
            "status, targets, min_group_size, synthetic, created_at, opened_at, closed_at) FROM STDIN"
        ) as copy:
            for a in range(ASSESSMENTS):
                copy.write_row(
                    (
                        a + 1,
                        a // PER_ORGANIZATION + 1,
                        f"Synthetic assessment {a + 1}",
                        fw.id,
                        fw.version,
                        snapshot,
                        "closed",
                        "{}",
                        3,
                        True,
                        closed[a],
                        closed[a],
                        closed[a],
                    )
                )
        with cursor.copy(
            "COPY invitation (id, assessment_id, token_hash, source, created_at, started_at, completed_at) FROM STDIN"
        ) as copy:
            for a in range(ASSESSMENTS):
                for r in range(RESPONDENTS):
                    invitation = a * RESPONDENTS + r + 1
                    copy.write_row((invitation, a + 1, secrets.token_hex(32), "import", now, now, now))
        cursor.execute("SET synchronous_commit = off")
        raw.commit()
        result_rows: list[tuple[Any, ...]] = []
        names = tuple(f"synthetic-{r}" for r in range(RESPONDENTS))
        groups = ("",) * RESPONDENTS
        importance = np.full((RESPONDENTS, len(fw.indicator_keys)), np.nan)
        options = ScoringOptions(bootstrap=0)
        with _bulk(cursor, "answer"):
            for first in range(0, ASSESSMENTS, CHUNK):
                count = min(CHUNK, ASSESSMENTS - first)
                codes = _answers(rng, fw, count)
                with cursor.copy(
                    "COPY answer (assessment_id, invitation_id, indicator_key, option_key, importance, comment, "
                    "answered_at) FROM STDIN"
                ) as copy:
                    copy.write(_answer_block(fw, codes, first + 1))
                for offset in range(count):
                    a = first + offset
                    result = score(ResponseMatrix(fw, names, groups, codes[offset], importance), options)
                    figures = [("", result.overall.stage_number, result.overall.score)]
                    figures += [(c.key, c.stage_number, c.score) for c in result.competencies]
                    for competency, stage, value in figures:
                        head = (a + 1, a // PER_ORGANIZATION + 1, fw.id, fw.version, key, True, closed[a])
                        result_rows.append((*head, competency, stage, value, RESPONDENTS, now))
        with cursor.copy(
            "COPY assessment_result (assessment_id, organization_id, framework_id, framework_version, framework_key, "
            "synthetic, closed_at, competency, stage_number, score, respondents, computed_at) FROM STDIN"
        ) as copy:
            for row in result_rows:
                copy.write_row(row)
        for table in ("organization", "assessment", "invitation"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        raw.commit()
        cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    sessions = make_sessionmaker(engine)
    with transaction(sessions) as db:
        benchmark_pool.changed(db, benchmark_pool.Pool(key, True))
        user = accounts.sign_up(db, f"bench-{secrets.token_hex(4)}@example.com", secrets.token_hex(16), "Bench")
        db.add(Membership(user_id=user.id, organization_id=1, role="owner"))
        user_id = user.id
    return time.perf_counter() - started, user_id


def run() -> list[Row]:
    free = _free_bytes()
    if free < NEEDED_BYTES:
        return [Row("benchmarks: not run", 0.0, 0.0, f"{free / 1024**3:.1f} GB free; the load needs about 8 GB")]
    try:
        with make_engine(POSTGRES).connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        return [Row("benchmarks: not run", 0.0, 0.0, f"PostgreSQL is not reachable at {POSTGRES}: {exc.orig}")]
    fw = synthetic_framework(competencies=COMPETENCIES, per_competency=PER_COMPETENCY)
    answers = ASSESSMENTS * RESPONDENTS * len(fw.indicator_keys)
    with _scratch_schema() as (engine, _schema):
        load_seconds, user_id = _load(engine, fw)
        sessions = make_sessionmaker(engine)
        actor = Actor(user_id)
        asking = PER_ORGANIZATION  # organization 1's newest assessment

        def look(cohort: CohortFilter) -> benchmarks.Benchmark:
            with transaction(sessions) as db:
                return benchmarks.benchmark(db, actor, asking, cohort, K)

        start = time.perf_counter()
        first = look(CohortFilter())
        first_look = time.perf_counter() - start
        assert first.decision.shown, first.message
        with engine.begin() as conn:
            conn.execute(sa.text("ANALYZE benchmark_release_result"))
        with sessions() as db:
            asker = db.get(Assessment, asking)
            assert asker is not None
            own = {d: getattr(asker.organization, d) for d in ("size_band", "industry", "region")}
        # The organization's own size band, or the first of its attributes whose cohort may be shown.
        dimension = next((d for d, v in own.items() if v in first.choices[d]), "size_band")
        narrower = CohortFilter(**{dimension: own[dimension]})
        everyone = _median_time(lambda: look(CohortFilter()))
        by_attribute = _median_time(lambda: look(narrower))
        shown = look(narrower)

        baseline_sql = sa.text(
            "SELECT competency, percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY score) "
            "FROM assessment_result WHERE framework_key = :key GROUP BY competency"
        )

        def plain() -> object:
            with engine.connect() as conn:
                return conn.execute(baseline_sql, {"key": framework_key(fw)}).all()

        baseline = _median_time(plain)

        def close_one() -> None:
            with sessions() as db:
                found = db.get(Assessment, asking)
                assert found is not None
                benchmark_pool.store_result(db, found)
                db.rollback()  # measured, not kept: the release stays as it is

        closing = _median_time(close_one, repeat=3)

        def scan() -> object:
            with engine.connect() as conn:
                return conn.execute(sa.text("SELECT count(*), count(DISTINCT option_key) FROM answer")).all()

        one_pass = _median_time(scan, repeat=1)

    organizations = ASSESSMENTS // PER_ORGANIZATION
    load_note = f"{answers:,} answers, {ASSESSMENTS:,} assessments (synthetic) loaded with COPY in {load_seconds:.0f} s"
    return [
        Row("plain percentile_cont over stored results", baseline, 1.0, load_note),
        Row(
            f"benchmark: 1 of {organizations:,} orgs, all",
            everyone,
            everyone / baseline,
            f"target: under 1 s ({first.decision.others:,} others)",
            everyone < 1.0,
        ),
        Row(
            f"benchmark: one {dimension.replace('_', ' ')}",
            by_attribute,
            by_attribute / baseline,
            f"target: under 1 s ({shown.decision.others:,} others)" if shown.decision.shown else shown.message,
            by_attribute < 1.0,
        ),
        Row("first look, making the release", first_look, first_look / baseline, "once per release"),
        Row("closing one assessment (score, store)", closing, closing / baseline, "1,800 of the answers read"),
        Row(
            f"one pass over all {answers / 1e6:.0f} M answers",
            one_pass,
            one_pass / baseline,
            "what stored results avoid",
        ),
    ]
