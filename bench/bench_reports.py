"""Executive reports of a stored assessment with 2,000 SYNTHETIC respondents and a saved plan, end to end through the
service a download calls (load the answers, score with the bootstrap, build the report, draw the charts, write the
file), against the dashboard's work for the same assessment (load, score, view model), measured in the same run.

Peak memory is measured twice: the Python heap's high-water mark during one run (tracemalloc, in this process), and
the resident high-water mark of a fresh process that does the work once (VmHWM, which also counts the native
memory of vl-convert's JavaScript engine and of Pango that tracemalloc does not see).
"""

from __future__ import annotations

import multiprocessing
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


def _seed(url: str) -> tuple[int, int]:
    """Create the SYNTHETIC assessment and its plan; return the facilitator's user id and the assessment id."""
    sessions = make_sessionmaker(make_engine(url))
    fw = load_builtin(FRAMEWORK)
    size = RESPONDENTS // GROUPS
    groups = tuple((f"Team {g + 1}", (g % 5 - 2) * 0.2, size) for g in range(GROUPS))
    with transaction(sessions) as db:
        user = accounts.sign_up(db, "reports@example.com", "correct horse battery staple", "Benchmark")
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
        return user.id, created.id


def _work(url: str, user_id: int, assessment_id: int, what: str) -> Callable[[], object]:
    """The dashboard's model ("dashboard"), or a report ("html", "pdf-a4", "pdf-letter", "pptx"), as a function to
    time."""
    sessions = make_sessionmaker(make_engine(url))
    actor = Actor(user_id)

    def dashboard() -> object:
        with sessions() as db:
            return view.of(results.results(db, actor, assessment_id))

    def report() -> bytes:
        fmt, _, paper = what.partition("-")
        with sessions() as db:
            model = reports.report(db, actor, assessment_id)
        return reports.render(model, *reports.check_format(fmt, paper or "a4")).content

    return dashboard if what == "dashboard" else report


def _resident_peak_mb() -> float:
    """This process's resident high-water mark. Linux's VmHWM belongs to the process image (ru_maxrss would carry
    over the parent's peak through fork and exec)."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _fresh_process_peak(url: str, user_id: int, assessment_id: int, what: str) -> float:
    """Run once in this (fresh) process; return its resident high-water mark in MB."""
    _work(url, user_id, assessment_id, what)()
    return _resident_peak_mb()


def _cpu_seconds(fn: Callable[[], object]) -> float:
    """Processor time of one run, all threads (vl-convert's engine included): what the run costs on a machine that
    other work keeps busy, where wall time also counts the waiting."""
    start = time.process_time()
    fn()
    return time.process_time() - start


def _heap_peak_mb(fn: Callable[[], object]) -> float:
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
        upgrade(url, make_engine(url))
        user_id, assessment_id = _seed(url)
        kinds = ("dashboard", "html", "pdf-a4", "pdf-letter", "pptx")
        work = {w: _work(url, user_id, assessment_id, w) for w in kinds}
        base = best_of(work["dashboard"], repeat=5)
        html = best_of(work["html"], repeat=5)
        pdf = best_of(work["pdf-a4"], repeat=3)
        letter = best_of(work["pdf-letter"], repeat=2)
        deck = best_of(work["pptx"], repeat=3)
        deck_kb = len(work["pptx"]()) / 1024  # type: ignore[arg-type]
        cpu = {w: _cpu_seconds(work[w]) for w in ("dashboard", "html", "pdf-a4")}
        heap = {w: _heap_peak_mb(work[w]) for w in ("dashboard", "html", "pdf-a4")}
        size_kb = len(work["pdf-a4"]()) / 1024  # type: ignore[arg-type]
        with multiprocessing.get_context("spawn").Pool(1, maxtasksperchild=1) as pool:
            rss = {
                w: pool.apply(_fresh_process_peak, (url, user_id, assessment_id, w))
                for w in ("dashboard", "html", "pdf-a4")
            }

    def memory(what: str) -> str:
        return (
            f"CPU {cpu[what]:.2f} s; heap peak {heap[what]:.0f} MB ({heap[what] / heap['dashboard']:.1f}x), "
            f"fresh-process RSS peak {rss[what]:.0f} MB ({rss[what] / rss['dashboard']:.1f}x)"
        )

    label = f"{RESPONDENTS} respondents in {GROUPS} groups, plan saved (synthetic); {memory('dashboard')}"
    rows = [
        Row("results dashboard model (baseline)", base, 1.0, label),
        Row(
            "HTML report (one file, charts as SVG)", html, html / base, f"target: under 1 s; {memory('html')}", html < 1
        ),
        Row(f"PDF report, A4 ({size_kb:.0f} KB)", pdf, pdf / base, f"target: under 5 s; {memory('pdf-a4')}", pdf < 5),
        Row("PDF report, US Letter", letter, letter / base, "target: under 5 s", letter < 5.0),
        # Slides draw their charts as PNG (larger than SVG to rasterize); held to the PDF's target.
        Row(f"Executive slides, PPTX ({deck_kb:.0f} KB)", deck, deck / base, "target: under 5 s", deck < 5.0),
    ]
    if cold is not None:
        rows.append(Row("chart engine start (once per process)", cold, cold / base, "paid by the first report"))
    return rows
