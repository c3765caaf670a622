"""On small random instances the optimizer's objective equals a brute-force search's, and every plan is valid."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from cxmaturity.frameworks import Framework
from cxmaturity.planning import Lock, PlanRequest
from cxmaturity.planning.optimizer import make_plan
from cxmaturity.scoring import Result
from tests.planning.support import brute_force, check_plan, framework, result, values

STAGES = ("one", "two", "three", "four")


@st.composite
def instances(draw: st.DrawFn) -> tuple[Framework, Result, PlanRequest]:
    n_stages = draw(st.integers(3, 4))
    stages = STAGES[:n_stages]
    comps = [("alpha", draw(st.sampled_from([1.0, 2.0]))), ("beta", 1.0)]
    n_actions = draw(st.integers(1, 6) | st.just(6))
    actions: list[dict[str, Any]] = []
    for n in range(n_actions):
        earlier = [a["key"] for a in actions]
        requires: list[str] = []
        if draw(st.booleans()) and earlier:
            requires = draw(st.lists(st.sampled_from(earlier), max_size=1))
        actions.append(
            {
                "key": f"a{n}",
                "competency": draw(st.sampled_from([c for c, _ in comps])),
                "from_stage": draw(st.sampled_from([stages[0], stages[0], stages[1], stages[n_stages - 2]])),
                "effort": draw(st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0])),
                "cost": draw(st.sampled_from([0.0, 1000.0, 2000.0, 5000.0])),
                "duration": draw(st.integers(1, 3)),
                "requires": requires,
            }
        )
    fw = framework(stages, comps, actions)
    scores = {c: draw(st.floats(1.0, 2.99)) for c, _ in comps}
    importance = {c: draw(st.sampled_from([1.0, 3.0, 5.0])) for c, _ in comps if draw(st.booleans())}
    res = result(fw, scores, importance)
    keys = [a["key"] for a in actions]
    # Mostly ambitious targets (the top stage), sometimes the default (the next stage) or one at or below today's.
    targets = {c: draw(st.sampled_from([stages[-1], stages[-1], stages[-1], stages[0]])) for c, _ in comps}
    targets = {c: t for c, t in targets.items() if draw(st.integers(0, 3)) > 0}
    horizon = draw(st.integers(3, 4))
    some = st.lists(st.sampled_from(keys), max_size=1) if keys else st.just([])
    must = frozenset(draw(some)) if draw(st.integers(0, 3)) == 0 else frozenset()
    must_not = frozenset(draw(some)) if draw(st.integers(0, 3)) == 0 else frozenset()
    locks: tuple[Lock, ...] = ()
    if keys and draw(st.integers(0, 4)) == 0:
        locks = (Lock(draw(st.sampled_from(keys)), draw(st.integers(1, horizon))),)
    request = PlanRequest(
        targets=targets,
        horizon=horizon,
        budget=draw(st.sampled_from([None, None, 0.0, 1000.0, 3000.0, 6000.0])),
        capacity=draw(st.sampled_from([None, None, 0.0, 1.0, 2.0, 4.0])),
        max_concurrent=draw(st.integers(1, 3)),
        must=must,
        must_not=must_not,
        locks=locks,
        time_limit=30.0,
        mip_gap=0.0,
    )
    return fw, res, request


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_the_optimizer_finds_the_brute_force_optimum_and_keeps_every_constraint(
    instance: tuple[Framework, Result, PlanRequest],
) -> None:
    fw, res, request = instance
    plan = make_plan(fw, res, request)
    best = brute_force(fw, res, request)
    if best is None:
        event("infeasible")
        assert plan.status == "infeasible"
        assert plan.explanation, "an infeasible plan explains itself"
        assert plan.initiatives == ()
        return
    check_plan(fw, res, request, plan)
    assert plan.objective is not None
    assert math.isclose(plan.objective, best, rel_tol=1e-6, abs_tol=1e-6), (plan.objective, best)
    assert plan.status == ("empty" if not plan.initiatives else "optimal")
    event(f"status {plan.status}, {len(plan.initiatives)} initiative(s)")
    # Nothing worth 0 is planned unless it is forced, or a prerequisite or the step below of a planned initiative.
    worth = values(fw, res, request)
    forced = request.must | {lk.key for lk in request.locks}
    stage = {a.key: fw.stage_number(a.from_stage) for a in fw.actions}
    for item in plan.initiatives:
        if worth[item.key] > 0 or item.key in forced:
            continue
        needed = any(
            item.key in fw_requires(fw, other.key)
            or (other.competency == item.competency and stage[other.key] == stage[item.key] + 1)
            for other in plan.initiatives
        )
        assert needed, f"{item.key} is worth nothing and nothing needs it"


def fw_requires(fw: Framework, key: str) -> tuple[str, ...]:
    return next((tuple(a.requires) for a in fw.actions if a.key == key), ())
