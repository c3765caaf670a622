"""Test helpers for the planner, written independently of the optimizer's code.

- ``framework`` and ``result`` build small instances directly (no scoring, no reference checks).
- ``check_plan`` is an independent validator: it recomputes every constraint of docs/planning.md from the request.
- ``values`` and ``objective`` recompute the documented objective; ``brute_force`` searches every schedule.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from cxmaturity.frameworks import Framework
from cxmaturity.planning import Candidate, Plan, PlanRequest
from cxmaturity.planning.optimizer import lead_starts
from cxmaturity.scoring.result import (
    Agreement,
    CompetencyResult,
    DiscussionItem,
    Overall,
    Result,
    ScoringOptions,
)
from tests.support.values import known

TOL = 1e-6
EARLY = 0.05


def framework(
    stages: Sequence[str],
    competencies: Sequence[tuple[str, float]],
    actions: Sequence[dict[str, Any]],
    fid: str = "test-plan",
) -> Framework:
    """A framework with the given stages, ``(key, weight)`` competencies (one rubric each) and actions."""
    comps = [
        {
            "key": key,
            "name": key.title(),
            "weight": weight,
            "indicators": [
                {
                    "key": f"{key}-{n}",
                    "kind": "rubric",
                    "text": f"{key} {n}",
                    "options": [{"stage": s, "text": s} for s in stages],
                }
                for n in (1, 2)
            ],
        }
        for key, weight in competencies
    ]
    data = {
        "format": "cx-maturity/framework@1",
        "id": fid,
        "name": "Test plan model",
        "version": "1",
        "source": "tests",
        "stages": [{"key": s, "name": s.title()} for s in stages],
        "competencies": comps,
        "actions": [{"title": a["key"].upper(), **a} for a in actions],
    }
    return Framework.model_validate(data)


def result(
    fw: Framework,
    scores: dict[str, float],
    importance: dict[str, float] | None = None,
    discussed: Sequence[str] = (),
    targets: dict[str, str] | None = None,
) -> Result:
    """A result with the given score per competency (the stage is its whole part)."""
    importance = importance or {}
    none = Agreement(None, None, None)
    comps = tuple(
        CompetencyResult(
            key=c.key,
            stage=fw.stage_keys[int(scores[c.key]) - 1],
            stage_number=int(scores[c.key]),
            score=scores[c.key],
            interval=None,
            interval_method="none",
            stage_probabilities={},
            fulfilment={},
            coverage=1.0,
            low_coverage=False,
            respondents=3,
            agreement=none,
            importance=importance.get(c.key),
        )
        for c in fw.competencies
    )
    low = min(comps, key=lambda c: known(c.score))
    items = tuple(
        DiscussionItem(indicator=k, competency=k.rsplit("-", 1)[0], answered=3, sd=1, ad=1, rwg=0, distribution={})
        for k in discussed
    )
    return Result(
        framework=fw.id,
        framework_version=fw.version,
        respondents=3,
        overall=Overall(low.stage, low.stage_number, low.score, None, {}, "weakest"),
        competencies=comps,
        weakest=(low.key,),
        strongest=(max(comps, key=lambda c: known(c.score)).key,),
        coverage=1.0,
        low_coverage=False,
        indicators=(),
        discussion_items=items,
        groups=(),
        withheld_groups=0,
        blind_spots=(),
        gaps=(),
        options=ScoringOptions(bootstrap=0, targets=targets or {}),
    )


@dataclass(frozen=True)
class Item:
    key: str
    competency: str
    stage: int
    effort: float
    cost: float
    duration: int
    requires: tuple[str, ...]


def items(fw: Framework, request: PlanRequest) -> dict[str, Item]:
    """Every candidate (framework actions and custom ones) by key."""
    out = {
        a.key: Item(
            a.key,
            a.competency,
            fw.stage_number(a.from_stage),
            a.effort,
            a.cost or 0.0,
            a.duration,
            tuple(a.requires),
        )
        for a in fw.actions
    }
    for c in request.custom:
        out[c.key] = Item(
            c.key, c.competency, fw.stage_number(c.from_stage), c.effort, c.cost, c.duration, tuple(c.requires)
        )
    return out


def target(fw: Framework, res: Result, request: PlanRequest, comp: str) -> int:
    wanted = request.targets.get(comp) or res.options.targets.get(comp)
    stage = known(res.competency(comp).stage_number)
    return fw.stage_number(wanted) if wanted else min(stage + 1, len(fw.stages))


def values(fw: Framework, res: Result, request: PlanRequest) -> dict[str, float]:
    """The documented value of each candidate: its step's share of the gap × priority factor, split equally."""
    n = len(fw.stages)
    cands = items(fw, request)
    out = dict.fromkeys(cands, 0.0)
    for comp in fw.competencies:
        r = res.competency(comp.key)
        score, stage = known(r.score), known(r.stage_number)
        imp = r.importance / 3 if r.importance is not None else 1.0
        factor = comp.weight * imp * (1 + (n - score) / (n - 1))
        for t in range(stage, target(fw, res, request, comp.key)):
            members = [
                k
                for k, it in cands.items()
                if it.competency == comp.key and it.stage == t and k not in request.must_not
            ]
            share = (stage + 1 - score) if t == stage else 1.0
            for k in members:
                out[k] = share / len(members) * factor
    return out


def objective(fw: Framework, res: Result, request: PlanRequest, starts: dict[str, int]) -> float:
    v = values(fw, res, request)
    h = request.horizon
    return sum(v[k] * (1 + EARLY * (h - t) / h) for k, t in starts.items())


def in_place(fw: Framework, res: Result, request: PlanRequest) -> set[str]:
    """Candidates already done: for a stage below the competency's current one, and no answer on their own indicators
    says otherwise (a statement's mean below the threshold, a rubric's mean stage below the stage it leads to)."""
    means = {r.key: r.mean for r in res.indicators}
    kinds = {ind.key: ind.kind for _, ind in fw.indicators}
    custom = {c.key: c.indicators for c in request.custom}
    out: set[str] = set()
    for k, it in items(fw, request).items():
        if it.stage >= known(res.competency(it.competency).stage_number):
            continue
        own = custom[k] if k in custom else next(a.indicators for a in fw.actions if a.key == k)
        against = False
        for ind in own:
            mean = means.get(ind)
            if mean is None or math.isnan(mean):
                continue
            limit = fw.scoring.threshold if kinds[ind] == "statement" else it.stage + 1
            against = against or mean < limit
        if not against:
            out.add(k)
    return out


def violations(fw: Framework, res: Result, request: PlanRequest, starts: dict[str, int]) -> list[str]:
    """Every constraint that the schedule ``starts`` (key → first period) breaks."""
    cands = items(fw, request)
    done = in_place(fw, res, request)
    problems: list[str] = []
    h = request.horizon
    end = {k: t + cands[k].duration for k, t in starts.items()}
    for k, t in starts.items():
        if k not in cands:
            problems.append(f"{k}: unknown")
            continue
        if k in request.must_not:
            problems.append(f"{k}: on the must-not list")
        if t < 1 or end[k] - 1 > h:
            problems.append(f"{k}: runs outside the horizon ({t}..{end[k] - 1})")
        for r in cands[k].requires:
            if r not in done and (r not in starts or end[r] > t):
                problems.append(f"{k}: prerequisite {r} not finished before period {t}")
        it = cands[k]
        current = known(res.competency(it.competency).stage_number)
        if it.stage > current and not any(
            cands[o].competency == it.competency and cands[o].stage == it.stage - 1 and end[o] <= t
            for o in starts
            if o in cands
        ):
            problems.append(f"{k}: stage {it.stage - 1} of {it.competency} not worked on before period {t}")
    for k in request.must:
        if k not in starts:
            problems.append(f"must-do {k} missing")
    for lock in request.locks:
        if starts.get(lock.key) != lock.start:
            problems.append(f"lock {lock.key} not at {lock.start}")
    for period in range(1, h + 1):
        running = [k for k, t in starts.items() if k in cands and t <= period < end[k]]
        cost = sum(cands[k].cost / cands[k].duration for k in running)
        effort = sum(cands[k].effort / cands[k].duration for k in running)
        if request.budget is not None and cost > request.budget + TOL * max(1.0, request.budget):
            problems.append(f"period {period}: cost {cost} over budget {request.budget}")
        if request.capacity is not None and effort > request.capacity + TOL * max(1.0, request.capacity):
            problems.append(f"period {period}: effort {effort} over capacity {request.capacity}")
        if len(running) > request.max_concurrent:
            problems.append(f"period {period}: {len(running)} running")
    return problems


def check_plan(fw: Framework, res: Result, request: PlanRequest, plan: Plan) -> None:
    """Assert that ``plan`` keeps every constraint and that its reported numbers match a recomputation."""
    assert plan.status in ("optimal", "feasible", "empty"), plan.explanation
    cands = items(fw, request)
    keys = [i.key for i in plan.initiatives]
    assert len(keys) == len(set(keys)), "an initiative is planned twice"
    starts = {i.key: i.start for i in plan.initiatives}
    for item in plan.initiatives:
        it = cands[item.key]
        assert item.end == item.start + it.duration
        assert math.isclose(item.cost, it.cost)
        assert math.isclose(item.effort, it.effort)
        assert item.competency == it.competency
    problems = violations(fw, res, request, starts)
    assert not problems, problems
    assert plan.objective is not None
    assert math.isclose(plan.objective, objective(fw, res, request, starts), rel_tol=1e-9, abs_tol=1e-9)
    assert len(plan.totals) == request.horizon
    for t in plan.totals:
        running = [k for k, s in starts.items() if s <= t.period < s + cands[k].duration]
        assert t.running == len(running)
        assert math.isclose(t.cost, sum(cands[k].cost / cands[k].duration for k in running), abs_tol=1e-9)
        assert math.isclose(t.effort, sum(cands[k].effort / cands[k].duration for k in running), abs_tol=1e-9)
    assert set(plan.expected_stages) == {c.key for c in fw.competencies}
    for comp, row in plan.expected_stages.items():
        assert len(row) == request.horizon
        numbers = [fw.stage_number(s) for s in row]
        assert numbers == sorted(numbers), "an expected stage goes down"
        assert numbers[0] >= known(res.competency(comp).stage_number)


def schedules(fw: Framework, request: PlanRequest) -> Iterator[dict[str, int]]:
    """Every way to choose and start the candidates (each not chosen, or started in a period it fits)."""
    cands = list(items(fw, request).values())
    h = request.horizon

    def walk(n: int, chosen: dict[str, int]) -> Iterator[dict[str, int]]:
        if n == len(cands):
            yield dict(chosen)
            return
        yield from walk(n + 1, chosen)
        it = cands[n]
        for t in range(1, h - it.duration + 2):
            chosen[it.key] = t
            yield from walk(n + 1, chosen)
            del chosen[it.key]

    yield from walk(0, {})


def brute_force(fw: Framework, res: Result, request: PlanRequest) -> float | None:
    """The best objective over every valid schedule that starts the lead (what holds the overall stage back, placed
    first: ``lead_starts``) where the optimizer fixes it, or None when no schedule is valid."""
    best: float | None = None
    lead = lead_starts(fw, res, request)
    for starts in schedules(fw, request):
        if any(starts.get(k) != t for k, t in lead.items()) or violations(fw, res, request, starts):
            continue
        value = objective(fw, res, request, starts)
        if best is None or value > best:
            best = value
    return best


def custom(key: str, competency: str, stage: str, **fields: Any) -> Candidate:
    defaults: dict[str, Any] = {"title": key.upper(), "effort": 1.0, "duration": 1, "custom": True}
    return Candidate(key=key, competency=competency, from_stage=stage, **{**defaults, **fields})
