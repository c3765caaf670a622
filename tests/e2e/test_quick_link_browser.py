"""A published quick link on a phone: two people answer it by touch, without an account, and each sees their own
stage per competency; the facilitator, on a phone too, sees their answers pooled once the minimum group size is
reached, and the pooled results with their uncertainty."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from cxmaturity.frameworks import load_builtin
from cxmaturity.frameworks.quick import quick_form
from cxmaturity.services import assessments, quick_links
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import transaction
from tests.e2e.conftest import screenshot
from tests.e2e.test_results_browser import _watch
from tests.web.conftest import PASSWORD, Cast, Site

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}


def test_people_answer_a_public_quick_link_on_a_phone_and_the_facilitator_sees_it_pooled(
    live_url: str, site: Site, cast: Cast, browser: Any
) -> None:
    form = quick_form(load_builtin("xm-six-competencies")).framework
    with transaction(site.sessions) as db:
        actor = Actor(cast.facilitator)
        created = assessments.create(
            db,
            actor,
            cast.org_a,
            f"Phone quick look {secrets.token_hex(3)}",
            "quick:xm-six-competencies",
            min_group_size=2,
        )
        db.flush()
        link = quick_links.publish(db, actor, created.id).link
        assert link is not None
        assessment_id, token = created.id, link.token
    for person, option in ((1, 3), (2, 2)):
        context = browser.new_context(**PHONE)
        try:
            page = context.new_page()
            problems = _watch(page)
            page.goto(f"{live_url}/q/{token}")
            assert page.get_by_text("asks you for a quick evaluation").is_visible()
            assert page.locator("fieldset.question").count() == len(form.competencies)
            assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
            for n in range(1, len(form.indicators) + 1):
                page.locator(f"label[for=q{n}-o{option}]").tap()
            if person == 1:
                screenshot(page, "quick-link-form-phone")
            page.get_by_role("button", name="See my result").tap()
            page.wait_for_selector("#stages-heading")
            assert page.get_by_text("A first look, with wide uncertainty.").is_visible()
            assert page.get_by_text("Your answers were stored for").is_visible()
            rows = page.locator(".results-table tbody tr")
            assert rows.count() == len(form.competencies)
            expected = "Mobilize" if option == 3 else "Initiate"
            assert all(expected in text for text in rows.all_inner_texts())
            assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
            if person == 1:
                screenshot(page, "quick-link-result-phone")
            assert problems == []
        finally:
            context.close()
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        page.goto(f"{live_url}/signin")
        page.get_by_label("E-mail").fill(cast.emails["facilitator"])
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").tap()
        page.wait_for_url(f"{live_url}/")
        page.goto(f"{live_url}/assessments/{assessment_id}")
        count = page.locator("#quick-link-count")
        assert "2 answers through the public link" in " ".join(count.inner_text().split())
        assert "pooled in the results" in count.inner_text()
        assert token in page.locator("#quick-link-url").input_value()
        screenshot(page, "quick-link-facilitator-phone")
        count.get_by_role("link", name="results").tap()
        page.wait_for_url(f"**/assessments/{assessment_id}/results")
        assert page.get_by_text("2 respondents").first.is_visible()
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        screenshot(page, "quick-link-pooled-phone")
    finally:
        context.close()
