"""The roll-up scores each shown unit exactly as the scoring engine scores the same respondents."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from cxmaturity.demo import demo_responses
from cxmaturity.frameworks import load_builtin
from cxmaturity.scoring import ResponseMatrix, ScoringOptions, score
from cxmaturity.scoring.responses import HELD, INDEPENDENT
from cxmaturity.units.rollup import intervals, roll_up
from cxmaturity.units.suppression import TOO_FEW
from cxmaturity.units.tree import Tree, UnitNode

TREE = Tree([UnitNode(1, None, "North"), UnitNode(11, 1, "N1"), UnitNode(12, 1, "N2"), UnitNode(2, None, "South")])


def _subset(matrix: ResponseMatrix, rows: list[int]) -> ResponseMatrix:
    return ResponseMatrix(
        matrix.framework,
        tuple(matrix.respondents[r] for r in rows),
        tuple("" for _ in rows),
        matrix.answers[rows],
        matrix.importance[rows],
    )


def test_each_unit_scores_like_its_subtrees_respondents_scored_alone() -> None:
    fw = load_builtin("four-competencies")
    matrix = demo_responses(fw, seed=3, groups=(("a", 0.0, 5), ("b", 0.5, 4), ("c", -0.5, 6)))
    units: list[int | None] = [*([11] * 5), *([12] * 4), *([2] * 6)]
    rolled = roll_up(matrix, units, TREE, min_size=3)
    assert {u.unit for u in rolled.units if u.withheld is None} == {1, 11, 12, 2}
    for unit, rows in ((1, list(range(9))), (11, list(range(5))), (12, list(range(5, 9))), (2, list(range(9, 15)))):
        alone = score(_subset(matrix, rows), ScoringOptions(bootstrap=0))
        found = rolled.unit(unit)
        assert found.respondents == len(rows)
        assert found.overall_score == pytest.approx(alone.overall.score)
        assert found.overall_stage == alone.overall.stage
        for mine, theirs in zip(found.competencies, alone.competencies, strict=True):
            assert mine.key == theirs.key
            assert mine.stage == theirs.stage
            assert mine.score == pytest.approx(theirs.score)


def test_links_the_facilitator_held_never_lift_a_unit_into_view() -> None:
    fw = load_builtin("four-competencies")
    matrix = demo_responses(fw, seed=4, groups=(("a", 0.0, 6), ("b", 0.0, 5)))
    # N2 has five respondents, but three answered through links the facilitator held: only two count.
    provenance = tuple([INDEPENDENT] * 8 + [HELD] * 3)
    matrix = dataclasses.replace(matrix, provenance=provenance)
    units: list[int | None] = [*([11] * 6), *([12] * 5)]
    rolled = roll_up(matrix, units, TREE, min_size=3)
    assert rolled.unit(12).withheld == TOO_FEW
    assert rolled.unit(12).overall_score is None
    # N1 alone would give N2 away as North minus N1, so N1 is withheld too; North shows all 11 it scores.
    assert rolled.unit(11).withheld is not None
    assert rolled.unit(1).respondents == 11
    assert rolled.release.counted[1] == 8


def test_respondents_without_usable_answers_count_nowhere() -> None:
    fw = load_builtin("four-competencies")
    matrix = demo_responses(fw, seed=5, groups=(("a", 0.0, 4),))
    answers = matrix.answers.copy()
    answers[0, :] = -2  # all "don't know"
    matrix = dataclasses.replace(matrix, answers=answers)
    rolled = roll_up(matrix, [2, 2, 2, 2], TREE, min_size=3)
    assert rolled.release.counted[2] == 3
    assert rolled.unit(2).respondents == 3
    assert np.isfinite(rolled.unit(2).overall_score or np.nan)


def test_each_shown_units_intervals_are_its_subtrees_respondents_scored_alone() -> None:
    """The report's per-unit intervals: the engine's posterior draws over the unit's subtree, seeded alike, so the
    same numbers as scoring those respondents as an assessment of their own; none for a unit not asked for."""
    fw = load_builtin("four-competencies")
    matrix = demo_responses(fw, seed=5, groups=(("a", 0.3, 5), ("b", -0.3, 4), ("c", 0.0, 6)))
    units: list[int | None] = [*([11] * 5), *([12] * 4), *([2] * 6)]
    options = ScoringOptions(bootstrap=200, seed=7)
    found = intervals(matrix, units, TREE, [1, 12], options)
    assert set(found) == {1, 12}
    for unit, rows in ((1, list(range(9))), (12, list(range(5, 9)))):
        alone = score(_subset(matrix, rows), options)
        assert alone.overall.interval is not None
        assert found[unit].overall == pytest.approx(alone.overall.interval)
        assert [k for k, _ in found[unit].competencies] == [c.key for c in alone.competencies]
        for (_, mine), theirs in zip(found[unit].competencies, alone.competencies, strict=True):
            assert mine == pytest.approx(theirs.interval)
