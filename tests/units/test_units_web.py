"""Units through real HTTP (pages and API), on SQLite and PostgreSQL: forms, a bad import named by line and column,
the campaign page and its JSON, hidden names, and a leader's page that shows their subtree only."""

from __future__ import annotations

import secrets

import httpx
from sqlalchemy import select

from cxmaturity.services import accounts, campaigns, organizations, units
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import Invitation, MailRecipient, Membership
from tests.support.queue import drain, mail_settings
from tests.support.site import PASSWORD, Cast, Site
from tests.support.smtp import smtp_server
from tests.units.support import campaign, company


def _api(site: Site, user_id: int) -> dict[str, str]:
    with transaction(site.sessions) as db:
        token = accounts.create_api_token(db, user_id, "units test")
    return {"Authorization": f"Bearer {token}"}


def _org(site: Site, cast: Cast) -> int:
    with transaction(site.sessions) as db:
        org = organizations.create(db, Actor(cast.owner), f"Units web {secrets.token_hex(3)}")
        db.flush()
        db.add(Membership(user_id=cast.facilitator, organization_id=org.id, role="facilitator"))
        db.add(Membership(user_id=cast.viewer, organization_id=org.id, role="viewer"))
        return org.id


def test_a_facilitator_builds_the_tree_in_the_browser_forms(site: Site, cast: Cast) -> None:
    org = _org(site, cast)
    client = site.client(cast.facilitator)
    page = f"/orgs/{org}/units"
    assert client.submit(page, page, {"name": "Head office"}).status_code == 303
    text = client.get(page).text
    assert "Head office" in text
    # A file with problems: every problem is named by line and column, and nothing is imported.
    bad = b"key,name,parent\nEU,Europe,\nP1,,EU\nB1,Berlin,NOPE\n"
    refused = client.submit(page, f"{page}/import", files={"file": ("tree.csv", bad, "text/csv")})
    assert refused.status_code == 422
    assert "tree.csv:3 column &#39;name&#39;: a unit needs a name" in refused.text
    assert "Europe" not in client.get(page).text
    good = b"key,name,parent\nEU,Europe,\nP1,Paris,EU\n"
    imported = client.submit(page, f"{page}/import", files={"file": ("tree.csv", good, "text/csv")})
    assert imported.status_code == 200
    assert "2 unit(s) created" in imported.text
    with transaction(site.sessions) as db:
        tree = units.tree_of(db, org)
        europe = next(u for u, n in tree.nodes.items() if n.key == "EU")
        paris = next(u for u, n in tree.nodes.items() if n.key == "P1")
    # Moving Europe under Paris is a cycle: refused beside the form, with the reason.
    moved = client.submit(page, f"/units/{europe}/edit", {"name": "Europe", "parent": str(paris)})
    assert moved.status_code == 422
    assert "cannot move under" in moved.text
    assert "cycle" in moved.text
    # A viewer reads the tree but may not change it.
    viewer = site.client(cast.viewer)
    assert "Paris" in viewer.get(page).text
    assert viewer.submit(page, f"/units/{paris}/delete").status_code == 403


def test_the_campaign_page_api_and_a_leaders_page(site: Site, cast: Cast) -> None:
    org = _org(site, cast)
    actor = Actor(cast.facilitator)
    with transaction(site.sessions) as db:
        c = company(db, actor, org)
        created = campaign(db, actor, c, {c.n1: (4, 0), c.n2: (3, 0), c.s1: (5, 0)})
        leader = accounts.sign_up(db, f"lead-{secrets.token_hex(3)}@example.com", PASSWORD)
        db.flush()
        units.add_leader(db, Actor(cast.owner), c.north, leader.email)
    viewer = site.client(cast.viewer)
    page = viewer.get(f"/assessments/{created.id}/units")
    assert page.status_code == 200
    assert "Store N1" in page.text
    assert "Store S1" in page.text
    as_json = viewer.get(f"/assessments/{created.id}/units?format=json").json()
    labels = [u["label"] for u in as_json["units"]]
    assert labels[1:] == ["North", "Store N1", "Store N2", "South", "Store S1"]
    assert all(u["withheld"] is None for u in as_json["units"])
    # Through the API, the same document.
    headers = _api(site, cast.viewer)
    api = site.client().get(f"/api/v1/assessments/{created.id}/units", headers=headers)
    assert api.status_code == 200
    assert api.json()["units"] == as_json["units"]
    # A leader of North sees North and its stores, nothing of South, and not the assessment.
    lead = site.client(leader.id)
    home = lead.get("/")
    assert f'href="/units/{c.north}"' in home.text
    mine = lead.get(f"/units/{c.north}")
    assert mine.status_code == 200
    assert "Store N1" in mine.text
    assert "Store S1" not in mine.text
    assert lead.get(f"/units/{c.south}").status_code == 404
    assert lead.get(f"/assessments/{created.id}/units").status_code == 404
    # The facilitator hides names; the viewer then sees letters, the facilitator names (and can preview letters).
    facilitator = site.client(cast.facilitator)
    chosen = {"unit": [str(c.n1), str(c.n2), str(c.s1)], "hide_names": "1"}
    campaign_page = f"/assessments/{created.id}/units"
    assert facilitator.submit(campaign_page, campaign_page, chosen).status_code == 303
    hidden = viewer.get(f"/assessments/{created.id}/units?format=json").json()
    assert hidden["names_hidden"] is True
    assert not {"North", "Store N1"} & {u["label"] for u in hidden["units"]}
    assert all(u["unit_id"] is None for u in hidden["units"])
    assert "Store N1" in facilitator.get(f"/assessments/{created.id}/units").text
    assert "Store N1" not in facilitator.get(f"/assessments/{created.id}/units?names=hidden").text


def test_the_api_refuses_a_cycle_and_a_unit_with_data_clearly(site: Site, cast: Cast) -> None:
    org = _org(site, cast)
    headers = _api(site, cast.facilitator)
    client = site.client()
    top = client.post(f"/api/v1/organizations/{org}/units", headers=headers, json={"name": "Top"})
    assert top.status_code == 201
    below = client.post(
        f"/api/v1/organizations/{org}/units", headers=headers, json={"name": "Below", "parent_id": top.json()["id"]}
    )
    assert below.json()["path"] == "Top › Below"
    top_url = f"/api/v1/units/{top.json()['id']}"
    cycle = client.request("PATCH", top_url, headers=headers, json={"parent_id": below.json()["id"]})
    assert cycle.status_code == 422
    assert "cycle" in cycle.json()["detail"]
    kept = client.request("DELETE", f"/api/v1/units/{top.json()['id']}", headers=headers)
    assert kept.status_code == 409
    assert "below it" in kept.json()["detail"]
    # Moving to the top is an explicit null; leaving parent_id out keeps the unit where it is.
    renamed = client.request("PATCH", f"/api/v1/units/{below.json()['id']}", headers=headers, json={"name": "Renamed"})
    assert renamed.json()["parent_id"] == top.json()["id"]
    moved = client.request("PATCH", f"/api/v1/units/{below.json()['id']}", headers=headers, json={"parent_id": None})
    assert moved.json()["parent_id"] is None
    assert client.request("DELETE", f"/api/v1/units/{below.json()['id']}", headers=headers).status_code == 204
    response: httpx.Response = client.post(
        f"/api/v1/organizations/{org}/units/import", headers=headers, json={"csv": "key,name\nA,B\n"}
    )
    assert response.status_code == 422
    assert "units.csv:1: missing column 'parent'" in response.text


def test_the_invitation_form_of_a_campaign_asks_for_the_unit(site: Site, cast: Cast) -> None:
    org = _org(site, cast)
    actor = Actor(cast.facilitator)
    with transaction(site.sessions) as db:
        c = company(db, actor, org)
        created = campaign(db, actor, c, {})
    client = site.client(cast.facilitator)
    page = f"/assessments/{created.id}"
    form = client.get(page).text
    assert 'name="unit"' in form
    assert "North › Store N1" in form
    missing = client.submit(page, f"{page}/invitations", {"delivery": "csv", "count": "2"})
    assert missing.status_code == 422
    assert "choose the campaign unit these invitations are for" in missing.text
    made = client.submit(page, f"{page}/invitations", {"delivery": "csv", "count": "2", "unit": str(c.n1)})
    assert made.status_code == 200
    with transaction(site.sessions) as db:
        found = campaigns.campaign(db, actor, created.id)
        assert found is not None
        assert found.rates[c.n1].invited == 2
        assert found.rates[c.north].invited == 2


def test_the_api_e_mails_a_campaigns_invitations_for_a_unit_in_a_language(site: Site, cast: Cast) -> None:
    """The API's e-mail invitations take the unit (a campaign's invitations each carry one) and the language, as the
    page's form does; a language the framework is not offered in is refused naming the field."""
    org = _org(site, cast)
    actor = Actor(cast.facilitator)
    with transaction(site.sessions) as db:
        c = company(db, actor, org)
        created = campaign(db, actor, c, {})
    url = f"/api/v1/assessments/{created.id}/invitations/email"
    headers = _api(site, cast.facilitator)
    tag = secrets.token_hex(3)
    address = f"store-{tag}@example.com"
    with smtp_server() as (inbox, port), mail_settings(site, port):
        client = site.client(None)
        missing = client.post(url, json={"emails": [address]}, headers=headers)
        assert missing.status_code == 422
        assert "choose the campaign unit" in missing.text
        foreign = client.post(url, json={"emails": [address], "unit_id": c.n1, "language": "ja"}, headers=headers)
        assert foreign.status_code == 422
        assert foreign.json()["field"] == "language"
        queued = client.post(url, json={"emails": [address], "unit_id": c.n1, "language": "de"}, headers=headers)
        assert queued.status_code == 202, queued.text
        assert queued.json() == {"queued": 1, "skipped": []}
        # Sent here, to this test's server: a message left queued would reach the next test that drains the queue.
        drain(site)
        assert [to for to, _ in inbox.messages] == [[address]]
    with site.sessions() as db:
        invitation = db.scalars(
            select(Invitation)
            .join(MailRecipient, MailRecipient.invitation_id == Invitation.id)
            .where(MailRecipient.address == address)
        ).one()
        assert (invitation.unit_id, invitation.language) == (c.n1, "de")
