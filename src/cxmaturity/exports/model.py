"""Typed tables, what an export is made from, and what it is: plain values, no files and no I/O."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from typing import Any, Literal, Protocol

from cxmaturity.frameworks.model import Framework
from cxmaturity.planning.model import Plan
from cxmaturity.scoring.responses import ResponseMatrix
from cxmaturity.scoring.result import Result
from cxmaturity.workshops.record import Record

#: One cell: text, a number, a truth value, a date or a time, or None for an empty cell.
Cell = str | int | float | bool | date | datetime | None

#: What a column holds. ``key`` is text that names an answer option: spreadsheets get it as a number when it is a
#: whole number (a 1-5 scale's ``3``), so that it can be averaged, and as text otherwise. ``mixed`` cells keep
#: each its own type (the about table's values).
Kind = Literal["text", "key", "integer", "number", "boolean", "date", "datetime", "mixed"]


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    #: One sentence for docs/exports.md and the about table.
    description: str = ""


@dataclass(frozen=True)
class Table:
    """Rows of typed cells under named columns; every row has one cell per column."""

    name: str
    columns: tuple[Column, ...]
    rows: Sequence[tuple[Cell, ...]]

    @property
    def header(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def records(self) -> list[dict[str, Cell]]:
        """Return the rows as mappings of column name to cell, for JSON."""
        names = self.header
        return [dict(zip(names, row, strict=True)) for row in self.rows]


class CommentSource(Protocol):
    """A respondent's comment as the dashboard shows it: its group only when that group is shown, else None."""

    @property
    def indicator(self) -> str: ...
    @property
    def group(self) -> str | None: ...
    @property
    def text(self) -> str: ...


@dataclass(frozen=True)
class PlanSource:
    """A saved plan: the plan, the first day of its period 1, and its JSON as the API returns it."""

    plan: Plan
    start_date: date
    document: Mapping[str, Any]


@dataclass(frozen=True)
class Source:
    """Everything an export of one assessment is made from."""

    title: str
    framework: Framework
    #: The answers, one row per respondent in any order; respondent ids and order never reach an export.
    responses: ResponseMatrix
    #: The scored answers; its groups are the ones the dashboard shows.
    result: Result
    exported_at: datetime
    comments: Sequence[CommentSource] = ()
    plan: PlanSource | None = None
    synthetic: bool = False
    #: The latest workshop's record (the ``all`` export holds its tables); None when no workshop was run.
    workshop: Record | None = None


@dataclass(frozen=True)
class Export:
    """One export: its tables (first the data, last ``about``) and its JSON document."""

    name: str
    tables: tuple[Table, ...]
    about: Table
    #: Makes the JSON document; called only when JSON is written (the answers' rows as objects take a while).
    make_document: Callable[[], dict[str, Any]] = dict
    synthetic: bool = False

    @cached_property
    def document(self) -> dict[str, Any]:
        return self.make_document()

    def table(self, name: str) -> Table:
        for table in (*self.tables, self.about):
            if table.name == name:
                return table
        raise KeyError(name)
