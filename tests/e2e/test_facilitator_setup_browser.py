"""A facilitator sets up an assessment in a real browser: sign in, create it, add groups, open it, create links."""

from __future__ import annotations

import re
import secrets
from typing import Any

import pytest
from playwright.sync_api import expect

from cxmaturity.services import assessments
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import transaction
from tests.e2e.conftest import screenshot
from tests.web.conftest import PASSWORD, Cast, Site

pytestmark = pytest.mark.browser


def test_it_sets_up_an_assessment_from_sign_in_to_links(live_url: str, site: Site, cast: Cast, page: Any) -> None:
    page.clock.install()  # the response rate script's timer runs when the test says so
    failures: list[str] = []
    page.on("pageerror", lambda error: failures.append(str(error)))
    page.on(
        "response",
        lambda r: (
            failures.append(f"{r.status} {r.url}") if r.status >= 400 and not r.url.endswith("/favicon.ico") else None
        ),
    )

    page.goto(f"{live_url}/signin")
    page.get_by_label("E-mail").fill(cast.emails["facilitator"])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Organization A").click()
    page.get_by_role("link", name="New assessment").click()
    assert page.get_by_role("heading", name="New assessment", level=1).is_visible()

    title = f"Service teams {secrets.token_hex(3)}"
    page.get_by_label("Title").fill(title)
    page.get_by_label("Framework", exact=True).select_option("builtin:four-competencies")
    page.get_by_label("Minimum group size").fill("4")
    page.get_by_label("Respondent groups").fill("Front line\nManagers")
    screenshot(page, "facilitator-new-assessment")
    page.get_by_role("button", name="Create assessment").click()

    page.wait_for_url(re.compile(r"/assessments/\d+$"))
    assert page.get_by_role("heading", name=title, level=1).is_visible()
    assert page.locator(".status").text_content() == "draft"

    page.get_by_label("Add groups").fill("Back office")
    page.get_by_role("button", name="Add groups").click()
    page.wait_for_url(re.compile(r"/assessments/\d+#groups$"))
    assert page.locator(".group-list li").all_inner_texts() == ["Back office", "Front line", "Managers"]

    page.get_by_role("button", name="Open the assessment").click()
    page.wait_for_url(re.compile(r"/assessments/\d+#status$"))
    assert page.locator(".status").text_content() == "open"
    screenshot(page, "facilitator-overview")

    page.get_by_label("Group", exact=True).select_option(label="Front line")
    page.get_by_label("Show them on a page, once").check()
    page.get_by_label("Number of links").fill("3")
    page.get_by_role("button", name="Create links").click()
    assert page.get_by_role("heading", name="3 invitation links").is_visible()
    assert page.get_by_text("These links are shown only once.").is_visible()
    links = page.locator("ol.links li code").all_inner_texts()
    assert len(links) == 3
    assert all(link.startswith("https://testserver/r/") for link in links)
    screenshot(page, "facilitator-links")

    page.get_by_role("link", name="Back to the assessment").click()
    rates = page.locator("#rates tbody tr", has_text="Front line")
    assert rates.locator("td").all_inner_texts() == ["3", "0", "0", "0%"]

    # Someone else invites two managers: the table catches up within 10 seconds, without a reload.
    assessment_id = int(page.url.rsplit("/", 1)[1])
    with transaction(site.sessions) as db:
        managers = next(g.id for g in assessments.groups(db, assessment_id) if g.name == "Managers")
        assessments.create_invitations(db, Actor(cast.facilitator), assessment_id, managers, 2)
    managers_row = page.locator("#rates tbody tr", has_text="Managers").locator("td").first
    assert managers_row.inner_text() == "0"
    page.clock.run_for(10_000)
    expect(managers_row).to_have_text("2")
    expect(page.locator("#rates tfoot td").first).to_have_text("5")
    page.set_viewport_size({"width": 375, "height": 800})
    screenshot(page, "facilitator-overview-phone")
    assert failures == []
