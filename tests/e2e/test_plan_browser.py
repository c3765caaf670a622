"""The plan page in a real browser: the facilitator makes a plan, locks an initiative, plans again, and sees the
timelines drawn under the strict CSP, at desktop and phone width, without a console error or a failed request."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.conftest import screenshot
from tests.e2e.test_results_browser import _watch
from tests.web.conftest import PASSWORD, Cast, Site
from tests.web.test_results_page import fill

pytestmark = pytest.mark.browser


def _sign_in(page: Any, live_url: str, email: str) -> None:
    page.goto(f"{live_url}/signin")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_url}/")


def _timelines(page: Any) -> list[dict[str, int]]:
    """Per timeline: how many drawn marks its SVG holds and how wide it is."""
    found: list[dict[str, int]] = page.evaluate(
        """() => Array.from(document.querySelectorAll('[data-chart^="chart-gantt-"]')).map(box => {
            const svg = box.querySelector("svg");
            return {
                rendered: box.classList.contains("chart-rendered") ? 1 : 0,
                marks: box.querySelectorAll("svg path, svg text, svg line").length,
                bars: box.querySelectorAll("svg .mark-rect path").length,
                width: svg ? Math.round(svg.getBoundingClientRect().width) : 0,
            };
        })"""
    )
    return found


def _wait_for_charts(page: Any) -> None:
    page.wait_for_selector('[data-chart^="chart-gantt-"].chart-rendered svg', timeout=15_000)
    page.wait_for_selector('[data-chart="chart-expected-stages"].chart-rendered svg', timeout=15_000)
    page.wait_for_function(
        """() => Array.from(document.querySelectorAll("[data-chart]"))
            .every(box => box.classList.contains("chart-rendered") || box.classList.contains("chart-failed"))""",
        timeout=15_000,
    )


def test_it_makes_locks_and_replans_in_the_browser(browser: Any, live_url: str, site: Site, cast: Cast) -> None:
    filled = fill(site, cast, {"Leadership": (3, 0.35)})
    url = f"{live_url}/assessments/{filled.id}/plan"
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems = _watch(page)
    _sign_in(page, live_url, cast.emails["facilitator"])
    page.goto(url)
    assert page.get_by_role("heading", name=f"Plan: {filled.title}").is_visible()
    assert page.get_by_role("heading", name="No plan yet").is_visible()

    page.get_by_role("button", name="Make plan", exact=True).click()
    page.wait_for_url(re.compile(r".*/plan\?done=planned#plan$"))
    assert page.get_by_role("status").inner_text() == "A new plan was made and saved as a new version."
    assert re.fullmatch(r"Optimal|Within \d+\.\d% of optimal", page.locator("#plan-status").inner_text())
    _wait_for_charts(page)
    drawn = _timelines(page)
    assert drawn
    for chart in drawn:
        assert chart["rendered"] == 1, drawn
        assert chart["bars"] >= 1, drawn
        assert chart["marks"] > 5, drawn
        assert chart["width"] > 100, drawn
    assert page.locator("style").count() == 0
    screenshot(page, "plan-made")

    # Lock the first initiative where it is; the plan is made again around it.
    first = page.locator("li.initiative").first
    key = first.locator(".initiative-title code").inner_text()
    start = first.get_by_label("Starts in period").input_value()
    first.get_by_label("Owner").fill("Ana Lima")
    first.get_by_label("Locked").check()
    page.get_by_role("button", name="Save changes and plan again").click()
    page.wait_for_url(re.compile(r".*/plan\?done=adjusted#initiatives$"))
    assert "the plan was made again around the locked initiatives" in page.get_by_role("status").inner_text()
    locked = page.locator("li.initiative", has=page.locator("code", has_text=re.compile(rf"^{re.escape(key)}$")))
    assert locked.get_by_label("Locked").is_checked()
    assert locked.get_by_label("Owner").input_value() == "Ana Lima"
    assert locked.get_by_label("Starts in period").input_value() == start
    assert locked.locator(".tag-locked").is_visible()
    assert page.locator("#versions-table tbody tr").count() == 2
    title = locked.locator(".initiative-title strong").inner_text()
    assert f"locked “{title}” in period {start}" in page.locator("#versions-table tbody tr").first.inner_text()

    # Plan again: the lock and the owner hold, and the timeline shows the locked bar.
    page.get_by_role("button", name="Make plan again").click()
    page.wait_for_url(re.compile(r".*/plan\?done=planned#plan$"))
    locked = page.locator("li.initiative", has=page.locator("code", has_text=re.compile(rf"^{re.escape(key)}$")))
    assert locked.get_by_label("Locked").is_checked()
    assert locked.get_by_label("Owner").input_value() == "Ana Lima"
    assert locked.get_by_label("Starts in period").input_value() == start
    assert page.locator("#versions-table tbody tr").count() == 3
    _wait_for_charts(page)
    for chart in _timelines(page):
        assert chart["rendered"] == 1
        assert chart["bars"] >= 1
    page.locator('[data-chart^="chart-gantt-"] .mark-rect path').first.hover()
    page.wait_for_selector("#vg-tooltip-element.visible")
    screenshot(page, "plan-locked")
    context.close()

    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    page = context.new_page()
    problems += _watch(page)
    _sign_in(page, live_url, cast.emails["facilitator"])
    page.goto(url)
    _wait_for_charts(page)
    for chart in _timelines(page):
        assert 100 < chart["width"] <= 375
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, "plan-phone")
    context.close()

    assert problems == []
