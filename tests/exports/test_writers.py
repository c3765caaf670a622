"""CSV, zip, XLSX and JSON files of an export: typed cells, a bold frozen header, and no formula anywhere."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from cxmaturity.exports import ExportError, build, write
from cxmaturity.exports.files import BOM, csv_cell
from cxmaturity.frameworks import Framework
from cxmaturity.scoring import ResponseMatrix
from tests.exports.conftest import Note, source_of

INJECTIONS = ('=HYPERLINK("http://x","y")', "+cmd", "@SUM(1)", "-2+3", "\tcalc")


def _notes(fw: Framework) -> tuple[Note, ...]:
    key = fw.indicator_keys[0]
    return tuple(Note(key, "Operations", text) for text in INJECTIONS)


def _csv_rows(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8")
    assert text.startswith(BOM)
    return list(csv.reader(io.StringIO(text.removeprefix(BOM), newline="")))


def test_csv_cells_are_plain_text_with_formulas_guarded() -> None:
    assert [csv_cell(v) for v in (None, "a", True, False, 3, 2.5, float("nan"))] == [
        "",
        "a",
        "true",
        "false",
        "3",
        "2.5",
        "",
    ]
    assert csv_cell(date(2026, 1, 31)) == "2026-01-31"
    assert csv_cell(datetime(2026, 1, 31, 8, 0)) == "2026-01-31T08:00:00"
    assert [csv_cell(text) for text in INJECTIONS] == ["'" + text for text in INJECTIONS]


def test_comments_csv_neutralizes_formulas(xm: Framework, demo: ResponseMatrix) -> None:
    data = write(build(source_of(xm, demo, comments=_notes(xm)), "comments"), "csv")
    assert data.endswith(b"\r\n")
    rows = _csv_rows(data)
    assert rows[0] == ["competency", "indicator", "indicator_text", "group", "comment"]
    assert sorted(row[4] for row in rows[1:]) == sorted("'" + text for text in INJECTIONS)
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for cell in row)


def test_a_csv_file_holds_one_table_only(xm: Framework, demo: ResponseMatrix) -> None:
    with pytest.raises(ExportError, match=r"ask for results\.zip"):
        write(build(source_of(xm, demo), "results"), "csv")


def test_the_zip_holds_a_csv_file_per_table_and_about(xm: Framework, demo: ResponseMatrix) -> None:
    export = build(source_of(xm, demo, plan=True), "all")
    with zipfile.ZipFile(io.BytesIO(write(export, "zip"))) as archive:
        names = archive.namelist()
        assert names == [f"{t.name}.csv" for t in export.tables] + ["about.csv"]
        answers = _csv_rows(archive.read("answers.csv"))
        assert archive.getinfo("answers.csv").date_time == (2026, 3, 4, 5, 6, 6)  # zip times have 2-second steps
    assert answers[0][:2] == ["respondent", "group"]
    assert len(answers) == 1 + demo.size


def test_xlsx_has_a_sheet_per_table_with_typed_cells(xm: Framework, demo: ResponseMatrix) -> None:
    export = build(source_of(xm, demo, comments=_notes(xm), plan=True), "all")
    book = load_workbook(io.BytesIO(write(export, "xlsx")))
    assert book.sheetnames == [t.name for t in export.tables] + ["about"]
    for table in (*export.tables, export.about):
        sheet = book[table.name]
        assert sheet.freeze_panes == "A2"
        assert [c.value for c in sheet[1]] == list(table.header)
        assert all(c.font.b for c in sheet[1])
    answers = book["answers"]
    m = len(xm.indicator_keys)
    row = list(answers[2])
    assert row[0].data_type == "s"
    assert row[0].value == "R0001"
    # A 1-5 scale's keys are numbers, so that they can be averaged; importance is a number too.
    keys = [c.value for line in answers.iter_rows(min_row=2, max_col=2 + m) for c in line[2:] if c.value is not None]
    assert {type(v) for v in keys} <= {int, str}
    assert any(isinstance(v, int) for v in keys)
    allowed = {"dk", "na", *(key for _, ind in xm.indicators for key in xm.answer_keys(ind))}
    assert {v for v in keys if isinstance(v, str)} <= allowed
    assert all(str(v) in allowed for v in keys)
    weights = [c.value for line in answers.iter_rows(min_row=2, min_col=3 + m) for c in line if c.value is not None]
    assert weights
    assert all(type(v) in (int, float) for v in weights)
    overall = book["overall"]
    record = dict(zip([c.value for c in overall[1]], list(overall[2]), strict=True))
    assert record["respondents"].data_type == "n"
    assert record["respondents"].value == 17  # the respondent who answered nothing is not counted
    assert isinstance(record["score"].value, float)
    assert record["low_coverage"].data_type == "b"
    plan = book["plan"]
    header = [c.value for c in plan[1]]
    first = plan[2][header.index("start_date")]
    assert first.is_date
    assert isinstance(first.value, datetime)
    about = {r[0].value: r[1] for r in book["about"].iter_rows(min_row=2)}
    assert about["exported_at_utc"].is_date


def test_xlsx_text_is_never_a_formula(xm: Framework, demo: ResponseMatrix) -> None:
    export = build(source_of(xm, demo, comments=_notes(xm)), "comments")
    sheet = load_workbook(io.BytesIO(write(export, "xlsx")))["comments"]
    cells = [row[4] for row in sheet.iter_rows(min_row=2)]
    assert sorted(c.value for c in cells) == sorted("'" + text for text in INJECTIONS)
    assert all(c.data_type == "s" and c.value.startswith("'") for c in cells)
    every = [c for row in sheet.iter_rows() for c in row]
    assert not any(c.data_type == "f" for c in every)


def test_xlsx_replaces_characters_a_workbook_cannot_hold(xm: Framework, demo: ResponseMatrix) -> None:
    notes = (Note(xm.indicator_keys[0], None, "bell\x07 and\x00 nul"), Note(xm.indicator_keys[0], None, "x" * 40_000))
    sheet = load_workbook(io.BytesIO(write(build(source_of(xm, demo, comments=notes), "comments"), "xlsx")))["comments"]
    values = sorted(row[4].value for row in sheet.iter_rows(min_row=2))
    assert values[0] == "bell\ufffd and\ufffd nul"
    assert len(values[1]) == 32_767
    assert values[1].endswith("…")


def test_json_is_utf8_with_dates_in_iso_form(xm: Framework, demo: ResponseMatrix) -> None:
    data = json.loads(write(build(source_of(xm, demo, plan=True), "all"), "json"))
    assert data["format"] == "cx-maturity/export@1"
    assert data["about"]["exported_at_utc"] == "2026-03-04T05:06:07"
    assert data["results"]["format"] == "cx-maturity/result@1"
    assert data["plan"]["format"] == "cx-maturity/plan@1"


def test_xlsx_cells_keep_their_types_and_text_exactly() -> None:
    """The workbook's XML is written by the app (exports/workbook.py): markup characters, line breaks, leading spaces,
    a truth value beside the number 1 in one column, dates and times, and empty cells all read back as they were."""
    from xml.etree import ElementTree

    from cxmaturity.exports.model import Cell, Column, Export, Table
    from cxmaturity.exports.workbook import export_xlsx

    columns = (Column("x&y", "text"), Column("n", "number"), Column("m", "mixed"), Column("d", "mixed"))
    rows: list[tuple[Cell, ...]] = [
        ("<&>\"' \r\n x", 1.5, True, date(2026, 1, 2)),
        ("  lead", 2, 1, datetime(2026, 1, 2, 3, 4, 5)),
        (None, float("nan"), "=1+1", ""),
    ]
    about = Table("about", (Column("field", "text"), Column("value", "mixed")), [("a", 1)])
    data = export_xlsx(Export("x", (Table("a&b<c>", columns, rows),), about))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            ElementTree.fromstring(archive.read(name))  # every part is well-formed XML
    sheet = load_workbook(io.BytesIO(data))["a&b<c>"]
    cells = [[(c.value, c.data_type) for c in row] for row in sheet.iter_rows(min_row=2, max_col=4)]
    assert cells == [
        [("<&>\"' \r\n x", "s"), (1.5, "n"), (True, "b"), (datetime(2026, 1, 2), "d")],
        [("  lead", "s"), (2, "n"), (1, "n"), (datetime(2026, 1, 2, 3, 4, 5), "d")],
        [(None, "n"), (None, "n"), ("'=1+1", "s"), (None, "n")],
    ]
