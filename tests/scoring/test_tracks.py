"""Results per track: the overall rule over the track's competencies, with an interval and stage probabilities drawn
from the same posterior as the competencies' (docs/scoring.md, section 5b)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from cxmaturity.frameworks import Framework, load_builtin, load_framework_text
from cxmaturity.scoring import ResponseMatrix, ScoringOptions, score
from cxmaturity.scoring.serialize import result_from_dict, result_to_dict, result_to_full_dict

from .conftest import build

TEXT = (Path(__file__).parents[1] / "data" / "example.yaml").read_text(encoding="utf-8")
TRACKS = (
    "tracks:\n"
    "  - {key: direction, name: Direction, competencies: [vision]}\n"
    "  - {key: everything, name: Everything, competencies: [insight]}\n"
)


def framework(rule: str = "weakest", tracks: str = TRACKS) -> Framework:
    return load_framework_text(TEXT.replace("actions:\n", tracks + f"scoring: {{overall: {rule}}}\nactions:\n", 1))


TEAM = {
    "r1": ("", {"vs-1": "4", "vs-2": "2", "ci-1": "committing", "ci-2": "5"}),
    "r2": ("", {"vs-1": "5", "vs-2": "3", "ci-1": "learning", "ci-2": "4"}),
    "r3": ("", {"vs-1": "4", "vs-2": "1", "ci-1": "committing", "ci-2": "4"}),
}


def test_a_track_of_one_competency_has_that_competencys_result_from_the_same_draws() -> None:
    result = score(build(framework(), TEAM))
    for track, comp in (("direction", "vision"), ("everything", "insight")):
        t, c = result.track(track), result.competency(comp)
        assert (t.stage, t.score, t.interval, t.stage_probabilities) == (
            c.stage,
            c.score,
            c.interval,
            c.stage_probabilities,
        )
        assert t.competencies == (comp,)


def test_a_track_of_every_competency_is_the_overall_result() -> None:
    fw = framework(tracks="tracks:\n  - {key: all, name: All, competencies: [vision, insight]}\n")
    result = score(build(fw, TEAM))
    [track] = result.tracks
    assert track.score == result.overall.score
    assert track.interval == result.overall.interval
    assert track.stage_probabilities == result.overall.stage_probabilities
    assert track.rule == "weakest"


@pytest.mark.parametrize("rule", ["weakest", "mean", "median"])
def test_it_rolls_a_track_up_by_the_frameworks_overall_rule(rule: str) -> None:
    fw = load_builtin("yohn-cx-maturity")
    fw = fw.model_copy(update={"scoring": fw.scoring.model_copy(update={"overall": rule})})
    rng = np.random.default_rng(7)
    sizes = np.array([len(fw.answer_keys(ind)) for _, ind in fw.indicators])
    answers = np.floor(rng.random((6, len(sizes))) * sizes).astype(np.int16)
    responses = ResponseMatrix(fw, tuple(f"r{i}" for i in range(6)), ("",) * 6, answers, np.full(answers.shape, np.nan))
    result = score(responses, ScoringOptions(bootstrap=200))
    readiness = result.track("organizational-readiness")
    scores = [result.competency(k).score for k in readiness.competencies]
    weights = [fw.competency(k).weight for k in readiness.competencies]
    assert all(s is not None for s in scores)
    values = np.array(scores, dtype=float)
    expected = {
        "weakest": values.min(),
        "mean": float(np.average(values, weights=weights)),
        "median": float(np.median(values)),
    }[rule]
    assert readiness.score == pytest.approx(expected)
    assert readiness.stage_number == math.floor(expected)
    assert readiness.interval is not None
    assert readiness.interval[0] <= expected <= readiness.interval[1] + 1e-9
    assert sum(readiness.stage_probabilities.values()) == pytest.approx(1.0)


def test_under_the_weakest_rule_a_tracks_upper_limit_is_its_lowest_competency_upper_limit() -> None:
    fw = framework(tracks="tracks:\n  - {key: all, name: All, competencies: [vision, insight]}\n")
    result = score(build(fw, TEAM))
    uppers = [c.interval[1] for c in result.competencies if c.interval is not None]
    assert result.tracks[0].interval is not None
    assert result.tracks[0].interval[1] == min(uppers)


def test_a_track_without_answers_is_not_assessed_and_names_its_competencies() -> None:
    team = {r: (g, {k: v for k, v in given.items() if k.startswith("ci")}) for r, (g, given) in TEAM.items()}
    result = score(build(framework(), team))
    direction = result.track("direction")
    assert (direction.stage, direction.score, direction.interval, direction.stage_probabilities) == (
        None,
        None,
        None,
        {},
    )
    assert direction.not_assessed == ("vision",)
    assert result.track("everything").stage is not None


def test_it_has_no_interval_without_draws() -> None:
    result = score(build(framework(), TEAM), ScoringOptions(bootstrap=0))
    assert result.track("direction").score is not None
    assert result.track("direction").interval is None


def test_a_framework_without_tracks_has_none_in_its_result() -> None:
    result = score(build(load_framework_text(TEXT), TEAM))
    assert result.tracks == ()
    assert result_to_dict(result)["tracks"] == []


def test_tracks_are_in_the_public_json_and_survive_storage() -> None:
    result = score(build(framework(), TEAM))
    public = result_to_dict(result)
    [direction, everything] = public["tracks"]
    assert direction["key"] == "direction"
    assert direction["competencies"] == ["vision"]
    assert direction["stage"] == result.track("direction").stage
    assert len(direction["interval"]) == 2
    assert set(everything["stage_probabilities"]) == {"emerging", "learning", "committing"}
    assert result_from_dict(result_to_full_dict(result)) == result


def test_a_result_stored_before_tracks_existed_reads_back_without_tracks() -> None:
    data = result_to_full_dict(score(build(framework(), TEAM)))
    del data["tracks"]
    assert result_from_dict(data).tracks == ()
