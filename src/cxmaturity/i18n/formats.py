"""Dates and numbers written the way the active locale writes them (Babel's CLDR data)."""

from __future__ import annotations

from datetime import date, datetime

from babel import Locale, dates, numbers

from cxmaturity.i18n.catalogs import active_locale


def format_date(value: date | datetime | None, format: str = "medium") -> str:
    """``3 Dec 2026`` in English, ``03.12.2026`` in German; an empty string for no date."""
    if value is None:
        return ""
    return dates.format_date(value, format=format, locale=active_locale())


def format_datetime(value: datetime | None, format: str = "medium") -> str:
    if value is None:
        return ""
    return dates.format_datetime(value, format=format, locale=active_locale())


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
