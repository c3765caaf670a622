"""Attacks on respondents' anonymity by a facilitator who narrows a group down, through the real app on SQLite and
PostgreSQL (docs/security.md, "Respondents' anonymity"; docs/units.md, "What is shown")."""

from __future__ import annotations

import secrets

from sqlalchemy import func, select

from cxmaturity.services import assessments, campaigns, organizations
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import Membership, RespondentGroup
from tests.units.support import company
from tests.web.conftest import Cast, Site
from tests.web.test_api import answers_csv
from tests.web.test_exports import Api


def _org(site: Site, cast: Cast) -> int:
    with transaction(site.sessions) as db:
        org = organizations.create(db, Actor(cast.owner), f"Attacks {secrets.token_hex(3)}")
        db.flush()
        db.add(Membership(user_id=cast.facilitator, organization_id=org.id, role="facilitator"))
        db.add(Membership(user_id=cast.viewer, organization_id=org.id, role="viewer"))
        return org.id


def test_an_answers_import_cannot_give_a_campaign_respondent_groups(site: Site, cast: Cast) -> None:
    """A campaign has no groups, so that a group and a unit never cut the same respondents two ways (a group minus a
    unit isolates whoever is in the group but not the unit). The import of a file with a group column created the
    file's groups in the campaign all the same, and then e-mailed invitations could carry a group and a unit."""
    org = _org(site, cast)
    with transaction(site.sessions) as db:
        c = company(db, Actor(cast.facilitator), org)
        created = assessments.create(db, Actor(cast.facilitator), org, "Campaign", "builtin:xm-six-competencies")
        db.flush()
        campaigns.set_units(db, Actor(cast.facilitator), created.id, {c.n1: None, c.s1: None})
    facilitator = Api(site, cast.facilitator)
    response = facilitator.post(f"/assessments/{created.id}/answers/import", {"text": answers_csv()})
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "group"
    assert "campaign" in response.json()["detail"]
    with transaction(site.sessions) as db:
        groups = db.scalar(select(func.count()).where(RespondentGroup.assessment_id == created.id))
    assert groups == 0
    # A file without groups is still imported into the campaign.
    plain = "\n".join(",".join(line.split(",")[:1] + line.split(",")[2:]) for line in answers_csv().splitlines())
    assert facilitator.post(f"/assessments/{created.id}/answers/import", {"text": plain}).status_code == 201
