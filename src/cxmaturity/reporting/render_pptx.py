"""The executive report as slides: a PPTX deck (python-pptx) for the executive meeting, beside the HTML and PDF.

It renders from the same ``Report`` as the HTML and the PDF, so a slide shows the numbers of the report and of the
dashboard, formatted by the same rules (a score floored, never rounded up into the next stage). What a deck needs
is less than a report: the executive summary, the competencies, the result charts, the plan's timeline and
initiatives, the units of a campaign when the report has them, and the workshop's result as agreed beside the
surveyed one when a workshop was run.

Texts are real text boxes and tables, so that a deck can be edited, searched and read out by a screen reader; charts
are PNG images of the report's own Vega-Lite charts (``svg.draw_png``: slides cannot hold SVG) with their numbers in
words as the picture's text alternative. Long tables continue on further slides rather than shrinking out of sight.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.text import PP_ALIGN
from pptx.presentation import Presentation as Deck
from pptx.slide import Slide
from pptx.util import Emu, Inches, Length, Pt

from cxmaturity.i18n.phrase import english
from cxmaturity.reporting import svg
from cxmaturity.reporting.charts import Chart
from cxmaturity.reporting.report import Report
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
AS_SURVEYED = "Results as surveyed (before the workshop's agreed answers)"

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


def draw(report: Report) -> DeckImages:
    """Draw the deck's charts as PNG images (the slow part: tens of milliseconds per chart)."""
    results, plan = deck_charts(report)
    return DeckImages(
        tuple(DrawnImage(c, svg.draw_png(c)) for c in results),
        tuple(DrawnImage(c, svg.draw_png(c)) for c in plan),
        tuple(DrawnImage(c, svg.draw_png(c)) for c in report.outcome_charts),
    )


# --- formatting: the report template's rules, in Python ---------------------------------------------------------


def _num(x: float | None, digits: int = 2) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x:.0%}"


def _interval(iv: tuple[float, float] | None) -> str:
    return "–" if iv is None else f"{iv[0]:.2f}–{iv[1]:.2f}"


def _with_interval(score: float | None, iv: tuple[float, float] | None) -> str:
    return "not assessed" if score is None else f"{score_text(score)} ({_interval(iv)})"


def _money(x: float | None) -> str:
    return "no limit" if x is None else f"{x:,.0f}"


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
    def __init__(self, report: Report) -> None:
        self.report = report
        self.deck: Deck = Presentation()
        self.deck.slide_width = WIDTH
        self.deck.slide_height = HEIGHT
        v = report.view
        props = self.deck.core_properties
        props.title = v.title
        props.author = report.organization
        props.subject = f"Customer-experience maturity: {v.framework_name} {v.framework_version}"
        props.keywords = "SYNTHETIC" if report.synthetic_label else ""
        props.created = report.generated_at.replace(tzinfo=None)
        props.last_modified_by = "cx-maturity"

    def slide(self, title: str, *, surveyed: bool = False) -> Slide:
        """A slide with ``title`` in its title placeholder and the deck's footer; ``surveyed``: it shows results
        and says which (as surveyed) when a workshop agreed other answers."""
        slide: Slide = self.deck.slides.add_slide(self.deck.slide_layouts[_TITLE_ONLY_LAYOUT])
        heading = slide.shapes.title
        assert heading is not None  # the title-only layout has one
        heading.left, heading.top, heading.width, heading.height = (
            MARGIN,
            Inches(0.3),
            _emu(WIDTH - 2 * MARGIN),
            Inches(0.9),
        )
        heading.text = title
        paragraph = heading.text_frame.paragraphs[0]
        paragraph.alignment = PP_ALIGN.LEFT
        paragraph.runs[0].font.size = Pt(30)
        paragraph.runs[0].font.bold = True
        parts = [self.report.organization, self.report.view.title]
        if surveyed and self.report.workshop is not None:
            parts.append(AS_SURVEYED)
        if self.report.synthetic_label:
            parts.append(self.report.synthetic_label)
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
        run.text = text
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
            run.text = f"• {line}"
            run.font.size = Pt(size)
            run.font.color.rgb = _INK

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
                cell.text = value
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
        cast(Any, picture._element).nvPicPr.cNvPr.set("descr", image.alt)


# --- the slides -------------------------------------------------------------------------------------------------


def _cover(b: _Builder) -> None:
    r, v = b.report, b.report.view
    slide = b.deck.slides.add_slide(b.deck.slide_layouts[_TITLE_LAYOUT])
    assert slide.shapes.title is not None
    slide.shapes.title.text = v.title
    subtitle = slide.placeholders[1]
    subtitle.text = (
        f"{r.organization}\nCustomer-experience maturity · {v.framework_name} (version {v.framework_version}) · "
        f"{r.generated_at.strftime('%Y-%m-%d')}"
    )
    if r.synthetic_label:
        b.text(
            slide,
            f"{r.synthetic_label}. These answers are made up to show how a deck looks; they describe no real "
            "organization.",
            top=HEIGHT - Inches(1.3),
            height=Inches(0.8),
            size=14,
            bold=True,
            color=_CAUTION,
        )


def _summary(b: _Builder) -> None:
    r, v = b.report, b.report.view
    slide = b.slide("Executive summary", surveyed=True)
    if not v.has_answers:
        b.text(
            slide,
            "No usable answers yet: there is nothing to report. The deck fills in as soon as someone has "
            "answered a question.",
            top=Inches(1.5),
            height=Inches(1.5),
            size=20,
        )
        return
    o = v.overall
    assert o.stage is not None
    kpis = (
        ("Overall stage", o.stage.name, f"stage {o.stage.number} of {len(v.stages)}"),
        (
            "Overall score",
            score_text(o.score, missing="–"),
            f"{v.confidence:.0%} interval {_interval(o.interval)}" if o.interval else "no interval",
        ),
        ("Respondents", str(v.respondents), f"coverage {_pct(v.coverage)}{' (low)' if v.low_coverage else ''}"),
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
        cautions.append(f"Low coverage: only {_pct(v.coverage)} of the expected answers were given.")
    if cautions:
        b.text(slide, " ".join(cautions), top=Inches(5.2), height=Inches(1.0), size=16, color=_CAUTION)

    slide = b.slide("Gaps to close first, items to discuss", surveyed=True)
    half = (WIDTH - 2 * MARGIN) // 2
    gaps = [
        f"{g.competency}{' (holds the overall stage back)' if g.holds_back else ''}: score {score_text(g.score)}, "
        f"target {g.target.name}, gap {_num(g.gap)}"
        for g in r.top_gaps
    ] or ["Every competency has reached its target."]
    talks = [
        f"{d.text} ({d.competency}, agreement rwg {_num(d.rwg)}{', polarised' if d.polarised else ''})"
        for d in r.top_discussion
    ] or ["No discussion items: the team agrees on every statement."]
    b.text(slide, "The gaps to close first", top=Inches(1.4), height=Inches(0.5), width=half, size=20, bold=True)
    b.bullets(slide, gaps, top=Inches(2.0), height=Inches(4.5), width=half - Inches(0.3))
    b.text(
        slide,
        "Items to discuss",
        top=Inches(1.4),
        height=Inches(0.5),
        left=MARGIN + half,
        width=half,
        size=20,
        bold=True,
    )
    b.bullets(slide, talks, top=Inches(2.0), height=Inches(4.5), left=MARGIN + half, width=half)


def _competencies(b: _Builder) -> None:
    v = b.report.view
    if not v.has_answers:
        return
    level = f"{v.confidence:.0%} interval"
    header = ("Competency", "Stage", "Score", level, "Coverage", "rwg(j)", "Target")
    rows = [
        (
            c.name,
            c.stage.name if c.stage else "not assessed",
            score_text(c.score, missing="–"),
            _interval(c.interval),
            _pct(c.coverage) + (" low" if c.low_coverage else ""),
            _num(c.rwg) + (" polarised" if c.polarised else ""),
            f"{c.target.name} ({c.target.number})" if c.target else "–",
        )
        for c in v.competencies
    ]
    for n, chunk in _chunks(rows, TABLE_ROWS):
        slide = b.slide("Competencies" + (" (continued)" if n else ""), surveyed=True)
        b.table(slide, header, chunk, (3.2, 2.2, 1.0, 1.6, 1.2, 1.2, 2.2))
    sentences = [s.sentence for s in b.report.sections]
    for n, lines in _chunks(sentences, LIST_ITEMS):
        slide = b.slide("Where each competency stands" + (" (continued)" if n else ""), surveyed=True)
        b.bullets(slide, lines, top=Inches(1.4), height=Inches(5.4), size=16)


def _charts(b: _Builder, images: Sequence[DrawnImage]) -> None:
    for image in images:
        slide = b.slide(image.chart.title, surveyed=True)
        b.text(slide, image.chart.description, top=Inches(1.2), height=Inches(0.8), size=14, color=_MUTED)
        b.picture(slide, image, top=Inches(2.0), height=Inches(4.9))


def _plan(b: _Builder, images: Sequence[DrawnImage]) -> None:
    p = b.report.plan
    if p is None:
        slide = b.slide("Plan")
        b.text(
            slide,
            "No plan has been saved for this assessment yet. A plan turns these results into initiatives, "
            "period by period, within a budget and capacity.",
            top=Inches(1.5),
            height=Inches(1.5),
            size=20,
        )
        return
    made = f", made {p.made_at.strftime('%Y-%m-%d')}" if p.made_at else ""
    capacity = _money(p.capacity) if p.capacity is None else f"{p.capacity:.1f} person-months"
    summary = (
        f"{f'Plan version {p.version}' if p.version else 'The plan'}{made}: {p.summary}. {len(p.items)} "
        f"initiative{'s' if len(p.items) != 1 else ''} over {p.horizon} periods (quarters); budget per period "
        f"{_money(p.budget)}, capacity per period {capacity}. In all: cost {_money(p.total_cost)}, effort "
        f"{p.total_effort:.1f} person-months."
    )
    timeline = [i for i in images if i.chart.id == "chart-plan-timeline"]
    slide = b.slide("Plan timeline" if timeline else "Plan")
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
        slide = b.slide("Initiatives" + (" (continued)" if n else ""))
        b.table(
            slide,
            ("Periods", "Initiative", "Competency", "Owner", "Cost", "Kind"),
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
            row.stage or (row.withheld_reason or "not assessed"),
            score_text(row.score, missing="–"),
            _interval(row.interval),
        )
        for row in u.rows
    ]
    for n, chunk in _chunks(rows, TABLE_ROWS):
        slide = b.slide(f"Units: {u.campaign}" + (" (continued)" if n else ""), surveyed=True)
        b.table(slide, ("Unit", "Respondents", "Stage", "Score", "Interval"), chunk, (4.0, 1.6, 3.0, 1.2, 1.8))
        notes = [english(n) for n in u.notes] + (["Unit names are hidden in shared views."] if u.names_hidden else [])
        if notes:
            b.text(slide, " ".join(notes), top=HEIGHT - Inches(1.2), height=Inches(0.6), size=12, color=_MUTED)
    if not u.competencies or not u.rows:
        return
    # One column per competency: each cell the unit's score over its interval, so a reader sees how sure it is.
    cells: list[tuple[str, ...]] = [
        (
            "    " * row.depth + row.name,
            *(
                "not assessed" if c.score is None else f"{score_text(c.score)} ({_interval(c.interval)})"
                for c in row.competencies
            ),
        )
        for row in u.rows
    ]
    for m, part in _chunks(cells, TABLE_ROWS):
        slide = b.slide(f"Units by competency: {u.campaign}" + (" (continued)" if m else ""), surveyed=True)
        b.table(
            slide,
            ("Unit", *u.competencies),
            part,
            (3.0, *[9.3 / len(u.competencies)] * len(u.competencies)),
        )
        b.text(
            slide,
            f"Each cell: the unit's score and its {u.confidence * 100:.0f}% interval.",
            top=HEIGHT - Inches(1.2),
            height=Inches(0.6),
            size=12,
            color=_MUTED,
        )


def _outcomes(b: _Builder, images: Sequence[DrawnImage]) -> None:
    """Maturity over time beside the customer outcomes (the scorecard's charts), one chart per slide."""
    for image in images:
        slide = b.slide(f"Customer outcomes: {image.chart.title}", surveyed=True)
        b.text(slide, image.chart.description, top=Inches(1.2), height=Inches(0.8), size=14, color=_MUTED)
        b.picture(slide, image, top=Inches(2.0), height=Inches(4.9))


def _workshop(b: _Builder) -> None:
    w = b.report.workshop
    if w is None:
        return
    r = w.record
    slide = b.slide("Workshop: as surveyed and as agreed")
    b.text(
        slide,
        f"The other slides show the results as surveyed. In workshop {r.workshop_id} ({r.participants} participants) "
        f"the team agreed on {len(r.agreed)} answer{'s' if len(r.agreed) != 1 else ''}; scoring the survey's answers "
        "with the agreed ones in place gives the result as agreed.",
        top=Inches(1.2),
        height=Inches(0.9),
        size=14,
    )
    rows = [
        (english(row.name), english(row.surveyed), english(row.agreed) + (" (changed)" if row.changed else ""))
        for row in w.rows
    ]
    b.table(slide, ("Competency", "As surveyed", "As agreed"), rows[:TABLE_ROWS], (4.0, 3.0, 3.0), top=Inches(2.2))
    commitments = [f"{c.who + ': ' if c.who else ''}{c.what} (by {c.by_when}): {c.outcome}" for c in r.commitments]
    if r.kept_summary:
        commitments.insert(0, r.kept_summary + (f", as reviewed at {r.reviewed_in}" if r.reviewed_in else ""))
    steps = [f"{s.title} (owner: {s.owner})" for s in r.next_steps]
    if commitments or steps:
        slide = b.slide("Workshop: commitments and next steps")
        half = (WIDTH - 2 * MARGIN) // 2
        b.text(slide, "Commitments", top=Inches(1.4), height=Inches(0.5), width=half, size=20, bold=True)
        b.bullets(
            slide,
            commitments[:LIST_ITEMS] or ["No public commitments."],
            top=Inches(2.0),
            height=Inches(4.5),
            width=half - Inches(0.3),
        )
        b.text(
            slide, "Next steps", top=Inches(1.4), height=Inches(0.5), left=MARGIN + half, width=half, size=20, bold=True
        )
        b.bullets(
            slide, steps[:LIST_ITEMS] or ["None."], top=Inches(2.0), height=Inches(4.5), left=MARGIN + half, width=half
        )


def render_pptx(report: Report, images: DeckImages | None = None) -> bytes:
    """Return the report as a PPTX deck (16:9): cover, executive summary, competencies, charts, plan, units (when
    the report has them), customer outcomes (when the organization holds any) and the workshop's agreed result (when
    one was run)."""
    images = images or draw(report)
    b = _Builder(report)
    _cover(b)
    _summary(b)
    _competencies(b)
    _charts(b, images.results)
    _plan(b, images.plan)
    _units(b)
    _outcomes(b, images.outcomes)
    _workshop(b)
    out = io.BytesIO()
    b.deck.save(out)
    return out.getvalue()
