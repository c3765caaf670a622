"""Loading and validating each built-in framework, against parsing the same YAML alone."""

from __future__ import annotations

import yaml

from bench.bench_scoring import best_of
from bench.row import Row
from cxmaturity.frameworks import builtin_ids, load_framework_text
from cxmaturity.frameworks.catalog import builtin_path


def run() -> list[Row]:
    rows = []
    for fid in builtin_ids():
        text = builtin_path(fid).read_text(encoding="utf-8")
        parse = best_of(lambda text=text: yaml.load(text, Loader=yaml.CSafeLoader), repeat=10)  # type: ignore[misc]
        load = best_of(lambda text=text, fid=fid: load_framework_text(text, fid), repeat=10)  # type: ignore[misc]
        rows.append(
            Row(f"load + validate {fid}", load, load / parse, "target: under 100 ms; ratio vs YAML parse", load < 0.1)
        )
    return rows
