"""Exports of a plan: JSON data, CSV and iCalendar, read back with csv and the icalendar library."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from icalendar import Calendar

from cxmaturity.answers.csv_reader import read_answers_csv
from cxmaturity.frameworks import Framework, load_framework
from cxmaturity.planning import Plan, PlanRequest
from cxmaturity.planning.export import CSV_COLUMNS, add_months, period_start, plan_to_csv, plan_to_ical
from cxmaturity.planning.optimizer import make_plan
from cxmaturity.planning.serialize import plan_to_dict
from cxmaturity.scoring import Result, ScoringOptions, score
from tests.planning.support import custom

DATA = Path(__file__).resolve().parent.parent / "data"
INITIATIVE_KEYS = {
    "key",
    "title",
    "competency",
    "from_stage",
    "start",
    "end",
    "cost",
    "effort",
    "reason",
    "quick_win",
    "owner",
    "locked",
    "custom",
    "expected_from",
    "expected_to",
    "indicators",
    "discussion_items",
    "measure",
    "description",
}


@pytest.fixture(scope="module")
def example() -> Framework:
    return load_framework(DATA / "example.yaml")


@pytest.fixture(scope="module")
def worked(example: Framework) -> Result:
    return score(read_answers_csv(DATA / "worked-example.csv", example), ScoringOptions(bootstrap=0))


@pytest.fixture(scope="module")
def plan(example: Framework, worked: Result) -> Plan:
    tricky = custom(
        "c-1",
        "insight",
        "emerging",
        title='=HYPERLINK("x"), with; commas',
        effort=0.5,
        measure="Line one\nline two; done",
    )
    request = PlanRequest(targets={"insight": "committing"}, custom=(tricky,), owners={"c-1": "Ana, Ops"})
    return make_plan(example, worked, request)


def test_json_has_every_documented_field(plan: Plan) -> None:
    data = json.loads(json.dumps(plan_to_dict(plan)))
    assert data["format"] == "cx-maturity/plan@1"
    assert {"status", "summary", "gap", "objective", "initiatives", "expected_stages", "totals", "explanation"} <= set(
        data
    )
    assert data["status"] == "optimal"
    assert data["summary"] == "optimal"
    assert data["gap"] == 0.0
    assert data["settings"]["horizon"] == 8
    assert data["settings"]["targets"] == {"insight": "committing"}
    for item in data["initiatives"]:
        assert set(item) == INITIATIVE_KEYS | {"reason_phrase"}
        assert item["reason_phrase"]["params"]
    first = data["initiatives"][0]
    assert first["end"] > first["start"]
    assert data["expected_stages"]["vision"][-1] == "committing"
    assert [t["period"] for t in data["totals"]] == list(range(1, 9))


def test_json_of_an_infeasible_plan_carries_the_explanation(example: Framework, worked: Result) -> None:
    bad = make_plan(example, worked, PlanRequest(must=frozenset({"nope"})))
    data = plan_to_dict(bad)
    assert data["status"] == "infeasible"
    assert data["gap"] is None
    assert data["initiatives"] == []
    assert data["explanation"]
    assert "nope" in data["explanation"][0]


def test_csv_parses_with_one_row_per_initiative(plan: Plan) -> None:
    rows = list(csv.DictReader(io.StringIO(plan_to_csv(plan))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [r["key"] for r in rows] == [i.key for i in plan.initiatives]
    tricky = next(r for r in rows if r["key"] == "c-1")
    assert tricky["title"] == '\'=HYPERLINK("x"), with; commas'  # no formula in a spreadsheet
    assert tricky["owner"] == "Ana, Ops"
    assert tricky["custom"] == "yes"
    assert tricky["quick_win"] == "yes"
    assert tricky["measure"] == "Line one\nline two; done"
    insight2 = next(r for r in rows if r["key"] == "a-insight-2")
    assert insight2["indicators"] == "ci-1 ci-2"
    assert int(insight2["end"]) - int(insight2["start"]) == 3


def test_ical_has_a_start_and_an_end_milestone_per_initiative(plan: Plan) -> None:
    stamp = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    text = plan_to_ical(plan, date(2026, 1, 1), "Roadmap, Q1; 2026", stamp=stamp)
    cal = Calendar.from_ical(text)
    events = cal.events
    assert len(events) == 2 * len(plan.initiatives)
    assert len({str(e["uid"]) for e in events}) == len(events)
    summaries = {str(e["summary"]): e for e in events}
    start = summaries['Start: =HYPERLINK("x"), with; commas']
    assert start.start == date(2026, 1, 1)
    assert "Line one\nline two; done" in str(start["description"])
    assert "Owner: Ana, Ops" in str(start["description"])
    # a-insight-2 runs in periods 2 to 4: April 1st to the last day of December.
    assert summaries["Start: Build a listening program"].start == date(2026, 4, 1)
    assert summaries["Finish: Build a listening program"].start == date(2026, 12, 31)
    assert all(e.stamp == stamp for e in events)
    assert "X-WR-CALNAME:Roadmap\\, Q1\\; 2026" in text
    assert text == plan_to_ical(plan, date(2026, 1, 1), "Roadmap, Q1; 2026", stamp=stamp)


def test_periods_are_quarters_with_the_day_clipped_to_the_month() -> None:
    assert period_start(date(2026, 1, 15), 1) == date(2026, 1, 15)
    assert period_start(date(2026, 1, 15), 5) == date(2027, 1, 15)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2028, 11, 30), 3) == date(2029, 2, 28)
    assert add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)
