"""The worked example of docs/scoring.md, checked to the digit (the doc and this test must agree)."""

from __future__ import annotations

import pytest

from cxmaturity.answers.csv_reader import read_answers_csv
from cxmaturity.frameworks import Framework
from cxmaturity.scoring import Result, ScoringOptions, score
from tests.scoring.conftest import DATA
from tests.support.values import known


@pytest.fixture(scope="module")
def result(example: Framework) -> Result:
    responses = read_answers_csv(DATA / "worked-example.csv", example)
    return score(responses, ScoringOptions(bootstrap=0))


def test_it_computes_fulfilment_per_stage(result: Result) -> None:
    vision, insight = result.competencies
    assert vision.fulfilment == {"learning": pytest.approx(0.75), "committing": pytest.approx(0.25)}
    assert insight.fulfilment == {"learning": pytest.approx(0.6875), "committing": pytest.approx(0.25)}


def test_it_gates_stages_and_scores(result: Result) -> None:
    vision, insight = result.competencies
    assert (vision.stage, round(known(vision.score), 4)) == ("learning", 2.3571)
    assert (insight.stage, round(known(insight.score), 4)) == ("emerging", 1.9821)
    assert (result.overall.stage, round(known(result.overall.score), 4)) == ("emerging", 1.9821)
    assert result.weakest == ("insight",)
    assert result.strongest == ("vision",)


def test_it_measures_coverage_without_dont_know(result: Result) -> None:
    vision, insight = result.competencies
    assert (vision.coverage, insight.coverage, result.coverage) == (0.875, 1.0, 0.9375)


def test_it_computes_agreement(result: Result) -> None:
    by_key = {i.key: i.agreement for i in result.indicators}
    assert round(by_key["vs-1"].sd or 0, 4) == 0.8165
    assert round(by_key["vs-1"].ad or 0, 4) == 0.5
    assert round(by_key["vs-1"].rwg or 0, 4) == 0.6667
    assert round(by_key["vs-2"].rwg or 0, 4) == 0.5
    assert by_key["ci-1"].rwg == 0.0
    assert round(by_key["ci-2"].rwg or 0, 4) == 0.1667
    assert round(by_key["ci-2"].ad or 0, 4) == 1.0
    vision, insight = result.competencies
    assert round(vision.agreement.rwg or 0, 4) == 0.7368
    assert round(insight.agreement.rwg or 0, 4) == 0.1538


def test_it_ranks_discussion_items(result: Result) -> None:
    assert [d.indicator for d in result.discussion_items] == ["ci-1", "ci-2", "vs-2", "vs-1"]


def test_it_puts_the_competency_that_holds_the_overall_back_first(result: Result) -> None:
    # Insight sets the overall stage (rule "weakest"): it leads although its priority is the smaller one.
    gaps = [(g.competency, g.target, round(g.gap, 4), round(g.priority, 4), g.holds_back) for g in result.gaps]
    assert gaps == [("insight", "learning", 0.0179, 0.0357, True), ("vision", "committing", 0.6429, 0.6429, False)]


def test_it_withholds_the_small_group_and_its_complement(result: Result) -> None:
    # Leadership is large enough, but the team minus leadership is the one front-line respondent.
    assert result.groups == ()
    assert result.withheld_groups == 2
    assert result.blind_spots == ()


def test_it_computes_lindell_on_the_worked_example(result: Result) -> None:
    vision, insight = result.competencies
    assert round(vision.agreement.rwg_lindell or 0, 4) == 0.5833
    assert round(insight.agreement.rwg_lindell or 0, 4) == 0.0833
    # ci-1 is exactly as spread as the uniform null (ratio 1): no agreement, but not polarised.
    assert not any(i.agreement.polarised for i in result.indicators)
    assert not vision.agreement.polarised
    assert not insight.agreement.polarised


@pytest.fixture(scope="module")
def split(example: Framework) -> Result:
    responses = read_answers_csv(DATA / "worked-example-split.csv", example)
    return score(responses, ScoringOptions(bootstrap=0))


def test_it_reports_the_split_team_as_polarised(split: Result) -> None:
    vision, insight = split.competencies
    by_key = {i.key: i.agreement for i in split.indicators}
    # vs-1: positions 0, 0, 4, 4; s² = 16/3 = 5.3333, ratio 2.6667 > 1.
    assert round((by_key["vs-1"].sd or 0) ** 2, 4) == 5.3333
    assert by_key["vs-1"].rwg == 0.0
    assert by_key["vs-1"].polarised
    assert by_key["vs-2"].rwg == 1.0
    # Vision: r̄ = (2.6667 + 0) / 2 = 1.3333; the formula gives 2 × (-0.3333) / (2 × (-0.3333) + 1.3333) = -1.
    assert vision.agreement.rwg == 0.0
    assert vision.agreement.rwg_out_of_range
    assert round(vision.agreement.rwg_lindell or 0, 4) == -0.3333
    assert vision.agreement.polarised
    assert (insight.agreement.rwg, insight.agreement.rwg_lindell, insight.agreement.polarised) == (1.0, 1.0, False)
    assert [(d.indicator, d.rwg, d.polarised) for d in split.discussion_items] == [("vs-1", 0.0, True)]


def test_it_scores_the_split_team_and_leads_with_what_holds_it_back(split: Result) -> None:
    vision, insight = split.competencies
    assert (vision.stage, round(vision.score or 0, 4)) == ("emerging", 1.7143)
    assert (insight.stage, round(insight.score or 0, 4)) == ("learning", 2.0)
    assert (split.overall.stage, round(split.overall.score or 0, 4)) == ("emerging", 1.7143)
    gaps = [(g.competency, g.target, round(g.gap, 4), round(g.priority, 4), g.holds_back) for g in split.gaps]
    assert gaps == [("vision", "learning", 0.2857, 0.2857, True), ("insight", "committing", 1.0, 2.0, False)]


def _with_tracks(example: Framework, tracks: str, rule: str = "weakest") -> Framework:
    from cxmaturity.frameworks import load_framework_text

    text = (DATA / "example.yaml").read_text(encoding="utf-8")
    return load_framework_text(text.replace("actions:\n", tracks + f"scoring: {{overall: {rule}}}\nactions:\n", 1))


def test_it_rolls_tracks_up_as_the_doc_says(example: Framework) -> None:
    # docs/scoring.md, section 5b.
    two = _with_tracks(
        example,
        "tracks:\n  - {key: direction, name: Direction, competencies: [vision]}\n"
        "  - {key: listening, name: Listening, competencies: [insight]}\n",
    )
    result = score(read_answers_csv(DATA / "worked-example.csv", two), ScoringOptions(bootstrap=0))
    assert [(t.key, t.stage, round(known(t.score), 4)) for t in result.tracks] == [
        ("direction", "learning", 2.3571),
        ("listening", "emerging", 1.9821),
    ]
    one = "tracks:\n  - {key: both, name: Both, competencies: [vision, insight]}\n"
    for rule, expected in (("weakest", ("emerging", 1.9821)), ("mean", ("learning", 2.1071))):
        fw = _with_tracks(example, one, rule)
        [track] = score(read_answers_csv(DATA / "worked-example.csv", fw), ScoringOptions(bootstrap=0)).tracks
        assert (track.stage, round(known(track.score), 4)) == expected
