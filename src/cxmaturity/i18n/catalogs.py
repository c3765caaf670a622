"""The gettext catalogs and the locale that texts are translated into while a page, e-mail or report is made."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.support import NullTranslations, Translations

#: Where the catalogs live: ``locale/<lang>/LC_MESSAGES/messages.po`` (source) and ``.mo`` (compiled, committed).
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
DEFAULT_LOCALE = "en"
#: Languages with a complete catalog for the respondent pages, the e-mails and the report (tests/i18n checks it).
LOCALES: tuple[str, ...] = ("en", "de", "fr", "es")

_active: ContextVar[str] = ContextVar("cxm_locale", default=DEFAULT_LOCALE)


def N_(message: str) -> str:  # noqa: N802 (the gettext convention, known to the extractor)
    """Mark ``message`` for extraction without translating it now (module-level constants); translate on use."""
    return message


@cache
def translations_for(locale: str) -> NullTranslations:
    """Return the compiled catalog of ``locale``; English (the msgids themselves) for an unknown one."""
    if locale not in LOCALES or locale == DEFAULT_LOCALE:
        return NullTranslations()
    path = LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.mo"
    with path.open("rb") as fp:
        return Translations(fp, domain=DOMAIN)


def active_locale() -> str:
    return _active.get()


@contextmanager
def use_locale(locale: str | None) -> Iterator[str]:
    """Translate into ``locale`` inside the block (English when it is None or has no catalog)."""
    chosen = locale if locale in LOCALES else DEFAULT_LOCALE
    token = _active.set(chosen)
    try:
        yield chosen
    finally:
        _active.reset(token)


def gettext(message: str) -> str:
    """Return ``message`` in the active locale."""
    return translations_for(_active.get()).ugettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Return the singular or plural form for ``n`` in the active locale (by that language's plural rule)."""
    return translations_for(_active.get()).ungettext(singular, plural, n)


_ = gettext

__all__ = ["DEFAULT_LOCALE", "LOCALES", "N_", "_", "active_locale", "gettext", "ngettext", "translations_for"]
