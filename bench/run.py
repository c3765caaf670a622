"""Run every benchmark and print times with their ratio to the baseline measured in the same run.

Usage: ``make bench`` (or ``python bench/run.py [SUITE ...]``, suites: scoring method frameworks planning web reports
exports benchmarks outcomes outcomes-store load heavy faults import workshop queue units report-job).
Benchmarks use SYNTHETIC data.
"""

from __future__ import annotations

import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import (
    bench_benchmarks,
    bench_exports,
    bench_faults,
    bench_frameworks,
    bench_heavy,
    bench_import,
    bench_load,
    bench_method,
    bench_outcomes,
    bench_outcomes_store,
    bench_planning,
    bench_queue,
    bench_report_job,
    bench_reports,
    bench_scoring,
    bench_units,
    bench_web,
    bench_workshop,
)


def main() -> int:
    print(f"cx-maturity benchmarks on {platform.machine()}, Python {platform.python_version()} (synthetic data)")
    failed = False
    only = set(sys.argv[1:])
    suites = (
        ("scoring", bench_scoring.run),
        ("method", bench_method.run),
        ("frameworks", bench_frameworks.run),
        ("planning", bench_planning.run),
        ("web", bench_web.run),
        ("reports", bench_reports.run),
        ("exports", bench_exports.run),
        ("benchmarks", bench_benchmarks.run),
        ("outcomes", bench_outcomes.run),
        ("outcomes-store", bench_outcomes_store.run),
        ("load", bench_load.run),
        ("heavy", bench_heavy.run),
        ("faults", bench_faults.run),
        ("import", bench_import.run),
        ("workshop", bench_workshop.run),
        ("queue", bench_queue.run),
        ("units", bench_units.run),
        ("report-job", bench_report_job.run),
    )
    for name, run in suites:
        if only and name not in only:
            continue
        print(f"\n{name}", flush=True)
        for row in run():
            mark = {True: "ok", False: "MISSED", None: "  "}[row.ok]
            failed = failed or row.ok is False
            print(
                f"  {row.label:<42} {row.seconds * 1000:9.2f} ms  ratio {row.ratio:6.2f}  {mark:<6} {row.note}",
                flush=True,
            )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
