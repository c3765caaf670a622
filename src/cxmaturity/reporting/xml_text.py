"""Text for XML documents: SVG charts, PPTX slides and XLSX sheets.

XML 1.0 cannot hold most control characters, yet people's text may bring them (a name pasted from another program, a
comment or a segment from an imported file): each is written as U+FFFD (�) instead, so the document is still made and
shows where something unprintable stood. Where a library is handed such text it fails instead: python-pptx raises,
and vl-convert (the charts) aborts the whole process.
"""

from __future__ import annotations

import re
from typing import Any

#: Characters XML 1.0 cannot hold: control characters other than tab, line feed and carriage return, and the two
#: non-characters U+FFFE and U+FFFF.
ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
REPLACEMENT = "\ufffd"


def xml_text(text: str) -> str:
    """Return ``text`` with each character XML cannot hold replaced by U+FFFD."""
    return ILLEGAL.sub(REPLACEMENT, text)


def xml_safe(value: Any) -> Any:
    """Return ``value`` (JSON-like: dicts, lists, strings, numbers) with every string made :func:`xml_text`."""
    if isinstance(value, str):
        return xml_text(value)
    if isinstance(value, dict):
        return {xml_safe(k): xml_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [xml_safe(v) for v in value]
    return value
