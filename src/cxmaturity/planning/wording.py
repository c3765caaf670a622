"""How a plan names the framework's things in sentences: stages, competencies, initiatives and indicators by their
names and texts, never by their keys (a reader of a plan never needs to know that 'a-ds-1b' exists).

One helper per kind of thing, shared by the optimizer's reasons and explanations, the report, the plan page and the
exports. A key that the framework does not know (a typing mistake in a must-do list) is quoted as typed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from cxmaturity.frameworks.model import Framework

#: Indicator texts are cut to this many characters in a reason (the full text is on the questionnaire).
TEXT_LIMIT = 90


def stage_name(fw: Framework, stage: str | int) -> str:
    """Return a stage's name from its key or its number (counted from 1); an unknown key as it is."""
    if isinstance(stage, int):
        return fw.text(fw.stages[stage - 1].name)
    return fw.text(fw.stages[fw.stage_number(stage) - 1].name) if stage in fw.stage_keys else stage


def competency_name(fw: Framework, key: str) -> str:
    """Return a competency's name; an unknown key as it is."""
    for comp in fw.competencies:
        if comp.key == key:
            return fw.text(comp.name)
    return key


def quoted(text: str) -> str:
    return f"“{text}”"


def shorten(text: str, limit: int = TEXT_LIMIT) -> str:
    """Return ``text`` on one line, cut at a word boundary with "…" when it is longer than ``limit``."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:.")
    return cut + "…"


def indicator_text(fw: Framework, key: str) -> str:
    """Return an indicator's statement (or rubric question), quoted and shortened; an unknown key as it is."""
    try:
        return quoted(shorten(fw.text(fw.indicator(key).text)))
    except KeyError:
        return quoted(key)


def titles(keys: Iterable[str], title_of: Mapping[str, str], most: int = 3) -> str:
    """Return up to ``most`` initiatives as quoted titles joined by commas (and "…" when there are more)."""
    listed = list(keys)
    shown = ", ".join(quoted(title_of.get(k, k)) for k in listed[:most])
    return shown + (" …" if len(listed) > most else "")


def listing(items: Iterable[str]) -> str:
    """Return "a", "a and b" or "a, b and c"."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
