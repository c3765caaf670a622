"""Chart specs: Vega-Lite-shaped dicts with the result's numbers, checked by value and compiled by Vega-Lite itself."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from cxmaturity.frameworks import Framework
from cxmaturity.reporting import charts
from cxmaturity.scoring import Result
from tests.support.values import known

VENDOR = Path(charts.__file__).resolve().parents[1] / "web" / "static" / "vendor"
MARKS = {"arc", "area", "bar", "line", "point", "rect", "rule", "text", "tick", "circle", "square", "trail"}


def _layers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    layers: list[dict[str, Any]] = spec.get("layer", [spec])
    return layers


def _assert_vega_lite_shaped(spec: dict[str, Any]) -> None:
    assert spec["$schema"] == "https://vega.github.io/schema/vega-lite/v6.json"
    assert isinstance(spec["description"], str)
    assert spec["description"]
    json.dumps(spec, allow_nan=False)  # plain JSON: no NaN, no objects
    for layer in _layers(spec):
        mark = layer["mark"]
        assert (mark["type"] if isinstance(mark, dict) else mark) in MARKS
        data = layer.get("data", spec.get("data"))
        assert data is not None
        assert set(data) == {"values"}, "inline data only: nothing to fetch"
        for channel in {**spec.get("encoding", {}), **layer.get("encoding", {})}.values():
            if "field" in channel:
                assert any(channel["field"] in row for row in data["values"]), channel


def _rows(spec: dict[str, Any], **match: Any) -> list[dict[str, Any]]:
    rows = [row for layer in _layers(spec) for row in layer.get("data", spec.get("data", {})).get("values", [])]
    return [row for row in rows if all(row.get(k) == v for k, v in match.items())]


def test_it_compares_current_score_with_the_next_stage_by_default(worked: Result, example: Framework) -> None:
    data = charts.current_vs_target_data(worked, example)
    values = {(row["competency"], row["series"]): (row["value"], row["stage"]) for row in data}
    assert values == {
        ("Vision and strategy", "Current score"): (2.3571, "Learning"),
        ("Vision and strategy", "Target"): (3.0, "Committing"),
        ("Customer insight", "Current score"): (1.9821, "Emerging"),
        ("Customer insight", "Target"): (2.0, "Learning"),
    }


def test_it_draws_two_competencies_as_bars_because_a_radar_needs_three(worked: Result, example: Framework) -> None:
    spec = charts.radar(worked, example)
    _assert_vega_lite_shaped(spec)
    assert spec["mark"] == {"type": "bar"}
    assert [row["value"] for row in spec["data"]["values"]] == [2.3571, 3.0, 1.9821, 2.0]


def test_it_draws_a_radar_with_the_assessment_targets(demo: Result, xm: Framework) -> None:
    spec = charts.radar(demo, xm)
    _assert_vega_lite_shaped(spec)
    polygon = next(
        layer for layer in spec["layer"] if layer["mark"].get("interpolate") and "color" in layer["encoding"]
    )
    rows = polygon["data"]["values"]
    assert len(rows) == 2 * len(xm.competencies)
    lead = {row["series"]: row for row in rows if row["key"] == "lead"}
    assert lead["Target"]["value"] == 5.0  # the explicit target: Embed
    assert lead["Current score"]["value"] == round(known(demo.competency("lead").score), 4)
    # Lead is the first spoke, straight up; the others follow clockwise at equal angles.
    assert (lead["Target"]["x"], lead["Target"]["y"]) == (0.0, 5.0)
    realize = next(row for row in rows if row["key"] == "realize" and row["series"] == "Current score")
    angle = 2 * math.pi / len(xm.competencies)
    score = known(demo.competency("realize").score)
    assert realize["x"] == pytest.approx(score * math.sin(angle), abs=1e-4)
    assert realize["y"] == pytest.approx(score * math.cos(angle), abs=1e-4)
    labels = [row["label"] for row in _rows(spec) if "label" in row]
    assert {"Lead", "Realize", "Activate", "Enlighten", "Respond", "Disrupt"} <= set(labels)
    assert {"Investigate", "Embed"} <= set(labels)  # the rings are the stages


def test_it_maps_fulfilment_per_competency_and_stage(worked: Result, example: Framework) -> None:
    spec = charts.heatmap(worked, example)
    _assert_vega_lite_shaped(spec)
    cells = {(row["competency"], row["stage"]): (row["fulfilment"], row["met"], row["label"]) for row in _rows(spec)}
    assert cells == {
        ("Vision and strategy", "Learning"): (0.75, True, "✓ 75%"),
        ("Vision and strategy", "Committing"): (0.25, False, "25%"),
        ("Customer insight", "Learning"): (0.6875, False, "69%"),
        ("Customer insight", "Committing"): (0.25, False, "25%"),
    }
    assert spec["encoding"]["x"]["sort"] == ["Learning", "Committing"]
    assert "met at 70%" in spec["description"]


def test_it_shows_only_groups_the_scoring_shows(grouped: Result, example: Framework) -> None:
    spec = charts.group_comparison(grouped, example)
    assert spec is not None
    _assert_vega_lite_shaped(spec)
    groups = {(row["group"], row["competency"]): row["score"] for row in _rows(spec)}
    assert groups == {
        ("Everyone", "Vision and strategy"): round(known(grouped.competencies[0].score), 4),
        ("Everyone", "Customer insight"): round(known(grouped.competencies[1].score), 4),
        ("leadership", "Vision and strategy"): round(known(grouped.groups[0].competencies[0].score), 4),
        ("leadership", "Customer insight"): round(known(grouped.groups[0].competencies[1].score), 4),
    }
    assert "front line" not in json.dumps(spec)


def test_it_leaves_out_the_group_chart_when_no_group_is_shown(worked: Result, example: Framework) -> None:
    from dataclasses import replace

    alone = replace(worked, groups=(), withheld_groups=2)
    assert charts.group_comparison(alone, example) is None
    assert [c.id for c in charts.charts(alone, example)] == ["chart-radar", "chart-heatmap"]


def test_it_lists_every_chart_with_a_unique_id(demo: Result, xm: Framework) -> None:
    found = charts.charts(demo, xm)
    assert [c.id for c in found] == ["chart-radar", "chart-heatmap", "chart-groups"]
    for chart in found:
        _assert_vega_lite_shaped(chart.spec)
        assert chart.title
        assert chart.description


def test_it_is_a_pure_function_of_the_result(demo: Result, xm: Framework) -> None:
    assert charts.charts(demo, xm) == charts.charts(demo, xm)


NODE_CHECK = r"""
const fs = require("fs"), vm = require("vm"), path = require("path");
const dir = process.argv[process.argv.length - 1];
for (const f of ["vega.min.js", "vega-lite.min.js"]) vm.runInThisContext(fs.readFileSync(path.join(dir, f), "utf8"));
const specs = JSON.parse(fs.readFileSync(0, "utf8"));
(async () => {
  const out = {};
  for (const [id, spec] of Object.entries(specs)) {
    const problems = [];
    const logger = { level() { return this; }, info() { return this; }, debug() { return this; },
      warn(...a) { problems.push("warn: " + a.join(" ")); return this; },
      error(...a) { problems.push("error: " + a.join(" ")); return this; } };
    try {
      const vg = vegaLite.compile(spec, { logger }).spec;
      const runtime = vega.parse(vg, null, { ast: true });
      const view = new vega.View(runtime, { renderer: "none", logger, logLevel: vega.Warn });
      const svg = await view.toSVG();
      out[id] = { problems, marks: (svg.match(/<(path|text|line)\b/g) || []).length };
    } catch (e) { out[id] = { problems: problems.concat(["exception: " + e]), marks: 0 }; }
  }
  process.stdout.write(JSON.stringify(out));
})();
"""


def test_it_compiles_and_renders_with_the_vendored_vega_lite(
    demo: Result, xm: Framework, worked: Result, example: Framework, tmp_path: Path
) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed: the specs are checked in the browser tests instead")
    specs = {f"demo-{c.id}": c.spec for c in charts.charts(demo, xm)}
    specs.update({f"worked-{c.id}": c.spec for c in charts.charts(worked, example)})
    # A script file, not `node -e`: there `module` and `require` are globals and the UMD bundles would want npm.
    script = tmp_path / "check.js"
    script.write_text(NODE_CHECK)
    done = subprocess.run(
        [node, str(script), str(VENDOR)], input=json.dumps(specs), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    rendered = json.loads(done.stdout)
    assert set(rendered) == set(specs)
    for name, outcome in rendered.items():
        assert outcome["problems"] == [], name
        assert outcome["marks"] > 10, name
