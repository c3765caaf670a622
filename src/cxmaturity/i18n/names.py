"""Languages named the way their speakers name them, for language pickers."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from babel import Locale, UnknownLocaleError


@cache
def native_name(code: str) -> str:
    """``Deutsch`` for ``de``, ``français`` capitalized as ``Français``; the code itself when CLDR does not know it."""
    try:
        locale = Locale.parse(code, sep="-")
    except (UnknownLocaleError, ValueError):
        return code
    name = locale.get_display_name(locale) or code
    return name[:1].upper() + name[1:]


def language_choices(codes: Iterable[str]) -> list[tuple[str, str]]:
    """Return (code, native name) for each language code, in the order given."""
    return [(code, native_name(code)) for code in codes]
