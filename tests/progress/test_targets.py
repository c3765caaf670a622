"""Targets and plan against reality: reached and missed targets, velocity per year, forecasts only at a positive
pace (with their range), and the plan's initiatives with their statuses."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from cxmaturity.planning.model import Initiative, Plan
from cxmaturity.progress import Snapshot, compare, review
from cxmaturity.progress.targets import Velocity, forecast
from tests.progress.support import FW, snap

COMPETENCIES = [c.key for c in FW.competencies]
JAN_2025, JAN_2026 = date(2025, 1, 15), date(2026, 1, 15)


def _initiative(key: str, competency: str, start: int, end: int) -> Initiative:
    return Initiative(key, f"Do {key}", competency, "investigate", start, end, 0.0, 1.0, "because")


def _pair(after_levels: dict[str, float], targets: dict[str, str]) -> tuple[Snapshot, Snapshot]:
    before = snap(FW, 25, dict.fromkeys(COMPETENCIES, 0.45), seed=1, spread=0.1, day=JAN_2025, targets=targets)
    after = snap(FW, 25, after_levels, seed=2, spread=0.1, day=JAN_2026)
    return before, after


def test_it_tells_reached_from_missed_targets() -> None:
    levels = {**dict.fromkeys(COMPETENCIES, 0.45), "lead": 0.95}
    before, after = _pair(levels, {"lead": "scale", "realize": "embed"})
    found = review(compare(before, after), before, after)
    by_key = {t.competency: t for t in found.targets}
    assert by_key["lead"].status == "reached"
    assert by_key["lead"].chosen
    assert by_key["lead"].probability is not None
    assert by_key["lead"].probability > 0.9
    assert by_key["realize"].status == "missed"
    assert (by_key["realize"].target, by_key["realize"].target_number) == ("embed", 5)
    # A competency without a chosen target aims at the next stage from where it was.
    assert not by_key["respond"].chosen
    assert by_key["respond"].target_number == by_key["respond"].before.stage_number + 1  # type: ignore[union-attr]
    assert {t.competency for t in found.reached} | {t.competency for t in found.missed} == set(COMPETENCIES)


def test_it_measures_velocity_per_year_between_the_two_days() -> None:
    levels = {**dict.fromkeys(COMPETENCIES, 0.45), "lead": 0.95}
    before, after = _pair(levels, {})
    found = review(compare(before, after), before, after)
    lead = next(t for t in found.targets if t.competency == "lead")
    assert found.years == pytest.approx(365 / 365.25)
    assert lead.velocity is not None
    assert lead.before is not None
    assert lead.after is not None
    assert found.years is not None
    assert lead.velocity.per_year == pytest.approx((lead.after.score - lead.before.score) / found.years)
    assert lead.velocity.interval is not None
    assert lead.velocity.interval[0] > 0


def test_it_forecasts_a_missed_target_only_at_a_positive_pace() -> None:
    # enlighten gains a little, respond loses; both aim at the top stage, which neither reaches.
    levels = {**dict.fromkeys(COMPETENCIES, 0.45), "enlighten": 0.62, "respond": 0.2}
    before, after = _pair(levels, {"enlighten": "embed", "respond": "embed"})
    found = review(compare(before, after), before, after)
    by_key = {t.competency: t for t in found.targets}
    gaining, losing = by_key["enlighten"], by_key["respond"]
    assert gaining.status == losing.status == "missed"
    assert gaining.velocity is not None
    assert gaining.velocity.per_year > 0
    assert gaining.forecast is not None
    assert gaining.forecast.reachable
    assert gaining.forecast.day is not None
    assert gaining.forecast.day > JAN_2026
    assert "forecast" in gaining.forecast.text
    assert losing.velocity is not None
    assert losing.velocity.per_year <= 0
    assert losing.forecast is not None
    assert not losing.forecast.reachable
    assert losing.forecast.day is None
    assert losing.forecast.text == "not at this pace"


def test_it_gives_the_forecast_a_range_and_leaves_it_open_when_the_slow_end_stalls() -> None:
    steady = forecast(1.0, Velocity(0.5, (0.25, 1.0), 1.0), JAN_2026)
    assert steady.years == pytest.approx(2.0)
    assert steady.earliest == date(2027, 1, 15)
    assert steady.day == date(2028, 1, 15)
    assert steady.latest == date(2030, 1, 15)
    assert steady.text == "around January 2028 (forecast; between January 2027 and January 2030)"
    shaky = forecast(1.0, Velocity(0.5, (-0.1, 1.0), 1.0), JAN_2026)
    assert shaky.latest is None
    assert shaky.text.endswith("and an open end)")
    assert not forecast(1.0, Velocity(0.0, (-0.5, 0.5), 1.0), JAN_2026).reachable
    assert forecast(1.0, Velocity(0.01, None, 1.0), JAN_2026).day is None  # 100 years out: not dated


def test_it_has_no_velocity_without_a_later_day() -> None:
    before = snap(FW, 10, 0.4, day=JAN_2026)
    after = snap(FW, 10, 0.8, seed=5, day=JAN_2026)
    found = review(compare(before, after), before, after)
    assert found.years is None
    assert all(t.velocity is None and t.forecast is None for t in found.targets)
    assert "not later than the earlier one" in found.notes[0]


def test_it_reports_each_initiative_with_its_status_and_whether_it_is_overdue() -> None:
    before, after = _pair({**dict.fromkeys(COMPETENCIES, 0.45), "lead": 0.95}, {})
    plan = Plan(
        "optimal",
        0.0,
        1.0,
        (
            _initiative("a-lead", "lead", 1, 2),
            _initiative("a-realize", "realize", 1, 3),
            _initiative("a-respond", "respond", 2, 6),
            _initiative("a-disrupt", "disrupt", 1, 2),
        ),
        {},
        (),
    )
    statuses = {"a-lead": "done", "a-realize": "in progress", "a-disrupt": "dropped", "unknown": "done"}
    found = review(compare(before, after), before, after, plan, statuses, plan_start=date(2025, 4, 1))
    by_key = {i.key: i for i in found.initiatives}
    assert [i.status for i in found.initiatives] == ["dropped", "done", "in progress", "planned"]
    assert by_key["a-lead"].verdict == "improved"
    assert by_key["a-lead"].due == date(2025, 6, 30)
    assert not by_key["a-lead"].overdue  # done
    assert by_key["a-realize"].due == date(2025, 9, 30)
    assert by_key["a-realize"].overdue  # due before January 2026 and not done
    assert by_key["a-respond"].due == date(2026, 6, 30)
    assert not by_key["a-respond"].overdue  # not due yet
    assert found.status_counts == {"planned": 1, "in progress": 1, "done": 1, "dropped": 1}


def test_it_does_not_judge_targets_of_a_competency_it_cannot_compare() -> None:
    before, after = _pair(dict.fromkeys(COMPETENCIES, 0.5), {})
    comparison = compare(before, after)
    lead_changed = tuple(
        replace(c, difference=None, verdict="not comparable", reason="changed") if c.key == "lead" else c
        for c in comparison.competencies
    )
    found = review(replace(comparison, competencies=lead_changed), before, after)
    lead = next(t for t in found.targets if t.competency == "lead")
    assert lead.status == "not comparable"
    assert lead.velocity is None
    assert lead.forecast is None
