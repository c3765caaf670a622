"""Languages of the product: gettext catalogs (Babel), the active locale of a request, locale-aware formats.

Texts written in code and templates are English msgids looked up in ``locale/<lang>/LC_MESSAGES/messages.mo``; the
texts of a framework carry their own translations (frameworks/translations.py). The active locale lives in a context
variable set around each rendering (``use_locale``), so that concurrent requests in other threads never see it.
"""

from cxmaturity.i18n.catalogs import (
    DEFAULT_LOCALE,
    LOCALES,
    N_,
    active_locale,
    gettext,
    ngettext,
    translations_for,
    use_locale,
)
from cxmaturity.i18n.formats import format_date, format_datetime, format_decimal, format_percent
from cxmaturity.i18n.negotiate import negotiate

__all__ = [
    "DEFAULT_LOCALE",
    "LOCALES",
    "N_",
    "active_locale",
    "format_date",
    "format_datetime",
    "format_decimal",
    "format_percent",
    "gettext",
    "negotiate",
    "ngettext",
    "translations_for",
    "use_locale",
]
