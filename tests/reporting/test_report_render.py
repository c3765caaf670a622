"""Each built-in framework's SYNTHETIC demo assessment as an HTML report and a PDF report, read back with poppler:
page size, no blank page, every heading and competency in the text layer, the contents list's page numbers, a
one-page executive summary, and an HTML file that needs nothing outside itself."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cxmaturity.demo import SYNTHETIC_LABEL, demo_responses
from cxmaturity.frameworks import Framework, builtin_ids, load_builtin
from cxmaturity.planning import PlanRequest
from cxmaturity.planning.optimizer import make_plan
from cxmaturity.reporting import report as reporting
from cxmaturity.reporting.render_html import DrawnCharts, draw, render_html
from cxmaturity.reporting.render_pdf import render_pdf
from cxmaturity.reporting.report import Logo, Report
from cxmaturity.scoring import ScoringOptions, score
from cxmaturity.services.results import Comment
from tests.reporting import pdf_tools

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
#: A 1×1 PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c63e08e59fb1f00039e02148"
    "8d2b2700000000049454e44ae426082"
)
HEADINGS = ("Contents", "Executive summary", "Competencies", "Charts", "Plan", "Methodology")
A4 = (210 * pdf_tools.PT_PER_MM, 297 * pdf_tools.PT_PER_MM)
LETTER = (612.0, 792.0)


@dataclass(frozen=True)
class Rendered:
    fw: Framework
    report: Report
    drawn: DrawnCharts
    html: str
    pdf: Path


def demo_report(fw: Framework) -> Report:
    result = score(demo_responses(fw), ScoringOptions(bootstrap=200))
    plan = make_plan(fw, result, PlanRequest())
    first = fw.competencies[0].indicators[0].key
    return reporting.build(
        result,
        fw,
        title=f"{fw.text(fw.name)} demo",
        organization="Example Retail Co.",
        generated_at=NOW,
        synthetic_label=SYNTHETIC_LABEL,
        comments=[Comment(first, fw.competencies[0].key, "Front line", "We rarely hear back from customers.")],
        plan=plan,
        plan_version=1,
        plan_made_at=NOW,
        logo=Logo("image/png", PNG),
    )


@pytest.fixture(scope="module", params=builtin_ids())
def rendered(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    fw = load_builtin(request.param)
    model = demo_report(fw)
    drawn = draw(model)
    pdf = tmp_path_factory.mktemp(fw.id) / "report.pdf"
    pdf.write_bytes(render_pdf(model, "a4", drawn))
    return Rendered(fw, model, drawn, render_html(model, drawn), pdf)


def test_it_makes_an_a4_pdf_without_a_blank_page(rendered: Rendered) -> None:
    info = pdf_tools.info(rendered.pdf)
    assert info.size == pytest.approx(A4, abs=0.5)
    images = pdf_tools.page_images(rendered.pdf)
    assert len(images) == info.pages >= 6
    blank = [n for n, png in enumerate(images, 1) if pdf_tools.ink(png) < 0.003]
    assert blank == []


def test_it_puts_every_heading_and_competency_in_the_text_layer(rendered: Rendered) -> None:
    text = pdf_tools.text(rendered.pdf)
    fw = rendered.fw
    for heading in (*HEADINGS, "The three gaps to close first", "Three items to discuss", "Anonymity", "Scoring rule"):
        assert heading in text
    for comp in fw.competencies:
        assert " ".join(fw.text(comp.name).split()) in text
    assert "SYNTHETIC" in text
    assert "Example Retail Co." in text
    # Chart text stays text: axis titles and legend entries of the drawn charts.
    assert "Share of answers" in text
    assert "Current score" in text


def test_it_numbers_pages_and_lists_them_in_the_contents(rendered: Rendered) -> None:
    pages = pdf_tools.info(rendered.pdf).pages
    contents = pdf_tools.text(rendered.pdf, 1)
    assert f"Page 1 of {pages}" in contents
    for anchor, heading in rendered.report.headings:
        found = re.search(rf"{re.escape(heading)} ?\.+ ?(\d+)", contents)
        assert found, heading
        page = int(found.group(1))
        assert heading in pdf_tools.text(rendered.pdf, page), (anchor, page)
    for section in rendered.report.sections:
        name = " ".join(section.competency.name.split())
        found = re.search(rf"{re.escape(name)} ?\.+ ?(\d+)", contents)
        assert found, name
        assert name in pdf_tools.text(rendered.pdf, int(found.group(1)))


def test_it_keeps_the_executive_summary_to_one_page(rendered: Rendered) -> None:
    pages = [pdf_tools.text(rendered.pdf, n) for n in range(1, 4)]
    assert "Executive summary" in pages[1]
    summary = pages[1]
    for section in rendered.report.sections:
        assert " ".join(section.sentence.split())[:60] in summary
    for item in rendered.report.top_discussion:
        assert " ".join(item.text.split())[:50] in summary
    # The next section, its heading followed by its table's header, starts on the next page.
    assert "Competencies Competency Stage Score" in pages[2]


def test_it_writes_one_html_file_that_needs_nothing_else(rendered: Rendered) -> None:
    html = rendered.html
    assert html.startswith("<!DOCTYPE html>")
    assert f'<html lang="{rendered.fw.language}">' in html
    assert "<script" not in html.lower()
    # Nothing to fetch: no external source, stylesheet, font or link (the contents list links within the file).
    assert not re.search(r"""(src|href)\s*=\s*["'](?!#|data:)""", html)
    assert "url(" not in html.replace("url(#chart-", "")
    assert "@import" not in html
    for chart in (*rendered.drawn.results, *rendered.drawn.plan):
        assert f'data-chart="{chart.id}"><svg role="img"' in html
    assert html.count("<svg") == len(rendered.drawn.results) + len(rendered.drawn.plan)
    assert 'src="data:image/png;base64,' in html
    assert "SYNTHETIC" in html


def test_it_makes_a_letter_pdf(tmp_path: Path) -> None:
    model = demo_report(load_builtin("yohn-cx-maturity"))  # the longest indicator texts
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(render_pdf(model, "letter"))
    assert pdf_tools.info(pdf).size == pytest.approx(LETTER, abs=0.5)
    assert all(pdf_tools.ink(png) >= 0.003 for png in pdf_tools.page_images(pdf))
    # The shorter page still holds the whole executive summary: the next section starts on page 3.
    assert "Executive summary" in pdf_tools.text(pdf, 2)
    assert "Competencies Competency Stage Score" in pdf_tools.text(pdf, 3)


def test_it_escapes_names_titles_and_comments(tmp_path: Path) -> None:
    fw = load_builtin("xm-six-competencies")
    result = score(demo_responses(fw), ScoringOptions(bootstrap=0))
    attack = "<script>alert('x')</script>"
    model = reporting.build(
        result,
        fw,
        title=f"Q3 {attack}",
        organization=f"Evil & Co {attack}",
        generated_at=NOW,
        comments=[Comment(fw.indicator_keys[0], fw.competencies[0].key, None, f"Hi {attack}")],
    )
    html = render_html(model)
    assert "<script" not in html
    assert html.count("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;") >= 3
    pdf = tmp_path / "escaped.pdf"
    pdf.write_bytes(render_pdf(model, "a4"))
    assert f"Evil & Co {attack}" in pdf_tools.text(pdf)


def test_it_reports_an_assessment_nobody_answered_yet() -> None:
    fw = load_builtin("xm-six-competencies")
    from cxmaturity.scoring import ResponseMatrix

    result = score(ResponseMatrix.empty(fw), ScoringOptions(bootstrap=0))
    model = reporting.build(result, fw, title="Not yet", organization="Example Co", generated_at=NOW)
    assert model.charts == ()
    html = render_html(model)
    assert "No usable answers yet" in html
    assert "<svg" not in html
    assert "No plan has been saved" in html


def test_it_shows_a_result_per_track_where_the_framework_has_tracks() -> None:
    yohn = render_html(demo_report(load_builtin("yohn-cx-maturity")))
    section = yohn[yohn.index('id="tracks-heading"') :]
    section = section[: section.index("</table>")]
    for name in ("Vision and Strategy", "Leadership and Alignment", "Organizational Readiness"):
        assert f'<th scope="row">{name}</th>' in section
    assert "Customer intimacy, Employee engagement, Skills, Systems and processes" in section
    assert 'id="tracks-heading"' not in render_html(demo_report(load_builtin("xm-six-competencies")))
