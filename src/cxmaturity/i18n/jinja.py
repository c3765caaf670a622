"""Jinja2's i18n extension wired to the active locale, and the locale-aware formatting filters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jinja2
import jinja2.runtime

from cxmaturity.i18n import words
from cxmaturity.i18n.catalogs import active_locale, gettext, ngettext
from cxmaturity.i18n.formats import (
    d3_locale,
    format_date,
    format_datetime,
    format_decimal,
    format_iso_date,
    format_percent,
    localized_number_text,
)
from cxmaturity.i18n.phrase import joint, translated


def install(env: jinja2.Environment) -> None:
    """Give ``env`` ``{% trans %}``, ``_()``, ``ngettext()`` and the ``date``/``number``/``percent`` filters.

    ``newstyle`` gettext formats ``%(name)s`` placeholders itself and escapes their values, so a translation cannot
    smuggle markup in and a missing variable fails loudly instead of printing a raw placeholder.
    """
    env.add_extension("jinja2.ext.i18n")
    # ``{% trans %}`` blocks lose their line breaks and indentation, so that msgids do not depend on the layout.
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals["locale"] = active_locale
    env.globals["d3_locale"] = d3_locale
    # ":" and ";" between two texts with the locale's spacing (a no-break space before them in French).
    env.globals["joint"] = joint
    env.filters["date"] = _per_render(format_date)
    env.filters["iso_date"] = _per_render(format_iso_date)
    env.filters["datetime"] = _per_render(format_datetime)
    env.filters["number"] = _per_render(format_decimal)
    env.filters["percent"] = _per_render(format_percent)
    env.filters["localized_score"] = _per_render(localized_number_text)
    # A sentence a service wrote before the language was known (i18n/phrase.py), written in the page's language.
    env.filters["tr"] = _per_render(translated)
    # Stored keys in the page's words (i18n/words.py): a role, an assessment's status, an e-mail's state.
    env.filters["role_name"] = _per_render(words.role)
    env.filters["status_name"] = _per_render(words.assessment_status)
    env.filters["mail_state"] = _per_render(words.mail_state)
    env.filters["initiative_status"] = _per_render(words.initiative_status)


def _per_render(format: Callable[..., str]) -> Callable[..., str]:
    """``format`` as a filter that runs at every rendering: Jinja computes a plain filter of a constant
    (``0.7|number(2)``) once, when it compiles the template, in whatever locale is active then; a filter that takes
    the context is never computed ahead."""

    @jinja2.pass_context
    def filter(_context: jinja2.runtime.Context, value: Any, *args: Any, **kwargs: Any) -> str:
        return format(value, *args, **kwargs)

    return filter
