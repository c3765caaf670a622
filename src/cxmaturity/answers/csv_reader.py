"""Read answers from a CSV file, in long form (one answer per row) or wide form (one respondent per row).

Long form has the columns ``respondent, group, indicator, answer, importance, comment`` (``group``, ``importance``
and ``comment`` optional). Wide form has ``respondent, group`` and one column per indicator key ``K``, optionally
with ``K:importance`` and ``K:comment``. The layout is told by the header: a column ``indicator`` or ``answer`` means
long form. A :class:`ColumnMap` renames a survey tool's headers and answer labels before that.

Every problem is collected with its file, row and column, and nothing is returned while any remains; the
:class:`~cxmaturity.answers.builder.ResponseBuilder` does the checks that do not depend on the file's layout.
"""

from __future__ import annotations

import csv
import difflib
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import NoReturn

import yaml

from cxmaturity.answers.builder import AnswerProblem, AnswersError, ResponseBuilder, Where, WidePlan
from cxmaturity.answers.formulas import QUOTE, unguard
from cxmaturity.answers.headings import column_name
from cxmaturity.frameworks.model import Framework
from cxmaturity.json_text import refusal
from cxmaturity.scoring.responses import ResponseMatrix

#: Guards against files that would take minutes and gigabytes to read; larger surveys can be split.
MAX_BYTES = 50 * 1024 * 1024
MAX_ROWS = 2_000_000

RESPONDENT = "respondent"
GROUP = "group"
INDICATOR = "indicator"
ANSWER = "answer"
IMPORTANCE = "importance"
COMMENT = "comment"
LONG_COLUMNS = (RESPONDENT, GROUP, INDICATOR, ANSWER, IMPORTANCE, COMMENT)
WIDE_SUFFIXES = (IMPORTANCE, COMMENT)

_BOM = b"\xef\xbb\xbf"


# --------------------------------------------------------------------------------------------------------------------
# Column maps


@dataclass(frozen=True)
class MapEntry:
    """One ``survey header -> target`` line of a column map; ``row`` is known for CSV maps only."""

    header: str
    target: str
    row: int | None = None


@dataclass(frozen=True)
class ColumnMap:
    """Renames a survey tool's column headers to indicator keys (or special columns) and its answer labels to keys.

    Headers and labels match ignoring case and surrounding spaces, as people retype them by hand.
    """

    file: str
    entries: tuple[MapEntry, ...] = ()
    values: Mapping[str, str] = field(default_factory=dict)

    @cached_property
    def _targets(self) -> dict[str, str]:
        return {_norm(e.header): e.target.strip() for e in self.entries}

    @cached_property
    def _values(self) -> dict[str, str]:
        return {_norm(label): key.strip() for label, key in self.values.items()}

    def target(self, header: str) -> str:
        """Return what ``header`` stands for: the map's target, or the header itself when the map omits it."""
        return self._targets.get(_norm(header), header.strip())

    def value(self, cell: str) -> str:
        """Return the option key for an answer cell: the mapped key, or the cell itself."""
        return self._values.get(_norm(cell), cell.strip())

    def check(self, framework: Framework) -> list[AnswerProblem]:
        """Return a problem for each entry whose target is neither a column name nor a key of ``framework``."""
        columns = _Columns(framework)
        problems = []
        for entry in self.entries:
            if columns.resolve(entry.target) is None:
                hint = _did_you_mean(entry.target, columns.candidates())
                problems.append(
                    AnswerProblem(
                        Where(self.file, entry.row),
                        f"entry '{entry.header}': '{entry.target}' is not an indicator of framework "
                        f"{framework.id} nor one of {', '.join(LONG_COLUMNS)}{hint}",
                    )
                )
        return problems


def load_column_map(path: Path) -> ColumnMap:
    """Load a column map: a YAML file with ``columns`` (and ``values``), or a CSV file with ``column,indicator``."""
    file = str(path)
    text = _decode(_read_bytes(path, file), file)
    if path.suffix.lower() in (".csv", ".tsv", ".txt"):
        return _csv_column_map(text, file)
    return _yaml_column_map(text, file)


def _yaml_column_map(text: str, file: str) -> ColumnMap:
    try:
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        _fail(Where(file, mark.line + 1 if mark else None), f"not valid YAML: {exc.problem or exc.context}")
    except yaml.YAMLError as exc:
        _fail(Where(file), f"not valid YAML: {exc}")
    except (ValueError, RecursionError) as exc:  # a number of thousands of digits; nesting the reader cannot follow
        if (reason := refusal(exc)) is None:
            raise
        _fail(Where(file), f"not valid YAML: {reason}")
    if data is None:
        _fail(Where(file), "the column map is empty")
    if not isinstance(data, dict):
        _fail(Where(file), "a column map must be a mapping with 'columns' and optionally 'values'")
    problems = [
        AnswerProblem(Where(file), f"unknown key '{key}' (a column map has 'columns' and 'values')")
        for key in data
        if key not in ("columns", "values")
    ]
    entries = _yaml_pairs(data.get("columns", {}), "columns", "a column header", "an indicator key", file, problems)
    values = _yaml_pairs(data.get("values", {}), "values", "an answer label", "an option key", file, problems)
    if not problems and not entries and not values:
        problems.append(AnswerProblem(Where(file), "the column map is empty"))
    if problems:
        raise AnswersError(problems)
    return ColumnMap(file, tuple(MapEntry(header, target) for header, target in entries), dict(values))


def _yaml_pairs(
    data: object, section: str, what: str, to: str, file: str, problems: list[AnswerProblem]
) -> list[tuple[str, str]]:
    """Return a section's ``key: value`` pairs as text; YAML reads ``"5": 5`` and ``1: vs-1`` with numbers."""
    if not isinstance(data, dict):
        problems.append(AnswerProblem(Where(file), f"'{section}' must map {what} to {to}"))
        return []
    pairs: list[tuple[str, str]] = []
    seen: set[str] = set()
    for key, value in data.items():
        name, target = _scalar(key), _scalar(value)
        if name is None or target is None:
            problems.append(AnswerProblem(Where(file), f"{section} entry {key!r}: expected {what} mapped to {to}"))
        elif _norm(name) in seen:
            problems.append(AnswerProblem(Where(file), f"{section} entry '{name}' is given twice"))
        else:
            seen.add(_norm(name))
            pairs.append((name, target))
    return pairs


def _scalar(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value).strip()
    return text or None


def _csv_column_map(text: str, file: str) -> ColumnMap:
    if not text.strip():
        _fail(Where(file), "the column map is empty")
    problems: list[AnswerProblem] = []
    entries: dict[str, MapEntry] = {}
    records = _records(text, file)
    try:
        header_row, header = _first_record(records, file)
        if [_norm(cell) for cell in header] != ["column", "indicator"]:
            _fail(Where(file, header_row), "a CSV column map needs the header 'column,indicator'")
        for row, cells in records:
            if _blank(cells):
                continue
            entry = _csv_map_entry(Where(file, row), cells, entries)
            if isinstance(entry, AnswerProblem):
                problems.append(entry)
            else:
                entries[_norm(entry.header)] = entry
    except _CsvSyntaxError as exc:
        problems.append(AnswerProblem(exc.where, exc.message))
    if not problems and not entries:
        problems.append(AnswerProblem(Where(file), "the column map is empty"))
    if problems:
        raise AnswersError(problems)
    return ColumnMap(file, tuple(entries.values()))


def _csv_map_entry(where: Where, cells: list[str], entries: Mapping[str, MapEntry]) -> MapEntry | AnswerProblem:
    if len(cells) != 2:
        return AnswerProblem(where, f"row has {len(cells)} cells but the header has 2")
    name, target = cells[0].strip(), cells[1].strip()
    if not name or not target:
        return AnswerProblem(where, "both 'column' and 'indicator' must be filled in")
    first = entries.get(_norm(name))
    if first is not None:
        return AnswerProblem(where, f"entry '{name}' is given twice (first on row {first.row})")
    return MapEntry(name, target, where.row)


# --------------------------------------------------------------------------------------------------------------------
# Reading answers


def read_answers_csv(path: Path, framework: Framework, column_map: ColumnMap | None = None) -> ResponseMatrix:
    """Read an answers CSV file; raise :class:`AnswersError` listing every problem (up to the builder's cap)."""
    file = str(path)
    return read_answers_text(_decode(_read_bytes(path, file), file), framework, file, column_map)


def read_answers_text(
    text: str, framework: Framework, file: str = "<answers>", column_map: ColumnMap | None = None
) -> ResponseMatrix:
    """Read answers from CSV text; ``file`` names the source in error messages."""
    column_map = column_map or ColumnMap(file)
    if column_map.entries and (problems := column_map.check(framework)):
        raise AnswersError(problems)
    if len(text.encode("utf-8", errors="surrogatepass")) > MAX_BYTES:
        _fail(Where(file), _too_large())
    text = text.removeprefix("\ufeff")
    if not text.strip():
        _fail(Where(file), "file is empty")
    return read_records(_records(text, file), framework, file, column_map)


def read_records(
    records: Iterator[tuple[int, list[str]]],
    framework: Framework,
    file: str = "<answers>",
    column_map: ColumnMap | None = None,
) -> ResponseMatrix:
    """Read answers from ``(row number, cells)`` records laid out as a CSV file is (the first record with a value is
    the header): CSV text and XLSX sheets share every check. The caller checks the column map first."""
    column_map = column_map or ColumnMap(file)
    builder = ResponseBuilder(framework)
    try:
        header = _read_header(_first_record(records, file), framework, column_map, builder, file)
        _read_rows(records, header, builder)
    except _CsvSyntaxError as exc:
        builder.error(exc.where, exc.message)
        raise AnswersError(builder.problems) from None
    return builder.build()


def _read_rows(records: Iterator[tuple[int, list[str]]], header: _Header, builder: ResponseBuilder) -> None:
    count = 0
    for row, raw in records:
        if _blank(raw):
            continue
        # Exports guard formula-like text with an apostrophe (answers/formulas.py); reading removes it again.
        guarded = QUOTE in "".join(raw) and any(cell.startswith(QUOTE) for cell in raw)
        cells = [unguard(cell) for cell in raw] if guarded else raw
        count += 1
        if count > MAX_ROWS:
            builder.error(Where(header.file, row), f"more than {MAX_ROWS} rows of answers; split the file")
            raise AnswersError(builder.problems)
        if len(cells) != header.width:
            builder.error(Where(header.file, row), f"row has {len(cells)} cells but the header has {header.width}")
            continue
        header.read(builder, row, cells)
    if count == 0:
        builder.error(Where(header.file), "no answers: the file has a header but no rows")


# --------------------------------------------------------------------------------------------------------------------
# The header


class _Columns:
    """What a column name (after the map) stands for in one framework."""

    def __init__(self, framework: Framework) -> None:
        self.framework = framework
        self.keys = {key: key for key in framework.indicator_keys}
        folded: dict[str, list[str]] = {}
        for key in framework.indicator_keys:
            folded.setdefault(key.casefold(), []).append(key)
        # Matching keys regardless of case is only safe while no two keys differ by case alone.
        self.folded = {name: keys[0] for name, keys in folded.items() if len(keys) == 1}

    def indicator(self, name: str) -> str | None:
        name = name.strip()
        return self.keys.get(name) or self.folded.get(name.casefold())

    def resolve(self, name: str) -> str | None:
        """Return a special column name, an indicator key or ``K:importance``/``K:comment``; None when unknown."""
        lowered = name.strip().casefold()
        if lowered in LONG_COLUMNS:
            return lowered
        key = self.indicator(name)
        if key is not None:
            return key
        base, colon, suffix = name.rpartition(":")
        if colon and (key := self.indicator(base)) is not None:
            wide = suffix.strip().casefold()
            # ``K:Wichtigkeit`` from a file exported with German headers is ``K:importance``.
            wide = wide if wide in WIDE_SUFFIXES else (column_name(wide) or "")
            if wide in WIDE_SUFFIXES:
                return f"{key}:{wide}"
        # A header exported in another language (Gruppe, Groupe, Grupo), after the indicator keys: a framework's
        # own key always wins over a translated word.
        translated = column_name(name)
        return translated if translated in LONG_COLUMNS else None

    def candidates(self) -> list[str]:
        return [*LONG_COLUMNS, *self.framework.indicator_keys]


@dataclass(frozen=True)
class _Column:
    index: int
    name: str
    target: str | None


@dataclass(frozen=True)
class _WideColumns:
    """The columns of one indicator in wide form; at least one of them is present."""

    key: str
    answer: _Column | None
    importance: _Column | None
    comment: _Column | None

    @property
    def first(self) -> _Column:
        column = self.answer or self.importance or self.comment
        assert column is not None
        return column


@dataclass(frozen=True)
class _Header:
    """The header's columns by target, and what is needed to read the rows under them."""

    file: str
    width: int
    long_form: bool
    columns: Mapping[str, _Column]
    unnamed: tuple[int, ...]
    wide: tuple[_WideColumns, ...]
    resolver: _Columns
    column_map: ColumnMap

    def read(self, builder: ResponseBuilder, row: int, cells: list[str]) -> None:
        for index in self.unnamed:
            if cells[index].strip():
                builder.error(Where(self.file, row, f"#{index + 1}"), "a value under a column with no name")
        respondent = cells[self.columns[RESPONDENT].index]
        group = self.cell(cells, GROUP) or ""
        if not self._register(builder, row, respondent, group):
            return
        if self.long_form:
            self._read_long(builder, row, cells, respondent, group)
        else:
            self._read_wide(builder, row, cells, respondent, group)

    def cell(self, cells: list[str], target: str) -> str | None:
        column = self.columns.get(target)
        return cells[column.index] if column else None

    def where(self, row: int, target: str) -> Where | None:
        column = self.columns.get(target)
        return Where(self.file, row, column.name) if column else None

    def _register(self, builder: ResponseBuilder, row: int, respondent: str, group: str) -> bool:
        """Check the respondent once per row; the builder would otherwise repeat its problem for every answer."""
        target = GROUP if respondent.strip() and GROUP in self.columns else RESPONDENT
        before = len(builder.problems)
        builder.respondent(respondent, group, Where(self.file, row, self.columns[target].name))
        return len(builder.problems) == before

    def _read_long(self, builder: ResponseBuilder, row: int, cells: list[str], respondent: str, group: str) -> None:
        framework = self.resolver.framework
        written = cells[self.columns[INDICATOR].index].strip()
        key = self.resolver.indicator(written)
        if key is None:
            where = Where(self.file, row, self.columns[INDICATOR].name)
            hint = _did_you_mean(written, framework.indicator_keys)
            message = (
                f"unknown indicator '{written}' in framework {framework.id}{hint}" if written else "indicator is empty"
            )
            builder.error(where, message)
            return
        builder.add(
            respondent,
            group,
            key,
            self.column_map.value(cells[self.columns[ANSWER].index]),
            Where(self.file, row, self.columns[ANSWER].name),
            importance=self.cell(cells, IMPORTANCE),
            comment=self.cell(cells, COMMENT),
            importance_where=self.where(row, IMPORTANCE),
        )

    @cached_property
    def plan(self) -> WidePlan:
        """Where each indicator's cells are in a wide row, for ``ResponseBuilder.add_row``."""
        return tuple(
            (
                c.key,
                c.answer.index if c.answer else -1,
                c.importance.index if c.importance else -1,
                c.comment.index if c.comment else -1,
                c.first.name,
                c.importance.name if c.importance else "",
                self.column_map.value,
            )
            for c in self.wide
        )

    def _read_wide(self, builder: ResponseBuilder, row: int, cells: list[str], respondent: str, group: str) -> None:
        r = builder.row_of(respondent)
        if r is not None:
            builder.add_row(r, respondent, self.file, row, cells, self.plan, exact=not self.column_map.values)
            return
        for columns in self.wide:
            answer, importance, comment = (
                cells[c.index] if c else "" for c in (columns.answer, columns.importance, columns.comment)
            )
            if not (answer.strip() or importance.strip() or comment.strip()):
                continue  # an empty cell is a question the respondent skipped, not an error
            builder.add_for(
                r,
                respondent,
                columns.key,
                self.column_map.value(answer),
                Where(self.file, row, columns.first.name),
                importance=importance,
                comment=comment,
                importance_where=Where(self.file, row, columns.importance.name) if columns.importance else None,
            )


def _read_header(
    record: tuple[int, list[str]], framework: Framework, column_map: ColumnMap, builder: ResponseBuilder, file: str
) -> _Header:
    row, cells = record
    resolver = _Columns(framework)
    named = [_Column(i, c.strip(), resolver.resolve(column_map.target(c))) for i, c in enumerate(cells) if c.strip()]
    unnamed = tuple(i for i, cell in enumerate(cells) if not cell.strip())
    long_form = any(column.target in (INDICATOR, ANSWER) for column in named)
    allowed = (
        set(LONG_COLUMNS) if long_form else {RESPONDENT, GROUP, *framework.indicator_keys, *_wide_extras(framework)}
    )
    for column in named:
        if column.target not in allowed:
            _unknown_column(column, long_form, resolver, builder, Where(file, row, column.name))
    columns = _unique_columns([c for c in named if c.target in allowed], builder, Where(file, row))
    wide = () if long_form else _wide_columns(columns, framework)
    _require_columns(columns, long_form, bool(wide), builder, Where(file, row))
    return _Header(file, len(cells), long_form, columns, unnamed, wide, resolver, column_map)


def _wide_columns(columns: Mapping[str, _Column], framework: Framework) -> tuple[_WideColumns, ...]:
    found = (
        _WideColumns(key, columns.get(key), columns.get(f"{key}:{IMPORTANCE}"), columns.get(f"{key}:{COMMENT}"))
        for key in framework.indicator_keys
    )
    return tuple(c for c in found if c.answer or c.importance or c.comment)


def _require_columns(
    columns: Mapping[str, _Column], long_form: bool, has_indicators: bool, builder: ResponseBuilder, where: Where
) -> None:
    """Stop at a header without the columns every row needs: each row would otherwise repeat the problem."""
    required = [RESPONDENT, INDICATOR, ANSWER] if long_form else [RESPONDENT]
    missing = [name for name in required if name not in columns]
    for name in missing:
        builder.error(where, f"the header has no '{name}' column")
    no_indicators = not long_form and not has_indicators
    if no_indicators and not builder.problems:
        builder.error(where, "the header has no indicator columns")
    if missing or no_indicators:
        raise AnswersError(builder.problems)


def _unique_columns(named: list[_Column], builder: ResponseBuilder, where: Where) -> dict[str, _Column]:
    """Return the first column of each target; two columns for one target would make answers ambiguous."""
    columns: dict[str, _Column] = {}
    for column in named:
        if column.target is None:
            continue
        first = columns.get(column.target)
        if first is None:
            columns[column.target] = column
        else:
            builder.error(
                Where(where.file, where.row, column.name),
                f"duplicate column: '{column.target}' is already column {first.index + 1}",
            )
    return columns


def _unknown_column(
    column: _Column, long_form: bool, resolver: _Columns, builder: ResponseBuilder, where: Where
) -> None:
    if long_form:
        hint = _did_you_mean(column.name, LONG_COLUMNS)
        builder.error(where, f"unknown column in long form (the columns are {', '.join(LONG_COLUMNS)}){hint}")
        return
    framework = resolver.framework
    hint = _did_you_mean(column.name, [RESPONDENT, GROUP, *framework.indicator_keys, *_wide_extras(framework)])
    builder.error(where, f"unknown column: not an indicator of framework {framework.id}{hint}")


def _wide_names(key: str) -> tuple[str, ...]:
    return tuple(f"{key}:{suffix}" for suffix in WIDE_SUFFIXES)


def _wide_extras(framework: Framework) -> list[str]:
    return [name for key in framework.indicator_keys for name in _wide_names(key)]


# --------------------------------------------------------------------------------------------------------------------
# Bytes, text and records


def _read_bytes(path: Path, file: str) -> bytes:
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_BYTES + 1)
    except OSError as exc:
        _fail(Where(file), f"cannot read the file: {exc.strerror or exc}")
    if len(data) > MAX_BYTES:
        _fail(Where(file), _too_large())
    return data


def _too_large() -> str:
    return f"file is larger than {MAX_BYTES // (1024 * 1024)} MiB ({MAX_BYTES} bytes); split it into smaller files"


def _decode(data: bytes, file: str) -> str:
    """Decode UTF-8 (with or without the BOM that Excel writes); other encodings are refused, not guessed."""
    try:
        return decode_utf8(data)
    except UnicodeDecodeError as exc:
        _fail(Where(file), not_utf8(exc))


def decode_utf8(data: bytes) -> str:
    """Return the text of UTF-8 bytes, with or without the BOM that Excel writes; raise ``UnicodeDecodeError`` (for
    :func:`not_utf8`) otherwise."""
    return data.removeprefix(_BOM).decode("utf-8")


def not_utf8(exc: UnicodeDecodeError) -> str:
    """Return the problem of a file that is not UTF-8, naming its first unreadable byte and that byte's line: the
    words every file the command line reads uses (answers, targets, column maps, datasets)."""
    data = bytes(exc.object)
    line = data.count(b"\n", 0, exc.start) + 1
    return f"file is not UTF-8: byte 0x{data[exc.start]:02X} on line {line} cannot be read; save the file as UTF-8"


def _delimiter(text: str) -> str:
    """Comma, unless the header line has none and has semicolons (as European survey tools write) or tabs."""
    header = next((line for line in io.StringIO(text, newline="") if line.strip()), "")
    if "," in header or (";" not in header and "\t" not in header):
        return ","
    return ";" if header.count(";") >= header.count("\t") else "\t"


def _records(text: str, file: str) -> Iterator[tuple[int, list[str]]]:
    """Yield each CSV record with the line it starts on; csv's ``line_num`` is the line a record ends on."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    start = 1
    try:
        for cells in reader:
            yield start, cells
            start = reader.line_num + 1
    except csv.Error as exc:
        raise _CsvSyntaxError(Where(file, start), f"not valid CSV: {exc}") from None


class _CsvSyntaxError(Exception):
    """CSV the csv module cannot split; raised apart so the problems found above it are kept."""

    def __init__(self, where: Where, message: str) -> None:
        super().__init__(message)
        self.where = where
        self.message = message


def _first_record(records: Iterator[tuple[int, list[str]]], file: str) -> tuple[int, list[str]]:
    """Return the header: the first record with a value, as blank lines above it carry nothing."""
    for row, cells in records:
        if not _blank(cells):
            return row, cells
    _fail(Where(file), "file is empty")


def _blank(cells: list[str]) -> bool:
    return not "".join(cells).strip()


def _norm(name: str) -> str:
    return name.strip().casefold()


def _did_you_mean(name: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _fail(where: Where, message: str) -> NoReturn:
    raise AnswersError([AnswerProblem(where, message)])
