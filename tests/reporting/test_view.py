"""The results view model: its fields are the contract between scoring and every page or report that shows results."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import pytest

from cxmaturity.frameworks import Framework
from cxmaturity.reporting import view
from cxmaturity.reporting.view import (
    AnswerCount,
    CommentView,
    CompetencyView,
    OverallView,
    ResultsView,
    StageCell,
    StageRef,
)
from cxmaturity.scoring import ResponseMatrix, Result, ScoringOptions, score
from tests.support.values import known


@dataclass(frozen=True)
class FakeComment:
    indicator: str
    group: str | None
    text: str


@dataclass(frozen=True)
class FakeAssessment:
    title: str
    synthetic: bool


@dataclass(frozen=True)
class FakeResults:
    assessment: FakeAssessment
    framework: Framework
    result: Result
    comments: tuple[FakeComment, ...]


def _fields(cls: Any) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)]


def test_it_pins_the_fields_of_the_view_model() -> None:
    # Pages and reports render from these names: renaming one is a change to all of them.
    assert _fields(ResultsView) == [
        "title",
        "synthetic",
        "framework_name",
        "framework_version",
        "respondents",
        "overall",
        "coverage",
        "low_coverage",
        "low_coverage_threshold",
        "confidence",
        "threshold",
        "stages",
        "competencies",
        "weakest",
        "strongest",
        "discussion",
        "groups",
        "withheld_groups",
        "min_group_size",
        "blind_spots",
        "comments",
        "guides",
        "gaps",
        "charts",
        "not_assessed",
        "excluded_respondents",
        "groups_counted",
        "tracks",
    ]
    assert _fields(view.TrackView) == [
        "key",
        "name",
        "description",
        "competencies",
        "stage",
        "score",
        "interval",
        "stage_probability",
        "not_assessed",
    ]
    assert _fields(OverallView) == ["stage", "score", "interval", "stage_probability", "rule"]
    assert _fields(CompetencyView) == [
        "key",
        "name",
        "stage",
        "score",
        "interval",
        "interval_method",
        "stage_probability",
        "coverage",
        "low_coverage",
        "respondents",
        "rwg",
        "target",
        "fulfilment",
        "polarised",
    ]
    assert _fields(view.DiscussionView) == [
        "indicator",
        "text",
        "competency",
        "answered",
        "rwg",
        "ad",
        "sd",
        "distribution",
        "polarised",
    ]
    assert _fields(view.GroupView) == ["name", "respondents", "overall_stage", "overall_score", "scores"]
    assert _fields(view.BlindSpotView) == ["competency", "group", "group_score", "others_score", "difference"]
    assert _fields(CommentView) == ["indicator", "indicator_text", "competency", "group", "text"]
    assert _fields(view.StageGuide) == [
        "competency",
        "description",
        "stage",
        "summary",
        "behaviors",
        "next_stage",
        "advance",
    ]
    assert _fields(view.GapView) == [
        "competency",
        "score",
        "target",
        "gap",
        "weight",
        "importance",
        "priority",
        "holds_back",
    ]
    assert _fields(StageRef) == ["key", "name", "number"]
    assert _fields(StageCell) == ["stage", "fulfilment", "met"]


def test_it_resolves_the_worked_example(worked: Result, example: Framework) -> None:
    v = view.build(worked, example, title="Worked example")
    assert (v.title, v.synthetic, v.respondents) == ("Worked example", False, 4)
    assert v.framework_name == example.text(example.name)
    assert v.overall == OverallView(StageRef("emerging", "Emerging", 1), worked.overall.score, None, None, "weakest")
    assert (v.coverage, v.low_coverage, v.low_coverage_threshold, v.confidence, v.threshold) == (
        0.9375,
        False,
        0.7,
        0.9,
        0.7,
    )
    vision, insight = v.competencies
    assert (vision.name, known(vision.stage).name, round(known(vision.score), 4), vision.interval) == (
        "Vision and strategy",
        "Learning",
        2.3571,
        None,
    )
    assert vision.target == StageRef("committing", "Committing", 3)
    assert insight.target == StageRef("learning", "Learning", 2)
    assert round(vision.rwg or 0, 4) == 0.7368
    assert vision.fulfilment == (
        StageCell(StageRef("learning", "Learning", 2), 0.75, True),
        StageCell(StageRef("committing", "Committing", 3), 0.25, False),
    )
    assert insight.fulfilment[0].met is False  # 0.6875: only just below the threshold
    assert (v.weakest, v.strongest) == (("Customer insight",), ("Vision and strategy",))
    assert [(g.competency, g.holds_back) for g in v.gaps] == [
        ("Customer insight", True),
        ("Vision and strategy", False),
    ]
    assert [g.target.name for g in v.gaps] == ["Learning", "Committing"]


def test_it_labels_the_answers_of_discussion_items(worked: Result, example: Framework) -> None:
    v = view.build(worked, example, title="t")
    assert [d.indicator for d in v.discussion] == ["ci-1", "ci-2", "vs-2", "vs-1"]
    rubric = v.discussion[0]
    assert rubric.competency == "Customer insight"
    assert rubric.text == example.text(example.indicator("ci-1").text)
    assert rubric.distribution == (
        AnswerCount("Emerging", 1),
        AnswerCount("Learning", 2),
        AnswerCount("Committing", 1),
    )
    statement = v.discussion[1]
    assert [a.count for a in statement.distribution] == [0, 1, 1, 1, 1]
    assert statement.distribution[0].label == "Strongly disagree"
    assert (round(rubric.rwg, 4), round(rubric.ad, 4)) == (0.0, 0.5)


def test_it_shows_only_groups_the_scoring_shows_and_names_them_in_comments_only_then(
    grouped: Result, example: Framework
) -> None:
    comments = [
        FakeComment("vs-1", "front line", "Only one person could have written this."),
        FakeComment("ci-1", "leadership", "We run surveys on every journey."),
        FakeComment("ci-1", None, "An <em>unattributed</em> remark."),
        FakeComment("gone", "leadership", "An answer to an indicator the framework no longer has."),
    ]
    v = view.build(grouped, example, title="t", comments=comments)
    assert [g.name for g in v.groups] == ["leadership"]
    assert (v.withheld_groups, v.min_group_size) == (1, 3)
    assert v.groups[0].respondents == 3
    assert [s.competency for s in v.groups[0].scores] == ["Vision and strategy", "Customer insight"]
    # Questionnaire order (vs before ci), then by text: never the order people answered in.
    assert v.comments == (
        CommentView(
            "vs-1",
            example.text(example.indicator("vs-1").text),
            "Vision and strategy",
            None,
            "Only one person could have written this.",
        ),
        CommentView(
            "ci-1",
            example.text(example.indicator("ci-1").text),
            "Customer insight",
            None,
            "An <em>unattributed</em> remark.",
        ),
        CommentView(
            "ci-1",
            example.text(example.indicator("ci-1").text),
            "Customer insight",
            "leadership",
            "We run surveys on every journey.",
        ),
    )


def test_it_describes_the_current_stage_and_how_to_advance(demo: Result, xm: Framework) -> None:
    v = view.build(demo, xm, title="Demo", synthetic=True)
    assert v.synthetic is True
    lead = v.guides[0]
    number = demo.competency("lead").stage_number
    assert number is not None
    stage = xm.stages[number - 1]
    assert lead.competency == "Lead"
    assert lead.stage is not None
    assert lead.stage.key == stage.key
    assert lead.behaviors == tuple(xm.text(b) for b in stage.behaviors)
    assert lead.advance == tuple(xm.text(a) for a in stage.advance)
    assert lead.next_stage is not None
    assert lead.next_stage.number == lead.stage.number + 1
    assert lead.description == xm.text(xm.competency("lead").description or "")
    assert v.competencies[0].target == StageRef("embed", "Embed", 5)  # the assessment's own target
    assert v.competencies[0].interval is not None
    assert v.competencies[0].stage_probability == demo.competency("lead").stage_probabilities[stage.key]
    assert [c.id for c in v.charts] == ["chart-radar", "chart-heatmap", "chart-groups"]
    assert {g.name for g in v.groups} == {"Leadership team", "Operations", "Front line"}
    assert [b.group for b in v.blind_spots] == [b.group for b in demo.blind_spots]


def test_it_builds_from_what_the_results_service_returns(demo: Result, xm: Framework) -> None:
    source = FakeResults(FakeAssessment("Q3 check", True), xm, demo, (FakeComment("ld-2a", "Operations", "Good."),))
    v = view.of(source)
    assert (v.title, v.synthetic) == ("Q3 check", True)
    assert v.comments[0].group == "Operations"
    assert v == view.build(demo, xm, title="Q3 check", synthetic=True, comments=source.comments)


def test_it_has_no_answers_without_a_usable_answer(worked: Result, example: Framework) -> None:
    empty = score(ResponseMatrix.empty(example), ScoringOptions(bootstrap=0))
    nothing = view.build(empty, example, title="t")
    assert (nothing.has_answers, nothing.overall.stage, nothing.overall.score, nothing.charts) == (
        False,
        None,
        None,
        (),
    )
    assert view.build(worked, example, title="t").has_answers is True


@pytest.mark.parametrize("frozen", [ResultsView, CompetencyView, CommentView])
def test_it_is_immutable(frozen: Any) -> None:
    assert frozen.__dataclass_params__.frozen


def test_it_shows_yohns_three_tracks_with_names_and_intervals() -> None:
    from cxmaturity.demo import demo_responses
    from cxmaturity.frameworks import load_builtin

    fw = load_builtin("yohn-cx-maturity")
    result = score(demo_responses(fw), ScoringOptions(bootstrap=200))
    shown = view.build(result, fw, title="Demo").tracks
    assert [t.name for t in shown] == ["Vision and Strategy", "Leadership and Alignment", "Organizational Readiness"]
    readiness = shown[2]
    assert readiness.competencies == ("Customer intimacy", "Employee engagement", "Skills", "Systems and processes")
    assert readiness.stage is not None
    assert readiness.interval is not None
    assert readiness.score == min(c.score for c in view.build(result, fw, title="Demo").competencies[2:] if c.score)
