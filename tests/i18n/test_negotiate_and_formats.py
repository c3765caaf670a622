"""Choosing a language from a browser's Accept-Language header, and dates and numbers as each locale writes them."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from cxmaturity.i18n import format_date, format_decimal, format_percent, negotiate, use_locale
from cxmaturity.i18n.formats import format_day_time, format_iso_date, localized_number_text
from cxmaturity.i18n.names import language_choices

OFFERED = ("en", "de", "fr", "es")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("de-DE,de;q=0.9,en;q=0.8", "de"),
        ("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5", "fr"),
        ("it-IT,it;q=0.9,es;q=0.4", "es"),  # the first language on offer, by weight
        ("en;q=0.2, de;q=0.9", "de"),  # weights, not the order written
        ("de;q=0, fr", "fr"),  # q=0 means "not this one"
        ("ja, zh", None),
        ("*", None),
        ("", None),
        ("de;q=abc, es", "es"),  # a malformed weight counts as 0
    ],
)
def test_it_negotiates_the_browsers_language(header: str, expected: str | None) -> None:
    assert negotiate((), header, OFFERED) == expected


def test_an_explicit_choice_comes_before_the_browser() -> None:
    assert negotiate(["es"], "de", OFFERED) == "es"
    assert negotiate([None, "fr"], "de", OFFERED) == "fr"  # e.g. none chosen now, one stored before
    assert negotiate(["xx"], "de", OFFERED) == "de"  # a choice not on offer is ignored


def test_a_very_long_header_is_cut_short() -> None:
    header = ",".join(f"x{i}" for i in range(1000)) + ",de"
    assert negotiate((), header, OFFERED) is None


@pytest.mark.parametrize(
    ("locale", "day", "number", "share"),
    [
        ("en", "Dec 3, 2026", "1,234.50", "42%"),
        ("de", "03.12.2026", "1.234,50", "42\u00a0%"),
        ("fr", "3 déc. 2026", "1\u202f234,50", "42\u00a0%"),
        ("es", "3 dic 2026", "1.234,50", "42\u00a0%"),
    ],
)
def test_dates_and_numbers_follow_the_locale(locale: str, day: str, number: str, share: str) -> None:
    with use_locale(locale):
        assert format_date(date(2026, 12, 3)) == day
        assert format_decimal(1234.5) == number
        assert format_percent(0.42) == share
        assert localized_number_text("2.99") == ("2.99" if locale == "en" else "2,99")
        assert localized_number_text("–") == "–"


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en", "Dec 1, 2026, 9:05 AM"),
        ("de", "01.12.2026, 09:05"),
        ("fr", "1 déc. 2026, 09:05"),
        ("es", "1 dic 2026, 9:05"),
    ],
)
def test_a_day_and_time_reads_to_the_minute_in_the_locale(locale: str, expected: str) -> None:
    with use_locale(locale):
        # Babel writes a narrow no-break space before "AM": compared as a plain space.
        shown = " ".join(format_day_time(datetime(2026, 12, 1, 9, 5, 30, tzinfo=UTC)).split())
        assert shown == expected
        assert format_day_time(None) == ""


@pytest.mark.parametrize(
    ("locale", "expected"), [("en", "Jan 31, 2099"), ("de", "31.01.2099"), ("fr", "31 janv. 2099")]
)
def test_a_day_kept_as_iso_text_reads_in_the_locale_and_other_text_as_typed(locale: str, expected: str) -> None:
    with use_locale(locale):
        assert format_iso_date("2099-01-31") == expected
        assert format_iso_date(date(2099, 1, 31)) == expected
        assert format_iso_date("after the summer") == "after the summer"


def test_languages_are_named_in_their_own_words() -> None:
    assert language_choices(["en", "de", "fr", "es", "pt-BR"]) == [
        ("en", "English"),
        ("de", "Deutsch"),
        ("fr", "Français"),
        ("es", "Español"),
        ("pt-BR", "Português (Brasil)"),
    ]


@pytest.mark.parametrize("locale", ["en", "de", "fr", "es"])
def test_charts_take_their_month_and_day_names_and_date_patterns_from_babel(locale: str) -> None:
    # One source for dates: the d3 time locale the charts get (live ones through the page's locale block, the
    # report's through vl-convert) is Babel's, so a chart's "%b %Y" and "%x" read as the tables' dates.
    from cxmaturity.i18n.formats import d3_time_locale

    d3 = d3_time_locale(locale)
    with use_locale(locale):
        for month in range(1, 13):
            day = date(2025, month, 15)
            assert d3["months"][month - 1] == format_date(day, "MMMM")
            assert d3["shortMonths"][month - 1] == format_date(day, "MMM")
        sunday = date(2026, 11, 29)
        assert d3["days"][0] == format_date(sunday, "EEEE")
        assert d3["shortDays"][1] == format_date(date(2026, 11, 30), "EEE")
    assert {"dateTime", "date", "time", "periods"} <= d3.keys()


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("dd.MM.y", "%d.%m.%Y"),
        ("MMM d, y", "%b %-d, %Y"),
        ("h:mm:ss a", "%-I:%M:%S %p"),
        ("EEEE d 'de' MMMM 'de' y", "%A %-d de %B de %Y"),
        ("HH 'h' mm", "%H h %M"),
        ("d 'o''clock' 100%", "%-d o'clock 100%%"),
    ],
)
def test_a_cldr_pattern_reads_as_a_d3_time_format(pattern: str, expected: str) -> None:
    from cxmaturity.i18n.formats import _d3_pattern

    assert _d3_pattern(pattern) == expected


def test_the_live_charts_keep_no_tables_of_their_own() -> None:
    from pathlib import Path

    script = (Path(__file__).parents[2] / "src/cxmaturity/web/static/charts.js").read_text(encoding="utf-8")
    for name in ("Januar", "janvier", "enero", "Sonntag", "dimanche", "domingo"):
        assert name not in script


def test_the_reports_time_axis_is_written_with_babels_month_names() -> None:
    from cxmaturity.reporting import svg
    from cxmaturity.reporting.charts import Chart

    spec = {
        "data": {"values": [{"day": "2025-02-01", "y": 1}, {"day": "2026-02-01", "y": 2}]},
        "mark": "line",
        "encoding": {
            "x": {"field": "day", "type": "temporal", "axis": {"format": "%b %Y"}},
            "y": {"field": "y", "type": "quantitative"},
        },
    }
    drawn = str(svg.draw(Chart("chart-days", "Days", "Two days.", spec), language="de").svg)
    with use_locale("de"):
        october = format_date(date(2025, 10, 1), "MMM y")
    assert october == "Okt. 2025"
    assert f">{october}<" in drawn


def test_spanish_tables_group_four_digits_as_the_charts_d3_locale_does() -> None:
    # CLDR gives Spanish a minimum of two grouping digits (1000, but 10.000), which d3's locale cannot express; Babel
    # (the tables, and the d3 locale made from its signs) does not apply it, so tables and charts both write 1.000.
    # Should Babel start applying it, the charts would write 1.000 beside a table's 1000: this test says so first.
    from cxmaturity.i18n.formats import d3_number_locale

    with use_locale("es"):
        assert format_decimal(1000, 0) == "1.000"
        assert format_decimal(12345, 0) == "12.345"
    assert d3_number_locale("es")["thousands"] == "."
    assert d3_number_locale("es")["grouping"] == [3]
