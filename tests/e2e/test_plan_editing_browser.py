"""Editing a plan in a real browser: the start lists offer only periods an order allows (with why), a move that a
prerequisite rules out is refused with that prerequisite named, nothing of it is saved, and owners typed earlier
survive the refusal and unticking a lock."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.conftest import screenshot
from tests.e2e.test_plan_browser import _sign_in
from tests.e2e.test_results_browser import _watch
from tests.web.conftest import Cast, Site
from tests.web.test_results_page import fill

pytestmark = pytest.mark.browser


def _row(page: Any, title: str) -> Any:
    return page.locator("li.initiative", has=page.locator("strong", has_text=re.compile(rf"^{re.escape(title)}$")))


def _options(row: Any) -> list[int]:
    return [
        int(v)
        for v in row.get_by_label("Starts in period").locator("option").evaluate_all("os => os.map(o => o.value)")
    ]


def test_it_refuses_an_impossible_move_naming_the_dependency_and_keeps_owners(
    browser: Any, live_url: str, site: Site, cast: Cast
) -> None:
    filled = fill(site, cast, {"Leadership": (3, 0.35)})
    url = f"{live_url}/assessments/{filled.id}/plan"
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems = _watch(page)
    _sign_in(page, live_url, cast.emails["facilitator"])
    page.goto(url)
    page.get_by_role("button", name="Make plan", exact=True).click()
    page.wait_for_url(re.compile(r".*/plan\?done=planned#plan$"))

    # An initiative that waits for a prerequisite offers no start before it can finish, and says why.
    rows = page.locator("li.initiative", has=page.locator(".hint", has_text="it requires"))
    assert rows.count() >= 1, "the plan has no initiative that waits for a prerequisite"
    waiting = rows.first
    title = waiting.locator(".initiative-title strong").inner_text()
    hint = waiting.locator(".hint").inner_text()
    earliest = int(re.search(r"Not before period (\d+)", hint).group(1))  # type: ignore[union-attr]
    needed = re.search(r"it requires “([^”]+)”", hint).group(1)  # type: ignore[union-attr]
    assert earliest > 1
    assert min(_options(waiting)) == earliest
    assert re.search(r"\b[a-z]+-[a-z]+-\d[a-z]\b", waiting.locator(".initiative-reason").inner_text()) is None

    # Owners for two initiatives, one of them locked; saved.
    others = [
        r for r in page.locator("li.initiative").all() if r.locator(".initiative-title strong").inner_text() != title
    ]
    first, second = others[0], others[1]
    first_title = first.locator(".initiative-title strong").inner_text()
    second_title = second.locator(".initiative-title strong").inner_text()
    first.get_by_label("Owner").fill("Ana Lima")
    second.get_by_label("Owner").fill("Bo Chen")
    first.get_by_label("Locked").check()
    page.get_by_role("button", name="Save changes and plan again").click()
    page.wait_for_url(re.compile(r".*/plan\?done=adjusted#initiatives$"))
    versions = page.locator("#versions-table tbody tr").count()

    # A page that still offers an earlier period (say, opened before a change elsewhere) sends the impossible move:
    # it is refused beside the table with the prerequisite named, and nothing is saved.
    waiting = _row(page, title)
    select = waiting.get_by_label("Starts in period")
    select.evaluate("(s, p) => s.add(new Option(String(p), String(p)), 0)", earliest - 1)
    select.select_option(str(earliest - 1))
    page.get_by_role("button", name="Save changes and plan again").click()
    page.wait_for_load_state()
    error = page.locator("#initiatives .error, #initiatives [role=alert]").first.inner_text()
    assert f"“{title}” cannot start in period {earliest - 1}" in error
    assert f"it requires “{needed}”" in error
    assert f"Choose period {earliest} or later" in error
    page.goto(url)
    assert page.locator("#versions-table tbody tr").count() == versions
    assert _row(page, first_title).get_by_label("Owner").input_value() == "Ana Lima"
    assert _row(page, second_title).get_by_label("Owner").input_value() == "Bo Chen"
    screenshot(page, "plan-move-refused")

    # Unticking the lock keeps both owners.
    _row(page, first_title).get_by_label("Locked").uncheck()
    page.get_by_role("button", name="Save changes and plan again").click()
    page.wait_for_url(re.compile(r".*/plan\?done=adjusted#initiatives$"))
    assert not _row(page, first_title).get_by_label("Locked").is_checked()
    for name, owner in ((first_title, "Ana Lima"), (second_title, "Bo Chen")):
        row = _row(page, name)
        if row.count():
            assert row.get_by_label("Owner").input_value() == owner
    assert "unlocked" in page.locator("#versions-table tbody tr").first.inner_text()
    context.close()
    # The refusal itself answers 422 (and the browser logs it); nothing else may fail.
    assert [p for p in problems if "422" not in p] == [], problems
    assert len(problems) <= 2, problems
