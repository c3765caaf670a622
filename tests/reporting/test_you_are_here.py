"""'You are here' on a stage distribution: the organization's overall stage with its interval and how likely each
stage is, marked on the chart the benchmark page and the report draw, and said in a sentence."""

from __future__ import annotations

from dataclasses import replace

import pytest

from cxmaturity.benchmarks.reference import builtin_references
from cxmaturity.demo import demo_responses
from cxmaturity.frameworks import load_builtin
from cxmaturity.reporting import svg
from cxmaturity.reporting.benchmark_charts import HERE, stage_distribution, you_are_here
from cxmaturity.scoring import ScoringOptions, score

FW = load_builtin("xm-six-competencies")


@pytest.fixture(scope="module")
def result():  # type: ignore[no-untyped-def]  # a Result
    return score(demo_responses(FW, seed=11), ScoringOptions(bootstrap=400))


def test_the_mark_is_the_overall_stage_with_its_interval_and_probabilities(result) -> None:  # type: ignore[no-untyped-def]
    you = you_are_here(FW, result)
    assert you is not None
    assert you.stage_number == result.overall.stage_number
    assert you.interval == result.overall.interval
    assert abs(sum(you.probabilities.values()) - 1) < 1e-9
    assert you.probability == pytest.approx(result.overall.stage_probabilities[result.overall.stage])
    names = [FW.text(s.name) for s in FW.stages]
    assert you.interval is not None
    low, high = you.interval
    # The stages the interval spans, from the stage of its lower end to that of its upper end.
    assert you.spanned == tuple(names[int(low) - 1 : int(high)])
    assert you.stage_name in you.spanned
    assert you.sentence.startswith(f"{HERE}: {you.stage_name} (score ")
    assert f"{you.probability:.0%} likely" in you.sentence


def test_without_draws_it_says_there_is_no_interval(result) -> None:  # type: ignore[no-untyped-def]
    bare = replace(result, overall=replace(result.overall, interval=None, stage_probabilities={}))
    you = you_are_here(FW, bare)
    assert you is not None
    assert you.spanned == (you.stage_name,)
    assert "no interval" in you.sentence
    assert you_are_here(FW, None) is None


def test_the_drawn_chart_marks_it_beside_the_published_reference(result) -> None:  # type: ignore[no-untyped-def]
    you = you_are_here(FW, result)
    chart = stage_distribution(FW, [], builtin_references(), you)
    layers = chart.spec["layer"]
    shading = layers[0]["data"]["values"]
    assert [row["stage"] for row in shading] == [FW.text(s.name) for s in FW.stages]
    assert [row["here"] for row in shading].count(True) == 1
    assert you is not None
    assert you.sentence in chart.description
    drawn = svg.draw(chart).svg
    assert f"{HERE} ({you.probability:.0%})" in drawn
    assert "Published: XM Institute" in drawn
