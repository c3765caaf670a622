"""Units in a real browser: a unit leader signs in, finds the unit they lead on the home page, and sees the
campaign's results for that unit and the stores below it, never the sibling region, its stores or the assessment."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from cxmaturity.services import accounts, organizations, units
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import Membership
from tests.e2e.conftest import screenshot
from tests.units.support import campaign, company
from tests.web.conftest import PASSWORD, Cast, Site

pytestmark = pytest.mark.browser


def test_a_unit_leader_sees_only_their_subtree(site: Site, cast: Cast, live_url: str, page: Any) -> None:
    actor = Actor(cast.facilitator)
    email = f"north-lead-{secrets.token_hex(3)}@example.com"
    with transaction(site.sessions) as db:
        org = organizations.create(db, Actor(cast.owner), f"Browser units {secrets.token_hex(3)}")
        db.flush()
        db.add(Membership(user_id=cast.facilitator, organization_id=org.id, role="facilitator"))
        db.flush()
        c = company(db, actor, org.id)
        created = campaign(db, actor, c, {c.n1: (4, 0), c.n2: (3, 0), c.s1: (5, 0)}, title="Store campaign")
        leader = accounts.sign_up(db, email, PASSWORD, "North lead")
        db.flush()
        units.add_leader(db, Actor(cast.owner), c.north, email)
    page.goto(f"{live_url}/signin")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_url}/")
    # Home: no organization, one unit led.
    assert page.locator("#led-units a").all_inner_texts() == ["North"]
    page.locator("#led-units a").click()
    page.wait_for_url(f"{live_url}/units/{c.north}")
    rows = page.locator(f"#rollup-{created.id} tbody tr")
    assert [r.strip() for r in rows.locator("th").all_inner_texts()] == ["North", "Store N1", "Store N2"]
    body = page.locator("main").inner_text()
    assert "Store campaign" in body
    assert "South" not in body
    assert "Store S1" not in body
    screenshot(page, "unit-leader-subtree")
    # The sibling region, the company and the assessment itself answer "not found", as ids that do not exist do.
    for path in (f"/units/{c.south}", f"/units/{c.top}", f"/assessments/{created.id}/units", f"/orgs/{org.id}"):
        response = page.goto(f"{live_url}{path}")
        assert response is not None
        assert response.status == 404, path
    assert leader.id > 0
