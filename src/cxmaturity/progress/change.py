"""The verdict on a change between two assessments, from every answer of both, with how sure it is.

Two assessments are independent samples of respondents (anonymous: nobody can be matched). A gated score is a
discontinuous summary of the answers, so two intervals of it carry little of the evidence: a team can rise a whole
stage while both intervals are wide. The verdict therefore compares the evidence itself: each respondent's *level* in a
competency, their mean normalized answer over its indicators (``scoring.engine.respondent_levels``), taken on the
angular scale a = 2 asin(sqrt(level)) (``scoring.engine.angular``; ``CompetencyResult.respondent_angle_mean`` and
``respondent_angle_sd`` summarise it). Levels live on a bounded scale, where the spread shrinks towards the ends: a
team moving from "mostly always" to "always" shows a small change against a small spread, and on the raw scale the
prior's spread (below), sized for the middle, would drown it. The angular transformation evens the spread out
(Bartlett 1947; Anscombe 1948), so the same prior fits everywhere.

The probability that the team's level rose is the posterior probability that the after population's mean angular
level exceeds the before one's under the model of the result's intervals (``scoring/uncertainty.py``): normal
respondent values, a flat prior on the means and a weak prior on their spread, NU0 pseudo-respondents who answer with
spread SIGMA0 (the spread of an answer drawn at random from the 0-1 scale), which on the angular scale is about
ANGULAR_SLOPE * SIGMA0 per answer. The two means' posteriors are Student t; their difference is approximated by
Welch's t with Satterthwaite's degrees of freedom (Welch 1947), the classical answer to the Behrens-Fisher problem:

    v = ((n - 1) s² + NU0 σ0²) / (n - 1 + NU0)                (each assessment; σ0 = ANGULAR_SLOPE SIGMA0 / sqrt(K)
                                                               for a level that averages K answers)
    se² = v_after / n_after + v_before / n_before
    P(rise) = T_df((mean_after - mean_before) / se)

The verdict is "improved" when P(rise) is at least DECISIVE and the score did not fall, "declined" when P(rise) is at
most 1 - DECISIVE and the score did not rise, and "no clear change" otherwise; P(rise) is stated beside it. Swapping
before and after turns P into 1 - P and the score change into its negative, so "improved" and "declined" swap
exactly. ``bench/bench_method.py`` measures its power and false alarms by simulation (docs/progress.md).

The interval of the score change shown beside it is recovered from the two results' own intervals by MOVER (Zou &
Donner 2008): lower = d - sqrt((after - after_lower)² + (before_upper - before)²), upper = d + sqrt((after_upper -
after)² + (before - before_lower)²), d = after - before. It describes the score; the verdict rests on the evidence.
Results without respondent levels (none answered) fall back on that interval: "improved" when it lies above zero.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Literal

from scipy import stats

from cxmaturity.scoring.uncertainty import NU0, SIGMA0

Verdict = Literal["improved", "declined", "no clear change", "not comparable"]
IMPROVED: Verdict = "improved"
DECLINED: Verdict = "declined"
NO_CLEAR_CHANGE: Verdict = "no clear change"
NOT_COMPARABLE: Verdict = "not comparable"
VERDICTS: tuple[Verdict, ...] = (IMPROVED, DECLINED, NO_CLEAR_CHANGE, NOT_COMPARABLE)

#: Differences closer to zero than this are rounding, not change.
EPSILON = 1e-9
#: The probability of a rise (or of a fall) that a verdict of change needs. Under the model, at most 6% of verdicts on
#: pure noise read a change (3% each way); the product promises at most 10%, and the rest is the margin for what the
#: model simplifies: levels of a handful of people are bounded, discrete and may fall in two camps, which makes the
#: t approximation run above its nominal rate (measured by bench/bench_method.py; docs/progress.md).
DECISIVE = 0.97
#: The slope of the angular transformation 2 asin(sqrt(x)) in the middle of the scale: it turns the prior's spread of
#: an answer on the 0-1 scale (SIGMA0) into its spread on the angular scale.
ANGULAR_SLOPE = 2.0


@dataclass(frozen=True)
class Evidence:
    """Respondents' levels in one assessment on the angular scale: their mean, sample SD (None for one respondent)
    and count."""

    mean: float
    sd: float | None
    n: int
    #: The prior's spread of one respondent's angular level: ANGULAR_SLOPE * SIGMA0 over the square root of the
    #: number of answers the level averages (a pseudo-respondent varies by SIGMA0 on each of them, independently).
    prior_sd: float = 2.0 * SIGMA0


@dataclass(frozen=True)
class Estimate:
    """A score with its interval (None when the result has none) at a confidence level."""

    score: float
    interval: tuple[float, float] | None
    confidence: float
    evidence: Evidence | None = None


@dataclass(frozen=True)
class Difference:
    """``after - before`` with its interval at ``confidence``, the verdict and the probability that the level rose."""

    change: float
    interval: tuple[float, float] | None
    confidence: float
    verdict: Verdict
    #: Posterior probability that the team's level rose (None where a side has no respondent levels).
    probability: float | None = None


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
    """Return the change from ``before`` to ``after``: MOVER interval of the score change, P(rise) and the verdict.

    The two intervals are brought to the higher of their two confidence levels (the more cautious one) assuming
    normal-shaped tails.
    """
    change = after.score - before.score
    confidence = max(before.confidence, after.confidence)
    interval = None
    if before.interval is not None and after.interval is not None:
        before_down, before_up = _distances(before, confidence)
        after_down, after_up = _distances(after, confidence)
        interval = (change - math.hypot(after_down, before_up), change + math.hypot(after_up, before_down))
    if before.evidence is not None and after.evidence is not None:
        probability = probability_of_rise(before.evidence, after.evidence)
        return Difference(change, interval, confidence, verdict_from(probability, change), probability)
    if interval is None:
        return Difference(change, None, confidence, NO_CLEAR_CHANGE)
    return Difference(change, interval, confidence, verdict_of(*interval))


def probability_of_rise(before: Evidence, after: Evidence) -> float:
    """Return the posterior probability that the after population's mean level exceeds the before one's."""

    def share(side: Evidence) -> tuple[float, float]:
        sq = (side.n - 1) * (side.sd or 0.0) ** 2
        df = side.n - 1 + NU0
        return (sq + NU0 * side.prior_sd**2) / df / side.n, df

    var_b, df_b = share(before)
    var_a, df_a = share(after)
    se2 = var_a + var_b
    df = se2**2 / (var_a**2 / df_a + var_b**2 / df_b)
    return float(stats.t.cdf((after.mean - before.mean) / math.sqrt(se2), df))


def verdict_from(probability: float, change: float) -> Verdict:
    """Return the verdict a probability of rise supports, never against the direction of the score change."""
    if probability >= DECISIVE and change > -EPSILON:
        return IMPROVED
    if probability <= 1.0 - DECISIVE and change < EPSILON:
        return DECLINED
    return NO_CLEAR_CHANGE


def verdict_of(lower: float, upper: float) -> Verdict:
    """Return the verdict an interval of a difference supports."""
    if lower > EPSILON:
        return IMPROVED
    if upper < -EPSILON:
        return DECLINED
    return NO_CLEAR_CHANGE
