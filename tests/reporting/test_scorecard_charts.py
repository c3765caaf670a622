"""The scorecard's charts (reporting/scorecard_charts.py): maturity over time beside each watched metric, on one
timeline, with the numbers of the scorecard in the text alternative; metrics without data have no chart."""

from __future__ import annotations

from datetime import date

from cxmaturity.reporting import scorecard_charts, svg
from cxmaturity.reporting.scorecard import MaturityPoint, MetricLine, MetricPoint, Scorecard, build


def _card() -> Scorecard:
    maturity = [
        MaturityPoint(1, "Spring check", date(2026, 2, 1), "2026-Q1", "XM", 12, "learning", 2.345, (2.1, 2.6), ()),
        MaturityPoint(2, "Autumn check", date(2026, 9, 1), "2026-Q3", "XM", 14, "embed", 3.02, (2.8, 3.2), ()),
    ]
    nps = MetricLine(
        "nps",
        "NPS",
        "points",
        True,
        (MetricPoint("2026-Q1", 12.04, (3.0, 21.0), 80), MetricPoint("2026-Q2", 18.5, (10.25, 26.0), 90)),
        "improved",
    )
    repeat = MetricLine("operational:repeat_rate", "Repeat purchase rate", "%", True, (MetricPoint("2026-Q3", 41.0),))
    empty = MetricLine("ces", "CES", "mean", True, (), None, "no responses yet")
    return build("Example Co", maturity, [nps, repeat, empty], None)


def test_it_charts_maturity_then_each_metric_with_data_on_one_timeline() -> None:
    card = _card()
    charts = scorecard_charts.charts(card)
    assert [c.id for c in charts] == [
        "chart-scorecard-maturity",
        "chart-scorecard-nps",
        "chart-scorecard-operational-repeat-rate",
    ]
    assert card.timeline == ("2026-Q1", "2026-Q2", "2026-Q3")
    for chart in charts:
        for layer in chart.spec["layer"]:
            assert layer["encoding"]["x"]["scale"]["domain"] == list(card.timeline)


def test_its_text_alternatives_hold_the_scorecards_numbers() -> None:
    maturity, nps, repeat = scorecard_charts.charts(_card())
    # The score is floored as every page shows it (2.345 reads 2.34, never rounded up); the interval is rounded.
    assert maturity.spec["description"] == (
        "Overall maturity score by quarter: 2026-Q1 Spring check: 2.34 (90% interval 2.10 to 2.60); "
        "2026-Q3 Autumn check: 3.02 (90% interval 2.80 to 3.20)."
    )
    assert nps.spec["description"] == (
        "NPS by quarter: 2026-Q1 12.0 (90% interval 3.0 to 21.0); 2026-Q2 18.5 (90% interval 10.2 to 26.0). "
        "Last change: improved."
    )
    assert repeat.spec["description"] == "Repeat purchase rate by quarter: 2026-Q3 41.0%."
    # An interval band only where the metric has intervals.
    assert [layer["mark"]["type"] for layer in nps.spec["layer"]] == ["area", "line"]
    assert [layer["mark"]["type"] for layer in repeat.spec["layer"]] == ["line"]


def test_it_draws_as_an_svg_image_labelled_with_its_numbers_and_as_a_png() -> None:
    maturity = scorecard_charts.charts(_card())[0]
    drawn = str(svg.draw(maturity).svg)
    assert drawn.startswith(f'<svg role="img" aria-label="{maturity.spec["description"]}"')
    assert svg.draw_png(maturity).startswith(b"\x89PNG")
