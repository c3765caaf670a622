"""The audit log: changes are recorded with who and when; facilitators and owners read their organization's log."""

from __future__ import annotations

import secrets

from cxmaturity.services import accounts, assessments
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import transaction
from tests.web.conftest import Cast, Site


def _new_assessment(site: Site, cast: Cast) -> tuple[int, str]:
    title = f"Audited {secrets.token_hex(3)}"
    with transaction(site.sessions) as db:
        assessment = assessments.create(
            db, Actor(cast.facilitator), cast.org_a, title, "builtin:four-competencies", groups=["All"]
        )
        db.flush()
        assessments.set_status(db, Actor(cast.facilitator), assessment.id, "open")
        return assessment.id, title


def test_a_facilitator_reads_who_changed_what_newest_first(site: Site, cast: Cast) -> None:
    assessment_id, _ = _new_assessment(site, cast)
    page = site.client(cast.facilitator).get(f"/orgs/{cast.org_a}/audit")
    assert page.status_code == 200
    text = page.text
    assert "assessment.create" in text
    assert f"<td>{assessment_id}</td>" in text
    assert cast.emails["facilitator"] in text
    # Newest first: the status change comes before the creation it followed.
    assert text.index("assessment.open") < text.index("assessment.create")


def test_the_api_gives_the_same_log_and_pages_back(site: Site, cast: Cast) -> None:
    _new_assessment(site, cast)
    _new_assessment(site, cast)
    with transaction(site.sessions) as db:
        token = accounts.create_api_token(db, cast.owner, "audit test")
    client = site.client()
    headers = {"Authorization": f"Bearer {token}"}
    url = f"/api/v1/organizations/{cast.org_a}/audit"
    first = client.get(url, params={"limit": 2}, headers=headers).json()
    assert len(first) == 2
    assert first[0]["id"] > first[1]["id"]
    assert {"at", "action", "who", "target", "detail"} <= set(first[0])
    older = client.get(url, params={"limit": 2, "before": first[-1]["id"]}, headers=headers).json()
    assert older
    assert all(event["id"] < first[-1]["id"] for event in older)
    assert client.get(url, params={"limit": 0}, headers=headers).status_code == 422


def test_a_viewer_may_not_read_the_log(site: Site, cast: Cast) -> None:
    assert site.client(cast.viewer).get(f"/orgs/{cast.org_a}/audit").status_code == 403
    with transaction(site.sessions) as db:
        token = accounts.create_api_token(db, cast.viewer, "audit test")
    response = site.client().get(
        f"/api/v1/organizations/{cast.org_a}/audit", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 403


def test_another_organizations_log_is_not_found(site: Site, cast: Cast) -> None:
    assert site.client(cast.outsider).get(f"/orgs/{cast.org_a}/audit").status_code == 404


def test_text_in_the_log_is_escaped(site: Site, cast: Cast) -> None:
    with transaction(site.sessions) as db:
        assessments.add_groups(db, Actor(cast.facilitator), cast.assessment, ["<script>alert('x')</script>"])
    text = site.client(cast.owner).get(f"/orgs/{cast.org_a}/audit").text
    assert "<script>alert('x')</script>" not in text
    assert "&lt;script&gt;" in text
