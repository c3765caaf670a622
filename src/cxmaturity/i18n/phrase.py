"""Sentences made before anyone knows the language they will be read in, translated when they are shown.

A service or view model that writes a note into data kept for several renderings (the scorecard's metric names and
notes, a campaign's withheld notes) cannot translate it: the page, the report and the JSON export each show it in
their own language, or in none. It hands a ``Phrase`` instead: a ``str`` that reads as the English text (so JSON,
CSV and everything that expects a string keep working unchanged), and that also keeps its msgid (marked with
``N_``) and named parameters, so that ``translated`` writes it again in the active locale.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from babel import numbers

from cxmaturity.i18n.catalogs import active_locale, gettext


class Phrase(str):
    """An English text (``msgid % params``) that remembers how to be written again in another language."""

    msgid: str
    params: Mapping[str, Any]

    def __new__(cls, msgid: str, /, **params: Any) -> Phrase:
        made = super().__new__(cls, msgid % params if params else msgid)
        made.msgid = msgid
        made.params = dict(params)
        return made

    def __reduce__(self) -> tuple[Any, ...]:
        # str's own pickling would rebuild the phrase from its English text as the msgid, losing the parameters.
        return (_rebuild, (self.msgid, dict(self.params)))

    def translated(self) -> str:
        """The text in the active locale; parameters that are phrases themselves are translated too."""
        params = {name: translated(value) for name, value in self.params.items()}
        text = gettext(self.msgid)
        return text % params if params else text


def _rebuild(msgid: str, params: dict[str, Any]) -> Phrase:
    return Phrase(msgid, **params)


def translated(value: Any) -> Any:
    """``value`` in the active locale when it is a ``Phrase``; anything else (a name someone typed) as it is."""
    return value.translated() if isinstance(value, Phrase) else value


class Number:
    """A number in a phrase: written with the decimal sign of the locale active where the phrase is written (rounded
    as Python rounds, ``digits`` decimals), so that ``0.55`` in English reads ``0,55`` in German."""

    def __init__(self, value: float, digits: int = 2) -> None:
        self.value = value
        self.digits = digits

    def __str__(self) -> str:
        return f"{self.value:.{self.digits}f}".replace(".", numbers.get_decimal_symbol(active_locale()))

    def __repr__(self) -> str:
        return f"Number({self.value!r}, {self.digits})"
