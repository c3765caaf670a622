"""Run every benchmark and print times with their ratio to the baseline measured in the same run.

Usage: ``make bench`` (or ``python bench/run.py``). Benchmarks use SYNTHETIC data generated in bench/synthetic.py.
"""

from __future__ import annotations

import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import bench_frameworks, bench_scoring

LIMITS = {
    "score, agreement + groups, no bootstrap": ("ratio", 3.0),
    "score with 1,000 bootstrap resamples": ("seconds", 2.0),
}


def main() -> int:
    print(f"cx-maturity benchmarks on {platform.machine()}, Python {platform.python_version()} (synthetic data)")
    failed = False
    for name, rows in (("scoring", bench_scoring.run()), ("frameworks", bench_frameworks.run())):
        print(f"\n{name}")
        for label, seconds, ratio, note in rows:
            kind, limit = LIMITS.get(label, ("seconds", 0.1) if label.startswith("load") else ("", 0.0))
            value = ratio if kind == "ratio" else seconds
            ok = not kind or value <= limit
            failed = failed or not ok
            print(f"  {label:<45} {seconds * 1000:9.2f} ms  ratio {ratio:6.2f}  {'ok' if ok else 'OVER'}  {note}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
