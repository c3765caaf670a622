"""Translations of a framework's texts: each text names every language the framework declares, and no other.

A framework written in one language needs nothing. One offered in several declares them (``languages: [en, de]``)
and writes each text as a mapping, ``name: {en: Understand, de: Verstehen}``; a text left in one language, or a
mapping that lacks a language, is reported at the text's line with the language it misses.
"""

from __future__ import annotations

import typing
from typing import Any

from pydantic import BaseModel

from cxmaturity.frameworks.model import Framework, TextField
from cxmaturity.frameworks.problems import Loc, Problem


def _holds_text(annotation: Any) -> bool:
    """Whether a field's annotation is ``Text``, ``Text | None`` or ``tuple[Text, ...]``."""
    if any(isinstance(m, TextField) for m in getattr(annotation, "__metadata__", ())):
        return True
    return any(_holds_text(arg) for arg in typing.get_args(annotation))


def _texts(node: Any, loc: Loc) -> list[tuple[Loc, str | dict[str, str]]]:
    """Return every text inside ``node`` (a model, tuple or mapping of models) with its field path."""
    out: list[tuple[Loc, str | dict[str, str]]] = []
    if isinstance(node, BaseModel):
        for name, field in type(node).model_fields.items():
            value = getattr(node, name)
            # Pydantic moves the metadata of a plain ``Text`` field to ``field.metadata``; ``Text | None`` and
            # ``tuple[Text, ...]`` keep it inside the annotation.
            if _holds_text(field.annotation) or any(isinstance(m, TextField) for m in field.metadata):
                if isinstance(value, tuple):
                    out += [((*loc, name, i), v) for i, v in enumerate(value)]
                elif value is not None:
                    out.append(((*loc, name), value))
            else:
                out += _texts(value, (*loc, name))
    elif isinstance(node, tuple):
        for i, item in enumerate(node):
            out += _texts(item, (*loc, i))
    elif isinstance(node, dict):
        for key, item in node.items():
            out += _texts(item, (*loc, key))
    return out


def check_translations(fw: Framework) -> list[Problem]:
    """Return a problem for each language a text misses, or has without the framework declaring it."""
    if not fw.languages:
        return []
    declared = list(fw.languages)
    listed = ", ".join(declared)
    problems: list[Problem] = []
    if fw.language not in declared:
        problems.append(Problem(("languages",), f"lists {listed} but not the framework's own language '{fw.language}'"))
    for i, lang in enumerate(declared):
        if lang in declared[:i]:
            problems.append(Problem(("languages", i), f"'{lang}' is listed twice"))
    if problems:
        return problems
    for loc, text in _texts(fw, ()):
        if isinstance(text, str):
            # A plain string is the framework's own language; every other language is missing.
            problems += [
                Problem(loc, f"missing the '{lang}' translation (the framework's languages are {listed})")
                for lang in declared
                if lang != fw.language
            ]
            continue
        problems += [
            Problem(loc, f"missing the '{lang}' translation (the framework's languages are {listed})")
            for lang in declared
            if lang not in text
        ]
        problems += [
            Problem(
                (*loc, lang),
                f"'{lang}' is not one of the framework's languages ({listed}); add it to "
                "'languages' or remove this translation",
            )
            for lang in text
            if lang not in declared
        ]
    return problems
