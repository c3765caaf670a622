"""The gap a plan reports is proven: its bound is at least the brute-force optimum, on small random instances.

When the time limit stops the solver, a plan says "within X% of optimal": its value times 1 + X must bound every
valid plan's value. A bound that undercuts the optimum would make that claim false; these tests recompute the
optimum by brute force (``tests.planning.support.brute_force``) and check the bound, the relaxation it comes from, and
the local searches that improve a stopped solver's plan.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from cxmaturity.frameworks import Framework
from cxmaturity.planning import Plan, PlanRequest, optimizer
from cxmaturity.planning.optimizer import (
    _best_and_gap,
    _greedy_starts,
    _improve,
    _lead,
    _Ledger,
    _Outcome,
    _prepare,
    _Problem,
    _repack,
    _solve,
    make_plan,
)
from cxmaturity.scoring import Result
from tests.planning.support import brute_force, check_plan, objective, violations
from tests.planning.test_properties import instances

TOL = 1e-6


def _assert_the_gap_bounds_the_optimum(fw: Framework, res: Result, request: PlanRequest, plan: Plan) -> None:
    best = brute_force(fw, res, request)
    if best is None:
        event("no valid plan")
        assert plan.status == "infeasible"
        return
    if plan.status == "infeasible":
        # Stopped before any plan was found: it must say so, never that no plan exists.
        event("stopped before a plan was found")
        assert "does not prove that none exists" in plan.explanation[0]
        return
    check_plan(fw, res, request, plan)
    assert plan.objective is not None
    assert plan.gap is not None
    event(f"status {plan.status}")
    assert plan.objective <= best + TOL, "a plan better than every valid plan: the plan breaks a rule"
    # A gap is shown up to 100%: "within 100% of optimal" claims nothing (no bound, or one over twice the value).
    if plan.gap < 1.0:
        assert best <= plan.objective * (1 + plan.gap) + TOL, (
            f"the optimum {best} exceeds the proven bound {plan.objective} x (1 + {plan.gap})"
        )
    if plan.status == "optimal":
        assert math.isclose(plan.objective, best, rel_tol=1e-4, abs_tol=TOL)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_a_plan_stopped_by_its_time_limit_reports_a_gap_that_bounds_the_optimum(
    instance: tuple[Framework, Result, PlanRequest],
) -> None:
    fw, res, request = instance
    # A time limit this short stops the solver on some instances, so that the plan comes from the greedy ranking,
    # the relaxation-guided order and the local search, with the gap the bound proves.
    request = replace(request, time_limit=0.02, mip_gap=0.0)
    _assert_the_gap_bounds_the_optimum(fw, res, request, make_plan(fw, res, request))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.sampled_from([0.001, 0.005, 0.02, 2.0]))
def test_a_plan_made_as_for_a_large_catalog_reports_a_gap_that_bounds_the_optimum(
    instance: tuple[Framework, Result, PlanRequest], limit: float
) -> None:
    fw, res, request = instance
    # The path of 300 actions x 12 periods on a small instance: ruin and recreate first, then the whole program
    # from its plan, then the local search. A huge ROOT_FACTOR makes every program
    # "large for its time".
    request = replace(request, time_limit=limit, mip_gap=0.0)
    saved = optimizer.ROOT_FACTOR
    optimizer.ROOT_FACTOR = 10**9
    try:
        plan = make_plan(fw, res, request)
    finally:
        optimizer.ROOT_FACTOR = saved
    _assert_the_gap_bounds_the_optimum(fw, res, request, plan)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_when_the_solver_is_stopped_the_gap_from_the_relaxation_bounds_the_optimum(
    instance: tuple[Framework, Result, PlanRequest],
) -> None:
    fw, res, request = instance
    best = brute_force(fw, res, request)
    p = _prepare(fw, res, request)
    p.lead = _lead(p)
    # As if the solver had been stopped before finding any plan: greedy, guided and local search, with the bound
    # of the linear relaxation only.
    starts, gap = _best_and_gap(p, _Outcome("timeout", {}), time.monotonic() + 0.1)
    if best is None or starts is None:
        event("no plan")
        return
    keys = {p.cands[i].key: t for i, t in starts.items()}
    assert violations(fw, res, request, keys) == []
    value = objective(fw, res, request, keys)
    event("proven optimal" if gap <= 1e-4 else "gap left")
    assert value <= best + TOL
    if gap < 1.0:  # 100% is the most a gap shows, and claims nothing
        assert best <= value * (1 + gap) + TOL, f"the optimum {best} exceeds the proven bound {value} x (1 + {gap})"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_the_linear_relaxation_bounds_every_plan(instance: tuple[Framework, Result, PlanRequest]) -> None:
    fw, res, request = instance
    best = brute_force(fw, res, request)
    p = _prepare(fw, res, request)
    p.lead = _lead(p)
    relaxation = _solve(p, relaxed=True, time_limit=10.0)
    if best is None or relaxation.bound is None:
        event("no bound to check")
        return
    assert relaxation.bound >= best - TOL, (relaxation.bound, best)
    # The start columns in the per-period limits change how the limits are written, never what they allow: the same
    # relaxation (a looser or tighter one would mean a row that is wrong).
    with_starts = _solve(p, relaxed=True, time_limit=10.0, start_columns=True)
    assert with_starts.bound is not None
    assert math.isclose(with_starts.bound, relaxation.bound, rel_tol=1e-6, abs_tol=TOL)


@pytest.mark.parametrize("search", [_improve, _repack], ids=["sub-programs", "ruin and recreate"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_the_local_searches_keep_every_rule_and_never_lose_value(
    search: Callable[[_Problem, dict[int, int], float], dict[int, int]],
    instance: tuple[Framework, Result, PlanRequest],
) -> None:
    fw, res, request = instance
    best = brute_force(fw, res, request)
    p = _prepare(fw, res, request)
    p.lead = _lead(p)
    start = _greedy_starts(p)
    if best is None or start is None or violations(fw, res, request, _keys(p, start)):
        event("no valid start")  # the greedy places locks where they are, even beyond the limits
        return
    improved = search(p, start, time.monotonic() + 0.1)
    keys = _keys(p, improved)
    value = objective(fw, res, request, keys)
    event("improved" if value > p.objective(start) + TOL else "kept")
    assert value >= p.objective(start) - TOL
    assert value <= best + TOL
    # Locks, must-dos and the lead stay where they were: the searches only move the rest.
    assert all(improved.get(i) == t for i, t in {**p.lead, **p.locks}.items())
    assert violations(fw, res, request, keys) == []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_the_earliest_start_found_is_the_first_that_keeps_every_rule(
    instance: tuple[Framework, Result, PlanRequest],
) -> None:
    fw, res, request = instance
    p = _prepare(fw, res, request)
    p.lead = _lead(p)
    start = _greedy_starts(p)
    if start is None or violations(fw, res, request, _keys(p, start)):
        event("no valid start")
        return
    for i in sorted(set(start) - set(p.locks)):
        ledger = _Ledger(p)
        for j, t in start.items():
            if j != i:
                ledger.place(j, t)
        first = ledger.earliest(i)
        # Where it was is valid, so a start no later is found.
        assert first is not None
        assert first <= start[i]
        rest = {p.cands[j].key: t for j, t in start.items() if j != i}
        for t in range(1, first + 1):
            broken = violations(fw, res, request, {**rest, p.cands[i].key: t})
            # Checked by the independent validator: every earlier start breaks a rule, the one found none.
            assert (broken == []) == (t == first), (t, first, broken)


def _keys(p: _Problem, starts: dict[int, int]) -> dict[str, int]:
    return {p.cands[i].key: t for i, t in starts.items()}


@pytest.mark.parametrize("start_columns", [False, True], ids=["started-by columns", "with start columns"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_the_whole_program_started_from_a_plan_keeps_it_and_proves_a_bound_of_the_optimum(
    start_columns: bool, instance: tuple[Framework, Result, PlanRequest]
) -> None:
    fw, res, request = instance
    best = brute_force(fw, res, request)
    p = _prepare(fw, res, request)
    p.lead = _lead(p)
    start = _greedy_starts(p)
    if best is None or start is None or violations(fw, res, request, _keys(p, start)):
        event("no valid start")
        return
    # Stopped at once (whatever HiGHS has then), and given all the time it needs.
    for limit in (1e-3, 10.0):
        out = _solve(p, time_limit=limit, mip_gap=0.0, start=start, start_columns=start_columns)
        assert out.status in ("optimal", "feasible", "timeout"), out.message
        if out.bound is not None:
            assert out.bound >= best - TOL, (limit, out.bound, best)
        if out.status in ("optimal", "feasible"):
            keys = _keys(p, out.starts)
            assert violations(fw, res, request, keys) == []
            assert objective(fw, res, request, keys) <= best + TOL
    assert out.status == "optimal"
    value = objective(fw, res, request, _keys(p, out.starts))
    assert math.isclose(value, best, rel_tol=1e-6, abs_tol=TOL)
    assert value >= p.objective(start) - TOL  # never worse than the plan it started from
