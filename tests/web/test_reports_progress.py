"""A report of a re-assessment carries a progress section: the comparison with the assessment before it."""

from __future__ import annotations

import secrets
from pathlib import Path

from cxmaturity.demo import demo_responses
from cxmaturity.frameworks import load_builtin
from cxmaturity.services import assessments, organizations, progress
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import transaction
from tests.reporting import pdf_tools
from tests.web.conftest import Cast, Site


def _series(site: Site, cast: Cast) -> tuple[int, int, str]:
    """A closed assessment, and its re-assessment answered higher across the board."""
    fw = load_builtin("four-competencies")
    owner = Actor(cast.owner)
    title = f"Baseline {secrets.token_hex(3)}"
    with transaction(site.sessions) as db:
        org = organizations.create(db, owner, "Progress report organization")
        db.flush()
        first = assessments.create(db, owner, org.id, title, "builtin:four-competencies", groups=["All"])
        db.flush()
        group = {g.name: g.id for g in assessments.groups(db, first.id)}
        assessments.store_responses(db, first, demo_responses(fw, seed=3, groups=(("All", -0.8, 12),)), group)
        assessments.set_status(db, owner, first.id, "open")
        assessments.set_status(db, owner, first.id, "closed")
        second = progress.reassess(db, owner, first.id, title="A year later")
        db.flush()
        group = {g.name: g.id for g in assessments.groups(db, second.id)}
        assessments.store_responses(db, second, demo_responses(fw, seed=4, groups=(("All", 0.8, 12),)), group)
        return first.id, second.id, title


def test_the_report_of_a_reassessment_compares_it_with_the_one_before(site: Site, cast: Cast) -> None:
    first, second, title = _series(site, cast)
    client = site.client(cast.owner)
    later = client.get(f"/assessments/{second}/report.html")
    assert later.status_code == 200
    text = later.text
    assert '<section id="progress"' in text
    assert '<a href="#progress">Progress</a>' in text
    assert f"Compared with <strong>{title}</strong>" in text
    assert "improved" in text
    earlier = client.get(f"/assessments/{first}/report.html").text
    assert '<section id="progress"' not in earlier
    assert '<a href="#progress">' not in earlier


def test_the_pdf_has_the_progress_section_too(site: Site, cast: Cast, tmp_path: Path) -> None:
    _, second, title = _series(site, cast)
    pdf = site.client(cast.owner).get(f"/assessments/{second}/report.pdf")
    assert pdf.status_code == 200
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf.content)
    text = pdf_tools.text(path)
    assert "Progress" in text
    assert title in text
