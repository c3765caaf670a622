"""A simulation study of the scoring method: teams drawn from populations whose true result is known exactly.

Each population is a built-in framework with a true *level* per competency and a latent-scale model of how people
answer (SYNTHETIC):

* a respondent's latent answer to a statement of stage t in competency c is ``BETA * (level_c - t) + OFFSET + d_i + u_r
  + e_ri``, cut at the option boundaries (..., -0.5, 0.5, ...) of its scale; ``d_i`` is the indicator's own
  difficulty, ``u_r`` the respondent's leniency, shared by all their answers (respondent-level correlation), and
  ``e_ri`` noise;
* for a rubric, the stage chosen is ``level_c + RUBRIC_OFFSET + d_i + (u_r + e_ri) / BETA`` rounded down, within the
  stages;
* in a *two-camp* team the leniency is +CAMP or -CAMP, half the population each.

Because the latent terms are normal (or a two-part normal mixture), every option's probability in the population is
a normal CDF difference, so the population's fulfilments, stages and scores (the *truth*) are computed exactly with
the product's own stage rule. Teams of n are drawn from the population and scored by ``cxmaturity.scoring.score``.

Families of populations (each drawn afresh in every replication):
* ``mid-stage``: every competency halfway through a stage;
* ``near threshold``: every competency's true score just below a whole stage (its next stage's fulfilment just under
  the threshold): the hardest case for a gated score;
* ``random``: random levels and indicator difficulties;
* ``two camps``: mid-stage levels, the team split into two camps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

from cxmaturity.frameworks import Framework
from cxmaturity.frameworks.model import Statement
from cxmaturity.scoring import ResponseMatrix
from cxmaturity.scoring.layout import FloatArray, layout_for
from cxmaturity.scoring.rules import overall_score, scores_from_fulfilment

#: Latent units per stage for statements; OFFSET puts a statement of stage t at the threshold for level t.
BETA = 1.5
OFFSET = 0.85
RUBRIC_OFFSET = 0.5
#: Standard deviations of leniency and noise (latent units), and a camp's distance from the middle.
LENIENCY = 0.5
NOISE = 0.9
CAMP = 1.0
CAMP_NOISE = 0.6
FAMILIES = ("mid-stage", "near threshold", "random", "two camps")


@dataclass(frozen=True)
class Population:
    """How a population answers: latent means per indicator, spread, and the truth that follows."""

    framework: Framework
    levels: FloatArray  # (C,)
    difficulty: FloatArray  # (indicators,)
    two_camps: bool

    def _latent_means(self) -> FloatArray:
        fw = self.framework
        comp_index = {c.key: n for n, c in enumerate(fw.competencies)}
        means = np.zeros(len(fw.indicators))
        for i, (comp, ind) in enumerate(fw.indicators):
            level = self.levels[comp_index[comp.key]]
            if isinstance(ind, Statement):
                means[i] = BETA * (level - fw.stage_number(ind.stage)) + OFFSET + self.difficulty[i]
            else:
                means[i] = BETA * (level + RUBRIC_OFFSET + self.difficulty[i])
        return means

    def _cuts(self) -> FloatArray:
        """Option boundaries on the latent scale of each indicator (rubrics: stage numbers, scaled by BETA), padded
        with +inf to the widest scale: (indicators, max options - 1)."""
        return _cuts(self.framework)

    def option_probabilities(self) -> FloatArray:
        """Return (indicators, max options): the population's probability of each option (exact; 0 for padding)."""
        means = self._latent_means()[:, np.newaxis]
        cuts = self._cuts()
        if self.two_camps:
            cdf = 0.5 * (
                stats.norm.cdf(cuts, means + CAMP, CAMP_NOISE) + stats.norm.cdf(cuts, means - CAMP, CAMP_NOISE)
            )
        else:
            cdf = stats.norm.cdf(cuts, means, float(np.hypot(LENIENCY, NOISE)))
        ones = np.ones((len(means), 1))
        return np.diff(np.concatenate([0.0 * ones, cdf, ones], axis=1), axis=1)

    def truth(self) -> tuple[FloatArray, float, npt.NDArray[np.intp]]:
        """Return the true score per competency, the true overall score and the true stage index per competency."""
        layout = layout_for(self.framework)
        probs = self.option_probabilities()
        item = (probs[layout.evidence_indicator] * layout.value).sum(axis=-1)
        sums = item @ layout.membership
        n = np.ones_like(item) @ layout.membership
        with np.errstate(invalid="ignore", divide="ignore"):
            ful = np.where(n > 0, sums / np.where(n > 0, n, 1.0), np.nan)
        scores = scores_from_fulfilment(ful.reshape(layout.n_competencies, layout.n_stages), layout)
        return scores.score, float(overall_score(scores.score, layout)), scores.stage

    def team(self, n: int, rng: np.random.Generator) -> ResponseMatrix:
        """Draw a team of ``n`` respondents from the population."""
        fw = self.framework
        means = self._latent_means()
        if self.two_camps:
            leniency = np.where(rng.random(n) < 0.5, CAMP, -CAMP)
            noise = CAMP_NOISE
        else:
            leniency = rng.normal(0.0, LENIENCY, n)
            noise = NOISE
        latent = means[np.newaxis, :] + leniency[:, np.newaxis] + rng.normal(0.0, noise, (n, len(means)))
        answers = (latent[:, :, np.newaxis] > self._cuts()[np.newaxis, :, :]).sum(axis=-1).astype(np.int16)
        names = tuple(f"r{k}" for k in range(n))
        return ResponseMatrix(fw, names, ("",) * n, answers, np.full(answers.shape, np.nan))

    def shifted(self, stages: float) -> Population:
        """Return the same population with every competency ``stages`` stages higher."""
        return Population(self.framework, self.levels + stages, self.difficulty, self.two_camps)


def _cuts(fw: Framework) -> FloatArray:
    rows = []
    for _, ind in fw.indicators:
        if isinstance(ind, Statement):
            a = len(fw.scales[ind.scale].options)
            rows.append(np.arange(1, a) - a / 2.0)
        else:
            rows.append(BETA * np.arange(2, len(fw.stages) + 1, dtype=np.float64))
    width = layout_for(fw).max_options - 1
    return np.array([np.concatenate([r, np.full(width - len(r), np.inf)]) for r in rows])


def _levels_for_scores(fw: Framework, targets: FloatArray, difficulty: FloatArray) -> FloatArray:
    """Return the levels at which each competency's true score is its target (bisection on all competencies at once:
    a competency's score depends on its own level only, and rises with it)."""
    lo, hi = np.full(len(targets), -2.0), np.full(len(targets), 8.0)
    for _ in range(30):
        mid = (lo + hi) / 2.0
        true_scores, _, _ = Population(fw, mid, difficulty, False).truth()
        below = true_scores < targets
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    return np.asarray((lo + hi) / 2.0, dtype=np.float64)


def population(fw: Framework, family: str, rng: np.random.Generator) -> Population:
    """Draw a population of ``family``."""
    c, m = len(fw.competencies), len(fw.indicators)
    top = len(fw.stages)
    if family == "random":
        return Population(fw, rng.uniform(0.5, top + 0.3, c), rng.normal(0.0, 0.4, m), False)
    difficulty = rng.normal(0.0, 0.15, m)
    if family == "near threshold":
        # Just below a whole stage: the next stage's fulfilment sits just under the threshold.
        targets = rng.integers(2, top + 1, c) - rng.uniform(0.01, 0.06, c)
        return Population(fw, _levels_for_scores(fw, targets, difficulty), difficulty, False)
    levels = rng.integers(1, top, c) + rng.uniform(0.3, 0.7, c)
    return Population(fw, levels, difficulty, family == "two camps")


def expected_calibration_error(confidence: FloatArray, correct: npt.NDArray[np.bool_], bins: int = 10) -> float:
    """Top-label ECE as Guo et al. (2017) define it (after Naeini et al. 2015): the predictions are split into
    ``bins`` equal-width bins of their confidence, bin m holding the confidences in ((m - 1)/M, m/M] (the first
    bin also holds 0), and the ECE is the sum over bins of |mean confidence - accuracy| weighted by the bin's share
    of the predictions. ``confidence`` is the probability of the stage named (the most probable one), ``correct``
    whether it is the true stage."""
    # Right-closed bins, as published: a confidence of exactly 0.9 belongs to (0.8, 0.9], 1.0 to (0.9, 1.0]. A share
    # of draws (k / 1,000) times 10 can land a rounding step above a whole number (0.3 * 10 = 3.0000000000000004):
    # rounding first keeps such a confidence in its bin.
    which = np.clip(np.ceil(np.round(confidence * bins, 9)).astype(np.intp) - 1, 0, bins - 1)
    total = 0.0
    for b in range(bins):
        inside = which == b
        if inside.any():
            total += inside.mean() * abs(float(confidence[inside].mean()) - float(correct[inside].mean()))
    return total


def _bins(confidence: FloatArray, bins: int) -> npt.NDArray[np.intp]:
    """Return each confidence's bin, as ``expected_calibration_error`` places it."""
    return np.clip(np.ceil(np.round(confidence * bins, 9)).astype(np.intp) - 1, 0, bins - 1)


def debiased_ece(confidence: FloatArray, correct: npt.NDArray[np.bool_], bins: int = 10) -> float:
    """The same binned ECE, less an estimate of its finite-sample bias: the normal-approximation debiased estimator of
    Kumar, Liang & Ma (2019, section 5, the l1 form of their library's ``normal_debiased_ce``).

    In a bin of n_b predictions the accuracy a_b is a noisy estimate, so |a_b - mean confidence| overstates the bin's
    true gap on average (|.| of a noisy number leans high). Taking a_b as normal with variance a_b (1 - a_b) / n_b,
    the expected plug-in gap is E|N(g, s²)| with g the plug-in gap; the estimator subtracts the excess, E|N(g, s²)| -
    |g|, from |g|. The closed form of E|N(g, s²)| replaces the library's resampling. It takes predictions as
    independent; the competencies of one team are not, so it corrects somewhat less than the bias (the calibrated
    reference of ``calibrated_ece`` measures the bias with the correlation kept)."""
    which = _bins(confidence, bins)
    total = 0.0
    for b in range(bins):
        inside = which == b
        count = int(inside.sum())
        if count == 0:
            continue
        accuracy = float(correct[inside].mean())
        gap = accuracy - float(confidence[inside].mean())
        s = np.sqrt(accuracy * (1.0 - accuracy) / count)
        if s > 0:
            expected = s * np.sqrt(2.0 / np.pi) * np.exp(-(gap**2) / (2 * s**2)) + gap * (
                1 - 2 * stats.norm.cdf(-gap / s)
            )
        else:
            expected = abs(gap)
        total += count / len(confidence) * (2.0 * abs(gap) - float(expected))
    return total


def calibrated_outcomes(confidence: FloatArray, rho: float, rng: np.random.Generator) -> npt.NDArray[np.bool_]:
    """Draw outcomes that are calibrated by construction for ``confidence`` (teams, k): each prediction is right with
    exactly its stated probability, and the k predictions of one team are correlated through a shared normal term
    (a Gaussian copula with latent correlation ``rho``), as one team's competencies are in the study."""
    shared = rng.standard_normal((confidence.shape[0], 1))
    latent = np.sqrt(rho) * shared + np.sqrt(1.0 - rho) * rng.standard_normal(confidence.shape)
    return np.asarray(latent < stats.norm.ppf(np.clip(confidence, 1e-12, 1 - 1e-12)))


def residual_icc(confidence: FloatArray, correct: npt.NDArray[np.bool_]) -> float:
    """Return the intraclass correlation (one-way ANOVA, ICC(1)) of the residuals right - confidence within teams, for
    (teams, k) arrays: how strongly one team's predictions are right or wrong together."""
    residual = correct.astype(np.float64) - confidence
    teams, k = residual.shape
    between = k * float(((residual.mean(axis=1) - residual.mean()) ** 2).sum()) / (teams - 1)
    within = float(((residual - residual.mean(axis=1, keepdims=True)) ** 2).sum()) / (teams * (k - 1))
    return float((between - within) / (between + (k - 1) * within))


def calibrated_ece(
    confidence: FloatArray, correct: npt.NDArray[np.bool_], draws: int = 200, seed: int = 0
) -> tuple[float, float, float]:
    """What the binned ECE reads for a predictor that is calibrated by construction, with the study's own confidences
    (teams, k) and the same within-team correlation: its mean and 95th percentile over ``draws`` draws of the outcomes,
    and the latent correlation used (the one whose outcomes have the residual ICC the study's outcomes have)."""
    rng = np.random.default_rng(seed)
    target = residual_icc(confidence, correct)
    grid = np.linspace(0.0, 0.95, 20)
    found = [
        np.mean([residual_icc(confidence, calibrated_outcomes(confidence, r, rng)) for _ in range(10)]) for r in grid
    ]
    rho = float(grid[int(np.argmin(np.abs(np.array(found) - target)))])
    eces = [
        expected_calibration_error(confidence.ravel(), calibrated_outcomes(confidence, rho, rng).ravel())
        for _ in range(draws)
    ]
    return float(np.mean(eces)), float(np.quantile(eces, 0.95)), rho
