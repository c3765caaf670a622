"""Compare two scored assessments of one framework (or of two versions of it): per competency and overall the change
in score and stage with a verdict from the intervals (``change.py``), the indicators that moved most, and the
discussion items that were resolved or appeared. What the two framework versions do not share is not compared
(``versions.py``) and the comparison says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from cxmaturity.frameworks.model import Framework, Rubric
from cxmaturity.i18n.catalogs import N_
from cxmaturity.i18n.phrase import Items, Phrase, Ref, literal, phrase
from cxmaturity.progress.change import (
    ANGULAR_SLOPE,
    NOT_COMPARABLE,
    Difference,
    Estimate,
    Evidence,
    Verdict,
    difference,
)
from cxmaturity.progress.versions import DEFAULT_MIN_SHARE, FrameworkDiff, diff
from cxmaturity.scoring.result import CompetencyResult, IndicatorResult, Result
from cxmaturity.scoring.uncertainty import SIGMA0

DEFAULT_TOP_INDICATORS = 10


class ComparisonError(ValueError):
    """Two results that cannot be compared at all (different frameworks)."""


@dataclass(frozen=True)
class Snapshot:
    """One scored assessment: its framework, its result, a label for people and the day its answers describe."""

    framework: Framework
    result: Result
    label: str = ""
    day: date | None = None


@dataclass(frozen=True)
class CompareOptions:
    #: Share of a competency's indicators that must be unchanged in substance for it to be compared.
    min_share: float = DEFAULT_MIN_SHARE
    #: How many of the indicators that moved most to list.
    top_indicators: int = DEFAULT_TOP_INDICATORS

    def __post_init__(self) -> None:
        if not 0.0 < self.min_share <= 1.0:
            raise ValueError("min_share must be above 0 and at most 1")
        if self.top_indicators < 0:
            raise ValueError("top_indicators must be 0 or more")


@dataclass(frozen=True)
class Point:
    """A competency's (or the overall) stage and score in one assessment."""

    stage: str
    stage_number: int
    score: float
    interval: tuple[float, float] | None
    #: Respondents' levels behind the score, which the verdict compares (None without any).
    evidence: Evidence | None = None


@dataclass(frozen=True)
class CompetencyChange:
    """The change of one competency (key ``overall`` for the overall result) from before to after."""

    key: str
    before: Point | None
    after: Point | None
    #: ``after - before`` with its interval; None when not comparable.
    difference: Difference | None
    verdict: Verdict
    #: Why the verdict is "not comparable" or has no interval (empty otherwise).
    reason: str = ""
    #: ``reason`` as a phrase, for each reader's language (None when there is none).
    reason_phrase: Phrase | None = None

    @property
    def stage_change(self) -> int | None:
        if self.before is None or self.after is None:
            return None
        return self.after.stage_number - self.before.stage_number


@dataclass(frozen=True)
class IndicatorMove:
    """The change of an indicator's mean answer, on a 0 (lowest option) to 1 (highest option) scale."""

    key: str
    competency: str
    before: float
    after: float
    #: Answers counted (dk and na not counted) in each assessment.
    before_n: int
    after_n: int

    @property
    def change(self) -> float:
        return self.after - self.before


DiscussionStatus = Literal["resolved", "appeared", "persisting"]


@dataclass(frozen=True)
class DiscussionChange:
    indicator: str
    competency: str
    status: DiscussionStatus
    #: The team's agreement on the indicator before and after (None where fewer than two answered).
    before_rwg: float | None
    after_rwg: float | None


@dataclass(frozen=True)
class Side:
    label: str
    framework_version: str
    respondents: int
    day: date | None


@dataclass(frozen=True)
class Comparison:
    framework: str
    before: Side
    after: Side
    #: Confidence level of the intervals of the differences.
    confidence: float
    overall: CompetencyChange
    competencies: tuple[CompetencyChange, ...]
    #: Indicators that moved most, largest change first.
    indicators: tuple[IndicatorMove, ...]
    discussion: tuple[DiscussionChange, ...]
    versions: FrameworkDiff
    #: What could and could not be compared, one sentence each.
    notes: tuple[str, ...] = field(default=())
    #: ``notes`` as phrases, for each reader's language.
    note_phrases: tuple[Phrase, ...] = field(default=())

    def competency(self, key: str) -> CompetencyChange:
        for change in self.competencies:
            if change.key == key:
                return change
        raise KeyError(key)


def _evidence(mean: float | None, sd: float | None, n: int, answers: int) -> Evidence | None:
    """Respondents' levels on the angular scale, each the mean of about ``answers`` answers (which sets the prior's
    spread: SIGMA0 per answer, times the transformation's slope of 2 in the middle of the scale)."""
    return None if mean is None or n < 1 else Evidence(mean, sd, n, ANGULAR_SLOPE * SIGMA0 / math.sqrt(max(answers, 1)))


def _point(fw: Framework, comp: CompetencyResult) -> Point | None:
    """Return the competency's point, or None when it is not assessed."""
    if comp.stage is None or comp.stage_number is None or comp.score is None:
        return None
    evidence = _evidence(
        comp.respondent_angle_mean, comp.respondent_angle_sd, comp.respondents, len(fw.competency(comp.key).indicators)
    )
    return Point(comp.stage, comp.stage_number, comp.score, comp.interval, evidence)


def _overall_point(fw: Framework, result: Result) -> Point | None:
    o = result.overall
    if o.stage is None or o.stage_number is None or o.score is None:
        return None
    answers = sum(len(c.indicators) for c in fw.competencies if c.key not in result.not_assessed)
    evidence = _evidence(o.respondent_angle_mean, o.respondent_angle_sd, result.respondents, answers)
    return Point(o.stage, o.stage_number, o.score, o.interval, evidence)


def _estimate(point: Point, result: Result) -> Estimate:
    return Estimate(point.score, point.interval, result.options.confidence, point.evidence)


def _find(result: Result, key: str) -> CompetencyResult | None:
    return next((c for c in result.competencies if c.key == key), None)


def _change(
    key: str, before: Point | None, after: Point | None, b: Result, a: Result, reason: Phrase | None
) -> CompetencyChange:
    if reason or before is None or after is None:
        why = reason or phrase(N_("not in both assessments"))
        return CompetencyChange(key, before, after, None, NOT_COMPARABLE, str(why), why)
    found = difference(_estimate(before, b), _estimate(after, a))
    if found.interval is not None:
        return CompetencyChange(key, before, after, found, found.verdict)
    note = phrase(N_("no interval (the results were scored without uncertainty)"))
    return CompetencyChange(key, before, after, found, found.verdict, str(note), note)


def _no_answers(empty: list[str]) -> Phrase:
    return phrase(N_("no answers in %(assessments)s"), assessments=Items(tuple(empty)))


def _answered(result: Result, key: str) -> int:
    comp = _find(result, key)
    return comp.respondents if comp is not None else 0


def _normalized(fw: Framework, ind: IndicatorResult) -> float | None:
    """An indicator's mean answer on 0..1: a statement's mean option value is already; a rubric's mean stage is not."""
    if ind.mean is None or math.isnan(ind.mean):
        return None
    if isinstance(fw.indicator(ind.key), Rubric):
        return (ind.mean - 1.0) / (len(fw.stages) - 1)
    return ind.mean


def compare(before: Snapshot, after: Snapshot, options: CompareOptions | None = None) -> Comparison:
    """Compare two scored assessments of one framework; raise ComparisonError for different frameworks."""
    options = options or CompareOptions()
    b, a = before.result, after.result
    if before.framework.id != after.framework.id or b.framework != a.framework:
        raise ComparisonError(
            f"cannot compare assessments of different frameworks: {before.label or 'before'} uses "
            f"{before.framework.id}, {after.label or 'after'} uses {after.framework.id}"
        )
    versions = diff(before.framework, after.framework, options.min_share)
    empty = [s.label or name for s, name in ((before, "before"), (after, "after")) if s.result.respondents == 0]

    changes = []
    for scope in versions.competencies:
        old, new = _find(b, scope.key), _find(a, scope.key)
        reason = scope.reason_phrase or (literal(scope.reason) if scope.reason else None)
        if not reason and empty:
            reason = _no_answers(empty)
        elif not reason and (_answered(b, scope.key) == 0 or _answered(a, scope.key) == 0):
            reason = phrase(N_("nobody answered it in one of the two assessments"))
        old_point = _point(before.framework, old) if old else None
        new_point = _point(after.framework, new) if new else None
        if not reason and old and new and (old_point is None or new_point is None):
            reason = phrase(N_("not assessed (no usable answers) in one of the two assessments"))
        changes.append(_change(scope.key, old_point, new_point, b, a, reason))
    overall_reason = versions.overall_reason_phrase or (
        literal(versions.overall_reason) if versions.overall_reason else (_no_answers(empty) if empty else None)
    )
    overall = _change(
        "overall", _overall_point(before.framework, b), _overall_point(after.framework, a), b, a, overall_reason
    )

    moves = _moves(before, after, versions)[: options.top_indicators]
    discussion = _discussion(before, after, versions)
    notes = _notes(versions, changes, overall)
    return Comparison(
        framework=before.framework.id,
        before=Side(before.label, before.framework.version, b.respondents, before.day),
        after=Side(after.label, after.framework.version, a.respondents, after.day),
        confidence=max(b.options.confidence, a.options.confidence),
        overall=overall,
        competencies=tuple(changes),
        indicators=tuple(moves),
        discussion=tuple(discussion),
        versions=versions,
        notes=tuple(str(n) for n in notes),
        note_phrases=tuple(notes),
    )


def _moves(before: Snapshot, after: Snapshot, versions: FrameworkDiff) -> list[IndicatorMove]:
    old = {i.key: i for i in before.result.indicators}
    found = []
    for ind in after.result.indicators:
        change = versions.indicator(ind.key)
        if change is None or not change.comparable or ind.key not in old:
            continue
        was, now = _normalized(before.framework, old[ind.key]), _normalized(after.framework, ind)
        if was is None or now is None:
            continue
        found.append(IndicatorMove(ind.key, ind.competency, was, now, old[ind.key].answered, ind.answered))
    found.sort(key=lambda m: (-abs(m.change), m.key))
    return found


def _discussion(before: Snapshot, after: Snapshot, versions: FrameworkDiff) -> list[DiscussionChange]:
    """Discussion items of either assessment on indicators both share unchanged in substance.

    An item counts as resolved only where at least two people answered the indicator again: an item nobody answered
    is not an agreement.
    """
    was = {d.indicator: d for d in before.result.discussion_items}
    now = {d.indicator: d for d in after.result.discussion_items}
    after_indicators = {i.key: i for i in after.result.indicators}
    before_indicators = {i.key: i for i in before.result.indicators}
    found = []
    for key in [*now, *(k for k in was if k not in now)]:
        change = versions.indicator(key)
        if change is None or not change.comparable:
            continue
        old_item, new_item = was.get(key), now.get(key)
        competency = (new_item or old_item).competency  # type: ignore[union-attr]
        old_rwg = old_item.rwg if old_item else _rwg(before_indicators.get(key))
        new_rwg = new_item.rwg if new_item else _rwg(after_indicators.get(key))
        if old_item and new_item:
            found.append(DiscussionChange(key, competency, "persisting", old_rwg, new_rwg))
        elif new_item:
            if before_indicators.get(key) is not None and before_indicators[key].answered >= 2:
                found.append(DiscussionChange(key, competency, "appeared", old_rwg, new_rwg))
        elif after_indicators.get(key) is not None and after_indicators[key].answered >= 2:
            found.append(DiscussionChange(key, competency, "resolved", old_rwg, new_rwg))
    order = {"resolved": 0, "appeared": 1, "persisting": 2}
    found.sort(key=lambda d: (order[d.status], d.indicator))
    return found


def _rwg(ind: IndicatorResult | None) -> float | None:
    if ind is None or ind.agreement.rwg is None or math.isnan(ind.agreement.rwg):
        return None
    return ind.agreement.rwg


def _notes(versions: FrameworkDiff, changes: list[CompetencyChange], overall: CompetencyChange) -> list[Phrase]:
    notes: list[Phrase] = []
    if versions.before_version != versions.after_version:
        notes.append(
            phrase(
                N_("The framework changed from version %(before)s to %(after)s."),
                before=versions.before_version,
                after=versions.after_version,
            )
        )
    if versions.rules_changed:
        rules = versions.rules_phrases or tuple(literal(r) for r in versions.rules_changed)
        notes.append(phrase(N_("Scoring rules changed: %(rules)s."), rules=Items(rules, "semicolon")))
    counts = [
        (len(versions.changed), N_("%(num)s changed")),
        (len(versions.added), N_("%(num)s added")),
        (len(versions.removed), N_("%(num)s removed")),
    ]
    said = tuple(phrase(word, num=n) for n, word in counts if n)
    if said:
        notes.append(phrase(N_("Indicators matched by key: %(counts)s."), counts=Items(said, "comma")))
    compared = [c for c in changes if c.verdict != NOT_COMPARABLE]
    notes.append(phrase(N_("Compared %(compared)s of %(num)s competencies."), compared=len(compared), num=len(changes)))
    # The English note names the competency by its key, as it always has (the CLI's output); a reader's language
    # names it as the framework does.
    notes.extend(
        phrase(
            N_("%(competency)s is not comparable: %(reason)s."),
            competency=Ref("competency", c.key, c.key),
            reason=c.reason_phrase or literal(c.reason),
        )
        for c in changes
        if c.verdict == NOT_COMPARABLE
    )
    if overall.verdict == NOT_COMPARABLE:
        notes.append(
            phrase(
                N_("The overall result is not comparable: %(reason)s."),
                reason=overall.reason_phrase or literal(overall.reason),
            )
        )
    return notes
