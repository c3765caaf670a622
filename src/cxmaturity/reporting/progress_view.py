"""Progress as typed view models: what the series page, the compare page (and the reports' progress section) show.

``build`` turns a comparison of two assessments (``services.progress.compare``) into plain, immutable values with every
name and text resolved in the framework's language; ``series`` does the same for the assessments of a series with
their trend charts. Templates render only from these models, so a web page and a report show the same numbers.

Numbers stay numbers (formatting is the template's job); intervals are ``(lower, upper)`` or None; a forecast is
always labelled as one (``ForecastView.text`` says "forecast").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Protocol

from cxmaturity.frameworks.model import Framework
from cxmaturity.i18n import N_, format_date, format_decimal, use_locale, words
from cxmaturity.i18n import gettext as _
from cxmaturity.i18n.phrase import Phrase, render
from cxmaturity.progress.change import DECISIVE
from cxmaturity.progress.compare import Comparison, CompetencyChange, Point, Snapshot
from cxmaturity.progress.targets import MAX_FORECAST_YEARS, Review
from cxmaturity.progress.versions import CHANGE_WORDS
from cxmaturity.reporting import phrases
from cxmaturity.reporting.charts import Chart
from cxmaturity.reporting.charts import targets as targets_of
from cxmaturity.reporting.progress_charts import OVERALL, change, trend_charts
from cxmaturity.scoring.result import Result


class AssessmentSource(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def title(self) -> str: ...
    @property
    def synthetic(self) -> bool: ...
    @property
    def status(self) -> str: ...


class ScoredSource(Protocol):
    """``services.results.AssessmentResults`` as far as the views need it."""

    @property
    def assessment(self) -> AssessmentSource: ...
    @property
    def framework(self) -> Framework: ...
    @property
    def result(self) -> Result: ...


class StatusSource(Protocol):
    @property
    def changed_by(self) -> str: ...
    @property
    def changed_at(self) -> datetime: ...


class ProgressSource(Protocol):
    """``services.progress.Progress`` as far as the view needs it."""

    @property
    def before(self) -> ScoredSource: ...
    @property
    def after(self) -> ScoredSource: ...
    @property
    def comparison(self) -> Comparison: ...
    @property
    def review(self) -> Review: ...
    @property
    def statuses(self) -> Mapping[str, StatusSource]: ...


class SeriesSource(Protocol):
    """``services.progress.ScoredEntry``: an assessment of the series, its day and its result."""

    @property
    def day(self) -> date: ...
    @property
    def scored(self) -> ScoredSource: ...


@dataclass(frozen=True)
class StageRef:
    key: str
    name: str
    number: int


@dataclass(frozen=True)
class AssessmentRef:
    id: int
    title: str
    day: date | None
    framework_version: str
    respondents: int
    synthetic: bool


@dataclass(frozen=True)
class PointView:
    stage: StageRef
    score: float
    interval: tuple[float, float] | None


@dataclass(frozen=True)
class ChangeView:
    key: str
    name: str
    before: PointView | None
    after: PointView | None
    #: after - before and its interval (None when not comparable, or without intervals).
    change: float | None
    interval: tuple[float, float] | None
    stage_change: int | None
    #: "improved", "declined", "no clear change" or "not comparable".
    verdict: str
    reason: str
    #: The probability that the team's level rose, from every answer of both (None when not comparable).
    probability: float | None = None
    #: ``reason`` as a phrase (``localized`` renders it in the reader's language).
    reason_phrase: Phrase | None = None


@dataclass(frozen=True)
class IndicatorMoveView:
    key: str
    text: str
    competency: str
    before: float
    after: float
    change: float
    before_n: int
    after_n: int


@dataclass(frozen=True)
class DiscussionChangeView:
    indicator: str
    text: str
    competency: str
    #: "resolved", "appeared" or "persisting".
    status: str
    before_rwg: float | None
    after_rwg: float | None


@dataclass(frozen=True)
class IndicatorChangeView:
    key: str
    text: str
    competency: str
    #: What changed, in words ("text reworded", "answer scale changed", …); empty for added or removed.
    changes: tuple[str, ...]


@dataclass(frozen=True)
class VersionsView:
    before_version: str
    after_version: str
    same_version: bool
    stages_changed: bool
    rules_changed: tuple[str, ...]
    changed: tuple[IndicatorChangeView, ...]
    added: tuple[IndicatorChangeView, ...]
    removed: tuple[IndicatorChangeView, ...]


@dataclass(frozen=True)
class VelocityView:
    per_year: float
    interval: tuple[float, float] | None


@dataclass(frozen=True)
class ForecastView:
    """A forecast at the competency's pace so far (never a promise)."""

    reachable: bool
    day: date | None
    earliest: date | None
    latest: date | None
    text: str


@dataclass(frozen=True)
class TargetView:
    competency: str
    target: StageRef
    chosen: bool
    before: PointView | None
    after: PointView | None
    #: "reached", "missed" or "not comparable".
    status: str
    probability: float | None
    verdict: str
    velocity: VelocityView | None
    forecast: ForecastView | None
    competency_key: str = ""


@dataclass(frozen=True)
class InitiativeView:
    key: str
    title: str
    competency: str
    periods: str
    #: "planned", "in progress", "done" or "dropped".
    status: str
    due: date | None
    overdue: bool
    verdict: str
    #: Who set the status and when (None while it is the default "planned").
    changed_by: str | None
    changed_at: datetime | None


@dataclass(frozen=True)
class ProgressView:
    framework_name: str
    before: AssessmentRef
    after: AssessmentRef
    synthetic: bool
    confidence: float
    #: The P(rise) a verdict of change needs (``progress.change.DECISIVE``); 1 - decisive for a decline.
    decisive: float
    overall: ChangeView
    competencies: tuple[ChangeView, ...]
    indicators: tuple[IndicatorMoveView, ...]
    discussion: tuple[DiscussionChangeView, ...]
    versions: VersionsView
    notes: tuple[str, ...]
    years: float | None
    targets: tuple[TargetView, ...]
    initiatives: tuple[InitiativeView, ...]
    initiative_counts: dict[str, int]
    review_notes: tuple[str, ...]
    charts: tuple[Chart, ...]
    #: ``notes``, ``review_notes`` and ``versions.rules_changed`` as phrases (``localized`` renders them).
    note_phrases: tuple[Phrase, ...] = ()
    #: The comparison the chart is drawn from (``localized`` draws it again in the reader's language).
    comparison: Comparison | None = None
    review_note_phrases: tuple[Phrase, ...] = ()
    rules_phrases: tuple[Phrase, ...] = ()


def _stage(fw: Framework, key: str) -> StageRef:
    if key in fw.stage_keys:
        number = fw.stage_number(key)
        return StageRef(key, fw.text(fw.stages[number - 1].name), number)
    return StageRef(key, key, 0)


def _point(fw: Framework, point: Point | None) -> PointView | None:
    if point is None:
        return None
    return PointView(_stage(fw, point.stage), point.score, point.interval)


def _competency_name(before: Framework, after: Framework, key: str) -> str:
    for fw in (after, before):
        try:
            return fw.text(fw.competency(key).name)
        except KeyError:
            continue
    return "Overall" if key == "overall" else key


def _indicator_text(before: Framework, after: Framework, key: str) -> str:
    for fw in (after, before):
        try:
            return fw.text(fw.indicator(key).text)
        except KeyError:
            continue
    return key


def _change(before: Framework, after: Framework, change: CompetencyChange) -> ChangeView:
    d = change.difference
    return ChangeView(
        key=change.key,
        name=_competency_name(before, after, change.key),
        before=_point(before, change.before),
        after=_point(after, change.after),
        change=None if d is None else d.change,
        interval=None if d is None else d.interval,
        stage_change=change.stage_change,
        verdict=change.verdict,
        reason=change.reason,
        probability=None if d is None else d.probability,
        reason_phrase=change.reason_phrase,
    )


def _ref(scored: ScoredSource, day: date | None) -> AssessmentRef:
    a = scored.assessment
    return AssessmentRef(a.id, a.title, day, scored.framework.version, scored.result.respondents, a.synthetic)


def build(progress: ProgressSource) -> ProgressView:
    """The compare page's (and a report's progress section's) view of two assessments of a series."""
    old, new = progress.before.framework, progress.after.framework
    c, r = progress.comparison, progress.review
    v = c.versions

    def named(key: str) -> str:
        return _competency_name(old, new, key)

    def indicator_change(key: str, competency: str | None, changes: tuple[str, ...]) -> IndicatorChangeView:
        return IndicatorChangeView(
            key,
            _indicator_text(old, new, key),
            named(competency or ""),
            tuple(CHANGE_WORDS.get(x, x) for x in changes),
        )

    targets = tuple(
        TargetView(
            competency=named(t.competency),
            competency_key=t.competency,
            target=_stage(old, t.target),
            chosen=t.chosen,
            before=_point(old, t.before),
            after=_point(new, t.after),
            status=t.status,
            probability=t.probability,
            verdict=t.verdict,
            velocity=None if t.velocity is None else VelocityView(t.velocity.per_year, t.velocity.interval),
            forecast=None
            if t.forecast is None
            else ForecastView(
                t.forecast.reachable, t.forecast.day, t.forecast.earliest, t.forecast.latest, t.forecast.text
            ),
        )
        for t in r.targets
    )
    initiatives = tuple(
        InitiativeView(
            key=i.key,
            title=i.title,
            competency=named(i.competency),
            periods=str(i.start) if i.end - i.start <= 1 else f"{i.start}–{i.end - 1}",
            status=i.status,
            due=i.due,
            overdue=i.overdue,
            verdict=i.verdict,
            changed_by=progress.statuses[i.key].changed_by if i.key in progress.statuses else None,
            changed_at=progress.statuses[i.key].changed_at if i.key in progress.statuses else None,
        )
        for i in r.initiatives
    )
    return ProgressView(
        framework_name=new.text(new.name),
        before=_ref(progress.before, c.before.day),
        after=_ref(progress.after, c.after.day),
        synthetic=progress.before.assessment.synthetic or progress.after.assessment.synthetic,
        confidence=c.confidence,
        decisive=DECISIVE,
        overall=_change(old, new, c.overall),
        competencies=tuple(_change(old, new, x) for x in c.competencies),
        indicators=tuple(
            IndicatorMoveView(
                m.key,
                _indicator_text(old, new, m.key),
                named(m.competency),
                m.before,
                m.after,
                m.change,
                m.before_n,
                m.after_n,
            )
            for m in c.indicators
        ),
        discussion=tuple(
            DiscussionChangeView(
                d.indicator,
                _indicator_text(old, new, d.indicator),
                named(d.competency),
                d.status,
                d.before_rwg,
                d.after_rwg,
            )
            for d in c.discussion
        ),
        versions=VersionsView(
            before_version=v.before_version,
            after_version=v.after_version,
            same_version=v.before_version == v.after_version,
            stages_changed=v.stages_changed,
            rules_changed=v.rules_changed,
            changed=tuple(indicator_change(i.key, i.competency_after, i.changes) for i in v.changed),
            added=tuple(indicator_change(i.key, i.competency_after, ()) for i in v.added),
            removed=tuple(indicator_change(i.key, i.competency_before, ()) for i in v.removed),
        ),
        notes=c.notes,
        years=r.years,
        targets=targets,
        initiatives=initiatives,
        initiative_counts=dict(r.status_counts),
        review_notes=r.notes,
        charts=(Chart("chart-change", _("Earlier and later score"), _(_CHANGE_ABOUT), change(c, new)),),
        note_phrases=c.note_phrases,
        review_note_phrases=r.note_phrases,
        rules_phrases=v.rules_phrases,
        comparison=c,
    )


#: The verdicts in words, for each reader's language (the JSON keeps the English words).
VERDICT_WORDS = {
    "improved": N_("improved"),
    "declined": N_("declined"),
    "no clear change": N_("no clear change"),
    "not comparable": N_("not comparable"),
}


#: How an initiative is going, in lower-case words for sentences and lists ("3 planned, 1 done"): the one table.
STATUS_WORDS = words.INITIATIVE_STATUSES

#: Whether a target was reached, in words (``_(status)`` in the compare page).
TARGET_WORDS = {"reached": N_("reached"), "missed": N_("missed")}


def verdict_word(verdict: str) -> str:
    word = VERDICT_WORDS.get(verdict)
    return _(word) if word else verdict


def localized(view: ProgressView, fw: Framework) -> ProgressView:
    """Return ``view`` with its sentences (reasons, notes, rule changes) in the active locale and the competencies
    named in ``fw``'s language (``Framework.in_language``): for a report or a page read in another language than the
    one the view was built in. Sentences without a phrase stay as written."""
    name = phrases.namer(fw)

    def renamed(key: str, shown: str) -> str:
        if key == "overall":
            return _("Overall")
        try:
            return fw.text(fw.competency(key).name)
        except KeyError:
            return shown

    def changed(c: ChangeView) -> ChangeView:
        reason = render(c.reason_phrase, name) if c.reason_phrase is not None else c.reason
        return replace(c, name=renamed(c.key, c.name), reason=reason)

    def texts(found: tuple[Phrase, ...], written: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(render(p, name) for p in found) if len(found) == len(written) else written

    versions = replace(
        view.versions,
        rules_changed=texts(view.rules_phrases, view.versions.rules_changed),
        changed=tuple(
            replace(i, changes=tuple(_(CHANGE_WORD_IDS.get(x, x)) for x in i.changes)) for i in view.versions.changed
        ),
    )
    targets = tuple(
        replace(t, competency=renamed(t.competency_key, t.competency), verdict=verdict_word(t.verdict))
        if t.forecast is None
        else replace(
            t,
            competency=renamed(t.competency_key, t.competency),
            verdict=verdict_word(t.verdict),
            forecast=replace(t.forecast, text=forecast_text(t.forecast)),
        )
        for t in view.targets
    )
    actions = {a.key: a for a in fw.actions}

    def initiative(i: InitiativeView) -> InitiativeView:
        # The earlier plan's initiatives carry the catalog's words in the language the plan was made in: a catalog
        # initiative is named (and its competency too) in ``fw``'s language; one the team renamed keeps its words.
        action = actions.get(i.key)
        if action is None:
            return i
        wordings = {action.title} if isinstance(action.title, str) else set(action.title.values())
        title = fw.text(action.title) if i.title in wordings else i.title
        return replace(i, title=title, competency=renamed(action.competency, i.competency))

    charts = view.charts
    if view.comparison is not None:
        charts = (Chart("chart-change", _("Earlier and later score"), _(_CHANGE_ABOUT), change(view.comparison, fw)),)
    return replace(
        view,
        charts=charts,
        targets=targets,
        initiatives=tuple(initiative(i) for i in view.initiatives),
        overall=changed(view.overall),
        competencies=tuple(changed(c) for c in view.competencies),
        notes=texts(view.note_phrases, view.notes),
        review_notes=texts(view.review_note_phrases, view.review_notes),
        versions=versions,
    )


def forecast_text(f: ForecastView) -> str:
    """The forecast in the active locale's words and month names; always says it is a forecast."""
    if not f.reachable:
        return _("not at this pace")
    if f.day is None:
        return _("more than %(years)s years at this pace") % {"years": format_decimal(MAX_FORECAST_YEARS, 0)}
    day = format_date(f.day, "MMMM y")
    if f.earliest is None:
        return _("around %(day)s (forecast)") % {"day": day}
    earliest = format_date(f.earliest, "MMMM y")
    if f.latest is None:
        return _("around %(day)s (forecast; between %(earliest)s and an open end)") % {"day": day, "earliest": earliest}
    return _("around %(day)s (forecast; between %(earliest)s and %(latest)s)") % {
        "day": day,
        "earliest": earliest,
        "latest": format_date(f.latest, "MMMM y"),
    }


#: The English words of ``CHANGE_WORDS`` back to their message ids (the same text: ids are the English words).
CHANGE_WORD_IDS = {word: word for word in CHANGE_WORDS.values()}


_CHANGE_ABOUT = N_(
    "Each line joins a competency's earlier and later score; its color is the verdict from every answer of both."
)


@dataclass(frozen=True)
class SeriesRow:
    id: int
    title: str
    day: date
    status: str
    framework_version: str
    respondents: int
    overall: PointView | None
    synthetic: bool
    current: bool


@dataclass(frozen=True)
class TrendPoint:
    title: str
    day: date
    stage: StageRef
    score: float
    interval: tuple[float, float] | None


@dataclass(frozen=True)
class TrendView:
    """One trend chart and the same numbers as rows (the table shown without JavaScript)."""

    chart: Chart
    name: str
    points: tuple[TrendPoint, ...]
    #: The latest assessment's target stage for the competency (None for the overall, or when it has none).
    target: StageRef | None


@dataclass(frozen=True)
class SeriesView:
    framework_name: str
    rows: tuple[SeriesRow, ...]
    #: Overall first, then one per competency of the latest assessment's framework.
    trends: tuple[TrendView, ...]
    synthetic: bool


def _trend_points(entries: Sequence[SeriesSource], key: str, language: str | None) -> tuple[TrendPoint, ...]:
    points = []
    for e in entries:
        result, fw = e.scored.result, e.scored.framework.in_language(language)
        if not result.scorable:
            continue
        found = result.overall if key == OVERALL else next((c for c in result.competencies if c.key == key), None)
        # Not assessed there (no usable answer): no point, rather than one at the first stage.
        if found is not None and found.stage is not None and found.score is not None:
            points.append(
                TrendPoint(e.scored.assessment.title, e.day, _stage(fw, found.stage), found.score, found.interval)
            )
    return tuple(points)


def _overall_point(result: Result, fw: Framework) -> PointView | None:
    """The overall stage and score of an assessment; None when it has no usable answer (shown as not assessed)."""
    o = result.overall
    if o.stage is None or o.score is None:
        return None
    return PointView(_stage(fw, o.stage), o.score, o.interval)


def series(entries: Sequence[SeriesSource], current_id: int, language: str | None = None) -> SeriesView:
    """The series page's view: every assessment of the series, earliest first, and the trend charts.

    ``language`` is the page's: the charts' titles, tooltips, descriptions, days and numbers are written in it (the
    charts are made here, so the locale must be active now, not only when the page is rendered), and the framework's
    names too where a framework offers it."""
    with use_locale(language):
        return _series(entries, current_id, language)


def _series(entries: Sequence[SeriesSource], current_id: int, language: str | None) -> SeriesView:
    frameworks = [e.scored.framework.in_language(language) for e in entries]
    snaps = [
        Snapshot(fw, e.scored.result, e.scored.assessment.title, e.day)
        for e, fw in zip(entries, frameworks, strict=True)
    ]
    rows = tuple(
        SeriesRow(
            id=e.scored.assessment.id,
            title=e.scored.assessment.title,
            day=e.day,
            status=e.scored.assessment.status,
            framework_version=e.scored.framework.version,
            respondents=e.scored.result.respondents,
            overall=_overall_point(e.scored.result, fw),
            synthetic=e.scored.assessment.synthetic,
            current=e.scored.assessment.id == current_id,
        )
        for e, fw in zip(entries, frameworks, strict=True)
    )
    trends: list[TrendView] = []
    if entries:
        latest = entries[-1].scored
        fw = frameworks[-1]
        goals = targets_of(latest.result, fw)
        keys = [OVERALL, *(c.key for c in fw.competencies)]
        for key, chart in zip(keys, trend_charts(snaps), strict=True):
            trends.append(
                TrendView(
                    chart,
                    chart.title,
                    _trend_points(entries, key, language),
                    None if key == OVERALL or key not in goals else _stage(fw, goals[key]),
                )
            )
    latest_fw = frameworks[-1] if entries else None
    return SeriesView(
        framework_name=latest_fw.text(latest_fw.name) if latest_fw else "",
        rows=rows,
        trends=tuple(trends),
        synthetic=any(row.synthetic for row in rows),
    )
