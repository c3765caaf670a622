"""Survey-tool exports: recognize the tool from the file, suggest which column is NPS, CSAT and CES, and stream the
responses under a :class:`~cxmaturity.outcomes.model.ColumnMapping`.

Layouts recognized (the first rows decide; docs/outcomes.md shows each):

- Qualtrics CSV/XLSX: three header rows, column ids (``Q1``, ``ResponseId``, ``Finished``), question texts, and
  ``{"ImportId":"QID1"}`` JSON; the legacy two-row export (ids, texts) is read too. Columns are named by their ids.
- SurveyMonkey: two header rows, the question (written once above all of its option columns), then ``Response``,
  ``Open-Ended Response`` or the option's label; a ``Respondent ID`` column. A column is named by its question, or
  ``question - option`` under a question with several columns.
- Google Forms: one header row starting with ``Timestamp``, then the question texts.
- Any other CSV or XLSX: one header row.

A column may be referred to by its name or label ignoring case and runs of spaces and line breaks, and a Qualtrics
column also by its ImportId (``QID1``).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Literal

from cxmaturity.answers.builder import Where
from cxmaturity.outcomes.files import (
    CellValue,
    FileError,
    Row,
    first_sheet,
    flag,
    is_workbook,
    moment,
    number,
    rows,
    text,
    whole,
)
from cxmaturity.outcomes.model import ISO, ColumnMapping, SurveyResponse, Tool
from cxmaturity.outcomes.problems import MAX_PROBLEMS, ProblemLog

#: Rows sampled to suggest a mapping.
SAMPLE_ROWS = 500
#: Date formats tried, in this order, to suggest one for a date column (ISO first; US before European, as the
#: tools' US exports write them; a day above 12 tells the two apart and the suggestion checks every sampled value).
DATE_FORMATS = (
    ISO,
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d",
)

_IMPORT_ID = re.compile(r'^\s*\{\s*"ImportId"\s*:\s*"([^"]*)"')


@dataclass(frozen=True)
class SurveyColumn:
    """A column of a survey file: its position, the name a mapping uses, its question text and (Qualtrics) id."""

    index: int
    name: str
    label: str
    import_id: str | None = None


@dataclass(frozen=True)
class SurveyLayout:
    """What a survey file is: the tool that wrote it, its columns and how many header rows precede the answers."""

    file: str
    tool: Tool
    format: Literal["csv", "xlsx"]
    columns: tuple[SurveyColumn, ...]
    header_rows: int
    #: A workbook's sheet that was read (its first) and how many sheets it has; None and 0 for a CSV file.
    sheet: str | None = None
    sheets: int = 0

    @property
    def sheet_read(self) -> str | None:
        """Which sheet of several was read (``read the sheet 'Responses', the first of 3``); None for one or none."""
        return f"read the sheet '{self.sheet}', the first of {self.sheets}" if self.sheets > 1 else None

    def find(self, reference: str) -> SurveyColumn | None:
        """Return the column a mapping's reference names (name, label or ImportId, ignoring case and spacing)."""
        wanted = _norm(reference)
        for part in ("name", "import_id", "label"):
            found = [c for c in self.columns if _norm(getattr(c, part) or "") == wanted]
            if len(found) == 1:
                return found[0]
        return None


def _norm(value: str) -> str:
    return " ".join(value.split()).casefold()


def inspect_survey(path: Path) -> SurveyLayout:
    """Return the layout of a survey file (tool, columns, header rows); raise an error naming the file when it
    cannot be read or has no header."""
    head = list(islice(rows(path), 3))
    if not head:
        raise FileError(str(path), "is empty: expected a header row and one row per response")
    layout = layout_of(str(path), [[text(c) for c in r.cells] for r in head], "xlsx" if is_workbook(path) else "csv")
    if (found := first_sheet(path)) is None:
        return layout
    return replace(layout, sheet=found[0], sheets=found[1])


def layout_of(file: str, head: Sequence[Sequence[str]], fmt: Literal["csv", "xlsx"] = "csv") -> SurveyLayout:
    """Return the layout the first (up to three) rows of a file show."""
    first = list(head[0])
    names = {_norm(c) for c in first}
    third = list(head[2]) if len(head) > 2 else []
    second = list(head[1]) if len(head) > 1 else []
    if any(_IMPORT_ID.match(c) for c in third):
        ids = [m.group(1) if (m := _IMPORT_ID.match(c)) else None for c in third]
        columns = [
            SurveyColumn(i, name, second[i] if i < len(second) else name, ids[i] if i < len(ids) else None)
            for i, name in enumerate(first)
        ]
        return SurveyLayout(file, "qualtrics", fmt, _unique(columns), 3)
    if "responseid" in names and {"startdate", "finished"} <= names:
        columns = [SurveyColumn(i, name, second[i] if i < len(second) else name) for i, name in enumerate(first)]
        return SurveyLayout(file, "qualtrics", fmt, _unique(columns), 2)
    if "respondent id" in names and any(_norm(c) in ("response", "open-ended response") for c in second):
        return SurveyLayout(file, "surveymonkey", fmt, _unique(_monkey_columns(first, second)), 2)
    if first and _norm(first[0]) == "timestamp":
        return SurveyLayout(file, "google-forms", fmt, _unique(_plain_columns(first)), 1)
    return SurveyLayout(file, "xlsx" if fmt == "xlsx" else "csv", fmt, _unique(_plain_columns(first)), 1)


def _plain_columns(first: Sequence[str]) -> list[SurveyColumn]:
    return [SurveyColumn(i, " ".join(name.split()) or f"column {i + 1}", name) for i, name in enumerate(first)]


def _monkey_columns(first: Sequence[str], second: Sequence[str]) -> list[SurveyColumn]:
    """Name SurveyMonkey's columns: a question is written once above all of its columns, each of which names its
    option in the second row (``Response`` when the question has one column)."""
    question = ""
    columns = []
    widths = Counter[str]()
    owners = []
    for i in range(max(len(first), len(second))):
        cell = first[i].strip() if i < len(first) else ""
        if cell:
            question = cell
        owners.append(question)
        widths[question] += 1
    for i, question in enumerate(owners):
        option = second[i].strip() if i < len(second) else ""
        plain = not option or _norm(option) in ("response", "open-ended response")
        label = " ".join(question.split()) or f"column {i + 1}"
        name = label if plain and widths[question] == 1 else f"{label} - {' '.join(option.split()) or i + 1}"
        columns.append(SurveyColumn(i, name, question if plain else f"{question}\n{option}"))
    return columns


def _unique(columns: list[SurveyColumn]) -> tuple[SurveyColumn, ...]:
    """Give columns that share a name (two questions with one text) a ``(2)``, ``(3)``... so each can be mapped."""
    seen = Counter[str]()
    out = []
    for c in columns:
        key = _norm(c.name)
        seen[key] += 1
        out.append(c if seen[key] == 1 else replace(c, name=f"{c.name} ({seen[key]})"))
    return tuple(out)


# --------------------------------------------------------------------------------------------------------------------
# Suggestions


@dataclass(frozen=True)
class Suggestion:
    """A mapping proposed for a file, with the reason for each role filled (shown to the user to confirm)."""

    layout: SurveyLayout
    mapping: ColumnMapping
    reasons: dict[str, str] = field(default_factory=dict)


_ID_NAMES = ("responseid", "respondent id", "response id", "response_id", "respondent_id", "respondent", "id")
_DATE_NAMES = ("recordeddate", "enddate", "end date", "timestamp", "submitted_at", "submitted at", "date", "startdate")
#: Names of a segment column, matched whole: "channel" alone would also match "DistributionChannel" (Qualtrics
#: metadata) and "Which channels did you use?".
_SEGMENT_NAMES = (
    "segment",
    "customer segment",
    "region",
    "country",
    "market",
    "tier",
    "customer type",
    "business unit",
)
_NPS_WORDS = ("recommend", "nps")
_CSAT_WORDS = ("satisf", "csat")
_CES_WORDS = ("easy", "effort", "easier", "ces")


def suggest_mapping(path: Path, sample: int = SAMPLE_ROWS) -> Suggestion:
    """Return the mapping suggested for a survey file from its headers and the first ``sample`` responses: the
    response id, date (with its format), segment and finished columns by their names, and NPS (whole numbers 0-10,
    a question about recommending), CSAT (1-5 or 1-7, "satisfied") and CES (1-5 or 1-7, "easy" or "effort")."""
    layout = inspect_survey(path)
    values: list[list[CellValue]] = [[] for _ in layout.columns]
    for r in islice(rows(path), layout.header_rows, layout.header_rows + sample):
        for c in layout.columns:
            if c.index < len(r.cells):
                values[c.index].append(r.cells[c.index])
    return suggest_from(layout, values)


def suggest_from(layout: SurveyLayout, values: Sequence[Sequence[CellValue]]) -> Suggestion:
    """Return the suggestion for a layout and sampled cells per column (``values[column.index]``)."""
    reasons: dict[str, str] = {}
    chosen: dict[str, str | None] = {}

    def by_name(role: str, names: Sequence[str], why: str) -> None:
        for wanted in names:
            for c in layout.columns:
                if _norm(c.name) == wanted:
                    chosen[role] = c.name
                    reasons[role] = f"'{c.name}': {why}"
                    return

    by_name("response_id", _ID_NAMES, "the response id column")
    by_name("submitted_at", _DATE_NAMES, "when the response was submitted")
    if layout.tool == "qualtrics":
        by_name("finished", ("finished",), "Qualtrics marks complete responses True or 1")
    by_name("segment", _SEGMENT_NAMES, "names a customer segment")
    date_format = ISO
    if chosen.get("submitted_at"):
        column = layout.find(chosen["submitted_at"] or "")
        assert column is not None
        found = _date_format(values[column.index])
        if found is None:
            reasons["date_format"] = "no known date format reads every sampled date; state it"
        else:
            date_format = found
            reasons["date_format"] = f"'{found}' reads every sampled date"
    taken = {v for v in chosen.values() if v}
    scales: dict[str, int] = {}
    for role, words, low, highs in (
        ("nps", _NPS_WORDS, 0, (10,)),
        ("csat", _CSAT_WORDS, 1, (5, 7)),
        ("ces", _CES_WORDS, 1, (5, 7)),
    ):
        best: tuple[int, SurveyColumn, int] | None = None
        for c in layout.columns:
            if c.name in taken:
                continue
            observed = _whole_numbers(values[c.index])
            if observed is None:
                continue
            lowest, highest = observed
            if lowest < low or highest > max(highs):
                continue
            scale = next(h for h in highs if highest <= h)
            if role != "nps" and "7" in c.label and highest <= 5 and 7 in highs:
                scale = 7  # "on a scale of 1 to 7" with no 6 or 7 answered yet
            words_hit = any(w in _norm(f"{c.name} {c.label}") for w in words)
            # A 0-10 question is NPS only if someone used the top half of the range or its text says so.
            if role == "nps" and not words_hit and highest <= 7:
                continue
            score = (2 if words_hit else 0) + (1 if role == "nps" and lowest == 0 else 0)
            if score == 0:
                continue
            if best is None or score > best[0]:
                best = (score, c, scale)
        if best is not None:
            _, c, scale = best
            chosen[role] = c.name
            taken.add(c.name)
            scales[role] = scale
            why = "its text fits" if best[0] >= 2 else "its answers fit"
            range_text = "0-10" if role == "nps" else f"1-{scale}"
            reasons[role] = f"'{c.name}': whole numbers on {range_text}, {why}"
    mapping = ColumnMapping(
        response_id=chosen.get("response_id"),
        submitted_at=chosen.get("submitted_at"),
        date_format=date_format,
        segment=chosen.get("segment"),
        nps=chosen.get("nps"),
        csat=chosen.get("csat"),
        csat_scale=scales.get("csat", 5),
        ces=chosen.get("ces"),
        ces_scale=scales.get("ces", 7),
        finished=chosen.get("finished"),
    )
    return Suggestion(layout, mapping, reasons)


def sample(path: Path, layout: SurveyLayout | None = None, limit: int = SAMPLE_ROWS) -> list[list[str]]:
    """Return the first ``limit`` answer rows as text, one cell per column of the layout (for an upload preview)."""
    layout = layout or inspect_survey(path)
    out = []
    for r in islice(rows(path), layout.header_rows, layout.header_rows + limit):
        out.append([text(r.cells[c.index]) if c.index < len(r.cells) else "" for c in layout.columns])
    return out


def suggest_date_format(path: Path, column: str, layout: SurveyLayout | None = None) -> str | None:
    """Return the first of :data:`DATE_FORMATS` that reads every sampled date of ``column``, or None."""
    layout = layout or inspect_survey(path)
    found = layout.find(column)
    if found is None:
        return None
    cells: list[CellValue] = []
    for r in islice(rows(path), layout.header_rows, layout.header_rows + SAMPLE_ROWS):
        cells.append(r.cells[found.index] if found.index < len(r.cells) else None)
    return _date_format(cells)


def _whole_numbers(cells: Sequence[CellValue]) -> tuple[int, int] | None:
    """Return the lowest and highest of the cells when every non-empty one is a whole number (and some are)."""
    seen: list[int] = []
    for cell in cells:
        try:
            value = number(cell)
        except ValueError:
            return None
        if value is None:
            continue
        if not value.is_integer():
            return None
        seen.append(int(value))
    return (min(seen), max(seen)) if seen else None


def _date_format(cells: Sequence[CellValue]) -> str | None:
    filled = [c for c in cells if text(c)]
    for fmt in DATE_FORMATS:
        try:
            for cell in filled:
                moment(cell, fmt)
        except ValueError:
            continue
        return fmt
    return None


# --------------------------------------------------------------------------------------------------------------------
# Reading


class SurveyReader:
    """Streams the responses of a survey file under a mapping, checking every mapped cell.

    Iterating yields each usable response as it is read (constant memory, but for 16 bytes a response kept to find
    repeated response ids); problems are collected in ``problems`` (up to ``max_problems``, counted beyond) and the
    rows with problems are not yielded. Repeated response ids are found when the file ends. A caller that must not
    keep a half-valid file (an import) therefore stores what it is given in a transaction and commits only when
    ``problems`` is empty after the iteration; :func:`read_survey` does that for a list.

    Responses not finished (``mapping.finished`` False) are counted in ``partial`` and skipped unless
    ``mapping.include_partial``.
    """

    def __init__(self, path: Path, mapping: ColumnMapping, max_problems: int = MAX_PROBLEMS) -> None:
        self.path = path
        self.file = str(path)
        self.mapping = mapping
        self.layout = inspect_survey(path)
        self.problems = ProblemLog(max_problems)
        self.rows = 0
        self.partial = 0
        self.read = 0

    def _columns(self) -> dict[str, SurveyColumn]:
        """Return the column of each role in the mapping; a missing one is a problem naming the file."""
        found: dict[str, SurveyColumn] = {}
        for role, reference in self.mapping.columns().items():
            column = self.layout.find(reference)
            if column is None:
                self.problems.add(
                    Where(self.file, self.layout.header_rows),
                    f"no column '{reference}' (mapped as {role.replace('driver:', 'driver ')}); "
                    f"the file's columns: {', '.join(c.name for c in self.layout.columns[:30])}",
                )
            else:
                found[role] = column
        return found

    def __iter__(self) -> Iterator[SurveyResponse]:
        columns = self._columns()
        if self.problems:
            return
        ids = _IdLog()
        plan = _Plan(columns, self.mapping)
        # Looked up once, not per row: this loop runs a million times in a large import.
        read, seen = self._response, ids.add
        for r in islice(rows(self.path), self.layout.header_rows, None):
            self.rows += 1
            response = read(r, plan)
            if response is None:
                continue
            seen(response.response_id, r.number)
            self.read += 1
            yield response
        for row, first in ids.repeats():
            if "response_id" in columns:
                where = Where(self.file, row, columns["response_id"].name)
                message = f"repeats the response id of row {first}: a response is counted once"
            else:
                where = Where(self.file, row)
                message = f"repeats row {first} cell for cell (the file has no response id column): counted once"
            self.problems.add(where, message)

    def _response(self, r: Row, plan: _Plan) -> SurveyResponse | None:
        """Return the row's response, or None when it is unfinished (and skipped) or has a problem (recorded).

        Each cell takes a fast path for the common case (text holding a whole number, an ISO date, True/False) and
        falls back on the general readers of files.py, which also word the problems; a million rows are read in
        seconds that way.
        """
        cells = r.cells
        width = len(cells)
        before = self.problems.count
        finished = True
        if plan.finished >= 0:
            cell = cells[plan.finished] if plan.finished < width else None
            quick = _FLAGS.get(cell.strip().lower()) if type(cell) is str else None
            if quick is None:
                try:
                    quick = flag(cell) is not False
                except ValueError as exc:
                    self._problem(r, plan, "finished", str(exc))
                    quick = True
            finished = quick
            if not finished and not plan.include_partial:
                self.partial += 1
                return None
        if plan.response_id < 0:
            response_id = fingerprint(cells)
        else:
            cell = cells[plan.response_id] if plan.response_id < width else None
            response_id = cell.strip() if type(cell) is str else text(cell)
            if not response_id:
                self._problem(r, plan, "response_id", "the response id is empty")
        submitted: datetime | None = None
        if plan.submitted_at >= 0:
            cell = cells[plan.submitted_at] if plan.submitted_at < width else None
            submitted = self._moment(r, plan, cell)
        segment: str | None = None
        if plan.segment >= 0:
            cell = cells[plan.segment] if plan.segment < width else None
            segment = (cell.strip() if type(cell) is str else text(cell)) or None
        # A rating written as a bare whole number 0-10 (nearly every cell) is one dictionary look-up.
        nps = csat = ces = None
        if plan.nps >= 0:
            nps = _WHOLE.get(cells[plan.nps]) if plan.nps < width else None
            if nps is None:
                nps = self._scaled(r, plan, "nps", plan.nps, 0, 10)
        if plan.csat >= 0:
            csat = _WHOLE.get(cells[plan.csat]) if plan.csat < width else None
            if csat is None or not 1 <= csat <= plan.csat_scale:
                csat = self._scaled(r, plan, "csat", plan.csat, 1, plan.csat_scale)
        if plan.ces >= 0:
            ces = _WHOLE.get(cells[plan.ces]) if plan.ces < width else None
            if ces is None or not 1 <= ces <= plan.ces_scale:
                ces = self._scaled(r, plan, "ces", plan.ces, 1, plan.ces_scale)
        drivers: dict[str, float | None] = {}
        for column, index in plan.drivers:
            cell = cells[index] if index < width else None
            value = _RATINGS.get(cell)
            if value is None:
                try:
                    value = number(cell)
                except ValueError:
                    self._problem(r, plan, f"driver:{column}", f"'{text(cell)}' is not a number (driver rating)")
            drivers[column] = value
        if self.problems.count > before:
            return None
        return SurveyResponse(response_id, r.number, submitted, segment, nps, csat, ces, drivers, finished)

    def _problem(self, r: Row, plan: _Plan, role: str, message: str) -> None:
        self.problems.add(Where(self.file, r.number, plan.names[role]), message)

    def _moment(self, r: Row, plan: _Plan, cell: CellValue) -> datetime | None:
        if plan.iso and type(cell) is str and cell:
            try:
                found = datetime.fromisoformat(cell)
            except ValueError:
                pass
            else:
                return found if found.tzinfo is None else found.replace(tzinfo=None)
        try:
            return moment(cell, plan.date_format)
        except ValueError as exc:
            self._problem(r, plan, "submitted_at", str(exc))
            return None

    def _scaled(self, r: Row, plan: _Plan, role: str, index: int, low: int, high: int) -> int | None:
        cell = r.cells[index] if index < len(r.cells) else None
        if type(cell) is str and cell:
            try:
                value = int(cell)
            except ValueError:
                pass
            else:
                if low <= value <= high:
                    return value
        try:
            return whole(cell, low, high)
        except ValueError:
            pass
        what = _METRIC_NAMES[role]
        try:
            found = number(cell)
        except ValueError:
            self._problem(r, plan, role, f"'{text(cell)}' is not a number on the {what} scale {low}-{high}")
            return None
        shown = int(found) if found is not None and found.is_integer() else found
        self._problem(r, plan, role, f"{shown} is not on the {what} scale {low}-{high}")
        return None


def fingerprint(cells: Sequence[CellValue]) -> str:
    """Return the id of a response from a file without a response id column (Google Forms): a hash of all of its
    cells (``#`` and 16 hex digits), so that the same row imported again is recognized, wherever it stands."""
    joined = "\x1f".join(text(c) for c in cells)
    return "#" + hashlib.blake2b(joined.encode("utf-8"), digest_size=8).hexdigest()


_FLAGS = {"true": True, "1": True, "false": False, "0": False}
#: The cells "0" to "10" as the whole numbers and the ratings they are (hashable cells of other types, such as a
#: workbook's numbers, miss and take the general path).
_WHOLE: dict[CellValue, int] = {str(i): i for i in range(11)}
_RATINGS: dict[CellValue, float] = {str(i): float(i) for i in range(11)}
_METRIC_NAMES = {"nps": "NPS", "csat": "CSAT", "ces": "CES"}


class _Plan:
    """Where each mapped role's cell is in a row (-1: not mapped), read once before the rows."""

    def __init__(self, columns: dict[str, SurveyColumn], mapping: ColumnMapping) -> None:
        def index(role: str) -> int:
            return columns[role].index if role in columns else -1

        self.names = {role: c.name for role, c in columns.items()}
        self.finished = index("finished")
        self.response_id = index("response_id")
        self.submitted_at = index("submitted_at")
        self.segment = index("segment")
        self.nps = index("nps")
        self.csat = index("csat")
        self.ces = index("ces")
        self.drivers = [(column, columns[f"driver:{column}"].index) for column in mapping.drivers]
        self.csat_scale = mapping.csat_scale
        self.ces_scale = mapping.ces_scale
        self.include_partial = mapping.include_partial
        self.date_format = mapping.date_format
        self.iso = mapping.date_format == ISO


class _IdLog:
    """Response ids seen, as 64-bit hashes with their rows (16 bytes each); repeats are found by sorting at the end.

    Two different ids share a hash with a chance of about n²/2⁶⁵ (3 in 100 million for a million responses).
    """

    def __init__(self) -> None:
        from array import array

        self._hashes = array("q")
        self._rows = array("q")

    def add(self, response_id: str, row: int) -> None:
        self._hashes.append(hash(response_id))
        self._rows.append(row)

    def repeats(self) -> list[tuple[int, int]]:
        """Return ``(row, first row)`` for every response whose id an earlier row had."""
        import numpy as np

        if not self._hashes:
            return []
        hashes = np.frombuffer(self._hashes, dtype=np.int64)
        rows_ = np.frombuffer(self._rows, dtype=np.int64)
        order = np.lexsort((rows_, hashes))
        sorted_hashes = hashes[order]
        same = np.flatnonzero(sorted_hashes[1:] == sorted_hashes[:-1]) + 1
        out = []
        for k in same:
            start = k
            while start > 0 and sorted_hashes[start - 1] == sorted_hashes[k]:
                start -= 1
            out.append((int(rows_[order[k]]), int(rows_[order[start]])))
        return sorted(out)


def read_survey(path: Path, mapping: ColumnMapping, max_problems: int = MAX_PROBLEMS) -> list[SurveyResponse]:
    """Return every response of a survey file; raise :class:`OutcomesError` listing every problem (nothing is
    returned from a file with problems)."""
    reader = SurveyReader(path, mapping, max_problems)
    responses = list(reader)
    reader.problems.check()
    return responses


def mapping_with(suggested: ColumnMapping, **overrides: object) -> ColumnMapping:
    """Return ``suggested`` with the roles in ``overrides`` replaced: None leaves a role as suggested, an empty text
    clears it (the file has no such column)."""
    data = suggested.to_dict()
    for key, value in overrides.items():
        if value is None:
            continue
        data[key] = None if value == "" else (list(value) if isinstance(value, tuple | list) else value)
    return ColumnMapping.from_dict(data)


__all__ = [
    "DATE_FORMATS",
    "Suggestion",
    "SurveyColumn",
    "SurveyLayout",
    "SurveyReader",
    "inspect_survey",
    "layout_of",
    "mapping_with",
    "read_survey",
    "sample",
    "suggest_date_format",
    "suggest_from",
    "suggest_mapping",
]
