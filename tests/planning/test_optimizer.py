"""The roadmap optimizer on hand-made cases: values, order, reasons, quick wins, infeasible and degenerate requests."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from cxmaturity.answers.csv_reader import read_answers_csv
from cxmaturity.demo import demo_responses
from cxmaturity.frameworks import Framework, load_builtin, load_framework
from cxmaturity.planning import Lock, Plan, PlanRequest
from cxmaturity.planning.optimizer import action_values, greedy_plan, make_plan, start_windows
from cxmaturity.scoring import Result, ScoringOptions, score
from tests.planning.support import check_plan, custom, framework, result
from tests.support.values import known

DATA = Path(__file__).resolve().parent.parent / "data"
STAGES = ("emerging", "learning", "committing", "accelerating")


@pytest.fixture(scope="module")
def example() -> Framework:
    return load_framework(DATA / "example.yaml")


@pytest.fixture(scope="module")
def worked(example: Framework) -> Result:
    return score(read_answers_csv(DATA / "worked-example.csv", example), ScoringOptions(bootstrap=0))


@pytest.fixture(scope="module")
def unsure(worked: Result) -> Result:
    """The worked example with the answers on "We have a written description…" (vs-1) below the threshold: the team
    is at Learning in Vision, yet its own answers say the customer promise (a-vision-1) is not written yet."""
    low = tuple(replace(i, mean=0.5) if i.key == "vs-1" else i for i in worked.indicators)
    return replace(worked, indicators=low)


def keys(plan: Plan) -> list[str]:
    return [i.key for i in plan.initiatives]


def by_key(plan: Plan, key: str):  # type: ignore[no-untyped-def]
    return next(i for i in plan.initiatives if i.key == key)


# --- the worked example -----------------------------------------------------------------------------------------


def test_the_worked_example_values_follow_the_documented_formula(example: Framework, worked: Result) -> None:
    values = action_values(example, worked, PlanRequest())
    # Vision: score 2.3571 of 3 stages, target Committing: share 3 − 2.3571, weakness 1 + (3 − 2.3571) / 2.
    vision = known(worked.competency("vision").score)
    assert values["a-vision-2"] == pytest.approx((3 - vision) * (1 + (3 - vision) / 2))
    # Insight (weight 2): score 1.9821, target Learning: share 2 − 1.9821.
    insight = known(worked.competency("insight").score)
    assert values["a-insight-1"] == pytest.approx((2 - insight) * 2 * (1 + (3 - insight) / 2))
    # Passed steps and steps at or beyond the target are worth nothing.
    assert values["a-vision-1"] == 0.0
    assert values["a-insight-2"] == 0.0
    assert values["a-vision-2"] == pytest.approx(0.8495, abs=1e-4)
    assert values["a-insight-1"] == pytest.approx(0.0539, abs=1e-4)


def test_an_action_for_a_stage_already_reached_counts_as_done(example: Framework, worked: Result) -> None:
    # Vision is at Learning and the answers on a-vision-1's own statement (vs-1, mean 0.75) meet the threshold 0.7:
    # the customer promise is in place, so a-vision-2 neither waits for it nor shares capacity with it.
    request = PlanRequest()
    plan = make_plan(example, worked, request)
    check_plan(example, worked, request, plan)
    assert [(i.key, i.start, i.end) for i in plan.initiatives] == [("a-vision-2", 1, 3), ("a-insight-1", 1, 2)]
    assert "needs it first" not in by_key(plan, "a-vision-2").reason
    # Even on a budget of 0 (a-vision-1 costs 5,000), a-vision-2 (no cost) can be planned.
    assert keys(make_plan(example, worked, PlanRequest(budget=0.0))) == ["a-vision-2", "a-insight-1"]


def test_the_worked_example_plan(example: Framework, unsure: Result) -> None:
    request = PlanRequest()
    worked = unsure
    plan = make_plan(example, worked, request)
    check_plan(example, worked, request, plan)
    assert plan.status == "optimal"
    assert plan.gap == 0.0
    assert plan.summary == "optimal"
    assert [(i.key, i.start, i.end) for i in plan.initiatives] == [
        ("a-vision-1", 1, 2),
        ("a-insight-1", 1, 2),
        ("a-vision-2", 2, 4),
    ]
    vision2 = by_key(plan, "a-vision-2")
    assert (vision2.expected_from, vision2.expected_to) == ("learning", "committing")
    assert "Vision and strategy" in vision2.reason
    assert "gap of 0.64" in vision2.reason
    assert vision2.discussion_items == ("vs-2",)
    assert vision2.measure == "Next year's plan holds CX targets."
    # a-vision-1 adds no stage (Vision is past Emerging), but its answers say it is not in place; a-vision-2 needs it.
    vision1 = by_key(plan, "a-vision-1")
    assert "“Put CX targets in the plan” needs it first" in vision1.reason
    assert "which Vision and strategy has already passed" in vision1.reason
    assert "the answers on “We have a written description" in vision1.reason
    assert "say it is not in place yet" in vision1.reason
    assert vision1.expected_from == vision1.expected_to == "learning"
    assert plan.expected_stages == {
        "vision": ("learning",) * 2 + ("committing",) * 6,
        "insight": ("learning",) * 8,
    }
    assert [(t.cost, t.effort, t.running) for t in plan.totals[:4]] == [
        (5000.0, 4.0, 2),
        (0.0, 1.5, 1),
        (0.0, 1.5, 1),
        (0.0, 0.0, 0),
    ]


def test_a_budget_leaves_out_what_it_cannot_pay(example: Framework, worked: Result) -> None:
    request = PlanRequest(targets={"insight": "committing"}, budget=10_000)
    plan = make_plan(example, worked, request)
    check_plan(example, worked, request, plan)
    assert "a-insight-2" not in keys(plan)  # 40,000 over 3 periods is 13,333 a period
    richer = PlanRequest(targets={"insight": "committing"}, budget=13_334)
    plan = make_plan(example, worked, richer)
    check_plan(example, worked, richer, plan)
    assert by_key(plan, "a-insight-2").start == 2  # after a-insight-1, its prerequisite
    assert plan.expected_stages["insight"][3] == "committing"


# --- order and priorities -----------------------------------------------------------------------------------------


def ladder() -> Framework:
    return framework(
        STAGES,
        [("alpha", 1.0), ("beta", 1.0)],
        [
            {"key": "a1", "competency": "alpha", "from_stage": "emerging", "effort": 1, "duration": 1},
            {"key": "a2", "competency": "alpha", "from_stage": "learning", "effort": 1, "duration": 2},
            {"key": "a3", "competency": "alpha", "from_stage": "committing", "effort": 1, "duration": 1},
            {"key": "b1", "competency": "beta", "from_stage": "emerging", "effort": 1, "duration": 1},
        ],
    )


def test_the_competency_that_holds_the_overall_back_is_lifted_first() -> None:
    # Alpha at 1.98 sets the overall stage (rule "weakest"), 0.02 below Learning; beta's gap is far larger. By value
    # alone beta's initiatives (worth 40 times more) would take the single slot first and alpha would come last.
    fw = framework(
        STAGES,
        [("alpha", 1.0), ("beta", 2.0)],
        [
            {"key": "a1", "competency": "alpha", "from_stage": "emerging", "effort": 3, "duration": 2},
            {"key": "b2", "competency": "beta", "from_stage": "learning", "effort": 1, "duration": 1},
            {"key": "b3", "competency": "beta", "from_stage": "committing", "effort": 1, "duration": 1},
        ],
    )
    res = result(fw, {"alpha": 1.98, "beta": 2.2})
    request = PlanRequest(targets={"beta": "accelerating"}, horizon=4, max_concurrent=1)
    values = action_values(fw, res, request)
    assert values["b2"] > 30 * values["a1"]
    plan = make_plan(fw, res, request)
    check_plan(fw, res, request, plan)
    assert [(i.key, i.start) for i in plan.initiatives] == [("a1", 1), ("b2", 3), ("b3", 4)]
    assert "holds the overall stage back" in by_key(plan, "a1").reason
    assert "holds the overall stage back" not in by_key(plan, "b2").reason
    # The greedy baseline keeps the same rule.
    assert next(i.key for i in greedy_plan(fw, res, request).initiatives) == "a1"


def test_a_lead_does_not_apply_to_a_mean_overall_rule() -> None:
    fw = ladder()
    res = result(fw, {"alpha": 1.98, "beta": 1.2})
    res = replace(res, overall=replace(res.overall, rule="mean"))
    plan = make_plan(fw, res, PlanRequest(horizon=2, max_concurrent=1))
    # Both at Emerging; without the weakest rule nothing holds the overall back, so value decides: beta's 0.8.
    assert keys(plan) == ["b1", "a1"]
    assert all("holds the overall stage back" not in i.reason for i in plan.initiatives)


def test_no_stage_is_skipped() -> None:
    fw = ladder()
    res = result(fw, {"alpha": 1.5, "beta": 3.5})
    request = PlanRequest(targets={"alpha": "accelerating"}, horizon=6)
    plan = make_plan(fw, res, request)
    check_plan(fw, res, request, plan)
    starts = {i.key: i.start for i in plan.initiatives}
    assert starts == {"a1": 1, "a2": 2, "a3": 4}
    assert plan.expected_stages["alpha"] == (
        "learning",
        "learning",
        "committing",
        "accelerating",
        "accelerating",
        "accelerating",
    )
    # Without the first step's action, the later ones cannot be done at all.
    blocked = PlanRequest(targets={"alpha": "accelerating"}, horizon=6, must_not=frozenset({"a1"}))
    plan = make_plan(fw, res, blocked)
    assert plan.status == "empty"
    assert any("must-not" in line for line in plan.explanation)


def test_the_weakest_competency_goes_first() -> None:
    fw = ladder()
    res = result(fw, {"alpha": 1.2, "beta": 1.6})
    request = PlanRequest(horizon=2, max_concurrent=1)
    plan = make_plan(fw, res, request)
    check_plan(fw, res, request, plan)
    assert keys(plan) == ["a1", "b1"]
    # Importance turns it around: beta rated most important (5 of 5) outweighs alpha's larger gap.
    res = result(fw, {"alpha": 1.2, "beta": 1.6}, importance={"alpha": 1.0, "beta": 5.0})
    plan = make_plan(fw, res, request)
    assert keys(plan) == ["b1", "a1"]


def test_requires_orders_across_competencies() -> None:
    fw = framework(
        STAGES,
        [("alpha", 1.0), ("beta", 1.0)],
        [
            {"key": "b1", "competency": "beta", "from_stage": "committing", "effort": 1, "duration": 2},
            {
                "key": "a1",
                "competency": "alpha",
                "from_stage": "emerging",
                "effort": 1,
                "duration": 1,
                "requires": ["b1"],
            },
        ],
    )
    res = result(fw, {"alpha": 1.5, "beta": 3.5})
    request = PlanRequest(horizon=4, targets={"beta": "committing"})
    plan = make_plan(fw, res, request)
    check_plan(fw, res, request, plan)
    assert [(i.key, i.start) for i in plan.initiatives] == [("b1", 1), ("a1", 3)]
    assert "(“A1” needs it first)" in by_key(plan, "b1").reason
    assert "beyond the target" in by_key(plan, "b1").reason


# --- quick wins, owners, locks, custom initiatives -----------------------------------------------------------------


def test_quick_wins_are_small_short_and_on_the_current_stage() -> None:
    fw = framework(STAGES, [("alpha", 1.0)], [])
    res = result(fw, {"alpha": 2.4})
    extra = (
        custom("quick", "alpha", "learning", effort=1.0, duration=1),
        custom("heavy", "alpha", "learning", effort=1.5, duration=1),
        custom("long", "alpha", "learning", effort=0.5, duration=2),
        custom("later", "alpha", "committing", effort=0.5, duration=1),
    )
    request = PlanRequest(targets={"alpha": "accelerating"}, custom=extra, max_concurrent=4, horizon=4)
    plan = make_plan(fw, res, request)
    check_plan(fw, res, request, plan)
    assert {i.key: i.quick_win for i in plan.initiatives} == {
        "quick": True,
        "heavy": False,
        "long": False,
        "later": False,
    }
    assert all(i.custom for i in plan.initiatives)


def test_locks_owners_and_must_dos() -> None:
    fw = ladder()
    res = result(fw, {"alpha": 1.5, "beta": 1.5})
    request = PlanRequest(
        horizon=6,
        locks=(Lock("b1", 3, owner="Dana"),),
        must=frozenset({"a3"}),
        owners={"a1": "Sam", "b1": "ignored when the lock names one"},
    )
    plan = make_plan(fw, res, request)
    check_plan(fw, res, request, plan)
    b1 = by_key(plan, "b1")
    assert (b1.start, b1.locked, b1.owner) == (3, True, "Dana")
    assert by_key(plan, "a1").owner == "Sam"
    assert not by_key(plan, "a1").locked
    # The must-do a3 (committing) needs a step of learning first, which needs one of emerging.
    assert {"a1", "a2", "a3"} <= set(keys(plan))
    assert "must-do" in by_key(plan, "a3").reason


# --- infeasible requests --------------------------------------------------------------------------------------------


def test_a_must_do_whose_prerequisites_exceed_the_budget(example: Framework, worked: Result) -> None:
    request = PlanRequest(budget=10_000, must=frozenset({"a-insight-2"}))
    plan = make_plan(example, worked, request)
    assert plan.status == "infeasible"
    assert plan.summary == "infeasible"
    assert plan.initiatives == ()
    assert plan.gap is None
    assert plan.objective is None
    text = " ".join(plan.explanation)
    assert "budget per period (10,000) is too small" in text
    assert "13,333" in text
    assert "Dropping the must-do “Build a listening program”" in text


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        (PlanRequest(must=frozenset({"nope"})), "The must-do 'nope' is neither an action"),
        (
            PlanRequest(locks=(Lock("a-vision-2", 8),)),
            "move its start to period 7 or earlier, or extend the horizon to 9",
        ),
        (PlanRequest(locks=(Lock("a-vision-2", 0),)), "periods count from 1"),
        (PlanRequest(locks=(Lock("nope", 1),)), "The locked initiative 'nope'"),
        (
            PlanRequest(must=frozenset({"a-vision-2"}), must_not=frozenset({"a-vision-2"})),
            "both a must-do and a must-not",
        ),
        (PlanRequest(horizon=2, must=frozenset({"a-insight-2"})), "takes 3 periods, more than the horizon of 2"),
        (
            PlanRequest(must=frozenset({"a-vision-2"}), must_not=frozenset({"a-vision-1"})),
            "requires “Write the customer promise” is on the must-not list",
        ),
        (
            PlanRequest(horizon=3, must=frozenset({"a-insight-2", "a-vision-2"}), max_concurrent=1),
            "extend it to 7 periods",
        ),
        (
            PlanRequest(locks=(Lock("a-vision-2", 1),)),
            "The locked start dates (“Put CX targets in the plan”) cannot all be kept",
        ),
        (PlanRequest(capacity=1.0, must=frozenset({"a-vision-2"})), "Raise the capacity per period to at least 2"),
        (
            PlanRequest(max_concurrent=1, locks=(Lock("a-vision-1", 1), Lock("a-insight-1", 1))),
            "raise the limit to at least 2",
        ),
    ],
)
def test_infeasible_requests_say_what_blocks_them(
    example: Framework, unsure: Result, request_: PlanRequest, expected: str
) -> None:
    plan = make_plan(example, unsure, request_)
    assert plan.status == "infeasible"
    assert any(expected in line for line in plan.explanation), plan.explanation


# --- degenerate requests ------------------------------------------------------------------------------------------


def test_no_candidates_is_nothing_to_plan() -> None:
    fw = framework(STAGES, [("alpha", 1.0)], [])
    res = result(fw, {"alpha": 1.5})
    plan = make_plan(fw, res, PlanRequest())
    assert plan.status == "empty"
    assert plan.summary == "nothing to plan"
    assert plan.initiatives == ()
    assert "nothing to choose from" in plan.explanation[0]
    assert plan.expected_stages == {"alpha": ("emerging",) * 8}
    assert [t.running for t in plan.totals] == [0] * 8


def test_targets_at_or_below_today_are_nothing_to_plan(example: Framework, worked: Result) -> None:
    plan = make_plan(example, worked, PlanRequest(targets={"vision": "emerging", "insight": "emerging"}))
    assert plan.status == "empty"
    assert "Every competency is at or above its target" in plan.explanation[0]


def test_a_zero_budget_plans_only_what_costs_nothing(example: Framework, unsure: Result) -> None:
    worked = unsure
    request = PlanRequest(budget=0.0)
    plan = make_plan(example, worked, request)
    check_plan(example, worked, request, plan)
    assert keys(plan) == ["a-insight-1"]  # a-vision-2 needs a-vision-1, which costs 5,000
    fw = framework(
        STAGES,
        [("alpha", 1.0)],
        [{"key": "a1", "competency": "alpha", "from_stage": "emerging", "effort": 1, "cost": 10, "duration": 1}],
    )
    plan = make_plan(fw, result(fw, {"alpha": 1.5}), request)
    assert plan.status == "empty"
    assert "budget per period (0) is below" in " ".join(plan.explanation)
    plan = make_plan(fw, result(fw, {"alpha": 1.5}), PlanRequest(capacity=0.0))
    assert "capacity per period (0 person-months) is below" in " ".join(plan.explanation)


# --- validation ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (PlanRequest(horizon=0), "horizon must be between 1 and 40"),
        (PlanRequest(horizon=41), "horizon must be between 1 and 40"),
        (PlanRequest(max_concurrent=0), "max_concurrent must be at least 1"),
        (PlanRequest(budget=-1.0), "budget must be a number of 0 or more"),
        (PlanRequest(capacity=float("nan")), "capacity must be a number of 0 or more"),
        (PlanRequest(time_limit=0), "time_limit must be more than 0"),
        (PlanRequest(mip_gap=1.0), "mip_gap must be at least 0 and below 1"),
        (PlanRequest(targets={"nope": "learning"}), "target for unknown competency 'nope'"),
        (PlanRequest(targets={"vision": "nope"}), "unknown target stage 'nope'"),
        (PlanRequest(custom=(custom("a-vision-1", "vision", "learning"),)), "key 'a-vision-1' is already used"),
        (PlanRequest(custom=(custom("x", "nope", "learning"),)), "unknown competency 'nope'"),
        (PlanRequest(custom=(custom("x", "vision", "nope"),)), "unknown stage 'nope'"),
        (PlanRequest(custom=(custom("x", "vision", "learning", duration=0),)), "duration must be 1 to 40"),
        (PlanRequest(custom=(custom("x", "vision", "learning", effort=-1.0),)), "effort must be 0 or more"),
        (PlanRequest(custom=(custom("x", "vision", "learning", requires=("y",)),)), "requires unknown initiative 'y'"),
        (PlanRequest(must_not=frozenset({"nope"})), "must-not initiative 'nope'"),
        (PlanRequest(locks=(Lock("a-vision-1", 1), Lock("a-vision-1", 2))), "locked twice"),
    ],
)
def test_malformed_requests_raise_value_error(
    example: Framework, worked: Result, request_: PlanRequest, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        make_plan(example, worked, request_)


def test_a_result_of_another_framework_is_refused(worked: Result) -> None:
    fw = ladder()
    with pytest.raises(ValueError, match="the result is of framework 'example-model'"):
        make_plan(fw, worked, PlanRequest())


# --- built-in frameworks ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fid", ["xm-six-competencies", "four-competencies"])
def test_built_in_frameworks_give_valid_plans_at_least_as_good_as_greedy(fid: str) -> None:
    fw = load_builtin(fid)
    res = score(demo_responses(fw), ScoringOptions(bootstrap=0))
    top = {c.key: fw.stage_keys[-1] for c in fw.competencies}
    request = PlanRequest(targets=top, budget=60_000, capacity=8, max_concurrent=4, horizon=8, time_limit=1.0)
    plan = make_plan(fw, res, request)
    check_plan(fw, res, request, plan)
    assert plan.status in ("optimal", "feasible")
    assert plan.gap is not None
    baseline = greedy_plan(fw, res, request)
    check_plan(fw, res, request, baseline)
    assert plan.objective is not None
    assert baseline.objective is not None
    assert plan.objective >= baseline.objective - 1e-9


def test_a_tiny_time_limit_still_gives_a_valid_plan_with_its_gap() -> None:
    fw = load_builtin("xm-six-competencies")
    res = score(demo_responses(fw), ScoringOptions(bootstrap=0))
    top = {c.key: fw.stage_keys[-1] for c in fw.competencies}
    request = PlanRequest(targets=top, budget=50_000, capacity=6, max_concurrent=4, horizon=12, time_limit=0.05)
    plan = make_plan(fw, res, request)
    check_plan(fw, res, request, plan)
    assert plan.status in ("optimal", "feasible")
    assert plan.gap is not None
    assert 0.0 <= plan.gap <= 1.0
    assert plan.summary in ("optimal", f"within {plan.gap:.1%} of optimal")


# --- start windows (what the plan editor offers) ------------------------------------------------------------------


def test_start_windows_follow_prerequisites_and_locked_successors(example: Framework, unsure: Result) -> None:
    request = PlanRequest(locks=(Lock("a-vision-1", 2), Lock("a-insight-2", 3)))
    windows = start_windows(example, unsure, request)
    vision2 = windows["a-vision-2"]
    assert (vision2.earliest, vision2.latest) == (3, 7)  # it takes two periods of eight
    assert vision2.why_earliest == (
        "it requires “Write the customer promise”, which can finish by period 2 at the earliest (it is locked to "
        "start in period 2 and takes 1 period)"
    )
    survey = windows["a-insight-1"]
    assert (survey.earliest, survey.latest) == (1, 2)
    assert survey.why_latest == "“Build a listening program” requires it and is locked to start in period 3"
    # With no answer saying otherwise, the promise (of a stage Vision has passed) is in place: nothing to wait for.
    assert start_windows(example, replace(unsure, indicators=()), PlanRequest())["a-vision-2"].earliest == 1
