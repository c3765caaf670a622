"""Dates and numbers written the way the active locale writes them (Babel's CLDR data)."""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import cache
from typing import Any

from babel import Locale, dates, numbers

from cxmaturity.i18n.catalogs import active_locale


def format_date(value: date | datetime | None, format: str = "medium") -> str:
    """``3 Dec 2026`` in English, ``03.12.2026`` in German; an empty string for no date."""
    if value is None:
        return ""
    return dates.format_date(value, format=format, locale=active_locale())


def format_iso_date(text: str | date) -> str:
    """A day kept as ISO text (``2099-01-31``, as workshop records store a commitment's "by when") written as
    ``format_date`` writes it; any other text is shown as it was typed rather than refused on a page."""
    if isinstance(text, date):
        return format_date(text)
    try:
        return format_date(date.fromisoformat(text.strip()))
    except ValueError:
        return text


def format_datetime(value: datetime | None, format: str = "medium") -> str:
    if value is None:
        return ""
    return dates.format_datetime(value, format=format, locale=active_locale())


def format_day_time(value: datetime | None) -> str:
    """``Dec 1, 2026, 9:00 AM`` in English, ``01.12.2026, 09:00`` in German: the day as ``format_date`` writes it
    and the time to the minute (a moment people set, a workshop's start, has no seconds worth reading), joined as
    the locale joins a day and a time. Naive values are taken as UTC, as Babel takes them."""
    if value is None:
        return ""
    locale = Locale.parse(active_locale())
    time = dates.format_time(value, format="short", locale=locale)
    day = dates.format_date(value, format="medium", locale=locale)
    # CLDR's pattern ("{1}, {0}") may quote literal words; Babel's own format_datetime drops the quotes alike.
    return str(locale.datetime_formats["medium"]).replace("'", "").replace("{0}", time).replace("{1}", day)


def format_decimal(value: float | int | None, digits: int = 2) -> str:
    """``1,234.50`` in English, ``1.234,50`` in German: exactly ``digits`` decimals, so that columns line up."""
    if value is None:
        return ""
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return numbers.format_decimal(value, format=pattern, locale=active_locale(), decimal_quantization=True)


def localized_number_text(text: str) -> str:
    """Rewrite a plain number already formatted (``2.35``, from scoring/display.py's floored scores) with the
    locale's decimal sign, so that flooring stays in one place; any other text is returned as it is."""
    try:
        float(text)
    except ValueError:
        return text
    return text.replace(".", numbers.get_decimal_symbol(active_locale()))


def format_percent(value: float | None, digits: int = 0) -> str:
    """A share (0.42) as ``42%`` in English, ``42 %`` in German and French."""
    if value is None:
        return ""
    locale = active_locale()
    # The locale's own pattern keeps its spacing ("42 %" in German, a narrow space in French); only the decimals
    # are set here.
    pattern = Locale.parse(locale).percent_formats[None].pattern
    if digits:
        pattern = pattern.replace("#,##0", "#,##0." + "0" * digits, 1)
    return numbers.format_percent(value, format=pattern, locale=locale)


@cache
def d3_number_locale(language: str) -> dict[str, Any]:
    """The d3-format locale that makes Vega (charts drawn by vl-convert) write numbers as ``format_decimal`` and
    ``format_percent`` do in ``language``: Babel's decimal and grouping signs and its percent sign with its spacing
    (``2,5``, ``1.234``, ``42 %`` in German), so a chart's axis and the table beside it agree."""
    locale = Locale.parse(language)
    return {
        "decimal": numbers.get_decimal_symbol(locale),
        "thousands": numbers.get_group_symbol(locale),
        "grouping": [3],
        "currency": ["", ""],
        "percent": percent_suffix(language),
    }


#: CLDR date-pattern fields (runs of one letter) as d3-time-format writes them; a field not listed is left out.
_D3_FIELDS = {
    "y": "%Y", "yyyy": "%Y", "yy": "%y",
    "M": "%-m", "MM": "%m", "MMM": "%b", "MMMM": "%B",
    "L": "%-m", "LL": "%m", "LLL": "%b", "LLLL": "%B",
    "d": "%-d", "dd": "%d",
    "E": "%a", "EE": "%a", "EEE": "%a", "EEEE": "%A",
    "H": "%-H", "HH": "%H", "h": "%-I", "hh": "%I",
    "m": "%-M", "mm": "%M", "s": "%-S", "ss": "%S",
    "a": "%p",
}  # fmt: skip
_CLDR_TOKEN = re.compile(r"'(?:[^']|'')*'|([A-Za-z])\1*|[^'A-Za-z]+")


def _d3_pattern(pattern: str) -> str:
    """A CLDR date or time pattern (``dd.MM.y``, ``h:mm:ss a``) as a d3-time-format specifier (``%d.%m.%Y``)."""
    out = []
    for m in _CLDR_TOKEN.finditer(pattern):
        token = m.group(0)
        if token.startswith("'"):
            out.append(token[1:-1].replace("''", "'").replace("%", "%%") if len(token) > 2 else "'")
        elif token[0].isalpha():
            out.append(_D3_FIELDS.get(token, ""))
        else:
            out.append(token.replace("%", "%%"))
    return "".join(out).strip()


@cache
def d3_time_locale(language: str) -> dict[str, Any]:
    """The d3-time-format locale that makes Vega write dates (a time axis's months and days: ``Dez. 2026``) as
    Babel writes them in ``language`` (``format_date``): the names of months, days and day periods and the medium
    date and time patterns, from the same CLDR data as the tables, so a chart needs no tables of its own."""
    locale = Locale.parse(language)
    sunday_first = (6, 0, 1, 2, 3, 4, 5)  # Babel counts days from Monday, d3 from Sunday
    day_periods = locale.day_periods["format"]["abbreviated"]
    day = _d3_pattern(locale.date_formats["medium"].pattern)
    time = _d3_pattern(locale.time_formats["medium"].pattern)
    return {
        "dateTime": str(locale.datetime_formats["medium"]).replace("'", "").replace("{1}", day).replace("{0}", time),
        "date": day,
        "time": time,
        "periods": [day_periods["am"], day_periods["pm"]],
        "days": [locale.days["format"]["wide"][i] for i in sunday_first],
        "shortDays": [locale.days["format"]["abbreviated"][i] for i in sunday_first],
        "months": [locale.months["format"]["wide"][i] for i in range(1, 13)],
        "shortMonths": [locale.months["format"]["abbreviated"][i] for i in range(1, 13)],
    }


def d3_locale(language: str) -> dict[str, Any]:
    """What a page hands its live charts (``static/charts.js``, the ``#number-locale`` block): how ``language``
    writes numbers (``d3_number_locale``) and dates (``d3_time_locale``)."""
    return {"number": d3_number_locale(language), "time": d3_time_locale(language)}


def percent_suffix(language: str | None = None) -> str:
    """What follows a number of percent in ``language`` (the active locale's when None), as ``format_percent`` writes
    it: ``%`` in English, a no-break space and ``%`` in German, French and Spanish."""
    pattern = Locale.parse(language or active_locale()).percent_formats[None].pattern
    return pattern.rsplit("0", 1)[-1] or "%"
