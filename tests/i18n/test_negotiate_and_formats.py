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
