"""A facilitator chooses a framework in a real browser: browse the list, read one in full, compare it with another,
and start an assessment with it from the comparison."""

from __future__ import annotations

import re
import secrets
from typing import Any

import pytest

from cxmaturity.frameworks import load_builtin
from tests.e2e.conftest import screenshot
from tests.web.conftest import PASSWORD, Cast, Site

pytestmark = pytest.mark.browser


def test_it_browses_compares_and_chooses_a_framework(live_url: str, site: Site, cast: Cast, page: Any) -> None:
    failures: list[str] = []
    page.on("pageerror", lambda error: failures.append(str(error)))
    page.on(
        "response",
        lambda r: (
            failures.append(f"{r.status} {r.url}") if r.status >= 400 and not r.url.endswith("/favicon.ico") else None
        ),
    )
    core = load_builtin("cx-core-competency")
    name = core.text(core.name)

    page.goto(f"{live_url}/signin")
    page.get_by_label("E-mail").fill(cast.emails["facilitator"])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Organization A").click()
    page.get_by_role("link", name=re.compile("^Frameworks")).click()
    assert page.get_by_role("heading", name="Frameworks", level=1).is_visible()
    assert page.locator(".framework-card").count() >= 5
    screenshot(page, "framework-list")

    page.get_by_role("link", name=name, exact=True).click()
    assert page.get_by_role("heading", name=name, level=1).is_visible()
    for stage in core.stages:
        assert page.locator(f"#stage-{stage.key}").is_visible()
    first = core.competencies[0]
    assert page.get_by_role("heading", name=f"Page 1 of {len(core.competencies)}: {core.text(first.name)}").is_visible()
    assert page.locator(f"#q-{first.indicators[0].key}").is_visible()
    screenshot(page, "framework-detail")

    page.get_by_label("Framework", exact=True).select_option("builtin:yohn-cx-maturity")
    page.get_by_role("button", name="Compare side by side").click()
    page.wait_for_url(re.compile(r"/frameworks/compare\?"))
    assert page.get_by_role("row", name=re.compile("^Tracks")).is_visible()
    screenshot(page, "framework-compare")

    page.get_by_role("link", name=f"Start an assessment with {name}").click()
    page.wait_for_url(re.compile(r"/assessments/new\?framework="))
    assert page.get_by_label("Framework", exact=True).input_value() == "builtin:cx-core-competency"
    title = f"Core competency {secrets.token_hex(3)}"
    page.get_by_label("Title").fill(title)
    page.get_by_role("button", name="Create assessment").click()
    page.wait_for_url(re.compile(r"/assessments/\d+$"))
    assert page.get_by_role("heading", name=title, level=1).is_visible()
    assert "cx-core-competency" in page.content()
    assert failures == []


def test_the_framework_page_reads_on_a_phone(live_url: str, site: Site, cast: Cast, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.goto(f"{live_url}/signin")
        page.get_by_label("E-mail").fill(cast.emails["viewer"])
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"{live_url}/orgs/{cast.org_a}/frameworks/builtin/yohn-cx-maturity")
        assert page.get_by_role("heading", name="Organizational Readiness").is_visible()
        # Nothing wider than the screen: the page scrolls down, never sideways.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390
        assert page.get_by_role("link", name=re.compile("Start an assessment")).count() == 0
        screenshot(page, "framework-detail-phone")
    finally:
        context.close()
