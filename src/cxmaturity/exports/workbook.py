"""Write an export as an XLSX workbook: one sheet per table, then ``about``; typed cells, a bold frozen header.

Numbers are numbers, truth values are booleans, dates and times are date cells; text is always a string cell
(openpyxl writes text starting with ``=`` as a formula, so formula-like text is guarded with an apostrophe first,
as in CSV files). An answer key that is a whole number (a 1-5 scale's ``3``) is a number, so that it can be
averaged; the answers reader turns it back into the key.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from cxmaturity.answers.formulas import guard
from cxmaturity.exports.model import Cell, Export, Kind, Table

#: Excel's limit on a cell's text.
MAX_TEXT = 32_767
#: Characters XML 1.0 (and so XLSX) cannot hold: control characters other than tab, line feed and carriage return.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_WHOLE = re.compile(r"0|-?[1-9][0-9]{0,14}")
_WIDTH = (8, 60)


def _text(value: str) -> str:
    clean = _ILLEGAL.sub("\ufffd", value)
    if len(clean) > MAX_TEXT:
        clean = clean[: MAX_TEXT - 1] + "…"
    return guard(clean)


def _key(value: Cell) -> Any:
    if isinstance(value, str) and _WHOLE.fullmatch(value):
        return int(value)
    return _value(value)


def _value(value: Cell) -> Any:
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)  # spreadsheets have no time zones
    return value


def _column(values: Sequence[Cell], kind: Kind) -> Sequence[Any]:
    """Return a column's cell values for openpyxl, converting each distinct value once (columns repeat few values)."""
    convert = _key if kind == "key" else _value
    if kind in ("text", "key"):
        distinct = set(values)
        if all(isinstance(v, str) or v is None for v in distinct):
            converted = {v: convert(v) for v in distinct}
            return [converted[v] for v in values]
    return [convert(v) for v in values]


def _sheet(workbook: Any, table: Table) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet = workbook.create_sheet(table.name[:31])
    sheet.freeze_panes = "A2"
    for n, column in enumerate(table.columns, start=1):
        sheet.column_dimensions[get_column_letter(n)].width = min(max(len(column.name) + 2, _WIDTH[0]), _WIDTH[1])
    bold = Font(bold=True)
    header = []
    for name in table.header:
        cell = WriteOnlyCell(sheet, _text(name))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    if not table.rows:
        return
    columns = list(zip(*table.rows, strict=True))
    ready = [_column(values, column.kind) for values, column in zip(columns, table.columns, strict=True)]
    for row in zip(*ready, strict=True):
        sheet.append(row)


def export_xlsx(export: Export) -> bytes:
    """Return the export as the bytes of an XLSX workbook."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for table in (*export.tables, export.about):
        _sheet(workbook, table)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
