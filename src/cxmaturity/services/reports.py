"""Executive reports of a stored assessment: its results as they are now, its latest saved plan and the organization's
branding, as one self-contained HTML file, a PDF (A4 or US Letter) or executive slides (PPTX).

Any member of the organization may make one (viewer role and up, as for the results). ``report`` reads the database;
``render`` draws the charts and writes the document, so a web request can let its transaction go before the slow
part. The command line reads the database directly (``report_as_operator``): whoever runs it holds the database
itself, so no member's role applies; it reads as a viewer would (``access.OPERATOR``), outcomes section included.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal, cast

from sqlalchemy.orm import Session

from cxmaturity.benchmarks.limits import DEFAULT_MIN_COHORT
from cxmaturity.demo import SYNTHETIC_LABEL
from cxmaturity.i18n import LOCALES, N_
from cxmaturity.i18n.phrase import phrase
from cxmaturity.reporting import benchmark_view, progress_view, workshop_view
from cxmaturity.reporting import report as reporting
from cxmaturity.reporting.benchmark_view import PeersSection
from cxmaturity.reporting.progress_view import ProgressView
from cxmaturity.reporting.render_html import PAPERS, PaperName, draw, render_html
from cxmaturity.reporting.report import Report
from cxmaturity.reporting.scorecard import Scorecard
from cxmaturity.reporting.workshop_view import WorkshopSection
from cxmaturity.scoring.result import Result
from cxmaturity.services import access, branding, plans, results, workshop_state
from cxmaturity.services.access import Actor
from cxmaturity.services.assessments import framework_of
from cxmaturity.services.cpu_pool import CpuPool
from cxmaturity.services.errors import Invalid, NotFound, ServiceError
from cxmaturity.storage.tables import Assessment

if TYPE_CHECKING:
    from cxmaturity.reporting.units_view import PendingUnits

ReportFormat = Literal["html", "pdf", "pptx"]
FORMATS: tuple[ReportFormat, ...] = ("html", "pdf", "pptx")
MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}


class Unavailable(ServiceError):
    """This installation cannot make the format asked for (PDF without WeasyPrint's system libraries)."""

    status = 503


@dataclass(frozen=True)
class ReportFile:
    content: bytes
    media_type: str
    #: A download name, e.g. ``report-leadership-team-2026.pdf``.
    filename: str


def check_format(fmt: str, paper: str = "a4") -> tuple[ReportFormat, PaperName]:
    """Return the format and paper if both are known; raise Invalid naming the field otherwise."""
    if fmt not in FORMATS:
        raise Invalid(
            phrase(N_("format must be one of %(value)s, not '%(value2)s'"), value=", ".join(FORMATS), value2=fmt[:20]),
            field="format",
        )
    if paper not in PAPERS:
        raise Invalid(
            phrase(N_("paper must be one of %(value)s, not '%(value2)s'"), value=", ".join(PAPERS), value2=paper[:20]),
            field="paper",
        )
    return fmt, cast(PaperName, paper)


def _progress(db: Session, assessment: Assessment) -> ProgressView | None:
    """The comparison with the previous assessment of the series, when there is one with answers to compare."""
    from cxmaturity.services import progress  # imported here: it builds on the results service, as this does

    earlier = progress.previous_of(db, assessment)
    if earlier is None:
        return None
    try:
        compared = progress.compare_stored(db, earlier, assessment)
    except (ServiceError, ValueError):
        return None  # nothing comparable (no answers yet, say): the report simply has no progress section
    if not (compared.before.result.scorable and compared.after.result.scorable):
        return None
    return progress_view.build(compared)


def _workshop(db: Session, assessment: Assessment, surveyed: Result) -> WorkshopSection | None:
    """The latest workshop's record and the result as agreed, when a workshop was run and there are results."""
    record = workshop_state.record_of(db, assessment)
    if record is None or not surveyed.scorable:
        return None
    agreed = workshop_state.as_agreed(db, assessment)
    return workshop_view.build(record, framework_of(assessment), surveyed, agreed)


def _scorecard(db: Session, actor: Actor, assessment: Assessment, language: str | None) -> Scorecard | None:
    """The organization's scorecard for the report's outcomes section, when it holds outcome data (as a viewer sees
    it: the command line's operator reads as a viewer too)."""
    from cxmaturity.services import outcomes, scorecard

    if not outcomes.has_data(db, assessment.organization_id):
        return None
    return scorecard.scorecard(db, actor, assessment.organization_id, language=language)


def _peers(db: Session, assessment: Assessment, min_cohort: int, language: str | None) -> PeersSection | None:
    """Published reference distributions and the installation's cohort of all organizations, with "you are here",
    written in the report's ``language`` (the cohort's name and the charts too).

    The report reads the benchmark's current release as it is (a report is made in a read-only transaction); the
    privacy rules are the benchmark page's, so the report shows nothing that page would not.
    """
    from cxmaturity.benchmarks.privacy import CohortFilter
    from cxmaturity.services import benchmarks  # imported here: it builds on the results service, as this does

    shown = benchmarks.benchmark_of(db, assessment, CohortFilter(), min_cohort, release_changes=False)
    return benchmark_view.peers_section(shown, language)


def _units(db: Session, actor: Actor, assessment: Assessment, language: str | None) -> PendingUnits | None:
    """The campaign's units, when the assessment runs across units: the campaign page's roll-up as its viewers see it,
    its intervals still to be scored (a scoring per unit: ``Draft.complete``).

    A report is passed on beyond the organization's members, so it is a shared view: unit names are hidden whenever
    the campaign hides them, even when a facilitator (who sees the names on the page) makes the report.
    """
    from cxmaturity.reporting.units_view import pending_units
    from cxmaturity.services import campaigns  # imported here: it builds on the results service, as this does

    found = campaigns.campaign(db, actor, assessment.id, preview_hidden=True)
    if found is None:
        return None
    confidence = results.options_for(assessment).confidence
    return pending_units(found, campaigns.interval_work(db, found), language, confidence)


@dataclass(frozen=True)
class Draft:
    """A report model read from the database, with its slow pure part still to do: each unit's intervals (a scoring
    per unit; for a campaign over 200 units most of the report's time). Pure data, so a report job completes it in
    a child process, reporting each unit, without the database."""

    model: Report
    units: PendingUnits | None

    @property
    def unit_count(self) -> int:
        """The units still to score: one step of progress each."""
        return 0 if self.units is None else self.units.count

    def complete(self, progress: Callable[[int, int], None] | None = None) -> Report:
        """The report model; ``progress(done, total)`` after each unit scored."""
        if self.units is None:
            return self.model
        return replace(self.model, units=self.units.complete(progress))


def _build(
    db: Session,
    assessment: Assessment,
    actor: Actor,
    min_cohort: int = DEFAULT_MIN_COHORT,
    language: str | None = None,
) -> Draft:
    scored = results.results_of(db, assessment)
    saved = plans.latest_of(db, assessment)
    units = _units(db, actor, assessment, language)
    model = reporting.build(
        scored.result,
        scored.framework,
        title=assessment.title,
        organization=assessment.organization.name,
        generated_at=datetime.now(UTC),
        synthetic_label=SYNTHETIC_LABEL if assessment.synthetic else None,
        comments=scored.comments,
        plan=saved.plan if saved else None,
        plan_version=saved.number if saved else None,
        plan_made_at=saved.info.created_at if saved else None,
        logo=branding.logo(db, assessment.organization_id),
        progress=_progress(db, assessment),
        scorecard=_scorecard(db, actor, assessment, language),
        workshop=_workshop(db, assessment, scored.result),
        peers=_peers(db, assessment, min_cohort, language),
        units=None if units is None else units.summary,
        language=language,
    )
    return Draft(model, units)


def draft(
    db: Session, actor: Actor, assessment_id: int, min_cohort: int = DEFAULT_MIN_COHORT, language: str | None = None
) -> Draft:
    """Read what the report of an assessment the actor may see (viewer and up) needs, in ``language`` when given;
    ``min_cohort`` is the installation's k for the peers section (CXM_BENCHMARK_MIN_COHORT)."""
    assessment = access.assessment(db, actor, assessment_id, "viewer")
    return _build(db, assessment, actor, min_cohort, check_language(language))


def report(
    db: Session, actor: Actor, assessment_id: int, min_cohort: int = DEFAULT_MIN_COHORT, language: str | None = None
) -> Report:
    """Return the report model of an assessment the actor may see (viewer and up): ``draft``, completed here."""
    return draft(db, actor, assessment_id, min_cohort, language).complete()


def report_as_operator(
    db: Session, assessment_id: int, min_cohort: int = DEFAULT_MIN_COHORT, language: str | None = None
) -> Report:
    """Return the report model of any assessment in the database (the command line's access)."""
    assessment = db.get(Assessment, assessment_id)
    if assessment is None:
        raise NotFound(
            phrase(N_("no assessment with id %(assessment_id)s in this database"), assessment_id=assessment_id)
        )
    return _build(db, assessment, access.OPERATOR, min_cohort=min_cohort, language=check_language(language)).complete()


def check_language(language: str | None) -> str | None:
    """Return ``language`` when the report can be written in it; refuse any other (None: the framework's own)."""
    if language is None or language in LOCALES:
        return language
    raise Invalid(
        phrase(
            N_("a report can be written in %(value)s, not %(value2)s"),
            value=", ".join(LOCALES),
            value2=repr(language[:20]),
        ),
        field="language",
    )


def _check_pdf(fmt: ReportFormat) -> None:
    """Refuse a PDF this installation cannot make, clearly, before any work is handed over."""
    if fmt == "pdf":
        from cxmaturity.reporting.render_pdf import PdfUnavailable, check_available

        try:
            check_available()
        except PdfUnavailable as exc:
            raise Unavailable(str(exc)) from exc


def render_in(pool: CpuPool, model: Report, fmt: ReportFormat, paper: PaperName = "a4") -> ReportFile:
    """``render`` in a child process of ``pool`` (seconds of an interpreter the caller's threads keep); a PDF this
    installation cannot make is refused here first, clearly, before any work is handed over."""
    _check_pdf(fmt)
    return pool.run(render, model, fmt, paper)


#: What a child tells while it completes and renders a draft (``Progress``): a unit scored (done, total), then the
#: charts being drawn (a deck's: each chart drawn, n of total), a page laid out (its number) or a deck's slide built
#: (its number), the file being written.
Stage = Literal["unit", "charts", "chart", "page", "slide", "writing"]
Progress = Callable[[Stage, int, int], None]


def render_draft_in(
    pool: CpuPool, draft: Draft, fmt: ReportFormat, paper: PaperName = "a4", progress: Progress | None = None
) -> ReportFile:
    """Complete ``draft`` (a scoring per unit) and render it, both in a child process of ``pool``;
    ``progress(stage, done, total)`` is called in the caller's thread as the child goes (``Stage``)."""
    _check_pdf(fmt)
    return pool.run(_complete_and_render, draft, fmt, paper, progress=progress)


def _complete_and_render(draft: Draft, fmt: ReportFormat, paper: PaperName) -> ReportFile:
    """In a child: what ``render_draft_in`` does, telling the parent each step (``cpu_pool.tell``)."""
    from cxmaturity.services.cpu_pool import tell

    model = draft.complete(lambda done, total: tell("unit", done, total))
    return render(model, fmt, paper, lambda stage, n, of: tell(stage, n, of))


def render(model: Report, fmt: ReportFormat, paper: PaperName = "a4", progress: Progress | None = None) -> ReportFile:
    """Draw the charts and write the report as HTML, as a PDF on ``paper`` or as slides (PPTX, 16:9: no paper);
    ``progress(stage, n, of)`` on the way: "charts" (a deck: each "chart" drawn, n of ``of``), each "page" laid out
    (a PDF's; n its number) or each "slide" built (a deck's), "writing"."""

    def step(stage: Stage, n: int = 0, of: int = 0) -> None:
        if progress is not None:
            progress(stage, n, of)

    if fmt == "pptx":
        from cxmaturity.reporting import render_pptx  # python-pptx is only loaded for a deck

        images = render_pptx.draw(model, drawn=lambda n, of: step("chart", n, of))
        deck = render_pptx.render_pptx(model, images, built=lambda n: step("slide", n), writing=lambda: step("writing"))
        return ReportFile(deck, MEDIA_TYPES["pptx"], f"{model.filename}.pptx")
    step("charts")
    drawn = draw(model)
    if fmt == "pdf":
        from cxmaturity.reporting.render_pdf import PdfUnavailable, render_pdf

        try:
            pdf = render_pdf(
                model, paper, drawn, laid_out=lambda page: step("page", page), writing=lambda: step("writing")
            )
        except PdfUnavailable as exc:
            raise Unavailable(str(exc)) from exc
        return ReportFile(pdf, MEDIA_TYPES["pdf"], f"{model.filename}.pdf")
    step("writing")
    html = render_html(model, drawn)
    return ReportFile(html.encode("utf-8"), MEDIA_TYPES["html"], f"{model.filename}.html")
