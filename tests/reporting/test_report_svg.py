"""Charts drawn to SVG on the server: text stays text, ids are unique per chart, and nothing active gets through."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from cxmaturity.frameworks import Framework
from cxmaturity.reporting import charts, svg
from cxmaturity.reporting.charts import Chart
from cxmaturity.scoring import Result


def test_it_draws_a_chart_as_labelled_svg_with_text_as_text(demo: Result, xm: Framework) -> None:
    heatmap = next(c for c in charts.charts(demo, xm) if c.id == "chart-heatmap")
    drawn = svg.draw(heatmap)
    assert drawn.svg.startswith('<svg role="img" aria-label="Heat map of how much')
    assert 'data-chart-svg="chart-heatmap"' in drawn.svg
    assert re.search(r"<text[^>]*>Lead</text>", drawn.svg)  # a label, as text (searchable in the PDF)
    assert "DejaVu Sans" in drawn.svg  # a font the PDF renderer has on Debian (fonts-dejavu-core)
    # The legend's gradient id carries the chart's id: two heat maps in one document cannot share it.
    ids = re.findall(r'id="([^"]+)"', drawn.svg)
    assert ids
    assert all(i.startswith("chart-heatmap-") for i in ids)
    for reference in re.findall(r"url\(#([^)]+)\)", drawn.svg):
        assert reference in ids


def test_it_escapes_text_it_draws(demo: Result, xm: Framework) -> None:
    spec = {
        "data": {"values": [{"name": "<script>alert(1)</script>", "x": 1}]},
        "mark": "text",
        "encoding": {"text": {"field": "name"}, "x": {"field": "x", "type": "quantitative"}},
    }
    drawn = svg.draw(Chart("chart-test", "Test", "<b>described</b>", spec))
    assert "<script" not in drawn.svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in drawn.svg
    assert 'aria-label="&lt;b&gt;described&lt;/b&gt;"' in drawn.svg


#: Draws a bar named with a bell character as SVG and as PNG, then prints what the SVG holds in its place.
_CONTROL_CHARACTER_CHART = """
from cxmaturity.reporting import svg
from cxmaturity.reporting.charts import Chart
spec = {
    "data": {"values": [{"group": "Front\\x07line", "x": 1}]},
    "mark": "bar",
    "encoding": {"y": {"field": "group", "type": "nominal"}, "x": {"field": "x", "type": "quantitative"}},
}
chart = Chart("chart-bell", "Bell", "Front\\x07line: 1", spec)
assert svg.draw_png(chart)
print("Front\\ufffdline" in svg.draw(chart).svg)
"""


def test_a_control_character_in_a_label_is_drawn_as_a_replacement_character() -> None:
    # vl-convert aborts the whole process (a Rust panic) on a control character in a text: the web server itself
    # when it draws the scorecard page. Run in a process of its own, so that the failure shows as a failed test.
    done = subprocess.run([sys.executable, "-c", _CONTROL_CHARACTER_CHART], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-500:]
    assert done.stdout.strip() == "True"


@pytest.mark.parametrize(
    "bad",
    [
        '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        '<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><p>x</p></foreignObject></svg>',
        '<svg xmlns="http://www.w3.org/2000/svg"><rect onclick="alert(1)"/></svg>',
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
        '<image xlink:href="https://example.com/x.png"/></svg>',
        "<svg><unclosed></svg>",
        "<html></html>",
    ],
)
def test_it_refuses_svg_that_could_run_or_load_something(bad: str) -> None:
    with pytest.raises(svg.ChartRenderError):
        svg._check(bad)


def test_it_names_the_chart_a_spec_error_comes_from() -> None:
    with pytest.raises(svg.ChartRenderError, match="chart-broken: the chart could not be drawn"):
        svg.draw(Chart("chart-broken", "Broken", "Broken", {"mark": "no-such-mark"}))
