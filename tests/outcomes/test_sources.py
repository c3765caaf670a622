"""Survey-tool exports as the tools write them: layouts recognized, mappings suggested, responses streamed, partial
responses left out, and every problem named by file, row and column."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from cxmaturity.outcomes import (
    ColumnMapping,
    MappingError,
    OutcomesError,
    SurveyReader,
    inspect_survey,
    read_survey,
    suggest_mapping,
)
from cxmaturity.outcomes.files import number

DATA = Path(__file__).resolve().parent.parent / "data" / "outcomes"
QUALTRICS = DATA / "qualtrics.csv"
MONKEY = DATA / "surveymonkey.csv"
GOOGLE = DATA / "google-forms.csv"


def test_it_recognizes_a_qualtrics_export_with_three_header_rows_and_a_bom() -> None:
    assert QUALTRICS.read_bytes().startswith(b"\xef\xbb\xbf")
    layout = inspect_survey(QUALTRICS)
    assert (layout.tool, layout.header_rows) == ("qualtrics", 3)
    assert layout.columns[0].name == "StartDate"  # the BOM is not part of the first name
    q1 = layout.find("QID1")
    assert q1 is not None
    assert q1.name == "Q1"
    assert "\n" in q1.label  # a quoted, multi-line question text
    assert layout.find("q4_2") is not None


def test_it_suggests_the_qualtrics_mapping() -> None:
    suggestion = suggest_mapping(QUALTRICS)
    m = suggestion.mapping
    assert (m.response_id, m.submitted_at, m.finished, m.segment) == (
        "ResponseId",
        "RecordedDate",
        "Finished",
        "Region",
    )
    assert (m.nps, m.csat, m.csat_scale, m.ces, m.ces_scale, m.date_format) == ("Q1", "Q2", 5, "Q3", 7, "iso")
    assert "nps" in suggestion.reasons


def test_it_reads_qualtrics_responses_and_leaves_out_the_unfinished_one() -> None:
    mapping = suggest_mapping(QUALTRICS).mapping
    reader = SurveyReader(QUALTRICS, mapping)
    responses = list(reader)
    assert not reader.problems
    assert (len(responses), reader.partial) == (13, 1)
    first = responses[0]
    # Three header rows, and the second one holds two quoted line breaks and one more: the first answer row is 7.
    assert first.row == 7
    assert (first.response_id, first.nps, first.csat, first.ces, first.segment) == (
        "R_3kq9Zx1Lm0a001",
        10,
        5,
        7,
        "North",
    )
    assert first.submitted_at == datetime(2026, 1, 5, 9, 12, 33)
    # The row after a quoted multi-line reason is numbered by the line it starts on.
    assert [r.row for r in responses[3:5]] == [10, 12]
    everyone = list(SurveyReader(QUALTRICS, ColumnMapping.from_dict(mapping.to_dict() | {"include_partial": True})))
    assert len(everyone) == 14
    assert [r.finished for r in everyone].count(False) == 1


def test_it_recognizes_surveymonkey_and_names_option_columns_under_their_question() -> None:
    layout = inspect_survey(MONKEY)
    assert (layout.tool, layout.header_rows) == ("surveymonkey", 2)
    names = [c.name for c in layout.columns]
    assert "Which channels did you use? (Select all that apply) - Phone" in names
    assert "How would you rate the following? - Packaging" in names
    assert "How likely is it that you would recommend Northwind Goods to a friend or colleague?" in names
    m = suggest_mapping(MONKEY).mapping
    assert (m.response_id, m.submitted_at, m.date_format) == ("Respondent ID", "End Date", "%m/%d/%Y %I:%M:%S %p")
    assert (m.csat_scale, m.ces_scale) == (5, 5)
    responses = read_survey(MONKEY, m)
    assert len(responses) == 8
    assert responses[1].submitted_at == datetime(2026, 1, 5, 13, 45)


def test_it_recognizes_google_forms_and_its_timestamp_format() -> None:
    suggestion = suggest_mapping(GOOGLE)
    assert suggestion.layout.tool == "google-forms"
    m = suggestion.mapping
    assert (m.submitted_at, m.date_format, m.response_id) == ("Timestamp", "%m/%d/%Y %H:%M:%S", None)
    assert m.ces is not None
    assert m.ces.startswith("How easy was it")
    responses = read_survey(GOOGLE, m)
    # No id column: a hash of the row's cells identifies a response, wherever the row stands in the file.
    assert all(r.response_id.startswith("#") and len(r.response_id) == 17 for r in responses)
    assert len({r.response_id for r in responses}) == len(responses)
    assert responses[0].row == 3  # the header takes two lines: a quoted line break
    again = read_survey(GOOGLE, m)
    assert [r.response_id for r in again] == [r.response_id for r in responses]
    assert responses[2].period() == "2026-01"


def test_it_reads_a_plain_csv_with_semicolons(tmp_path: Path) -> None:
    path = tmp_path / "plain.csv"
    path.write_text("id;date;segment;nps;csat\na1;2026-03-01;Retail;9;4\na2;2026-03-02;Retail;3;2\n", encoding="utf-8")
    suggestion = suggest_mapping(path)
    assert suggestion.layout.tool == "csv"
    m = suggestion.mapping
    assert (m.response_id, m.submitted_at, m.segment, m.nps, m.csat) == ("id", "date", "segment", "nps", "csat")
    assert [r.nps for r in read_survey(path, m)] == [9, 3]


def test_it_reads_a_qualtrics_xlsx_export_with_numeric_finished(tmp_path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["StartDate", "Finished", "RecordedDate", "ResponseId", "Q1", "Q2"])
    sheet.append(
        [
            "Start Date",
            "Finished",
            "Recorded Date",
            "Response ID",
            "How likely are you to recommend us?",
            "How satisfied are you?",
        ]
    )
    sheet.append(
        [
            '{"ImportId":"startDate"}',
            '{"ImportId":"finished"}',
            '{"ImportId":"recordedDate"}',
            '{"ImportId":"_recordId"}',
            '{"ImportId":"QID1"}',
            '{"ImportId":"QID2"}',
        ]
    )
    sheet.append([datetime(2026, 3, 1, 9), 1, datetime(2026, 3, 1, 9, 5), "R_1", 10, 5])
    sheet.append([datetime(2026, 3, 2, 9), 0, datetime(2026, 3, 2, 9, 5), "R_2", 2, None])
    sheet.append([datetime(2026, 3, 3, 9), 1, datetime(2026, 3, 3, 9, 5), "R_3", 7.0, 4])
    path = tmp_path / "export.xlsx"
    workbook.save(path)
    suggestion = suggest_mapping(path)
    assert (suggestion.layout.tool, suggestion.layout.format) == ("qualtrics", "xlsx")
    reader = SurveyReader(path, suggestion.mapping)
    responses = list(reader)
    assert [(r.response_id, r.nps, r.row) for r in responses] == [("R_1", 10, 4), ("R_3", 7, 6)]
    assert reader.partial == 1
    assert responses[0].submitted_at == datetime(2026, 3, 1, 9, 5)


def test_a_rating_written_as_a_formula_without_a_saved_value_is_named_not_skipped(tmp_path: Path) -> None:
    # A workbook made by a script: the cell read as empty, and R_2's NPS answer was left out without a word.
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in (["ResponseId", "NPS"], ["R_1", 9], ["R_2", "=4+5"], ["R_3", 6]):
        sheet.append(row)
    path = tmp_path / "ratings.xlsx"
    workbook.save(path)
    mapping = ColumnMapping(response_id="ResponseId", nps="NPS")
    with pytest.raises(OutcomesError) as caught:
        read_survey(path, mapping)
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:3 column 'NPS': the formula =4+5 has no saved value (the file was written by a program that does "
        "not calculate); open and save it in a spreadsheet, or type the value"
    ]


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_it_names_file_row_and_column_of_every_bad_value(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "bad.csv",
        "id,date,nps,csat\n"
        "a1,2026-03-01,9,4\n"
        "a2,01/03/2026,11,7\n"  # an unreadable date, 11 on 0-10, a 7 in a 1-5 question
        "a1,2026-03-03,8,5\n"  # a repeated response id
        "a4,2026-03-04,great,3\n",
    )
    mapping = ColumnMapping(response_id="id", submitted_at="date", nps="nps", csat="csat", csat_scale=5)
    with pytest.raises(OutcomesError) as caught:
        read_survey(path, mapping)
    lines = str(caught.value).splitlines()
    assert lines == [
        f"{path}:3 column 'date': '01/03/2026' is not a date in ISO form (YYYY-MM-DD, optionally with hh:mm:ss)",
        f"{path}:3 column 'nps': 11 is not on the NPS scale 0-10",
        f"{path}:3 column 'csat': 7 is not on the CSAT scale 1-5",
        f"{path}:5 column 'nps': 'great' is not a number on the NPS scale 0-10",
        f"{path}:4 column 'id': repeats the response id of row 2: a response is counted once",
    ]


def test_it_states_the_date_format_it_expected(tmp_path: Path) -> None:
    path = _write(tmp_path, "dates.csv", "id,date,nps\na1,2026-03-01,9\n")
    with pytest.raises(
        OutcomesError, match=r"dates.csv:2 column 'date': '2026-03-01' is not a date in the format %d/%m/%Y"
    ):
        read_survey(path, ColumnMapping(response_id="id", submitted_at="date", date_format="%d/%m/%Y", nps="nps"))


def test_it_names_a_missing_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "few.csv", "id,nps\na1,9\n")
    with pytest.raises(OutcomesError, match=r"few.csv:1: no column 'CSAT question' \(mapped as csat\)"):
        read_survey(path, ColumnMapping(response_id="id", nps="nps", csat="CSAT question"))


def test_it_stops_listing_after_the_limit_but_counts_on(tmp_path: Path) -> None:
    path = _write(tmp_path, "many.csv", "nps\n" + "12\n" * 80)
    reader = SurveyReader(path, ColumnMapping(nps="nps"), max_problems=50)
    assert list(reader) == []
    assert (len(reader.problems.problems), reader.problems.count) == (50, 80)
    assert "(stopped after 50 problems)" in str(reader.problems.error())


def test_it_refuses_a_file_that_is_not_there_or_not_text(tmp_path: Path) -> None:
    with pytest.raises(OutcomesError, match=r"missing\.csv: no such file"):
        inspect_survey(tmp_path / "missing.csv")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("nps,comment\n9,tr\xe8s bien\n".encode("latin-1"))
    with pytest.raises(OutcomesError, match=r"latin\.csv.*is not UTF-8 text"):
        read_survey(latin, ColumnMapping(nps="nps"))
    fake = tmp_path / "fake.xlsx"
    fake.write_text("not a workbook", encoding="utf-8")
    with pytest.raises(OutcomesError, match=r"fake\.xlsx: not an XLSX workbook"):
        inspect_survey(fake)


def test_a_mapping_round_trips_through_json_and_refuses_what_it_cannot_be() -> None:
    mapping = suggest_mapping(QUALTRICS).mapping
    mapping = ColumnMapping.from_dict(mapping.to_dict() | {"drivers": ["Q4_1", "Q4_2"]})
    assert ColumnMapping.from_json(mapping.to_json()) == mapping
    with pytest.raises(MappingError, match="unknown key 'npss'"):
        ColumnMapping.from_dict({"npss": "Q1"})
    with pytest.raises(MappingError, match="csat_scale must be one of"):
        ColumnMapping(csat_scale=10)
    with pytest.raises(MappingError, match="not valid JSON"):
        ColumnMapping.from_json("{")
    with pytest.raises(MappingError, match=r"^not valid JSON: nested too deeply$"):
        ColumnMapping.from_json("[" * 100_000 + "]" * 100_000)
    with pytest.raises(MappingError, match=r"^not valid JSON: a number has more than 4300 digits$"):
        ColumnMapping.from_json('{"csat_scale": ' + "5" * 5000 + "}")


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("7", 7.0),
        (" 7.5 ", 7.5),
        ("7,5", 7.5),
        ("5 - Very satisfied", 5.0),
        ("Extremely likely - 10", 10.0),
        ("0 (Not at all likely)", 0.0),
        ("", None),
        (None, None),
        (3, 3.0),
    ],
)
def test_it_reads_numbers_and_labelled_numbers(cell: str | int | None, value: float | None) -> None:
    assert number(cell) == value


def test_it_refuses_text_without_a_number() -> None:
    with pytest.raises(ValueError, match="not a number"):
        number("Very satisfied")


def test_it_reads_the_legacy_two_row_qualtrics_export(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "legacy.csv",
        "ResponseID,StartDate,Finished,Q1\nResponse ID,Start Date,Finished,How likely are you to recommend us?\n"
        "R_1,2026-03-01 10:00:00,1,9\nR_2,2026-03-02 10:00:00,0,\n",
    )
    suggestion = suggest_mapping(path)
    assert (suggestion.layout.tool, suggestion.layout.header_rows) == ("qualtrics", 2)
    reader = SurveyReader(path, suggestion.mapping)
    assert [(r.response_id, r.nps) for r in reader] == [("R_1", 9)]
    assert reader.partial == 1


def test_it_samples_rows_and_suggests_the_format_of_a_chosen_date_column() -> None:
    from cxmaturity.outcomes.sources import sample, suggest_date_format

    rows = sample(MONKEY, limit=2)
    assert len(rows) == 2
    assert rows[0][0] == "114238650101"
    assert suggest_date_format(MONKEY, "Start Date") == "%m/%d/%Y %I:%M:%S %p"
    assert suggest_date_format(MONKEY, "no such column") is None


def test_a_file_without_ids_counts_a_repeated_row_once(tmp_path: Path) -> None:
    path = _write(tmp_path, "forms.csv", "Timestamp,nps\n3/1/2026 9:00:00,9\n3/1/2026 9:00:01,9\n3/1/2026 9:00:00,9\n")
    mapping = ColumnMapping(submitted_at="Timestamp", date_format="%m/%d/%Y %H:%M:%S", nps="nps")
    with pytest.raises(OutcomesError) as caught:
        read_survey(path, mapping)
    assert str(caught.value) == (
        f"{path}:4: repeats row 2 cell for cell (the file has no response id column): counted once"
    )


def survey_workbook(path: Path, sheets: int) -> Path:
    """The Google Forms export as the first sheet ("Responses") of a workbook of ``sheets`` sheets."""
    import csv

    from openpyxl import Workbook

    book = Workbook()
    first = book.active
    assert first is not None
    first.title = "Responses"
    with (DATA / "google-forms.csv").open(encoding="utf-8-sig", newline="") as f:
        for row in csv.reader(f):
            first.append([int(cell) if cell.isdigit() else cell for cell in row])
    for n in range(2, sheets + 1):
        book.create_sheet(f"Notes {n}").append(["not imported"])
    book.save(path)
    return path


def test_the_layout_says_which_sheet_of_several_was_read(tmp_path: Path) -> None:
    three = inspect_survey(survey_workbook(tmp_path / "three.xlsx", 3))
    assert (three.sheet, three.sheets, three.tool) == ("Responses", 3, "google-forms")
    assert three.sheet_read == "read the sheet 'Responses', the first of 3"
    one = inspect_survey(survey_workbook(tmp_path / "one.xlsx", 1))
    assert (one.sheet, one.sheets, one.sheet_read) == ("Responses", 1, None)
    plain = inspect_survey(DATA / "google-forms.csv")
    assert (plain.sheet, plain.sheets, plain.sheet_read) == (None, 0, None)
