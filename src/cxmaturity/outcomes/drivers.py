"""Key drivers of an outcome: Johnson's (2000) relative weights with bootstrap intervals, and importance x performance.

Relative weights (Johnson 2000, Multivariate Behavioral Research 35(1), 1-19). With R the drivers' correlation matrix
and r their correlations with the outcome, take R = V diag(λ) V' and its symmetric square root Λ = V diag(√λ) V'
(the correlations of the drivers with their closest orthonormal counterparts Z). The outcome's regression on Z has
weights β = Λ⁻¹ r, and driver j's raw weight is

    ε_j = Σ_k Λ_jk² β_k²

Each column of Λ has unit sum of squares (Λ² = R has a unit diagonal), so Σ_j ε_j = Σ_k β_k² = R², the share of the
outcome's variance the drivers explain together; ``share`` is ε_j / R². Two uncorrelated drivers get r_j², exactly.

Intervals: percentile bootstrap over respondents (Tonidandel, LeBreton & Johnson 2009, Psychological Methods 14(4);
Tonidandel & LeBreton 2011, J. Business and Psychology 26(1)). Each resample draws n respondents with replacement;
instead of copying rows, it counts how often each respondent is drawn (multinomial weights) and computes the
resample's sums and cross-products as one matrix product of the weights with the respondents' centred values and
their pairwise products. The correlation matrices of all resamples then go through one batched eigendecomposition.
This is the same bootstrap as resampling rows, at a fraction of the memory traffic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from cxmaturity.outcomes.blas import single_thread
from cxmaturity.outcomes.metrics import CONFIDENCE

FloatArray = npt.NDArray[np.float64]

#: Fewer complete responses than this (or than drivers + 10) make relative weights noise.
MIN_RESPONSES = 30
#: A driver explained by the others to more than this share (VIF above 100) is near-collinear: its weight and its
#: partners' would be split arbitrarily.
COLLINEAR_R2 = 0.99
BOOTSTRAP = 1000
#: Resamples per matrix product, and the most drawn indices held at once (8 bytes each, twice: the draws and their
#: counts): 50 resamples of 100,000 responses, or fewer of more.
CHUNK = 50
MAX_DRAWS = 5_000_000

Quadrant = Literal["priority", "strength", "maintain", "secondary"]


class DriversError(ValueError):
    """Data on which key-driver analysis cannot be run; the message says why and names the columns."""


@dataclass(frozen=True)
class DriverWeight:
    """One driver's raw relative weight (its part of R²), its share of R², their intervals and its mean rating."""

    column: str
    weight: float
    share: float
    interval: tuple[float, float] | None
    share_interval: tuple[float, float] | None
    #: Correlation with the outcome (its sign says whether the driver helps or hurts).
    correlation: float
    mean: float


@dataclass(frozen=True)
class ImportancePerformance:
    """A driver's place in the importance x performance view: importance is its share of R², performance its mean
    rating as a percentage of its observed range; quadrants split at the drivers' average of each."""

    column: str
    importance: float
    performance: float
    quadrant: Quadrant


@dataclass(frozen=True)
class DriverAnalysis:
    outcome: str
    n: int
    r2: float
    drivers: tuple[DriverWeight, ...]
    confidence: float
    resamples: int
    seed: int
    #: Responses left out because the outcome or a driver was empty.
    incomplete: int
    matrix: tuple[ImportancePerformance, ...]


def relative_weights(correlations: FloatArray) -> FloatArray:
    """Return the raw relative weights of the drivers from the (p+1) x (p+1) correlation matrix whose last row and
    column are the outcome's; a stack of matrices (..., p+1, p+1) gives a stack of weights (..., p)."""
    rxx = correlations[..., :-1, :-1]
    rxy = correlations[..., :-1, -1]
    eigenvalues, vectors = np.linalg.eigh(rxx)
    root = np.sqrt(np.clip(eigenvalues, 0.0, None))
    # Λ = V diag(√λ) V'; β = Λ⁻¹ r = V diag(1/√λ) V' r
    lam = (vectors * root[..., np.newaxis, :]) @ np.swapaxes(vectors, -1, -2)
    inv_root = np.where(root > 0, 1.0 / np.where(root > 0, root, 1.0), 0.0)
    proj = np.einsum("...ji,...j->...i", vectors, rxy)
    beta = np.einsum("...ij,...j->...i", vectors, proj * inv_root)
    weights: FloatArray = np.einsum("...jk,...k->...j", lam**2, beta**2)
    return weights


def analyze(
    outcome: Sequence[float | None] | FloatArray,
    drivers: Sequence[Sequence[float | None]] | FloatArray,
    names: Sequence[str],
    outcome_name: str = "outcome",
    *,
    resamples: int = BOOTSTRAP,
    seed: int = 0,
    confidence: float = CONFIDENCE,
    min_responses: int = MIN_RESPONSES,
) -> DriverAnalysis:
    """Return the relative weights of ``drivers`` (n x p, NaN or None for empty) on ``outcome`` (n), bootstrap
    intervals from ``resamples`` seeded resamples (0: none), and the importance x performance view.

    Raise :class:`DriversError` for too few complete responses, a constant column or near-collinear drivers.
    """
    y = np.asarray(outcome, dtype=np.float64)
    x = np.asarray(drivers, dtype=np.float64)
    p = len(names)
    if x.ndim != 2 or x.shape != (y.shape[0], p):
        raise DriversError(f"expected {p} driver columns for {y.shape[0]} responses, got an array of {x.shape}")
    if p == 0:
        raise DriversError("name at least one driver column")
    if len(set(names)) != p or outcome_name in names:
        raise DriversError("each driver column is named once, and the outcome is not among them")
    data = np.column_stack([x, y])
    complete = ~np.isnan(data).any(axis=1)
    n = int(complete.sum())
    needed = max(min_responses, p + 10)
    if n < needed:
        raise DriversError(
            f"key drivers need at least {needed} complete responses (the outcome and all {p} drivers answered); "
            f"{n} of {len(y)} are complete"
        )
    data = np.ascontiguousarray(data[complete])
    columns = [*names, outcome_name]
    sd = data.std(axis=0)
    constant = [columns[j] for j in range(p + 1) if not sd[j] > 0]
    if constant:
        raise DriversError(
            f"column '{constant[0]}' has the same answer in every complete response: it cannot explain or be explained"
        )
    corr: FloatArray = np.asarray(np.corrcoef(data, rowvar=False), dtype=np.float64)
    _check_collinear(corr[:-1, :-1], list(names))
    raw = relative_weights(corr)
    r2 = float(raw.sum())
    intervals: list[tuple[float, float] | None] = [None] * p
    share_intervals: list[tuple[float, float] | None] = [None] * p
    if resamples > 0:
        with single_thread():  # outcomes/blas.py: threads only spin on busy cores
            boot = bootstrap_weights(data, resamples, seed)
        tail = 100.0 * (1.0 - confidence) / 2.0
        lo, hi = np.nanpercentile(boot, [tail, 100.0 - tail], axis=0)
        totals = boot.sum(axis=1, keepdims=True)
        shares = np.divide(boot, totals, out=np.full_like(boot, np.nan), where=totals > 0)
        slo, shi = np.nanpercentile(shares, [tail, 100.0 - tail], axis=0)
        intervals = [(float(a), float(b)) for a, b in zip(lo, hi, strict=True)]
        share_intervals = [(float(a), float(b)) for a, b in zip(slo, shi, strict=True)]
    means = data[:, :-1].mean(axis=0)
    weights = tuple(
        DriverWeight(
            column=names[j],
            weight=float(raw[j]),
            share=float(raw[j] / r2) if r2 > 0 else 0.0,
            interval=intervals[j],
            share_interval=share_intervals[j],
            correlation=float(corr[j, -1]),
            mean=float(means[j]),
        )
        for j in range(p)
    )
    lows, highs = data[:, :-1].min(axis=0), data[:, :-1].max(axis=0)
    return DriverAnalysis(
        outcome=outcome_name,
        n=n,
        r2=r2,
        drivers=weights,
        confidence=confidence,
        resamples=resamples,
        seed=seed,
        incomplete=int(len(y) - n),
        matrix=importance_performance(weights, lows, highs),
    )


def _check_collinear(rxx: FloatArray, names: list[str]) -> None:
    """Raise :class:`DriversError` naming a driver the others explain almost perfectly, and its closest partner."""
    try:
        inverse = np.linalg.inv(rxx)
        explained = 1.0 - 1.0 / np.diag(inverse)
    except np.linalg.LinAlgError:
        explained = np.ones(len(names))
    if np.linalg.cond(rxx) > 1e12:
        explained = np.maximum(explained, np.ones(len(names)))
    worst = int(np.argmax(explained))
    if explained[worst] > COLLINEAR_R2:
        others = np.abs(rxx[worst]).copy()
        others[worst] = -1.0
        partner = int(np.argmax(others))
        raise DriversError(
            f"drivers are near-collinear: '{names[worst]}' is explained by the other drivers to "
            f"R² = {min(1.0, float(explained[worst])):.3f} (correlation {rxx[worst, partner]:.3f} with "
            f"'{names[partner]}'); leave one of them out or combine them"
        )


def bootstrap_weights(data: FloatArray, resamples: int, seed: int, chunk: int = CHUNK) -> FloatArray:
    """Return ``resamples`` x p raw relative weights of percentile-bootstrap resamples of ``data`` (n x (p+1),
    outcome last), seeded: the same seed gives the same resamples.

    Each block of ``chunk`` resamples draws its respondents (``rng.integers``), counts them per respondent into a
    weights matrix W (chunk x n) and forms every resample's means of the centred values and of their pairwise
    products (upper triangle) as one matrix product ``W @ [values | products] / n``.

    The product runs in single precision, four to eight times faster than double: its rounding error is of order
    √n · 2⁻²⁴ of a typical term before the division by n, some 10⁻¹⁰ of a variance at n = 100,000, while the
    bootstrap's own spread of a covariance is of order 1/√n (10⁻³ there). The correlation matrices and their
    eigendecompositions are computed in double precision.
    """
    n, q = data.shape
    chunk = max(1, min(chunk, MAX_DRAWS // n))
    rng = np.random.default_rng(seed)
    centred = data - data.mean(axis=0)
    upper_i, upper_j = np.triu_indices(q)
    stats_ = np.empty((n, q + len(upper_i)), dtype=np.float32)
    stats_[:, :q] = centred
    stats_[:, q:] = centred[:, upper_i] * centred[:, upper_j]
    out = np.empty((resamples, q - 1), dtype=np.float64)
    offsets = (np.arange(chunk, dtype=np.int64) * n)[:, np.newaxis]
    for start in range(0, resamples, chunk):
        size = min(chunk, resamples - start)
        draws = rng.integers(0, n, size=(size, n), dtype=np.int64)
        draws += offsets[:size]
        counts = np.bincount(draws.ravel(), minlength=size * n).reshape(size, n).astype(np.float32)
        moments = (counts @ stats_).astype(np.float64) / n
        means, cross = moments[:, :q], moments[:, q:]
        cov = np.empty((size, q, q), dtype=np.float64)
        cov[:, upper_i, upper_j] = cross - means[:, upper_i] * means[:, upper_j]
        cov[:, upper_j, upper_i] = cov[:, upper_i, upper_j]
        diag = np.sqrt(np.clip(np.diagonal(cov, axis1=1, axis2=2), 0.0, None))
        with np.errstate(divide="ignore", invalid="ignore"):
            corr = cov / (diag[:, :, np.newaxis] * diag[:, np.newaxis, :])
        # A resample where a rare answer was never drawn can leave a column constant: its weights are undefined.
        bad = ~np.isfinite(corr).all(axis=(1, 2))
        corr[bad] = np.eye(q)
        weights = relative_weights(corr)
        weights[bad] = np.nan
        out[start : start + size] = weights
    return out


def importance_performance(
    weights: Sequence[DriverWeight], lows: FloatArray, highs: FloatArray
) -> tuple[ImportancePerformance, ...]:
    """Return each driver's importance (share of R²) and performance (mean as % of its observed range), with the
    quadrant it falls in against the drivers' averages: priority (important, performing below average), strength
    (important, above), maintain (less important, above) and secondary (less important, below)."""
    if not weights:
        return ()
    perf = [
        100.0 * (w.mean - lo) / (hi - lo) if hi > lo else 100.0 for w, lo, hi in zip(weights, lows, highs, strict=True)
    ]
    mean_importance = sum(w.share for w in weights) / len(weights)
    mean_performance = sum(perf) / len(perf)
    out = []
    for w, pf in zip(weights, perf, strict=True):
        important = w.share >= mean_importance
        performing = pf >= mean_performance
        quadrant: Quadrant = (
            ("strength" if performing else "priority") if important else ("maintain" if performing else "secondary")
        )
        out.append(ImportancePerformance(w.column, w.share, pf, quadrant))
    return tuple(out)
