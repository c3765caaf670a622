"""Invitation e-mails in the language the facilitator picks among the framework's, queued and sent by the queue's
worker through a real SMTP server."""

from __future__ import annotations

import re
import secrets

from cxmaturity.services import assessments
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import transaction
from tests.support.queue import drain, mail_settings
from tests.support.smtp import smtp_server
from tests.web.conftest import Cast, Site


def _assessment(site: Site, cast: Cast) -> int:
    actor = Actor(cast.facilitator)
    with transaction(site.sessions) as db:
        assessment = assessments.create(
            db, actor, cast.org_a, f"Mail {secrets.token_hex(3)}", "builtin:four-competencies", min_group_size=3
        )
        assessments.set_status(db, actor, assessment.id, "open")
        return assessment.id


def test_it_sends_the_invitation_in_german_with_a_link_that_opens_the_pages_in_german(site: Site, cast: Cast) -> None:
    assessment_id = _assessment(site, cast)
    client = site.client(cast.facilitator)
    page = f"/assessments/{assessment_id}"
    form = client.get(page).text
    # The facilitator picks among the framework's languages, each named in its own words.
    assert '<option value="de" lang="de">Deutsch</option>' in form
    with smtp_server() as (inbox, port), mail_settings(site, port):
        response = client.submit(
            page,
            f"{page}/invitations",
            {"group": "", "delivery": "email", "emails": "ana@example.com", "language": "de"},
        )
        assert response.status_code == 303
        drain(site)
    ((_, message),) = inbox.messages
    assert message["Subject"].startswith("Ihre Einschätzung, bitte: Mail ")
    assert message["Content-Language"] == "de"
    body = message.get_content()
    assert body.startswith("Guten Tag,")
    assert "von Organization A lädt Sie ein, die Bewertung „Mail " in body
    assert "Ihre Antworten sind anonym" in body
    assert "Der Link ist persönlich: Bitte leiten Sie ihn nicht weiter." in body
    (link,) = re.findall(r"https://testserver(/r/[A-Za-z0-9_-]+\?lang=de)", body)
    welcome = site.client().get(link, headers={"accept-language": "en"}).text
    assert '<html lang="de">' in welcome
    assert "Ihre Antworten sind anonym" in welcome


def test_a_language_the_framework_does_not_offer_falls_back_to_its_own(site: Site, cast: Cast) -> None:
    assessment_id = _assessment(site, cast)
    client = site.client(cast.facilitator)
    page = f"/assessments/{assessment_id}"
    with smtp_server() as (inbox, port), mail_settings(site, port):
        response = client.submit(
            page,
            f"{page}/invitations",
            {"group": "", "delivery": "email", "emails": "bo@example.com", "language": "xx"},
        )
        assert response.status_code == 303
        drain(site)
    ((_, message),) = inbox.messages
    assert message["Content-Language"] == "en"
    assert message["Subject"].startswith("Your view, please: Mail ")
