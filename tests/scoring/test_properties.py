"""Properties every result must have, checked on many generated teams (hypothesis)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from cxmaturity.frameworks import Framework, load_builtin
from cxmaturity.scoring import ResponseMatrix, Result, ScoringOptions, score
from cxmaturity.scoring.responses import DONT_KNOW_CODE, MISSING, NOT_APPLICABLE_CODE

FRAMEWORK = load_builtin("xm-six-competencies")
OPTIONS = np.array([len(FRAMEWORK.answer_keys(ind)) for _, ind in FRAMEWORK.indicators])
NO_BOOTSTRAP = ScoringOptions(bootstrap=0, min_group_size=2)


def matrix(fw: Framework, answers: np.ndarray, groups: tuple[str, ...] | None = None) -> ResponseMatrix:
    n = answers.shape[0]
    return ResponseMatrix(
        fw,
        tuple(f"r{i}" for i in range(n)),
        groups or tuple("g" + str(i % 3) for i in range(n)),
        answers.astype(np.int16),
        np.full(answers.shape, np.nan),
    )


@st.composite
def teams(draw: st.DrawFn, min_size: int = 1, max_size: int = 12) -> np.ndarray:
    """Random answer matrices: options, don't know, not applicable and skipped answers."""
    n = draw(st.integers(min_size, max_size))
    unit = draw(arrays(np.float64, (n, len(OPTIONS)), elements=st.floats(0, 0.999)))
    answers: np.ndarray = np.floor(unit * OPTIONS).astype(np.int16)
    special = draw(arrays(np.int8, (n, len(OPTIONS)), elements=st.sampled_from([0, 0, 0, 0, 1, 2, 3])))
    answers[special == 1] = DONT_KNOW_CODE
    answers[special == 2] = NOT_APPLICABLE_CODE
    answers[special == 3] = MISSING
    return answers


def scores(result: Result) -> list[float | None]:
    """Every competency's score and the overall's; None where not assessed (no usable answer)."""
    return [c.score for c in result.competencies] + [result.overall.score]


def _not_lower(before: float | int | None, after: float | int | None) -> bool:
    """Raising an answer keeps a competency assessed (the answer was usable before too) and never lowers it."""
    if before is None or after is None:
        return before is None and after is None
    return before <= after + 1e-12


@settings(max_examples=60, deadline=None)
@given(teams(), st.data())
def test_it_never_lowers_a_score_when_an_answer_rises(answers: np.ndarray, data: st.DataObject) -> None:
    r = data.draw(st.integers(0, answers.shape[0] - 1))
    i = data.draw(st.integers(0, answers.shape[1] - 1))
    low = data.draw(st.integers(0, int(OPTIONS[i]) - 2))
    high = data.draw(st.integers(low + 1, int(OPTIONS[i]) - 1))
    before, after = answers.copy(), answers.copy()
    before[r, i], after[r, i] = low, high
    old, new = score(matrix(FRAMEWORK, before), NO_BOOTSTRAP), score(matrix(FRAMEWORK, after), NO_BOOTSTRAP)
    assert all(_not_lower(b, a) for b, a in zip(scores(old), scores(new), strict=True))
    assert all(
        _not_lower(o.stage_number, n.stage_number) for o, n in zip(old.competencies, new.competencies, strict=True)
    )


@settings(max_examples=40, deadline=None)
@given(teams(min_size=2), st.randoms())
def test_it_ignores_respondent_order(answers: np.ndarray, rnd: object) -> None:
    order = np.random.default_rng(0).permutation(answers.shape[0])
    groups = tuple("g" + str(i % 3) for i in range(answers.shape[0]))
    shuffled = tuple(groups[i] for i in order)
    a = score(matrix(FRAMEWORK, answers, groups), NO_BOOTSTRAP)
    b = score(matrix(FRAMEWORK, answers[order], shuffled), NO_BOOTSTRAP)
    assert scores(a) == scores(b)
    assert a.discussion_items == b.discussion_items
    assert a.groups == b.groups


@settings(max_examples=60, deadline=None)
@given(teams())
def test_it_keeps_scores_in_range_and_floor_equal_to_stage(answers: np.ndarray) -> None:
    result = score(matrix(FRAMEWORK, answers), NO_BOOTSTRAP)
    top = len(FRAMEWORK.stages)
    for comp in result.competencies:
        if comp.score is None or comp.stage_number is None:
            # Not assessed: nothing that could be read as a stage.
            assert (comp.stage, comp.stage_number, comp.interval, comp.stage_probabilities) == (None, None, None, {})
            assert comp.key in result.not_assessed
            continue
        assert 1.0 <= comp.score <= top
        assert math.floor(comp.score) == comp.stage_number
        assert FRAMEWORK.stage_keys[comp.stage_number - 1] == comp.stage
    if result.overall.score is not None:
        assert 1.0 <= result.overall.score <= top
    else:
        assert result.not_assessed == tuple(c.key for c in result.competencies)


@settings(max_examples=40, deadline=None)
@given(teams(min_size=1, max_size=1), st.integers(2, 9))
def test_it_finds_full_agreement_in_a_unanimous_team(one: np.ndarray, size: int) -> None:
    answers = np.repeat(one, size, axis=0)
    result = score(matrix(FRAMEWORK, answers), NO_BOOTSTRAP)
    assert result.discussion_items == ()
    for indicator in result.indicators:
        if indicator.answered >= 2:
            assert indicator.agreement.rwg == 1.0
        assert not indicator.agreement.polarised
    for comp in result.competencies:
        assert comp.agreement.rwg in (None, 1.0)
        assert comp.agreement.rwg_lindell in (None, 1.0)
        assert (comp.agreement.rwg is None) == (comp.agreement.rwg_lindell is None)
        assert not comp.agreement.polarised
        assert not comp.agreement.rwg_out_of_range


@settings(max_examples=60, deadline=None)
@given(teams(min_size=2))
def test_it_keeps_agreement_in_its_published_ranges(answers: np.ndarray) -> None:
    result = score(matrix(FRAMEWORK, answers), NO_BOOTSTRAP)
    for comp in result.competencies:
        a = comp.agreement
        if a.rwg is None or a.rwg_lindell is None:
            continue
        assert 0.0 <= a.rwg <= 1.0
        assert -1.0 <= a.rwg_lindell <= 1.0
        # Polarised exactly when r*wg(j) < 0, and then rwg(j) is reported as 0 (out of range).
        assert a.polarised == (a.rwg_lindell < 0)
        assert a.polarised == a.rwg_out_of_range
        if a.polarised:
            assert a.rwg == 0.0
    for indicator in result.indicators:
        rwg = indicator.agreement.rwg
        assert rwg is None or 0.0 <= rwg <= 1.0
        assert not indicator.agreement.polarised or rwg == 0.0
    for item in result.discussion_items:
        assert item.polarised == next(i.agreement.polarised for i in result.indicators if i.key == item.indicator)


@settings(max_examples=40, deadline=None)
@given(teams(min_size=2))
def test_it_measures_agreement_whatever_the_order_of_respondents(answers: np.ndarray) -> None:
    order = np.random.default_rng(1).permutation(answers.shape[0])
    a = score(matrix(FRAMEWORK, answers), NO_BOOTSTRAP)
    b = score(matrix(FRAMEWORK, answers[order]), NO_BOOTSTRAP)
    # Counts are summed in a different order only where floats could differ; compare to the last digit shown.
    for x, y in zip(a.competencies + a.indicators, b.competencies + b.indicators, strict=True):
        ax, bx = x.agreement, y.agreement
        assert (ax.polarised, ax.rwg_out_of_range) == (bx.polarised, bx.rwg_out_of_range)
        for u, v in ((ax.rwg, bx.rwg), (ax.rwg_lindell, bx.rwg_lindell), (ax.sd, bx.sd), (ax.ad, bx.ad)):
            assert (u is None) == (v is None)
            assert u is None or v is None or math.isclose(u, v, rel_tol=1e-12, abs_tol=1e-12)
    assert a.discussion_items == b.discussion_items


@settings(max_examples=40, deadline=None)
@given(teams(), st.data())
def test_it_ignores_added_dont_know_answers(answers: np.ndarray, data: st.DataObject) -> None:
    before = score(matrix(FRAMEWORK, answers), NO_BOOTSTRAP)
    skipped = np.argwhere(answers == MISSING)
    more = answers.copy()
    if len(skipped):
        pick = data.draw(st.lists(st.integers(0, len(skipped) - 1), max_size=len(skipped)))
        for p in pick:
            more[tuple(skipped[p])] = DONT_KNOW_CODE
    # ...and one more respondent who answers "don't know" to everything.
    more = np.vstack([more, np.full((1, answers.shape[1]), DONT_KNOW_CODE, dtype=np.int16)])
    after = score(matrix(FRAMEWORK, more), NO_BOOTSTRAP)
    assert scores(before) == scores(after)
    assert [c.stage for c in before.competencies] == [c.stage for c in after.competencies]
    assert after.respondents == before.respondents  # n counts usable answers only


@settings(max_examples=15, deadline=None)
@given(teams(min_size=2, max_size=20))
def test_it_gives_intervals_around_the_score_and_probabilities_that_sum_to_one(answers: np.ndarray) -> None:
    result = score(matrix(FRAMEWORK, answers), ScoringOptions(bootstrap=200))
    for comp in result.competencies:
        if not comp.assessed:
            assert comp.interval is None
            continue
        assert comp.interval is not None
        low, high = comp.interval
        assert 1.0 <= low <= high <= len(FRAMEWORK.stages)
        assert math.isclose(sum(comp.stage_probabilities.values()), 1.0)
