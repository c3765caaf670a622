"""Uncertainty over respondents: bootstrap resamples and, for small teams, a jackknife t-interval.

A team's score depends on who happened to answer. Resampling respondents with replacement shows how much the score
would move with a different draw of the same team. The bootstrap is done on answer counts: each resample is a vector
of how often each respondent is drawn, so one matrix product gives every resample's counts at once.

Below ``small_team`` respondents a percentile bootstrap is known to be too narrow, so we report the wider of it and a
jackknife interval using Student's t with n - 1 degrees of freedom. With one respondent nothing is known about spread,
and the interval is the whole scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cxmaturity.scoring.layout import FloatArray, Layout
from cxmaturity.scoring.rules import overall_score, scores_from_counts


@dataclass(frozen=True)
class Uncertainty:
    """Intervals (lower, upper) per competency and overall, and stage probabilities (C, S) and (S,)."""

    lower: FloatArray
    upper: FloatArray
    overall_lower: float
    overall_upper: float
    stage_probabilities: FloatArray
    overall_stage_probabilities: FloatArray
    method: str


def one_hot(answers: npt.NDArray[np.int16], layout: Layout) -> npt.NDArray[np.float32]:
    """Return a (respondents, indicators * options) 0/1 matrix of the answers that count."""
    n, m = answers.shape
    a = layout.max_options
    out = np.zeros((n, m * a), dtype=np.float32)
    rows, cols = np.nonzero(answers >= 0)
    out[rows, cols * a + answers[rows, cols]] = 1.0
    return out


def _resample_weights(n: int, resamples: int, rng: np.random.Generator) -> npt.NDArray[np.float32]:
    draws = rng.integers(0, n, size=(resamples, n))
    offsets = (np.arange(resamples) * n)[:, np.newaxis]
    counts = np.bincount((draws + offsets).ravel(), minlength=resamples * n)
    return counts.reshape(resamples, n).astype(np.float32)


def _stage_probabilities(stages: npt.NDArray[np.intp], n_stages: int) -> FloatArray:
    """Share of resamples at each stage; ``stages`` is (B, ...) and the result is (..., S)."""
    hits = stages[..., np.newaxis] == np.arange(n_stages)
    return np.asarray(hits.mean(axis=0), dtype=np.float64)


def estimate(
    answers: npt.NDArray[np.int16], layout: Layout, *, resamples: int, confidence: float, small_team: int, seed: int
) -> Uncertainty | None:
    """Return intervals and stage probabilities, or None when there are no respondents or no resamples."""
    n = answers.shape[0]
    if n == 0 or resamples == 0:
        return None
    top = float(layout.n_stages)
    if n == 1:
        whole = np.full(layout.n_competencies, 1.0), np.full(layout.n_competencies, top)
        single = scores_from_counts(
            one_hot(answers, layout).astype(np.float64).reshape(1, layout.n_indicators, -1), layout
        )
        probs = _stage_probabilities(single.stage, layout.n_stages)
        overall_stage = np.floor(overall_score(single.score, layout)).astype(np.intp) - 1
        return Uncertainty(
            whole[0],
            whole[1],
            1.0,
            top,
            probs,
            _stage_probabilities(overall_stage, layout.n_stages),
            "whole scale (one respondent)",
        )
    rng = np.random.default_rng(seed)
    hot = one_hot(answers, layout)
    weights = _resample_weights(n, resamples, rng)
    counts = (weights @ hot).astype(np.float64).reshape(resamples, layout.n_indicators, layout.max_options)
    boot = scores_from_counts(counts, layout)
    boot_overall = overall_score(boot.score, layout)
    alpha = (1.0 - confidence) / 2.0
    lower, upper = np.quantile(boot.score, [alpha, 1.0 - alpha], axis=0)
    o_lower, o_upper = np.quantile(boot_overall, [alpha, 1.0 - alpha])
    method = f"bootstrap percentile, {resamples} resamples"
    if n < small_team:
        jk_lower, jk_upper, jk_o_lower, jk_o_upper = _jackknife(hot, layout, confidence)
        lower, upper = np.minimum(lower, jk_lower), np.maximum(upper, jk_upper)
        o_lower, o_upper = min(o_lower, jk_o_lower), max(o_upper, jk_o_upper)
        method = f"wider of bootstrap percentile ({resamples} resamples) and jackknife t (n = {n})"
    overall_stage = np.floor(boot_overall).astype(np.intp) - 1
    return Uncertainty(
        lower=np.clip(lower, 1.0, top),
        upper=np.clip(upper, 1.0, top),
        overall_lower=float(np.clip(o_lower, 1.0, top)),
        overall_upper=float(np.clip(o_upper, 1.0, top)),
        stage_probabilities=_stage_probabilities(boot.stage, layout.n_stages),
        overall_stage_probabilities=_stage_probabilities(overall_stage, layout.n_stages),
        method=method,
    )


def _jackknife(
    hot: npt.NDArray[np.float32], layout: Layout, confidence: float
) -> tuple[FloatArray, FloatArray, float, float]:
    from scipy import stats

    n = hot.shape[0]
    total = hot.sum(axis=0, dtype=np.float64)
    leave_one_out = (total[np.newaxis, :] - hot).reshape(n, layout.n_indicators, layout.max_options)
    full = scores_from_counts(total.reshape(layout.n_indicators, layout.max_options), layout)
    loo = scores_from_counts(leave_one_out, layout)
    t = float(stats.t.ppf(0.5 + confidence / 2.0, df=n - 1))

    def interval(estimate: FloatArray, replicates: FloatArray) -> tuple[FloatArray, FloatArray]:
        centre = replicates.mean(axis=0)
        se = np.sqrt((n - 1) / n * ((replicates - centre) ** 2).sum(axis=0))
        return estimate - t * se, estimate + t * se

    lower, upper = interval(full.score, loo.score)
    o_lower, o_upper = interval(overall_score(full.score, layout), overall_score(loo.score, layout))
    return lower, upper, float(o_lower), float(o_upper)
