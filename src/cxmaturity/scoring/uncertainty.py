"""Uncertainty of a team's result: one posterior of the stage fulfilments, pushed through the stage rule.

A result rests on fulfilments: for each competency and each stage above the first, the team's mean normalized
answer to that stage's evidence. A different draw of the same team would have given other fulfilments; how far they
could move is what the intervals and stage probabilities state.

The model
    Each respondent r gives a vector x_r of *stage values*: for every competency c and stage s above the first, their
    own mean normalized answer over the (c, s) evidence items they answered. The team's fulfilments estimate the
    population mean mu of that vector. Respondents are taken as a sample from a population in which x is
    multivariate normal, with a flat prior on mu and a weak conjugate prior on its covariance: NU0 pseudo-respondents
    who vary by SIGMA0 on every value, independently. The posterior of mu is then multivariate Student t: centred on the
    team's fulfilments, scale D (S + NU0 SIGMA0² I) D with S the respondents' scatter matrix around their means and
    D = diag(1 / sqrt(n_d (n_d - 1 + NU0))), and n_d - 1 + NU0 degrees of freedom for a value answered by n_d
    respondents. With NU0 -> 0 and normal answers each fulfilment's interval is exactly Student's t interval; the
    prior only matters where the data say nothing about spread: one respondent, or two who agree.

Why this model
    * The covariance keeps respondent-level correlation (a lenient respondent rates every stage higher), so stages
      and competencies move together in the draws as they do between real teams; a model of independent indicators
      (per-indicator Dirichlet) is too narrow when they are correlated.
    * Student's t with n - 1 degrees of freedom is what makes a mean's interval honest at n = 3 (its 90% quantile is
      2.92, against 1.64 for the normal), where a bootstrap over respondents is about half as wide as it should be.
    * One model at every n: no switch of method at a team size, so coverage does not jump there.

Each of ``draws`` posterior draws of the fulfilments (clipped to [0, 1], the range of a normalized answer) is scored
with the same rules as the team (``rules.scores_from_fulfilment``). The interval is the central ``confidence`` range
of the drawn scores and a stage's probability is the share of draws at that stage, so the two always agree. Draws are
seeded: the same answers give the same intervals. ``bench/bench_method.py`` checks coverage, calibration, power and
false alarms by simulation at n = 3 to 100 (docs/scoring.md, section 6).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from cxmaturity.scoring.layout import FloatArray, Layout
from cxmaturity.scoring.rules import overall_score, scores_from_fulfilment, track_scores

#: Prior: this many pseudo-respondents (a fraction of one: weak) ...
NU0 = 1.0
#: ... whose stage values vary with this standard deviation (on the 0-1 scale of normalized answers).
SIGMA0 = 0.3


@dataclass(frozen=True)
class Uncertainty:
    """Intervals (lower, upper) per competency, per track and overall, and stage probabilities (C, S), (T, S) and
    (S,), all from the same draws.

    NaN (and zero probabilities) for a competency or track that is not assessed.
    """

    lower: FloatArray
    upper: FloatArray
    overall_lower: float
    overall_upper: float
    stage_probabilities: FloatArray
    overall_stage_probabilities: FloatArray
    method: str
    track_lower: FloatArray = field(default_factory=lambda: np.zeros(0))
    track_upper: FloatArray = field(default_factory=lambda: np.zeros(0))
    track_stage_probabilities: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))


def stage_values(answers: npt.NDArray[np.int16], layout: Layout) -> FloatArray:
    """Return (respondents, C * S): each respondent's mean normalized answer over the evidence of each competency and
    stage (column c * S + s), NaN where they answered none of it."""
    column = layout.evidence_competency * layout.n_stages + layout.evidence_stage
    return evidence_means(answers, layout, column, layout.n_competencies * layout.n_stages)


def evidence_means(
    answers: npt.NDArray[np.int16], layout: Layout, column: npt.NDArray[np.intp], width: int
) -> FloatArray:
    """Return (respondents, width): each respondent's mean normalized answer over the evidence items mapped to each
    column (``column[e]`` for item e), NaN where they answered none of them. A rubric counts once per item."""
    n = answers.shape[0]
    items = len(layout.evidence_indicator)
    given = answers[:, layout.evidence_indicator]  # (respondents, items)
    answered = given >= 0
    values = layout.value.ravel()[np.arange(items) * layout.max_options + np.where(answered, given, 0)]
    # One bincount per sum (a 0/1 mapping matrix product would do the same through BLAS, several times slower here).
    cell = (np.arange(n)[:, np.newaxis] * width + column[np.newaxis, :]).ravel()
    total = np.bincount(cell, weights=np.where(answered, values, 0.0).ravel(), minlength=n * width)
    count = np.bincount(cell, weights=answered.ravel().astype(np.float64), minlength=n * width)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(count > 0, total / np.where(count > 0, count, 1.0), np.nan)
    return means.reshape(n, width)


def estimate(
    answers: npt.NDArray[np.int16],
    fulfilment: FloatArray,
    layout: Layout,
    *,
    draws: int,
    confidence: float,
    seed: int,
) -> Uncertainty | None:
    """Return intervals and stage probabilities from ``draws`` posterior draws, or None without respondents or draws.

    ``fulfilment`` (C, S) is the team's own, the centre of the posterior.
    """
    n = answers.shape[0]
    if n == 0 or draws == 0:
        return None
    centre = fulfilment.reshape(-1)
    known = np.flatnonzero(~np.isnan(centre))
    values = stage_values(answers, layout)[:, known]
    has = ~np.isnan(values)
    n_d = has.sum(axis=0).astype(np.float64)
    means = np.where(has, values, 0.0).sum(axis=0) / np.maximum(n_d, 1.0)
    deviations = np.where(has, values - means, 0.0)
    scatter = deviations.T @ deviations + NU0 * SIGMA0**2 * np.eye(len(known))
    df = n_d - 1.0 + NU0
    scale = 1.0 / np.sqrt(n_d * df)
    factor = _cholesky(scatter * scale[:, np.newaxis] * scale[np.newaxis, :])

    rng = np.random.default_rng(seed)
    normal = rng.standard_normal((draws, len(known))) @ factor.T
    # One chi-square quantile per draw, shared by every value (comonotone), so each value's marginal is Student t
    # with its own degrees of freedom while the draws keep the correlation of a multivariate t.
    from scipy import stats

    level = rng.uniform(size=(draws, 1))
    shrink = np.sqrt(df / stats.chi2.ppf(level, df[np.newaxis, :]))
    drawn = np.full((draws, centre.size), np.nan)
    drawn[:, known] = np.clip(centre[known] + normal * shrink, 0.0, 1.0)
    scores = scores_from_fulfilment(drawn.reshape(draws, layout.n_competencies, layout.n_stages), layout)
    overall = overall_score(scores.score, layout)
    tracks = track_scores(scores.score, layout)

    alpha = (1.0 - confidence) / 2.0
    lower, upper = _quantiles(scores.score, alpha)
    o_lower, o_upper = _quantiles(overall[:, np.newaxis], alpha)
    t_lower, t_upper = _quantiles(tracks, alpha)
    if layout.overall == "weakest" and not np.isnan(upper).all():
        # The weakest of several noisy competencies is lower than the weakest true one: drawn minima lean low, and the
        # truth would lie above their upper quantile too often. The true overall is at most any competency's true
        # score, so the lowest of the competencies' own upper limits bounds it from above at the stated confidence.
        o_upper = np.array([np.fmin.reduce(upper)])
        # A track under "weakest" is the same minimum over fewer competencies, and gets the same bound.
        t_upper = np.array([np.fmin.reduce(upper[t]) for t in layout.tracks])
    overall_stage = _stage_index(overall)
    return Uncertainty(
        lower=lower,
        upper=upper,
        overall_lower=float(o_lower[0]),
        overall_upper=float(o_upper[0]),
        stage_probabilities=_stage_probabilities(scores.stage, layout.n_stages),
        overall_stage_probabilities=_stage_probabilities(overall_stage, layout.n_stages),
        method=f"posterior of the fulfilments (multivariate t, n - 1 + {NU0:g} df), {draws} draws",
        track_lower=t_lower,
        track_upper=t_upper,
        track_stage_probabilities=_stage_probabilities(_stage_index(tracks), layout.n_stages),
    )


def _stage_index(scores: FloatArray) -> npt.NDArray[np.intp]:
    """Return the 0-based stage of each drawn score, negative where it is NaN (counted at no stage)."""
    return np.where(np.isnan(scores), -1, np.floor(np.nan_to_num(scores, nan=1.0))).astype(np.intp) - 1


def _cholesky(matrix: FloatArray) -> FloatArray:
    try:
        return np.asarray(np.linalg.cholesky(matrix), dtype=np.float64)
    except np.linalg.LinAlgError:  # positive semi-definite in floating point only: fall back on the eigenvectors
        eigenvalues, vectors = np.linalg.eigh(matrix)
        return np.asarray(vectors * np.sqrt(np.clip(eigenvalues, 0.0, None)), dtype=np.float64)


def _quantiles(samples: FloatArray, alpha: float) -> tuple[FloatArray, FloatArray]:
    """Return the alpha and 1 - alpha quantiles over axis 0, NaN for a column that is NaN (not assessed)."""
    assessed = ~np.isnan(samples).all(axis=0)
    lower = np.full(samples.shape[1:], np.nan)
    upper = np.full(samples.shape[1:], np.nan)
    if assessed.any():
        lo, hi = np.quantile(samples[:, assessed], [alpha, 1.0 - alpha], axis=0)
        lower[assessed], upper[assessed] = lo, hi
    return lower, upper


def _stage_probabilities(stages: npt.NDArray[np.intp], n_stages: int) -> FloatArray:
    """Share of draws at each stage; ``stages`` is (B, ...) and the result is (..., S). Index -1 counts nowhere."""
    hits = stages[..., np.newaxis] == np.arange(n_stages)
    return np.asarray(hits.mean(axis=0), dtype=np.float64)
