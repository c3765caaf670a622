"""The math on aggregates: quantiles as SQL's percentile_cont computes them, percentiles, stage shares.

The services let the database sort and count; these functions turn its order statistics and counts into the
published figures, with one definition everywhere (PostgreSQL, SQLite, the exported datasets and the tests).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

#: Lower quartile, median, upper quartile.
QUARTILES = (0.25, 0.5, 0.75)


def quantile_positions(p: float, n: int) -> tuple[int, int, float]:
    """Return the 0-based ranks of the two order statistics around quantile ``p`` of ``n`` values and the weight
    of the upper one: the linear interpolation of percentile_cont (and of numpy's default method)."""
    if n < 1:
        raise ValueError("a quantile needs at least one value")
    if not 0.0 <= p <= 1.0:
        raise ValueError("p must be between 0 and 1")
    position = p * (n - 1)
    lower = math.floor(position)
    upper = min(lower + 1, n - 1)
    return lower, upper, position - lower


def interpolate(lower: float, upper: float, fraction: float) -> float:
    """Return the value ``fraction`` of the way from ``lower`` to ``upper``."""
    return lower + fraction * (upper - lower)


def quantiles(values: Sequence[float], ps: Sequence[float] = QUARTILES) -> tuple[float, ...]:
    """Return the quantiles of ``values`` (linear interpolation between order statistics)."""
    ordered = sorted(values)
    found = []
    for p in ps:
        lower, upper, fraction = quantile_positions(p, len(ordered))
        found.append(interpolate(ordered[lower], ordered[upper], fraction))
    return tuple(found)


def percentile_rank(below: int, equal: int, n: int) -> float:
    """Return the mid-rank percentile (0-100) of a score with ``below`` cohort values under it and ``equal`` equal
    to it: ties count half, so a score equal to everyone's sits at 50, not at 0 or 100."""
    if n < 1:
        raise ValueError("a percentile needs a cohort of at least one")
    if below < 0 or equal < 0 or below + equal > n:
        raise ValueError("below and equal must be counts within the cohort")
    return 100.0 * (below + 0.5 * equal) / n


def stage_shares(counts: Mapping[int, int], stages: int) -> dict[int, float]:
    """Return the share of organizations at each stage number 1..``stages`` (0 where nobody is)."""
    total = sum(counts.values())
    return {s: (counts.get(s, 0) / total if total else 0.0) for s in range(1, stages + 1)}


def quartile_band(score: float, q1: float, median: float, q3: float) -> str:
    """Return where a score falls among a cohort's quartiles, in words (for cohorts known only by quartiles)."""
    if score < q1:
        return "lowest quarter"
    if score < median:
        return "second quarter"
    if score <= q3:
        return "third quarter"
    return "top quarter"
