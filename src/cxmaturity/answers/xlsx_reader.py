"""Read answers from an XLSX workbook: its ``answers`` sheet, laid out as an answers CSV file (long or wide form).

Each row becomes text cells and goes through the same checks as a CSV row (``csv_reader.read_records``), so every
problem names the file and sheet (``answers.xlsx[answers]``), the row and the column. Typed cells are turned back
into the text a CSV file would hold: a whole number ``3`` is ``3`` (not ``3.0``), a date is ``2026-01-31``. Formula
cells are read as the value the spreadsheet last saved for them; one without a saved value is a problem
(:func:`unsaved_formulas`), never an empty cell.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, NoReturn

from cxmaturity.answers.builder import MAX_PROBLEMS, AnswerProblem, AnswersError, Where
from cxmaturity.answers.csv_reader import MAX_BYTES, ColumnMap, read_records
from cxmaturity.answers.headings import sheet_name
from cxmaturity.frameworks.model import Framework
from cxmaturity.scoring.responses import ResponseMatrix

#: The sheet an answers export writes; a workbook with a single sheet is read whatever its name.
ANSWERS_SHEET = "answers"


def read_answers_xlsx(
    path: Path, framework: Framework, column_map: ColumnMap | None = None, sheet: str | None = None
) -> ResponseMatrix:
    """Read the answers sheet of an XLSX file; raise :class:`AnswersError` listing every problem."""
    file = str(path)
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_BYTES + 1)
    except OSError as exc:
        _fail(Where(file), f"cannot read the file: {exc.strerror or exc}")
    return read_answers_workbook(data, framework, file, column_map, sheet)


def read_answers_workbook(
    data: bytes,
    framework: Framework,
    file: str = "<answers.xlsx>",
    column_map: ColumnMap | None = None,
    sheet: str | None = None,
) -> ResponseMatrix:
    """Read answers from the bytes of an XLSX workbook; ``file`` names the source in error messages."""
    column_map = column_map or ColumnMap(file)
    if column_map.entries and (problems := column_map.check(framework)):
        raise AnswersError(problems)
    if len(data) > MAX_BYTES:
        _fail(Where(file), f"file is larger than {MAX_BYTES // (1024 * 1024)} MiB; split it into smaller files")
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises zip, XML and key errors alike for a file that is not a workbook
        _fail(Where(file), "not an XLSX workbook; save the file as .xlsx (Excel 2007 or later) or as CSV")
    try:
        name = _sheet_name(list(workbook.sheetnames), sheet, file)
        label = f"{file}[{name}]"
        if problems := unsaved_formulas(data, name, label) + merged_cells(data, name, label):
            raise AnswersError(problems)
        try:
            return read_records(_records(workbook[name].iter_rows(values_only=True)), framework, label, column_map)
        except AnswersError:
            raise
        except Exception as exc:  # a damaged sheet fails while its rows are streamed
            _fail(Where(label), f"the sheet cannot be read ({type(exc).__name__}: {exc})")
    finally:
        workbook.close()


#: A formula element in a sheet's XML (``<f>``, ``<f t="shared" …/>``, ``<x:f>``): a workbook without one needs no
#: second look for formulas.
_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")


def unsaved_formulas(data: bytes | Path, sheet: str, label: str) -> list[AnswerProblem]:
    """Return a problem for each formula cell of ``sheet`` whose value the spreadsheet never saved (up to
    ``MAX_PROBLEMS``), each naming its row and column.

    Cells are read as the value last saved for them; a workbook written by a program that does not calculate
    (a script, a spreadsheet with calculation off) holds formulas without one, which would read as empty cells, and
    the answers (or ratings) in them would be lost without a word. Read only when the workbook holds a formula.
    """
    if not _has_tag(data, _FORMULA_TAG):
        return []
    from openpyxl import load_workbook

    values = load_workbook(_source(data), read_only=True, data_only=True)
    formulas = load_workbook(_source(data), read_only=True, data_only=False)
    problems: list[AnswerProblem] = []
    header: list[str] = []
    try:
        pairs = zip(
            values[sheet].iter_rows(values_only=True), formulas[sheet].iter_rows(values_only=True), strict=False
        )
        for number, (saved, written) in enumerate(pairs, start=1):
            if number == 1:
                header = [_text(v).strip() for v in saved]
            for index, (value, formula) in enumerate(zip(saved, written, strict=False)):
                if value is None and formula is not None and _formula_text(formula):
                    column = header[index] if index < len(header) and header[index] else _letter(index)
                    problems.append(
                        AnswerProblem(
                            Where(label, number, column),
                            f"the formula {_formula_text(formula)} has no saved value (the file was written by a "
                            "program that does not calculate); open and save it in a spreadsheet, or type the value",
                        )
                    )
                    if len(problems) >= MAX_PROBLEMS:
                        return problems
    finally:
        values.close()
        formulas.close()
    return problems


#: A merged range in a sheet's XML (``<mergeCell ref="B2:B5"/>``): a workbook without one needs no second look.
_MERGE_TAG = re.compile(rb"<(?:\w+:)?mergeCell[\s>/]")


def merged_cells(data: bytes | Path, sheet: str, label: str) -> list[AnswerProblem]:
    """Return a problem for each merged range of ``sheet`` that covers cells of its table (up to ``MAX_PROBLEMS``),
    naming the range.

    A merged range keeps its value in its first cell only: the other rows (or columns) it covers read as empty, so a
    group written once for several respondents would be lost for all but the first. Read only when the workbook holds
    a merged range (the read-only reader the rows are streamed with does not see them).
    """
    if not _has_tag(data, _MERGE_TAG):
        return []
    from openpyxl import load_workbook

    workbook = load_workbook(_source(data), data_only=True)
    problems: list[AnswerProblem] = []
    try:
        worksheet = workbook[sheet]
        header = [_text(cell.value).strip() for cell in next(worksheet.iter_rows(max_row=1), ())]
        width = len(header)
        while width and not header[width - 1]:
            width -= 1
        for merged in sorted(worksheet.merged_cells.ranges, key=lambda r: (r.min_row, r.min_col)):
            if merged.min_col > max(width, 1):
                continue  # beside the table (a note, a title): no cell of the table is lost
            index = merged.min_col - 1
            column = header[index] if index < width and header[index] else _letter(index)
            problems.append(
                AnswerProblem(
                    Where(label, merged.min_row, column),
                    f"cells {merged.coord} are merged: unmerge them so every row has its own value",
                )
            )
            if len(problems) >= MAX_PROBLEMS:
                break
    finally:
        workbook.close()
    return problems


def _source(data: bytes | Path) -> io.BytesIO | Path:
    return io.BytesIO(data) if isinstance(data, bytes) else data


def _has_tag(data: bytes | Path, tag: re.Pattern[bytes]) -> bool:
    """Return whether any sheet of the workbook holds an element ``tag`` finds (streamed, never the whole sheet)."""
    try:
        with zipfile.ZipFile(_source(data)) as archive:
            for member in archive.namelist():
                if not (member.startswith("xl/worksheets/") and member.endswith(".xml")):
                    continue
                with archive.open(member) as stream:
                    tail = b""
                    while chunk := stream.read(1 << 20):
                        if tag.search(tail + chunk):
                            return True
                        tail = chunk[-16:]
    except (zipfile.BadZipFile, OSError, EOFError):  # already opened by openpyxl; a damaged member fails there too
        return False
    return False


def _formula_text(formula: object) -> str:
    """The formula of a cell read with ``data_only=False`` (a string ``=…``, or an array formula's text)."""
    if isinstance(formula, str):
        return formula if formula.startswith("=") else ""
    text = getattr(formula, "text", None)
    return text if isinstance(text, str) and text.startswith("=") else ""


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(index + 1))


def _sheet_name(names: list[str], wanted: str | None, file: str) -> str:
    if wanted is not None:
        if wanted not in names:
            _fail(Where(file), f"no sheet named '{wanted}' (the sheets are: {', '.join(names)})")
        return wanted
    if ANSWERS_SHEET in names:
        return ANSWERS_SHEET
    # A workbook exported in another language names the sheet in it (Antworten, Réponses, Respuestas).
    translated = [name for name in names if sheet_name(name) == ANSWERS_SHEET]
    if len(translated) == 1:
        return translated[0]
    if len(names) == 1:
        return names[0]
    _fail(Where(file), f"no sheet named '{ANSWERS_SHEET}' (the sheets are: {', '.join(names)}); name the answers sheet")


def _records(rows: Iterable[tuple[Any, ...]]) -> Iterator[tuple[int, list[str]]]:
    """Yield each row as text cells, as wide as the header: XLSX files leave out empty cells at the end of a row."""
    width: int | None = None
    for number, values in enumerate(rows, start=1):
        cells = [_text(value) for value in values]
        while cells and not cells[-1].strip():
            cells.pop()
        if width is None:
            if cells:
                width = len(cells)
        elif len(cells) < width:
            cells.extend([""] * (width - len(cells)))
        yield number, cells


def _text(value: object) -> str:
    """Return a typed cell as the text a CSV file would hold."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _fail(where: Where, message: str) -> NoReturn:
    raise AnswersError([AnswerProblem(where, message)])
