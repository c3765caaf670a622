"""No padding: respondents the facilitator controls are scored but never make a group large enough to be shown."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from cxmaturity.frameworks import Framework
from cxmaturity.scoring import ResponseMatrix, ScoringOptions, score
from cxmaturity.scoring.responses import DONT_KNOW_CODE, HELD, IMPORTED, INDEPENDENT
from tests.scoring.conftest import build

HIGH = {"vs-1": "5", "vs-2": "5", "ci-1": "committing", "ci-2": "5"}
LOW = {"vs-1": "1", "vs-2": "1", "ci-1": "emerging", "ci-2": "1"}
OPTIONS = ScoringOptions(bootstrap=0)


def _board_and_staff(fw: Framework, board: int) -> ResponseMatrix:
    """The issue's team: the CEO and ``board - 1`` more in Board (rated high), three staff (rated low), in that
    order."""
    return build(fw, {f"b{i}": ("Board", HIGH) for i in range(board)} | {f"s{i}": ("Staff", LOW) for i in range(3)})


def _with(matrix: ResponseMatrix, provenance: list[str]) -> ResponseMatrix:
    return replace(matrix, provenance=tuple(provenance))


@pytest.mark.parametrize("padding", [HELD, IMPORTED])
def test_padded_board_stays_withheld(example: Framework, padding: str) -> None:
    # The CEO answered through an e-mailed link; the facilitator adds two respondents to Board.
    padded = _with(_board_and_staff(example, 3), [INDEPENDENT, padding, padding] + [INDEPENDENT] * 3)
    result = score(padded, OPTIONS)
    assert [g.group for g in result.groups] == []  # Board withheld; Staff too: it would leave Board as the rest
    assert result.withheld_groups == 2
    assert result.respondents == 6  # every answer still counts in the team
    assert result.groups_counted == INDEPENDENT


def test_padding_still_counts_in_a_shown_group_s_results(example: Framework) -> None:
    # Board: three independent and two held; all five are scored and counted in the group shown.
    team = build(example, {f"b{i}": ("Board", HIGH) for i in range(5)} | {f"s{i}": ("Staff", LOW) for i in range(3)})
    result = score(_with(team, [INDEPENDENT] * 3 + [HELD] * 2 + [INDEPENDENT] * 3), OPTIONS)
    assert {g.group: g.respondents for g in result.groups} == {"Board": 5, "Staff": 3}


def test_three_independent_board_members_show_board(example: Framework) -> None:
    result = score(_with(_board_and_staff(example, 3), [INDEPENDENT] * 6), OPTIONS)
    assert [g.group for g in result.groups] == ["Board", "Staff"]
    # The same without provenance (a file scored by the command line): everyone is independent.
    assert [g.group for g in score(_board_and_staff(example, 3), OPTIONS).groups] == ["Board", "Staff"]


def test_padding_the_rest_does_not_reveal_a_small_group_by_difference(example: Framework) -> None:
    # Board has one real member; Staff three independent; the facilitator pads the respondents without a group so
    # that "team minus Staff" looks large. Staff must stay withheld: without the padding the rest is the CEO alone.
    team = build(
        example,
        {"ceo": ("Board", HIGH)} | {f"s{i}": ("Staff", LOW) for i in range(3)} | {f"x{i}": ("", LOW) for i in range(3)},
    )
    result = score(_with(team, [INDEPENDENT] * 4 + [HELD] * 3), OPTIONS)
    assert result.groups == ()
    assert result.blind_spots == ()


def test_an_imports_only_assessment_counts_the_imported_rows(example: Framework) -> None:
    result = score(_with(_board_and_staff(example, 3), [IMPORTED] * 6), OPTIONS)
    assert [g.group for g in result.groups] == ["Board", "Staff"]
    assert result.groups_counted == IMPORTED


def test_one_real_respondent_ends_the_imports_only_exception(example: Framework) -> None:
    # A held link answered among imports: the imports no longer stand alone, and nothing independent shows Board.
    result = score(_with(_board_and_staff(example, 3), [HELD] + [IMPORTED] * 5), OPTIONS)
    assert result.groups == ()
    assert result.groups_counted == INDEPENDENT


def test_an_unusable_respondent_still_ends_the_imports_only_exception(example: Framework) -> None:
    # The CEO answered nothing but don't know (and may have commented): the imports are not "every respondent".
    matrix = _board_and_staff(example, 4)
    answers = matrix.answers.copy()
    answers[0] = DONT_KNOW_CODE
    result = score(_with(replace(matrix, answers=answers), [INDEPENDENT] + [IMPORTED] * 6), OPTIONS)
    assert result.excluded_respondents == 1
    assert result.groups == ()
    assert result.groups_counted == INDEPENDENT


def test_held_links_alone_show_no_group(example: Framework) -> None:
    result = score(_with(_board_and_staff(example, 3), [HELD] * 6), OPTIONS)
    assert result.groups == ()
    assert result.respondents == 6
    assert result.overall.score is not None


def test_it_refuses_a_provenance_of_the_wrong_length_or_kind(example: Framework) -> None:
    matrix = _board_and_staff(example, 1)
    with pytest.raises(ValueError, match="provenance must name 4"):
        _with(matrix, [INDEPENDENT])
    with pytest.raises(ValueError, match="unknown provenance"):
        _with(matrix, ["mine"] * 4)
    assert np.array_equal(_with(matrix, [HELD, INDEPENDENT, IMPORTED, INDEPENDENT]).counts_for_groups(), [0, 1, 0, 1])
