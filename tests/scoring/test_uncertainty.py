"""The uncertainty model (scoring/uncertainty.py): one posterior at every team size, intervals and stage probabilities
from the same draws, honest about one or two people."""

from __future__ import annotations

import math

import numpy as np
import pytest
from bench.method_study import expected_calibration_error, population
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
