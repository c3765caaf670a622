"""Executive reports of a stored assessment with 2,000 SYNTHETIC respondents and a saved plan, end to end through the
service a download calls (load the answers, score with the bootstrap, build the report, draw the charts, write the
file), against the dashboard's work for the same assessment (load, score, view model), measured in the same run.

Peak memory is the Python heap's high-water mark during one run (tracemalloc; Pango's and vl-convert's own native
buffers are not counted), and the process's resident high-water mark at the end.
"""

from __future__ import annotations

import resource
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from bench.bench_scoring import best_of
from bench.row import Row
from cxmaturity.demo import SYNTHETIC_LABEL, demo_responses
from cxmaturity.frameworks import load_builtin
from cxmaturity.reporting import svg, view
from cxmaturity.services import accounts, assessments, organizations, plans, reports, results
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import make_engine, make_sessionmaker, transaction, upgrade

RESPONDENTS = 2000
GROUPS = 10
FRAMEWORK = "xm-six-competencies"


def _peak_mb(fn: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def run() -> list[Row]:
    cold: float | None = None
    if not svg._warmed:
        start = time.perf_counter()
        svg.warm()
        cold = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        engine = make_engine(url)
        try:
            upgrade(url, engine)
            sessions = make_sessionmaker(engine)
            fw = load_builtin(FRAMEWORK)
            size = RESPONDENTS // GROUPS
            groups = tuple((f"Team {g + 1}", (g % 5 - 2) * 0.2, size) for g in range(GROUPS))
            with transaction(sessions) as db:
                user = accounts.sign_up(db, "bench@example.com", "benchmark password 123", "Bench")
                actor = Actor(user.id)
                org = organizations.create(db, actor, "Benchmark Co (SYNTHETIC)")
                created = assessments.create(
                    db,
                    actor,
                    org.id,
                    f"Benchmark ({SYNTHETIC_LABEL})",
                    f"builtin:{FRAMEWORK}",
                    groups=[name for name, _, _ in groups],
                    synthetic=True,
                )
                db.flush()
                ids = {g.name: g.id for g in assessments.groups(db, created.id)}
                assessments.store_responses(db, created, demo_responses(fw, seed=3, groups=groups), ids, source="link")
                plans.make(db, actor, created.id)
                assessment_id = created.id

            def dashboard() -> object:
                with sessions() as db:
                    return view.of(results.results(db, actor, assessment_id))

            def report(fmt: reports.ReportFormat, paper: str = "a4") -> bytes:
                with sessions() as db:
                    model = reports.report(db, actor, assessment_id)
                return reports.render(model, *reports.check_format(fmt, paper)).content

            base = best_of(dashboard, repeat=5)
            html = best_of(lambda: report("html"), repeat=5)
            pdf = best_of(lambda: report("pdf"), repeat=3)
            letter = best_of(lambda: report("pdf", "letter"), repeat=1)
            base_mb = _peak_mb(dashboard)
            html_mb = _peak_mb(lambda: report("html"))
            pdf_mb = _peak_mb(lambda: report("pdf"))
            size_kb = len(report("pdf")) / 1024
        finally:
            engine.dispose()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    label = f"{RESPONDENTS} respondents in {GROUPS} groups, plan saved (synthetic); heap peak {base_mb:.0f} MB"
    rows = [
        Row("results dashboard model (baseline)", base, 1.0, label),
        Row(
            "HTML report (one file, charts as SVG)",
            html,
            html / base,
            f"target: under 1 s; heap peak {html_mb:.0f} MB ({html_mb / base_mb:.1f}x)",
            html < 1.0,
        ),
        Row(
            f"PDF report, A4 ({size_kb:.0f} KB)",
            pdf,
            pdf / base,
            f"target: under 5 s; heap peak {pdf_mb:.0f} MB ({pdf_mb / base_mb:.1f}x); process RSS peak {rss_mb:.0f} MB",
            pdf < 5.0,
        ),
        Row("PDF report, US Letter (one run)", letter, letter / base, "target: under 5 s", letter < 5.0),
    ]
    if cold is not None:
        rows.append(Row("chart engine start (once per process)", cold, cold / base, "paid by the first report"))
    return rows
