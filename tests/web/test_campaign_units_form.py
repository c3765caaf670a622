"""The campaign's units chosen through its page, on SQLite and PostgreSQL: the form sends one checkbox and one goal
per unit of the organization, and an organization of more than ten units (the demo's has thirteen) got FastAPI's
JSON "List should have at most 10 items" instead of its campaign."""

from __future__ import annotations

import re
import secrets

from cxmaturity.services import assessments, campaigns, organizations, units
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import Membership
from tests.support.site import Cast, Site


def test_a_facilitator_chooses_the_units_of_a_campaign_among_thirteen(site: Site, cast: Cast) -> None:
    actor = Actor(cast.facilitator)
    with transaction(site.sessions) as db:
        org = organizations.create(db, Actor(cast.owner), f"Thirteen units {secrets.token_hex(3)}")
        db.flush()
        db.add(Membership(user_id=cast.facilitator, organization_id=org.id, role="facilitator"))
        top = units.create(db, actor, org.id, "Company")
        db.flush()
        stores = []
        for n in range(12):
            stores.append(units.create(db, actor, org.id, f"Store {n + 1:02d}", top.id))
            db.flush()
        assessment = assessments.create(db, actor, org.id, "Store survey", "builtin:four-competencies")
        db.flush()
        chosen, store_ids = stores[10].id, [s.id for s in stores]
        assessment_id = assessment.id
    client = site.client(cast.facilitator)
    page = f"/assessments/{assessment_id}/units"
    form = client.get(page).text
    goal_units = re.findall(r'name="goal_unit" value="(\d+)"', form)
    assert len(goal_units) == 13
    goals = ["70" if int(u) == chosen else "" for u in goal_units]
    sent = client.post(
        page,
        data={
            "csrf_token": client.csrf(page),
            "unit": [str(chosen), str(store_ids[11])],
            "goal_unit": goal_units,
            "goal": goals,
        },
    )
    assert sent.status_code == 303, sent.text[:300]
    with site.sessions() as db:
        assert campaigns.units_of(db, assessment_id) == {chosen: 70, store_ids[11]: None}
    # A goal that is not a percentage is named on the page, in the page's words.
    goals[goal_units.index(str(chosen))] = "lots"
    refused = client.post(
        page,
        data={"csrf_token": client.csrf(page), "unit": [str(chosen)], "goal_unit": goal_units, "goal": goals},
    )
    assert refused.status_code == 422
    assert "the response-rate goal of Store 11 must be a whole percentage, like 70" in refused.text
