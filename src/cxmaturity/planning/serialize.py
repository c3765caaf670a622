"""A plan and the request it answers, as JSON-ready data and back: the one place that knows their stored shape.

``plan_to_dict`` / ``plan_from_dict`` are the plan's JSON (format ``cx-maturity/plan@1``: what ``cxm plan --format
json`` prints, what the API returns and what a saved plan version stores); ``request_to_dict`` /
``request_from_dict`` the request solved for a saved version; ``candidate_to_dict`` / ``candidate_from_dict`` a team's
own initiative. Pure data, no I/O. Reading is lenient about missing optional fields (versions saved before a field
existed still read back) and strict about the ones a plan cannot do without (an initiative's key, start and end).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from cxmaturity.i18n.phrase import Phrase, phrase_from_data, to_data
from cxmaturity.planning.model import Candidate, Initiative, Lock, PeriodTotals, Plan, PlanRequest

FORMAT = "cx-maturity/plan@1"


def _round(x: float | None) -> float | None:
    return None if x is None else round(float(x), 4)


# --------------------------------------------------------------------------------------------------------------------
# The team's own initiatives


def candidate_to_dict(c: Candidate) -> dict[str, Any]:
    return {
        "key": c.key,
        "title": c.title,
        "competency": c.competency,
        "from_stage": c.from_stage,
        "effort": c.effort,
        "duration": c.duration,
        "cost": c.cost,
        "requires": list(c.requires),
        "indicators": list(c.indicators),
        "description": c.description,
        "measure": c.measure,
    }


def candidate_from_dict(data: Mapping[str, Any]) -> Candidate:
    return Candidate(
        key=str(data["key"]),
        title=str(data.get("title", "")),
        competency=str(data.get("competency", "")),
        from_stage=str(data.get("from_stage", "")),
        effort=float(data.get("effort", 0.0)),
        duration=int(data.get("duration", 1)),
        cost=float(data.get("cost") or 0.0),
        requires=tuple(str(k) for k in data.get("requires", ())),
        indicators=tuple(str(k) for k in data.get("indicators", ())),
        description=str(data.get("description") or ""),
        measure=str(data.get("measure") or ""),
        custom=True,
    )


# --------------------------------------------------------------------------------------------------------------------
# Requests


def request_to_dict(request: PlanRequest, start_date: date) -> dict[str, Any]:
    """The request as stored with a version (and the calendar's first day)."""
    return {
        "targets": dict(sorted(request.targets.items())),
        "horizon": request.horizon,
        "budget": request.budget,
        "capacity": request.capacity,
        "max_concurrent": request.max_concurrent,
        "must": sorted(request.must),
        "must_not": sorted(request.must_not),
        "custom": [candidate_to_dict(c) for c in request.custom],
        "locks": [{"key": lock.key, "start": lock.start} for lock in request.locks],
        "owners": dict(sorted(request.owners.items())),
        "start_date": start_date.isoformat(),
    }


def request_from_dict(data: Mapping[str, Any]) -> PlanRequest:
    defaults = PlanRequest()
    owners = {str(k): str(v) for k, v in (data.get("owners") or {}).items()}
    return PlanRequest(
        targets={str(k): str(v) for k, v in (data.get("targets") or {}).items()},
        horizon=int(data.get("horizon", defaults.horizon)),
        budget=data.get("budget"),
        capacity=data.get("capacity"),
        max_concurrent=int(data.get("max_concurrent", defaults.max_concurrent)),
        must=frozenset(data.get("must") or ()),
        must_not=frozenset(data.get("must_not") or ()),
        custom=tuple(candidate_from_dict(c) for c in data.get("custom") or ()),
        locks=tuple(
            Lock(str(lock["key"]), int(lock["start"]), owners.get(str(lock["key"]), ""))
            for lock in data.get("locks") or ()
        ),
        owners=owners,
    )


# --------------------------------------------------------------------------------------------------------------------
# Plans


def initiative_to_dict(item: Initiative) -> dict[str, Any]:
    return {
        "key": item.key,
        "title": item.title,
        "competency": item.competency,
        "from_stage": item.from_stage,
        "start": item.start,
        "end": item.end,
        "cost": _round(item.cost),
        "effort": _round(item.effort),
        "reason": item.reason,
        "quick_win": item.quick_win,
        "owner": item.owner,
        "locked": item.locked,
        "custom": item.custom,
        "expected_from": item.expected_from,
        "expected_to": item.expected_to,
        "indicators": list(item.indicators),
        "discussion_items": list(item.discussion_items),
        "measure": item.measure,
        "description": item.description,
        # The reason as a message id with named parameters (docs/translations.md), so that pages and reports show it
        # in their reader's language; ``reason`` stays the English sentence.
        **({"reason_phrase": to_data(item.reason_phrase)} if item.reason_phrase is not None else {}),
    }


def initiative_from_dict(data: Mapping[str, Any]) -> Initiative:
    def keys(name: str) -> tuple[str, ...]:
        return tuple(str(k) for k in data.get(name) or ())

    return Initiative(
        key=str(data["key"]),
        title=str(data.get("title") or data["key"]),
        competency=str(data.get("competency", "")),
        from_stage=str(data.get("from_stage", "")),
        start=int(data["start"]),
        end=int(data["end"]),
        cost=float(data.get("cost") or 0.0),
        effort=float(data.get("effort") or 0.0),
        reason=str(data.get("reason") or ""),
        indicators=keys("indicators"),
        discussion_items=keys("discussion_items"),
        expected_from=str(data.get("expected_from") or ""),
        expected_to=str(data.get("expected_to") or ""),
        measure=str(data.get("measure") or ""),
        description=str(data.get("description") or ""),
        quick_win=bool(data.get("quick_win")),
        owner=str(data.get("owner") or ""),
        locked=bool(data.get("locked")),
        custom=bool(data.get("custom")),
        reason_phrase=phrase_from_data(data.get("reason_phrase")),
    )


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """Return the plan as JSON-ready data; stages, competencies and initiatives are given by key."""
    req = plan.request
    return {
        "format": FORMAT,
        "status": plan.status,
        "summary": plan.summary,
        "gap": _round(plan.gap),
        "objective": _round(plan.objective),
        "initiatives": [initiative_to_dict(i) for i in plan.initiatives],
        "expected_stages": {k: list(v) for k, v in plan.expected_stages.items()},
        "totals": [
            {"period": t.period, "cost": _round(t.cost), "effort": _round(t.effort), "running": t.running}
            for t in plan.totals
        ],
        "explanation": list(plan.explanation),
        **({"explanation_phrases": [to_data(p) for p in plan.explanation_phrases]} if plan.explanation_phrases else {}),
        "settings": {
            "horizon": req.horizon,
            "budget": req.budget,
            "capacity": req.capacity,
            "max_concurrent": req.max_concurrent,
            "targets": dict(req.targets),
            "must": sorted(req.must),
            "must_not": sorted(req.must_not),
            "locks": [{"key": lk.key, "start": lk.start, "owner": lk.owner} for lk in req.locks],
            "custom": [c.key for c in req.custom],
            "time_limit": req.time_limit,
            "mip_gap": req.mip_gap,
        },
    }


def plan_from_dict(data: Mapping[str, Any], request: PlanRequest) -> Plan:
    """Rebuild a plan from ``plan_to_dict``'s data, with the request it answered (stored beside it)."""
    expected = data.get("expected_stages") or {}
    totals = data.get("totals") or ()
    gap = data.get("gap")
    objective = data.get("objective")
    explanation = tuple(str(e) for e in data.get("explanation") or ())
    return Plan(
        status=data.get("status", "infeasible"),
        gap=None if gap is None else float(gap),
        objective=None if objective is None else float(objective),
        initiatives=tuple(initiative_from_dict(i) for i in data.get("initiatives") or ()),
        expected_stages={str(k): tuple(str(s) for s in v) for k, v in expected.items()},
        totals=tuple(
            PeriodTotals(
                int(t["period"]), float(t.get("cost") or 0), float(t.get("effort") or 0), int(t.get("running") or 0)
            )
            for t in totals
        ),
        explanation=explanation,
        request=request,
        explanation_phrases=_phrases(data.get("explanation_phrases"), len(explanation)),
    )


def _phrases(data: Any, count: int) -> tuple[Phrase, ...]:
    """The stored explanation phrases, or none (the sentences are then shown as written) when they are missing or do
    not match the sentences one to one."""
    found = tuple(p for p in (phrase_from_data(d) for d in data or ()) if p is not None)
    return found if len(found) == count else ()
