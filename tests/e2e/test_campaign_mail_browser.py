"""A campaign over three units with invitations and a reminder, in a real browser against a real SMTP server
(aiosmtpd, which counts each message): the facilitator builds the unit tree, chooses the campaign's units, invites
people per unit by e-mail and sets a schedule; the queue sends; some respondents answer through the links in the
e-mails they received; the reminder goes only to those who have not finished; the outbox page tells the truth and the
SMTP server received exactly what it says, each message once."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from cxmaturity.frameworks import load_builtin
from cxmaturity.services import assessments, outbox, schedule
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import Invitation, MailRecipient, OutboxMessage, Unit
from tests.e2e.conftest import screenshot
from tests.support.queue import drain, mail_settings
from tests.support.smtp import LINK, smtp_server
from tests.web.conftest import PASSWORD, Cast, Site

pytestmark = pytest.mark.browser

FW = load_builtin("four-competencies")


def _sign_in(page: Any, live_url: str, email: str) -> None:
    page.goto(f"{live_url}/signin")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_url}/")


def _add_unit(page: Any, live_url: str, org: int, name: str, parent: str = "") -> None:
    page.goto(f"{live_url}/orgs/{org}/units")
    page.locator("#unit-name").fill(name)
    if parent:
        page.locator("#unit-parent").select_option(label=parent)
    page.get_by_role("button", name="Add unit").click()
    page.wait_for_url(f"{live_url}/orgs/{org}/units")


def _unit_ids(site: Site, org: int, names: list[str]) -> list[int]:
    with site.sessions() as db:
        found = {
            u.name: u.id for u in db.scalars(select(Unit).where(Unit.organization_id == org, Unit.name.in_(names)))
        }
    return [found[name] for name in names]


def _answer(browser: Any, live_url: str, link: str) -> None:
    """Open the link received by e-mail (rewritten to the test server) and answer every page to the end."""
    token = link.rsplit("/", 1)[1]
    url = f"{live_url}/r/{token}"
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(url)
    page.get_by_role("link", name="Start").click()
    for n in range(1, len(FW.competencies) + 1):
        page.wait_for_url(f"{url}/p/{n}")
        page.click("label[for=q1-o2]")
        page.get_by_role("button", name="Finish" if n == len(FW.competencies) else "Next").click()
    page.wait_for_url(f"{url}/done")
    assert page.get_by_role("heading", name="Thank you!").is_visible()
    context.close()


def _at(site: Site, moment: datetime) -> list[int]:
    """Run the schedules as the worker would at ``moment`` (ahead of the real clock); what it queues is due now."""
    queued = schedule.follow_up(site.sessions, moment)
    with transaction(site.sessions) as db:
        db.execute(update(OutboxMessage).where(OutboxMessage.id.in_(queued)).values(due_at=datetime.now(UTC)))
    return queued


def test_a_campaign_over_three_units_invites_and_reminds_only_those_not_finished(
    site: Site, cast: Cast, live_url: str, browser: Any, page: Any
) -> None:
    tag = secrets.token_hex(3)
    org = cast.org_a
    with transaction(site.sessions) as db:
        created = assessments.create(
            db, Actor(cast.facilitator), org, f"Store rollout {tag}", "builtin:four-competencies"
        )
        assessments.set_status(db, Actor(cast.facilitator), created.id, "open")
        assessment_id = created.id
    stores = [f"Store {letter} {tag}" for letter in "ABC"]
    # Per store: who is invited, and who of them answers before the reminder.
    people = {store: [f"{store[6].lower()}{n}-{tag}@example.com" for n in (1, 2)] for store in stores}
    answering = {people[stores[0]][0], people[stores[1]][0], people[stores[1]][1]}
    everyone = [address for addresses in people.values() for address in addresses]
    not_finished = [a for a in everyone if a not in answering]

    with smtp_server() as (inbox, port), mail_settings(site, port):
        _sign_in(page, live_url, cast.emails["facilitator"])
        # The unit tree: Company > Store A, B, C.
        company = f"Company {tag}"
        _add_unit(page, live_url, org, company)
        for store in stores:
            _add_unit(page, live_url, org, store, parent=company)
        unit_ids = _unit_ids(site, org, stores)
        # The campaign over the three stores.
        page.goto(f"{live_url}/assessments/{assessment_id}/units")
        for unit_id in unit_ids:
            page.check(f"#unit-{unit_id}")
        page.get_by_role("button", name="Save units").click()
        page.wait_for_url(f"{live_url}/assessments/{assessment_id}/units")
        for unit_id in unit_ids:
            assert page.is_checked(f"#unit-{unit_id}")
        # Invitations by e-mail, per unit.
        for store, unit_id in zip(stores, unit_ids, strict=True):
            page.goto(f"{live_url}/assessments/{assessment_id}#invitations")
            page.locator("#inv-unit").select_option(str(unit_id))
            page.check("#delivery-email")
            page.locator("#inv-emails").fill("\n".join(people[store]))
            page.get_by_role("button", name="Create links").click()
            page.wait_for_url(f"{live_url}/assessments/{assessment_id}?queued=2#invitations")
            assert page.get_by_text("Queued 2 invitations by e-mail").is_visible()
        # The schedule: closes in 10 days, one reminder 7 days before, no closing notice.
        closes = (datetime.now(UTC) + timedelta(days=10)).replace(second=0, microsecond=0)
        page.goto(f"{live_url}/assessments/{assessment_id}/mail")
        page.locator("#closes-at").fill(closes.strftime("%Y-%m-%dT%H:%M"))
        page.locator("#reminder-days").fill("7")
        page.locator("#max-reminders").fill("1")
        page.uncheck("#closing-notice")
        page.get_by_role("button", name="Save the schedule").click()
        page.wait_for_url(f"{live_url}/assessments/{assessment_id}/mail**")
        with site.sessions() as db:
            plan = schedule.get(db, Actor(cast.facilitator), assessment_id)
        assert (plan.closes_at, plan.reminder_days, plan.max_reminders, plan.closing_notice) == (closes, [7], 1, False)

        # The queue sends the six invitations, each once.
        drain(site)
        drain(site)
        assert sorted(to[0] for to, _ in inbox.messages) == sorted(everyone)
        page.reload()
        assert page.locator("#outbox").get_by_text("sent: 6").is_visible()

        # Some respondents answer through the link in the e-mail they received.
        links = {}
        for address in everyone:
            (message,) = inbox.to(address)
            (links[address],) = LINK.findall(message.get_content())
        assert len(set(links.values())) == len(everyone)
        for address in sorted(answering):
            _answer(browser, live_url, links[address])

        # Nothing is due now; 7 days before the close the reminder goes to those who have not finished, once.
        assert _at(site, datetime.now(UTC)) == []
        week_before = closes - timedelta(days=7) + timedelta(minutes=1)
        assert len(_at(site, week_before)) == len(not_finished)
        assert _at(site, week_before) == [], "a round is queued once"
        drain(site)
        assert _at(site, closes - timedelta(days=1)) == [], "at most one reminder per person"
        drain(site)

        # The outbox page shows what became of every message.
        page.reload()
        screenshot(page, "campaign-outbox")
        assert page.locator("#outbox").get_by_text("sent: 9").is_visible()
        rows = page.locator("#outbox tbody tr")
        shown = [[cell.strip() for cell in rows.nth(i).locator("td").all_inner_texts()] for i in range(rows.count())]

    assert sorted((row[0], row[1], row[2], row[3]) for row in shown) == sorted(
        [(a, "invitation", "sent", "1") for a in everyone]
        + [(a, "reminder (7 days before close)", "sent", "1") for a in not_finished]
    )
    # The SMTP server's count equals the outbox's: each invitation and reminder exactly once.
    with site.sessions() as db:
        box = outbox.outbox(db, Actor(cast.facilitator), assessment_id)
        finished = set(
            db.scalars(
                select(MailRecipient.address)
                .join(Invitation, Invitation.id == MailRecipient.invitation_id)
                .where(MailRecipient.assessment_id == assessment_id, Invitation.completed_at.is_not(None))
            )
        )
        per_unit = {
            unit_id: len(
                list(
                    db.scalars(
                        select(Invitation.id).where(
                            Invitation.assessment_id == assessment_id, Invitation.unit_id == unit_id
                        )
                    )
                )
            )
            for unit_id in unit_ids
        }
    assert finished == answering
    assert per_unit == dict.fromkeys(unit_ids, 2)
    assert box.counts["sent"] == len(inbox.messages) == len(everyone) + len(not_finished)
    assert sum(box.counts.values()) == box.counts["sent"]
    for address in everyone:
        kinds = [str(m["Subject"]).split(":")[0] for m in inbox.to(address)]
        assert kinds == (["Your view, please"] if address in answering else ["Your view, please", "Reminder"]), address
        if address not in answering:
            # The reminder carries the same personal link as the invitation.
            assert LINK.findall(inbox.to(address)[1].get_content()) == [links[address]]
