"""Customer outcomes on SYNTHETIC data: key drivers with bootstrap intervals, and a streamed read of a million survey
responses, each against a baseline measured in the same run.

- Key drivers: 10 drivers x 100,000 responses, Johnson's relative weights with 1,000 bootstrap resamples (target:
  under 3 s), against one least-squares fit of the outcome on the drivers (``numpy.linalg.lstsq``).
- Streaming: a synthetic Qualtrics-layout CSV (three header rows) of 1,000,000 responses read by ``SurveyReader``
  into NPS/CSAT/CES tallies by month and segment, against a bare ``csv.reader`` pass over the same file. Peak Python
  heap (tracemalloc) is measured in separate passes over the first 100,000 rows and over all of them: a streamed read
  keeps it flat, apart from the 16 bytes per response of the repeated-id check.
"""

from __future__ import annotations

import csv
import random
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np

from bench.row import Row
from cxmaturity.outcomes import SurveyReader, Tallies, analyze, suggest_mapping
from cxmaturity.outcomes.model import ColumnMapping

DRIVERS = 10
RESPONSES = 100_000
RESAMPLES = 1_000
STREAM_ROWS = 1_000_000

T = TypeVar("T")


def _timed(fn: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def drivers_rows() -> list[Row]:
    rng = np.random.default_rng(13)
    shared = rng.normal(size=(RESPONSES, 1))
    x = np.clip(np.round(3 + rng.normal(size=(RESPONSES, DRIVERS)) + 0.6 * shared), 1, 5)
    y = np.clip(np.round(x @ np.linspace(0.1, 0.6, DRIVERS) + rng.normal(0, 1.5, RESPONSES)), 0, 10)
    names = [f"touchpoint {j + 1}" for j in range(DRIVERS)]
    design = np.column_stack([x, np.ones(RESPONSES)])

    def baseline() -> object:
        return np.linalg.lstsq(design, y, rcond=None)

    baseline()
    base = min(_timed(baseline)[0] for _ in range(5))
    analyze(y[:2000], x[:2000], names, resamples=50)  # warm-up: imports, BLAS threads
    cpu = time.process_time()
    seconds, result = _timed(lambda: analyze(y, x, names, resamples=RESAMPLES, seed=1))
    cpu = time.process_time() - cpu
    widths = [d.interval[1] - d.interval[0] for d in result.drivers if d.interval is not None]
    return [
        Row(
            "one least-squares fit (baseline)",
            base,
            1.0,
            f"{RESPONSES:,} responses x {DRIVERS} drivers (synthetic ratings 1-5, outcome 0-10)",
        ),
        Row(
            f"key drivers, {RESAMPLES:,} bootstrap resamples",
            seconds,
            seconds / base,
            f"R² {result.r2:.3f} (sum of weights), median 90% width {float(np.median(widths)):.4f}, "
            f"{cpu:.2f} s of CPU; target < 3 s",
            seconds < 3.0,
        ),
    ]


HEADER_IDS = ["StartDate", "EndDate", "Status", "Progress", "Finished", "RecordedDate", "ResponseId", "Region"]
QUESTIONS = ["Q1", "Q2", "Q3", "Q4_1", "Q4_2", "Q4_3"]


def write_survey(path: Path, rows: int, seed: int = 3) -> None:
    """Write a SYNTHETIC Qualtrics-layout export of ``rows`` responses (about 5% not finished)."""
    rng = random.Random(seed)
    regions = ["North", "South", "East", "West", "Islands"]
    with path.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(HEADER_IDS + QUESTIONS)
        writer.writerow(
            [*HEADER_IDS, "How likely are you to recommend us?\n(0-10)", "How satisfied are you?",
             "It was easy to get my issue handled.", "Rate: - Billing", "Rate: - Coverage", "Rate: - Support"]
        )  # fmt: skip
        writer.writerow(
            [f'{{"ImportId":"{c}"}}' for c in [*HEADER_IDS, "QID1", "QID2", "QID3", "QID4_1", "QID4_2", "QID4_3"]]
        )
        for i in range(rows):
            month = 1 + i * 12 // rows
            day = f"2026-{month:02d}-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}:00"
            finished = rng.random() > 0.05
            billing, coverage, support = rng.randint(1, 5), rng.randint(1, 5), rng.randint(1, 5)
            nps = min(10, max(0, billing + support + rng.randint(-2, 3)))
            writer.writerow(
                [day, day, "IP Address", 100 if finished else 40, "True" if finished else "False", day,
                 f"R_{i:010d}", regions[i % 5], nps, rng.randint(1, 5), rng.randint(1, 7), billing, coverage, support]
            )  # fmt: skip


def _bare(path: Path) -> int:
    count = 0
    with path.open("r", encoding="utf-8-sig", newline="") as stream:
        for _ in csv.reader(stream):
            count += 1
    return count


def _stream(path: Path, mapping: ColumnMapping, limit: int | None = None) -> tuple[int, int]:
    tallies = Tallies()
    reader = SurveyReader(path, mapping)
    for n, response in enumerate(reader, start=1):
        tallies.add(response)
        if limit is not None and n >= limit:
            break
    return reader.read, reader.problems.count


def _peak(fn: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def stream_rows() -> list[Row]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "synthetic-qualtrics.csv"
        write_survey(path, STREAM_ROWS)
        mapping = suggest_mapping(path).mapping
        bare_cpu = time.process_time()
        bare_s, lines = _timed(lambda: _bare(path))
        bare_cpu = time.process_time() - bare_cpu
        cpu = time.process_time()
        seconds, (read, problems) = _timed(lambda: _stream(path, mapping))
        cpu = time.process_time() - cpu
        small = _peak(lambda: _stream(path, mapping, limit=STREAM_ROWS // 10))
        large = _peak(lambda: _stream(path, mapping))
        size = path.stat().st_size / 1e6
    return [
        Row(
            "bare csv.reader pass (baseline)",
            bare_s,
            1.0,
            f"{lines:,} rows, {size:.0f} MB synthetic Qualtrics CSV, {lines / bare_s:,.0f} rows/s "
            f"({bare_cpu:.1f} s of CPU)",
        ),
        Row(
            f"stream {STREAM_ROWS:,} responses into tallies",
            seconds,
            seconds / bare_s,
            f"{read:,} read, {STREAM_ROWS - read:,} unfinished left out, {problems} problems; "
            f"{STREAM_ROWS / seconds:,.0f} rows/s ({cpu:.1f} s of CPU, {cpu / bare_cpu:.1f} x the baseline's); "
            f"peak heap {small:.1f} MB at 100k rows, {large:.1f} MB at 1M (16 MB of that: the repeated-id check)",
            problems == 0 and large < 64.0,
        ),
    ]


def run() -> list[Row]:
    return drivers_rows() + stream_rows()
