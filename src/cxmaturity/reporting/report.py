"""The executive report as a typed model: the dashboard's view model (``reporting.view``) plus what only a document
needs (branding, the executive summary's sentences, the plan, the methodology appendix).

``build`` is pure: results, framework, plan and branding in, a ``Report`` out, with every text resolved in the
framework's language. The HTML and the PDF both render from this one model (``render_html``, ``render_pdf``), with
the chart definitions of ``reporting.charts``, so a report shows the same numbers as the dashboard. The privacy rules
are the view model's: groups below the minimum size are only counted, comments name a group only when it is shown,
and no respondent identifier ever reaches the model.
"""

from __future__ import annotations

import base64
import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from cxmaturity.frameworks.model import Framework
from cxmaturity.i18n import N_, ngettext, use_locale
from cxmaturity.i18n import gettext as _
from cxmaturity.i18n.formats import format_decimal, format_percent, localized_number_text
from cxmaturity.planning.model import Initiative, Plan
from cxmaturity.planning.wording import stage_name
from cxmaturity.reporting import charts as chart_specs
from cxmaturity.reporting import phrases, plan_view, scorecard_charts, view
from cxmaturity.reporting.benchmark_view import PeersSection
from cxmaturity.reporting.charts import Chart
from cxmaturity.reporting.progress_view import ProgressView
from cxmaturity.reporting.progress_view import localized as progress_localized
from cxmaturity.reporting.scorecard import Scorecard
from cxmaturity.reporting.units_summary import UnitsSummary
from cxmaturity.reporting.view import (
    CommentSource,
    CommentView,
    CompetencyView,
    DiscussionView,
    GapView,
    IndicatorView,
    ResultsView,
    StageGuide,
)
from cxmaturity.reporting.workshop_view import WorkshopSection
from cxmaturity.reporting.workshop_view import localized as workshop_localized
from cxmaturity.scoring.display import score_text
from cxmaturity.scoring.result import Result

#: Media types a logo may have: raster images only, so that a logo can carry no script or external reference.
LOGO_TYPES = ("image/png", "image/jpeg")
#: rwg(j) below this marks a competency the team disagrees on (the dashboard's threshold).
AGREEMENT_THRESHOLD = 0.70
SUMMARY_ITEMS = 3
SECTIONS = (
    ("summary", N_("Executive summary")),
    ("competencies", N_("Competencies")),
    ("charts", N_("Charts")),
    ("peers", N_("Peers and published studies")),
    ("plan", N_("Plan")),
    ("units", N_("Units")),
    ("progress", N_("Progress")),
    ("outcomes", N_("Customer outcomes")),
    ("workshop", N_("Workshop")),
    ("methodology", N_("Methodology")),
)


@dataclass(frozen=True)
class Logo:
    media_type: str
    data: bytes

    @property
    def data_uri(self) -> str:
        return f"data:{self.media_type};base64,{base64.b64encode(self.data).decode('ascii')}"


@dataclass(frozen=True)
class CompetencySection:
    """Everything the report says about one competency."""

    anchor: str
    competency: CompetencyView
    guide: StageGuide
    #: One sentence: stage, score with interval, target, and a warning on coverage or agreement when due.
    sentence: str
    indicators: tuple[IndicatorView, ...]
    comments: tuple[CommentView, ...]


@dataclass(frozen=True)
class PlanItem:
    key: str
    title: str
    competency: str
    periods: str
    start: int
    cost: float
    effort: float
    reason: str
    measure: str
    owner: str
    expected_from: str
    expected_to: str
    kind: str


@dataclass(frozen=True)
class PlanSection:
    version: int | None
    made_at: datetime | None
    #: "optimal", "within 1.0% of optimal", "infeasible" or "nothing to plan".
    summary: str
    horizon: int
    budget: float | None
    capacity: float | None
    max_concurrent: int
    explanation: tuple[str, ...]
    items: tuple[PlanItem, ...]
    total_cost: float
    total_effort: float


@dataclass(frozen=True)
class Methodology:
    framework_id: str
    framework_name: str
    framework_version: str
    framework_source: str
    language: str
    respondents: int
    coverage: float
    threshold: float
    overall_rule: str
    confidence: float
    bootstrap: int
    interval_methods: tuple[str, ...]
    min_group_size: int
    groups_shown: int
    withheld_groups: int
    comments: int
    comments_without_group: int


@dataclass(frozen=True)
class Report:
    view: ResultsView
    organization: str
    logo: Logo | None
    language: str
    generated_at: datetime
    #: The SYNTHETIC label when the answers are invented (demo data); None for real answers.
    synthetic_label: str | None
    overall_sentence: str
    sections: tuple[CompetencySection, ...]
    top_gaps: tuple[GapView, ...]
    top_discussion: tuple[DiscussionView, ...]
    #: Results charts (radar, heat map, groups when shown), then answer distributions.
    charts: tuple[Chart, ...]
    plan: PlanSection | None
    plan_charts: tuple[Chart, ...]
    methodology: Methodology
    #: The comparison with the previous assessment of the series; None for the first of a series.
    progress: ProgressView | None = None
    #: The organization's executive CX scorecard (outcome metrics and customer asset beside maturity); None when the
    #: organization holds no outcome data.
    scorecard: Scorecard | None = None
    #: The latest workshop's record with the result as agreed; None when no workshop was run.
    workshop: WorkshopSection | None = None
    #: The campaign's units with their roll-ups (``reporting.units_summary``); None until the organization has units.
    units: UnitsSummary | None = None
    #: Published reference distributions (and the installation's cohort) with "you are here"; None when the framework
    #: has no reference distribution and no cohort is shown.
    peers: PeersSection | None = None
    #: Maturity over time beside each watched outcome metric (the scorecard's charts), made with the rest of the
    #: report in its language (``build``); none without outcomes.
    outcome_charts: tuple[Chart, ...] = ()

    @property
    def peers_charts(self) -> tuple[Chart, ...]:
        return () if self.peers is None else self.peers.charts

    @property
    def progress_charts(self) -> tuple[Chart, ...]:
        return () if self.progress is None else self.progress.charts

    @property
    def headings(self) -> tuple[tuple[str, str], ...]:
        """The top-level sections (anchor, heading) in order: the contents list, in the active locale."""
        optional = {
            "progress": self.progress,
            "outcomes": self.scorecard,
            "workshop": self.workshop,
            "peers": self.peers,
            "units": self.units,
        }
        return tuple((a, _(h)) for a, h in SECTIONS if a not in optional or optional[a] is not None)

    @property
    def filename(self) -> str:
        """A file name without extension, e.g. ``report-q3-leadership-check``."""
        slug = re.sub(r"[^a-z0-9]+", "-", self.view.title.lower()).strip("-")[:60].strip("-")
        return f"report-{slug}" if slug else "report"


def _interval(interval: tuple[float, float] | None, confidence: float) -> str:
    if interval is None:
        return ""
    return _(", %(level)s interval %(low)s–%(high)s") % {
        "level": format_percent(confidence),
        "low": format_decimal(interval[0]),
        "high": format_decimal(interval[1]),
    }


def _score(value: float) -> str:
    return localized_number_text(score_text(value))


def competency_sentence(c: CompetencyView, stages: int, confidence: float) -> str:
    """One sentence on a competency: where it stands, how sure we are, where it should go, what to watch."""
    if c.stage is None or c.score is None:
        return _(
            "%(name)s is not assessed: nobody gave a usable answer to its questions (every answer was don't know, "
            "not applicable or missing), so it has no stage, no gap and is left out of the overall."
        ) % {"name": c.name}
    text = _("%(name)s is at %(stage)s (stage %(number)s of %(stages)s; score %(score)s%(interval)s)") % {
        "name": c.name,
        "stage": c.stage.name,
        "number": c.stage.number,
        "stages": stages,
        "score": _score(c.score),
        "interval": _interval(c.interval, confidence),
    }
    if c.target is not None:
        text += (
            _("; it has reached its target")
            if c.score >= c.target.number
            else _("; target %(stage)s") % {"stage": c.target.name}
        )
    cautions = []
    if c.low_coverage:
        cautions.append(_("only %(share)s of its questions were answered") % {"share": format_percent(c.coverage)})
    if c.polarised:
        cautions.append(_("the team is in two camps (polarised)"))
    elif c.rwg is not None and c.rwg < AGREEMENT_THRESHOLD:
        cautions.append(_("the team disagrees (rwg %(rwg)s)") % {"rwg": format_decimal(c.rwg)})
    if cautions:
        text += _(", but %(cautions)s") % {"cautions": _(" and ").join(cautions)}
    return text + "."


def overall_sentence(v: ResultsView) -> str:
    o = v.overall
    rule = {
        "weakest": _("the stage of the weakest competency, because the competencies hold each other back"),
        "mean": _("the weighted mean of the competency scores"),
        "median": _("the median of the competency scores"),
    }.get(o.rule, o.rule)
    if o.stage is None:
        return _("No usable answers yet: nothing can be shown as a stage until someone answers a question.")
    note = f" {v.not_assessed_note}" if v.not_assessed_note else ""
    where = _("Overall stage %(stage)s (stage %(number)s of %(stages)s; score %(score)s%(interval)s)") % {
        "stage": o.stage.name,
        "number": o.stage.number,
        "stages": len(v.stages),
        "score": _score(o.score) if o.score is not None else "–",
        "interval": _interval(o.interval, v.confidence),
    }
    who = ngettext(
        "from %(num)d respondent who gave %(share)s of the expected answers.",
        "from %(num)d respondents who gave %(share)s of the expected answers.",
        v.respondents,
    ) % {"num": v.respondents, "share": format_percent(v.coverage)}
    return f"{where}, {who} " + _("The overall stage is %(rule)s.") % {"rule": rule} + note


def _anchor(index: int) -> str:
    return f"competency-{index}"


def _periods(item: Initiative) -> str:
    return str(item.start) if item.end - item.start <= 1 else f"{item.start}–{item.end - 1}"


def in_framework_language(plan: Plan, fw: Framework) -> Plan:
    """Return ``plan`` with the title and measure of each initiative taken from the framework's catalog written in
    the framework's (the report's) language, where the initiative still carries the catalog's words in one of the
    framework's languages; a custom initiative, or one the team renamed, keeps its own words."""
    actions = {a.key: a for a in fw.actions}
    translated = []
    for item in plan.initiatives:
        action = actions.get(item.key)
        if action is None or item.custom:
            translated.append(item)
            continue
        title = fw.text(action.title) if item.title in _wordings(action.title) else item.title
        measure = item.measure
        if action.measure is not None and item.measure in _wordings(action.measure):
            measure = fw.text(action.measure)
        translated.append(dataclasses.replace(item, title=title, measure=measure))
    return dataclasses.replace(plan, initiatives=tuple(translated))


def _wordings(text: str | dict[str, str]) -> set[str]:
    return {text} if isinstance(text, str) else set(text.values())


def plan_section(plan: Plan, fw: Framework, version: int | None = None, made_at: datetime | None = None) -> PlanSection:
    """The plan as the report lists it: initiatives in the order they start, each with why it was chosen."""
    names = {c.key: fw.text(c.name) for c in fw.competencies}
    items = tuple(
        PlanItem(
            key=i.key,
            title=i.title,
            competency=names.get(i.competency, i.competency),
            periods=_periods(i),
            start=i.start,
            cost=i.cost,
            effort=i.effort,
            reason=phrases.reason(i, fw),
            measure=i.measure,
            owner=i.owner,
            expected_from=stage_name(fw, i.expected_from) if i.expected_from else "",
            expected_to=stage_name(fw, i.expected_to) if i.expected_to else "",
            kind=_("Locked") if i.locked else _("Quick win") if i.quick_win else _("Planned"),
        )
        for i in sorted(plan.initiatives, key=lambda i: (i.start, i.end, i.key))
    )
    req = plan.request
    return PlanSection(
        version=version,
        made_at=made_at,
        summary=plan_view.status_text(plan),
        horizon=req.horizon,
        budget=req.budget,
        capacity=req.capacity,
        max_concurrent=req.max_concurrent,
        explanation=phrases.explanation(plan, fw),
        items=items,
        total_cost=sum(i.cost for i in plan.initiatives),
        total_effort=sum(i.effort for i in plan.initiatives),
    )


def _plan_charts(plan: Plan, fw: Framework) -> tuple[Chart, ...]:
    """One timeline of the whole plan (the plan page draws one per competency) and the expected stages."""
    if not plan.initiatives:
        return ()
    found = [
        Chart(
            "chart-plan-timeline",
            _("Timeline of the plan"),
            _(
                "Each bar is an initiative, from the period it starts in to the end of its last period. Locked "
                "initiatives and quick wins have their own colors."
            ),
            chart_specs.gantt(plan, fw),
        )
    ]
    found.extend(chart for chart in chart_specs.plan_charts(plan, fw) if chart.id == "chart-expected-stages")
    return tuple(found)


def build(
    result: Result,
    fw: Framework,
    *,
    title: str,
    organization: str,
    generated_at: datetime,
    synthetic_label: str | None = None,
    comments: Iterable[CommentSource] = (),
    plan: Plan | None = None,
    plan_version: int | None = None,
    plan_made_at: datetime | None = None,
    logo: Logo | None = None,
    progress: ProgressView | None = None,
    scorecard: Scorecard | None = None,
    workshop: WorkshopSection | None = None,
    peers: PeersSection | None = None,
    units: UnitsSummary | None = None,
    language: str | None = None,
) -> Report:
    """Return the report of ``result`` (scored on ``fw``); ``synthetic_label`` marks invented answers; ``progress``
    compares it with the previous assessment of its series; ``language``: the report's language (its sentences from
    the catalogs, the framework's texts when the framework offers it), else the framework's own."""
    if logo is not None and logo.media_type not in LOGO_TYPES:
        raise ValueError(f"a logo must be one of {', '.join(LOGO_TYPES)}, not {logo.media_type}")
    fw = fw.in_language(language)
    with use_locale(language or fw.language) as chosen:
        return _build(
            result,
            fw,
            chosen,
            title=title,
            organization=organization,
            generated_at=generated_at,
            synthetic_label=synthetic_label,
            comments=comments,
            plan=plan,
            plan_version=plan_version,
            plan_made_at=plan_made_at,
            logo=logo,
            progress=progress,
            scorecard=scorecard,
            workshop=workshop,
            peers=peers,
            units=units,
        )


def _build(
    result: Result,
    fw: Framework,
    language: str,
    *,
    title: str,
    organization: str,
    generated_at: datetime,
    synthetic_label: str | None,
    comments: Iterable[CommentSource],
    plan: Plan | None,
    plan_version: int | None,
    plan_made_at: datetime | None,
    logo: Logo | None,
    progress: ProgressView | None,
    scorecard: Scorecard | None,
    workshop: WorkshopSection | None,
    peers: PeersSection | None,
    units: UnitsSummary | None,
) -> Report:
    v = view.build(result, fw, title=title, synthetic=synthetic_label is not None, comments=comments)
    indicators = view.indicators(result, fw)
    sections = []
    # The view lists competencies and their guides in the result's order.
    for n, (c, guide) in enumerate(zip(v.competencies, v.guides, strict=True), start=1):
        own = {ind.key for ind in fw.competency(c.key).indicators}
        sections.append(
            CompetencySection(
                anchor=_anchor(n),
                competency=c,
                guide=guide,
                sentence=competency_sentence(c, len(v.stages), v.confidence),
                indicators=tuple(i for i in indicators if i.key in own),
                comments=tuple(cm for cm in v.comments if cm.indicator in own),
            )
        )
    if plan is not None:
        plan = in_framework_language(plan, fw)
    if progress is not None:
        progress = progress_localized(progress, fw)
    if workshop is not None:
        # Built in the framework's own language (the agenda with the words of the day it started): named again in
        # the report's.
        workshop = workshop_localized(workshop, fw)
    opts = result.options
    methodology = Methodology(
        framework_id=fw.id,
        framework_name=v.framework_name,
        framework_version=v.framework_version,
        framework_source=fw.text(fw.source),
        language=fw.language,
        respondents=v.respondents,
        coverage=v.coverage,
        threshold=v.threshold,
        overall_rule=v.overall.rule,
        confidence=v.confidence,
        bootstrap=opts.bootstrap,
        interval_methods=tuple(dict.fromkeys(c.interval_method for c in v.competencies if c.interval_method != "none")),
        min_group_size=v.min_group_size,
        groups_shown=len(v.groups),
        withheld_groups=v.withheld_groups,
        comments=len(v.comments),
        comments_without_group=sum(1 for c in v.comments if c.group is None),
    )
    return Report(
        view=v,
        organization=organization,
        logo=logo,
        language=language,
        generated_at=generated_at,
        synthetic_label=synthetic_label,
        overall_sentence=overall_sentence(v),
        sections=tuple(sections),
        top_gaps=v.gaps[:SUMMARY_ITEMS],
        top_discussion=v.discussion[:SUMMARY_ITEMS],
        charts=(*v.charts, *chart_specs.answer_distribution_charts(result, fw)) if v.has_answers else (),
        plan=None if plan is None else plan_section(plan, fw, plan_version, plan_made_at),
        plan_charts=() if plan is None else _plan_charts(plan, fw),
        methodology=methodology,
        progress=progress,
        scorecard=scorecard,
        workshop=workshop,
        peers=peers,
        units=units,
        # Made here, in the report's locale (``build``), like every other chart: made later, when a renderer asks,
        # they would be written in whatever locale is active then (English in a report job's child process).
        outcome_charts=() if scorecard is None else scorecard_charts.charts(scorecard),
    )
