"""GET /api/v1/assessments/{id}/report: the executive report through the API, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxmaturity.demo import demo_responses
from cxmaturity.services import accounts, assessments, organizations
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import transaction
from tests.reporting import pdf_tools, pptx_tools
from tests.web.conftest import Cast, Site
from tests.web.test_reports_pages import demo_assessment
from tests.web.test_results_page import FW


def _headers(site: Site, user_id: int) -> dict[str, str]:
    with transaction(site.sessions) as db:
        return {"Authorization": f"Bearer {accounts.create_api_token(db, user_id, 'reports test')}"}


def test_it_serves_the_report_as_html_by_default_and_as_a_letter_pdf(site: Site, cast: Cast, tmp_path: Path) -> None:
    _, assessment_id = demo_assessment(site, cast, "API Report Co")
    client = site.client()
    headers = _headers(site, cast.viewer)
    html = client.get(f"/api/v1/assessments/{assessment_id}/report", headers=headers)
    assert html.status_code == 200
    assert html.headers["content-type"] == "text/html; charset=utf-8"
    assert html.headers["cache-control"] == "private, no-store"
    assert html.headers["content-disposition"].startswith('attachment; filename="report-demo-')
    assert "API Report Co" in html.text
    pdf = client.get(f"/api/v1/assessments/{assessment_id}/report?format=pdf&paper=letter", headers=headers)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    path = tmp_path / "api.pdf"
    path.write_bytes(pdf.content)
    assert pdf_tools.info(path).size == pytest.approx((612.0, 792.0), abs=0.5)


def test_it_serves_executive_slides(site: Site, cast: Cast) -> None:
    _, assessment_id = demo_assessment(site, cast, "API Report Co", plan=True)
    response = site.client().get(
        f"/api/v1/assessments/{assessment_id}/report?format=pptx", headers=_headers(site, cast.viewer)
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == pptx_tools.PPTX_TYPE
    assert response.headers["content-disposition"].endswith('.pptx"')
    slides = pptx_tools.read(response.content)
    assert "Executive summary" in pptx_tools.titles(slides)
    assert "Plan timeline" in pptx_tools.titles(slides)
    assert "API Report Co" in slides[0].all_text


def test_control_characters_in_names_still_make_every_report(site: Site, cast: Cast) -> None:
    # Text pasted from another program may hold control characters; they are stored as given. The slides failed
    # (python-pptx: "All strings must be XML compatible", a 500), and the charts of the HTML and PDF report made
    # vl-convert abort its process (a 503 "the work stopped midway"). Each is now written as U+FFFD.
    actor = Actor(cast.facilitator)
    with transaction(site.sessions) as db:
        org = organizations.create(db, actor, "Bell\x07 Co")
        created = assessments.create(
            db, actor, org.id, "Pasted\x0b title", "builtin:xm-six-competencies", groups=["Front\x08line", "Back"]
        )
        db.flush()
        group_ids = {g.name: g.id for g in assessments.groups(db, created.id)}
        responses = demo_responses(FW, groups=(("Front\x08line", 0.2, 5), ("Back", -0.2, 5)))
        assessments.store_responses(db, created, responses, group_ids, source="link", held=False)
    client, headers = site.client(), _headers(site, cast.facilitator)
    for fmt in ("html", "pdf", "pptx"):
        response = client.get(f"/api/v1/assessments/{created.id}/report?format={fmt}", headers=headers)
        assert response.status_code == 200, (fmt, response.text[:300])
    slides = pptx_tools.read(response.content)
    assert "Bell\ufffd Co" in slides[0].all_text
    assert "Pasted\ufffd title" in slides[0].all_text


def test_it_names_what_is_wrong_with_the_query(site: Site, cast: Cast) -> None:
    client = site.client()
    headers = _headers(site, cast.viewer)
    for query, field, problem in (
        ("format=docx", "format", "format (query): Input should be 'html', 'pdf' or 'pptx'"),
        ("format=pdf&paper=a3", "paper", "paper (query): Input should be 'a4' or 'letter'"),
    ):
        response = client.get(f"/api/v1/assessments/{cast.assessment}/report?{query}", headers=headers)
        assert response.status_code == 422
        body = response.json()
        assert (body["field"], body["problems"]) == (field, [problem])


def test_it_keeps_reports_within_the_organization(site: Site, cast: Cast) -> None:
    _, assessment_id = demo_assessment(site, cast, "API Report Co")
    client = site.client()
    outsider = client.get(f"/api/v1/assessments/{assessment_id}/report", headers=_headers(site, cast.outsider))
    assert outsider.status_code == 404
    assert "API Report Co" not in outsider.text
    assert client.get(f"/api/v1/assessments/{assessment_id}/report").status_code == 401


def test_it_documents_the_endpoint_in_the_openapi_document(site: Site) -> None:
    document = site.client().get("/openapi.json").json()
    operation = document["paths"]["/api/v1/assessments/{assessment_id}/report"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"assessment_id", "format", "paper"}
    assert set(operation["responses"]["200"]["content"]) == {"text/html", "application/pdf", pptx_tools.PPTX_TYPE}
