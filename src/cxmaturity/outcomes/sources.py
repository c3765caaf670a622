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

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Literal

from cxmaturity.answers.builder import Where
from cxmaturity.outcomes.files import CellValue, FileError, Row, flag, is_workbook, moment, number, rows, text, whole
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
    return layout_of(str(path), [[text(c) for c in r.cells] for r in head], "xlsx" if is_workbook(path) else "csv")


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
        m = self.mapping
        cell_of = _cells(columns)
        for r in islice(rows(self.path), self.layout.header_rows, None):
            self.rows += 1
            response = self._response(r, cell_of, m)
            if response is None:
                continue
            if "response_id" in columns:
                ids.add(response.response_id, r.number)
            self.read += 1
            yield response
        for row, first in ids.repeats():
            self.problems.add(
                Where(self.file, row, columns["response_id"].name),
                f"repeats the response id of row {first}: a response is counted once",
            )

    def _response(self, r: Row, cell_of: _CellGetter, m: ColumnMapping) -> SurveyResponse | None:
        before = self.problems.count

        def where(role: str) -> Where:
            return Where(self.file, r.number, cell_of.name(role))

        finished = True
        if "finished" in cell_of.roles:
            try:
                finished = flag(cell_of(r, "finished")) is not False
            except ValueError as exc:
                self.problems.add(where("finished"), str(exc))
            if not finished and not m.include_partial:
                self.partial += 1
                return None
        response_id = str(r.number)
        if "response_id" in cell_of.roles:
            response_id = text(cell_of(r, "response_id"))
            if not response_id:
                self.problems.add(where("response_id"), "the response id is empty")
        submitted: datetime | None = None
        if "submitted_at" in cell_of.roles:
            try:
                submitted = moment(cell_of(r, "submitted_at"), m.date_format)
            except ValueError as exc:
                self.problems.add(where("submitted_at"), str(exc))
        segment = text(cell_of(r, "segment")) or None if "segment" in cell_of.roles else None

        def scaled(role: str, low: int, high: int, what: str) -> int | None:
            if role not in cell_of.roles:
                return None
            cell = cell_of(r, role)
            try:
                return whole(cell, low, high)
            except ValueError:
                try:
                    value = number(cell)
                except ValueError:
                    self.problems.add(where(role), f"'{text(cell)}' is not a number on the {what} scale {low}-{high}")
                    return None
                shown = int(value) if value is not None and value.is_integer() else value
                self.problems.add(where(role), f"{shown} is not on the {what} scale {low}-{high}")
                return None

        nps = scaled("nps", 0, 10, "NPS")
        csat = scaled("csat", 1, m.csat_scale, "CSAT")
        ces = scaled("ces", 1, m.ces_scale, "CES")
        drivers: dict[str, float | None] = {}
        for column in m.drivers:
            role = f"driver:{column}"
            try:
                drivers[column] = number(cell_of(r, role))
            except ValueError:
                self.problems.add(where(role), f"'{text(cell_of(r, role))}' is not a number (driver rating)")
        if self.problems.count > before:
            return None
        return SurveyResponse(response_id, r.number, submitted, segment, nps, csat, ces, drivers, finished)


class _CellGetter:
    def __init__(self, columns: dict[str, SurveyColumn]) -> None:
        self.roles = frozenset(columns)
        self._index = {role: c.index for role, c in columns.items()}
        self._name = {role: c.name for role, c in columns.items()}

    def __call__(self, r: Row, role: str) -> CellValue:
        i = self._index[role]
        return r.cells[i] if i < len(r.cells) else None

    def name(self, role: str) -> str:
        return self._name[role]


def _cells(columns: dict[str, SurveyColumn]) -> _CellGetter:
    return _CellGetter(columns)


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
    "suggest_from",
    "suggest_mapping",
]
