"""Reasons and explanations of plans read in plain words: names, titles and statement texts, never a framework's keys.

On every built-in framework, for SYNTHETIC teams of several seeds, with and without limits, locks and must-dos, and for
requests that no plan satisfies: no reason or explanation holds an action, indicator, competency or stage key.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from cxmaturity.demo import demo_responses
from cxmaturity.frameworks import Framework, builtin_ids, load_builtin
from cxmaturity.planning import Lock, Plan, PlanRequest
from cxmaturity.planning.optimizer import greedy_plan, make_plan
from cxmaturity.scoring import Result, ScoringOptions, score


def keys_of(fw: Framework) -> set[str]:
    """The keys a reader must never meet. Competency and stage keys that are plain words ("lead", "scale") would also
    match ordinary prose, so only the ones with a digit or a hyphen count; action and indicator keys always do."""
    words = {c.key for c in fw.competencies} | set(fw.stage_keys)
    return {a.key for a in fw.actions} | set(fw.indicator_keys) | {k for k in words if re.search(r"[\d-]", k)}


def leaked(fw: Framework, texts: list[str]) -> list[tuple[str, str]]:
    found = []
    for text in texts:
        for key in keys_of(fw):
            # A key as a whole token: not inside a longer word or key.
            if re.search(rf"(?<![\w-]){re.escape(key)}(?![\w-])", text):
                found.append((key, text))
    return found


def texts(plan: Plan) -> list[str]:
    return [i.reason for i in plan.initiatives] + list(plan.explanation)


def team(fw: Framework, seed: int) -> Result:
    return score(demo_responses(fw, seed=seed), ScoringOptions(bootstrap=0))


@pytest.mark.parametrize("framework_id", builtin_ids())
def test_no_reason_holds_an_internal_key(framework_id: str) -> None:
    fw = load_builtin(framework_id)
    top = fw.stage_keys[-1]
    seen = 0
    for seed in (1, 2, 3):
        result = team(fw, seed)
        first = fw.actions[0].key
        requests = [
            PlanRequest(time_limit=5.0),
            PlanRequest(targets={c.key: top for c in fw.competencies}, budget=20_000, capacity=3, time_limit=5.0),
            PlanRequest(max_concurrent=2, horizon=6, time_limit=5.0),
            PlanRequest(locks=(Lock(first, 2, owner="Ana"),), must=frozenset({fw.actions[-1].key}), time_limit=5.0),
        ]
        for request in requests:
            for plan in (make_plan(fw, result, request), greedy_plan(fw, result, request)):
                assert not leaked(fw, texts(plan)), leaked(fw, texts(plan))[:3]
                seen += len(plan.initiatives)
        # Requests no plan satisfies: the explanations name titles too.
        last = fw.actions[-1]
        for bad in (
            PlanRequest(budget=0.0, must=frozenset({a.key for a in fw.actions if a.cost})),
            PlanRequest(horizon=1, must=frozenset({last.key}), must_not=frozenset(last.requires)),
            PlanRequest(locks=(Lock(last.key, 99),)),
            PlanRequest(max_concurrent=1, locks=tuple(Lock(a.key, 1) for a in fw.actions[:2])),
        ):
            plan = make_plan(fw, result, replace(bad, time_limit=5.0))
            assert plan.status in ("infeasible", "optimal", "feasible", "empty")
            assert not leaked(fw, texts(plan)), leaked(fw, texts(plan))[:3]
    assert seen > 0


def test_the_detector_finds_a_key() -> None:
    fw = load_builtin("xm-six-competencies")
    assert leaked(fw, ["it comes before 'a-ds-1b'. Addresses ds-2a, ds-r1"])
    assert not leaked(fw, ["Disrupt is at Investigate: “We test new ideas with customers”."])
