"""The results page as a typed view model: everything the dashboard (and the reports after it) shows, nothing else.

``build`` turns a scored result, its framework and the respondents' comments into plain, immutable values with every
name and text already resolved in the framework's language. Templates render only from this model, so the web page,
the HTML report and the PDF show the same numbers, in the same order, with the same privacy rules:

- groups appear only when the scoring shows them (at least ``min_group_size`` respondents); the others are counted;
- a comment names its group only when that group is shown;
- a competency without any usable answer is *not assessed*: no stage, score, interval or target, and named in the
  note beside the overall (``not_assessed_note``); a result without any usable answer is not scorable
  (``has_answers`` is False) and shows no stage at all.

Numbers stay numbers (formatting is the template's job); intervals are ``(lower, upper)`` or None.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from cxmaturity.frameworks.model import Framework, Rubric, Statement
from cxmaturity.i18n import gettext as _
from cxmaturity.i18n import use_locale
from cxmaturity.reporting.charts import Chart, charts, targets
from cxmaturity.scoring.result import Result


class AssessmentSource(Protocol):
    @property
    def title(self) -> str: ...
    @property
    def synthetic(self) -> bool: ...


class CommentSource(Protocol):
    """A respondent's comment as the results service returns it (``services.results.Comment``)."""

    @property
    def indicator(self) -> str: ...
    @property
    def group(self) -> str | None: ...
    @property
    def text(self) -> str: ...


class ResultsSource(Protocol):
    """What ``services.results.results`` returns (``AssessmentResults``), as far as the view needs it."""

    @property
    def assessment(self) -> AssessmentSource: ...
    @property
    def framework(self) -> Framework: ...
    @property
    def result(self) -> Result: ...
    @property
    def comments(self) -> Sequence[CommentSource]: ...


@dataclass(frozen=True)
class StageRef:
    key: str
    name: str
    number: int


@dataclass(frozen=True)
class OverallView:
    """The overall result over the assessed competencies; stage and score are None when none is assessed."""

    stage: StageRef | None
    score: float | None
    interval: tuple[float, float] | None
    #: Probability (share of posterior draws) of the overall stage; None without draws.
    stage_probability: float | None
    #: How the competencies combine: "weakest", "mean" or "median".
    rule: str


@dataclass(frozen=True)
class StageCell:
    """Fulfilment of one stage of one competency (None: no answered evidence) and whether it is met."""

    stage: StageRef
    fulfilment: float | None
    met: bool


@dataclass(frozen=True)
class CompetencyView:
    """One competency; stage, score, interval and (unless the team chose one) target are None when not assessed."""

    key: str
    name: str
    stage: StageRef | None
    score: float | None
    interval: tuple[float, float] | None
    interval_method: str
    stage_probability: float | None
    coverage: float
    low_coverage: bool
    respondents: int
    #: rwg(j): within-group agreement over the competency's indicators (None with fewer than two answers).
    rwg: float | None
    target: StageRef | None
    #: Stages above the first, in order.
    fulfilment: tuple[StageCell, ...]
    #: r*wg(j) < 0: the team is in two camps over this competency (rwg(j) then reads 0, out of range).
    polarised: bool = False

    @property
    def assessed(self) -> bool:
        return self.score is not None


@dataclass(frozen=True)
class TrackView:
    """One track: its competencies rolled up by the overall rule (docs/scoring.md, section 5b); stage, score and
    interval are None when none of its competencies is assessed."""

    key: str
    name: str
    description: str | None
    #: Names of the track's competencies, in framework order.
    competencies: tuple[str, ...]
    stage: StageRef | None
    score: float | None
    interval: tuple[float, float] | None
    #: Probability (share of the posterior draws) of the track's stage; None without draws.
    stage_probability: float | None
    #: Names of the track's competencies without any usable answer, left out of its score.
    not_assessed: tuple[str, ...] = ()

    @property
    def assessed(self) -> bool:
        return self.score is not None


@dataclass(frozen=True)
class AnswerCount:
    label: str
    count: int


@dataclass(frozen=True)
class DiscussionView:
    indicator: str
    text: str
    competency: str
    answered: int
    rwg: float
    ad: float
    sd: float
    #: Every option, lowest first, with how many chose it.
    distribution: tuple[AnswerCount, ...]
    #: Answers pile up at both ends: two camps.
    polarised: bool = False


@dataclass(frozen=True)
class GroupScore:
    """A group's stage name and score for one competency; None where the group gave it no usable answer."""

    competency: str
    stage: str | None
    score: float | None


@dataclass(frozen=True)
class GroupView:
    name: str
    respondents: int
    overall_stage: str | None
    overall_score: float | None
    scores: tuple[GroupScore, ...]


@dataclass(frozen=True)
class BlindSpotView:
    competency: str
    group: str
    group_score: float
    others_score: float
    difference: float


@dataclass(frozen=True)
class CommentView:
    indicator: str
    indicator_text: str
    competency: str
    #: The group's name, only when the group is large enough to be shown; otherwise None.
    group: str | None
    text: str


@dataclass(frozen=True)
class StageGuide:
    """What a competency's current stage looks like and how to advance from it (the framework's own words); for a
    competency that is not assessed only its description (stage None, nothing to advance from)."""

    competency: str
    description: str | None
    stage: StageRef | None
    summary: str | None
    behaviors: tuple[str, ...]
    next_stage: StageRef | None
    advance: tuple[str, ...]


@dataclass(frozen=True)
class GapView:
    competency: str
    score: float
    target: StageRef
    gap: float
    weight: float
    importance: float | None
    priority: float
    #: The overall rule is "weakest" and this competency holds the overall stage back: it leads the gaps.
    holds_back: bool = False


@dataclass(frozen=True)
class IndicatorView:
    """One indicator with how the whole team answered it (never per person, never per group)."""

    key: str
    text: str
    competency: str
    #: "statement" or "rubric".
    kind: str
    #: The stage a statement is evidence for; None for a rubric (its options are the stages).
    stage: StageRef | None
    answered: int
    dont_know: int
    not_applicable: int
    rwg: float | None
    #: Every option, lowest first, with how many chose it.
    distribution: tuple[AnswerCount, ...]
    #: Answers pile up at both ends (s²/sigma²_EU > 1): two camps; rwg reads 0, out of range.
    polarised: bool = False


@dataclass(frozen=True)
class ResultsView:
    title: str
    synthetic: bool
    framework_name: str
    framework_version: str
    respondents: int
    overall: OverallView
    coverage: float
    low_coverage: bool
    #: Coverage below this share is flagged as low.
    low_coverage_threshold: float
    #: Level of the intervals, e.g. 0.9 for 90% intervals.
    confidence: float
    threshold: float
    stages: tuple[StageRef, ...]
    competencies: tuple[CompetencyView, ...]
    weakest: tuple[str, ...]
    strongest: tuple[str, ...]
    discussion: tuple[DiscussionView, ...]
    groups: tuple[GroupView, ...]
    withheld_groups: int
    min_group_size: int
    blind_spots: tuple[BlindSpotView, ...]
    comments: tuple[CommentView, ...]
    guides: tuple[StageGuide, ...]
    gaps: tuple[GapView, ...]
    charts: tuple[Chart, ...]
    #: Names of the competencies without any usable answer (framework order), left out of the overall.
    not_assessed: tuple[str, ...] = ()
    #: Respondents whose every answer was don't know, not applicable or missing: not counted in ``respondents``.
    excluded_respondents: int = 0
    #: "independent" or "imported": whose number lets a group be shown (``Result.groups_counted``).
    groups_counted: str = "independent"
    #: One per track of the framework (empty when it has none).
    tracks: tuple[TrackView, ...] = ()

    @property
    def has_answers(self) -> bool:
        """Whether there is anything to show as a result: at least one usable answer (``Result.scorable``)."""
        return self.overall.score is not None

    @property
    def not_assessed_note(self) -> str | None:
        """The note shown wherever the overall is: which competencies it leaves out and why; None if none. In the
        active locale (``scoring.display.not_assessed_note`` is the English one of the command line and exports)."""
        if not self.not_assessed:
            return None
        return _("Not assessed (no usable answers): %(names)s; left out of the overall.") % {
            "names": ", ".join(self.not_assessed)
        }


def _stage(fw: Framework, key: str) -> StageRef:
    number = fw.stage_number(key)
    return StageRef(key, fw.text(fw.stages[number - 1].name), number)


def _cell(fw: Framework, stage: str, fulfilment: float | None) -> StageCell:
    met = fulfilment is not None and fulfilment >= fw.scoring.threshold
    return StageCell(_stage(fw, stage), fulfilment, met)


def _option_labels(fw: Framework, indicator: Statement | Rubric) -> dict[str, str]:
    if isinstance(indicator, Statement):
        return {o.key: fw.text(o.label) for o in fw.scales[indicator.scale].options}
    return {s.key: fw.text(s.name) for s in fw.stages}


def tracks(result: Result, fw: Framework) -> tuple[TrackView, ...]:
    """Return each track's result with its names resolved in the framework's language."""
    comp_name = {c.key: fw.text(c.name) for c in fw.competencies}
    found = []
    for t in result.tracks:
        track = next((x for x in fw.tracks if x.key == t.key), None)
        found.append(
            TrackView(
                key=t.key,
                name=fw.text(track.name) if track else t.key,
                description=fw.text(track.description) if track and track.description else None,
                competencies=tuple(comp_name.get(k, k) for k in t.competencies),
                stage=_stage(fw, t.stage) if t.stage is not None else None,
                score=t.score,
                interval=t.interval,
                stage_probability=t.stage_probabilities.get(t.stage) if t.stage is not None else None,
                not_assessed=tuple(comp_name.get(k, k) for k in t.not_assessed),
            )
        )
    return tuple(found)


def indicators(result: Result, fw: Framework) -> tuple[IndicatorView, ...]:
    """Return every indicator in questionnaire order with how the whole team answered it."""
    comp_name = {c.key: fw.text(c.name) for c in fw.competencies}
    found = []
    for ir in result.indicators:
        indicator = fw.indicator(ir.key)
        labels = _option_labels(fw, indicator)
        found.append(
            IndicatorView(
                key=ir.key,
                text=fw.text(indicator.text),
                competency=comp_name[ir.competency],
                kind=indicator.kind,
                stage=_stage(fw, indicator.stage) if isinstance(indicator, Statement) else None,
                answered=ir.answered,
                dont_know=ir.dont_know,
                not_applicable=ir.not_applicable,
                rwg=ir.agreement.rwg,
                distribution=tuple(AnswerCount(labels.get(k, k), n) for k, n in ir.distribution.items()),
                polarised=ir.agreement.polarised,
            )
        )
    return tuple(found)


def build(
    result: Result,
    fw: Framework,
    *,
    title: str,
    synthetic: bool = False,
    comments: Iterable[CommentSource] = (),
) -> ResultsView:
    """Return the view model of ``result`` (scored on ``fw``) with ``comments`` from the respondents."""
    comp_name = {c.key: fw.text(c.name) for c in fw.competencies}
    target_of = targets(result, fw)
    threshold = fw.scoring.threshold
    competencies = tuple(
        CompetencyView(
            key=c.key,
            name=comp_name[c.key],
            stage=_stage(fw, c.stage) if c.stage is not None else None,
            score=c.score,
            interval=c.interval,
            interval_method=c.interval_method,
            stage_probability=c.stage_probabilities.get(c.stage) if c.stage is not None else None,
            coverage=c.coverage,
            low_coverage=c.low_coverage,
            respondents=c.respondents,
            rwg=c.agreement.rwg,
            target=_stage(fw, target_of[c.key]) if c.key in target_of else None,
            fulfilment=tuple(_cell(fw, s.key, c.fulfilment.get(s.key)) for s in fw.stages[1:]),
            polarised=c.agreement.polarised,
        )
        for c in result.competencies
    )
    discussion = []
    for d in result.discussion_items:
        indicator = fw.indicator(d.indicator)
        labels = _option_labels(fw, indicator)
        discussion.append(
            DiscussionView(
                indicator=d.indicator,
                text=fw.text(indicator.text),
                competency=comp_name[d.competency],
                answered=d.answered,
                rwg=d.rwg,
                ad=d.ad,
                sd=d.sd,
                distribution=tuple(AnswerCount(labels.get(k, k), n) for k, n in d.distribution.items()),
                polarised=d.polarised,
            )
        )
    stage_name = {s.key: fw.text(s.name) for s in fw.stages}
    shown = {g.group for g in result.groups}
    groups = tuple(
        GroupView(
            name=g.group,
            respondents=g.respondents,
            overall_stage=stage_name[g.overall_stage] if g.overall_stage is not None else None,
            overall_score=g.overall_score,
            scores=tuple(
                GroupScore(comp_name[gc.key], stage_name[gc.stage] if gc.stage is not None else None, gc.score)
                for gc in g.competencies
            ),
        )
        for g in result.groups
    )
    competency_of = {ind.key: comp.key for comp, ind in fw.indicators}
    position = {key: n for n, key in enumerate(fw.indicator_keys)}
    # In questionnaire order, then by text: never in the order people answered, which could point to a person.
    ordered = sorted(
        (c for c in comments if c.indicator in competency_of), key=lambda c: (position[c.indicator], c.text)
    )
    comment_views = tuple(
        CommentView(
            indicator=c.indicator,
            indicator_text=fw.text(fw.indicator(c.indicator).text),
            competency=comp_name[competency_of[c.indicator]],
            # Belt and braces: a group name appears only when the scoring itself shows that group.
            group=c.group if c.group in shown else None,
            text=c.text,
        )
        for c in ordered
    )
    guides = []
    for c in result.competencies:
        comp = fw.competency(c.key)
        if c.stage_number is None:
            guides.append(
                StageGuide(
                    competency=comp_name[c.key],
                    description=fw.text(comp.description) if comp.description else None,
                    stage=None,
                    summary=None,
                    behaviors=(),
                    next_stage=None,
                    advance=(),
                )
            )
            continue
        stage = fw.stages[c.stage_number - 1]
        next_stage = fw.stages[c.stage_number] if c.stage_number < len(fw.stages) else None
        guides.append(
            StageGuide(
                competency=comp_name[c.key],
                description=fw.text(comp.description) if comp.description else None,
                stage=_stage(fw, stage.key),
                summary=fw.text(stage.summary) if stage.summary else None,
                behaviors=tuple(fw.text(b) for b in stage.behaviors),
                next_stage=_stage(fw, next_stage.key) if next_stage else None,
                advance=tuple(fw.text(a) for a in stage.advance),
            )
        )
    o = result.overall
    return ResultsView(
        title=title,
        synthetic=synthetic,
        framework_name=fw.text(fw.name),
        framework_version=fw.version,
        respondents=result.respondents,
        overall=OverallView(
            stage=_stage(fw, o.stage) if o.stage is not None else None,
            score=o.score,
            interval=o.interval,
            stage_probability=o.stage_probabilities.get(o.stage) if o.stage is not None else None,
            rule=o.rule,
        ),
        coverage=result.coverage,
        low_coverage=result.low_coverage,
        low_coverage_threshold=result.options.low_coverage,
        confidence=result.options.confidence,
        threshold=threshold,
        stages=tuple(_stage(fw, s.key) for s in fw.stages),
        competencies=competencies,
        weakest=tuple(comp_name[k] for k in result.weakest),
        strongest=tuple(comp_name[k] for k in result.strongest),
        discussion=tuple(discussion),
        groups=groups,
        withheld_groups=result.withheld_groups,
        min_group_size=result.options.min_group_size,
        blind_spots=tuple(
            BlindSpotView(comp_name[b.competency], b.group, b.group_score, b.others_score, b.difference)
            for b in result.blind_spots
        ),
        comments=comment_views,
        guides=tuple(guides),
        gaps=tuple(
            GapView(
                competency=comp_name[g.competency],
                score=g.score,
                target=_stage(fw, g.target),
                gap=g.gap,
                weight=g.weight,
                importance=g.importance,
                priority=g.priority,
                holds_back=g.holds_back,
            )
            for g in result.gaps
        ),
        charts=charts(result, fw) if result.scorable else (),
        not_assessed=tuple(comp_name[k] for k in result.not_assessed),
        groups_counted=result.groups_counted,
        excluded_respondents=result.excluded_respondents,
        tracks=tracks(result, fw),
    )


def of(results: ResultsSource, language: str | None = None) -> ResultsView:
    """Return the view model of an assessment's results (``services.results.results``), its words (chart titles and
    descriptions, notes) in ``language`` and the framework's texts too where the framework offers it; without a
    language, in the framework's own."""
    fw = results.framework.in_language(language)
    with use_locale(language or fw.language):
        return build(
            results.result,
            fw,
            title=results.assessment.title,
            synthetic=bool(results.assessment.synthetic),
            comments=results.comments,
        )
