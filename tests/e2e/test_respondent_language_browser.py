"""A respondent answers in German on a phone (390x844) in a real browser: the browser's language opens the pages in
German, the language picker switches, and the answers score with an English respondent's."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from sqlalchemy import select

from cxmaturity.frameworks import load_builtin
from cxmaturity.services import assessments, results
from cxmaturity.services.access import Actor
from cxmaturity.services.tokens import digest
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import Assessment, Invitation
from tests.e2e.conftest import screenshot
from tests.web.conftest import Cast, Site

pytestmark = pytest.mark.browser

FW = load_builtin("four-competencies")
PHONE = {"width": 390, "height": 844}


def _assessment(site: Site, cast: Cast) -> tuple[int, list[str]]:
    actor = Actor(cast.facilitator)
    with transaction(site.sessions) as db:
        assessment = assessments.create(
            db, actor, cast.org_a, f"Sprachen {secrets.token_hex(3)}", "builtin:four-competencies", min_group_size=1
        )
        assessments.set_status(db, actor, assessment.id, "open")
        return assessment.id, assessments.create_invitations(db, actor, assessment.id, None, 2)


def _fits(page: Any, what: str) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"], what


def _answer_every_page(page: Any, next_label: str, finish_label: str) -> None:
    """Answer each question with its second option, tapping the labels as a thumb would."""
    for n, competency in enumerate(FW.competencies, start=1):
        for q in range(1, len(competency.indicators) + 1):
            page.click(f"label[for=q{q}-o2]")
        _fits(page, f"page {n}")
        last = n == len(FW.competencies)
        page.get_by_role("button", name=finish_label if last else next_label).click()


def test_a_respondent_answers_in_german_on_a_phone(browser: Any, live_url: str, site: Site, cast: Cast) -> None:
    assessment_id, (german, english) = _assessment(site, cast)
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="de-DE")
    page = context.new_page()
    page.goto(f"{live_url}/r/{german}")
    assert page.get_attribute("html", "lang") == "de"
    page.get_by_role("heading", name="Ihre Antworten sind anonym").wait_for()
    _fits(page, "welcome")
    screenshot(page, "respondent-german-welcome-phone")
    page.get_by_role("link", name="Beginnen").click()
    first = FW.competencies[0]
    page.get_by_role("heading", name=FW.text(first.name, "de"), exact=True).wait_for()
    question = page.get_by_role("group", name=f"1. {FW.text(first.indicators[0].text, 'de')}")
    question.get_by_label("Weiß nicht").wait_for()
    assert page.get_by_text("Seite 1 von 4").is_visible()
    screenshot(page, "respondent-german-question-phone")
    _answer_every_page(page, "Weiter", "Abschließen")
    page.get_by_role("heading", name="Vielen Dank!").wait_for()
    _fits(page, "thank-you page")
    context.close()
    with site.sessions() as db:
        assert db.scalar(select(Invitation.language).where(Invitation.token_hash == digest(german))) == "de"

    # A second respondent opens the pages in English, switches to Español with the picker, then back to English.
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="en-GB")
    page = context.new_page()
    page.goto(f"{live_url}/r/{english}")
    page.get_by_role("link", name="Español").click()
    page.get_by_role("link", name="Empezar").wait_for()
    page.get_by_role("link", name="English").click()
    page.get_by_role("link", name="Start").click()
    _answer_every_page(page, "Next", "Finish")
    page.get_by_role("heading", name="Thank you!").wait_for()
    context.close()

    with site.sessions() as db:
        assessment = db.get(Assessment, assessment_id)
        assert assessment is not None
        result = results.results_of(db, assessment).result
    # Both answered the second option everywhere: in any language, the answers score as one team's.
    assert result.respondents == 2
    assert all(c.respondents == 2 for c in result.competencies)
    assert all(c.agreement.rwg == 1.0 for c in result.competencies if c.agreement.rwg is not None)
