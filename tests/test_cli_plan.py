"""``cxm plan``: the worked example, a built-in framework with SYNTHETIC answers, every format and clean errors."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar
from typer.testing import CliRunner, Result

from cxmaturity.cli import app
from cxmaturity.demo import demo_responses
from cxmaturity.frameworks import load_builtin
from cxmaturity.scoring.responses import DONT_KNOW_CODE, MISSING, NOT_APPLICABLE_CODE

DATA = Path(__file__).resolve().parent / "data"
EXAMPLE = DATA / "example.yaml"
WORKED = DATA / "worked-example.csv"


def cxm(*args: str | Path) -> Result:
    runner = CliRunner(env={"COLUMNS": "200", "FORCE_COLOR": None, "TTY_COMPATIBLE": None, "CXM_DEBUG": None})
    return runner.invoke(app, [str(arg) for arg in args], catch_exceptions=False)


def ok(result: Result) -> Result:
    assert result.exit_code == 0, result.output
    return result


def plan_json(*args: str | Path, answers: Path = WORKED, framework: str | Path = EXAMPLE) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(ok(cxm("plan", "-f", framework, answers, "--format", "json", *args)).stdout)
    return data


def input_error(result: Result) -> list[str]:
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert lines
    return lines


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """SYNTHETIC answers to xm-six-competencies (``cxm demo --score-only`` data) as a wide CSV file."""
    fw = load_builtin("xm-six-competencies")
    responses = demo_responses(fw)
    special = {MISSING: "", DONT_KNOW_CODE: "dk", NOT_APPLICABLE_CODE: "na"}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["respondent", "group", *fw.indicator_keys])
    for r, respondent in enumerate(responses.respondents):
        cells = [
            special.get(int(code)) if int(code) < 0 else fw.answer_keys(ind)[int(code)]
            for (_, ind), code in zip(fw.indicators, responses.answers[r], strict=True)
        ]
        writer.writerow([respondent, responses.groups[r], *cells])
    path = tmp_path_factory.mktemp("synthetic") / "synthetic-answers.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def test_it_plans_the_worked_example_as_json() -> None:
    data = plan_json()
    assert data["format"] == "cx-maturity/plan@1"
    assert (data["status"], data["summary"], data["gap"]) == ("optimal", "optimal", 0.0)
    assert [(i["key"], i["competency"], i["start"], i["end"]) for i in data["initiatives"]] == [
        # a-vision-1 is in place (Vision is past its stage, its answers agree): a-vision-2 starts at once.
        ("a-vision-2", "vision", 1, 3),
        ("a-insight-1", "insight", 1, 2),
    ]
    for item in data["initiatives"]:
        assert {"key", "competency", "start", "end", "cost", "effort", "reason"} <= set(item)
    assert data["settings"]["max_concurrent"] == 3
    assert data["settings"]["budget"] is None


def test_targets_budget_and_horizon_change_the_plan(tmp_path: Path) -> None:
    targets = tmp_path / "targets.yaml"
    targets.write_text("insight: committing\n", encoding="utf-8")
    data = plan_json("--targets", targets, "--budget", "20000", "--capacity", "6", "--horizon", "6")
    assert "a-insight-2" in [i["key"] for i in data["initiatives"]]
    assert data["expected_stages"]["insight"][-1] == "committing"
    assert all(t["cost"] <= 20000 and t["effort"] <= 6 for t in data["totals"])
    assert len(data["totals"]) == 6
    tight = plan_json("--targets", targets, "--budget", "10000")
    assert "a-insight-2" not in [i["key"] for i in tight["initiatives"]]


def test_must_must_not_and_max_concurrent() -> None:
    data = plan_json("--must", "a-insight-2", "--must-not", "a-vision-2", "--max-concurrent", "1")
    keys = [i["key"] for i in data["initiatives"]]
    assert "a-insight-2" in keys
    assert "a-vision-2" not in keys
    assert all(t["running"] <= 1 for t in data["totals"])


def test_the_table_shows_initiatives_reasons_stages_and_totals() -> None:
    out = ok(cxm("plan", "-f", EXAMPLE, WORKED)).stdout
    assert "plan (optimal)" in out
    assert "a-vision-2" in out
    assert "Why:" in out
    assert "gap of 0.64" in out
    assert "Vision and strategy: Learning from period 1, Committing from period 2" in out
    assert "Put CX targets in the plan: Vision and strategy is at Learning" in out
    assert "Learning -> Committing" in out
    assert "Totals per period" in out


def test_csv_and_ical_formats(tmp_path: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(ok(cxm("plan", "-f", EXAMPLE, WORKED, "--format", "csv")).stdout)))
    assert [r["key"] for r in rows] == ["a-vision-2", "a-insight-1"]
    target = tmp_path / "plan.ics"
    ok(cxm("plan", "-f", EXAMPLE, WORKED, "--format", "ical", "--start", "2027-01-01", "--out", target))
    cal = Calendar.from_ical(target.read_text(encoding="utf-8"))
    events = cal.events
    assert len(events) == 4
    assert {str(c) for e in events for c in e.categories} <= {"Vision and strategy", "Customer insight"}
    assert min(e.start for e in events).isoformat() == "2027-01-01"


def test_a_built_in_framework_with_synthetic_answers(synthetic: Path) -> None:
    data = plan_json(
        "--budget", "60000", "--capacity", "8", "--horizon", "8", "--time-limit", "1",
        answers=synthetic, framework="xm-six-competencies",
    )  # fmt: skip
    assert data["status"] in ("optimal", "feasible")
    assert data["initiatives"]
    assert all(t["cost"] <= 60000 + 1e-6 and t["effort"] <= 8 + 1e-6 for t in data["totals"])
    assert all(t["running"] <= 3 for t in data["totals"])
    assert math.isfinite(data["objective"])


def test_an_infeasible_request_explains_itself_on_stderr() -> None:
    lines = input_error(cxm("plan", "-f", EXAMPLE, WORKED, "--budget", "10000", "--must", "a-insight-2"))
    assert lines[0] == "infeasible: No plan satisfies every constraint at once."
    assert any("budget per period (10,000) is too small" in line for line in lines)
    lines = input_error(cxm("plan", "-f", EXAMPLE, WORKED, "--must", "no-such-action"))
    assert "The must-do 'no-such-action'" in lines[0]


def test_nothing_to_plan_is_not_an_error(tmp_path: Path) -> None:
    targets = tmp_path / "targets.yaml"
    targets.write_text("vision: emerging\ninsight: emerging\n", encoding="utf-8")
    data = plan_json("--targets", targets)
    assert data["status"] == "empty"
    assert data["initiatives"] == []
    assert "at or above its target" in data["explanation"][0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--must-not", "nope"), "cannot plan: must-not initiative 'nope'"),
        (("--start", "next week", "--format", "ical"), "--start: 'next week' is not a date"),
        # The calendar's last milestone past the year 9999: "cxm: unexpected error: ValueError" (exit 70).
        (
            ("--start", "9999-06-01", "--format", "ical"),
            "--start: a plan of 8 periods starting on 9999-06-01 would end after the year 9999",
        ),
    ],
)
def test_bad_input_is_one_line_on_stderr(args: tuple[str, ...], message: str) -> None:
    lines = input_error(cxm("plan", "-f", EXAMPLE, WORKED, *args))
    assert lines == [next(line for line in lines if message in line)]


def test_usage_errors_exit_2() -> None:
    assert cxm("plan", "-f", EXAMPLE, WORKED, "--horizon", "41").exit_code == 2
    assert cxm("plan", "-f", EXAMPLE, WORKED, "--max-concurrent", "0").exit_code == 2
    assert cxm("plan", "-f", EXAMPLE, WORKED, "--budget", "-5").exit_code == 2
    assert cxm("plan", "-f", EXAMPLE, WORKED, "--format", "xml").exit_code == 2


def test_missing_answers_file_is_an_input_error(tmp_path: Path) -> None:
    lines = input_error(cxm("plan", "-f", EXAMPLE, tmp_path / "none.csv"))
    assert "cannot read the file" in lines[0]
