"""A respondent in a real browser: answer with keyboard and mouse, close the browser, resume, finish; phone width."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from cxmaturity.frameworks import load_builtin
from cxmaturity.services import assessments
from cxmaturity.services.access import Actor
from cxmaturity.services.tokens import digest
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import Answer, Invitation
from tests.e2e.conftest import screenshot
from tests.web.conftest import Cast, Site

pytestmark = pytest.mark.browser

FW = load_builtin("xm-six-competencies")


def _invite(site: Site, cast: Cast, count: int = 1) -> list[str]:
    with transaction(site.sessions) as db:
        group = cast.groups["Operations"]
        return assessments.create_invitations(db, Actor(cast.facilitator), cast.assessment, group, count)


def _saved(site: Site, token: str) -> dict[str, tuple[str, int | None, str | None]]:
    with site.sessions() as db:
        rows = db.execute(
            select(Answer.indicator_key, Answer.option_key, Answer.importance, Answer.comment)
            .join(Invitation, Invitation.id == Answer.invitation_id)
            .where(Invitation.token_hash == digest(token))
        ).all()
    return {key: (option, importance, comment) for key, option, importance, comment in rows}


def _watch_csp(page: Any) -> list[str]:
    """Collect Content-Security-Policy violations and failed loads of the site's own files (but the favicon)."""
    problems: list[str] = []

    def console(message: Any) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            problems.append(message.text)

    def response(reply: Any) -> None:
        if reply.status >= 400 and "/static/" in reply.url:
            problems.append(f"{reply.status} {reply.url}")

    page.on("console", console)
    page.on("response", response)
    return problems


def test_it_lets_a_respondent_close_the_browser_and_resume(browser: Any, live_url: str, site: Site, cast: Cast) -> None:
    (token,) = _invite(site, cast)
    link = f"{live_url}/r/{token}"
    first = FW.competencies[0]
    q1, q2 = first.indicators[0], first.indicators[1]

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = _watch_csp(page)
    page.goto(link)
    assert page.get_by_role("heading", name="Leadership team 2026").is_visible()
    assert page.get_by_text("Your answers are anonymous").is_visible()
    screenshot(page, "respondent-welcome")
    page.get_by_role("link", name="Start").click()
    page.wait_for_url(f"{link}/p/1")
    assert page.get_by_text("Page 1 of 6").is_visible()

    # Question 1 with the keyboard: select the first option, move down to the second with an arrow key,
    # tab to the importance list and the comment box.
    page.focus("#q1-o1")
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")
    assert page.is_checked("#q1-o2")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "q1-importance"
    page.select_option("#q1-importance", "5")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "q1-comment"
    page.keyboard.type("Typed with the keyboard")
    # Question 2 with the mouse, on its label; the question is answered "don't know".
    page.get_by_role("group", name=f"2. {FW.text(q2.text)}").get_by_label("Don't know").click()
    assert page.is_checked("#q2-dk")
    screenshot(page, "respondent-question")
    # Enter on a radio button submits the form with its first button: Next.
    page.focus("#q2-dk")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{link}/p/2")
    assert page.get_by_text("Page 2 of 6").is_visible()
    page.click("label[for=q1-o3]")  # not saved: the browser closes before Next
    context.close()

    saved = _saved(site, token)
    assert saved[q1.key] == (FW.answer_keys(q1)[1], 5, "Typed with the keyboard")
    assert saved[q2.key] == ("dk", None, None)
    assert not any(key in saved for key in (i.key for i in FW.competencies[1].indicators))

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors += _watch_csp(page)
    page.goto(link)
    page.get_by_role("link", name="Continue where you left off").click()
    page.wait_for_url(f"{link}/p/2")
    assert not page.is_checked("#q1-o3")
    # Page 1's answers are still there when going back.
    page.get_by_role("button", name="Back").click()
    page.wait_for_url(f"{link}/p/1")
    assert page.is_checked("#q1-o2")
    assert page.input_value("#q1-importance") == "5"
    assert page.input_value("#q1-comment") == "Typed with the keyboard"
    page.get_by_role("button", name="Next").click()
    for n in range(2, len(FW.competencies) + 1):
        page.wait_for_url(f"{link}/p/{n}")
        page.click("label[for=q1-o2]")
        page.get_by_role("button", name="Finish" if n == len(FW.competencies) else "Next").click()
    page.wait_for_url(f"{link}/done")
    assert page.get_by_role("heading", name="Thank you!").is_visible()
    screenshot(page, "respondent-done")
    page.goto(link)
    assert page.get_by_text("You have already submitted your answers").is_visible()
    context.close()

    assert len(_saved(site, token)) == 2 + len(FW.competencies) - 1
    assert errors == []


def test_it_fits_a_phone_screen(browser: Any, live_url: str, site: Site, cast: Cast) -> None:
    (token,) = _invite(site, cast)
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    page = context.new_page()
    errors = _watch_csp(page)
    for path in ("", "/p/1", "/p/6"):
        page.goto(f"{live_url}/r/{token}{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, path
    page.goto(f"{live_url}/r/{token}/p/1")
    page.get_by_label("How important is this for us?").first.select_option("3")
    page.locator("label[for=q1-o1]").tap()
    assert page.is_checked("#q1-o1")
    screenshot(page, "respondent-phone")
    context.close()
    assert errors == []
