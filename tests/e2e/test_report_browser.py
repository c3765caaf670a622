"""The downloaded HTML report in a real browser with the network off: every chart is drawn from the file alone, the
logo shows, and the browser asks for nothing outside the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import screenshot
from tests.web.conftest import Cast, Site
from tests.web.test_reports_pages import PNG, demo_assessment

pytestmark = pytest.mark.browser


@pytest.fixture
def report_file(site: Site, cast: Cast, tmp_path: Path) -> Path:
    """A SYNTHETIC demo assessment with groups, a plan and a logo, its HTML report downloaded as a viewer would."""
    if site.backend != "sqlite":
        pytest.skip("browser tests run once, on SQLite")
    org_id, assessment_id = demo_assessment(site, cast, "Offline Report Co", plan=True)
    facilitator = site.client(cast.facilitator)
    uploaded = facilitator.post(
        f"/orgs/{org_id}/logo",
        data={"csrf_token": facilitator.csrf("/")},
        files={"logo": ("logo.png", PNG, "image/png")},
    )
    assert uploaded.status_code == 303
    response = site.client(cast.viewer).get(f"/assessments/{assessment_id}/report.html")
    assert response.status_code == 200
    path = tmp_path / "report.html"
    path.write_bytes(response.content)
    return path


def test_it_draws_every_chart_offline_without_fetching_anything(browser: Any, report_file: Path) -> None:
    context = browser.new_context(viewport={"width": 1100, "height": 900}, offline=True)
    page = context.new_page()
    url = report_file.as_uri()
    requested: list[str] = []
    problems: list[str] = []

    def only_the_file(route: Any) -> None:
        if route.request.url == url:
            route.continue_()
        else:
            requested.append(route.request.url)
            route.abort()

    page.route("**/*", only_the_file)
    page.on("requestfailed", lambda request: problems.append(f"request failed: {request.url} {request.failure}"))
    page.on("console", lambda message: problems.append(f"console {message.type}: {message.text}"))
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    try:
        page.goto(url)
        charts: dict[str, dict[str, int]] = page.evaluate(
            """() => Object.fromEntries(Array.from(document.querySelectorAll("[data-chart]")).map(box => {
                const svg = box.querySelector("svg");
                const drawn = ".role-mark path, .role-mark line, .role-mark text";
                const marks = svg ? svg.querySelectorAll(drawn).length : 0;
                const rect = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
                return [box.dataset.chart, {svg: box.querySelectorAll("svg").length, marks,
                                            width: Math.round(rect.width), height: Math.round(rect.height)}];
            }))"""
        )
        images = page.evaluate(
            "() => Array.from(document.images).map(i => ({complete: i.complete, width: i.naturalWidth}))"
        )
        scripts = page.evaluate("() => document.scripts.length")
        screenshot(page, "report-offline")
    finally:
        context.close()
    expected = {"chart-radar", "chart-heatmap", "chart-groups", "chart-plan-timeline", "chart-expected-stages"}
    assert expected <= set(charts)
    assert any(chart.startswith("chart-answers-") for chart in charts)
    for chart, drawn in charts.items():
        assert drawn["svg"] == 1, chart
        assert drawn["marks"] > 0, chart
        assert drawn["width"] > 100, chart
        assert drawn["height"] > 50, chart
    assert images == [{"complete": True, "width": 1}]  # the logo, from its data URL
    assert scripts == 0
    assert requested == []
    assert problems == []
