"""The results dashboard in a real browser: the viewer signs in, every chart is drawn under the strict CSP, at desktop
and phone width, without a console error or a failed request."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.conftest import screenshot
from tests.web.conftest import PASSWORD, Cast, Site
from tests.web.test_results_page import fill

pytestmark = pytest.mark.browser

CHARTS = ("chart-radar", "chart-heatmap", "chart-groups")


def _watch(page: Any) -> list[str]:
    """Collect console errors and warnings (CSP violations among them), failed requests and HTTP errors."""
    problems: list[str] = []

    def console(message: Any) -> None:
        where = message.location.get("url", "")
        # The browser asks for /favicon.ico on its own; the site has none, and that is not the page's doing.
        if message.type in ("error", "warning") and not where.endswith("/favicon.ico"):
            problems.append(f"console {message.type}: {message.text} ({where})")

    def failed(request: Any) -> None:
        problems.append(f"request failed: {request.url} {request.failure}")

    def response(reply: Any) -> None:
        if reply.status >= 400 and not reply.url.endswith("/favicon.ico"):
            problems.append(f"{reply.status} {reply.url}")

    page.on("console", console)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("requestfailed", failed)
    page.on("response", response)
    return problems


def _sign_in(page: Any, live_url: str, cast: Cast) -> None:
    page.goto(f"{live_url}/signin")
    page.get_by_label("E-mail").fill(cast.emails["viewer"])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_url}/")


def _charts_drawn(page: Any) -> dict[str, dict[str, int]]:
    """Per chart container: how many SVG/canvas elements it holds and how many drawn marks are in them."""
    result: dict[str, dict[str, int]] = page.evaluate(
        """ids => Object.fromEntries(ids.map(id => {
            const box = document.querySelector(`[data-chart="${id}"]`);
            const svg = box ? box.querySelectorAll("svg, canvas").length : -1;
            const marks = box ? box.querySelectorAll("svg path, svg text, svg line").length : -1;
            const width = box && box.querySelector("svg") ? box.querySelector("svg").getBoundingClientRect().width : 0;
            return [id, {svg, marks, width: Math.round(width)}];
        }))""",
        list(CHARTS),
    )
    return result


def test_it_draws_the_results_dashboard(browser: Any, live_url: str, site: Site, cast: Cast) -> None:
    filled = fill(
        site,
        cast,
        {"Leadership": (4, 0.8), "Operations": (4, 0.45), "Pair": (2, 0.3)},
        comments={"Leadership": "We talk about customers in every board meeting.", "Pair": "Only two of us."},
        targets={"lead": "embed"},
    )
    url = f"{live_url}/assessments/{filled.id}/results"
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems = _watch(page)
    _sign_in(page, live_url, cast)
    page.goto(url)
    assert page.get_by_role("heading", name=f"Results: {filled.title}").is_visible()
    for chart in CHARTS:
        page.wait_for_selector(f'[data-chart="{chart}"].chart-rendered svg', timeout=15_000)
    drawn = _charts_drawn(page)
    for chart in CHARTS:
        assert drawn[chart]["svg"] >= 1, drawn
        assert drawn[chart]["marks"] > 10, drawn
        assert drawn[chart]["width"] > 100, drawn
    # Tooltips work, styled by the site's stylesheet (no inline <style> that the CSP would refuse).
    page.locator('[data-chart="chart-radar"] .mark-symbol path').first.hover()
    page.wait_for_selector("#vg-tooltip-element.visible")
    assert "Lead" in page.locator("#vg-tooltip-element").inner_text()
    assert page.locator("style").count() == 0
    # Once drawn, the tables fold away behind their summary; one click opens them again.
    radar = page.locator("figure", has=page.locator('[data-chart="chart-radar"]'))
    assert radar.locator("details.chart-data").get_attribute("open") is None
    radar.get_by_text("The numbers as a table").click()
    assert radar.get_by_role("table").is_visible()
    # The small group is never named, not even in the chart.
    assert "Pair" not in page.locator("main").inner_text()
    assert "Pair" not in page.locator('[data-chart="chart-groups"]').inner_html()
    screenshot(page, "results-dashboard")
    context.close()

    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    page = context.new_page()
    problems += _watch(page)
    _sign_in(page, live_url, cast)
    page.goto(url)
    for chart in CHARTS:
        page.wait_for_selector(f'[data-chart="{chart}"].chart-rendered svg', timeout=15_000)
    drawn = _charts_drawn(page)
    for chart in CHARTS:
        assert 100 < drawn[chart]["width"] <= 375, drawn
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, "results-dashboard-phone")
    context.close()

    assert problems == []


def test_it_is_useful_without_javascript(browser: Any, live_url: str, site: Site, cast: Cast) -> None:
    filled = fill(site, cast, {"Leadership": (3, 0.7)})
    context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    page = context.new_page()
    _sign_in(page, live_url, cast)
    page.goto(f"{live_url}/assessments/{filled.id}/results")
    # No charts, but every chart's numbers are there as an open table.
    for figure in page.locator("figure.chart").all():
        assert figure.locator("details.chart-data").get_attribute("open") is not None
        assert figure.get_by_role("table").is_visible()
    assert page.locator("svg").count() == 0
    context.close()


def test_it_draws_the_charts_in_the_pages_language(browser: Any, live_url: str, site: Site, cast: Cast) -> None:
    """In German (``?lang=de``) the charts' tooltips name their fields in German and write the decimal comma."""
    filled = fill(site, cast, {"Leadership": (4, 0.8), "Operations": (4, 0.45)})
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems = _watch(page)
    _sign_in(page, live_url, cast)
    page.goto(f"{live_url}/assessments/{filled.id}/results?lang=de")
    assert page.get_by_role("heading", name=f"Ergebnisse: {filled.title}").is_visible()
    for chart in CHARTS:
        page.wait_for_selector(f'[data-chart="{chart}"].chart-rendered svg', timeout=15_000)
    # A target's diamond (drawn on top of a score's circle it may cover), not the legend's.
    page.locator('[data-chart="chart-radar"] .mark-symbol.role-mark path[d*="L0,-"]').first.hover()
    page.wait_for_selector("#vg-tooltip-element.visible")
    tooltip = page.locator("#vg-tooltip-element").inner_text()
    assert "Kompetenz" in tooltip
    assert re.search(r"\d,\d\d", tooltip), tooltip
    assert not re.search(r"\d\.\d\d", tooltip), tooltip
    context.close()
    assert problems == []
