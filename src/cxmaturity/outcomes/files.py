"""Rows of CSV and XLSX files, streamed one at a time, and the cell readers every outcome file shares.

CSV files are read as UTF-8 (a byte-order mark is dropped) with the delimiter of the first line (comma, semicolon or
tab); quoted cells may hold line breaks, so a row is numbered by the line it starts on. XLSX workbooks are read with
openpyxl in read-only mode (constant memory) from their first sheet (:func:`first_sheet` names it, for previews to
say which sheet of several was read); their rows are numbered as the spreadsheet numbers them. Nothing is held beyond
the current row.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from cxmaturity.answers.builder import Where
from cxmaturity.answers.xlsx_reader import merged_cells, unsaved_formulas
from cxmaturity.outcomes.model import ISO
from cxmaturity.outcomes.problems import OutcomesError, Problem

#: One cell: text from a CSV file; text, a number, a date or None from a workbook.
CellValue = str | int | float | datetime | date | time | bool | None


class FileError(OutcomesError):
    """A file that cannot be read at all (missing, not text, not a workbook)."""

    def __init__(self, file: str, message: str, row: int | None = None) -> None:
        super().__init__([Problem(Where(file, row), message)])


@dataclass(slots=True)
class Row:
    """A row of a file: its 1-based number (the line it starts on) and its cells.

    Slotted and not frozen: one is made per row (a million in a large import), twice as fast; nothing changes it."""

    number: int
    cells: list[CellValue]


def is_workbook(path: Path) -> bool:
    """Return whether ``path`` is an XLSX workbook (by its name, else by its zip signature)."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return True
    try:
        with path.open("rb") as stream:
            return stream.read(4) == b"PK\x03\x04"
    except OSError:
        return False


def first_sheet(path: Path) -> tuple[str, int] | None:
    """Return the name of the sheet a workbook is read from (its first) and how many sheets it has; None for a CSV
    file (or a file that is not a readable workbook: reading its rows says why)."""
    if not is_workbook(path):
        return None
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True)
    except Exception:  # openpyxl raises zip, XML and key errors alike for a file that is not a workbook
        return None
    try:
        names = list(workbook.sheetnames)
    finally:
        workbook.close()
    return (names[0], len(names)) if names else None


def rows(path: Path) -> Iterator[Row]:
    """Yield the rows of a CSV or XLSX file; raise :class:`FileError` naming the file (and row) when it cannot be
    read."""
    if not path.exists():
        raise FileError(str(path), "no such file")
    if path.is_dir():
        raise FileError(str(path), "is a folder, not a file")
    if is_workbook(path):
        return _xlsx_rows(path)
    return _csv_rows(path)


def _delimiter(path: Path) -> str:
    with path.open("r", encoding="utf-8-sig", errors="replace", newline="") as stream:
        first = stream.readline(1 << 16)
    # Quoted question texts may hold any punctuation: count outside quotes only.
    outside = re.sub(r'"[^"]*"?', "", first)
    counts = {d: outside.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv_rows(path: Path) -> Iterator[Row]:
    file = str(path)
    try:
        delimiter = _delimiter(path)
        stream = path.open("r", encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise FileError(file, f"cannot read the file: {exc.strerror or exc}") from None
    with stream:
        reader = csv.reader(stream, delimiter=delimiter)
        start = 1
        try:
            for cells in reader:
                # A row of empty cells (",,,") is skipped like an empty line; csv.reader gives a fresh list per row.
                if any(cells) and (len(cells) > 1 or cells[0].strip()):
                    yield Row(start, cells)  # type: ignore[arg-type]  # list[str] is a list of cell values
                start = reader.line_num + 1
        except UnicodeDecodeError:
            raise FileError(file, "is not UTF-8 text (near this row); save or export it as CSV UTF-8", start) from None
        except csv.Error as exc:
            raise FileError(file, f"is not a readable CSV file: {exc}", start) from None


def _xlsx_rows(path: Path) -> Iterator[Row]:
    from openpyxl import load_workbook

    file = str(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # openpyxl raises zip, XML and key errors alike for a file that is not a workbook
        raise FileError(file, "not an XLSX workbook; save the file as .xlsx (Excel 2007 or later) or as CSV") from None
    try:
        sheet = workbook.worksheets[0]
        if found := unsaved_formulas(path, sheet.title, file) + merged_cells(path, sheet.title, file):
            raise OutcomesError([Problem(p.where, p.message) for p in found])
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells: list[CellValue] = list(values)
            if any(c is not None and str(c).strip() for c in cells):
                yield Row(number, cells)
    finally:
        workbook.close()


# --------------------------------------------------------------------------------------------------------------------
# Cells


def text(cell: CellValue) -> str:
    """Return a cell as the text a CSV file would hold (a whole number without ``.0``, a date in ISO form)."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "TRUE" if cell else "FALSE"
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime):
        return cell.isoformat(sep=" ")
    if isinstance(cell, date | time):
        return cell.isoformat()
    return str(cell).strip()


_LEADING = re.compile(r"^\s*(-?\d+(?:[.,]\d+)?)\s*(?:$|[-–:.)(=]|\s)")
_TRAILING = re.compile(r"(?:^|[-–:(=]|\s)\s*(-?\d+(?:[.,]\d+)?)\s*\)?\s*$")


def number(cell: CellValue) -> float | None:
    """Return a cell's number: a plain number (``7``, ``7.5``, ``7,5``), or a label that starts or ends with one
    (``5 - Very satisfied``, ``Extremely likely - 10``); None for an empty cell. Raise ValueError otherwise."""
    if cell is None:
        return None
    if isinstance(cell, bool):
        raise ValueError("a yes/no value is not a rating")
    if isinstance(cell, int | float):
        if isinstance(cell, float) and not math.isfinite(cell):
            raise ValueError("not a finite number")
        return float(cell)
    if isinstance(cell, datetime | date | time):
        raise ValueError("a date is not a rating")
    value = cell.strip()
    if not value:
        return None
    for pattern in (None, _LEADING, _TRAILING):
        found = value if pattern is None else (m.group(1) if (m := pattern.search(value)) else None)
        if found is None:
            continue
        try:
            result = float(found.replace(",", "."))
        except ValueError:
            continue
        if math.isfinite(result):
            return result
    raise ValueError("not a number")


def whole(cell: CellValue, low: int, high: int) -> int | None:
    """Return a cell's whole number on the scale ``low``-``high``; None for an empty cell; ValueError otherwise."""
    value = number(cell)
    if value is None:
        return None
    if not value.is_integer() or not low <= value <= high:
        shown = int(value) if value.is_integer() else value
        raise ValueError(f"{shown} is not on the scale {low}-{high}")
    return int(value)


def moment(cell: CellValue, date_format: str) -> datetime | None:
    """Return a cell's date and time read with ``date_format`` (``iso`` or a strptime format); a workbook's own
    date cells are taken as they are. None for an empty cell; ValueError naming the format otherwise."""
    if cell is None:
        return None
    if isinstance(cell, datetime):
        return cell.replace(tzinfo=None)
    if isinstance(cell, date):
        return datetime(cell.year, cell.month, cell.day)
    value = text(cell)
    if not value:
        return None
    if date_format == ISO:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"'{value}' is not a date in ISO form (YYYY-MM-DD, optionally with hh:mm:ss)") from None
        # Times are compared and grouped by month as the file states them; an offset is dropped, not converted.
        return parsed.replace(tzinfo=None)
    try:
        return datetime.strptime(value, date_format)
    except ValueError:
        raise ValueError(f"'{value}' is not a date in the format {date_format}") from None


def day(cell: CellValue, date_format: str) -> date | None:
    """Return a cell's calendar day (see :func:`moment`)."""
    found = moment(cell, date_format)
    return None if found is None else found.date()


_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}


def flag(cell: CellValue) -> bool | None:
    """Return a True/False cell (``True``, ``1``, ``yes`` and their opposites); None for empty; ValueError
    otherwise."""
    if cell is None:
        return None
    if isinstance(cell, bool):
        return cell
    value = text(cell).lower()
    if not value:
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"'{text(cell)}' is neither True nor False (nor 1 or 0)")
