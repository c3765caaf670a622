"""A competency nobody could answer is not assessed on the command line; a file nobody could answer is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_cli_scoring import EXAMPLE, LONG_HEADER, WORKED, competency, cxm, input_error, ok, score_json, write


def _insight_unknown(tmp_path: Path) -> Path:
    """The worked example with every Customer insight answer "don't know", and a fifth respondent who knew nothing."""
    rows = WORKED.read_text(encoding="utf-8").splitlines()
    out = [rows[0]]
    for row in rows[1:]:
        cells = row.split(",")
        if cells[2].startswith("ci-"):
            cells[3] = "dk"
        out.append(",".join(cells))
    out += ["r5,front line,vs-1,dk,,", "r5,front line,ci-1,na,,"]
    return write(tmp_path, "answers.csv", "\n".join(out) + "\n")


def test_it_scores_a_competency_without_usable_answers_as_not_assessed(tmp_path: Path) -> None:
    data = score_json(_insight_unknown(tmp_path))
    insight, vision = competency(data, "insight"), competency(data, "vision")
    assert (insight["stage"], insight["stage_number"], insight["score"], insight["interval"]) == (None,) * 4
    assert data["not_assessed"] == ["insight"]
    # The overall leaves it out: with "weakest", it is vision's own stage and score.
    assert (data["overall"]["stage"], data["overall"]["score"]) == (vision["stage"], vision["score"])
    assert "insight" not in [g["competency"] for g in data["gaps"]]
    assert data["weakest"] == data["strongest"] == ["vision"]
    # The fifth respondent answered only dk and na: not counted.
    assert (data["respondents"], data["excluded_respondents"]) == (4, 1)


def test_it_says_not_assessed_in_the_table_and_names_what_the_overall_leaves_out(tmp_path: Path) -> None:
    out = ok(cxm("score", "-f", EXAMPLE, _insight_unknown(tmp_path), "--bootstrap", "0")).stdout
    assert "Not assessed (no usable answers): Customer insight; left out of the overall." in out
    row = next(line for line in out.splitlines() if "Customer insight" in line and "│" in line)
    assert "not assessed" in row
    assert "Emerging" not in row  # never the first stage
    assert "4 respondents (1 more answered only don't know or not applicable" in out


def test_it_plans_nothing_for_a_competency_that_is_not_assessed(tmp_path: Path) -> None:
    result = ok(cxm("plan", "-f", EXAMPLE, _insight_unknown(tmp_path), "--format", "json", "--horizon", "4"))
    plan = json.loads(result.stdout)
    assert all(i["competency"] != "insight" for i in plan["initiatives"])
    assert "insight" not in plan["expected_stages"]
    assert any("Not assessed (no usable answers): Customer insight" in line for line in plan["explanation"])


@pytest.mark.parametrize("command", ["score", "plan", "report"])
def test_it_refuses_a_file_where_every_answer_is_dont_know(tmp_path: Path, command: str) -> None:
    answers = write(
        tmp_path, "unknown.csv", LONG_HEADER + "r1,g,vs-1,dk,,\nr1,g,ci-1,na,,\nr2,g,vs-2,dk,,\nr2,g,ci-2,dk,,\n"
    )
    extra = ["--format", "html", "--out", str(tmp_path / "report.html")] if command == "report" else []
    lines = input_error(cxm(command, "-f", EXAMPLE, answers, *extra))
    assert lines == [
        f"{answers}: no usable answer to score: every answer is don't know, not applicable or missing (2 respondents)"
    ]


def test_it_refuses_to_compare_with_a_file_nobody_could_answer(tmp_path: Path) -> None:
    answers = write(tmp_path, "unknown.csv", LONG_HEADER + "r1,g,vs-1,dk,,\n")
    lines = input_error(cxm("compare", WORKED, answers, "-f", EXAMPLE))
    assert lines[0].startswith(f"{answers}: no usable answer to score")
