"""Exporting the answers of many respondents (18,000 x 37, issue 12) to CSV and XLSX against writing the same rows
with the csv module, and against openpyxl's write-only workbook (what the XLSX export used before)."""

from __future__ import annotations

import csv
import io
import os
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime

from bench.bench_scoring import paired_fastest
from bench.row import Row
from bench.synthetic import synthetic_responses
from cxmaturity.exports import Source, Table, build, write
from cxmaturity.frameworks import load_builtin
from cxmaturity.scoring import ScoringOptions, score

RESPONDENTS = int(os.environ.get("CXM_BENCH_EXPORT_RESPONDENTS", "18000"))
#: The import benchmark's framework: 37 indicators.
FRAMEWORK = "xm-six-competencies"


def _openpyxl(table: Table) -> bytes:
    """The same rows through openpyxl's write-only workbook: a typed cell per value, a bold header."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(table.name)
    bold = Font(bold=True)
    header = []
    for name in table.header:
        cell = WriteOnlyCell(sheet, name)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in table.rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _cpu(fn: Callable[[], object]) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


def run() -> list[Row]:
    fw = load_builtin(FRAMEWORK)
    responses = synthetic_responses(fw, respondents=RESPONDENTS)
    result = score(responses, ScoringOptions(bootstrap=0))
    source = Source("Benchmark (synthetic)", fw, responses, result, datetime.now(UTC), synthetic=True)
    table = build(source, "answers", random.Random(1)).table("answers")

    def baseline() -> bytes:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(table.header)
        writer.writerows(table.rows)
        return out.getvalue().encode("utf-8")

    def export(fmt: str) -> bytes:
        return write(build(source, "answers"), fmt)

    # Taken in turns with the baseline, fastest of each: both meet the same load of a busy machine.
    base, as_csv = paired_fastest(baseline, lambda: export("csv"), repeat=3)
    base_x, as_xlsx = paired_fastest(baseline, lambda: export("xlsx"), repeat=3)
    base = min(base, base_x)
    # CPU time as well: on a machine busy with other work, wall times say more about the others than about this.
    cpu_base = min(_cpu(baseline) for _ in range(3))
    cpu_xlsx = min(_cpu(lambda: export("xlsx")) for _ in range(2))
    before = time.perf_counter()
    cpu_openpyxl = _cpu(lambda: _openpyxl(table))
    openpyxl_seconds = time.perf_counter() - before
    cells = RESPONDENTS * len(table.header)
    label = f"{RESPONDENTS:,} respondents x {len(fw.indicator_keys)} indicators, {cells:,} cells (synthetic)"
    return [
        Row("csv.writer of the same rows (baseline)", base, 1.0, label),
        Row("answers export as CSV", as_csv, as_csv / base, "target: ratio <= 10", as_csv / base <= 10),
        Row(
            "answers export as XLSX",
            as_xlsx,
            as_xlsx / base,
            f"target: CPU under 2 s and under a quarter of openpyxl's: {cpu_xlsx:.2f} s, "
            f"{cpu_xlsx / cpu_base:.1f}x the baseline's {cpu_base:.2f} s; openpyxl's below / this: "
            f"{cpu_openpyxl / cpu_xlsx:.1f}",
            cpu_xlsx < 2.0 and cpu_xlsx * 4 < cpu_openpyxl,
        ),
        Row(
            "same rows, openpyxl write-only (before)",
            openpyxl_seconds,
            openpyxl_seconds / base,
            f"CPU {cpu_openpyxl:.2f} s ({cpu_openpyxl / cpu_base:.1f}x the baseline's); one run",
        ),
    ]
