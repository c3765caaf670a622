"""Progress charts and view models: trend specs per competency and the change chart, checked by value and compiled by
Vega-Lite itself (vl-convert, no browser); the view model pins what the pages and reports show."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, fields
from datetime import date

import vl_convert

from cxmaturity.progress import compare, review
from cxmaturity.reporting import progress_charts, progress_view
from cxmaturity.services.results import AssessmentResults
from tests.progress.support import FW, snap
from tests.support.values import known

SERIES = [
    snap(FW, 15, 0.3, seed=1, day=date(2024, 3, 1), label="2024", targets={"lead": "scale"}),
    snap(FW, 15, 0.5, seed=2, day=date(2025, 3, 1), label="2025", targets={"lead": "scale"}),
    snap(FW, 15, 0.8, seed=3, day=date(2026, 3, 1), label="2026", targets={"lead": "scale"}),
]


def _svg(spec: dict[str, object]) -> str:
    json.dumps(spec, allow_nan=False)
    svg: str = vl_convert.vegalite_to_svg(spec, vl_version="6.4", allowed_base_urls=[])
    return svg


def test_it_draws_one_trend_per_competency_and_one_overall() -> None:
    charts = progress_charts.trend_charts(SERIES)
    assert [c.id for c in charts] == ["chart-trend-overall", *(f"chart-trend-{c.key}" for c in FW.competencies)]
    lead = next(c for c in charts if c.id == "chart-trend-lead").spec
    rows = lead["data"]["values"]
    assert [r["day"] for r in rows] == ["2024-03-01", "2025-03-01", "2026-03-01"]
    scores = [known(s.result.competency("lead").score) for s in SERIES]
    assert [r["score"] for r in rows] == [round(x, 4) for x in scores]
    assert all(r["lower"] <= r["score"] <= r["upper"] for r in rows)
    target = next(layer for layer in lead["layer"] if "data" in layer)
    assert target["data"]["values"][0]["target"] == FW.stage_number("scale")
    assert "Target: stage 4." in lead["description"]


def test_it_leaves_out_assessments_without_answers_or_a_day() -> None:
    empty = snap(FW, 0, 0.5, day=date(2026, 9, 1))
    undated = snap(FW, 5, 0.5)
    rows = progress_charts.trend_data([*SERIES, empty, undated], "lead")
    assert len(rows) == 3


def test_its_specs_compile_and_draw_with_vega_lite() -> None:
    for chart in progress_charts.trend_charts(SERIES):
        svg = _svg(chart.spec)
        assert svg.count("<path") >= 3, chart.id  # line, interval bars and points
    svg = _svg(progress_charts.change(compare(SERIES[0], SERIES[2]), FW))
    assert "<svg" in svg
    assert "improved" in svg


@dataclass(frozen=True)
class _Assessment:
    id: int
    title: str
    synthetic: bool
    status: str


def _scored(index: int) -> AssessmentResults:
    s = SERIES[index]
    return AssessmentResults(_Assessment(index + 1, s.label, False, "closed"), FW, s.result, ())  # type: ignore[arg-type]


@dataclass(frozen=True)
class _Progress:
    before: AssessmentResults
    after: AssessmentResults
    comparison: object
    review: object
    statuses: dict[str, object]


def test_the_view_model_holds_what_the_pages_and_reports_show() -> None:
    comparison = compare(SERIES[0], SERIES[2])
    found = progress_view.build(
        _Progress(_scored(0), _scored(2), comparison, review(comparison, SERIES[0], SERIES[2]), {})  # type: ignore[arg-type]
    )
    assert {f.name for f in fields(found)} == {
        "framework_name",
        "before",
        "after",
        "synthetic",
        "confidence",
        "decisive",
        "overall",
        "competencies",
        "indicators",
        "discussion",
        "versions",
        "notes",
        "years",
        "targets",
        "initiatives",
        "initiative_counts",
        "review_notes",
        "charts",
        # The sentences as phrases, rendered in the reader's language by ``progress_view.localized``.
        "note_phrases",
        "review_note_phrases",
        "rules_phrases",
        "comparison",
    }
    assert [c.name for c in found.competencies] == [FW.text(c.name) for c in FW.competencies]
    assert {c.verdict for c in found.competencies} == {"improved"}
    assert found.before.day == date(2024, 3, 1)
    assert found.years is not None
    lead = next(t for t in found.targets if t.competency == "Lead")
    assert (lead.target.key, lead.target.name, lead.chosen) == ("scale", "Scale", True)
    assert found.indicators[0].text == FW.text(FW.indicator(found.indicators[0].key).text)
    assert [c.id for c in found.charts] == ["chart-change"]


def test_trend_charts_are_written_in_the_active_locale() -> None:
    """Titles, tooltips, the target's label and the description (the accessible name) in French, with French days and
    decimals; the same spec in English keeps the English words. The data's ISO day stays for the time axis."""
    from cxmaturity.i18n import use_locale

    with use_locale("fr"):
        charts = progress_charts.trend_charts(SERIES)
    overall, lead = charts[0], next(c for c in charts if c.id == "chart-trend-lead")
    assert overall.title == "Global"
    assert lead.description.startswith("Le score de chaque évaluation à sa date")
    spec = lead.spec
    assert spec["description"].startswith(f"Évolution du score «\u00a0{FW.text(FW.competency('lead').name)}\u00a0»")
    assert "1 mars 2024" in spec["description"]
    assert "Objectif\u00a0: étape 4." in spec["description"]
    assert not re.search(r"\d\.\d\d \(", spec["description"])
    assert spec["data"]["values"][0]["day"] == "2024-03-01"
    titles = {t["field"]: t["title"] for t in spec["layer"][2]["encoding"]["tooltip"]}
    assert titles["day_text"] == "Jour"
    assert titles["upper"] == "Intervalle à"
    english = progress_charts.trend_charts(SERIES)[0]
    assert english.title == "Overall"
    assert english.spec["description"].startswith("Trend of the Overall score across the series: Mar 1, 2024 ")
