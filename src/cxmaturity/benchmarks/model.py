"""What a benchmark shows: a cohort's figures per competency and the asking organization's place among them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cxmaturity.benchmarks.statistics import quartile_band

#: The competency key of the overall result.
OVERALL = ""


@dataclass(frozen=True)
class Aggregate:
    """A cohort's figures for one competency (or overall): how many, quartiles and organizations per stage."""

    competency: str
    n: int
    q1: float
    median: float
    q3: float
    #: Organizations per stage number (1 = the first stage); stages nobody is at are left out.
    stages: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Standing:
    """The asking organization's result for one competency and where it falls in the cohort (without itself)."""

    competency: str
    score: float
    stage_number: int
    #: One of ``statistics.BANDS``: the quarter of the cohort's published (coarse) quartiles the score falls in.
    #: Never an exact percentile: that would count the cohort's scores below any score one chooses to ask about.
    position: str


def standings(own: Mapping[str, tuple[float, int]], aggregates: Sequence[Aggregate]) -> list[Standing]:
    """Return the organization's place per competency (``own``: score and stage number), computed from the
    cohort's published figures only, so that it reveals nothing they do not (docs/benchmarks.md)."""
    found = [
        Standing(
            a.competency,
            own[a.competency][0],
            own[a.competency][1],
            quartile_band(own[a.competency][0], a.q1, a.median, a.q3),
        )
        for a in aggregates
        if a.competency in own
    ]
    return sorted(found, key=lambda s: (s.competency != OVERALL, s.competency))
