"""The scoring side of the ``cxm`` command line: ``score``, ``template``, ``demo`` and ``frameworks list``.

Every command runs through typer's ``CliRunner`` with ``catch_exceptions=False``, so an exception that escapes a
command fails the test instead of becoming exit code 1. Intervals are switched off (``--bootstrap 0``) wherever they
do not matter, to keep the file fast.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from cxmaturity import cli
from cxmaturity.cli import app
from cxmaturity.frameworks import Framework, builtin_ids, load_builtin, load_framework
from cxmaturity.scoring.agreement import NULL_DISTRIBUTION
from tests.support.timing import timed

DATA = Path(__file__).resolve().parent / "data"
EXAMPLE = DATA / "example.yaml"
WORKED = DATA / "worked-example.csv"
BUILTINS = (
    "bliss-maturity-map",
    "cx-core-competency",
    "four-competencies",
    "xm-six-competencies",
    "yohn-cx-maturity",
)
LONG_HEADER = "respondent,group,indicator,answer,importance,comment\n"

#: The worked example in wide form: the same answers as tests/data/worked-example.csv.
WIDE = (
    "respondent,group,vs-1,vs-2,ci-1,ci-2\n"
    "r1,leadership,4,3,learning,4\n"
    "r2,leadership,5,2,committing,3\n"
    "r3,leadership,4,dk,learning,5\n"
    "r4,front line,3,1,emerging,2\n"
)

#: The worked example as a survey tool exports it: its own headers, answer labels and a semicolon.
SURVEY = (
    '"Response ID";"Department";"Q1. We have a written description of the experience";"Q2. CX targets";'
    '"Q3. How do you listen to customers?";"Q4. Insights reach people"\n'
    "r1;leadership;Agree;Neither;Surveys at some touchpoints;Agree\n"
    "r2;leadership;Strongly agree;Disagree;A listening program;Neither\n"
    "r3;leadership;Agree;Don't know;Surveys at some touchpoints;Strongly agree\n"
    "r4;front line;Neither;Strongly disagree;Complaints only;Disagree\n"
)
SURVEY_MAP = """\
columns:
  "Response ID": respondent
  "Department": group
  "Q1. We have a written description of the experience": vs-1
  "Q2. CX targets": vs-2
  "Q3. How do you listen to customers?": ci-1
  "Q4. Insights reach people": ci-2
values:
  "Strongly disagree": 1
  "Disagree": 2
  "Neither": 3
  "Agree": 4
  "Strongly agree": 5
  "Don't know": dk
  "Complaints only": emerging
  "Surveys at some touchpoints": learning
  "A listening program": committing
"""


def cxm(*args: str | Path) -> Result:
    """Run ``cxm`` with a wide, colourless terminal; an exception escaping a command fails the test."""
    runner = CliRunner(env={"COLUMNS": "200", "FORCE_COLOR": None, "TTY_COMPATIBLE": None, "CXM_DEBUG": None})
    return runner.invoke(app, [str(arg) for arg in args], catch_exceptions=False)


def ok(result: Result) -> Result:
    assert result.exit_code == 0, result.output
    return result


def score_json(answers: Path = WORKED, *extra: str | Path, framework: str | Path = EXAMPLE) -> dict[str, Any]:
    result = ok(cxm("score", "--framework", framework, answers, "--format", "json", "--bootstrap", "0", *extra))
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def input_error(result: Result) -> list[str]:
    """Check ``result`` is a clean input error (exit 1, stderr only, no traceback) and return its stderr lines."""
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert lines
    return lines


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    return path


def competency(data: dict[str, Any], key: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in data["competencies"] if c["key"] == key)
    return found


@pytest.fixture(scope="module")
def example() -> Framework:
    return load_framework(EXAMPLE)


# --------------------------------------------------------------------------------------------------------------------
# score: JSON


def test_it_scores_the_worked_example_as_json(example: Framework) -> None:
    data = score_json()
    assert data["format"] == "cx-maturity/result@1"
    assert data["framework"] == "example-model"
    assert data["framework_version"] == "1.0"
    assert data["respondents"] == 4
    assert data["overall"]["stage"] == "emerging"
    assert data["overall"]["score"] == 1.9821
    assert data["overall"]["rule"] == "weakest"
    assert [c["key"] for c in data["competencies"]] == ["vision", "insight"]
    vision, insight = competency(data, "vision"), competency(data, "insight")
    assert (vision["stage"], vision["score"]) == ("learning", 2.3571)
    assert (insight["stage"], insight["score"]) == ("emerging", 1.9821)
    assert vision["coverage"] == 0.875
    assert insight["coverage"] == 1.0
    assert vision["agreement"] == {
        "sd": 0.9082,
        "ad": 0.5833,
        "rwg": 0.7368,
        "rwg_lindell": 0.5833,
        "polarised": False,
        "rwg_out_of_range": False,
    }
    for comp in data["competencies"]:
        assert {"key", "stage", "score", "interval", "stage_probabilities", "coverage", "agreement"} <= comp.keys()
        assert {"sd", "ad", "rwg"} <= comp["agreement"].keys()
        assert comp["stage"] in example.stage_keys  # stages are given by key, not by name
        assert comp["interval"] is None  # --bootstrap 0: no intervals
        assert comp["stage_probabilities"] == {}
    assert data["weakest"] == ["insight"]
    assert data["strongest"] == ["vision"]
    assert data["coverage"] == 0.9375


def test_it_lists_discussion_items_most_disputed_first() -> None:
    items = score_json()["discussion_items"]
    assert [d["indicator"] for d in items] == ["ci-1", "ci-2", "vs-2", "vs-1"]
    for item in items:
        assert {"indicator", "competency", "sd", "rwg"} <= item.keys()
    assert items[0] == {
        "indicator": "ci-1",
        "competency": "insight",
        "answered": 4,
        "sd": 0.8165,
        "ad": 0.5,
        "rwg": 0.0,
        "distribution": {"emerging": 1, "learning": 2, "committing": 1},
        "polarised": False,
    }


def test_it_reports_groups_blind_spots_gaps_and_settings() -> None:
    data = score_json()
    # Front line has one respondent, fewer than the default 3; leadership would leave exactly that one person out.
    assert data["groups"] == []
    assert data["withheld_groups"] == 2
    shown = score_json(WORKED, "--min-group-size", "1")["groups"]
    assert [(g["group"], g["respondents"]) for g in shown] == [("front line", 1), ("leadership", 3)]
    assert shown[1]["competencies"][0] == {"key": "vision", "stage": "learning", "score": 2.5357}
    assert data["blind_spots"] == []
    # Insight sets the overall stage (rule "weakest"): it holds the overall back and leads the gaps.
    assert [(g["competency"], g["target"], g["gap"], g["holds_back"]) for g in data["gaps"]] == [
        ("insight", "learning", 0.0179, True),
        ("vision", "committing", 0.6429, False),
    ]
    assert data["settings"] == {
        "min_group_size": 3,
        "bootstrap": 0,
        "seed": 0,
        "confidence": 0.9,
        "targets": {},
        "agreement": {"null": NULL_DISTRIBUTION, "rwg_cutoff": 0.7},
    }
    indicators = {i["key"]: i for i in data["indicators"]}
    assert indicators["vs-2"]["dont_know"] == 1
    assert indicators["vs-1"]["distribution"] == {"1": 0, "2": 0, "3": 1, "4": 2, "5": 1}


def test_it_gives_intervals_and_stage_probabilities_by_default(example: Framework) -> None:
    result = ok(cxm("score", "-f", EXAMPLE, WORKED, "--format", "json"))
    data = json.loads(result.stdout)
    assert data["settings"]["bootstrap"] == 1000
    for part in [data["overall"], *data["competencies"]]:
        lower, upper = part["interval"]
        assert 1.0 <= lower <= part["score"] <= upper <= 3.0
        probabilities = part["stage_probabilities"]
        assert set(probabilities) <= set(example.stage_keys)
        assert sum(probabilities.values()) == pytest.approx(1.0, abs=1e-3)
    assert "1000 draws" in competency(data, "vision")["interval_method"]


def test_it_repeats_intervals_with_the_same_seed() -> None:
    first = score_json(WORKED, "--bootstrap", "200", "--seed", "5")
    again = score_json(WORKED, "--bootstrap", "200", "--seed", "5")
    assert first == again
    assert first["settings"]["seed"] == 5
    assert first["competencies"][0]["interval"] is not None


# --------------------------------------------------------------------------------------------------------------------
# score: table and --out


def test_it_prints_a_table_with_competency_names() -> None:
    result = ok(cxm("score", "--framework", EXAMPLE, WORKED, "--bootstrap", "0"))
    out = result.stdout
    for text in ("Example CX maturity model", "Vision and strategy", "Customer insight", "Emerging", "Learning"):
        assert text in out
    assert "4 respondents" in out
    assert "Discussion items" in out
    assert "2 group(s) withheld" in out
    assert result.stderr == ""


def test_it_writes_json_to_the_out_file(tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    result = ok(cxm("score", "-f", EXAMPLE, WORKED, "--format", "json", "--bootstrap", "0", "--out", out))
    assert result.stdout == ""
    assert json.loads(out.read_text(encoding="utf-8")) == score_json()


def test_it_writes_the_table_to_the_out_file(tmp_path: Path) -> None:
    out = tmp_path / "result.txt"
    result = ok(cxm("score", "-f", EXAMPLE, WORKED, "--bootstrap", "0", "--out", out))
    assert result.stdout == ""
    text = out.read_text(encoding="utf-8")
    assert "Vision and strategy" in text
    assert "Customer insight" in text
    assert "\x1b[" not in text  # plain text, no terminal colours


def test_it_refuses_an_out_file_it_cannot_write(tmp_path: Path) -> None:
    lines = input_error(cxm("score", "-f", EXAMPLE, WORKED, "--bootstrap", "0", "--out", tmp_path))
    assert lines == [f"{tmp_path}: cannot write: Is a directory"]


# --------------------------------------------------------------------------------------------------------------------
# score: targets


def test_it_reads_targets_from_yaml(tmp_path: Path) -> None:
    targets = write(tmp_path, "targets.yaml", "targets:\n  vision: learning\n  insight: committing\n")
    data = score_json(WORKED, "--targets", targets)
    assert data["settings"]["targets"] == {"vision": "learning", "insight": "committing"}
    # vision already reached its target, so only insight has a gap; its weight 2 doubles the priority.
    assert data["gaps"] == [
        {
            "competency": "insight",
            "score": 1.9821,
            "target": "committing",
            "target_number": 3,
            "gap": 1.0179,
            "weight": 2.0,
            "importance": None,
            "priority": 2.0357,
            "holds_back": True,
        }
    ]


def test_it_reads_targets_from_a_plain_yaml_mapping_and_from_csv(tmp_path: Path) -> None:
    plain = write(tmp_path, "targets.yaml", "vision: committing\n")
    table = write(tmp_path, "targets.csv", "competency,target\nvision,committing\n\n")
    from_yaml, from_csv = score_json(WORKED, "--targets", plain), score_json(WORKED, "--targets", table)
    assert from_yaml["settings"]["targets"] == from_csv["settings"]["targets"] == {"vision": "committing"}
    assert from_yaml["gaps"] == from_csv["gaps"]
    # insight (its next stage) holds the overall back, so it comes first.
    assert [g["target"] for g in from_csv["gaps"]] == ["learning", "committing"]


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        (
            "targets.yaml",
            "vision: learning\nvision: committing\ninsight: nope\nreach: learning\n",
            [
                "{path}:2: second target for 'vision'",
                "{path}:3: unknown stage 'nope' (known: emerging, learning, committing)",
                "{path}:4: unknown competency 'reach' (known: vision, insight)",
            ],
        ),
        (
            "targets.yaml",
            "vision: learning\n  insight: [\n",
            ["{path}:2: not valid YAML: mapping values are not allowed in this context"],
        ),
        ("targets.yaml", "- vision\n- learning\n", ["{path}:1: expected a mapping of competency: target stage"]),
        (
            "targets.yaml",
            "vision: learning\ninsight: [learning]\n",
            ["{path}:2: expected 'competency: stage' on this line"],
        ),
        ("targets.csv", "competency,stage\nvision,learning\n", ["{path}:1: expected a header 'competency,target'"]),
        (
            "targets.csv",
            "competency,target\nvision,learning\nvisio,committing\n",
            ["{path}:3 column 'competency': unknown competency 'visio' (known: vision, insight)"],
        ),
        (
            "targets.csv",
            "competency,target\nvision,learning\ninsight\n",
            ["{path}:3: expected two cells: competency,target"],
        ),
        (
            "targets.yaml",
            "vision: learning\ninsight: committing # Stufe für Einsicht\n".encode("latin-1"),
            ["{path}: file is not UTF-8: byte 0xFC on line 2 cannot be read; save the file as UTF-8"],
        ),
    ],
)
def test_it_names_the_line_of_a_bad_target(
    tmp_path: Path, name: str, content: str | bytes, expected: list[str]
) -> None:
    path = write(tmp_path, name, content)
    lines = input_error(cxm("score", "-f", EXAMPLE, WORKED, "--bootstrap", "0", "--targets", path))
    assert lines == [line.format(path=path) for line in expected]


def test_it_names_a_column_map_with_a_number_of_thousands_of_digits(tmp_path: Path) -> None:
    # The YAML reader's int conversion refused it: "cxm: unexpected error: ValueError" (exit 70).
    path = write(tmp_path, "map.yaml", "columns: {Q1: vs-1}\nvalues: {Q1: {agree: " + "4" * 5000 + "}}\n")
    lines = input_error(cxm("score", "-f", EXAMPLE, WORKED, "--bootstrap", "0", "--map", path))
    assert lines == [f"{path}: not valid YAML: a number has more than 4300 digits"]


def test_it_refuses_a_targets_csv_the_csv_module_cannot_read(tmp_path: Path) -> None:
    path = write(tmp_path, "targets.csv", "competency,target\nvision," + "x" * 200_000 + "\n")
    lines = input_error(cxm("score", "-f", EXAMPLE, WORKED, "--bootstrap", "0", "--targets", path))
    assert lines == [f"{path}: not valid CSV: field larger than field limit (131072)"]


def test_it_refuses_a_missing_targets_file(tmp_path: Path) -> None:
    lines = input_error(cxm("score", "-f", EXAMPLE, WORKED, "--targets", tmp_path / "nope.yaml"))
    assert lines[0].startswith(f"{tmp_path / 'nope.yaml'}: cannot read targets:")


# --------------------------------------------------------------------------------------------------------------------
# score: groups


@pytest.mark.parametrize(
    ("size", "shown", "withheld"),
    # At 3, leadership alone would be shown, but the team minus leadership is the two of the front line.
    [("1", ["front line", "leadership"], 0), ("3", [], 2), ("4", [], 2)],
)
def test_it_withholds_groups_below_the_minimum_size(size: str, shown: list[str], withheld: int) -> None:
    data = score_json(WORKED, "--min-group-size", size)
    assert [g["group"] for g in data["groups"]] == shown
    assert data["withheld_groups"] == withheld
    assert data["settings"]["min_group_size"] == int(size)


def test_it_finds_blind_spots_when_small_groups_are_shown() -> None:
    spots = score_json(WORKED, "--min-group-size", "1")["blind_spots"]
    assert [(s["competency"], s["group"], s["difference"]) for s in spots] == [
        ("insight", "leadership", 1.2976),
        ("vision", "leadership", 0.8214),
    ]


@pytest.mark.parametrize(("option", "value"), [("--min-group-size", "0"), ("--bootstrap", "-1"), ("--format", "xml")])
def test_it_gives_a_usage_error_for_a_bad_option_value(option: str, value: str) -> None:
    result = cxm("score", "-f", EXAMPLE, WORKED, option, value)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert f"Invalid value for '{option}'" in result.stderr


def test_it_gives_a_usage_error_without_a_framework() -> None:
    result = cxm("score", WORKED)
    assert result.exit_code == 2
    assert "Missing option '--framework'" in result.stderr


# --------------------------------------------------------------------------------------------------------------------
# score: layouts and column maps


def test_it_scores_wide_form_like_long_form(tmp_path: Path) -> None:
    assert score_json(write(tmp_path, "wide.csv", WIDE)) == score_json()


def test_it_reads_importance_and_comment_columns_in_wide_form(tmp_path: Path) -> None:
    answers = write(
        tmp_path,
        "wide.csv",
        "respondent,group,vs-1,vs-1:importance,ci-1,ci-1:comment\nr1,g,4,5,learning,Surveys only\nr2,g,3,3,emerging,\n",
    )
    data = score_json(answers)
    assert data["respondents"] == 2
    assert competency(data, "vision")["importance"] == 4.0
    assert competency(data, "insight")["importance"] is None


def test_it_reads_semicolons_and_a_byte_order_mark(tmp_path: Path) -> None:
    answers = write(tmp_path, "excel.csv", b"\xef\xbb\xbf" + WIDE.replace(",", ";").encode("utf-8"))
    assert score_json(answers) == score_json()


def test_it_maps_a_survey_tools_headers_and_labels_with_a_yaml_map(tmp_path: Path) -> None:
    answers = write(tmp_path, "survey.csv", SURVEY)
    column_map = write(tmp_path, "map.yaml", SURVEY_MAP)
    assert score_json(answers, "--map", column_map) == score_json()


def test_it_maps_headers_with_a_csv_map(tmp_path: Path) -> None:
    answers = write(tmp_path, "survey.csv", WIDE.replace("respondent,group,vs-1", "ID,Team,Question 1"))
    column_map = write(tmp_path, "map.csv", "column,indicator\nID,respondent\nTeam,group\nQuestion 1,vs-1\n")
    assert score_json(answers, "--map", column_map) == score_json()


def test_it_names_the_map_entry_with_an_unknown_indicator(tmp_path: Path) -> None:
    answers = write(tmp_path, "survey.csv", SURVEY)
    column_map = write(tmp_path, "map.csv", "column,indicator\nResponse ID,respondent\nQ1,vs_1\n")
    lines = input_error(cxm("score", "-f", EXAMPLE, answers, "--map", column_map))
    assert lines == [
        f"{column_map}:3: entry 'Q1': 'vs_1' is not an indicator of framework example-model nor one of respondent, "
        "group, indicator, answer, importance, comment (did you mean 'vs-1'?)"
    ]


def test_it_refuses_a_yaml_map_of_the_wrong_shape(tmp_path: Path) -> None:
    column_map = write(tmp_path, "map.yaml", "columns: [Q1, vs-1]\n")
    lines = input_error(cxm("score", "-f", EXAMPLE, WORKED, "--map", column_map))
    assert lines == [f"{column_map}: 'columns' must map a column header to an indicator key"]


# --------------------------------------------------------------------------------------------------------------------
# score: broken input


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            LONG_HEADER + "r1,g,vs-1,6,,\n",
            ":2 column 'answer': '6' is not an answer to 'vs-1' (allowed: 1, 2, 3, 4, 5, dk, na)",
        ),
        (
            LONG_HEADER + "r1,g,vs-1,4,,\nr1,g,vs-9,4,,\n",
            ":3 column 'indicator': unknown indicator 'vs-9' in framework example-model (did you mean 'vs-2'?)",
        ),
        (LONG_HEADER + "r1,g,vs-1,4,9,\n", ":2 column 'importance': importance must be a number from 1 to 5, got '9'"),
        (LONG_HEADER + ",g,vs-1,4,,\n", ":2 column 'respondent': respondent id is empty"),
        (
            LONG_HEADER + "r1,g,vs-1,4,,\nr1,h,vs-2,4,,\n",
            ":3 column 'group': respondent 'r1' is in group 'h' here but in group 'g' on row 2",
        ),
        (
            LONG_HEADER + "r1,g,vs-1,4,,\nr1,g,vs-1,5,,\n",
            ":3 column 'answer': second answer of respondent 'r1' to 'vs-1' (first on row 2)",
        ),
        (
            "respondent,group,vs-1,ci-1\nr1,g,4,learnin\n",
            ":2 column 'ci-1': 'learnin' is not an answer to 'ci-1' (allowed: emerging, learning, committing, dk, na)",
        ),
        (
            "respondent,group,vs-1,vs-3\nr1,g,4,5\n",
            ":1 column 'vs-3': unknown column: not an indicator of framework example-model (did you mean 'vs-2'?)",
        ),
        ("respondent,vs-1,,vs-2\nr1,4,x,5\n", ":2 column '#3': a value under a column with no name"),
        (
            "respondent,vs-1,vs-1:importance\nr1,4,0\n",
            ":2 column 'vs-1:importance': importance must be a number from 1 to 5, got '0'",
        ),
    ],
)
def test_it_names_the_row_and_column_of_a_bad_answer(tmp_path: Path, content: str, expected: str) -> None:
    answers = write(tmp_path, "answers.csv", content)
    assert input_error(cxm("score", "-f", EXAMPLE, answers)) == [f"{answers}{expected}"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (LONG_HEADER + "r1,g,vs-1,4,,,\n", ":2: row has 7 cells but the header has 6"),
        ("group,vs-1\ng,4\n", ":1: the header has no 'respondent' column"),
        ("respondent,group\nr1,g\n", ":1: the header has no indicator columns"),
        (LONG_HEADER, ": no answers: the file has a header but no rows"),
        ("", ": file is empty"),
        (
            b"respondent,vs-1\nr\xe9,4\n",
            ": file is not UTF-8: byte 0xE9 on line 2 cannot be read; save the file as UTF-8",
        ),
        (
            "respondent,group,vs-1,ci-1\nr1,g,,\nr2,g,,\n",
            ": no usable answer to score: every answer is don't know, not applicable or missing (2 respondents)",
        ),
    ],
)
def test_it_names_the_row_of_a_bad_file(tmp_path: Path, content: str | bytes, expected: str) -> None:
    answers = write(tmp_path, "answers.csv", content)
    assert input_error(cxm("score", "-f", EXAMPLE, answers)) == [f"{answers}{expected}"]


def test_it_lists_every_problem_up_to_fifty(tmp_path: Path) -> None:
    answers = write(tmp_path, "answers.csv", LONG_HEADER + "".join(f"r{i},g,vs-1,9,,\n" for i in range(60)))
    lines = input_error(cxm("score", "-f", EXAMPLE, answers))
    assert len(lines) == 51
    assert lines[0].startswith(f"{answers}:2 column 'answer': '9' is not an answer")
    assert lines[-1] == "(stopped after 50 problems)"


def test_it_refuses_an_unknown_framework() -> None:
    lines = input_error(cxm("score", "--framework", "no-such-model", WORKED))
    assert lines == [
        "'no-such-model' is neither a built-in framework (bliss-maturity-map, cx-core-competency, four-competencies, "
        "xm-six-competencies, yohn-cx-maturity) nor an existing file or folder"
    ]


def test_it_refuses_a_missing_answers_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.csv"
    assert input_error(cxm("score", "-f", EXAMPLE, missing)) == [
        f"{missing}: cannot read the file: No such file or directory"
    ]


def test_it_turns_an_unexpected_error_into_one_line_and_exit_code_70(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("cxmaturity.demo.demo_responses", broken)
    monkeypatch.setattr(sys, "argv", ["cxm", "demo", "--score-only"])
    monkeypatch.delenv("CXM_DEBUG", raising=False)
    with pytest.raises(SystemExit) as caught:
        cli.main()
    assert caught.value.code == 70
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "cxm: unexpected error: RuntimeError: boom (set CXM_DEBUG=1 for details)\n"
    monkeypatch.setenv("CXM_DEBUG", "1")
    with pytest.raises(RuntimeError, match="boom"):
        cli.main()


# --------------------------------------------------------------------------------------------------------------------
# template


def test_it_writes_a_csv_template_with_every_indicator() -> None:
    fw = load_builtin("xm-six-competencies")
    result = ok(cxm("template", "--framework", "xm-six-competencies"))
    assert result.stdout == ",".join(["respondent", "group", *fw.indicator_keys]) + "\n"


def test_it_writes_a_markdown_questionnaire_with_every_competency() -> None:
    fw = load_builtin("xm-six-competencies")
    out = ok(cxm("template", "-f", "xm-six-competencies", "--format", "md")).stdout
    assert out.startswith("# ")
    for comp in fw.competencies:
        assert fw.text(comp.name) in out
    for key in fw.indicator_keys:
        assert key in out


def test_it_scores_a_filled_in_template(tmp_path: Path) -> None:
    template = tmp_path / "answers.csv"
    ok(cxm("template", "-f", "xm-six-competencies", "--out", template))
    fw = load_builtin("xm-six-competencies")
    header = template.read_text(encoding="utf-8")
    rows = []
    for n, group in enumerate(["sales", "sales", "sales", "service"]):
        cells = [fw.answer_keys(fw.indicator(key))[(n + i) % 3] for i, key in enumerate(fw.indicator_keys)]
        rows.append(",".join([f"p{n}", group, *cells]) + "\n")
    template.write_text(header + "".join(rows), encoding="utf-8")
    data = score_json(template, framework="xm-six-competencies")
    assert data["framework"] == "xm-six-competencies"
    assert data["respondents"] == 4
    assert [c["key"] for c in data["competencies"]] == [c.key for c in fw.competencies]
    assert all(c["coverage"] == 1.0 for c in data["competencies"])


def test_it_writes_the_quick_evaluation_with_one_rubric_per_competency() -> None:
    fw = load_builtin("cx-core-competency")
    rubrics = [next(i.key for i in c.indicators if i.kind == "rubric") for c in fw.competencies]
    result = ok(cxm("template", "--framework", "cx-core-competency", "--quick"))
    assert result.stdout == ",".join(["respondent", "group", *rubrics]) + "\n"
    assert "Quick evaluation: one question per competency" in result.stderr
    form = ok(cxm("template", "--framework", "cx-core-competency", "--quick", "--format", "md")).stdout
    assert "Quick evaluation: one question per competency, about 4 minutes." in form
    assert [line.split(".**")[0][2:] for line in form.splitlines() if line.startswith("**")] == rubrics


def test_it_names_the_competencies_a_quick_evaluation_leaves_out() -> None:
    result = ok(cxm("template", "--framework", EXAMPLE, "--quick"))
    assert result.stdout == "respondent,group,ci-1\n"
    assert "Left out (no rubric to ask): vision." in result.stderr


def test_it_refuses_a_template_of_an_unknown_framework() -> None:
    assert input_error(cxm("template", "-f", "nope"))[0].startswith("'nope' is neither a built-in framework")


# --------------------------------------------------------------------------------------------------------------------
# demo


def test_it_runs_the_demo_and_says_the_data_are_synthetic() -> None:
    result = ok(cxm("demo", "--score-only"))
    assert "SYNTHETIC" in result.stdout
    assert "SYNTHETIC" in result.stderr  # also on stderr, so it stays visible when stdout goes to a file
    fw = load_builtin("xm-six-competencies")
    assert fw.text(fw.competencies[0].name) in result.stdout


def test_it_runs_the_demo_as_json() -> None:
    result = ok(cxm("demo", "--score-only", "--format", "json", "--framework", "four-competencies"))
    data = json.loads(result.stdout)  # nothing but JSON on stdout
    assert "SYNTHETIC" in result.stderr  # the label still reaches the user
    assert data["framework"] == "four-competencies"
    assert data["respondents"] == 18
    assert {g["group"] for g in data["groups"]} == {"Leadership team", "Operations", "Front line"}
    assert all(c["interval"] is not None for c in data["competencies"])


def test_it_scores_yohns_tracks_in_json_and_in_the_table() -> None:
    result = ok(cxm("demo", "--score-only", "--format", "json", "--framework", "yohn-cx-maturity"))
    data = json.loads(result.stdout)
    tracks = data["tracks"]
    assert [t["key"] for t in tracks] == ["vision-strategy", "leadership-alignment", "organizational-readiness"]
    readiness = tracks[2]
    scores = [c["score"] for c in data["competencies"] if c["key"] in readiness["competencies"]]
    assert readiness["score"] == min(scores)
    assert readiness["interval"][0] <= readiness["score"] <= readiness["interval"][1]
    assert sum(readiness["stage_probabilities"].values()) == pytest.approx(1.0, abs=1e-3)
    table = ok(cxm("demo", "--score-only", "--framework", "yohn-cx-maturity")).stdout
    assert "Tracks" in table
    assert "Organizational Readiness" in table


# --------------------------------------------------------------------------------------------------------------------
# frameworks list


def test_it_lists_the_built_in_frameworks_as_json() -> None:
    rows = json.loads(ok(cxm("frameworks", "list", "--format", "json")).stdout)
    assert isinstance(rows, list)
    assert [row["id"] for row in rows] == list(BUILTINS) == list(builtin_ids())
    for row in rows:
        fw = load_builtin(row["id"])
        assert row == {
            "id": fw.id,
            "name": fw.text(fw.name),
            "version": fw.version,
            "stages": list(fw.stage_keys),
            "competencies": [c.key for c in fw.competencies],
        }


def test_it_lists_the_built_in_frameworks_as_a_table() -> None:
    out = ok(cxm("frameworks", "list")).stdout
    for fid in BUILTINS:
        assert fid in out


# --------------------------------------------------------------------------------------------------------------------
# The installed console script


@timed
def test_it_answers_help_from_the_console_script_at_once() -> None:
    sibling = Path(sys.executable).parent / "cxm"
    script = str(sibling) if sibling.exists() else shutil.which("cxm")
    assert script is not None, "the cxm console script is not installed (pip install -e .)"
    times = []
    for _ in range(3):
        start = time.perf_counter()
        done = subprocess.run([script, "--help"], capture_output=True, text=True, check=False, timeout=30)
        times.append(time.perf_counter() - start)
        assert done.returncode == 0, done.stderr
        for command in ("score", "template", "demo", "frameworks"):
            assert command in done.stdout
    assert min(times) < 0.3, f"cxm --help took {min(times):.3f} s at best"
