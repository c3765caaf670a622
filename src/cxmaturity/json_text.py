"""JSON that people send (a dataset file, a column mapping, a request body): every way the parser can refuse it, in
words to show them. The YAML readers (frameworks, column maps) use :func:`refusal` for the same limits.

``json.loads`` refuses more than syntax: nesting deeper than Python's recursion limit (``RecursionError``, which is
no ``ValueError``) and a whole number of more than 4,300 digits (CPython's guard against slow conversions, a plain
``ValueError`` that speaks of ``sys.set_int_max_str_digits``). Either escaped as an unexpected error.
"""

from __future__ import annotations

import json
from typing import Any


class JsonTextError(ValueError):
    """Text that is not JSON the parser takes; ``line`` and ``column`` (from 1) where the parser says."""

    def __init__(self, reason: str, line: int | None = None, column: int | None = None) -> None:
        self.reason = reason
        self.line = line
        self.column = column
        super().__init__(reason)


def refusal(exc: BaseException) -> str | None:
    """Return why the parser refused a text, for a person; None for an error that is not the text's fault."""
    if isinstance(exc, json.JSONDecodeError):
        return exc.msg
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    if isinstance(exc, UnicodeDecodeError):
        data = bytes(exc.object)
        return f"byte 0x{data[exc.start]:02X} at offset {exc.start} is not UTF-8; send the JSON as UTF-8"
    if isinstance(exc, ValueError) and "digits" in str(exc):
        return "a number has more than 4300 digits"
    return None


def loads(text: str | bytes) -> Any:
    """Return the JSON value in ``text``; :class:`JsonTextError` saying why the parser refuses it."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise JsonTextError(exc.msg, exc.lineno, exc.colno) from None
    except (RecursionError, ValueError) as exc:
        reason = refusal(exc)
        if reason is None:
            raise
        raise JsonTextError(reason) from None
