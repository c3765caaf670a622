"""Reading answers from an XLSX workbook: the same layouts and checks as CSV, typed cells, and errors that name the
file, the sheet, the row and the column."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from openpyxl import Workbook

from cxmaturity.answers.builder import AnswersError
from cxmaturity.answers.csv_reader import ColumnMap, MapEntry, read_answers_csv
from cxmaturity.answers.xlsx_reader import read_answers_workbook, read_answers_xlsx
from cxmaturity.frameworks import Framework, load_framework
from cxmaturity.scoring.responses import DONT_KNOW_CODE, MISSING

DATA = Path(__file__).parent.parent / "data"


@pytest.fixture(scope="module")
def framework() -> Framework:
    return load_framework(DATA / "example.yaml")


def workbook(sheets: dict[str, Sequence[Sequence[object]]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def problems_of(call: Callable[[], object]) -> list[str]:
    with pytest.raises(AnswersError) as caught:
        call()
    return [str(p) for p in caught.value.problems]


WIDE = [
    ("respondent", "group", "vs-1", "vs-2", "ci-1", "ci-2", "vs-1:importance"),
    ("r1", "leadership", 4, 3, "learning", 4, 5),
    ("r2", "leadership", 5.0, 2, "committing", 3, None),
    ("r3", "leadership", 4, "dk", "learning", 5, 2.5),
    ("r4", "front line", 3, None, "emerging"),  # a short row: a workbook leaves out empty cells at the end
]


def test_it_reads_typed_cells_as_a_csv_file_holds_them(framework: Framework) -> None:
    responses = read_answers_workbook(workbook({"answers": WIDE}), framework, "team.xlsx")
    assert responses.respondents == ("r1", "r2", "r3", "r4")
    assert responses.groups == ("leadership",) * 3 + ("front line",)
    assert responses.answers[1, 0] == 4  # 5.0 is the key "5": option index 4
    assert responses.answers[2, 1] == DONT_KNOW_CODE
    assert responses.answers[3, 1] == MISSING
    assert responses.answers[3, 3] == MISSING
    assert responses.importance[0, 0] == 5.0
    assert responses.importance[2, 0] == 2.5
    assert np.isnan(responses.importance[1, 0])


def test_it_reads_the_long_form_like_its_csv_file(framework: Framework, tmp_path: Path) -> None:
    csv_path = DATA / "worked-example.csv"
    rows = [line.split(",", 5) for line in csv_path.read_text(encoding="utf-8").splitlines()]
    path = tmp_path / "worked.xlsx"
    path.write_bytes(workbook({"Sheet1": [[c.rstrip("\n") or None for c in row] for row in rows]}))
    from_xlsx = read_answers_xlsx(path, framework)
    from_csv = read_answers_csv(csv_path, framework)
    assert from_xlsx.respondents == from_csv.respondents
    assert np.array_equal(from_xlsx.answers, from_csv.answers)
    assert from_xlsx.comments == tuple(c for c in from_csv.comments)


def test_it_picks_the_answers_sheet_of_an_export(framework: Framework) -> None:
    data = workbook({"about": [("field", "value"), ("x", 1)], "answers": WIDE, "comments": [("comment",)]})
    assert read_answers_workbook(data, framework).size == 4
    assert problems_of(lambda: read_answers_workbook(data, framework, "t.xlsx", sheet="nope")) == [
        "t.xlsx: no sheet named 'nope' (the sheets are: about, answers, comments)"
    ]
    two = workbook({"one": WIDE, "two": WIDE})
    assert problems_of(lambda: read_answers_workbook(two, framework, "t.xlsx")) == [
        "t.xlsx: no sheet named 'answers' (the sheets are: one, two); name the answers sheet"
    ]


def test_errors_name_the_file_sheet_row_and_column(framework: Framework) -> None:
    rows = [
        *WIDE[:2],
        ("r2", "leadership", 9, 3, "learning", 4, None),
        ("r3", "leadership", 4, 3, "learning", 4, 7),
        ("", "x", 1, 1, "learning", 1, None),
    ]
    assert problems_of(lambda: read_answers_workbook(workbook({"answers": rows}), framework, "team.xlsx")) == [
        "team.xlsx[answers]:3 column 'vs-1': '9' is not an answer to 'vs-1' (allowed: 1, 2, 3, 4, 5, dk, na)",
        "team.xlsx[answers]:4 column 'vs-1:importance': importance must be a number from 1 to 5, got '7'",
        "team.xlsx[answers]:5 column 'respondent': respondent id is empty",
    ]


def with_saved_value(data: bytes, formula: str, value: str) -> bytes:
    """The workbook as a spreadsheet saves it: the formula's last calculated value beside it (openpyxl writes none)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename.startswith("xl/worksheets/"):
                unsaved, saved = f"<f>{formula}</f><v></v>", f"<f>{formula}</f><v>{value}</v>"
                content = content.replace(unsaved.encode(), saved.encode())
            target.writestr(item, content)
    return out.getvalue()


def test_a_formula_without_a_saved_value_is_named_not_read_as_an_empty_answer(framework: Framework) -> None:
    # Written by a script (or a spreadsheet with calculation off): the cell read as empty, and r1's answer to vs-2
    # was lost without a word.
    rows = [WIDE[0], ("r1", "leadership", 4, "=2+1", "learning", 4, 5), *WIDE[2:]]
    data = workbook({"answers": rows})
    assert problems_of(lambda: read_answers_workbook(data, framework, "team.xlsx")) == [
        "team.xlsx[answers]:2 column 'vs-2': the formula =2+1 has no saved value (the file was written by a program "
        "that does not calculate); open and save it in a spreadsheet, or type the value"
    ]
    saved = read_answers_workbook(with_saved_value(data, "2+1", "3"), framework, "team.xlsx")
    assert saved.answers[0, 1] == 2  # the saved 3 is the key "3": option index 2


def test_a_row_wider_than_its_header_is_reported(framework: Framework) -> None:
    rows = [WIDE[0], ("r1", "leadership", 4, 3, "learning", 4, 5, "stray")]
    assert problems_of(lambda: read_answers_workbook(workbook({"answers": rows}), framework, "t.xlsx")) == [
        "t.xlsx[answers]:2: row has 8 cells but the header has 7"
    ]


def test_dates_and_truth_values_read_as_text(framework: Framework) -> None:
    rows = [("respondent", "vs-1"), ("r1", datetime(2026, 1, 2)), ("r2", True)]
    assert problems_of(lambda: read_answers_workbook(workbook({"answers": rows}), framework, "t.xlsx")) == [
        "t.xlsx[answers]:2 column 'vs-1': '2026-01-02' is not an answer to 'vs-1' (allowed: 1, 2, 3, 4, 5, dk, na)",
        "t.xlsx[answers]:3 column 'vs-1': 'true' is not an answer to 'vs-1' (allowed: 1, 2, 3, 4, 5, dk, na)",
    ]


def test_a_column_map_applies_as_for_csv(framework: Framework) -> None:
    rows = [("id", "Q1"), ("r1", "agree")]
    mapping = ColumnMap("map.yaml", (MapEntry("id", "respondent"), MapEntry("Q1", "vs-1")), {"agree": "4"})
    responses = read_answers_workbook(workbook({"answers": rows}), framework, column_map=mapping)
    assert responses.answers[0, 0] == 3
    wrong = ColumnMap("map.yaml", (MapEntry("Q1", "nowhere", 2),))
    assert problems_of(lambda: read_answers_workbook(workbook({"answers": rows}), framework, column_map=wrong))[
        0
    ].startswith("map.yaml:2: entry 'Q1': 'nowhere' is not an indicator")


def test_files_that_are_not_workbooks_are_refused(framework: Framework, tmp_path: Path) -> None:
    path = tmp_path / "answers.xlsx"
    path.write_text("respondent,vs-1\nr1,4\n", encoding="utf-8")
    assert problems_of(lambda: read_answers_xlsx(path, framework)) == [
        f"{path}: not an XLSX workbook; save the file as .xlsx (Excel 2007 or later) or as CSV"
    ]
    assert problems_of(lambda: read_answers_xlsx(tmp_path / "missing.xlsx", framework)) == [
        f"{tmp_path / 'missing.xlsx'}: cannot read the file: No such file or directory"
    ]
    assert problems_of(lambda: read_answers_workbook(workbook({"answers": []}), framework, "e.xlsx")) == [
        "e.xlsx[answers]: file is empty"
    ]


def test_merged_cells_are_named_rather_than_read_as_empty(framework: Framework, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "answers"
    for row in WIDE[:4]:
        sheet.append(list(row))
    sheet.merge_cells("B2:B4")  # one group written once for three respondents
    sheet["J3"] = "note"
    sheet.merge_cells("J3:K3")  # beside the table: nothing of it is lost
    out = io.BytesIO()
    book.save(out)
    assert problems_of(lambda: read_answers_workbook(out.getvalue(), framework, "team.xlsx")) == [
        "team.xlsx[answers]:2 column 'group': cells B2:B4 are merged: unmerge them so every row has its own value"
    ]
    # Outcome files are read by the same check.
    from cxmaturity.outcomes.files import rows
    from cxmaturity.outcomes.problems import OutcomesError

    path = tmp_path / "ratings.xlsx"
    path.write_bytes(out.getvalue())
    with pytest.raises(OutcomesError, match=r"ratings\.xlsx:2 column 'group': cells B2:B4 are merged"):
        list(rows(path))
