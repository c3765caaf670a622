"""The executive slides (PPTX) written in German, French and Spanish, read back with python-pptx: no sentence of the
English deck left (apart from what people typed, which reads alike in every language), no number with an English
decimal point, dates as the locale writes them, and the charts' own numbers drawn in the locale. The deck has every
optional part (plan, units, customer outcomes, workshop) so that every slide is compared. SYNTHETIC demo answers."""

from __future__ import annotations

import io
import re

import pytest
from pptx import Presentation

from cxmaturity.reporting import svg
from cxmaturity.reporting.charts import Chart
from cxmaturity.reporting.render_pptx import render_pptx
from tests.i18n.full_report import ENGLISH_DECIMAL, FW, TYPED, full_report
from tests.reporting import pptx_tools
from tests.reporting.pptx_tools import SlideContent


def _texts(slides: tuple[SlideContent, ...]) -> list[str]:
    """Every text a reader meets, paragraph by paragraph: titles, text boxes, table cells and the charts' text
    alternatives."""
    found: list[str] = []
    for s in slides:
        cells = [c for t in s.tables for row in t for c in row]
        for block in (s.title, *s.texts, *cells, *(p.alt for p in s.pictures)):
            found.extend(" ".join(line.split()) for line in block.split("\n"))
    return [t for t in found if t]


def _sentences(texts: list[str]) -> set[str]:
    """Texts of at least two words: single words (names, "Plan", "Workshop") may read alike in two languages."""
    return {t for t in texts if len(re.findall(r"[^\W\d_]{2,}", t)) >= 2}


@pytest.fixture(scope="module")
def decks() -> dict[str, tuple[bytes, tuple[SlideContent, ...]]]:
    made = {}
    for language in ("en", "de", "fr", "es"):
        data = render_pptx(full_report(language))
        made[language] = (data, pptx_tools.read(data))
    return made


def test_the_deck_has_every_part_to_compare(decks: dict[str, tuple[bytes, tuple[SlideContent, ...]]]) -> None:
    titles = pptx_tools.titles(decks["en"][1])
    for wanted in ("Executive summary", "Competencies", "Plan timeline", "Initiatives", "Units: Spring store survey"):
        assert wanted in titles, titles
    assert "Units by competency: Spring store survey" in titles
    assert any(t.startswith("Customer outcomes: ") for t in titles)
    assert "Workshop: as surveyed and as agreed" in titles
    assert "Workshop: commitments and next steps" in titles
    # German has as many slides, in the same order (only the words differ).
    assert len(decks["de"][1]) == len(decks["en"][1])
    assert len(_sentences(_texts(decks["en"][1]))) > 60


@pytest.mark.parametrize("language", ["de", "fr", "es"])
def test_no_english_sentence_is_left_in_the_translated_deck(
    decks: dict[str, tuple[bytes, tuple[SlideContent, ...]]], language: str
) -> None:
    english, translated = _sentences(_texts(decks["en"][1])), _sentences(_texts(decks[language][1]))
    assert sorted(english & translated - TYPED) == []


def test_the_german_deck_speaks_german(decks: dict[str, tuple[bytes, tuple[SlideContent, ...]]]) -> None:
    slides = decks["de"][1]
    titles = pptx_tools.titles(slides)
    assert "Zusammenfassung für die Geschäftsleitung" in titles, titles
    assert "Einheiten: Spring store survey" in titles
    assert "Workshop: laut Umfrage und laut Einigung" in titles
    text = "\n".join(_texts(slides))
    # The framework's own German names: the competencies and stages of four-competencies.
    local = FW.in_language("de")
    for c in local.competencies:
        assert local.text(c.name) in text
        assert FW.text(c.name) not in text  # the English name (the framework translates every one)
    assert "Ergebnisse laut Umfrage (vor den im Workshop vereinbarten Antworten)" in text
    assert "1 Einheit nicht aufgeführt, zurückgehalten" in text
    assert "Die Namen der Einheiten sind in geteilten Ansichten verborgen." in text
    # The workshop's commitments: the summary counted from their stored outcomes, and each one's outcome.
    summary = "1 von 2 öffentlichen Zusagen eingehalten, 1 noch nicht überprüft, wie überprüft in Spring 2027 check"
    assert summary in text
    assert "Map the returns journey (bis 01.02.2027): noch nicht überprüft" in text
    # The document properties too.
    props = Presentation(io.BytesIO(decks["de"][0])).core_properties
    assert props.language == "de"
    assert props.keywords == "SYNTHETISCH"
    assert props.subject.startswith("CX-Reifegradbericht: ")


@pytest.mark.parametrize(
    ("language", "day", "decimal"), [("de", "03.12.2026", ","), ("fr", "3 déc. 2026", ","), ("es", "3 dic 2026", ",")]
)
def test_numbers_and_dates_are_written_the_locales_way(
    decks: dict[str, tuple[bytes, tuple[SlideContent, ...]]], language: str, day: str, decimal: str
) -> None:
    english = "\n".join(_texts(decks["en"][1]))
    text = "\n".join(_texts(decks[language][1]))
    # The English deck has English decimals and dates, so the comparison is not empty.
    assert ENGLISH_DECIMAL.search(english)
    assert "Dec 3, 2026" in english
    assert ENGLISH_DECIMAL.findall(text) == []
    assert re.search(rf"\d{re.escape(decimal)}\d\d", text)
    assert day in decks[language][1][0].all_text  # the cover's date
    assert day in text
    assert "2026-12-03" not in text
    assert "Dec 3, 2026" not in text
    # A commitment's "by when" (ISO in the record) as the locale writes a day.
    by_when = {"de": "15.01.2027", "fr": "15 janv. 2027", "es": "15 ene 2027"}[language]
    assert by_when in text


def test_the_charts_numbers_are_drawn_in_the_decks_locale() -> None:
    """The PNG of a chart whose only texts are numbers differs between English and German (vl-convert formats them
    with the locale's decimal sign), and the d3 locale the slides ask for writes a German decimal comma."""
    import vl_convert

    spec = {
        "data": {"values": [{"x": 0.5, "y": 1.25}, {"x": 2.75, "y": 3.5}]},
        "mark": "point",
        "encoding": {
            "x": {"field": "x", "type": "quantitative", "title": None},
            "y": {"field": "y", "type": "quantitative", "title": None, "axis": {"format": ".2f"}},
        },
    }
    chart = Chart("chart-numbers", "Numbers", "Only numbers.", spec)
    english, german = svg.draw_png(chart, language="en"), svg.draw_png(chart, language="de")
    assert english == svg.draw_png(chart)  # English is the default
    assert german != english
    drawn = vl_convert.vegalite_to_svg(spec, format_locale="de-DE")
    assert ">1,50<" in drawn
    assert ">1.50<" not in drawn
