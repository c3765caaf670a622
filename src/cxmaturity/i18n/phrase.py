"""A sentence kept as what it says rather than in the words of one language: a message id (marked with ``N_`` where it
is written, so that ``pybabel extract`` collects it) and named parameters, translated only when it is shown.

The domain (the optimizer's reasons, the progress comparison's verdict notes) makes its sentences long before anyone
reads them, and stores some of them (a saved plan). Kept as ``Phrase`` values they read in the reader's language in
pages, reports, slides and calendars. Parameters that name a thing of the framework (``Ref``: a competency, a stage,
an indicator, an initiative) carry the key, so that the renderer takes the name in the reader's language from the
framework, and the text as it read when the sentence was made, for when the framework does not know the key.

Services make sentences this way too, before anyone knows the language they will be read in: the scorecard's metric
names and notes, the units' withheld notes, single sign-on refusals, a service's refusals (``ServiceError`` takes a
phrase), a plan version's note, a workshop's agenda. Fields that hold either a typed text or a phrase are ``Text``.

Pure data and formatting: no framework, web or storage import. Two renderings, one type:

- ``english(text)`` (also ``str(phrase)``) is the sentence in English, framework things named as they read when it was
  made: what the JSON API, the CSV/XLSX exports, the command line and the log write, which keep English words
  whatever the reader's language;
- ``render(phrase, name)`` / ``translated(text)`` (the templates' ``tr`` filter) the sentence in the active locale
  (``use_locale``), for pages, the report, the slides and e-mails.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from babel import Locale

from cxmaturity.i18n.catalogs import N_, active_locale, gettext, use_locale
from cxmaturity.i18n.formats import format_decimal, localized_number_text

#: ``indicator`` reads quoted and shortened inside a sentence; ``statement`` is an indicator's whole text, as it is
#: (a workshop agenda item's title).
RefKind = Literal["competency", "stage", "indicator", "statement", "initiative", "framework"]
Join = Literal["and", "comma", "semicolon", "space"]

#: Indicator texts are cut to this many characters in a sentence (the full text is on the questionnaire).
TEXT_LIMIT = 90

# Marked here so that the extractor collects them: how lists and quotations read in each language.
_AND = N_("%(head)s and %(last)s")
_QUOTED = N_("“%(text)s”")
# French writes a narrow no-break space before ";" (" ; "), so the joint is the catalog's too.
_SEMICOLON = N_("%(before)s; %(after)s")
# The same for a label before its value ("Stages: 5", "Étapes : 5").
_LABELLED = N_("%(label)s: %(value)s")
_DOUBLE_STOP = re.compile(r"(\.)(\s?[”“»\"])\.$")


@dataclass(frozen=True)
class Num:
    """A number written with the locale's separators and exactly ``digits`` decimals."""

    value: float
    digits: int = 2


@dataclass(frozen=True)
class Score:
    """A score already floored to its text (``2.35``, scoring/display.py): only its decimal sign follows the locale."""

    text: str


@dataclass(frozen=True)
class Ref:
    """A thing of the framework, by key, with its ``text`` as it read when the sentence was made."""

    kind: RefKind
    key: str
    text: str


@dataclass(frozen=True)
class Items:
    """Several values: "a, b and c" (``and``), "a, b, c" (``comma``), "a; b; c" (``semicolon``) or sentences one
    after the other (``space``), with "…" after them when ``more`` were left out."""

    items: tuple[Param, ...]
    join: Join = "and"
    more: bool = False


@dataclass(frozen=True)
class Phrase:
    """A message id with named parameters; ``plural`` (with ``count`` naming the int parameter that decides) is the
    id used when that number is not one, as the locale counts. A ``literal`` phrase is text kept as written (a
    sentence stored before phrases existed, or one from outside the product)."""

    id: str
    params: tuple[tuple[str, Param], ...] = ()
    plural: str = ""
    count: str = ""
    literal: bool = False

    def __str__(self) -> str:
        return english(self)


Param: TypeAlias = str | int | Num | Score | Ref | Items | Phrase
#: A text to show: written by someone (a name, a sentence stored before phrases existed; shown as written) or a
#: phrase (shown in its reader's language, ``translated``; in English where no reader's language applies, ``english``).
Text: TypeAlias = str | Phrase
#: Returns the name of a framework thing in the active locale (or the text it had when the phrase was made).
Namer = Callable[[Ref], str]


def phrase(message: str, /, **params: Param) -> Phrase:
    """Return ``Phrase(message, params)``; mark ``message`` with ``N_`` where this is called."""
    return Phrase(message, tuple(params.items()))


def plural_phrase(message: str, plural: str, count: str, /, **params: Param) -> Phrase:
    """Return a phrase that reads ``plural`` when the int parameter ``count`` is not one (as the locale counts)."""
    return Phrase(message, tuple(params.items()), plural, count)


def literal(text: str) -> Phrase:
    return Phrase(text, literal=True)


def named(ref: Ref) -> Phrase:
    """A phrase that is only the name of a framework thing (written in the reader's language where the framework has
    it): its message, ``%(name)s``, has nothing to translate and is not marked."""
    return Phrase("%(name)s", (("name", ref),))


def as_written(ref: Ref) -> str:
    return ref.text


def shorten(text: str, limit: int = TEXT_LIMIT) -> str:
    """Return ``text`` on one line, cut at a word boundary with "…" when it is longer than ``limit``."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:.")
    return cut + "…"


def quoted(text: str) -> str:
    """``text`` between the locale's quotation marks (“…” in English, „…“ in German, « … » in French)."""
    return gettext(_QUOTED) % {"text": text}


def listing(items: list[str]) -> str:
    """Return "a", "a and b" or "a, b and c" in the active locale."""
    if len(items) <= 1:
        return "".join(items)
    return gettext(_AND) % {"head": ", ".join(items[:-1]), "last": items[-1]}


def semicolons(items: list[str]) -> str:
    """Return "a; b; c" in the active locale ("a ; b ; c" in French)."""
    if not items:
        return ""
    joint = gettext(_SEMICOLON)
    text = items[0]
    for item in items[1:]:
        text = joint % {"before": text, "after": item}
    return text


def labelled(label: str, value: str) -> str:
    """Return "label: value" in the active locale ("label : value" in French)."""
    return gettext(_LABELLED) % {"label": label, "value": value}


def joint(sign: Literal[":", ";"]) -> str:
    """The sign with the active locale's spacing, to write between two texts: ": " in English, a no-break space and
    ": " in French (where a template puts markup around the texts, which ``labelled`` and ``semicolons`` would
    escape)."""
    if sign == ":":
        return labelled("", "")
    return gettext(_SEMICOLON) % {"before": "", "after": ""}


def _is_one(n: int) -> bool:
    try:
        return Locale.parse(active_locale()).plural_form(n) == "one"
    except (ValueError, TypeError):  # pragma: no cover - every locale of LOCALES has a plural rule
        return n == 1


def _value(value: Param, name: Namer) -> str | int:
    if isinstance(value, Phrase):
        return render(value, name)
    if isinstance(value, Ref):
        text = name(value)
        if value.kind == "indicator":
            return quoted(shorten(text))
        if value.kind == "initiative":
            return quoted(text)
        return text
    if isinstance(value, Num):
        return format_decimal(value.value, value.digits)
    if isinstance(value, Score):
        return localized_number_text(value.text)
    if isinstance(value, Items):
        shown = [str(_value(v, name)) for v in value.items]
        if value.join == "and":
            text = listing(shown)
        elif value.join == "semicolon":
            text = semicolons(shown)
        else:
            text = {"comma": ", ", "space": " "}[value.join].join(shown)
        return text + (" …" if value.more else "")
    return value


def render(p: Phrase, name: Namer = as_written) -> str:
    """Return the sentence in the active locale, framework things named by ``name``."""
    if p.literal:
        return p.id
    values: dict[str, str | int] = {key: _value(v, name) for key, v in p.params}
    message = p.id
    if p.plural and p.count:
        n = values.get(p.count)
        if isinstance(n, int) and not _is_one(n):
            message = p.plural
    text = gettext(message)
    text = text % values if values else text
    # A quoted statement may end in its own full stop: no second one after the closing quote.
    return _DOUBLE_STOP.sub(r"\1\2", text)


def english(value: Text) -> str:
    """Return the sentence in English, framework things named as they read when it was made: what the JSON API, the
    CSV and XLSX exports, the command line and the log write (``str(phrase)`` is the same). A plain
    string is returned as it is."""
    if not isinstance(value, Phrase):
        return value
    with use_locale("en"):
        return render(value)


# --------------------------------------------------------------------------------------------------------------------
# Stored form (a saved plan keeps its phrases as JSON)


def to_data(value: Param) -> Any:
    """Return ``value`` as JSON-ready data (``from_data`` reads it back)."""
    if isinstance(value, Phrase):
        data: dict[str, Any] = {"id": value.id}
        if value.literal:
            data["literal"] = True
        if value.params:
            data["params"] = {k: to_data(v) for k, v in value.params}
        if value.plural:
            data["plural"], data["count"] = value.plural, value.count
        return data
    if isinstance(value, Ref):
        return {"ref": value.kind, "key": value.key, "text": value.text}
    if isinstance(value, Num):
        return {"num": value.value, "digits": value.digits}
    if isinstance(value, Score):
        return {"score": value.text}
    if isinstance(value, Items):
        return {"items": [to_data(v) for v in value.items], "join": value.join, "more": value.more}
    return value


def from_data(data: Any) -> Param:
    """Read back what ``to_data`` wrote; raise ``ValueError`` for anything else."""
    if isinstance(data, str | int) and not isinstance(data, bool):
        return data
    if not isinstance(data, Mapping):
        raise ValueError(f"not a phrase parameter: {data!r}")
    if "id" in data:
        params = tuple((str(k), from_data(v)) for k, v in (data.get("params") or {}).items())
        return Phrase(
            str(data["id"]),
            params,
            str(data.get("plural") or ""),
            str(data.get("count") or ""),
            bool(data.get("literal")),
        )
    if "ref" in data:
        kind = str(data["ref"])
        if kind not in ("competency", "stage", "indicator", "statement", "initiative", "framework"):
            raise ValueError(f"unknown kind of name: {kind!r}")
        return Ref(kind, str(data["key"]), str(data.get("text") or data["key"]))  # type: ignore[arg-type]
    if "num" in data:
        return Num(float(data["num"]), int(data.get("digits", 2)))
    if "score" in data:
        return Score(str(data["score"]))
    if "items" in data:
        join = str(data.get("join") or "and")
        if join not in ("and", "comma", "semicolon", "space"):
            raise ValueError(f"unknown list joint: {join!r}")
        return Items(tuple(from_data(v) for v in data["items"]), join, bool(data.get("more")))  # type: ignore[arg-type]
    raise ValueError(f"not a phrase parameter: {data!r}")


def phrase_from_data(data: Any) -> Phrase | None:
    """A stored phrase, or None when ``data`` is missing or not one (then the stored text is shown as written)."""
    if data is None:
        return None
    try:
        found = from_data(data)
    except (ValueError, KeyError, TypeError):
        return None
    return found if isinstance(found, Phrase) else None


# --------------------------------------------------------------------------------------------------------------------
# Shown where the language is known


def translated(value: Any) -> Any:
    """``value`` in the active locale when it is a ``Phrase``; anything else (a name someone typed, a sentence stored
    before phrases existed) as it is. The templates' ``tr`` filter."""
    if isinstance(value, Phrase):
        return render(value)
    return value
