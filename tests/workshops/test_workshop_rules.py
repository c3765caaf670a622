"""The workshop's pure rules: the agenda from a result, votes, agreed answers and the "as agreed" scoring rule."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from cxmaturity.demo import LEADERSHIP_GROUPS, demo_responses
from cxmaturity.frameworks import load_builtin
from cxmaturity.scoring import ScoringOptions, score
from cxmaturity.scoring.responses import DONT_KNOW_CODE, MISSING
from cxmaturity.scoring.result import Result
from cxmaturity.workshops import (
    WorkshopError,
    apply_agreed,
    build_agenda,
    check_agreed,
    check_commitment,
    check_next_step,
    distribution,
    new_join_code,
    normalize_join_code,
    vote_options,
)
from cxmaturity.workshops.rules import CODE_ALPHABET, CODE_LENGTH, check_evidence

FW = load_builtin("xm-six-competencies")
OPTIONS = ScoringOptions(bootstrap=0)


@pytest.fixture(scope="module")
def result() -> Result:
    return score(demo_responses(FW, seed=11, groups=LEADERSHIP_GROUPS), OPTIONS)


def test_it_starts_with_what_holds_the_overall_stage_back(result: Result) -> None:
    agenda = build_agenda(FW, result)
    held = [g for g in result.gaps if g.holds_back]
    assert held, "the demo team has a competency that holds the overall stage back"
    assert agenda[0].kind == "holds_back"
    assert agenda[0].competency == held[0].competency
    # Its vote is on the competency's indicator with the lowest mean answer.
    means = {i.key: i.mean for i in result.indicators if i.competency == held[0].competency and i.mean is not None}
    assert agenda[0].indicator == min(means, key=lambda k: (means[k], FW.indicator_keys.index(k)))


def test_it_lists_discussion_items_most_disagreement_first(result: Result) -> None:
    agenda = build_agenda(FW, result, max_discussion=100)
    discussed = [item.indicator for item in agenda if item.kind == "discussion"]
    assert discussed == [d.indicator for d in result.discussion_items]
    # Without a polarised item, rwg = 1 - s²/sigma²_EU: most disagreement first is lowest rwg first.
    assert not any(d.polarised for d in result.discussion_items)
    rwg = [d.rwg for d in result.discussion_items]
    assert len(rwg) >= 2
    assert rwg == sorted(rwg)


def test_it_lists_blind_spots_and_the_largest_gaps_once_per_competency(result: Result) -> None:
    agenda = build_agenda(FW, result, max_gaps=2)
    spots = [item.competency for item in agenda if item.kind == "blind_spot"]
    assert len(spots) == len(set(spots)) == len({s.competency for s in result.blind_spots})
    gaps = [item for item in agenda if item.kind == "gap"]
    assert len(gaps) <= 2
    held = {g.competency for g in result.gaps if g.holds_back}
    assert not held & {g.competency for g in gaps}
    for item in agenda:
        if item.indicator is not None:
            assert item.indicator in FW.indicator_keys


def test_a_vote_counts_only_the_items_options() -> None:
    keys = [k for k, _ in vote_options(FW, FW.indicator_keys[0])]
    counts = distribution(keys, [keys[0], keys[0], keys[-1], "dk", "nonsense"])
    assert list(counts) == keys
    assert counts[keys[0]] == 2
    assert counts[keys[-1]] == 1
    assert sum(counts.values()) == 3


def test_an_agreed_answer_must_be_one_of_the_indicators_options() -> None:
    indicator = FW.indicator_keys[0]
    keys = [k for k, _ in vote_options(FW, indicator)]
    agreed = check_agreed(FW, indicator, keys[1], " because ", "https://example.com/doc")
    assert (agreed.option, agreed.rationale) == (keys[1], "because")
    with pytest.raises(WorkshopError, match="not an option") as caught:
        check_agreed(FW, indicator, "dk", "why", "")
    assert caught.value.field == "option"
    with pytest.raises(WorkshopError, match="no indicator"):
        check_agreed(FW, "no-such-indicator", keys[0], "why", "")
    with pytest.raises(WorkshopError, match="rationale is empty"):
        check_agreed(FW, indicator, keys[0], "  ", "")
    with pytest.raises(WorkshopError, match="http"):
        check_evidence("javascript:alert(1)")


def test_commitments_and_next_steps_are_checked() -> None:
    today = date(2026, 12, 3)
    made = check_commitment("Anna", "Visit five customers", "2027-01-31", "private", today)
    assert made.by_when == date(2027, 1, 31)
    assert made.visibility == "private"
    with pytest.raises(WorkshopError, match="in the past"):
        check_commitment("", "x", "2026-12-02", "public", today)
    with pytest.raises(WorkshopError, match="not a date"):
        check_commitment("", "x", "soon", "public", today)
    competency = FW.competencies[0].key
    step = check_next_step(FW, "Set up a customer room", competency, "COO", 2)
    assert step.owner == "COO"
    with pytest.raises(WorkshopError, match="owner is empty"):
        check_next_step(FW, "x", competency, " ", 2)
    with pytest.raises(WorkshopError, match="no competency"):
        check_next_step(FW, "x", "nope", "COO", 2)


def test_join_codes_are_short_unambiguous_and_typed_loosely() -> None:
    codes = {new_join_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert len(code) == CODE_LENGTH
        assert set(code) <= set(CODE_ALPHABET)
    code = next(iter(codes))
    assert normalize_join_code(f" {code[:3].lower()}-{code[3:]} ") == code
    assert normalize_join_code("O0O0O0") is None  # 0 and O are never in a code
    assert normalize_join_code("ABC") is None


def test_as_agreed_replaces_the_indicators_answers_for_the_counted_team() -> None:
    # Worked example (docs/workshops.md): four respondents, one indicator split 0/0/4/4 with a don't know; the team
    # agrees on the option with index 2. The fifth respondent answered nothing usable and stays out.
    fw = FW
    m = len(fw.indicator_keys)
    answers = np.full((5, m), 2, dtype=np.int16)
    answers[:, 0] = [0, 0, 4, DONT_KNOW_CODE, MISSING]
    answers[4, :] = MISSING
    matrix = demo_responses(fw, seed=1, groups=(("All", 0.0, 5),))
    matrix = type(matrix)(fw, matrix.respondents, matrix.groups, answers, matrix.importance)
    indicator = fw.indicator_keys[0]
    option = fw.answer_keys(fw.indicator(indicator))[2]
    agreed = apply_agreed(matrix, {indicator: option})
    assert agreed.answers[:, 0].tolist() == [2, 2, 2, 2, MISSING]
    assert (agreed.answers[:, 1:] == answers[:, 1:]).all()
    before, after = score(matrix, OPTIONS), score(agreed, OPTIONS)
    first = {i.key: i for i in after.indicators}[indicator]
    assert first.answered == 4
    assert first.agreement.sd == 0.0
    assert indicator in {d.indicator for d in before.discussion_items}
    assert indicator not in {d.indicator for d in after.discussion_items}
    with pytest.raises(ValueError, match="not an option"):
        apply_agreed(matrix, {indicator: "dk"})
