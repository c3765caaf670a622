"""CRM customer lists and operational (O-data) series from CSV or XLSX files, with every problem named.

A customer list has one customer per row: an id, a start date, an end date (empty while still a customer), a value
per year and optionally a segment. O-data has one measurement per row: a metric's name, a date, a value and
optionally a segment. Column names are matched ignoring case and spacing; :class:`CustomerColumns` and
:class:`ODataColumns` name them (their defaults also accept a few common spellings, e.g. ``customer id``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from itertools import islice
from pathlib import Path

from cxmaturity.answers.builder import Where
from cxmaturity.outcomes.files import CellValue, FileError, Row, day, number, rows, text
from cxmaturity.outcomes.model import ISO, Customer, ODataPoint
from cxmaturity.outcomes.problems import MAX_PROBLEMS, ProblemLog

_ALIASES = {
    "customer_id": ("customer_id", "customer id", "customerid", "customer", "id", "account id", "account_id"),
    "start": ("start", "start_date", "start date", "customer since", "since", "created"),
    "end": ("end", "end_date", "end date", "churn date", "churned", "closed"),
    "value": ("value", "value_per_year", "value per year", "annual value", "yearly value", "arr", "revenue"),
    "segment": ("segment",),
    "metric": ("metric", "name", "kpi"),
    "date": ("date", "day", "period"),
}


@dataclass(frozen=True)
class CustomerColumns:
    """The columns of a customer list (None: the default name or one of its common spellings)."""

    customer_id: str | None = None
    start: str | None = None
    end: str | None = None
    value: str | None = None
    #: None: a column named ``segment`` when the file has one; "" for none.
    segment: str | None = None
    date_format: str = ISO


@dataclass(frozen=True)
class ODataColumns:
    metric: str | None = None
    date: str | None = None
    value: str | None = None
    segment: str | None = None
    date_format: str = ISO


def _norm(value: str) -> str:
    return " ".join(value.split()).casefold()


class _Table:
    """The header of a one-header-row file and where each wanted column is; a missing required one is a problem."""

    def __init__(self, path: Path, problems: ProblemLog) -> None:
        self.file = str(path)
        self.rows = rows(path)
        header = next(self.rows, None)
        if header is None:
            raise FileError(self.file, "is empty: expected a header row")
        self.header = [text(c) for c in header.cells]
        self.header_row = header.number
        self.problems = problems
        self.index: dict[str, int] = {}

    def want(self, role: str, name: str | None, required: bool) -> None:
        names = (name,) if name else _ALIASES[role]
        for wanted in names:
            for i, cell in enumerate(self.header):
                if _norm(cell) == _norm(wanted):
                    self.index[role] = i
                    return
        if required:
            shown = name or _ALIASES[role][0]
            self.problems.add(
                Where(self.file, self.header_row, shown),
                f"missing required column '{shown}' (the header has: {', '.join(self.header[:30])})",
            )
        elif name:
            self.problems.add(Where(self.file, self.header_row, name), f"no column '{name}' in the header")

    def cell(self, r: Row, role: str) -> CellValue:
        i = self.index.get(role)
        return None if i is None or i >= len(r.cells) else r.cells[i]

    def where(self, r: Row, role: str) -> Where:
        i = self.index.get(role)
        return Where(self.file, r.number, self.header[i] if i is not None else role)


def iter_customers(
    path: Path, columns: CustomerColumns = CustomerColumns(), problems: ProblemLog | None = None
) -> Iterator[Customer]:
    """Yield the customers of a list, collecting problems (an unreadable date with its format, an end date before
    the start date, a repeated customer id, a value that is not a non-negative number) in ``problems``; rows with a
    problem are not yielded."""
    log = problems if problems is not None else ProblemLog()
    table = _Table(path, log)
    for role in ("customer_id", "start", "value"):
        table.want(role, getattr(columns, role), required=True)
    table.want("end", columns.end, required=True)
    if columns.segment != "":
        table.want("segment", columns.segment, required=columns.segment is not None)
    if log:
        return
    seen: dict[str, int] = {}
    fmt = columns.date_format
    for r in table.rows:
        before = log.count
        customer_id = text(table.cell(r, "customer_id"))
        if not customer_id:
            log.add(table.where(r, "customer_id"), "the customer id is empty")
        elif customer_id in seen:
            log.add(table.where(r, "customer_id"), f"repeats customer '{customer_id}' of row {seen[customer_id]}")
        else:
            seen[customer_id] = r.number
        start = _day(table, r, "start", fmt, log, required=True)
        end = _day(table, r, "end", fmt, log, required=False)
        if start is not None and end is not None and end < start:
            log.add(
                table.where(r, "end"),
                f"the end date {end.isoformat()} is before the start date {start.isoformat()}",
            )
        value = _value(table, r, "value", log)
        if log.count > before:
            continue
        assert start is not None
        assert value is not None
        segment = text(table.cell(r, "segment")) or None
        yield Customer(customer_id, start, end, value, segment, r.number)


def read_customers(path: Path, columns: CustomerColumns = CustomerColumns()) -> list[Customer]:
    """Return every customer of a list; raise :class:`OutcomesError` listing every problem."""
    log = ProblemLog(MAX_PROBLEMS)
    customers = list(iter_customers(path, columns, log))
    log.check()
    return customers


def iter_odata(
    path: Path, columns: ODataColumns = ODataColumns(), problems: ProblemLog | None = None
) -> Iterator[ODataPoint]:
    """Yield the measurements of an O-data file (metric, date, value[, segment]), collecting problems."""
    log = problems if problems is not None else ProblemLog()
    table = _Table(path, log)
    table.want("metric", columns.metric, required=True)
    table.want("date", columns.date, required=True)
    table.want("value", columns.value, required=True)
    if columns.segment != "":
        table.want("segment", columns.segment, required=columns.segment is not None)
    if log:
        return
    seen: dict[tuple[str, date, str | None], int] = {}
    for r in table.rows:
        before = log.count
        metric = text(table.cell(r, "metric"))
        if not metric:
            log.add(table.where(r, "metric"), "the metric name is empty")
        when = _day(table, r, "date", columns.date_format, log, required=True)
        value = _value(table, r, "value", log, negative=True)
        segment = text(table.cell(r, "segment")) or None
        if log.count > before:
            continue
        assert when is not None
        assert value is not None
        key = (metric, when, segment)
        if key in seen:
            log.add(table.where(r, "date"), f"'{metric}' on {when.isoformat()} was already given in row {seen[key]}")
            continue
        seen[key] = r.number
        yield ODataPoint(metric, when, value, segment, r.number)


def read_odata(path: Path, columns: ODataColumns = ODataColumns()) -> list[ODataPoint]:
    """Return every measurement of an O-data file; raise :class:`OutcomesError` listing every problem."""
    log = ProblemLog(MAX_PROBLEMS)
    points = list(iter_odata(path, columns, log))
    log.check()
    return points


def _day(table: _Table, r: Row, role: str, fmt: str, log: ProblemLog, required: bool) -> date | None:
    try:
        found = day(table.cell(r, role), fmt)
    except ValueError as exc:
        log.add(table.where(r, role), str(exc))
        return None
    if found is None and required:
        log.add(table.where(r, role), f"the {role} date is empty")
    return found


def _value(table: _Table, r: Row, role: str, log: ProblemLog, negative: bool = False) -> float | None:
    try:
        found = number(table.cell(r, role))
    except ValueError:
        log.add(table.where(r, role), f"'{text(table.cell(r, role))}' is not a number")
        return None
    if found is None:
        log.add(table.where(r, role), "the value is empty")
    elif found < 0 and not negative:
        log.add(table.where(r, role), f"a value per year cannot be negative ({text(table.cell(r, role))})")
        return None
    return found


def preview(path: Path, limit: int = 20) -> tuple[list[str], list[list[str]]]:
    """Return the header and the first ``limit`` rows of a file as text (for an upload preview)."""
    it = rows(path)
    header = next(it, None)
    if header is None:
        return [], []
    return [text(c) for c in header.cells], [[text(c) for c in r.cells] for r in islice(it, limit)]
