"""Issue 14's record after the next re-assessment, on SQLite and PostgreSQL: the workshop record (page, report, slides,
exports, API) shows which commitments were kept; and every page and file that shows results says it shows them as
surveyed, while the record shows them as agreed."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest

from cxmaturity.services import accounts, workshops
from cxmaturity.services.workshops import to_review
from cxmaturity.storage.database import transaction
from tests.reporting import pptx_tools
from tests.support.site import Cast, Site
from tests.workshops.support import Answered, answered_assessment, reassessed_after_commitments

AS_SURVEYED = 'id="as-surveyed"'


@pytest.fixture(scope="module")
def team(site: Site, cast: Cast) -> Answered:
    return answered_assessment(site, cast, "Kept commitments team")


def _bearer(site: Site, user_id: int) -> dict[str, str]:
    with transaction(site.sessions) as db:
        return {"Authorization": f"Bearer {accounts.create_api_token(db, user_id, 'kept tests')}"}


def test_the_record_shows_which_commitments_were_kept(site: Site, cast: Cast, team: Answered) -> None:
    later_id = reassessed_after_commitments(site, cast, team, "Kept team, a year on")
    viewer = site.client(cast.viewer)
    record_page = f"/assessments/{team.assessment}/workshop/record"
    before = viewer.get(record_page).text
    not_reviewed = '<strong class="kept-not-reviewed-yet">not reviewed yet</strong>'
    assert f"Visit five stores (by Jan 31, 2099) · {not_reviewed}" in before
    assert "To be reviewed at <em>Kept team, a year on</em>" in before
    # The day a commitment is due reads as the page's language writes a day, not as the record keeps it (ISO).
    assert "Visit five stores (bis 31.01.2099)" in viewer.get(f"{record_page}?lang=de").text
    viewer.get(f"{record_page}?lang=en")  # the choice is kept in a cookie: back to English for what follows

    with transaction(site.sessions) as db:
        review = {r.what: r.id for r in to_review(db, team.facilitator, later_id)}
        workshops.mark_kept(
            db, team.facilitator, later_id, {review["Visit five stores"]: True, review["Read every complaint"]: False}
        )

    after = viewer.get(record_page).text
    assert 'Visit five stores (by Jan 31, 2099) · <strong class="kept-kept">kept</strong>' in after
    assert "1 of 1 public commitment kept, as reviewed at <em>Kept team, a year on</em>." in after
    assert "Read every complaint" not in after  # private: counted, never shown, its outcome neither
    assert "And 1 private commitment" in after

    report = viewer.get(f"/assessments/{team.assessment}/report.html").text
    # The report, like the slides, writes the day as its language does (docs/translations.md).
    assert "Visit five stores (by Jan 31, 2099): kept" in report
    assert "1 of 1 public commitment kept, as reviewed at Kept team, a year on." in report

    slides = pptx_tools.read(viewer.get(f"/assessments/{team.assessment}/report.pptx").content)
    steps = next(s for s in slides if s.title == "Workshop: commitments and next steps").all_text
    # The slides write the day as the deck's language does (docs/translations.md).
    assert "Anna: Visit five stores (by Jan 31, 2099): kept" in steps
    assert "1 of 1 public commitment kept, as reviewed at Kept team, a year on" in steps
    assert "Read every complaint" not in steps

    archive = zipfile.ZipFile(io.BytesIO(viewer.get(f"/assessments/{team.assessment}/export/all.zip").content))
    rows = list(csv.reader(io.StringIO(archive.read("workshop_commitments.csv").decode("utf-8-sig"))))
    assert rows == [["who", "what", "by_when", "kept"], ["Anna", "Visit five stores", "2099-01-31", "true"]]
    exported = viewer.get(f"/assessments/{team.assessment}/export/all.json").json()
    assert exported["workshop"]["commitments"][0]["kept"] is True
    assert exported["workshop"]["reviewed_in"] == "Kept team, a year on"

    api = site.client().get(
        f"/api/v1/assessments/{team.assessment}/workshop/record", headers=_bearer(site, cast.viewer)
    )
    assert api.status_code == 200, api.text
    assert [(c["what"], c["kept"]) for c in api.json()["record"]["commitments"]] == [("Visit five stores", True)]


def test_every_page_and_file_with_results_says_which_result_it_shows(site: Site, cast: Cast, team: Answered) -> None:
    # The record needs a workshop: the test above runs one, but under two workers it may run elsewhere or later.
    with transaction(site.sessions) as db:
        if not workshops.of_assessment(db, team.facilitator, team.assessment):
            workshop = workshops.start(db, team.facilitator, team.assessment)
            db.flush()
            workshops.finish(db, team.facilitator, workshop.id)
    viewer = site.client(cast.viewer)
    base = f"/assessments/{team.assessment}"
    for page in ("results", "plan", "progress", "benchmark"):
        response = viewer.get(f"{base}/{page}")
        assert response.status_code == 200, (page, response.status_code)
        assert AS_SURVEYED in response.text, page
        assert "As surveyed: the respondents' answers" in response.text, page
    scorecard = viewer.get(f"/orgs/{cast.org_a}/scorecard")
    assert scorecard.status_code == 200
    assert "Maturity as surveyed" in scorecard.text
    report = viewer.get(f"{base}/report.html").text
    assert "Results as surveyed: the respondents' answers" in report
    assert viewer.get(f"{base}/results.json").headers["x-result-basis"] == "as surveyed"
    about = viewer.get(f"{base}/export/results.zip")
    assert about.status_code == 200
    exported = viewer.get(f"{base}/export/all.json").json()
    assert exported["about"]["results"].startswith("as surveyed")
    api = site.client().get(f"/api/v1{base}/results", headers=_bearer(site, cast.viewer))
    assert api.headers["x-result-basis"] == "as surveyed"
    # The record is the one place with the result as agreed, and says so.
    record = viewer.get(f"{base}/workshop/record").text
    assert "As surveyed and as agreed" in record


def test_the_record_numbers_a_workshop_among_its_assessments_workshops(site: Site, cast: Cast) -> None:
    # Another assessment's workshop first: the database id of this assessment's first one is then at least 2.
    other, team = answered_assessment(site, cast, "Numbered elsewhere"), answered_assessment(site, cast, "Numbered")
    viewer = site.client(cast.viewer)
    base = f"/assessments/{team.assessment}"
    ids = []
    for number, owner in ((1, other), (1, team), (2, team)):
        with transaction(site.sessions) as db:
            workshop = workshops.start(db, owner.facilitator, owner.assessment)
            db.flush()
            workshops.finish(db, owner.facilitator, workshop.id)
            ids.append(workshop.id)
        if owner is not team:
            continue
        assert ids[-1] != number  # the id is not the number shown
        assert f"Workshop {number}, started" in viewer.get(f"{base}/workshop/record").text
        assert f"In workshop {number} (" in viewer.get(f"{base}/report.html").text
        slides = pptx_tools.read(viewer.get(f"{base}/report.pptx").content)
        assert any(f"In workshop {number} (" in s.all_text for s in slides)
