"""Targets and plan against reality: which targets the later assessment reached, how fast each competency moves, when
each missed target would be reached at that pace (a forecast, with its range), and how the plan's initiatives fared.

Velocity is the score change per year between the two assessments' days; its range is the difference's interval
(``change.py``) divided by the same span. A forecast extends that straight line: ``remaining / velocity`` years after
the later assessment, between ``remaining / fastest`` and ``remaining / slowest``. It is only made when the velocity is
positive ("not at this pace" otherwise), and where the slowest pace in the range is not positive the latest date is
left open: at that end of the range the target may never be reached.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from cxmaturity.i18n.catalogs import N_
from cxmaturity.i18n.phrase import Phrase, Ref, phrase
from cxmaturity.planning.model import Plan
from cxmaturity.progress.change import NOT_COMPARABLE, Verdict
from cxmaturity.progress.compare import Comparison, Point, Snapshot

InitiativeStatus = Literal["planned", "in progress", "done", "dropped"]
INITIATIVE_STATUSES: tuple[InitiativeStatus, ...] = ("planned", "in progress", "done", "dropped")
_KNOWN: dict[str, InitiativeStatus] = {s: s for s in INITIATIVE_STATUSES}
TargetStatus = Literal["reached", "missed", "not comparable"]

DAYS_PER_YEAR = 365.25
#: Forecasts further out than this are not dated: a straight line says nothing about decades.
MAX_FORECAST_YEARS = 25.0
#: Months per plan period (plans count quarters).
MONTHS_PER_PERIOD = 3


@dataclass(frozen=True)
class Velocity:
    """Score points per year, with the range from the difference's interval (None without one)."""

    per_year: float
    interval: tuple[float, float] | None
    years: float


@dataclass(frozen=True)
class Forecast:
    """When a target would be reached if the competency kept its pace. A forecast, not a promise."""

    #: False: the velocity is not positive, so the target is "not at this pace".
    reachable: bool
    #: Years after the later assessment (None when not reachable or beyond MAX_FORECAST_YEARS).
    years: float | None
    day: date | None
    #: The range: earliest at the fastest pace in the velocity's range, latest at the slowest (None: open-ended).
    earliest: date | None
    latest: date | None
    text: str


@dataclass(frozen=True)
class TargetOutcome:
    competency: str
    target: str
    target_number: int
    #: True for a target the team set; False for the default (the next stage from the earlier assessment).
    chosen: bool
    before: Point | None
    after: Point | None
    status: TargetStatus
    #: Share of the later assessment's posterior draws at or above the target stage (None without draws).
    probability: float | None
    verdict: Verdict
    velocity: Velocity | None
    forecast: Forecast | None


@dataclass(frozen=True)
class InitiativeProgress:
    key: str
    title: str
    competency: str
    start: int
    end: int
    status: InitiativeStatus
    #: The day its last planned period ends (None without the plan's start day).
    due: date | None
    #: Due by the later assessment, yet neither done nor dropped.
    overdue: bool
    #: The verdict on its competency's change.
    verdict: Verdict


@dataclass(frozen=True)
class Review:
    before_day: date | None
    after_day: date | None
    #: Years between the two days (None without both, or when the later is not after the earlier).
    years: float | None
    targets: tuple[TargetOutcome, ...]
    initiatives: tuple[InitiativeProgress, ...]
    #: How many initiatives have each status (every status listed, zeros included).
    status_counts: dict[str, int]
    notes: tuple[str, ...]
    #: ``notes`` as phrases, for each reader's language.
    note_phrases: tuple[Phrase, ...] = ()

    @property
    def reached(self) -> tuple[TargetOutcome, ...]:
        return tuple(t for t in self.targets if t.status == "reached")

    @property
    def missed(self) -> tuple[TargetOutcome, ...]:
        return tuple(t for t in self.targets if t.status == "missed")


def _add_years(day: date, years: float) -> date:
    return day + timedelta(days=round(years * DAYS_PER_YEAR))


def _add_months(day: date, months: int) -> date:
    """Return the same day ``months`` later (the month's last day where the month is shorter)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def forecast(remaining: float, velocity: Velocity, after_day: date) -> Forecast:
    """Return when ``remaining`` score points are covered at ``velocity`` (a forecast)."""
    if velocity.per_year <= 0:
        return Forecast(False, None, None, None, None, "not at this pace")
    years = remaining / velocity.per_year
    fastest = velocity.interval[1] if velocity.interval else velocity.per_year
    slowest = velocity.interval[0] if velocity.interval else velocity.per_year
    earliest_years = remaining / fastest if fastest > 0 else None
    latest_years = remaining / slowest if slowest > 0 else None
    if years > MAX_FORECAST_YEARS:
        return Forecast(True, None, None, None, None, f"more than {MAX_FORECAST_YEARS:g} years at this pace")
    day = _add_years(after_day, years)
    earliest = _add_years(after_day, earliest_years) if earliest_years is not None else None
    latest = (
        _add_years(after_day, latest_years) if latest_years is not None and latest_years <= MAX_FORECAST_YEARS else None
    )
    text = f"around {day:%B %Y} (forecast"
    if earliest is not None:
        text += f"; between {earliest:%B %Y} and " + (f"{latest:%B %Y}" if latest else "an open end")
    text += ")"
    return Forecast(True, years, day, earliest, latest, text)


def _probability_at_least(probabilities: Mapping[str, float], stage_keys: tuple[str, ...], number: int) -> float | None:
    if not probabilities:
        return None
    return float(sum(probabilities.get(key, 0.0) for key in stage_keys[number - 1 :]))


def review(
    comparison: Comparison,
    before: Snapshot,
    after: Snapshot,
    plan: Plan | None = None,
    statuses: Mapping[str, str] | None = None,
    plan_start: date | None = None,
) -> Review:
    """Review the earlier assessment's targets and plan against the later result.

    ``statuses`` maps initiative keys of ``plan`` to a status; initiatives without one are "planned". The targets are
    the earlier result's own (``result.options.targets``); a competency without one aims at its next stage.
    """
    fw_before, fw_after = before.framework, after.framework
    notes: list[Phrase] = []
    years: float | None = None
    if before.day is not None and after.day is not None:
        span = (after.day - before.day).days
        if span >= 1:
            years = span / DAYS_PER_YEAR
        else:
            notes.append(phrase(N_("The later assessment is not later than the earlier one: no velocity or forecast.")))
    else:
        notes.append(phrase(N_("Without both assessments' days there is no velocity or forecast.")))

    top = len(fw_before.stages)
    chosen = before.result.options.targets
    outcomes = []
    for comp in before.result.competencies:
        if comp.key not in chosen and comp.stage_number is None:
            # Not assessed earlier: no stage to take the next one from, so no default target to review.
            notes.append(
                phrase(
                    N_("%(competency)s was not assessed in the earlier assessment: no default target."),
                    competency=Ref("competency", comp.key, comp.key),
                )
            )
            continue
        target = chosen.get(comp.key) or fw_before.stage_keys[min(comp.stage_number or 1, top - 1)]
        number = fw_before.stage_number(target)
        change = next((c for c in comparison.competencies if c.key == comp.key), None)
        after_comp = next((c for c in after.result.competencies if c.key == comp.key), None)
        if change is None or change.verdict == NOT_COMPARABLE or after_comp is None or change.after is None:
            outcomes.append(
                TargetOutcome(
                    comp.key,
                    target,
                    number,
                    comp.key in chosen,
                    change.before if change else None,
                    change.after if change else None,
                    "not comparable",
                    None,
                    NOT_COMPARABLE,
                    None,
                    None,
                )
            )
            continue
        reached = change.after.stage_number >= number
        velocity = None
        if years is not None and change.difference is not None:
            d = change.difference
            velocity = Velocity(
                d.change / years, (d.interval[0] / years, d.interval[1] / years) if d.interval else None, years
            )
        prediction = None
        if not reached and velocity is not None and after.day is not None:
            prediction = forecast(number - change.after.score, velocity, after.day)
        outcomes.append(
            TargetOutcome(
                competency=comp.key,
                target=target,
                target_number=number,
                chosen=comp.key in chosen,
                before=change.before,
                after=change.after,
                status="reached" if reached else "missed",
                probability=_probability_at_least(after_comp.stage_probabilities, fw_after.stage_keys, number),
                verdict=change.verdict,
                velocity=velocity,
                forecast=prediction,
            )
        )

    initiatives = _initiatives(comparison, plan, statuses or {}, plan_start, after.day)
    counts: dict[str, int] = {s: sum(1 for i in initiatives if i.status == s) for s in INITIATIVE_STATUSES}
    if plan is None:
        notes.append(phrase(N_("The earlier assessment has no saved plan.")))
    return Review(
        before.day,
        after.day,
        years,
        tuple(outcomes),
        tuple(initiatives),
        counts,
        tuple(str(n) for n in notes),
        tuple(notes),
    )


def _initiatives(
    comparison: Comparison, plan: Plan | None, statuses: Mapping[str, str], start: date | None, after_day: date | None
) -> list[InitiativeProgress]:
    if plan is None:
        return []
    verdicts = {c.key: c.verdict for c in comparison.competencies}
    found = []
    for i in sorted(plan.initiatives, key=lambda i: (i.start, i.competency, i.key)):
        status = _KNOWN.get(statuses.get(i.key, ""), "planned")
        due = _add_months(start, (i.end - 1) * MONTHS_PER_PERIOD) - timedelta(days=1) if start else None
        overdue = bool(due and after_day and due <= after_day and status not in ("done", "dropped"))
        found.append(
            InitiativeProgress(
                i.key,
                i.title,
                i.competency,
                i.start,
                i.end,
                status,
                due,
                overdue,
                verdicts.get(i.competency, NOT_COMPARABLE),
            )
        )
    return found
