"""Text that a spreadsheet would run as a formula: how exports guard it, and how answer files are read back.

OWASP's advice against CSV injection: a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
gets a leading apostrophe, so spreadsheets show it as text instead of evaluating it. Text that already starts with
apostrophes before such a character gets one more, which makes :func:`unguard` the exact inverse of :func:`guard`:
an exported answers file reads back to the same answers, even when an answer key or a group name starts with ``-``.
"""

from __future__ import annotations

#: Characters that make a spreadsheet read a cell as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def guard(text: str) -> str:
    """Return ``text`` with a leading apostrophe when a spreadsheet would read it as a formula."""
    return QUOTE + text if text.lstrip(QUOTE).startswith(FORMULA_START) else text


def unguard(text: str) -> str:
    """Return ``text`` without the apostrophe that :func:`guard` added (other text is returned as it is)."""
    return text[1:] if text.startswith(QUOTE) and text.lstrip(QUOTE).startswith(FORMULA_START) else text
