"""The uncertainty model (scoring/uncertainty.py): one posterior at every team size, intervals and stage probabilities
from the same draws, honest about one or two people."""

from __future__ import annotations

import math

import numpy as np
import pytest
from bench.method_study import (
    calibrated_ece,
    calibrated_outcomes,
    debiased_ece,
    expected_calibration_error,
    population,
    residual_icc,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from cxmaturity.frameworks import Framework, load_builtin
from cxmaturity.scoring import ResponseMatrix, Result, ScoringOptions, score
from cxmaturity.scoring.responses import DONT_KNOW_CODE
from tests.scoring.conftest import build
from tests.scoring.test_properties import FRAMEWORK, matrix, teams
from tests.support.values import known

HIGH = {"vs-1": "5", "vs-2": "5", "ci-1": "committing", "ci-2": "5"}
LOW = {"vs-1": "1", "vs-2": "1", "ci-1": "emerging", "ci-2": "1"}
MIDDLE = {"vs-1": "4", "vs-2": "3", "ci-1": "learning", "ci-2": "4"}
DRAWS = ScoringOptions(bootstrap=400)


def width(interval: tuple[float, float] | None) -> float:
    assert interval is not None
    return interval[1] - interval[0]


def test_it_gives_two_people_who_agree_no_zero_width_certainty(example: Framework) -> None:
    result = score(build(example, {"a": ("", MIDDLE), "b": ("", MIDDLE)}))
    for comp in result.competencies:
        assert width(comp.interval) > 0.2
        assert max(comp.stage_probabilities.values()) < 0.99


def test_it_gives_one_person_a_wide_interval_and_no_certain_stage(example: Framework) -> None:
    result = score(build(example, {"a": ("", MIDDLE)}))
    for comp in result.competencies:
        assert width(comp.interval) > 1.0
        assert max(comp.stage_probabilities.values()) < 0.9


def test_it_narrows_from_one_person_to_two_who_agree_to_ten(example: Framework) -> None:
    one = score(build(example, {"a": ("", MIDDLE)}))
    two = score(build(example, {"a": ("", MIDDLE), "b": ("", MIDDLE)}))
    ten = score(build(example, {f"r{i}": ("", MIDDLE) for i in range(10)}))
    for a, b, c in zip(one.competencies, two.competencies, ten.competencies, strict=True):
        assert width(a.interval) > width(b.interval) > width(c.interval) > 0


def test_it_does_not_span_the_whole_scale_for_a_split_team_of_eight(example: Framework) -> None:
    team = {f"r{i}": ("", HIGH if i % 2 else MIDDLE) for i in range(8)}
    result = score(build(example, team))
    for comp in result.competencies:
        assert width(comp.interval) < 1.5


def test_it_is_decisive_about_a_unanimous_team_of_fifteen(example: Framework) -> None:
    result = score(build(example, {f"r{i}": ("", HIGH) for i in range(15)}))
    assert all(c.stage_probabilities["committing"] > 0.95 for c in result.competencies)


def test_it_names_the_method(example: Framework) -> None:
    result = score(build(example, {"a": ("", HIGH), "b": ("", LOW)}))
    assert result.competencies[0].interval_method.startswith("posterior of the fulfilments (multivariate t")


def _stage_mass_outside(result: Result, fw: Framework) -> list[float]:
    """For each competency: the probability of stages that lie wholly outside its interval, below and above."""
    out = []
    for comp in result.competencies:
        if comp.interval is None:
            continue
        low, high = comp.interval
        for number, key in enumerate(fw.stage_keys, start=1):
            p = comp.stage_probabilities[key]
            if number + 1 <= low - 1e-9 or number > high + 1e-9:  # the stage's scores [number, number + 1) miss it
                out.append(p)
    return out


@settings(max_examples=25, deadline=None)
@given(teams(min_size=1, max_size=15))
def test_it_draws_intervals_and_probabilities_from_the_same_posterior(answers: np.ndarray) -> None:
    result = score(matrix(FRAMEWORK, answers), DRAWS)
    top = len(FRAMEWORK.stages)
    for comp in result.competencies:
        if comp.score is None:
            assert comp.interval is None
            assert comp.stage_probabilities == {}
            continue
        low, high = width_bounds = comp.interval or (math.nan, math.nan)
        assert 1.0 <= low <= high <= top, width_bounds
        assert math.isclose(sum(comp.stage_probabilities.values()), 1.0)
    # A stage wholly outside a 90% interval holds at most the 5% of draws beyond that side.
    assert all(p <= 0.05 + 1e-9 for p in _stage_mass_outside(result, FRAMEWORK))


@settings(max_examples=20, deadline=None)
@given(teams(min_size=2, max_size=12), st.integers(0, 2**32 - 1))
def test_it_gives_the_same_uncertainty_in_any_respondent_order(answers: np.ndarray, seed: int) -> None:
    order = np.random.default_rng(seed).permutation(answers.shape[0])
    a = score(matrix(FRAMEWORK, answers), DRAWS)
    b = score(matrix(FRAMEWORK, answers[order]), DRAWS)
    # Same seed, same draws; the scatter matrix is summed in another order, so equal up to rounding.
    for x, y in zip(a.competencies, b.competencies, strict=True):
        if x.interval is None:
            assert y.interval is None
            continue
        assert y.interval is not None
        assert np.allclose(x.interval, y.interval, atol=1e-9)
        assert np.allclose(list(x.stage_probabilities.values()), list(y.stage_probabilities.values()), atol=0.01)


@settings(max_examples=20, deadline=None)
@given(teams(min_size=1, max_size=10), st.integers(1, 3))
def test_it_counts_nobody_who_only_answered_dont_know(answers: np.ndarray, extra: int) -> None:
    more = np.vstack([answers, np.full((extra, answers.shape[1]), DONT_KNOW_CODE, dtype=np.int16)])
    a, b = score(matrix(FRAMEWORK, answers), DRAWS), score(matrix(FRAMEWORK, more), DRAWS)
    assert a.respondents == b.respondents
    assert b.excluded_respondents == a.excluded_respondents + extra
    assert a.competencies == b.competencies
    assert a.overall == b.overall


def test_it_reproduces_the_truth_of_a_simulated_population() -> None:
    """The study's exact truth agrees with scoring a very large team drawn from the same population."""
    fw = load_builtin("xm-six-competencies")
    rng = np.random.default_rng(3)
    for family in ("mid-stage", "two camps"):
        pop = population(fw, family, rng)
        true_scores, _, _ = pop.truth()
        big = score(pop.team(40_000, rng), ScoringOptions(bootstrap=0))
        measured = [known(c.score) for c in big.competencies]
        assert np.allclose(measured, true_scores, atol=0.03), (family, measured, true_scores)


@pytest.mark.parametrize("n", [3, 8])
def test_it_covers_the_truth_about_as_often_as_it_says(n: int) -> None:
    """A small run of the method study (bench/bench_method.py runs the full one): 90% intervals of random-profile
    teams cover the true score between 80% and 98% of the time (wide bounds: 40 teams only)."""
    fw = load_builtin("xm-six-competencies")
    rng = np.random.default_rng(n)
    hits = []
    for _ in range(40):
        pop = population(fw, "random", rng)
        truth, _, _ = pop.truth()
        team: ResponseMatrix = pop.team(n, rng)
        result = score(team, DRAWS)
        for c, comp in enumerate(result.competencies):
            assert comp.interval is not None
            hits.append(comp.interval[0] - 1e-9 <= truth[c] <= comp.interval[1] + 1e-9)
    assert 0.80 <= float(np.mean(hits)) <= 0.98


def test_the_calibration_error_is_guos() -> None:
    """The study's ECE is top-label ECE as Guo et al. (2017) define it: right-closed confidence bins ((m-1)/10, m/10],
    each weighing |mean confidence - accuracy| by its share of the predictions."""
    # 0.9 lies in (0.8, 0.9], alone: 0.5 * |0.9 - 1|; 0.95 in (0.9, 1.0], alone: 0.5 * |0.95 - 0|.
    assert expected_calibration_error(np.array([0.9, 0.95]), np.array([True, False])) == pytest.approx(0.525)
    # A share of 1,000 draws: 300 / 1000 * 10 is a rounding step above 3, and still belongs to (0.2, 0.3].
    assert expected_calibration_error(np.array([300 / 1000, 0.25]), np.array([True, False])) == pytest.approx(0.225)
    # Right as often as stated in every bin: no calibration error.
    confidence = np.repeat([0.55, 0.8, 1.0], 20)
    correct = np.concatenate([np.arange(20) < 11, np.arange(20) < 16, np.ones(20, dtype=bool)])
    assert expected_calibration_error(confidence, correct) == pytest.approx(0.0, abs=1e-12)


def test_the_debiased_ece_removes_the_noise_of_a_bin_and_keeps_a_real_gap() -> None:
    """Kumar, Liang & Ma's (2019) debiased ECE: a bin whose accuracy differs from its confidence by many standard
    errors keeps its gap; a bin right as often as stated, up to sampling noise, loses most of its plug-in gap."""
    # 100 predictions at 0.9, 50 right: the gap 0.4 is eight standard errors (0.05); the correction is negligible.
    confidence = np.full(100, 0.9)
    correct = np.arange(100) < 50
    assert debiased_ece(confidence, correct) == pytest.approx(0.4, abs=1e-6)
    # 25 at 0.6, 16 right (0.64): the plug-in gap 0.04 is 0.4 standard errors (0.096), mostly noise.
    confidence = np.full(25, 0.6)
    correct = np.arange(25) < 16
    assert expected_calibration_error(confidence, correct) == pytest.approx(0.04)
    assert debiased_ece(confidence, correct) < 0.0


def test_calibrated_outcomes_are_right_as_often_as_stated_and_correlated_within_a_team() -> None:
    rng = np.random.default_rng(0)
    confidence = np.tile([0.35, 0.6, 0.9], (20_000, 2))
    right = calibrated_outcomes(confidence, 0.5, rng)
    assert np.allclose(right.mean(axis=0), confidence[0], atol=0.01)
    assert residual_icc(confidence, right) > 0.1
    assert abs(residual_icc(confidence, calibrated_outcomes(confidence, 0.0, rng))) < 0.02


def test_a_calibrated_predictor_reads_a_small_ece_that_shrinks_with_more_predictions() -> None:
    """The plug-in ECE of a predictor calibrated by construction is its finite-sample bias: above 0, and smaller with
    more teams (about as 1 / sqrt of their number)."""
    rng = np.random.default_rng(1)
    few = rng.uniform(0.3, 1.0, (100, 6))
    many = rng.uniform(0.3, 1.0, (1600, 6))
    small_sample, _, _ = calibrated_ece(few, calibrated_outcomes(few, 0.3, rng), draws=50)
    large_sample, _, _ = calibrated_ece(many, calibrated_outcomes(many, 0.3, rng), draws=50)
    assert 0.0 < large_sample < small_sample
    assert 2.5 < small_sample / large_sample < 5.5
