"""The executive scorecard as files: one long table (CSV), the same table and ``about`` as an XLSX workbook, and the
scorecard's JSON (``reporting.scorecard.to_dict``). Spreadsheet formulas are neutralized as in every export."""

from __future__ import annotations

import json
from datetime import datetime

from cxmaturity.exports.files import table_csv
from cxmaturity.exports.model import Column, Export, Table
from cxmaturity.reporting.scorecard import Scorecard, rows, to_dict

FORMATS = ("csv", "xlsx", "json")
COLUMNS = (
    Column("part", "text", "maturity, outcome or customer asset"),
    Column("item", "text", "a competency key (or overall), a metric key, or an asset figure"),
    Column("name", "text", "what the item is called"),
    Column("period", "text", "the quarter (2026-Q1), or the asset's date range"),
    Column("value", "number", "maturity score, metric value, or number of customers"),
    Column("low", "number", "the 90% interval's lower end, where there is one"),
    Column("high", "number", "the 90% interval's upper end, where there is one"),
    Column("n", "integer", "respondents or responses behind the value"),
    Column("detail", "text", "the stage, the metric's unit, or the value of an asset figure"),
)


def scorecard_export(card: Scorecard, exported_at: datetime) -> Export:
    names = tuple(c.name for c in COLUMNS)
    table = Table("scorecard", COLUMNS, [tuple(r[n] for n in names) for r in rows(card)])
    about = Table(
        "about",
        (Column("field", "text"), Column("value", "mixed")),
        [
            ("organization", card.organization),
            ("exported_at_utc", exported_at),
            ("synthetic", card.synthetic),
            ("min_segment_size", card.min_segment_size),
            ("data", "SYNTHETIC demo data" if card.synthetic else "the organization's own data"),
        ],
    )
    return Export("scorecard", (table,), about, lambda: to_dict(card), card.synthetic)


def write_scorecard(card: Scorecard, fmt: str, exported_at: datetime) -> bytes:
    """The scorecard in ``fmt`` (csv, xlsx or json)."""
    export = scorecard_export(card, exported_at)
    if fmt == "csv":
        return table_csv(export.tables[0])
    if fmt == "xlsx":
        from cxmaturity.exports.workbook import export_xlsx

        return export_xlsx(export)
    if fmt == "json":
        return (json.dumps(export.document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    raise ValueError(f"the scorecard is written as {', '.join(FORMATS)}, not {fmt}")
