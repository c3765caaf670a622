"""Report downloads from the web app (HTML and PDF) and the organization's report logo, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import secrets
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from cxmaturity.demo import DEMO_GROUPS, SYNTHETIC_LABEL, demo_responses
from cxmaturity.scoring.display import score_text
from cxmaturity.services import assessments, organizations, plans, reports, results
from cxmaturity.services.access import Actor
from cxmaturity.services.branding import MAX_LOGO_BYTES
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import AuditEvent, Membership
from tests.reporting import pdf_tools, pptx_tools
from tests.web.conftest import Cast, Site
from tests.web.test_results_page import FW, fill

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c63e08e59fb1f00039e02148"
    "8d2b2700000000049454e44ae426082"
)
JPEG_START = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
ATTACK = "<script>alert('x')</script>"


def demo_assessment(site: Site, cast: Cast, organization: str, *, plan: bool = False) -> tuple[int, int]:
    """A new organization (the facilitator owns it, the viewer views it) with a SYNTHETIC demo assessment."""
    actor = Actor(cast.facilitator)
    with transaction(site.sessions) as db:
        org = organizations.create(db, actor, organization)
        db.add(Membership(user_id=cast.viewer, organization_id=org.id, role="viewer"))
        created = assessments.create(
            db,
            actor,
            org.id,
            f"Demo {secrets.token_hex(3)}",
            "builtin:xm-six-competencies",
            groups=[name for name, _, _ in DEMO_GROUPS],
            synthetic=True,
        )
        db.flush()
        group_ids = {g.name: g.id for g in assessments.groups(db, created.id)}
        assessments.store_responses(db, created, demo_responses(FW), group_ids, source="link", held=False)
        if plan:
            plans.make(db, actor, created.id)
        return org.id, created.id


def _download(response: httpx.Response, kind: str) -> None:
    assert response.status_code == 200, response.text[:300]
    assert response.headers["cache-control"] == "private, no-store"
    disposition = response.headers["content-disposition"]
    assert re.fullmatch(rf'attachment; filename="report-[a-z0-9-]+\.{kind}"', disposition), disposition
    assert "script-src" not in response.headers["content-security-policy"]
    assert response.headers["content-security-policy"].startswith("default-src 'none'")


def test_it_lets_a_viewer_download_the_html_report(site: Site, cast: Cast) -> None:
    _, assessment_id = demo_assessment(site, cast, "Example Retail Co.", plan=True)
    response = site.client(cast.viewer).get(f"/assessments/{assessment_id}/report.html")
    _download(response, "html")
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    html = response.text
    assert "Example Retail Co." in html
    assert SYNTHETIC_LABEL in html
    for heading in ("Executive summary", "Competencies", "Charts", "Plan", "Methodology"):
        assert f">{heading}</h2>" in html
    for comp in FW.competencies:
        assert FW.text(comp.name) in html
    assert "Plan version 1" in html
    assert 'data-chart="chart-plan-timeline"><svg' in html
    assert "<script" not in html


def test_it_makes_the_pdf_on_a4_by_default_and_refuses_other_paper(site: Site, cast: Cast, tmp_path: Path) -> None:
    _, assessment_id = demo_assessment(site, cast, "Example Retail Co.")
    viewer = site.client(cast.viewer)
    response = viewer.get(f"/assessments/{assessment_id}/report.pdf")
    _download(response, "pdf")
    assert response.headers["content-type"] == "application/pdf"
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(response.content)
    assert pdf_tools.info(pdf).size == pytest.approx((595.28, 841.89), abs=0.5)
    assert "SYNTHETIC" in pdf_tools.text(pdf)
    refused = viewer.get(f"/assessments/{assessment_id}/report.pdf?paper=a3")
    assert refused.status_code == 422
    assert "paper must be one of a4, letter" in refused.text


def test_it_makes_executive_slides_with_the_view_models_numbers(site: Site, cast: Cast) -> None:
    _, assessment_id = demo_assessment(site, cast, "Example Retail Co.", plan=True)
    response = site.client(cast.viewer).get(f"/assessments/{assessment_id}/report.pptx")
    _download(response, "pptx")
    assert response.headers["content-type"] == pptx_tools.PPTX_TYPE
    slides = pptx_tools.read(response.content)
    titles = pptx_tools.titles(slides)
    assert titles[1:5] == [
        "Executive summary",
        "Gaps to close first, items to discuss",
        "Competencies",
        "Where each competency stands",
    ]
    assert "Plan timeline" in titles
    assert "Initiatives" in titles
    assert all("Example Retail Co." in s.all_text and SYNTHETIC_LABEL in s.all_text for s in slides)
    with site.sessions() as db:
        v = reports.report(db, Actor(cast.viewer), assessment_id).view
    competencies = next(s for s in slides if s.title == "Competencies").tables[0]
    assert [row[:3] for row in competencies[1:]] == [
        (c.name, c.stage.name if c.stage else "not assessed", score_text(c.score, missing="–")) for c in v.competencies
    ]
    pictures = [p for s in slides for p in s.pictures]
    assert [p.name for p in pictures][:2] == ["chart-radar", "chart-heatmap"]
    assert all(p.content_type == "image/png" and p.alt for p in pictures)
    assert site.client(cast.outsider).get(f"/assessments/{assessment_id}/report.pptx").status_code == 404


def test_it_links_the_reports_from_the_results_page(site: Site, cast: Cast) -> None:
    _, assessment_id = demo_assessment(site, cast, "Example Retail Co.")
    page = site.client(cast.viewer).get(f"/assessments/{assessment_id}/results").text
    for link in ("report.pdf?paper=a4", "report.pdf?paper=letter", "report.html", "report.pptx"):
        assert f'href="/assessments/{assessment_id}/{link}" download' in page


def test_it_hides_reports_from_outsiders(site: Site, cast: Cast) -> None:
    _, assessment_id = demo_assessment(site, cast, "Example Retail Co.")
    outsider = site.client(cast.outsider)
    for url in (f"/assessments/{assessment_id}/report.html", f"/assessments/{assessment_id}/report.pdf"):
        response = outsider.get(url)
        assert response.status_code == 404
        assert "Example Retail Co." not in response.text
    assert site.client().get(f"/assessments/{assessment_id}/report.html").status_code == 303


def test_it_never_names_or_scores_a_group_below_the_minimum_size(site: Site, cast: Cast, tmp_path: Path) -> None:
    filled = fill(
        site,
        cast,
        {"Leadership": (4, 0.8), "Operations": (4, 0.5), "Zeta crew": (2, 0.2)},
        comments={"Zeta crew": "Only the two of us know this."},
    )
    with site.sessions() as db:
        result = results.results(db, Actor(cast.viewer), filled.id).result
    shown = [g.group for g in result.groups]
    assert shown  # a group is compared, so the chart and table below are checked with something in them
    assert "Zeta crew" not in shown
    withheld = f"{result.withheld_groups} group{'s' if result.withheld_groups != 1 else ''} withheld"
    viewer = site.client(cast.viewer)
    html = viewer.get(f"/assessments/{filled.id}/report.html").text
    response = viewer.get(f"/assessments/{filled.id}/report.pdf")
    pdf = tmp_path / "small-group.pdf"
    pdf.write_bytes(response.content)
    text = pdf_tools.text(pdf)
    for document in (html, text):
        assert "Zeta" not in document
        assert "Only the two of us know this." in document  # the comment, without its group
        assert withheld in document
        assert "respondent-" not in document
        for tokens in filled.tokens.values():
            for token in tokens:
                assert token not in document
    # Only shown groups are scored on their own: in the groups table and in the chart's marks.
    assert re.findall(r'<tr><th scope="row">([^<]+)</th><td class="num">\d+</td>', html) == shown
    # The chart is one image to a screen reader (its marks carry no labels): its text alternative scores each shown
    # group and everyone, and nothing else.
    label = re.search(r'<svg role="img" aria-label="([^"]*)" data-chart-svg="chart-groups"', html)
    assert label is not None
    entries = label.group(1).split(": ", 1)[1].rstrip(".").split("; ")
    assert {next(n for n in ("Everyone", *shown) if e.startswith(n + " ")) for e in entries} == {"Everyone", *shown}
    assert len(entries) == len(FW.competencies) * (1 + len(shown))
    assert "Respondents: 2;" not in html


def test_it_escapes_the_organization_name_and_comments(site: Site, cast: Cast) -> None:
    filled = fill(site, cast, {"North": (3, 0.6)}, comments={"North": f"Really? {ATTACK}"})
    html = site.client(cast.viewer).get(f"/assessments/{filled.id}/report.html").text
    assert "Really? &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    _, assessment_id = demo_assessment(site, cast, f"Evil {ATTACK} Co")
    html = site.client(cast.viewer).get(f"/assessments/{assessment_id}/report.html").text
    assert "Evil &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Co" in html
    assert "<script" not in html


# --- the report logo ----------------------------------------------------------------------------------------------


def _upload(site: Site, user: int, org_id: int, data: bytes, name: str = "logo.png") -> httpx.Response:
    client = site.client(user)
    return client.post(
        f"/orgs/{org_id}/logo",
        data={"csrf_token": client.csrf("/")},
        files={"logo": (name, data, "image/png")},
    )


def test_it_puts_the_uploaded_logo_on_the_reports(site: Site, cast: Cast) -> None:
    org_id, assessment_id = demo_assessment(site, cast, "Logo Co")
    response = _upload(site, cast.facilitator, org_id, PNG)
    assert response.status_code == 303
    page = site.client(cast.facilitator).get(f"/orgs/{org_id}").text
    assert 'class="logo-preview"' in page
    html = site.client(cast.viewer).get(f"/assessments/{assessment_id}/report.html").text
    assert '<img class="logo" src="data:image/png;base64,iVBORw0KGgo' in html
    with site.sessions() as db:
        event = db.scalars(
            select(AuditEvent).where(AuditEvent.organization_id == org_id, AuditEvent.action == "organization.logo.set")
        ).one()
        assert event.user_id == cast.facilitator
        assert event.detail == {"media_type": "image/png", "bytes": len(PNG)}
    client = site.client(cast.facilitator)
    removed = client.post(f"/orgs/{org_id}/logo", data={"csrf_token": client.csrf(f"/orgs/{org_id}"), "remove": "1"})
    assert removed.status_code == 303
    html = site.client(cast.viewer).get(f"/assessments/{assessment_id}/report.html").text
    assert '<img class="logo"' not in html


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "logo.svg", "logo.svg: not a PNG or JPEG image"),
        (b"GIF89a" + b"\x00" * 20, "logo.gif", "logo.gif: not a PNG or JPEG image"),
        (JPEG_START + b"\x00" * MAX_LOGO_BYTES, "big.jpg", "big.jpg: the logo is larger than 512 KB"),
        (b"", "", "choose a PNG or JPEG image to upload"),
    ],
)
def test_it_refuses_logos_that_are_not_small_png_or_jpeg(
    site: Site, cast: Cast, data: bytes, name: str, message: str
) -> None:
    response = _upload(site, cast.owner, cast.org_a, data, name)
    assert response.status_code == 422
    assert message in response.text
    with site.sessions() as db:
        events = select(AuditEvent).where(
            AuditEvent.action == "organization.logo.set", AuditEvent.organization_id == cast.org_a
        )
        assert db.scalars(events).all() == []


def test_it_lets_only_facilitators_and_owners_change_the_logo(site: Site, cast: Cast) -> None:
    assert _upload(site, cast.viewer, cast.org_a, PNG).status_code == 403
    assert _upload(site, cast.outsider, cast.org_a, PNG).status_code == 404
    viewer_page = site.client(cast.viewer).get(f"/orgs/{cast.org_a}").text
    assert "Report logo" not in viewer_page
    assert "Report logo" in site.client(cast.owner).get(f"/orgs/{cast.org_a}").text


def test_it_says_so_when_this_server_cannot_make_pdfs(site: Site, cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without WeasyPrint (here: its import fails, as without the package) a PDF is a clear 503; HTML still works."""
    _, assessment_id = demo_assessment(site, cast, "No PDF Co")
    monkeypatch.setitem(sys.modules, "weasyprint", None)
    viewer = site.client(cast.viewer)
    response = viewer.get(f"/assessments/{assessment_id}/report.pdf")
    assert response.status_code == 503
    assert "PDF reports need WeasyPrint and the Pango library" in response.text
    assert viewer.get(f"/assessments/{assessment_id}/report.html").status_code == 200
