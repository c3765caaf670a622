"""The math on aggregates: quantiles as SQL's percentile_cont computes them, their coarse published values, the
quarter a score falls in, stage shares.

The services let the database sort and count; these functions turn its order statistics and counts into the
published figures, with one definition everywhere (PostgreSQL, SQLite, the exported datasets and the tests).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

#: Lower quartile, median, upper quartile.
QUARTILES = (0.25, 0.5, 0.75)

#: Published quartiles are rounded to this grid of score points (docs/benchmarks.md, "Coarse figures"). Scores run
#: from 1 to the number of stages, so every whole score is on the grid and rounding keeps q1 <= median <= q3.
SCORE_GRID = 0.25

#: Where a score falls among a cohort's published quartiles, lowest first: the only position a benchmark reports.
BANDS = ("lowest quarter", "second quarter", "third quarter", "top quarter")


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


def stage_shares(counts: Mapping[int, int], stages: int) -> dict[int, float]:
    """Return the share of organizations at each stage number 1..``stages`` (0 where nobody is)."""
    total = sum(counts.values())
    return {s: (counts.get(s, 0) / total if total else 0.0) for s in range(1, stages + 1)}


def coarse_score(value: float) -> float:
    """Return ``value`` rounded to the nearest point of the ``SCORE_GRID`` (halves up): what a benchmark publishes
    of a quantile, so that no published figure is a member's exact score."""
    steps = math.floor(value / SCORE_GRID + 0.5 + 1e-9)
    return steps * SCORE_GRID


def quartile_band(score: float, q1: float, median: float, q3: float) -> str:
    """Return where a score falls among a cohort's (published) quartiles, in words: one of ``BANDS``. It depends
    on the quartiles only, so asking it for many chosen scores reveals nothing beyond them."""
    if score < q1:
        return BANDS[0]
    if score < median:
        return BANDS[1]
    if score <= q3:
        return BANDS[2]
    return BANDS[3]
