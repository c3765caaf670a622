"""Someone answers a public quick evaluation on a phone, by touch, and reads a stage per competency."""

from __future__ import annotations

from typing import Any

import pytest

from cxmaturity.frameworks import load_builtin
from cxmaturity.frameworks.quick import quick_form
from tests.e2e.conftest import screenshot
from tests.web.conftest import Site

pytestmark = pytest.mark.browser


def test_it_answers_a_quick_evaluation_on_a_phone(live_url: str, site: Site, browser: Any) -> None:
    form = quick_form(load_builtin("xm-six-competencies")).framework
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    try:
        page = context.new_page()
        failures: list[str] = []
        page.on("pageerror", lambda error: failures.append(str(error)))
        page.goto(f"{live_url}/quick")
        page.get_by_role("link", name=form.text(form.name)).click()
        assert page.locator("fieldset.question").count() == len(form.competencies)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        for n in range(1, len(form.indicators) + 1):
            # The third description of each rubric (the stage Mobilize), chosen by tapping its label.
            page.locator(f"label[for=q{n}-o3]").tap()
        screenshot(page, "quick-form-phone")
        page.get_by_role("button", name="See my result").tap()
        page.wait_for_selector("#stages-heading")
        assert page.get_by_text("A first look, with wide uncertainty.").is_visible()
        rows = page.locator(".results-table tbody tr")
        assert rows.count() == len(form.competencies)
        assert all("Mobilize" in text for text in rows.all_inner_texts())
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        screenshot(page, "quick-result-phone")
        assert failures == []
    finally:
        context.close()
