"""Reading answer CSV files: both layouts, delimiters, encodings, column maps, and every error with its place."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from cxmaturity.answers import csv_reader
from cxmaturity.answers.builder import MAX_PROBLEMS, AnswersError
from cxmaturity.answers.csv_reader import ColumnMap, load_column_map, read_answers_csv, read_answers_text
from cxmaturity.frameworks import Framework, load_framework
from cxmaturity.scoring.responses import DONT_KNOW_CODE, MISSING, NOT_APPLICABLE_CODE, ResponseMatrix

EXAMPLE = Path(__file__).parent.parent / "data" / "example.yaml"
ALLOWED = "allowed: 1, 2, 3, 4, 5, dk, na"


@pytest.fixture(scope="module")
def framework() -> Framework:
    return load_framework(EXAMPLE)


def write(tmp_path: Path, content: str | bytes, name: str = "answers.csv") -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    return path


def problems_of(call: Callable[[], object]) -> list[str]:
    with pytest.raises(AnswersError) as caught:
        call()
    return [str(p) for p in caught.value.problems]


def text_problems(text: str, framework: Framework, column_map: ColumnMap | None = None) -> list[str]:
    return problems_of(lambda: read_answers_text(text, framework, "a.csv", column_map))


def answer(matrix: ResponseMatrix, respondent: str, indicator: str) -> int:
    r = matrix.respondents.index(respondent)
    return int(matrix.answers[r, matrix.framework.indicator_keys.index(indicator)])


def importance(matrix: ResponseMatrix, respondent: str, indicator: str) -> float:
    r = matrix.respondents.index(respondent)
    return float(matrix.importance[r, matrix.framework.indicator_keys.index(indicator)])


# --------------------------------------------------------------------------------------------------------------------
# Happy paths


def test_it_reads_long_form(tmp_path: Path, framework: Framework) -> None:
    path = write(
        tmp_path,
        "respondent,group,indicator,answer,importance,comment\n"
        "r1,sales,vs-1,4,5,Leaders talk about customers\n"
        "r1,sales,ci-1,committing,,\n"
        "r2,ops,vs-2,1,2,\n",
    )
    matrix = read_answers_csv(path, framework)
    assert matrix.respondents == ("r1", "r2")
    assert matrix.groups == ("sales", "ops")
    assert answer(matrix, "r1", "vs-1") == 3
    assert answer(matrix, "r1", "ci-1") == 2
    assert answer(matrix, "r1", "vs-2") == MISSING
    assert answer(matrix, "r2", "vs-2") == 0
    assert importance(matrix, "r1", "vs-1") == 5.0
    assert importance(matrix, "r2", "vs-2") == 2.0
    assert math.isnan(importance(matrix, "r1", "ci-1"))
    assert [(c.indicator, c.group, c.text) for c in matrix.comments] == [
        ("vs-1", "sales", "Leaders talk about customers")
    ]


def test_it_reads_long_form_columns_in_any_order_and_case(framework: Framework) -> None:
    matrix = read_answers_text(" Answer ,INDICATOR, Respondent\n3,vs-1,r1\n", framework)
    assert matrix.respondents == ("r1",)
    assert matrix.groups == ("",)
    assert answer(matrix, "r1", "vs-1") == 2


def test_it_reads_wide_form(tmp_path: Path, framework: Framework) -> None:
    path = write(
        tmp_path,
        "respondent,group,vs-1,vs-1:importance,vs-1:comment,ci-1,ci-2\n"
        "r1,sales,5,4,Clear promise,learning,\n"
        "r2,sales,,,,,2\n"
        "r3,ops,,,,,\n",
    )
    matrix = read_answers_csv(path, framework)
    assert matrix.respondents == ("r1", "r2", "r3")
    assert matrix.groups == ("sales", "sales", "ops")
    assert answer(matrix, "r1", "vs-1") == 4
    assert answer(matrix, "r1", "ci-1") == 1
    assert answer(matrix, "r1", "ci-2") == MISSING
    assert answer(matrix, "r2", "vs-1") == MISSING
    assert answer(matrix, "r2", "ci-2") == 1
    assert (matrix.answers[2] == MISSING).all()
    assert importance(matrix, "r1", "vs-1") == 4.0
    assert [(c.indicator, c.text) for c in matrix.comments] == [("vs-1", "Clear promise")]


def test_it_reads_wide_form_without_group_and_ignores_case_of_keys(framework: Framework) -> None:
    matrix = read_answers_text("Respondent,VS-1,Vs-2:Importance\nr1,2,5\n", framework)
    assert matrix.groups == ("",)
    assert answer(matrix, "r1", "vs-1") == 1
    assert answer(matrix, "r1", "vs-2") == MISSING
    assert importance(matrix, "r1", "vs-2") == 5.0


def test_it_reads_semicolons(tmp_path: Path, framework: Framework) -> None:
    path = write(tmp_path, "respondent;group;vs-1;vs-2\nr1;Vertrieb, Nord;3;4\n")
    matrix = read_answers_csv(path, framework)
    assert matrix.groups == ("Vertrieb, Nord",)
    assert answer(matrix, "r1", "vs-2") == 3


def test_it_reads_tabs(framework: Framework) -> None:
    matrix = read_answers_text("respondent\tindicator\tanswer\nr1\tvs-1\t5\n", framework)
    assert answer(matrix, "r1", "vs-1") == 4


def test_it_detects_the_delimiter_below_leading_blank_lines(framework: Framework) -> None:
    matrix = read_answers_text("\n\nrespondent;vs-1\nr1;3\n", framework)
    assert answer(matrix, "r1", "vs-1") == 2


def test_it_keeps_commas_when_the_header_has_them(framework: Framework) -> None:
    matrix = read_answers_text("respondent,group,vs-1\nr1,a;b,3\n", framework)
    assert matrix.groups == ("a;b",)


def test_it_accepts_a_utf8_bom(tmp_path: Path, framework: Framework) -> None:
    path = write(tmp_path, b"\xef\xbb\xbfrespondent,group,vs-1\nr1,Vertrieb M\xc3\xbcnchen,3\n")
    matrix = read_answers_csv(path, framework)
    assert matrix.respondents == ("r1",)
    assert matrix.groups == ("Vertrieb München",)


def test_it_accepts_a_bom_in_text(framework: Framework) -> None:
    matrix = read_answers_text("\ufeffrespondent,vs-1\nr1,3\n", framework)
    assert answer(matrix, "r1", "vs-1") == 2


def test_it_reads_dont_know_and_not_applicable(framework: Framework) -> None:
    matrix = read_answers_text("respondent,vs-1,vs-2,ci-1\nr1,dk,NA,na\n", framework)
    assert answer(matrix, "r1", "vs-1") == DONT_KNOW_CODE
    assert answer(matrix, "r1", "vs-2") == NOT_APPLICABLE_CODE
    assert answer(matrix, "r1", "ci-1") == NOT_APPLICABLE_CODE


def test_it_reads_crlf_quoted_fields_and_blank_lines(framework: Framework) -> None:
    text = 'respondent,vs-1,vs-1:comment\r\n\r\nr1,3,"two\r\nlines, and a comma"\r\n,,\r\nr2,4,\r\n'
    matrix = read_answers_text(text, framework)
    assert matrix.respondents == ("r1", "r2")
    assert matrix.comments[0].text == "two\r\nlines, and a comma"


def test_it_reads_a_yaml_column_map(tmp_path: Path, framework: Framework) -> None:
    map_path = write(
        tmp_path,
        "columns:\n"
        '  "Respondent ID": respondent\n'
        '  "Department": group\n'
        '  "Q1. Our leaders talk about customers": vs-1\n'
        '  "Q1 - importance": "vs-1:importance"\n'
        '  "Q3. How do you listen?": ci-1\n'
        "values:\n"
        '  "Strongly agree": "5"\n'
        "  Agree: 4\n"
        '  "Surveys at some touchpoints": learning\n',
        "map.yaml",
    )
    answers = write(
        tmp_path,
        "Respondent ID,Department,Q1. Our leaders talk about customers,Q1 - importance,Q3. How do you listen?,vs-2\n"
        "r1,Sales,Strongly agree,5,Surveys at some touchpoints,agree\n"
        "r2,Sales,AGREE,,,2\n",
    )
    column_map = load_column_map(map_path)
    matrix = read_answers_csv(answers, framework, column_map)
    assert matrix.groups == ("Sales", "Sales")
    assert answer(matrix, "r1", "vs-1") == 4
    assert importance(matrix, "r1", "vs-1") == 5.0
    assert answer(matrix, "r1", "ci-1") == 1
    assert answer(matrix, "r1", "vs-2") == 3  # "agree" is a label in the map, so every answer cell may use it
    assert answer(matrix, "r2", "vs-1") == 3
    assert answer(matrix, "r2", "vs-2") == 1


def test_it_reads_a_csv_column_map(tmp_path: Path, framework: Framework) -> None:
    map_path = write(
        tmp_path,
        'Column,Indicator\n"Respondent ID",respondent\n"Q1, leaders",vs-1\nWhich team?,group\n',
        "map.csv",
    )
    answers = write(tmp_path, 'Respondent ID,Which team?,"Q1, leaders",vs-2\nr1,ops,2,3\n')
    matrix = read_answers_csv(answers, framework, load_column_map(map_path))
    assert matrix.groups == ("ops",)
    assert answer(matrix, "r1", "vs-1") == 1
    assert answer(matrix, "r1", "vs-2") == 2


def test_it_applies_map_values_to_long_form_answers(framework: Framework) -> None:
    column_map = ColumnMap("map.yaml", values={"Neither": "3"})
    matrix = read_answers_text("respondent,indicator,answer\nr1,vs-1,neither\n", framework, column_map=column_map)
    assert answer(matrix, "r1", "vs-1") == 2


# --------------------------------------------------------------------------------------------------------------------
# Errors of the file as a whole


def test_it_refuses_a_file_that_is_not_utf8(tmp_path: Path, framework: Framework) -> None:
    path = write(tmp_path, b"respondent,group,vs-1\nr1,sales,3\nr2,Vertrieb M\xfcnchen,4\n")
    assert problems_of(lambda: read_answers_csv(path, framework)) == [
        f"{path}: file is not UTF-8: byte 0xFC on line 3 cannot be read; save the file as UTF-8"
    ]


def test_it_refuses_an_empty_file(tmp_path: Path, framework: Framework) -> None:
    path = write(tmp_path, b"")
    assert problems_of(lambda: read_answers_csv(path, framework)) == [f"{path}: file is empty"]


def test_it_refuses_a_file_of_blank_lines(framework: Framework) -> None:
    assert text_problems("\ufeff\n  \n\n", framework) == ["a.csv: file is empty"]


def test_it_refuses_a_missing_file(tmp_path: Path, framework: Framework) -> None:
    path = tmp_path / "nowhere.csv"
    assert problems_of(lambda: read_answers_csv(path, framework)) == [
        f"{path}: cannot read the file: No such file or directory"
    ]


def test_it_refuses_a_file_over_the_size_limit(
    tmp_path: Path, framework: Framework, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(csv_reader, "MAX_BYTES", 1024 * 1024)
    path = write(tmp_path, "respondent,vs-1\n" + "r1,3\n" * 300_000)
    message = "file is larger than 1 MiB (1048576 bytes); split it into smaller files"
    assert problems_of(lambda: read_answers_csv(path, framework)) == [f"{path}: {message}"]
    assert text_problems(path.read_text(), framework) == [f"a.csv: {message}"]


def test_it_refuses_more_rows_than_the_limit(framework: Framework, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csv_reader, "MAX_ROWS", 3)
    text = "respondent,vs-1\n" + "".join(f"r{i},3\n" for i in range(5))
    assert text_problems(text, framework) == ["a.csv:5: more than 3 rows of answers; split the file"]


def test_it_refuses_a_header_without_rows(framework: Framework) -> None:
    assert text_problems("respondent,group,vs-1\n\n", framework) == [
        "a.csv: no answers: the file has a header but no rows"
    ]


def test_it_reports_broken_csv_at_the_record_start(framework: Framework) -> None:
    text = "respondent,vs-1,vs-1:comment\nr1,3,ok\nr2,3," + "x" * 200_000 + "\n"
    assert text_problems(text, framework) == ["a.csv:3: not valid CSV: field larger than field limit (131072)"]


def test_it_keeps_the_problems_found_before_broken_csv(framework: Framework) -> None:
    text = "respondent,vs-1,vs-1:comment\nr1,8,ok\nr2,3," + "x" * 200_000 + "\n"
    assert text_problems(text, framework) == [
        f"a.csv:2 column 'vs-1': '8' is not an answer to 'vs-1' ({ALLOWED})",
        "a.csv:3: not valid CSV: field larger than field limit (131072)",
    ]


# --------------------------------------------------------------------------------------------------------------------
# Errors of the header


def test_it_requires_a_respondent_column(framework: Framework) -> None:
    assert text_problems("group,vs-1\nsales,3\n", framework) == ["a.csv:1: the header has no 'respondent' column"]


def test_it_requires_indicator_in_long_form(framework: Framework) -> None:
    assert text_problems("respondent,answer\nr1,3\n", framework) == ["a.csv:1: the header has no 'indicator' column"]


def test_it_requires_answer_in_long_form(framework: Framework) -> None:
    assert text_problems("respondent,group,indicator,importance\nr1,a,vs-1,3\n", framework) == [
        "a.csv:1: the header has no 'answer' column"
    ]


def test_it_names_an_unknown_wide_column_and_suggests_a_key(framework: Framework) -> None:
    assert text_problems("respondent,vs1,ci-2:importanc,Timestamp\nr1,3,4,2024\n", framework) == [
        "a.csv:1 column 'vs1': unknown column: not an indicator of framework example-model (did you mean 'vs-1'?)",
        "a.csv:1 column 'ci-2:importanc': unknown column: not an indicator of framework example-model "
        "(did you mean 'ci-2:importance'?)",
        "a.csv:1 column 'Timestamp': unknown column: not an indicator of framework example-model",
    ]


def test_it_names_an_unknown_long_form_column(framework: Framework) -> None:
    assert text_problems("respondent,indicator,answer,importnace\nr1,vs-1,3,4\n", framework) == [
        "a.csv:1 column 'importnace': unknown column in long form (the columns are respondent, group, indicator, "
        "answer, importance, comment) (did you mean 'importance'?)"
    ]


def test_it_requires_an_indicator_column_in_wide_form(framework: Framework) -> None:
    assert text_problems("respondent,group\nr1,a\n", framework) == ["a.csv:1: the header has no indicator columns"]


def test_it_refuses_duplicate_columns(framework: Framework) -> None:
    assert text_problems("respondent,vs-1,group,VS-1, Group \nr1,3,a,4,a\n", framework) == [
        "a.csv:1 column 'VS-1': duplicate column: 'vs-1' is already column 2",
        "a.csv:1 column 'Group': duplicate column: 'group' is already column 3",
    ]


def test_it_refuses_two_columns_mapped_to_one_indicator(framework: Framework) -> None:
    column_map = ColumnMap("map.yaml", (csv_reader.MapEntry("Q1", "vs-1"),))
    assert text_problems("respondent,Q1,vs-1\nr1,3,4\n", framework, column_map) == [
        "a.csv:1 column 'vs-1': duplicate column: 'vs-1' is already column 2"
    ]


def test_it_refuses_values_under_a_column_with_no_name(framework: Framework) -> None:
    matrix = read_answers_text("respondent,vs-1,\nr1,3,\n", framework)
    assert answer(matrix, "r1", "vs-1") == 2
    assert text_problems("respondent,vs-1,\nr1,3,oops\n", framework) == [
        "a.csv:2 column '#3': a value under a column with no name"
    ]


# --------------------------------------------------------------------------------------------------------------------
# Errors of rows and cells


def test_it_refuses_ragged_rows(framework: Framework) -> None:
    text = "respondent,group,vs-1\nr1,a,3,4\nr2,a\nr3,a,2\n"
    assert text_problems(text, framework) == [
        "a.csv:2: row has 4 cells but the header has 3",
        "a.csv:3: row has 2 cells but the header has 3",
    ]


def test_it_gives_the_line_a_multiline_record_starts_on(framework: Framework) -> None:
    text = 'respondent,vs-1,vs-1:comment\nr1,3,"line one\nline two\nline three"\nr2,9,\n'
    assert text_problems(text, framework) == [f"a.csv:5 column 'vs-1': '9' is not an answer to 'vs-1' ({ALLOWED})"]


def test_it_refuses_an_unknown_indicator_in_long_form(framework: Framework) -> None:
    text = "respondent,indicator,answer\nr1,vs_1,3\nr1,xyz,3\nr1, ,3\n"
    assert text_problems(text, framework) == [
        "a.csv:2 column 'indicator': unknown indicator 'vs_1' in framework example-model (did you mean 'vs-1'?)",
        "a.csv:3 column 'indicator': unknown indicator 'xyz' in framework example-model",
        "a.csv:4 column 'indicator': indicator is empty",
    ]


def test_it_refuses_an_unknown_answer(framework: Framework) -> None:
    text = "respondent,indicator,answer\nr1,vs-1,6\nr1,ci-1,3\n"
    assert text_problems(text, framework) == [
        f"a.csv:2 column 'answer': '6' is not an answer to 'vs-1' ({ALLOWED})",
        "a.csv:3 column 'answer': '3' is not an answer to 'ci-1' (allowed: emerging, learning, committing, dk, na)",
    ]


def test_it_refuses_a_second_answer_to_one_indicator(framework: Framework) -> None:
    assert text_problems("respondent,indicator,answer\nr1,vs-1,3\nr2,vs-1,3\nr1,vs-1,4\n", framework) == [
        "a.csv:4 column 'answer': second answer of respondent 'r1' to 'vs-1' (first on row 2)"
    ]
    assert text_problems("respondent,vs-1,vs-2\nr1,3,\nr1,4,2\n", framework) == [
        "a.csv:3 column 'vs-1': second answer of respondent 'r1' to 'vs-1' (first on row 2)"
    ]


def test_it_refuses_a_respondent_in_two_groups_once_per_row(framework: Framework) -> None:
    text = "respondent,group,vs-1,vs-2,ci-2\nr1,sales,3,3,3\nr2,ops,3,3,3\nr1,ops,4,4,4\n"
    assert text_problems(text, framework) == [
        "a.csv:4 column 'group': respondent 'r1' is in group 'ops' here but in group 'sales' on row 2"
    ]


def test_it_refuses_importance_outside_1_to_5(framework: Framework) -> None:
    text = "respondent,indicator,answer,importance\nr1,vs-1,3,0\nr1,vs-2,3,high\nr1,ci-2,3,5\n"
    assert text_problems(text, framework) == [
        "a.csv:2 column 'importance': importance must be a number from 1 to 5, got '0'",
        "a.csv:3 column 'importance': importance must be a number from 1 to 5, got 'high'",
    ]
    assert text_problems("respondent,vs-1,vs-1:importance\nr1,3,6\n", framework) == [
        "a.csv:2 column 'vs-1:importance': importance must be a number from 1 to 5, got '6'"
    ]


def test_it_refuses_an_empty_respondent_id(framework: Framework) -> None:
    assert text_problems("respondent,group,vs-1,vs-2\n ,sales,3,4\n", framework) == [
        "a.csv:2 column 'respondent': respondent id is empty"
    ]
    assert text_problems("indicator,answer,respondent\nvs-1,3,\n", framework) == [
        "a.csv:2 column 'respondent': respondent id is empty"
    ]


def test_it_lists_every_problem_at_once(framework: Framework) -> None:
    text = "respondent,vs-1,vs2\nr1,7,3\n,3,3\nr3,3\n"
    assert text_problems(text, framework) == [
        "a.csv:1 column 'vs2': unknown column: not an indicator of framework example-model (did you mean 'vs-2'?)",
        f"a.csv:2 column 'vs-1': '7' is not an answer to 'vs-1' ({ALLOWED})",
        "a.csv:3 column 'respondent': respondent id is empty",
        "a.csv:4: row has 2 cells but the header has 3",
    ]


def test_it_stops_listing_at_the_builders_cap(framework: Framework) -> None:
    text = "respondent,vs-1\n" + "".join(f"r{i},9\n" for i in range(MAX_PROBLEMS + 20))
    with pytest.raises(AnswersError) as caught:
        read_answers_text(text, framework)
    assert len(caught.value.problems) == MAX_PROBLEMS
    assert str(caught.value).endswith(f"(stopped after {MAX_PROBLEMS} problems)")


# --------------------------------------------------------------------------------------------------------------------
# Errors of column maps


def test_it_names_the_map_entry_with_an_unknown_indicator(tmp_path: Path, framework: Framework) -> None:
    map_path = write(tmp_path, 'columns:\n  "Respondent ID": respondent\n  "Q1": vs_1\n  "Q2": ci-2\n', "map.yaml")
    column_map = load_column_map(map_path)
    assert text_problems("Respondent ID,Q2\nr1,3\n", framework, column_map) == [
        f"{map_path}: entry 'Q1': 'vs_1' is not an indicator of framework example-model nor one of respondent, "
        "group, indicator, answer, importance, comment (did you mean 'vs-1'?)"
    ]


def test_it_gives_the_row_of_a_bad_csv_map_entry(tmp_path: Path, framework: Framework) -> None:
    map_path = write(tmp_path, "column,indicator\nID,respondent\nQ1,vision\n", "map.csv")
    column_map = load_column_map(map_path)
    assert text_problems("ID,Q1\nr1,3\n", framework, column_map) == [
        f"{map_path}:3: entry 'Q1': 'vision' is not an indicator of framework example-model nor one of respondent, "
        "group, indicator, answer, importance, comment"
    ]


def test_it_refuses_a_yaml_map_of_the_wrong_shape(tmp_path: Path) -> None:
    map_path = write(tmp_path, "columns:\n  - Q1\n  - vs-1\nvalues:\n  Agree: [4]\nextra: 1\n", "map.yaml")
    assert problems_of(lambda: load_column_map(map_path)) == [
        f"{map_path}: unknown key 'extra' (a column map has 'columns' and 'values')",
        f"{map_path}: 'columns' must map a column header to an indicator key",
        f"{map_path}: values entry 'Agree': expected an answer label mapped to an option key",
    ]


def test_it_refuses_a_yaml_map_that_is_not_a_mapping(tmp_path: Path) -> None:
    map_path = write(tmp_path, "- Q1\n- vs-1\n", "map.yaml")
    assert problems_of(lambda: load_column_map(map_path)) == [
        f"{map_path}: a column map must be a mapping with 'columns' and optionally 'values'"
    ]


@pytest.mark.parametrize(
    ("name", "text"), [("a.yaml", ""), ("b.yaml", "columns: {}\n"), ("c.csv", ""), ("d.csv", "column,indicator\n")]
)
def test_it_refuses_an_empty_map(tmp_path: Path, name: str, text: str) -> None:
    map_path = write(tmp_path, text, name)
    assert problems_of(lambda: load_column_map(map_path)) == [f"{map_path}: the column map is empty"]


def test_it_reports_yaml_syntax_errors_in_a_map(tmp_path: Path) -> None:
    map_path = write(tmp_path, "columns:\n  Q1: vs-1\n  Q2: [vs-2\n", "map.yaml")
    [problem] = problems_of(lambda: load_column_map(map_path))
    assert problem.startswith(f"{map_path}:4: not valid YAML: ")


def test_it_refuses_duplicate_map_entries(tmp_path: Path) -> None:
    csv_map = write(tmp_path, "column,indicator\nQ1,vs-1\n q1 ,vs-2\nQ3\n", "map.csv")
    assert problems_of(lambda: load_column_map(csv_map)) == [
        f"{csv_map}:3: entry 'q1' is given twice (first on row 2)",
        f"{csv_map}:4: row has 1 cells but the header has 2",
    ]
    yaml_map = write(tmp_path, "columns:\n  Q1: vs-1\n  q1: vs-2\n", "map.yaml")
    assert problems_of(lambda: load_column_map(yaml_map)) == [f"{yaml_map}: columns entry 'q1' is given twice"]


def test_it_refuses_a_csv_map_with_the_wrong_header(tmp_path: Path) -> None:
    map_path = write(tmp_path, "header,key\nQ1,vs-1\n", "map.csv")
    assert problems_of(lambda: load_column_map(map_path)) == [
        f"{map_path}:1: a CSV column map needs the header 'column,indicator'"
    ]


def test_it_refuses_an_empty_csv_map_cell(tmp_path: Path) -> None:
    map_path = write(tmp_path, "column,indicator\nQ1,\n", "map.csv")
    assert problems_of(lambda: load_column_map(map_path)) == [
        f"{map_path}:2: both 'column' and 'indicator' must be filled in"
    ]


def test_it_keeps_the_matrix_shape(framework: Framework) -> None:
    matrix = read_answers_text("respondent,ci-2\nr1,1\nr2,5\n", framework)
    assert matrix.answers.dtype == np.int16
    assert matrix.answers.shape == (2, len(framework.indicator_keys))
