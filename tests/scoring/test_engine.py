from __future__ import annotations

import numpy as np
import pytest

from cxmaturity.frameworks import Framework
from cxmaturity.scoring import ScoringOptions, result_to_dict, score
from tests.scoring.conftest import build

HIGH = {"vs-1": "5", "vs-2": "5", "ci-1": "committing", "ci-2": "5"}
LOW = {"vs-1": "1", "vs-2": "1", "ci-1": "emerging", "ci-2": "1"}


def test_it_reaches_the_top_stage_with_the_top_score(example: Framework) -> None:
    result = score(build(example, {"a": ("", HIGH), "b": ("", HIGH)}), ScoringOptions(bootstrap=0))
    assert [(c.stage, c.score) for c in result.competencies] == [("committing", 3.0), ("committing", 3.0)]
    assert result.gaps == ()


def test_it_finds_a_blind_spot(example: Framework) -> None:
    team = {f"lead{i}": ("leaders", HIGH) for i in range(3)} | {f"staff{i}": ("staff", LOW) for i in range(3)}
    result = score(build(example, team), ScoringOptions(bootstrap=0))
    spots = {(s.group, s.competency) for s in result.blind_spots}
    assert spots == {("leaders", "vision"), ("leaders", "insight")}
    assert {g.group for g in result.groups} == {"leaders", "staff"}


def test_it_withholds_groups_below_the_minimum(example: Framework) -> None:
    team = (
        {f"lead{i}": ("leaders", HIGH) for i in range(2)}
        | {f"staff{i}": ("staff", LOW) for i in range(4)}
        | {f"ops{i}": ("operations", LOW) for i in range(5)}
    )
    result = score(build(example, team), ScoringOptions(bootstrap=0))
    # Leaders (2) are below the minimum. Showing staff and operations would leave exactly the two leaders as "the
    # team minus the shown groups", so the smaller of the two is withheld too.
    assert [g.group for g in result.groups] == ["operations"]
    assert result.withheld_groups == 2
    assert "leaders" not in str(result_to_dict(result)["groups"])


def test_it_never_shows_groups_whose_complement_is_a_small_group(example: Framework) -> None:
    team = {f"lead{i}": ("leaders", HIGH) for i in range(2)} | {f"staff{i}": ("staff", LOW) for i in range(4)}
    result = score(build(example, team), ScoringOptions(bootstrap=0))
    # Team minus staff would be the two leaders: no group can be shown.
    assert result.groups == ()
    assert result.withheld_groups == 2
    assert result.blind_spots == ()


def test_it_shows_every_group_when_all_are_large_enough(example: Framework) -> None:
    team = {f"lead{i}": ("leaders", HIGH) for i in range(3)} | {f"staff{i}": ("staff", LOW) for i in range(4)}
    result = score(build(example, team), ScoringOptions(bootstrap=0))
    assert [g.group for g in result.groups] == ["leaders", "staff"]
    assert result.withheld_groups == 0


def test_it_uses_targets_and_importance_for_gaps(example: Framework) -> None:
    builder_team = {f"r{i}": ("", LOW) for i in range(3)}
    responses = build(example, builder_team)
    importance = responses.importance.copy()
    importance[:, 2:] = 5.0  # every respondent rates the insight indicators as critical
    responses = type(responses)(
        responses.framework, responses.respondents, responses.groups, responses.answers, importance
    )
    result = score(responses, ScoringOptions(bootstrap=0, targets={"vision": "committing"}))
    gaps = {g.competency: g for g in result.gaps}
    assert gaps["vision"].target == "committing"
    assert gaps["vision"].gap == pytest.approx(2.0)
    assert gaps["insight"].importance == 5.0
    assert gaps["insight"].priority == pytest.approx(1.0 * 2.0 * 5.0 / 3.0)
    assert result.gaps[0].competency == "insight"


def test_it_refuses_unknown_targets(example: Framework) -> None:
    with pytest.raises(ValueError, match="unknown stage 'mobilise' for 'vision'"):
        score(build(example, {"a": ("", HIGH)}), ScoringOptions(targets={"vision": "mobilise"}))


def test_it_flags_low_coverage(example: Framework) -> None:
    result = score(
        build(example, {"a": ("", {"vs-1": "4", "ci-1": "dk"}), "b": ("", {"vs-1": "3"})}), ScoringOptions(bootstrap=0)
    )
    assert result.low_coverage
    assert result.competencies[0].coverage == 0.5


def test_it_writes_json_without_nan(example: Framework) -> None:
    result = score(build(example, {"a": ("", {"vs-1": "4"})}))
    data = result_to_dict(result)
    assert data["competencies"][1]["agreement"]["rwg"] is None
    assert "NaN" not in str(data)


def test_it_is_repeatable_with_a_seed(example: Framework) -> None:
    team = build(example, {f"r{i}": ("", HIGH if i % 3 else LOW) for i in range(20)})
    first = score(team, ScoringOptions(seed=5)).competencies[0].interval
    again = score(team, ScoringOptions(seed=5)).competencies[0].interval
    assert first == again
    assert np.isfinite(first).all()  # type: ignore[arg-type]
