"""HTML and script in every text a user can enter (a framework's texts, names, titles, comments, plan texts) are
shown as text on every page and in the HTML report, never run; on SQLite and PostgreSQL."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from cxmaturity.services import assessments, organizations, plans, respond
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import Assessment
from tests.web.conftest import Cast, Site

PAYLOAD = "<script>alert(1)</script><img src=x onerror=alert(2)>"
RAW = ("<script>alert(1)", "<img src=x")
DATA = Path(__file__).resolve().parent.parent / "data"


def _hostile_framework() -> str:
    """The example framework with the payload in its name, a stage, a competency, an indicator, an option label
    and an action's title."""
    text = (DATA / "example.yaml").read_text(encoding="utf-8")
    for plain in (
        "Example CX maturity model",
        "Vision and strategy",
        "We have a written description of the experience we want to give customers.",
        "Strongly agree",
        "Write the customer promise",
        "CX depends on a few enthusiasts.",
    ):
        assert plain in text
        text = text.replace(plain, f'"{plain} {PAYLOAD}"')  # each is a plain YAML scalar: quoted, it stays one
    return text


@pytest.fixture(scope="module")
def hostile(site: Site, cast: Cast) -> tuple[int, str]:
    """An open assessment of the hostile framework in a hostile organization, answered, with a saved plan."""
    owner = Actor(cast.owner)
    with transaction(site.sessions) as db:
        org = organizations.create(db, owner, f"Org {PAYLOAD}", f"Industry {PAYLOAD}", "", f"Region {PAYLOAD}")
        db.flush()
        uploaded = assessments.upload_framework(db, owner, org.id, "hostile.yaml", _hostile_framework())
        db.flush()
        assessment = assessments.create(
            db, owner, org.id, f"Title {PAYLOAD}", f"uploaded:{uploaded.id}", groups=[f"Group {PAYLOAD}"]
        )
        db.flush()
        assessments.set_status(db, owner, assessment.id, "open")
        group = assessments.groups(db, assessment.id)[0].id
        tokens = assessments.create_invitations(db, owner, assessment.id, group, 4)
        for token in tokens:
            fw = respond.visit(db, token).framework
            for comp in fw.competencies:
                page = respond.PageInput(
                    answers={ind.key: fw.answer_keys(ind)[-1] for ind in comp.indicators},
                    comments={comp.indicators[0].key: f"Comment {PAYLOAD}"},
                )
                respond.save_page(db, token, comp.key, page)
            respond.finish(db, token)
        plans.make(db, owner, assessment.id)
        # A link nobody has used yet, to see the respondent's pages.
        fresh = assessments.create_invitations(db, owner, assessment.id, group, 1)[0]
        return assessment.id, fresh


def _pages(site: Site, assessment_id: int, token: str) -> list[str]:
    with transaction(site.sessions) as db:
        found = db.get(Assessment, assessment_id)
        assert found is not None
        organization_id = found.organization_id
    return [
        "/",
        f"/orgs/{organization_id}",
        f"/orgs/{organization_id}/audit",
        f"/assessments/{assessment_id}",
        f"/assessments/{assessment_id}/results",
        f"/assessments/{assessment_id}/plan",
        f"/assessments/{assessment_id}/progress",
        f"/assessments/{assessment_id}/report.html",
        f"/r/{token}",
        f"/r/{token}/p/1",
    ]


def test_no_page_runs_text_that_users_entered(site: Site, cast: Cast, hostile: tuple[int, str]) -> None:
    assessment_id, token = hostile
    client = site.client(cast.owner)
    checked = 0
    for url in _pages(site, assessment_id, token):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        for raw in RAW:
            assert raw not in response.text, (url, raw)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text or url == "/", url
        checked += 1
    assert checked == len(_pages(site, assessment_id, token))


def test_the_csv_exports_neutralize_the_payload_as_text(site: Site, cast: Cast, hostile: tuple[int, str]) -> None:
    assessment_id, _ = hostile
    response = site.client(cast.owner).get(f"/assessments/{assessment_id}/export/comments.csv")
    assert response.status_code == 200
    assert f"Comment {PAYLOAD}" in response.text  # a CSV is data: the text is kept, and no browser renders it
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]


def test_a_unique_marker_proves_the_pages_show_the_users_text(site: Site, cast: Cast) -> None:
    marker = secrets.token_hex(4)
    with transaction(site.sessions) as db:
        org = organizations.create(db, Actor(cast.owner), f"{marker} <b>bold</b>")
        db.flush()
        org_id = org.id
    text = site.client(cast.owner).get(f"/orgs/{org_id}").text
    assert f"{marker} &lt;b&gt;bold&lt;/b&gt;" in text
