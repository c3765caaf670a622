"""The verdict rule on one difference: from the respondents' levels (P(rise)), or the MOVER interval of the score
change where a result has no levels; symmetric and monotone."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cxmaturity.progress.change import DECISIVE, Estimate, Evidence, difference, probability_of_rise
from cxmaturity.scoring.engine import angular

scores = st.floats(min_value=1.0, max_value=5.0, allow_nan=False)
reach = st.floats(min_value=0.0, max_value=1.5, allow_nan=False)


@st.composite
def estimates(draw: st.DrawFn) -> Estimate:
    score = draw(scores)
    return Estimate(score, (score - draw(reach), score + draw(reach)), 0.9)


def test_it_combines_the_two_intervals_by_recovering_their_variances() -> None:
    found = difference(Estimate(2.0, (1.7, 2.4), 0.9), Estimate(3.0, (2.6, 3.3), 0.9))
    assert found.change == pytest.approx(1.0)
    assert found.interval is not None
    # lower: 1 - sqrt(0.4² + 0.4²); upper: 1 + sqrt(0.3² + 0.3²)
    assert found.interval[0] == pytest.approx(1.0 - (0.32) ** 0.5)
    assert found.interval[1] == pytest.approx(1.0 + (0.18) ** 0.5)
    assert found.verdict == "improved"


def test_it_finds_no_clear_change_when_the_difference_interval_holds_zero() -> None:
    # The intervals overlap only a little, but enough that the difference could be zero.
    found = difference(Estimate(2.0, (1.6, 2.4), 0.9), Estimate(2.5, (2.1, 2.9), 0.9))
    assert found.verdict == "no clear change"


def test_it_calls_a_change_that_overlapping_intervals_would_hide() -> None:
    # Overlapping intervals, yet the difference's interval excludes zero (the overlap rule is too strict).
    found = difference(Estimate(2.0, (1.7, 2.3), 0.9), Estimate(2.5, (2.2, 2.8), 0.9))
    assert found.verdict == "improved"


def test_it_says_nothing_without_intervals() -> None:
    found = difference(Estimate(1.0, None, 0.9), Estimate(4.0, (3.5, 4.5), 0.9))
    assert found.verdict == "no clear change"
    assert found.interval is None


def test_it_brings_intervals_to_the_more_cautious_confidence() -> None:
    at_90 = difference(Estimate(2.0, (1.8, 2.2), 0.9), Estimate(2.4, (2.2, 2.6), 0.9))
    mixed = difference(Estimate(2.0, (1.8, 2.2), 0.9), Estimate(2.4, (2.2, 2.6), 0.8))
    assert mixed.confidence == 0.9
    assert at_90.interval is not None
    assert mixed.interval is not None
    # The 80% interval is widened to 90%, so the difference's interval is wider than with two 90% intervals.
    assert mixed.interval[0] < at_90.interval[0]


@given(estimates(), estimates())
def test_it_is_symmetric(before: Estimate, after: Estimate) -> None:
    forward, backward = difference(before, after), difference(after, before)
    swap = {"improved": "declined", "declined": "improved", "no clear change": "no clear change"}
    assert backward.verdict == swap[forward.verdict]
    assert forward.interval is not None
    assert backward.interval is not None
    assert backward.change == pytest.approx(-forward.change)
    assert backward.interval[0] == pytest.approx(-forward.interval[1])
    assert backward.interval[1] == pytest.approx(-forward.interval[0])


@given(estimates(), estimates(), st.floats(min_value=0.0, max_value=3.0))
def test_it_never_calls_a_higher_after_score_worse(before: Estimate, after: Estimate, lift: float) -> None:
    assert after.interval is not None
    raised = Estimate(after.score + lift, (after.interval[0] + lift, after.interval[1] + lift), after.confidence)
    rank = {"declined": 0, "no clear change": 1, "improved": 2}
    assert rank[difference(before, raised).verdict] >= rank[difference(before, after).verdict]


# The verdict from the evidence: respondents' levels in both assessments (docs/progress.md, worked example).

levels = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
spreads = st.one_of(st.none(), st.floats(min_value=0.0, max_value=0.5, allow_nan=False))
counts = st.integers(min_value=1, max_value=40)


@st.composite
def evidenced(draw: st.DrawFn) -> Estimate:
    score = draw(scores)
    n = draw(counts)
    sd = None if n == 1 else draw(spreads)
    return Estimate(score, (score - draw(reach), score + draw(reach)), 0.9, Evidence(draw(levels), sd, n, 0.15))


def test_it_reproduces_the_worked_example_of_the_verdict() -> None:
    prior = 2 * 0.3 / math.sqrt(6)
    assert prior == pytest.approx(0.2449, abs=5e-5)
    assert float(angular(np.array(0.4))) == pytest.approx(1.369, abs=5e-4)
    before = Evidence(1.40, 0.30, 8, prior)
    assert probability_of_rise(before, Evidence(1.75, 0.35, 8, prior)) == pytest.approx(0.9788, abs=5e-5)
    assert probability_of_rise(before, Evidence(1.65, 0.35, 8, prior)) == pytest.approx(0.9327, abs=5e-5)
    after = Evidence(1.75, 0.35, 8, prior)
    rise = difference(Estimate(2.3, (1.9, 2.8), 0.9, before), Estimate(2.9, (2.4, 3.4), 0.9, after))
    assert rise.verdict == "improved"
    assert rise.probability is not None
    assert rise.probability > DECISIVE
    assert (
        difference(
            before=Estimate(2.3, None, 0.9, before), after=Estimate(2.9, None, 0.9, Evidence(1.65, 0.35, 8, prior))
        ).verdict
        == "no clear change"
    )
    # The MOVER interval of the score change holds zero, yet every answer says the team rose.
    assert rise.interval is not None
    assert rise.interval[0] < 0


def test_it_never_calls_a_change_against_the_score() -> None:
    found = difference(
        Estimate(3.2, (3.0, 3.4), 0.9, Evidence(0.4, 0.1, 10)), Estimate(3.1, None, 0.9, Evidence(0.7, 0.1, 10))
    )
    assert found.probability is not None
    assert found.probability > 0.99
    assert found.verdict == "no clear change"


def test_it_gives_two_people_who_agree_twice_no_certainty() -> None:
    found = probability_of_rise(Evidence(0.5, 0.0, 2, 0.15), Evidence(0.6, 0.0, 2, 0.15))
    assert 0.5 < found < 0.95


@given(evidenced(), evidenced())
def test_it_is_symmetric_with_evidence(before: Estimate, after: Estimate) -> None:
    forward, backward = difference(before, after), difference(after, before)
    swap = {"improved": "declined", "declined": "improved", "no clear change": "no clear change"}
    assert backward.verdict == swap[forward.verdict]
    assert forward.probability is not None
    assert backward.probability is not None
    assert backward.probability == pytest.approx(1.0 - forward.probability, abs=1e-9)


@given(evidenced(), evidenced(), st.floats(min_value=0.0, max_value=0.5))
def test_it_never_calls_a_higher_after_level_worse(before: Estimate, after: Estimate, lift: float) -> None:
    assert after.evidence is not None
    assert after.interval is not None
    raised = Estimate(
        after.score + lift,
        (after.interval[0] + lift, after.interval[1] + lift),
        0.9,
        Evidence(after.evidence.mean + lift, after.evidence.sd, after.evidence.n, after.evidence.prior_sd),
    )
    rank = {"declined": 0, "no clear change": 1, "improved": 2}
    assert rank[difference(before, raised).verdict] >= rank[difference(before, after).verdict]
