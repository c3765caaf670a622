"""The executive slides (PPTX) of the SYNTHETIC demo, read back with python-pptx: the slides in order, every text a
real text (text boxes and tables, no picture of text), the charts as PNG pictures with their numbers in words as the
text alternative, and the numbers of the view model (``reporting.view``) on the slides."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from cxmaturity.demo import SYNTHETIC_LABEL, demo_responses
from cxmaturity.frameworks import load_builtin
from cxmaturity.reporting import report as reporting
from cxmaturity.reporting import svg
from cxmaturity.reporting.render_pptx import TABLE_ROWS, deck_charts, render_pptx
from cxmaturity.reporting.report import Report
from cxmaturity.reporting.units_summary import UnitRow, UnitsSummary
from cxmaturity.scoring import ScoringOptions, score
from cxmaturity.scoring.display import score_text
from cxmaturity.scoring.responses import MISSING
from tests.reporting import pptx_tools
from tests.reporting.pptx_tools import SlideContent
from tests.reporting.test_report_render import NOW, demo_report

FW = load_builtin("xm-six-competencies")


@pytest.fixture(scope="module")
def model() -> Report:
    return demo_report(FW)


@pytest.fixture(scope="module")
def slides(model: Report) -> tuple[SlideContent, ...]:
    return pptx_tools.read(render_pptx(model))


def _slide(slides: tuple[SlideContent, ...], title: str) -> SlideContent:
    found = [s for s in slides if s.title == title]
    assert len(found) == 1, pptx_tools.titles(slides)
    return found[0]


def test_it_has_the_executive_slides_in_order(model: Report, slides: tuple[SlideContent, ...]) -> None:
    charts, plan_charts = deck_charts(model)
    assert model.plan is not None
    assert pptx_tools.titles(slides) == [
        model.view.title,
        "Executive summary",
        "Gaps to close first, items to discuss",
        "Competencies",
        "Where each competency stands",
        *[c.title for c in charts],
        "Plan timeline",
        *[c.title for c in plan_charts if c.id != "chart-plan-timeline"],
        *["Initiatives" + (" (continued)" if n else "") for n in range(-(-len(model.plan.items) // TABLE_ROWS))],
    ]
    assert [c.id for c in charts] == ["chart-radar", "chart-heatmap", "chart-groups"]
    cover = slides[0].all_text
    assert "Example Retail Co." in cover
    assert SYNTHETIC_LABEL in cover
    # Every slide after the cover says whose deck it is and that the data are invented.
    assert all("Example Retail Co." in s.all_text and SYNTHETIC_LABEL in s.all_text for s in slides[1:])


def test_it_keeps_texts_as_text_and_charts_as_pictures(model: Report, slides: tuple[SlideContent, ...]) -> None:
    text = "\n".join(s.all_text for s in slides)
    assert model.overall_sentence in text
    for section in model.sections:
        assert section.sentence in text
        assert section.competency.name in text
    for gap in model.top_gaps:
        assert gap.competency in text
    for item in model.top_discussion:
        assert item.text in text
    charts, plan_charts = deck_charts(model)
    pictures = [p for s in slides for p in s.pictures]
    # The only pictures are the charts: no text is drawn as an image.
    assert [p.name for p in pictures] == [c.id for c in (*charts, *plan_charts)]
    for picture, chart in zip(pictures, (*charts, *plan_charts), strict=True):
        assert picture.content_type == "image/png"
        assert picture.data.startswith(b"\x89PNG\r\n\x1a\n")
        assert len(picture.data) > 5_000  # a drawn chart, not an empty image
        assert picture.alt == svg.text_alternative(chart)
        assert picture.inside
    # The radar's text alternative names every competency's score.
    radar = pictures[0].alt
    for c in model.view.competencies:
        assert c.name in radar


def test_it_shows_the_view_models_numbers(model: Report, slides: tuple[SlideContent, ...]) -> None:
    v = model.view
    summary = _slide(slides, "Executive summary").all_text
    assert v.overall.stage is not None
    assert v.overall.stage.name in summary
    assert score_text(v.overall.score) in summary
    assert str(v.respondents) in summary
    assert v.overall.interval is not None
    assert f"{v.overall.interval[0]:.2f}–{v.overall.interval[1]:.2f}" in summary
    (table,) = _slide(slides, "Competencies").tables
    assert table[0] == ("Competency", "Stage", "Score", "90% interval", "Coverage", "rwg(j)", "Target")
    assert len(table) == len(v.competencies) + 1
    for row, c in zip(table[1:], v.competencies, strict=True):
        assert c.stage is not None
        assert c.interval is not None
        assert row[:4] == (c.name, c.stage.name, score_text(c.score), f"{c.interval[0]:.2f}–{c.interval[1]:.2f}")
        assert row[4].startswith(f"{c.coverage:.0%}")
    plan_rows = [row for s in slides if s.title.startswith("Initiatives") for row in s.tables[0][1:]]
    assert model.plan is not None
    assert [(r[0], r[1], r[3]) for r in plan_rows] == [(i.periods, i.title, i.owner or "–") for i in model.plan.items]
    timeline = _slide(slides, "Plan timeline").all_text
    assert f"{len(model.plan.items)} initiatives over {model.plan.horizon} periods" in timeline


def test_it_shows_units_when_the_report_has_them(model: Report) -> None:
    units = UnitsSummary(
        "Spring store survey",
        (
            UnitRow("Example Retail Co.", 0, 40, "Emerging", 1.5432, (1.2, 1.8)),
            UnitRow("North", 1, 22, "Developing", 2.0, (1.7, 2.3)),
            UnitRow("Store 7", 2, 2, None, None, withheld_reason="fewer than 5 respondents"),
        ),
        notes=("1 unit withheld: fewer than 5 respondents.",),
    )
    result = score(demo_responses(FW), ScoringOptions(bootstrap=0))
    with_units = reporting.build(
        result, FW, title="Units", organization="Example Retail Co.", generated_at=NOW, units=units
    )
    slides = pptx_tools.read(render_pptx(with_units))
    slide = _slide(slides, "Units: Spring store survey")
    (table,) = slide.tables
    assert table[1] == ("Example Retail Co.", "40", "Emerging", "1.54", "1.20–1.80")
    assert table[2][0] == "    North"
    assert table[3][2:4] == ("fewer than 5 respondents", "–")
    assert "1 unit withheld" in slide.all_text
    assert not any(s.title.startswith("Units") for s in pptx_tools.read(render_pptx(model)))


def test_it_says_there_is_nothing_yet_without_answers() -> None:
    matrix = demo_responses(FW)
    empty = dataclasses.replace(matrix, answers=np.full_like(matrix.answers, MISSING), comments=())
    result = score(empty, ScoringOptions(bootstrap=0))
    bare = reporting.build(result, FW, title="Empty", organization="Nobody yet", generated_at=NOW)
    slides = pptx_tools.read(render_pptx(bare))
    assert pptx_tools.titles(slides) == ["Empty", "Executive summary", "Plan"]
    assert "No usable answers yet" in slides[1].all_text
    assert "No plan has been saved" in slides[2].all_text
    assert not any(s.pictures for s in slides)
