"""The framework browser, on SQLite and PostgreSQL: every framework an organization can use, one in full with its
whole questionnaire, two side by side, and the way from there to a new assessment with the chosen one."""

from __future__ import annotations

import html
import math
import secrets
from pathlib import Path

from cxmaturity.frameworks import builtin_ids, load_builtin
from cxmaturity.frameworks.describe import answer_options
from cxmaturity.frameworks.lint import estimated_minutes
from cxmaturity.services import assessments
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import transaction
from tests.web.conftest import Cast, Site

EXAMPLE = (Path(__file__).resolve().parents[1] / "data" / "example.yaml").read_text(encoding="utf-8")


def _text(response: object) -> str:
    """The page as a person reads it: entities such as &#39; turned back into characters."""
    return html.unescape(response.text)  # type: ignore[attr-defined]


def _upload(site: Site, cast: Cast, organization: int, user: int) -> tuple[str, str]:
    """Upload the example under a fresh id; return its choice ref and id."""
    framework_id = f"browse-{secrets.token_hex(4)}"
    with transaction(site.sessions) as db:
        row = assessments.upload_framework(
            db, Actor(user), organization, "example.yaml", EXAMPLE.replace("id: example-model", f"id: {framework_id}")
        )
        return f"uploaded:{row.id}", framework_id


def test_it_lists_every_built_in_framework_and_the_organizations_uploads(site: Site, cast: Cast) -> None:
    ref, framework_id = _upload(site, cast, cast.org_a, cast.facilitator)
    _, elsewhere = _upload(site, cast, cast.org_b, cast.outsider)
    page = site.client(cast.viewer).get(f"/orgs/{cast.org_a}/frameworks")
    assert page.status_code == 200
    text = _text(page)
    for fid in builtin_ids():
        fw = load_builtin(fid)
        assert fw.text(fw.name) in text
        assert f'href="/orgs/{cast.org_a}/frameworks/builtin/{fid}"' in page.text
        assert f"about {math.ceil(estimated_minutes(fw))} minutes" in text
    assert f"{framework_id} 1.0 · uploaded to Organization A" in text
    assert f'href="/orgs/{cast.org_a}/frameworks/{ref.replace(":", "/")}"' in page.text
    assert elsewhere not in text
    # A viewer reads but cannot start an assessment.
    assert "Start an assessment" not in text


def test_it_shows_a_framework_in_full_with_the_questionnaire_as_respondents_see_it(site: Site, cast: Cast) -> None:
    fw = load_builtin("cx-core-competency")
    page = site.client(cast.viewer).get(f"/orgs/{cast.org_a}/frameworks/builtin/cx-core-competency")
    assert page.status_code == 200
    text = _text(page)
    assert " ".join(fw.text(fw.source).split()) in text
    assert "The article names no stages" in text
    for stage in fw.stages:
        assert fw.text(stage.name) in text
        for line in (*stage.behaviors, *stage.advance):
            assert fw.text(line) in text
    for track in fw.tracks:
        assert f'<h3 id="track-{track.key}">{fw.text(track.name)}</h3>' in page.text
    for comp in fw.competencies:
        assert f"{fw.text(comp.name)}</h3>" in text  # its questionnaire page
        for indicator in comp.indicators:
            assert fw.text(indicator.text) in text
            for _, label in answer_options(fw, indicator):
                assert f"<li>{label}</li>" in text
    assert f"about {math.ceil(estimated_minutes(fw))} minutes" in text
    assert text.count("Don't know") >= len(fw.indicators)


def test_a_facilitator_starts_an_assessment_with_the_framework_chosen_in_the_browser(site: Site, cast: Cast) -> None:
    client = site.client(cast.facilitator)
    page = client.get(f"/orgs/{cast.org_a}/frameworks/builtin/yohn-cx-maturity")
    start = f"/orgs/{cast.org_a}/assessments/new?framework=builtin%3Ayohn-cx-maturity"
    assert f'href="{start}"' in page.text
    new = client.get(start)
    assert new.status_code == 200
    assert '<option value="builtin:yohn-cx-maturity" selected>' in new.text
    assert new.text.count(" selected>") == 1


def test_it_shows_an_uploaded_framework_to_its_organization_only(site: Site, cast: Cast) -> None:
    ref, framework_id = _upload(site, cast, cast.org_a, cast.facilitator)
    path = f"/orgs/{cast.org_a}/frameworks/{ref.replace(':', '/')}"
    page = site.client(cast.viewer).get(path)
    assert page.status_code == 200
    assert f"{framework_id} 1.0 · uploaded to Organization A" in _text(page)
    # Another organization's member, or the same upload under another organization's address, finds nothing.
    assert site.client(cast.outsider).get(path).status_code == 404
    other = site.client(cast.outsider).get(f"/orgs/{cast.org_b}/frameworks/{ref.replace(':', '/')}")
    assert other.status_code == 404
    assert "no such framework" in other.text


def test_it_refuses_a_framework_that_does_not_exist(site: Site, cast: Cast) -> None:
    client = site.client(cast.viewer)
    for path in ("builtin/no-such-model", "uploaded/abc", "uploaded/999999", "elsewhere/x"):
        assert client.get(f"/orgs/{cast.org_a}/frameworks/{path}").status_code == 404
    compare = client.get(f"/orgs/{cast.org_a}/frameworks/compare?a=builtin:four-competencies&b=builtin:nope")
    assert compare.status_code == 404


def test_it_compares_two_frameworks_side_by_side(site: Site, cast: Cast) -> None:
    yohn, core = load_builtin("yohn-cx-maturity"), load_builtin("cx-core-competency")
    client = site.client(cast.facilitator)
    page = client.get(f"/orgs/{cast.org_a}/frameworks/compare?a=builtin:yohn-cx-maturity&b=builtin:cx-core-competency")
    assert page.status_code == 200
    text = _text(page)
    row = text[text.index('<th scope="row">Tracks</th>') :]
    row = row[: row.index("</tr>")]
    assert "Vision and Strategy (Vision and strategy)" in row
    assert "Infrastructure (Horizontal commitment, Shared executive mandate" in row
    for fw in (yohn, core):
        assert ", ".join(fw.text(s.name) for s in fw.stages) in text
        assert f"about {math.ceil(estimated_minutes(fw))} minutes" in text
        assert f"new?framework=builtin%3A{fw.id}" in page.text
    # Without a choice it starts from the first two frameworks of the list.
    first = client.get(f"/orgs/{cast.org_a}/frameworks/compare")
    assert first.status_code == 200
    a, b = (load_builtin(fid) for fid in builtin_ids()[:2])
    assert f"{a.text(a.name)} and {b.text(b.name)}" in _text(first)
    assert "choose two different frameworks" not in _text(first)


def test_comparing_a_framework_with_itself_asks_for_two_different_ones(site: Site, cast: Cast) -> None:
    core = load_builtin("cx-core-competency")
    client = site.client(cast.viewer)
    same = "builtin:cx-core-competency"
    page = client.get(f"/orgs/{cast.org_a}/frameworks/compare?a={same}&b={same}")
    assert page.status_code == 200  # the page still works: both columns are shown
    assert f"Both sides show {core.text(core.name)}: choose two different frameworks to compare them." in _text(page)


def test_an_outsider_cannot_browse_the_organizations_frameworks(site: Site, cast: Cast) -> None:
    client = site.client(cast.outsider)
    for path in ("", "/compare", "/builtin/four-competencies"):
        assert client.get(f"/orgs/{cast.org_a}/frameworks{path}").status_code == 404


def test_the_results_page_and_its_json_show_a_result_per_track(site: Site, cast: Cast) -> None:
    from cxmaturity.demo import demo_responses

    fw = load_builtin("yohn-cx-maturity")
    owner = Actor(cast.owner)
    with transaction(site.sessions) as db:
        title = f"Tracks {secrets.token_hex(3)}"
        created = assessments.create(db, owner, cast.org_a, title, "builtin:yohn-cx-maturity")
        db.flush()
        assessments.store_responses(db, created, demo_responses(fw, groups=(("", 0.0, 6),)), {})
        assessment_id = created.id
    client = site.client(cast.viewer)
    page = client.get(f"/assessments/{assessment_id}/results")
    assert page.status_code == 200
    section = _text(page)[_text(page).index('id="tracks-heading"') :]
    section = section[: section.index("</section>")]
    for track in fw.tracks:
        assert f'<th scope="row">{fw.text(track.name)}</th>' in section
    data = client.get(f"/assessments/{assessment_id}/results.json").json()
    assert [t["key"] for t in data["tracks"]] == [t.key for t in fw.tracks]
    assert all(t["interval"] is not None for t in data["tracks"])
