"""Choose a language from what a person asked for and what is on offer."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

#: More languages than anyone lists; the rest of a longer (hostile) header is ignored.
MAX_RANGES = 20


def _ranges(accept_language: str) -> list[str]:
    """Return the language ranges of an ``Accept-Language`` header, most wanted first (q=0 dropped)."""
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")[:MAX_RANGES]):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if tag and q > 0:
            # A stable sort on -q keeps the header's order between equal weights, as RFC 9110 intends.
            weighted.append((-q, position, tag.strip().lower()))
    return [tag for _, _, tag in sorted(weighted)]


def negotiate(choices: Iterable[str | None], accept_language: str | None, available: Sequence[str]) -> str | None:
    """Return the first of ``choices`` that is available, else the best of the header's languages, else None.

    ``choices`` are explicit ones (a language picked on the page, then one stored earlier); a regional tag matches its
    language (``de-CH`` takes ``de``), and ``*`` takes nothing, so the caller's default applies.
    """
    offered = {a.lower(): a for a in available}
    for choice in choices:
        if choice and choice.lower() in offered:
            return offered[choice.lower()]
    for tag in _ranges(accept_language or ""):
        if tag in offered:
            return offered[tag]
        primary = tag.split("-")[0]
        if primary in offered:
            return offered[primary]
    return None
