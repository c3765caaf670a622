"""Write an export as files: a CSV file per table (or a zip of them), an XLSX workbook, or a JSON document.

CSV files are UTF-8 with a byte-order mark (so that Excel reads accents right) and RFC 4180 line ends; numbers are
written in full, truth values as ``true``/``false``, dates as ISO 8601, empty cells as nothing. Text that a
spreadsheet would run as a formula gets a leading apostrophe (``answers.formulas.guard``).
"""

from __future__ import annotations

import csv
import io
import json
import math
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date, datetime

from cxmaturity.answers.formulas import guard
from cxmaturity.exports.build import ABOUT_SENTENCES
from cxmaturity.exports.catalog import ExportError, wanted
from cxmaturity.exports.headings import localized
from cxmaturity.exports.model import Cell, Export, Kind, Table

BOM = "\ufeff"


def csv_cell(value: Cell) -> str:
    """Return a cell as CSV text."""
    if value is None:
        return ""
    if isinstance(value, str):
        return guard(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _csv_column(values: Sequence[Cell], kind: Kind) -> Sequence[Cell]:
    """Return a column ready for ``csv.writer``, converting each distinct value once (columns repeat few values).

    The writer itself writes None as nothing, int with str() and float with repr(), as :func:`csv_cell` does.
    """
    distinct = set(values)
    if kind in ("text", "key") and all(isinstance(v, str) or v is None for v in distinct):
        changed = {v: guard(v) for v in distinct if isinstance(v, str) and guard(v) != v}
        return [changed.get(v, v) for v in values] if changed else values  # type: ignore[arg-type]
    if kind in ("integer", "number") and all(
        v is None or type(v) is int or (type(v) is float and not math.isnan(v)) for v in distinct
    ):
        return values
    return [csv_cell(v) for v in values]


def table_csv(table: Table) -> bytes:
    """Return one table as a CSV file."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_cell(name) for name in table.header])
    if table.rows:
        columns = list(zip(*table.rows, strict=True))
        ready = [_csv_column(values, column.kind) for values, column in zip(columns, table.columns, strict=True)]
        writer.writerows(zip(*ready, strict=True))
    return out.getvalue().encode("utf-8")


def export_zip(export: Export, stamp: datetime | None = None) -> bytes:
    """Return a zip with one CSV file per table and ``about.csv``; ``stamp`` dates the entries."""
    when = (stamp or datetime(2000, 1, 1)).timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for table in (*export.tables, export.about):
            entry = zipfile.ZipInfo(f"{'about' if table is export.about else table.name}.csv", date_time=when)
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, table_csv(table))
    return out.getvalue()


def _json_default(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON data")


def export_json(export: Export) -> bytes:
    return (json.dumps(export.document, ensure_ascii=False, indent=2, default=_json_default) + "\n").encode("utf-8")


def write(export: Export, fmt: str, language: str | None = None) -> bytes:
    """Return the export in ``fmt`` (csv, zip, xlsx or json); ``language``: headers (and sheet names) in that language
    rather than the stable names (``exports.headings``; JSON always keeps the stable names)."""
    wanted(export.name, fmt)
    stamp = _stamp(export)
    shown = localized(export, language, ABOUT_SENTENCES) if fmt != "json" else export
    if fmt == "csv":
        return table_csv(_single(shown.tables, export.name))
    if fmt == "zip":
        # The files inside keep their stable names (answers.csv): they are file names that scripts open.
        return export_zip(replace(shown, tables=_renamed(shown.tables, export.tables)), stamp)
    if fmt == "xlsx":
        from cxmaturity.exports.workbook import export_xlsx

        return export_xlsx(shown, stamp)
    return export_json(export)


def _renamed(tables: Sequence[Table], names: Sequence[Table]) -> tuple[Table, ...]:
    return tuple(replace(t, name=n.name) for t, n in zip(tables, names, strict=True))


def _single(tables: Iterable[Table], name: str) -> Table:
    found = list(tables)
    if len(found) != 1:
        raise ExportError(f"the {name} export has {len(found)} tables and a CSV file holds one")
    return found[0]


def _stamp(export: Export) -> datetime | None:
    for field, value in export.about.rows:
        if field == "exported_at_utc" and isinstance(value, datetime):
            return value
    return None
