"""The plan page's view model: a saved plan turned into rows, periods, totals, expected stages and timelines, with
every name resolved in the framework's language (``reporting.report.plan_section`` does the same for the reports).

``build`` takes plain values (the plan, its locks and owners, the current result, each initiative's start window and
status) and returns dictionaries and ``Row`` values the template renders as they are. The rows offer only the start
periods an initiative can be moved to without breaking an order by itself (``planning.optimizer.start_windows``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cxmaturity.frameworks.model import Framework
from cxmaturity.i18n import N_, format_decimal, format_percent
from cxmaturity.i18n import gettext as _
from cxmaturity.planning.model import Candidate, Initiative, Plan
from cxmaturity.planning.optimizer import Window
from cxmaturity.planning.wording import competency_name, stage_name
from cxmaturity.reporting import charts, phrases
from cxmaturity.scoring.display import NOT_ASSESSED
from cxmaturity.scoring.result import Result
from cxmaturity.workshops.rules import NEXT_STEP_DESCRIPTION

#: How an initiative is going, as the progress page records it (services/progress.py), in words for its tag.
STATUS_WORDS = {
    "planned": N_("Planned"),
    "in progress": N_("In progress"),
    "done": N_("Done"),
    "dropped": N_("Dropped"),
}


def money(value: float | None) -> str:
    """An amount in the active locale (``1,250`` / ``1.250``); "no limit" for none."""
    if value is None:
        return _("no limit")
    return format_decimal(value, 0 if abs(value - round(value)) < 0.005 else 2)


def months(value: float | None) -> str:
    """Person-months with at most one decimal (``1.5`` / ``1,5``); "no limit" for none."""
    if value is None:
        return _("no limit")
    return format_decimal(value, 0 if abs(value - round(value)) < 0.05 else 1) if value else "0"


def periods(start: int, end: int) -> str:
    return str(start) if end - start <= 1 else f"{start}–{end - 1}"


def field_id(key: str) -> str:
    """An id-safe form of an initiative key, for labels (the key itself is in the field names)."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", key)


@dataclass(frozen=True)
class Row:
    """One initiative of the plan as the table shows it."""

    key: str
    field: str
    title: str
    competency: str
    competency_key: str
    start: int
    end: int
    periods: str
    cost: str
    effort: str
    reason: str
    measure: str
    description: str
    quick_win: bool
    locked: bool
    owner: str
    custom: bool
    expected: str
    discussion_items: tuple[str, ...]
    #: The periods it may be moved to (its current start among them).
    starts: tuple[int, ...]
    #: Why no earlier / later start is offered ("" when the horizon itself is the bound).
    earliest_note: str = ""
    latest_note: str = ""
    #: How it is going, in words ("Planned" until someone says otherwise on the progress page), and its key.
    status: str = "Planned"
    status_key: str = "planned"
    #: Whether its effort reads "1 person-month" (singular).
    one_month: bool = False


def _row(
    fw: Framework,
    plan: Plan,
    i: Initiative,
    locks: Mapping[str, int],
    owners: Mapping[str, str],
    windows: Mapping[str, Window],
    statuses: Mapping[str, str],
) -> Row:
    duration = max(1, i.end - i.start)
    last = max(1, plan.request.horizon - duration + 1)
    window = windows.get(i.key)
    first, final = (window.earliest, window.latest) if window is not None else (1, last)
    starts = tuple(sorted({*range(max(1, first), min(last, final) + 1), i.start}))
    expected = ""
    if i.expected_from and i.expected_to and i.expected_from != i.expected_to:
        expected = f"{stage_name(fw, i.expected_from)} → {stage_name(fw, i.expected_to)}"
    return Row(
        key=i.key,
        field=field_id(i.key),
        title=i.title,
        competency=competency_name(fw, i.competency),
        competency_key=i.competency,
        start=i.start,
        end=i.end,
        periods=periods(i.start, i.end),
        cost=money(i.cost),
        effort=months(i.effort),
        reason=phrases.reason(i, fw),
        measure=i.measure,
        # The product's own description of a workshop's next step reads in the page's language; a typed one as typed.
        description=_(i.description) if i.description == NEXT_STEP_DESCRIPTION else i.description,
        quick_win=i.quick_win,
        locked=i.locked or i.key in locks,
        owner=i.owner or owners.get(i.key, ""),
        custom=i.custom,
        expected=expected,
        discussion_items=i.discussion_items,
        starts=starts,
        earliest_note=phrases.text(window.why_earliest_phrase, window.why_earliest, fw)
        if window is not None and window.earliest > 1
        else "",
        latest_note=phrases.text(window.why_latest_phrase, window.why_latest, fw) if window is not None else "",
        status=_status_word(statuses.get(i.key, "planned")),
        status_key=statuses.get(i.key, "planned"),
        one_month=abs(i.effort - 1) < 0.05,
    )


def _status_word(status: str) -> str:
    word = STATUS_WORDS.get(status)
    return _(word) if word else status.capitalize()


def status_text(plan: Plan) -> str:
    """The plan's status in the active locale: "Optimal", "Within 1.0% of optimal", "Infeasible"..."""
    return status_word(plan.status, plan.gap)


def status_word(status: str, gap: float | None = None) -> str:
    """A plan's status (``Plan.status``, as a saved version stores it) in the active locale: the one place that names
    it, for the plan page, its list of versions and the report. A status this does not know reads as stored."""
    if status == "optimal":
        return _("Optimal")
    if status == "feasible":
        if gap is None:
            return _("Feasible")
        return _("Within %(gap)s of optimal") % {"gap": format_percent(gap, 1)}
    if status == "infeasible":
        return _("Infeasible")
    if status == "empty":
        return _("Nothing to plan")
    return status


def build(
    fw: Framework,
    plan: Plan,
    *,
    locks: Mapping[str, int],
    owners: Mapping[str, str],
    result: Result | None,
    windows: Mapping[str, Window] | None = None,
    statuses: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Return what the plan page shows of ``plan`` (see the module docstring)."""
    windows = windows or {}
    statuses = statuses or {}
    rows = [
        _row(fw, plan, i, locks, owners, windows, statuses)
        for i in sorted(plan.initiatives, key=lambda i: (i.start, i.competency, i.key))
    ]
    by_period: dict[int, list[Row]] = {}
    for row in rows:
        by_period.setdefault(row.start, []).append(row)
    in_plan = {i.key for i in plan.initiatives}
    titles = {a.key: fw.text(a.title) for a in fw.actions} | {c.key: c.title for c in plan.request.custom}
    orphans = [
        {"key": k, "field": field_id(k), "title": titles.get(k, k), "start": s}
        for k, s in sorted(locks.items())
        if k not in in_plan
    ]
    request = plan.request
    totals = [
        {
            "period": t.period,
            "cost": money(t.cost),
            "effort": months(t.effort),
            "running": t.running,
            "cost_share": None if not request.budget else format_percent(t.cost / request.budget),
            "effort_share": None if not request.capacity else format_percent(t.effort / request.capacity),
        }
        for t in plan.totals
    ]
    now: dict[str, str] = {}
    target: dict[str, str] = {}
    if result is not None:
        target_of = charts.targets(result, fw)
        for comp in result.competencies:
            now[comp.key] = stage_name(fw, comp.stage) if comp.stage is not None else NOT_ASSESSED
            target[comp.key] = stage_name(fw, target_of[comp.key]) if comp.key in target_of else "–"
    expected = [
        {
            "name": fw.text(comp.name),
            "now": now.get(comp.key, ""),
            "target": target.get(comp.key, ""),
            "stages": [
                {"name": stage_name(fw, s), "number": fw.stage_number(s) if s in fw.stage_keys else 0}
                for s in plan.expected_stages.get(comp.key, ())
            ],
        }
        for comp in fw.competencies
        if comp.key in plan.expected_stages
    ]
    plan_charts = charts.plan_charts(plan, fw)
    timelines = [
        (chart, [r for r in rows if r.competency_key == comp.key])
        for comp in fw.competencies
        for chart in plan_charts
        if chart.id == charts.gantt_id(comp.key)
    ]
    return {
        "plan": plan,
        "status": status_text(plan),
        "explanation": phrases.explanation(plan, fw),
        "limited_capacity": request.capacity is not None,
        "rows": rows,
        "by_period": sorted(by_period.items()),
        "orphans": orphans,
        "totals": totals,
        "limits": {
            "budget": money(request.budget),
            "capacity": months(request.capacity),
            "max_concurrent": request.max_concurrent,
        },
        "expected": expected,
        "periods": list(range(1, request.horizon + 1)),
        "timelines": timelines,
        "expected_chart": next((c for c in plan_charts if c.id == "chart-expected-stages"), None),
    }


def catalog(fw: Framework, candidates: list[Candidate]) -> list[dict[str, Any]]:
    """The initiatives a plan may choose, as the catalog table lists them (prerequisites by title)."""
    titles = {c.key: c.title for c in candidates}
    return [
        {
            "key": c.key,
            "title": c.title,
            "competency": competency_name(fw, c.competency),
            "from_stage": stage_name(fw, c.from_stage),
            "effort": months(c.effort),
            "cost": money(c.cost),
            "duration": c.duration,
            "requires": ", ".join(titles.get(k, k) for k in c.requires),
            "custom": c.custom,
        }
        for c in candidates
    ]
