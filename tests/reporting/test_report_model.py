"""The report model: the dashboard's view model plus the summary's sentences, the plan and the methodology."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from cxmaturity.demo import SYNTHETIC_LABEL, demo_responses
from cxmaturity.frameworks import Framework, builtin_ids, load_builtin
from cxmaturity.planning import PlanRequest
from cxmaturity.planning.optimizer import make_plan
from cxmaturity.reporting import charts, plan_view, report, view
from cxmaturity.reporting.report import Logo
from cxmaturity.scoring import Result, ScoringOptions, score
from cxmaturity.scoring.display import score_text
from cxmaturity.services.results import Comment
from tests.support.values import known

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def _report(result: Result, fw: Framework, **kwargs: Any) -> report.Report:
    return report.build(result, fw, title="Q3 check", organization="Example Co", generated_at=NOW, **kwargs)


def test_it_builds_on_the_dashboards_view_model(demo: Result, xm: Framework) -> None:
    r = _report(demo, xm, synthetic_label=SYNTHETIC_LABEL)
    assert r.view == view.build(demo, xm, title="Q3 check", synthetic=True)
    assert (r.organization, r.language, r.synthetic_label) == ("Example Co", "en", SYNTHETIC_LABEL)
    assert [s.competency for s in r.sections] == list(r.view.competencies)
    assert [s.guide for s in r.sections] == list(r.view.guides)
    assert r.top_gaps == r.view.gaps[:3]
    assert r.top_discussion == r.view.discussion[:3]
    assert [heading for _, heading in r.headings] == [
        "Executive summary",
        "Competencies",
        "Charts",
        "Plan",
        "Methodology",
    ]


def test_it_says_one_sentence_per_competency_with_its_interval_and_target(demo: Result, xm: Framework) -> None:
    r = _report(demo, xm)
    lead = r.sections[0]
    c = lead.competency
    assert c.interval is not None
    stage = known(c.stage)
    assert lead.sentence.startswith(
        f"{c.name} is at {stage.name} (stage {stage.number} of 5; score {score_text(c.score)}, 90% interval "
        f"{c.interval[0]:.2f}–{c.interval[1]:.2f}); target Embed"  # the explicit target of the demo fixture
    )
    assert lead.sentence.endswith(".")
    assert r.overall_sentence.startswith(f"Overall stage {known(r.view.overall.stage).name} (stage ")
    assert "from 18 respondents" in r.overall_sentence


def test_it_warns_in_the_sentence_about_low_coverage_and_disagreement() -> None:
    c = view.CompetencyView(
        key="k",
        name="Insight",
        stage=view.StageRef("s2", "Two", 2),
        score=2.4,
        interval=None,
        interval_method="none",
        stage_probability=None,
        coverage=0.5,
        low_coverage=True,
        respondents=4,
        rwg=0.41,
        target=view.StageRef("s3", "Three", 3),
        fulfilment=(),
    )
    assert report.competency_sentence(c, 5, 0.9) == (
        "Insight is at Two (stage 2 of 5; score 2.40); target Three, but only 50% of its questions were answered "
        "and the team disagrees (rwg 0.41)."
    )


def test_it_groups_each_competencys_indicators_and_comments(worked: Result, example: Framework) -> None:
    comments = [Comment("ci-1", "ci", "leadership", "Needs data."), Comment("vs-1", "vs", None, "Clear goals.")]
    r = _report(worked, example, comments=comments)
    vision, insight = r.sections
    assert [i.key for i in vision.indicators] == [ind.key for ind in example.competencies[0].indicators]
    assert [i.key for i in insight.indicators] == [ind.key for ind in example.competencies[1].indicators]
    assert [c.text for c in vision.comments] == ["Clear goals."]
    assert [c.text for c in insight.comments] == ["Needs data."]
    first = vision.indicators[0]
    ir = worked.indicators[0]
    assert sum(a.count for a in first.distribution) == ir.answered
    assert (first.dont_know, first.not_applicable) == (ir.dont_know, ir.not_applicable)


def test_it_counts_withheld_groups_and_never_names_them(grouped: Result, example: Framework) -> None:
    """The front line has one respondent: below the minimum of three, so only counted."""
    comments = [Comment("vs-1", "vs", "front line", "From the floor.")]
    r = _report(grouped, example, comments=comments)
    assert [g.name for g in r.view.groups] == ["leadership"]
    assert r.methodology.withheld_groups == 1
    assert r.methodology.groups_shown == 1
    assert r.sections[0].comments[0].group is None
    assert r.methodology.comments_without_group == 1


def test_it_states_the_method(demo: Result, xm: Framework) -> None:
    m = _report(demo, xm).methodology
    assert (m.framework_id, m.framework_version, m.language) == (xm.id, xm.version, "en")
    assert (m.respondents, m.bootstrap, m.confidence, m.min_group_size) == (18, 200, 0.9, 3)
    assert m.threshold == xm.scoring.threshold
    assert m.overall_rule == xm.scoring.overall
    assert m.framework_source == xm.text(xm.source)


def test_it_lists_the_plan_in_start_order_with_reasons(demo: Result, xm: Framework) -> None:
    plan = make_plan(xm, demo, PlanRequest(targets={"lead": "embed"}))
    assert plan.initiatives
    r = _report(demo, xm, plan=plan, plan_version=3, plan_made_at=NOW)
    assert r.plan is not None
    # The status as the plan page names it ("Within 0.5% of optimal"): the domain's summary, as a heading reads.
    assert (r.plan.version, r.plan.made_at, r.plan.summary) == (3, NOW, plan_view.status_text(plan))
    assert r.plan.summary.lower() == plan.summary
    assert [i.start for i in r.plan.items] == sorted(i.start for i in plan.initiatives)
    assert {i.key: i.reason for i in r.plan.items} == {i.key: i.reason for i in plan.initiatives}
    assert r.plan.total_cost == pytest.approx(sum(i.cost for i in plan.initiatives))
    assert [c.id for c in r.plan_charts] == ["chart-plan-timeline", "chart-expected-stages"]
    timeline = r.plan_charts[0].spec["data"]["values"]
    assert sorted(row["key"] for row in timeline) == sorted(i.key for i in plan.initiatives)
    assert _report(demo, xm).plan is None


def test_it_takes_only_png_or_jpeg_logos(demo: Result, xm: Framework) -> None:
    logo = Logo("image/png", b"\x89PNG\r\n\x1a\n")
    assert _report(demo, xm, logo=logo).logo == logo
    assert logo.data_uri == "data:image/png;base64,iVBORw0KGgo="
    with pytest.raises(ValueError, match="image/svg"):
        _report(demo, xm, logo=Logo("image/svg+xml", b"<svg/>"))


def test_it_names_the_file_after_the_title(demo: Result, xm: Framework) -> None:
    assert _report(demo, xm).filename == "report-q3-check"
    r = report.build(demo, xm, title="<Über> ", organization="", generated_at=NOW)
    assert r.filename == "report-ber"
    assert report.build(demo, xm, title="???", organization="", generated_at=NOW).filename == "report"


@pytest.mark.parametrize("framework_id", builtin_ids())
def test_it_draws_every_indicator_once_in_the_answer_distributions(framework_id: str) -> None:
    fw = load_builtin(framework_id)
    result = score(demo_responses(fw), ScoringOptions(bootstrap=0))
    found = charts.answer_distribution_charts(result, fw)
    keys = [row["key"] for chart in found for row in chart.spec["data"]["values"] if row["order"] == 0]
    assert sorted(keys) == sorted(fw.indicator_keys)
    for chart in found:
        rows = chart.spec["data"]["values"]
        assert len({row["key"] for row in rows}) <= charts.DISTRIBUTION_ROWS
        for key in {row["key"] for row in rows}:
            ir = next(i for i in result.indicators if i.key == key)
            counts = [row["count"] for row in rows if row["key"] == key]
            assert counts == [*ir.distribution.values(), ir.dont_know, ir.not_applicable]
            assert sum(row["share"] for row in rows if row["key"] == key) == pytest.approx(1.0, abs=1e-3)
    ids = [c.id for c in (*charts.charts(result, fw), *found)]
    assert len(ids) == len(set(ids))


def test_it_splits_a_long_scale_between_competencies() -> None:
    from bench.synthetic import synthetic_framework

    fw = synthetic_framework(competencies=5, per_competency=10)  # 40 statements on one scale, 10 rubrics
    result = score(demo_responses(fw), ScoringOptions(bootstrap=0))
    statements = [c for c in charts.answer_distribution_charts(result, fw) if c.id.startswith("chart-answers-scale")]
    sizes = [len({row["key"] for row in c.spec["data"]["values"]}) for c in statements]
    assert sizes == [24, 16]  # three competencies of 8, then two: never a competency cut in two
    assert [c.title.endswith(f"({n} of 2)") for n, c in enumerate(statements, 1)] == [True, True]
