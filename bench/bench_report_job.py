"""A report job over a campaign of 200 units on PostgreSQL, with its progress (each unit, each page) against the same
report made as one step in the same run.

The data are bench_units' SYNTHETIC company: 10 regions with 19 stores each, 30 respondents per unit (6,000 in all).
Measured, alternately, ``REPEAT`` times each (median), through the same pool of child processes:

- the baseline, as report jobs were made before they showed progress: the report model built in the caller
  (``services.reports.report``: the roll-up and a scoring per unit for its intervals, inside the read transaction),
  then drawn and written as a PDF in a child (``render_in``), one step;
- the report job as it runs now (``services.long_jobs.run``): the draft read, then the units scored, the charts drawn
  and the pages laid out in the child, which tells the job's thread each step; the thread writes the job's progress
  (at most every ``long_jobs.PROGRESS_SECONDS``) and the finished file. Target: at most 20% over the baseline.

``CXM_BENCH_POSTGRES_URL`` chooses the server.
"""

from __future__ import annotations

import os
import statistics
import time

import sqlalchemy as sa

from bench import bench_units
from bench.row import Row
from cxmaturity.reporting.render_pdf import check_available
from cxmaturity.services import long_jobs, reports
from cxmaturity.services.access import Actor
from cxmaturity.services.cpu_pool import CpuPool
from cxmaturity.settings import Settings
from cxmaturity.storage.database import make_engine, make_sessionmaker, reading, transaction
from cxmaturity.storage.tables import LongJob

REPEAT = int(os.environ.get("CXM_BENCH_REPORT_JOB_REPEAT", "2"))
LIMIT = 1.2


def run() -> list[Row]:
    try:
        with make_engine(bench_units.POSTGRES).connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        return [Row("report job: not run", 0.0, 0.0, f"PostgreSQL is not reachable: {exc.orig}")]
    pool = CpuPool(1)
    settings = Settings(database_url=bench_units.POSTGRES)
    try:
        with bench_units._scratch_schema() as engine:
            user_id, assessment_id = bench_units._load(engine)
            sessions = make_sessionmaker(engine)
            actor = Actor(user_id)

            def one_step() -> None:
                with reading(sessions) as db:
                    model = reports.report(db, actor, assessment_id, settings.benchmark_min_cohort)
                file = reports.render_in(pool, model, "pdf")
                assert file.content.startswith(b"%PDF")

            def job() -> None:
                with transaction(sessions) as db:
                    job_id = long_jobs.start_report(db, actor, assessment_id, "pdf")
                assert long_jobs.run(sessions, settings, pool, job_id) == "done"
                with sessions() as db:
                    found = db.get(LongJob, job_id)
                    assert found is not None
                    assert found.done == found.total == long_jobs.REPORT_STEPS + 201

            pool.run(check_available)  # a child started, WeasyPrint imported, before the first timing
            before: list[float] = []
            after: list[float] = []
            for _ in range(REPEAT):
                for fn, times in ((one_step, before), (job, after)):
                    start = time.perf_counter()
                    fn()
                    times.append(time.perf_counter() - start)
    finally:
        pool.close()
    base, now = statistics.median(before), statistics.median(after)
    load = os.getloadavg()[0]
    return [
        Row("200-unit PDF report, one step", base, 1.0, f"baseline: model in the caller, one render; load {load:.1f}"),
        Row(
            "200-unit PDF report job with progress",
            now,
            now / base,
            f"each unit and page told; target <= {LIMIT:.1f}x",
            now / base <= LIMIT,
        ),
    ]
