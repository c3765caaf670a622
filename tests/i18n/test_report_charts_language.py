"""The executive report (HTML and PDF) in German, French and Spanish with every optional part (plan, peers, units,
progress, customer outcomes, workshop): no sentence of the English report left (apart from what people typed), every
chart's title, description, text alternative and drawn texts in the report's language, and the numbers Vega draws
itself (axis ticks) with the locale's decimal sign. SYNTHETIC demo answers and outcomes."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from cxmaturity.reporting.render_html import DrawnCharts, draw, render_html
from cxmaturity.reporting.report import Report
from cxmaturity.reporting.svg import DrawnChart
from tests.i18n.full_report import ENGLISH_DECIMAL, TYPED, full_report
from tests.reporting import pdf_tools

LANGUAGES = ("en", "de", "fr", "es")
#: The typed or data texts of this report beyond the deck's (``TYPED``): a comment, a group, the framework's id.
DATA = TYPED | {"Front line", "Leadership team", "SYNTHETIC comment.", "four-competencies", "We checked"}
#: A custom metric's axis: its typed label with its unit sign, alike in every language.
DATA |= {"Repeat purchase rate (%)"}
#: Words that are the same in English and the language: the French for NPS points is "points".
ALIKE = {"de": set(), "fr": {"NPS (points)"}, "es": set()}


@dataclass(frozen=True)
class Rendered:
    report: Report
    drawn: DrawnCharts
    html: str

    @property
    def charts(self) -> tuple[DrawnChart, ...]:
        d = self.drawn
        return (*d.results, *d.plan, *d.progress, *d.peers, *d.outcomes)


@pytest.fixture(scope="module")
def rendered() -> dict[str, Rendered]:
    made = {}
    for language in LANGUAGES:
        # Drawn and rendered with English active, as a report job's child process does: nothing may depend on the
        # locale active when the report is drawn, only on the report's own language.
        model = full_report(language)
        drawn = draw(model)
        made[language] = Rendered(model, drawn, render_html(model, drawn))
    return made


def _texts(document: str) -> set[str]:
    """Every text a reader meets: element text (the charts' drawn texts too), titles, aria labels, alt texts."""
    document = re.sub(r"<style.*?</style>", "", document, flags=re.S)
    found = [*re.split(r"<[^>]+>", document), *re.findall(r'(?:aria-label|title|alt)="([^"]*)"', document)]
    return {" ".join(html.unescape(t).split()) for t in found} - {""}


def _sentences(texts: set[str]) -> set[str]:
    """Texts of at least two words: single words (names, "Plan", "Workshop") may read alike in two languages."""
    return {t for t in texts if len(re.findall(r"[^\W\d_]{2,}", t)) >= 2}


def _drawn_texts(chart: DrawnChart) -> list[str]:
    """The texts Vega drew into a chart's SVG: axis ticks and titles, legends, marks' labels."""
    return [html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", chart.svg)]


def test_the_report_has_every_part_and_chart_to_compare(rendered: dict[str, Rendered]) -> None:
    english = rendered["en"]
    anchors = [a for a, _ in english.report.headings]
    for part in ("plan", "peers", "units", "progress", "outcomes", "workshop"):
        assert part in anchors
    d = english.drawn
    for charts in (d.results, d.plan, d.progress, d.peers):
        assert charts
    assert len(d.outcomes) == 3
    assert "Competencies by unit" in english.html
    # Every language has the same charts, in the same order.
    for language in LANGUAGES:
        assert [c.id for c in rendered[language].charts] == [c.id for c in english.charts]
    assert len(_sentences(_texts(english.html))) > 200


@pytest.mark.parametrize("language", ["de", "fr", "es"])
def test_no_english_sentence_is_left_in_the_translated_report(rendered: dict[str, Rendered], language: str) -> None:
    english, translated = _sentences(_texts(rendered["en"].html)), _sentences(_texts(rendered[language].html))
    assert sorted(english & translated - DATA - ALIKE[language]) == []
    # The earlier plan's initiatives (progress section): named in the report's language, their status in words.
    view = rendered[language].report.progress
    assert view is not None
    assert view.initiatives
    english_titles = {i.title for i in rendered["en"].report.progress.initiatives}  # type: ignore[union-attr]
    assert english_titles.isdisjoint(i.title for i in view.initiatives)


@pytest.mark.parametrize("language", ["de", "fr", "es"])
def test_every_chart_speaks_the_reports_language(rendered: dict[str, Rendered], language: str) -> None:
    """Titles, descriptions, text alternatives (the SVG's aria-label) and the texts drawn in each chart."""
    for english, translated in zip(rendered["en"].charts, rendered[language].charts, strict=True):
        assert translated.title != english.title, english.id
        assert translated.description != english.description, english.id
        assert translated.chart.spec.get("description") != english.chart.spec.get("description"), english.id
        drawn = _sentences(set(_drawn_texts(english))) & _sentences(set(_drawn_texts(translated)))
        assert sorted(drawn - DATA - ALIKE[language]) == [], english.id


def test_the_outcome_charts_are_drawn_in_german(rendered: dict[str, Rendered]) -> None:
    german = {c.id: c for c in rendered["de"].drawn.outcomes}
    maturity = german["chart-scorecard-maturity"]
    assert maturity.title == "Reife im Zeitverlauf"
    assert "Gesamtwert" in _drawn_texts(maturity)
    assert "90 %-Intervall 2,10 bis 2,60" in maturity.chart.spec["description"].replace("\xa0", " ")
    nps = german["chart-scorecard-nps"]
    assert nps.title == "NPS nach Quartal"
    assert "NPS (Punkte)" in _drawn_texts(nps)
    assert "Letzte Veränderung: verbessert." in nps.chart.spec["description"]
    repeat = german["chart-scorecard-operational-repeat-rate"]
    assert "2026-Q3 41,5\xa0%." in repeat.chart.spec["description"]


@pytest.mark.parametrize("language", ["de", "fr", "es"])
def test_the_numbers_drawn_on_the_charts_follow_the_locale(rendered: dict[str, Rendered], language: str) -> None:
    """Vega formats axis ticks itself: English "2.2" on the maturity axis, "2,2" in German, French and Spanish."""
    english = [t for c in rendered["en"].charts for t in _drawn_texts(c)]
    translated = [t for c in rendered[language].charts for t in _drawn_texts(c)]
    assert any(ENGLISH_DECIMAL.fullmatch(t) for t in english)  # the comparison is not empty
    assert [t for t in translated if ENGLISH_DECIMAL.search(t)] == []
    assert any(re.fullmatch(r"\d,\d", t) for t in translated)
    # Percentages as the locale writes them ("89 %", with a no-break space), in the drawn texts as in the tables.
    assert any(re.search(r"\d%", t) for t in english)
    assert [t for t in translated if re.search(r"\d%", t)] == []
    assert any(re.search(r"\d\xa0%", t) for t in translated)
    # The text alternatives too (written by the chart's own code, with the locale's decimal sign).
    alternatives = " ".join(str(c.chart.spec.get("description", "")) for c in rendered[language].charts)
    assert ENGLISH_DECIMAL.findall(alternatives) == []


def test_the_units_table_by_competency_is_translated(rendered: dict[str, Rendered]) -> None:
    german = rendered["de"].html
    section = german[german.index('id="units-competencies"') :]
    section = section[: section.index("</table>")]
    assert "Kompetenzen nach Einheit" in section
    assert '<th scope="col">Einheit</th>' in section
    assert "Jede Zelle: der Wert der Einheit und sein 90 %-Intervall." in html.unescape(section).replace("\xa0", " ")


def test_the_german_pdf_has_no_english_sentence_and_german_chart_numbers(
    rendered: dict[str, Rendered], tmp_path: Path
) -> None:
    """The PDF's text layer (poppler's pdftotext) holds the charts' drawn texts as text: German ones, no English
    sentence of the English report and no English decimal but in the plan's reasons (written when the plan was
    made) and a typed text."""
    from cxmaturity.reporting.render_pdf import PdfUnavailable, render_pdf

    german = rendered["de"]
    pdf = tmp_path / "report-de.pdf"
    try:
        pdf.write_bytes(render_pdf(german.report, "a4", german.drawn))
    except PdfUnavailable as exc:
        pytest.skip(str(exc))
    text = pdf_tools.text(pdf)
    assert "Reife im Zeitverlauf" in text
    assert "Kompetenzen nach Einheit" in text
    english = _sentences(_texts(rendered["en"].html)) - DATA - _sentences(_texts(german.html))
    assert sorted(s for s in english if s in text) == []
    assert german.report.plan is not None
    reasons = " ".join(i.reason for i in german.report.plan.items)
    assert {m for m in ENGLISH_DECIMAL.findall(text) if m not in reasons} == set()
    # The maturity axis's ticks, drawn by Vega, as German writes them.
    assert {"2,2", "2,4", "2,6", "2,8", "3,2"} <= set(text.split())
    # The running footer and header of every page (the print stylesheet's texts).
    pages = pdf_tools.info(pdf).pages
    assert f"Seite 1 von {pages}" in pdf_tools.text(pdf, 1)
    assert f"Seite {pages} von {pages}" in pdf_tools.text(pdf, pages)
    assert "SYNTHETISCHE DATEN" in pdf_tools.text(pdf, 2)
    assert "Page " not in text
    assert "SYNTHETIC DATA" not in text
