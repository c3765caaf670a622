"""Exporting 2,000 respondents' answers to CSV and XLSX against writing the same rows with the csv module."""

from __future__ import annotations

import csv
import io
import random
from datetime import UTC, datetime

from bench.bench_scoring import best_of
from bench.row import Row
from bench.synthetic import synthetic_framework, synthetic_responses
from cxmaturity.exports import Source, build, write
from cxmaturity.scoring import ScoringOptions, score

RESPONDENTS = 2000


def run() -> list[Row]:
    fw = synthetic_framework()
    responses = synthetic_responses(fw, respondents=RESPONDENTS)
    result = score(responses, ScoringOptions(bootstrap=0))
    source = Source("Benchmark (synthetic)", fw, responses, result, datetime.now(UTC), synthetic=True)
    rows = build(source, "answers", random.Random(1)).table("answers")

    def baseline() -> bytes:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(rows.header)
        writer.writerows(rows.rows)
        return out.getvalue().encode("utf-8")

    def export(fmt: str) -> bytes:
        return write(build(source, "answers"), fmt)

    base = best_of(baseline, repeat=10)
    as_csv = best_of(lambda: export("csv"), repeat=10)
    as_xlsx = best_of(lambda: export("xlsx"), repeat=3)
    cells = RESPONDENTS * len(rows.header)
    label = f"{RESPONDENTS} respondents x {len(fw.indicator_keys)} indicators, {cells:,} cells (synthetic)"
    return [
        Row("csv.writer of the same rows (baseline)", base, 1.0, label),
        Row("answers export as CSV", as_csv, as_csv / base, "target: ratio <= 10", as_csv / base <= 10),
        Row("answers export as XLSX", as_xlsx, as_xlsx / base, "target: under 5 s", as_xlsx < 5.0),
    ]
