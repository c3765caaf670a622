"""What a benchmark shows: a cohort's figures per competency and the asking organization's place among them."""

from __future__ import annotations

from dataclasses import dataclass, field

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
    """The asking organization's result for one competency and its percentile in the cohort (without itself)."""

    competency: str
    score: float
    stage_number: int
    #: Mid-rank percentile, 0-100: the share of the cohort below the score, counting ties as half.
    percentile: float
