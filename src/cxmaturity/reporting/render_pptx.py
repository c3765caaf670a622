"""The executive report as slides: a PPTX deck (python-pptx) for the executive meeting, beside the HTML and PDF.

It renders from the same ``Report`` as the HTML and the PDF, so a slide shows the numbers of the report and of the
dashboard, formatted by the same rules (a score floored, never rounded up into the next stage). What a deck needs
is less than a report: the executive summary, the competencies, the result charts, the plan's timeline and
initiatives, the units of a campaign when the report has them, and the workshop's result as agreed beside the
surveyed one when a workshop was run.

Texts are real text boxes and tables, so that a deck can be edited, searched and read out by a screen reader; charts
are PNG images of the report's own Vega-Lite charts (``svg.draw_png``: slides cannot hold SVG) with their numbers in
words as the picture's text alternative. Long tables continue on further slides rather than shrinking out of sight.

A deck is written in the report's language (``Report.language``, chosen as for the PDF): its own words from the
gettext catalogs, dates and numbers by Babel in that locale (``03.12.2026``, ``2,99``), the charts' axis numbers by
vl-convert in the same locale. The framework's names (competencies, stages, the framework itself) and the report's
sentences come already written in that language from the report model, as the PDF takes them.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.text import PP_ALIGN
from pptx.presentation import Presentation as Deck
from pptx.slide import Slide
from pptx.util import Emu, Inches, Length, Pt

from cxmaturity.i18n import N_, ngettext, use_locale
from cxmaturity.i18n import gettext as _
from cxmaturity.i18n.formats import format_date, format_decimal, format_percent, localized_number_text
from cxmaturity.i18n.phrase import labelled, translated
from cxmaturity.reporting import svg
from cxmaturity.reporting.charts import Chart
from cxmaturity.reporting.report import Report
from cxmaturity.reporting.xml_text import xml_text
from cxmaturity.scoring.display import score_text

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
#: 16:9, the shape of today's projectors and screens.
WIDTH = Inches(13.333)
HEIGHT = Inches(7.5)
MARGIN = Inches(0.5)
#: Where a slide's body starts, under its title.
BODY_TOP = Inches(1.4)
#: Rows of a table on one slide; more continue on the next slide ("(continued)").
TABLE_ROWS = 8
#: Bullets of a list on one slide.
LIST_ITEMS = 6
#: The plan's charts that make a slide: the timeline, then the expected stage per period.
PLAN_CHARTS = ("chart-plan-timeline", "chart-expected-stages")
#: The layouts of python-pptx's default template that the deck uses.
_TITLE_LAYOUT = 0
_TITLE_ONLY_LAYOUT = 5
# python-pptx's RGBColor has no type hints; it is a plain tuple of three ints.
_INK = RGBColor(0x1B, 0x1F, 0x24)  # type: ignore[no-untyped-call]
_MUTED = RGBColor(0x57, 0x60, 0x6A)  # type: ignore[no-untyped-call]
_CAUTION = RGBColor(0xB3, 0x59, 0x00)  # type: ignore[no-untyped-call]
#: The label of every results slide when a workshop changed answers (issue 14: say which result a page shows).
AS_SURVEYED = N_("Results as surveyed (before the workshop's agreed answers)")
#: ``drawn(n, of)`` after each chart drawn; ``built(n)`` after each slide; ``writing()`` before the file is written.
Drawn = Callable[[int, int], None]
Built = Callable[[int], None]

T = TypeVar("T")


@dataclass(frozen=True)
class DrawnImage:
    """A chart drawn as PNG with its text alternative."""

    chart: Chart
    png: bytes

    @property
    def alt(self) -> str:
        return svg.text_alternative(self.chart)


@dataclass(frozen=True)
class DeckImages:
    results: tuple[DrawnImage, ...]
    plan: tuple[DrawnImage, ...]
    outcomes: tuple[DrawnImage, ...] = ()


def deck_charts(report: Report) -> tuple[tuple[Chart, ...], tuple[Chart, ...]]:
    """The charts a deck shows: the dashboard's result charts (not the per-indicator distributions, which belong in
    the report's appendix) and the plan's timeline and expected stages."""
    plan = tuple(c for c in report.plan_charts if c.id in PLAN_CHARTS)
    return report.view.charts if report.view.has_answers else (), plan


def draw(report: Report, drawn: Drawn | None = None) -> DeckImages:
    """Draw the deck's charts as PNG images (the slow part: tens of milliseconds per chart), their numbers in the
    report's locale; ``drawn(n, of)`` after each."""
    # Every chart was made with the report, in its language (``report.build``); only the numbers are drawn here.
    results, plan = deck_charts(report)
    outcomes = report.outcome_charts
    charts = (*results, *plan, *outcomes)
    images = []
    for n, chart in enumerate(charts, start=1):
        images.append(DrawnImage(chart, svg.draw_png(chart, language=report.language)))
        if drawn is not None:
            drawn(n, len(charts))
    return DeckImages(
        tuple(images[: len(results)]),
        tuple(images[len(results) : len(results) + len(plan)]),
        tuple(images[len(results) + len(plan) :]),
    )


# --- formatting: the report template's rules, in Python ---------------------------------------------------------


def _num(x: float | None, digits: int = 2) -> str:
    return "–" if x is None else format_decimal(x, digits)


def _pct(x: float | None) -> str:
    return "–" if x is None else format_percent(x)


def _score(x: float | None) -> str:
    """A score floored (scoring/display.py), with the locale's decimal sign."""
    return localized_number_text(score_text(x, missing="–"))


def _interval(iv: tuple[float, float] | None) -> str:
    return "–" if iv is None else f"{format_decimal(iv[0])}–{format_decimal(iv[1])}"


def _with_interval(score: float | None, iv: tuple[float, float] | None) -> str:
    return _("not assessed") if score is None else f"{_score(score)} ({_interval(iv)})"


def _money(x: float | None) -> str:
    return _("no limit") if x is None else format_decimal(x, 0)


def _continued(title: str, n: int) -> str:
    """A slide's title, marked as continuing the slide before it after the first (``n`` > 0)."""
    return _("%(title)s (continued)") % {"title": title} if n else title


def _chunks(items: Sequence[T], size: int) -> Iterator[tuple[int, Sequence[T]]]:
    for n, start in enumerate(range(0, len(items), size)):
        yield n, items[start : start + size]


def _emu(value: float) -> Length:
    """A length computed from others (sums, shares), in EMU as python-pptx wants it."""
    return Emu(int(value))


def _png_size(png: bytes) -> tuple[int, int]:
    """Width and height of a PNG image from its header (IHDR is always the first chunk)."""
    width, height = struct.unpack(">II", png[16:24])
    return int(width), int(height)


# --- slide building blocks --------------------------------------------------------------------------------------


class _Builder:
    def __init__(self, report: Report, built: Built | None = None) -> None:
        self.report = report
        self.built = built
        self.deck: Deck = Presentation()
        self.deck.slide_width = WIDTH
        self.deck.slide_height = HEIGHT
        v = report.view
        props = self.deck.core_properties
        # XML text cannot hold control characters: a title pasted with a vertical tab failed every viewer's deck
        # here, and python-pptx writes them on slides as "_x000B_". Every text goes through xml_text.
        props.title = xml_text(v.title)
        props.author = xml_text(report.organization)
        props.subject = xml_text(
            _("CX maturity report: %(name)s %(version)s") % {"name": v.framework_name, "version": v.framework_version}
        )
        props.keywords = _("SYNTHETIC") if report.synthetic_label else ""
        props.language = report.language
        props.created = report.generated_at.replace(tzinfo=None)
        props.last_modified_by = "cx-maturity"

    @property
    def synthetic_label(self) -> str | None:
        """The SYNTHETIC label in the deck's language (it is a marked message; another label reads as written)."""
        label = self.report.synthetic_label
        return _(label) if label else None

    def add_slide(self, layout: int) -> Slide:
        """A new slide; the one before it is complete, and ``built`` hears of it."""
        if self.built is not None and len(self.deck.slides):
            self.built(len(self.deck.slides))
        slide: Slide = self.deck.slides.add_slide(self.deck.slide_layouts[layout])
        return slide

    def finish(self) -> None:
        """The last slide is complete too."""
        if self.built is not None and len(self.deck.slides):
            self.built(len(self.deck.slides))

    def slide(self, title: str, *, surveyed: bool = False) -> Slide:
        """A slide with ``title`` in its title placeholder and the deck's footer; ``surveyed``: it shows results
        and says which (as surveyed) when a workshop agreed other answers."""
        slide = self.add_slide(_TITLE_ONLY_LAYOUT)
        heading = slide.shapes.title
        assert heading is not None  # the title-only layout has one
        heading.left, heading.top, heading.width, heading.height = (
            MARGIN,
            Inches(0.3),
            _emu(WIDTH - 2 * MARGIN),
            Inches(0.9),
        )
        heading.text = xml_text(title)
        paragraph = heading.text_frame.paragraphs[0]
        paragraph.alignment = PP_ALIGN.LEFT
        paragraph.runs[0].font.size = Pt(30)
        paragraph.runs[0].font.bold = True
        parts = [self.report.organization, self.report.view.title]
        if surveyed and self.report.workshop is not None:
            parts.append(_(AS_SURVEYED))
        if self.synthetic_label:
            parts.append(self.synthetic_label)
        self.text(
            slide,
            " · ".join(p for p in parts if p),
            top=HEIGHT - Inches(0.5),
            height=Inches(0.35),
            size=10,
            color=_MUTED,
        )
        return slide

    def text(
        self,
        slide: Slide,
        text: str,
        *,
        top: int,
        height: int,
        left: int = MARGIN,
        width: int | None = None,
        size: int = 16,
        bold: bool = False,
        color: RGBColor = _INK,
    ) -> None:
        box = slide.shapes.add_textbox(_emu(left), _emu(top), _emu(width or WIDTH - 2 * MARGIN), _emu(height))
        frame = box.text_frame
        frame.word_wrap = True
        run = frame.paragraphs[0].add_run()
        run.text = xml_text(text)
        run.font.size = Pt(size)
        run.font.bold = bold
        run.font.color.rgb = color

    def bullets(
        self,
        slide: Slide,
        lines: Sequence[str],
        *,
        top: int,
        height: int,
        left: int = MARGIN,
        width: int | None = None,
        size: int = 16,
    ) -> None:
        box = slide.shapes.add_textbox(_emu(left), _emu(top), _emu(width or WIDTH - 2 * MARGIN), _emu(height))
        frame = box.text_frame
        frame.word_wrap = True
        for n, line in enumerate(lines):
            paragraph = frame.paragraphs[0] if n == 0 else frame.add_paragraph()
            paragraph.space_after = Pt(6)
            run = paragraph.add_run()
            run.text = xml_text(f"• {line}")
            run.font.size = Pt(size)
            run.font.color.rgb = _INK

    def two_lists(self, slide: Slide, left: tuple[str, Sequence[str]], right: tuple[str, Sequence[str]]) -> None:
        """Two headed bullet lists side by side (gaps and discussion items; commitments and next steps)."""
        half = (WIDTH - 2 * MARGIN) // 2
        for n, (heading, lines) in enumerate((left, right)):
            x = MARGIN + n * half
            self.text(slide, heading, top=Inches(1.4), height=Inches(0.5), left=x, width=half, size=20, bold=True)
            gutter = Inches(0.3) if n == 0 else 0  # the left list keeps clear of the right one's heading and bullets
            self.bullets(slide, lines, top=Inches(2.0), height=Inches(4.5), left=x, width=half - gutter)

    def table(
        self,
        slide: Slide,
        header: Sequence[str],
        rows: Sequence[Sequence[str]],
        widths: Sequence[float],
        *,
        top: int = BODY_TOP,
    ) -> None:
        """A real table (header row first); ``widths`` are the columns' shares of the slide's width."""
        row_height = Inches(0.5)
        shape = slide.shapes.add_table(
            len(rows) + 1, len(header), MARGIN, _emu(top), _emu(WIDTH - 2 * MARGIN), _emu(row_height * (len(rows) + 1))
        )
        grid = shape.table
        total = sum(widths)
        for col, share in enumerate(widths):
            grid.columns[col].width = _emu((WIDTH - 2 * MARGIN) * share / total)
        for r, cells in enumerate([header, *rows]):
            for c, value in enumerate(cells):
                cell = grid.cell(r, c)
                cell.text = xml_text(value)
                for paragraph in cell.text_frame.paragraphs:
                    for run in paragraph.runs:
                        run.font.size = Pt(14 if r == 0 else 13)
                        run.font.bold = r == 0

    def picture(self, slide: Slide, image: DrawnImage, *, top: int, height: int) -> None:
        """The chart, as large as fits the box and centred, with its numbers in words as the text alternative."""
        width_px, height_px = _png_size(image.png)
        box_width = WIDTH - 2 * MARGIN
        scale = min(box_width / width_px, height / height_px)
        width, tall = int(width_px * scale), int(height_px * scale)
        left = MARGIN + (box_width - width) // 2
        picture = slide.shapes.add_picture(io.BytesIO(image.png), _emu(left), _emu(top), _emu(width), _emu(tall))
        picture.name = image.chart.id
        # python-pptx has no setter for the alternative text: it is the descr attribute of the picture's cNvPr.
        cast(Any, picture._element).nvPicPr.cNvPr.set("descr", xml_text(image.alt))


# --- the slides -------------------------------------------------------------------------------------------------


def _cover(b: _Builder) -> None:
    r, v = b.report, b.report.view
    slide = b.add_slide(_TITLE_LAYOUT)
    assert slide.shapes.title is not None
    slide.shapes.title.text = xml_text(v.title)
    subtitle = slide.placeholders[1]
    framework = _("%(name)s (version %(version)s)") % {"name": v.framework_name, "version": v.framework_version}
    subtitle.text = xml_text(
        f"{r.organization}\n{_('Customer-experience maturity report')} · {framework} · {format_date(r.generated_at)}"
    )
    if b.synthetic_label:
        b.text(
            slide,
            f"{b.synthetic_label}. "
            + _("These answers are made up to show how a deck looks; they describe no real organization."),
            top=HEIGHT - Inches(1.3),
            height=Inches(0.8),
            size=14,
            bold=True,
            color=_CAUTION,
        )


def _summary(b: _Builder) -> None:
    r, v = b.report, b.report.view
    slide = b.slide(_("Executive summary"), surveyed=True)
    if not v.has_answers:
        b.text(
            slide,
            _("No usable answers yet: there is nothing to report.")
            + " "
            + _("The deck fills in as soon as someone has answered a question."),
            top=Inches(1.5),
            height=Inches(1.5),
            size=20,
        )
        return
    o = v.overall
    assert o.stage is not None
    level = format_percent(v.confidence)
    coverage = _("coverage %(coverage)s") % {"coverage": _pct(v.coverage)}
    kpis = (
        (
            _("Overall stage"),
            o.stage.name,
            _("stage %(number)s of %(stages)s") % {"number": o.stage.number, "stages": len(v.stages)},
        ),
        (
            _("Overall score"),
            _score(o.score),
            _("%(level)s interval %(interval)s") % {"level": level, "interval": _interval(o.interval)}
            if o.interval
            else _("no interval"),
        ),
        (_("Respondents"), str(v.respondents), coverage + (" " + _("(low)") if v.low_coverage else "")),
    )
    width = (WIDTH - 2 * MARGIN) // 3
    for n, (label, value, note) in enumerate(kpis):
        left = MARGIN + n * width
        b.text(slide, label, left=left, width=width, top=Inches(1.4), height=Inches(0.4), size=14, color=_MUTED)
        b.text(slide, value, left=left, width=width, top=Inches(1.8), height=Inches(0.8), size=32, bold=True)
        b.text(slide, note, left=left, width=width, top=Inches(2.6), height=Inches(0.4), size=14, color=_MUTED)
    b.text(slide, r.overall_sentence, top=Inches(3.4), height=Inches(1.6), size=18)
    cautions = [note for note in (v.not_assessed_note,) if note]
    if v.low_coverage:
        cautions.append(
            _("Low coverage: only %(coverage)s of the expected answers were given. Read the results with care.")
            % {"coverage": _pct(v.coverage)}
        )
    if cautions:
        b.text(slide, " ".join(cautions), top=Inches(5.2), height=Inches(1.0), size=16, color=_CAUTION)

    slide = b.slide(_("Gaps to close first, items to discuss"), surveyed=True)
    gaps = [
        labelled(
            g.competency + (" " + _("(holds the overall stage back)") if g.holds_back else ""),
            _("score %(score)s, target %(target)s (%(number)s), gap %(gap)s, priority %(priority)s.")
            % {
                "score": _score(g.score),
                "target": g.target.name,
                "number": g.target.number,
                "gap": _num(g.gap),
                "priority": _num(g.priority),
            },
        )
        for g in r.top_gaps
    ] or [_("Every competency has reached its target.")]
    talks = [
        f"{d.text} ({d.competency}, "
        + _("agreement rwg %(rwg)s") % {"rwg": _num(d.rwg)}
        + (", " + _("polarised") if d.polarised else "")
        + ")"
        for d in r.top_discussion
    ] or [_("No discussion items: the team agrees on every statement.")]
    b.two_lists(slide, (_("The gaps to close first"), gaps), (_("Items to discuss"), talks))


def _competencies(b: _Builder) -> None:
    v = b.report.view
    if not v.has_answers:
        return
    level = _("%(level)s interval") % {"level": format_percent(v.confidence)}
    header = (_("Competency"), _("Stage"), _("Score"), level, _("Coverage"), "rwg(j)", _("Target"))
    rows = [
        (
            c.name,
            c.stage.name if c.stage else _("not assessed"),
            _score(c.score),
            _interval(c.interval),
            _pct(c.coverage) + (" " + _("low") if c.low_coverage else ""),
            _num(c.rwg) + (" " + _("polarised") if c.polarised else ""),
            f"{c.target.name} ({c.target.number})" if c.target else "–",
        )
        for c in v.competencies
    ]
    for n, chunk in _chunks(rows, TABLE_ROWS):
        slide = b.slide(_continued(_("Competencies"), n), surveyed=True)
        b.table(slide, header, chunk, (3.2, 2.2, 1.0, 1.6, 1.2, 1.2, 2.2))
    sentences = [s.sentence for s in b.report.sections]
    for n, lines in _chunks(sentences, LIST_ITEMS):
        slide = b.slide(_continued(_("Where each competency stands"), n), surveyed=True)
        b.bullets(slide, lines, top=Inches(1.4), height=Inches(5.4), size=16)


def _charts(b: _Builder, images: Sequence[DrawnImage]) -> None:
    for image in images:
        slide = b.slide(image.chart.title, surveyed=True)
        b.text(slide, image.chart.description, top=Inches(1.2), height=Inches(0.8), size=14, color=_MUTED)
        b.picture(slide, image, top=Inches(2.0), height=Inches(4.9))


def _plan(b: _Builder, images: Sequence[DrawnImage]) -> None:
    p = b.report.plan
    if p is None:
        slide = b.slide(_("Plan"))
        b.text(
            slide,
            _(
                "No plan has been saved for this assessment yet. A plan turns these results into initiatives, "
                "period by period, within a budget and capacity."
            ),
            top=Inches(1.5),
            height=Inches(1.5),
            size=20,
        )
        return
    # The report's sentence on the plan (report.html), clause by clause.
    which = _("Plan version %(version)s") % {"version": p.version} if p.version else _("The plan")
    made = ", " + _("made %(date)s") % {"date": format_date(p.made_at)} if p.made_at else ""
    capacity = _money(p.capacity) if p.capacity is None else _("%(num)s person-months") % {"num": _num(p.capacity, 1)}
    count = len(p.items)
    summary = " ".join(
        (
            labelled(f"{which}{made}", f"{p.summary}."),
            ngettext(
                "%(count)s initiative over %(periods)s periods (quarters);",
                "%(count)s initiatives over %(periods)s periods (quarters);",
                count,
            )
            % {"count": count, "periods": p.horizon},
            _("budget per period %(budget)s") % {"budget": _money(p.budget)}
            + ", "
            + _("capacity per period %(capacity)s") % {"capacity": capacity}
            + ",",
            _("at most %(num)s at once.") % {"num": p.max_concurrent},
            _("In all: cost %(cost)s, effort %(effort)s person-months.")
            % {"cost": _money(p.total_cost), "effort": _num(p.total_effort, 1)},
        )
    )
    timeline = [i for i in images if i.chart.id == "chart-plan-timeline"]
    slide = b.slide(_("Plan timeline") if timeline else _("Plan"))
    b.text(slide, summary, top=Inches(1.2), height=Inches(0.9), size=14)
    if timeline:
        b.picture(slide, timeline[0], top=Inches(2.1), height=Inches(4.8))
    for image in images:
        if image.chart.id != "chart-plan-timeline":
            slide = b.slide(image.chart.title)
            b.text(slide, image.chart.description, top=Inches(1.2), height=Inches(0.8), size=14, color=_MUTED)
            b.picture(slide, image, top=Inches(2.0), height=Inches(4.9))
    rows = [
        (
            i.periods,
            i.title,
            i.competency + (f": {i.expected_from} → {i.expected_to}" if i.expected_from and i.expected_to else ""),
            i.owner or "–",
            _money(i.cost),
            i.kind,
        )
        for i in p.items
    ]
    for n, chunk in _chunks(rows, TABLE_ROWS):
        slide = b.slide(_continued(_("Initiatives"), n))
        b.table(
            slide,
            (_("Periods"), _("Initiative"), _("Competency"), _("Owner"), _("Cost"), _("Kind")),
            chunk,
            (1.0, 4.0, 3.2, 1.6, 1.2, 1.3),
        )


def _units(b: _Builder) -> None:
    u = b.report.units
    if u is None:
        return
    rows = [
        (
            "    " * row.depth + row.name,
            str(row.respondents),
            row.stage or translated(row.withheld_reason) or _("not assessed"),
            _score(row.score),
            _interval(row.interval),
        )
        for row in u.rows
    ]
    level = format_percent(u.confidence)
    header = (_("Unit"), _("Respondents"), _("Stage"), _("Score"), _("%(level)s interval") % {"level": level})
    notes = [translated(note) for note in u.notes]
    if u.names_hidden:
        notes.append(_("Unit names are hidden in shared views."))
    for n, chunk in _chunks(rows, TABLE_ROWS):
        slide = b.slide(_continued(_("Units: %(campaign)s") % {"campaign": u.campaign}, n), surveyed=True)
        b.table(slide, header, chunk, (4.0, 1.6, 3.0, 1.2, 1.8))
        if notes:
            b.text(slide, " ".join(notes), top=HEIGHT - Inches(1.2), height=Inches(0.6), size=12, color=_MUTED)
    if not u.competencies or not u.rows:
        return
    # One column per competency: each cell the unit's score over its interval, so a reader sees how sure it is.
    cells: list[tuple[str, ...]] = [
        (
            "    " * row.depth + row.name,
            *(_with_interval(c.score, c.interval) for c in row.competencies),
        )
        for row in u.rows
    ]
    for m, part in _chunks(cells, TABLE_ROWS):
        slide = b.slide(_continued(_("Units by competency: %(campaign)s") % {"campaign": u.campaign}, m), surveyed=True)
        b.table(
            slide,
            (_("Unit"), *u.competencies),
            part,
            (3.0, *[9.3 / len(u.competencies)] * len(u.competencies)),
        )
        b.text(
            slide,
            _("Each cell: the unit's score and its %(level)s interval.") % {"level": level},
            top=HEIGHT - Inches(1.2),
            height=Inches(0.6),
            size=12,
            color=_MUTED,
        )


def _outcomes(b: _Builder, images: Sequence[DrawnImage]) -> None:
    """Maturity over time beside the customer outcomes (the scorecard's charts), one chart per slide."""
    for image in images:
        slide = b.slide(_("Customer outcomes: %(title)s") % {"title": image.chart.title}, surveyed=True)
        b.text(slide, image.chart.description, top=Inches(1.2), height=Inches(0.8), size=14, color=_MUTED)
        b.picture(slide, image, top=Inches(2.0), height=Inches(4.9))


def _workshop(b: _Builder) -> None:
    w = b.report.workshop
    if w is None:
        return
    r = w.record
    slide = b.slide(_("Workshop: as surveyed and as agreed"))
    b.text(
        slide,
        ngettext(
            "The other slides show the results as surveyed. In workshop %(workshop)s (%(participants)s participants) "
            "the team agreed on %(count)s answer; scoring the survey's answers with the agreed one in place gives the "
            "result as agreed.",
            "The other slides show the results as surveyed. In workshop %(workshop)s (%(participants)s participants) "
            "the team agreed on %(count)s answers; scoring the survey's answers with the agreed ones in place gives "
            "the result as agreed.",
            len(r.agreed),
        )
        % {"workshop": r.number, "participants": r.participants, "count": len(r.agreed)},
        top=Inches(1.2),
        height=Inches(0.9),
        size=14,
    )
    # The stages are phrases (the workshop section's), written here in the deck's language as the PDF writes them.
    rows = [
        (
            str(translated(row.name)),
            str(translated(row.surveyed)),
            str(translated(row.agreed)) + (" (" + _("changed") + ")" if row.changed else ""),
        )
        for row in w.rows
    ]
    header = (_("Competency"), _("As surveyed"), _("As agreed"))
    b.table(slide, header, rows[:TABLE_ROWS], (4.0, 3.0, 3.0), top=Inches(2.2))
    # The commitments' days, outcomes and summary as the report's workshop section words them (workshop_view.py).
    commitments = [
        labelled(labelled(c.who, promised) if c.who else promised, w.outcome(c))
        for c in r.commitments
        for promised in [f"{c.what} (" + _("by %(day)s") % {"day": w.by_day(c)} + ")"]
    ]
    kept = w.kept_summary()
    if kept:
        commitments.insert(0, kept)
    steps = [f"{s.title} (" + _("owner: %(owner)s") % {"owner": s.owner} + ")" for s in r.next_steps]
    if commitments or steps:
        slide = b.slide(_("Workshop: commitments and next steps"))
        b.two_lists(
            slide,
            (_("Commitments"), commitments[:LIST_ITEMS] or [_("No public commitments.")]),
            (_("Next steps"), steps[:LIST_ITEMS] or [_("None.")]),
        )


def render_pptx(
    report: Report,
    images: DeckImages | None = None,
    built: Built | None = None,
    writing: Callable[[], None] | None = None,
) -> bytes:
    """Return the report as a PPTX deck (16:9) in the report's language: cover, executive summary, competencies,
    charts, plan, units (when the report has them), customer outcomes (when the organization holds any) and the
    workshop's agreed result (when one was run). ``built(n)`` as slide n is complete, ``writing()`` when the deck is
    written into the file (a report job's progress)."""
    images = images or draw(report)
    with use_locale(report.language):
        b = _Builder(report, built)
        _cover(b)
        _summary(b)
        _competencies(b)
        _charts(b, images.results)
        _plan(b, images.plan)
        _units(b)
        _outcomes(b, images.outcomes)
        _workshop(b)
        b.finish()
    if writing is not None:
        writing()
    out = io.BytesIO()
    b.deck.save(out)
    return out.getvalue()
