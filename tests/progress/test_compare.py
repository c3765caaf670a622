"""Comparing two constructed teams scored for real: clear gain, noise, clear decline, symmetry, what moved most and
the discussion items resolved or appeared."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from bench.method_study import Population

from cxmaturity.frameworks import load_builtin
from cxmaturity.progress import ComparisonError, Snapshot, compare, comparison_to_dict
from cxmaturity.scoring import ResponseMatrix, ScoringOptions, score
from tests.progress.support import FW, edited, snap, team

COMPETENCIES = [c.key for c in FW.competencies]


def test_it_calls_a_clear_gain_improved() -> None:
    found = compare(snap(FW, 20, 0.3, seed=1), snap(FW, 20, 0.75, seed=2))
    assert [c.verdict for c in found.competencies] == ["improved"] * 6
    assert found.overall.verdict == "improved"
    for change in found.competencies:
        assert change.difference is not None
        assert change.difference.interval is not None
        assert change.difference.interval[0] > 0
        assert change.stage_change is not None
        assert change.stage_change >= 1


def test_it_calls_a_clear_decline_declined() -> None:
    found = compare(snap(FW, 20, 0.75, seed=3), snap(FW, 20, 0.3, seed=4))
    assert [c.verdict for c in found.competencies] == ["declined"] * 6
    assert found.overall.verdict == "declined"


def test_it_finds_no_clear_change_in_noise_alone() -> None:
    """Two draws of the same team: at 90% confidence about one verdict in ten may be a false alarm, not more."""
    verdicts: list[str] = []
    for pair in range(12):
        before = snap(FW, 15, 0.5, seed=100 + pair, spread=0.25)
        after = snap(FW, 15, 0.5, seed=200 + pair, spread=0.25)
        verdicts.extend(c.verdict for c in compare(before, after).competencies)
    alarms = sum(v != "no clear change" for v in verdicts)
    assert alarms <= 0.15 * len(verdicts), verdicts


def test_it_separates_a_gain_in_one_competency_from_noise_in_the_others() -> None:
    levels = dict.fromkeys(COMPETENCIES, 0.45)
    found = compare(snap(FW, 25, levels, seed=5, spread=0.1), snap(FW, 25, {**levels, "lead": 0.9}, seed=6, spread=0.1))
    assert found.competency("lead").verdict == "improved"
    assert {c.verdict for c in found.competencies if c.key != "lead"} == {"no clear change"}


def test_it_is_symmetric_on_real_results() -> None:
    levels = dict.fromkeys(COMPETENCIES, 0.5)
    a, b = snap(FW, 25, levels, seed=7), snap(FW, 25, {**levels, "lead": 0.95, "respond": 0.1}, seed=8)
    forward, backward = compare(a, b), compare(b, a)
    swap = {"improved": "declined", "declined": "improved", "no clear change": "no clear change"}
    for there, back in zip(forward.competencies, backward.competencies, strict=True):
        assert back.verdict == swap[there.verdict]
    assert backward.overall.verdict == swap[forward.overall.verdict]
    assert (forward.competency("lead").verdict, forward.competency("respond").verdict) == ("improved", "declined")


def test_it_lists_the_indicators_that_moved_most_with_their_counts() -> None:
    levels = dict.fromkeys(COMPETENCIES, 0.5)
    found = compare(
        snap(FW, 10, levels, seed=9, spread=0.05), snap(FW, 10, {**levels, "realize": 1.0}, seed=10, spread=0.05)
    )
    moved = found.indicators
    assert len(moved) == 10
    assert {m.competency for m in moved[:6]} == {"realize"}
    assert all(abs(x.change) >= abs(y.change) for x, y in itertools.pairwise(moved))
    assert all(m.before_n == 10 and m.after_n == 10 for m in moved)
    assert all(0.0 <= m.before <= 1.0 and 0.0 <= m.after <= 1.0 for m in moved)


def _mixed(split: str, calm: str, seed: int) -> Snapshot:
    """A team split into camps on competency ``split`` and unanimous on ``calm``."""
    split_team = team(FW, 12, 0.5, seed=seed, spread=0.6)
    calm_team = team(FW, 12, 0.5, seed=seed, spread=0.0)
    answers = split_team.answers.copy()
    for i, (comp, _) in enumerate(FW.indicators):
        if comp.key == calm:
            answers[:, i] = calm_team.answers[:, i]
    matrix = ResponseMatrix(FW, split_team.respondents, split_team.groups, answers, split_team.importance)
    return Snapshot(FW, score(matrix, ScoringOptions(bootstrap=200)))


def test_it_finds_discussion_items_resolved_and_appeared() -> None:
    # Before: split on "lead", unanimous on "respond"; after: the other way round.
    before, after = _mixed("lead", "respond", seed=11), _mixed("respond", "lead", seed=12)
    found = compare(before, after)
    by_status = {s: {d.competency for d in found.discussion if d.status == s} for s in ("resolved", "appeared")}
    assert "lead" in by_status["resolved"]
    assert "lead" not in by_status["appeared"]
    assert "respond" in by_status["appeared"]
    assert "respond" not in by_status["resolved"]
    resolved = next(d for d in found.discussion if d.status == "resolved" and d.competency == "lead")
    assert resolved.after_rwg == pytest.approx(1.0)
    assert resolved.before_rwg is not None
    assert resolved.before_rwg < 0.7


def test_it_refuses_results_of_different_frameworks() -> None:
    other = edited(FW, lambda d: d.update(id="another-model"))
    with pytest.raises(ComparisonError, match="different frameworks: 2025 uses xm-six-competencies"):
        compare(snap(FW, 5, 0.5, label="2025"), snap(other, 5, 0.5, label="2026"))


def test_it_does_not_judge_an_assessment_without_answers() -> None:
    empty = score(team(FW, 0, 0.5), ScoringOptions(bootstrap=100))
    found = compare(Snapshot(FW, empty, "draft"), snap(FW, 10, 0.5))
    assert {c.verdict for c in found.competencies} == {"not comparable"}
    assert found.overall.verdict == "not comparable"
    assert "no answers in draft" in found.competencies[0].reason


def test_it_writes_the_json_the_cli_and_api_share() -> None:
    data = comparison_to_dict(compare(snap(FW, 20, 0.3, seed=1, label="a"), snap(FW, 20, 0.75, seed=2, label="b")))
    assert data["format"] == "cx-maturity/comparison@1"
    first = data["competencies"][0]
    assert first["key"] == "lead"
    assert set(first["before"]) >= {"stage", "score"}
    assert set(first["after"]) >= {"stage", "score"}
    assert first["verdict"] == "improved"
    assert first["before"]["stage"] in FW.stage_keys
    assert data["overall"]["key"] == "overall"


def test_it_calls_a_three_stage_rise_of_a_split_team_of_eight_improved() -> None:
    """Lead from about 2 to about 5 with 8 respondents in two camps each time: every answer says it rose."""
    fw = load_builtin("xm-six-competencies")
    rng = np.random.default_rng(5)
    levels = np.full(len(fw.competencies), 2.0)
    before_pop = Population(fw, levels, np.zeros(len(fw.indicators)), two_camps=True)
    after_pop = before_pop.shifted(3.0)
    before = score(before_pop.team(8, rng), ScoringOptions())
    after = score(after_pop.team(8, rng), ScoringOptions())
    lead = compare(Snapshot(fw, before, "2025"), Snapshot(fw, after, "2026")).competency("lead")
    assert lead.stage_change is not None
    assert lead.stage_change >= 2
    assert lead.verdict == "improved"
    assert lead.difference is not None
    assert lead.difference.probability is not None
    assert lead.difference.probability > 0.99
