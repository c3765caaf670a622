"""The verdict on a change of score between two assessments, from the two results' own intervals.

Each result carries an interval of its score (a bootstrap over respondents, widened by a jackknife t-interval for
small teams: ``scoring/uncertainty.py``). The two assessments are independent samples of respondents, so the interval
of the difference ``after - before`` is recovered from the two intervals by MOVER, the method of variance estimates
recovery (Zou & Donner 2008; Newcombe 1998 for proportions):

    lower = d - sqrt((after - after_lower)^2 + (before_upper - before)^2)
    upper = d + sqrt((after_upper - after)^2 + (before - before_lower)^2)

with ``d = after - before``. It keeps each interval's own asymmetry (scores near the ends of the scale have lopsided
intervals) and, unlike "the intervals do not overlap", it is not needlessly strict. The verdict is "improved" when the
whole interval of the difference lies above zero, "declined" when it lies below, and "no clear change" otherwise.

Swapping before and after turns ``(d, lower, upper)`` into ``(-d, -upper, -lower)``, so "improved" and "declined" swap
exactly; raising the after score (with its interval) can only move the verdict towards "improved".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Literal

Verdict = Literal["improved", "declined", "no clear change", "not comparable"]
IMPROVED: Verdict = "improved"
DECLINED: Verdict = "declined"
NO_CLEAR_CHANGE: Verdict = "no clear change"
NOT_COMPARABLE: Verdict = "not comparable"
VERDICTS: tuple[Verdict, ...] = (IMPROVED, DECLINED, NO_CLEAR_CHANGE, NOT_COMPARABLE)

#: Differences closer to zero than this are rounding, not change.
EPSILON = 1e-9


@dataclass(frozen=True)
class Estimate:
    """A score with its interval (None when the result has none) at a confidence level."""

    score: float
    interval: tuple[float, float] | None
    confidence: float


@dataclass(frozen=True)
class Difference:
    """``after - before`` with its interval at ``confidence`` and the verdict the interval supports."""

    change: float
    interval: tuple[float, float] | None
    confidence: float
    verdict: Verdict


def _z(confidence: float) -> float:
    return NormalDist().inv_cdf(0.5 + confidence / 2.0)


def _distances(estimate: Estimate, confidence: float) -> tuple[float, float]:
    """Return how far the interval reaches below and above the score, rescaled to ``confidence``.

    A percentile interval need not contain its point estimate; a side that does not reach past it counts as 0.
    """
    assert estimate.interval is not None
    lower, upper = estimate.interval
    factor = _z(confidence) / _z(estimate.confidence) if estimate.confidence != confidence else 1.0
    return max(0.0, estimate.score - lower) * factor, max(0.0, upper - estimate.score) * factor


def difference(before: Estimate, after: Estimate) -> Difference:
    """Return the change from ``before`` to ``after`` with its MOVER interval and verdict.

    The two intervals are brought to the higher of their two confidence levels (the more cautious one) assuming
    normal-shaped tails. Without an interval on either side nothing can be said: "no clear change".
    """
    change = after.score - before.score
    confidence = max(before.confidence, after.confidence)
    if before.interval is None or after.interval is None:
        return Difference(change, None, confidence, NO_CLEAR_CHANGE)
    before_down, before_up = _distances(before, confidence)
    after_down, after_up = _distances(after, confidence)
    lower = change - math.hypot(after_down, before_up)
    upper = change + math.hypot(after_up, before_down)
    return Difference(change, (lower, upper), confidence, verdict_of(lower, upper))


def verdict_of(lower: float, upper: float) -> Verdict:
    """Return the verdict an interval of a difference supports."""
    if lower > EPSILON:
        return IMPROVED
    if upper < -EPSILON:
        return DECLINED
    return NO_CLEAR_CHANGE
