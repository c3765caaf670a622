"""The plan page on SQLite and PostgreSQL: making a plan, locks and owners kept across re-plans, versions, an
infeasible request explained, settings refused beside the form, own initiatives, downloads, roles and CSRF."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
from sqlalchemy import select

from cxmaturity.services import assessments, plans
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import AuditEvent
from tests.web.client import WebClient
from tests.web.conftest import Cast, Site
from tests.web.test_results_page import fill

DATA_BLOCK = re.compile(r'<script type="application/json" id="(chart-[a-z0-9-]+)">(.*?)</script>', re.S)
SETTINGS = {"horizon": "8", "budget": "", "capacity": "", "max_concurrent": "3", "must": "", "must_not": ""}


def _answered(site: Site, cast: Cast) -> int:
    """A new assessment in organization A, answered by three people at a low level (so there is a lot to plan)."""
    return fill(site, cast, {"Team": (3, 0.35)}).id


def _latest(site: Site, cast: Cast, assessment_id: int) -> plans.SavedPlan:
    with site.sessions() as db:
        saved = plans.latest(db, Actor(cast.viewer), assessment_id)
    assert saved is not None
    return saved


def _page(client: WebClient, assessment_id: int) -> str:
    response = client.get(f"/assessments/{assessment_id}/plan")
    assert response.status_code == 200, response.text
    return response.text


def _make(client: WebClient, assessment_id: int) -> httpx.Response:
    url = f"/assessments/{assessment_id}/plan"
    response = client.submit(url, url)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/assessments/{assessment_id}/plan?done=planned#plan"
    return response


def _adjust(client: WebClient, assessment_id: int, version: int, rows: dict[str, dict[str, str]]) -> httpx.Response:
    """Post the initiatives table: ``rows`` maps a key to its owner / start / locked ("on") fields."""
    data: dict[str, Any] = {"version": str(version), "key": list(rows), "locked": []}
    for key, row in rows.items():
        data[f"owner:{key}"] = row.get("owner", "")
        if "start" in row:
            data[f"start:{key}"] = row["start"]
        if row.get("locked"):
            data["locked"].append(key)
    data["csrf_token"] = client.csrf(f"/assessments/{assessment_id}/plan")
    return client.post(f"/assessments/{assessment_id}/plan/initiatives", data=data)


def _row_fields(saved: plans.SavedPlan) -> dict[str, dict[str, str]]:
    """The initiatives table as the page would send it back unchanged."""
    rows = {}
    for i in saved.plan.initiatives:
        row = {"owner": saved.owners.get(i.key, ""), "start": str(i.start)}
        if i.key in saved.locks:
            row["locked"] = "on"
        rows[i.key] = row
    return rows


def _text(html: str) -> str:
    without_scripts = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", without_scripts))


def test_it_makes_a_plan_and_shows_it(site: Site, cast: Cast) -> None:
    assessment_id = _answered(site, cast)
    facilitator = site.client(cast.facilitator)
    page = _page(facilitator, assessment_id)
    assert "No plan yet" in page
    assert '<button type="submit" id="make-plan">Make plan</button>' in page
    assert f'href="/assessments/{assessment_id}/results">Back to the results</a>' in page

    _make(facilitator, assessment_id)
    saved = _latest(site, cast, assessment_id)
    assert saved.number == 1
    assert saved.plan.status in ("optimal", "feasible")  # feasible: within the solver's gap, or at its time limit
    assert saved.plan.initiatives
    page = _page(facilitator, assessment_id)
    text = _text(page)
    assert "Version 1" in text
    summary = saved.plan.summary
    assert f'id="plan-status">{summary[0].upper()}{summary[1:]}</strong>' in page
    assert "made the first plan" in text
    # Initiatives grouped by the period they start in, each with why, its measure and the owner / lock / start fields.
    for period in sorted({i.start for i in saved.plan.initiatives}):
        assert f'<h3 id="period-{period}">Starting in period {period}</h3>' in page
    for i in saved.plan.initiatives:
        assert f"<code>{i.key}</code>" in page
        assert f'name="owner:{i.key}"' in page
        assert f'name="start:{i.key}"' in page
        assert f'name="locked" value="{i.key}"' in page
        assert i.reason in _text(page.replace("&#39;", "'"))
    if any(i.quick_win for i in saved.plan.initiatives):
        assert '<span class="tag tag-quick">Quick win</span>' in page
    # A timeline per competency with initiatives, and the expected stages, as Vega-Lite data blocks.
    blocks = dict(DATA_BLOCK.findall(page))
    planned = {i.competency for i in saved.plan.initiatives}
    assert {f"chart-gantt-{c}" for c in planned} | {"chart-expected-stages"} == set(blocks)
    for competency in planned:
        spec = json.loads(blocks[f"chart-gantt-{competency}"])
        bars = spec["data"]["values"]
        assert {row["key"] for row in bars} == {i.key for i in saved.plan.initiatives if i.competency == competency}
        assert spec["layer"][0]["mark"]["type"] == "bar"
    assert 'id="expected-table"' in page
    assert 'id="totals-table"' in page
    assert page.count('<th scope="row">') >= 8  # totals: one row per period (and more)
    assert '<script src="/static/charts.js"></script>' in page


def test_it_keeps_locks_and_owners_when_it_plans_again(site: Site, cast: Cast) -> None:
    assessment_id = _answered(site, cast)
    facilitator = site.client(cast.facilitator)
    _make(facilitator, assessment_id)
    first = _latest(site, cast, assessment_id)
    chosen = first.plan.initiatives[0]
    duration = chosen.end - chosen.start
    new_start = 3 if chosen.start != 3 else 4
    assert new_start + duration - 1 <= 8
    other = first.plan.initiatives[1]
    rows = _row_fields(first)
    rows[chosen.key].update(owner="Ana Lima", start=str(new_start))
    rows[other.key].update(locked="on")
    response = _adjust(facilitator, assessment_id, first.number, rows)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/assessments/{assessment_id}/plan?done=adjusted#initiatives"

    second = _latest(site, cast, assessment_id)
    assert second.number == 2
    assert second.locks == {chosen.key: new_start, other.key: other.start}
    assert second.owners == {chosen.key: "Ana Lima"}
    placed = {i.key: i for i in second.plan.initiatives}
    assert placed[chosen.key].start == new_start
    assert placed[chosen.key].locked
    assert placed[chosen.key].owner == "Ana Lima"
    assert placed[other.key].start == other.start
    note = second.info.note
    moved = (f"moved “{chosen.title}” to period {new_start}", f"locked “{chosen.title}” in period {new_start}")
    assert any(phrase in note for phrase in moved)
    assert f"locked “{other.title}” in period {other.start}" in note
    assert f"owner of “{chosen.title}”: Ana Lima" in note
    page = facilitator.get(response.headers["location"]).text
    assert "Your changes were saved and the plan was made again around the locked initiatives." in page
    assert f'name="owner:{chosen.key}" value="Ana Lima"' in page
    assert f'name="locked" value="{chosen.key}" checked' in page

    # Changing the settings and planning again keeps both locks and the owner.
    settings_page = f"/assessments/{assessment_id}/plan"
    response = facilitator.submit(
        settings_page, f"/assessments/{assessment_id}/plan/settings", {**SETTINGS, "max_concurrent": "4"}
    )
    assert response.status_code == 303, response.text
    third = _latest(site, cast, assessment_id)
    assert third.number == 3
    assert third.locks == second.locks
    assert third.owners == second.owners
    placed = {i.key: i for i in third.plan.initiatives}
    assert placed[chosen.key].start == new_start
    assert placed[other.key].start == other.start
    assert "initiatives at once 3 → 4" in third.info.note

    # Unlocking lets the optimizer move it again; the owner stays.
    rows = _row_fields(third)
    del rows[other.key]["locked"]
    assert _adjust(facilitator, assessment_id, third.number, rows).status_code == 303
    fourth = _latest(site, cast, assessment_id)
    assert fourth.locks == {chosen.key: new_start}
    assert fourth.owners == {chosen.key: "Ana Lima"}
    assert f"unlocked “{other.title}”" in fourth.info.note


def test_it_saves_every_change_as_a_new_version_and_never_changes_old_ones(site: Site, cast: Cast) -> None:
    assessment_id = _answered(site, cast)
    facilitator = site.client(cast.facilitator)
    _make(facilitator, assessment_id)
    with site.sessions() as db:
        first = plans.version(db, Actor(cast.viewer), assessment_id, 1)
    key = first.plan.initiatives[0].key
    rows = _row_fields(first)
    rows[key]["owner"] = "Bo"
    assert _adjust(facilitator, assessment_id, 1, rows).status_code == 303
    _make(facilitator, assessment_id)
    with site.sessions() as db:
        versions = plans.versions(db, Actor(cast.viewer), assessment_id)
        again = plans.version(db, Actor(cast.viewer), assessment_id, 1)
    assert [v.number for v in versions] == [3, 2, 1]
    assert again.data == first.data
    assert again.request == first.request
    assert versions[0].note == "Facilitator re-planned with the same settings"
    assert versions[1].note == f"Facilitator: owner of “{first.plan.initiatives[0].title}”: Bo"
    assert versions[2].note == "Facilitator made the first plan"
    with site.sessions() as db:
        events = db.scalars(
            select(AuditEvent.action).where(AuditEvent.target == str(assessment_id)).order_by(AuditEvent.id)
        ).all()
    assert [e for e in events if e.startswith("plan.")] == ["plan.make", "plan.adjust", "plan.make"]
    page = _page(facilitator, assessment_id)
    table = page[page.index('id="versions-table"') :]
    for v in versions:
        assert f'/assessments/{assessment_id}/plan/versions/{v.number}"' in table
    # An old version is shown read-only, with a link to the latest.
    old = facilitator.get(f"/assessments/{assessment_id}/plan/versions/1")
    assert old.status_code == 200
    assert "You are looking at version 1. The latest is" in _text(old.text)
    assert 'action="/assessments/' not in old.text.replace('action="/signout"', "")
    assert facilitator.get(f"/assessments/{assessment_id}/plan/versions/9").status_code == 404


def test_it_refuses_settings_no_plan_satisfies_beside_the_form(site: Site, cast: Cast) -> None:
    assessment_id = _answered(site, cast)
    facilitator = site.client(cast.facilitator)
    url = f"/assessments/{assessment_id}/plan"
    assert facilitator.submit(url, url, {}).status_code == 303
    response = facilitator.submit(url, f"{url}/settings", {**SETTINGS, "budget": "0", "must": "a-ld-2a"})
    assert response.status_code == 422, response.text
    page = response.text
    assert "No plan satisfies this change, so nothing was saved and the current plan stays as it is." in page
    assert "budget" in page[page.index("No plan satisfies this change") :]
    assert "Traceback" not in page
    with site.sessions() as db:
        assert [v.status for v in plans.versions(db, Actor(cast.viewer), assessment_id)] != ["infeasible"]
        assert len(plans.versions(db, Actor(cast.viewer), assessment_id)) == 1
        assert plans.settings(db, Actor(cast.viewer), assessment_id).must == ()


def test_it_refuses_settings_it_cannot_use_beside_the_form(site: Site, cast: Cast) -> None:
    assessment_id = _answered(site, cast)
    facilitator = site.client(cast.facilitator)
    url = f"/assessments/{assessment_id}/plan"
    cases = [
        ({"horizon": "0"}, "the horizon must be a whole number of periods from 1 to 40"),
        ({"horizon": "41"}, "the horizon must be a whole number of periods from 1 to 40"),
        ({"horizon": "six"}, "the horizon must be a whole number of periods from 1 to 40"),
        ({"budget": "-5"}, "the budget per period must be a number, 0 or more (leave it empty for no limit)"),
        ({"capacity": "lots"}, "the capacity per period (person-months) must be a number, 0 or more"),
        ({"max_concurrent": "0"}, "the number of initiatives at once must be a whole number from 1 to 100"),
        ({"must": "a-ld-1a no-such-thing"}, "unknown must-do initiatives: no-such-thing"),
        ({"must": "a-ld-1a", "must_not": "a-ld-1a"}, "a-ld-1a cannot be both must-do and must-not-do"),
    ]
    for change, message in cases:
        response = facilitator.submit(url, f"{url}/settings", {**SETTINGS, **change})
        assert response.status_code == 422, (change, response.status_code)
        assert message in _text(response.text).replace("&#39;", "'"), (change, message)
        # What was sent stays in the form.
        for name, value in change.items():
            assert f'name="{name}"' in response.text
            assert f'value="{value}"' in response.text
    with site.sessions() as db:
        assert plans.settings(db, Actor(cast.viewer), assessment_id) == plans.Settings()
        assert plans.versions(db, Actor(cast.viewer), assessment_id) == []


def test_it_adds_and_removes_an_own_initiative(site: Site, cast: Cast) -> None:
    assessment_id = _answered(site, cast)
    facilitator = site.client(cast.facilitator)
    url = f"/assessments/{assessment_id}/plan"
    own = {
        "key": "own-crm-cleanup",
        "title": "Clean up the CRM's customer records",
        "competency": "enlighten",
        "from_stage": "investigate",
        "effort": "0.5",
        "cost": "1000",
        "duration": "1",
        "requires": "",
        "indicators": "en-2a",
        "description": "Merge duplicates.",
        "measure": "Fewer than 1% duplicates.",
    }
    response = facilitator.submit(url, f"{url}/custom", own)
    assert response.status_code == 303, response.text
    with site.sessions() as db:
        current = plans.settings(db, Actor(cast.viewer), assessment_id)
    assert [c.key for c in current.custom] == ["own-crm-cleanup"]
    assert "added own initiative “Clean up the CRM's customer records”" in _latest(site, cast, assessment_id).info.note
    # As a must-do it is planned.
    response = facilitator.submit(url, f"{url}/settings", {**SETTINGS, "must": "own-crm-cleanup"})
    assert response.status_code == 303, response.text
    saved = _latest(site, cast, assessment_id)
    mine = [i for i in saved.plan.initiatives if i.key == "own-crm-cleanup"]
    assert mine
    assert mine[0].custom
    page = _page(facilitator, assessment_id)
    assert "Clean up the CRM&#39;s customer records" in page
    # A key the framework uses, or one already taken, is refused beside the form.
    response = facilitator.submit(url, f"{url}/custom", {**own, "key": "a-ld-1a"})
    assert response.status_code == 422
    assert "a-ld-1a is already an action of the framework; choose another key" in response.text
    response = facilitator.submit(url, f"{url}/custom", own)
    assert response.status_code == 422
    assert "own-crm-cleanup is already one of your initiatives; choose another key" in response.text
    response = facilitator.submit(url, f"{url}/custom", {**own, "key": "x", "competency": "nope"})
    assert response.status_code == 422
    assert "choose one of the framework&#39;s competencies" in response.text
    # Removed: also from the must-do list.
    response = facilitator.submit(url, f"{url}/custom/own-crm-cleanup/delete")
    assert response.status_code == 303, response.text
    with site.sessions() as db:
        current = plans.settings(db, Actor(cast.viewer), assessment_id)
    assert current.custom == ()
    assert current.must == ()
    assert "own-crm-cleanup" not in {i.key for i in _latest(site, cast, assessment_id).plan.initiatives}


def test_it_refuses_a_change_to_a_plan_that_changed_meanwhile(site: Site, cast: Cast) -> None:
    assessment_id = _answered(site, cast)
    facilitator = site.client(cast.facilitator)
    _make(facilitator, assessment_id)
    first = _latest(site, cast, assessment_id)
    _make(facilitator, assessment_id)
    rows = _row_fields(first)
    rows[first.plan.initiatives[0].key]["owner"] = "Late"
    response = _adjust(facilitator, assessment_id, first.number, rows)
    assert response.status_code == 409
    assert "the plan changed since this page was opened; nothing was saved" in response.text
    # And a form with nothing changed says so.
    second = _latest(site, cast, assessment_id)
    response = _adjust(facilitator, assessment_id, second.number, _row_fields(second))
    assert response.status_code == 422
    assert "nothing was changed" in response.text
    assert _latest(site, cast, assessment_id).number == 2


def test_it_downloads_the_plan_as_csv_and_icalendar(site: Site, cast: Cast) -> None:
    assessment_id = _answered(site, cast)
    facilitator = site.client(cast.facilitator)
    viewer = site.client(cast.viewer)
    assert viewer.get(f"/assessments/{assessment_id}/plan.csv").status_code == 404
    _make(facilitator, assessment_id)
    saved = _latest(site, cast, assessment_id)
    rows = _row_fields(saved)
    first = saved.plan.initiatives[0].key
    rows[first]["owner"] = '=HYPERLINK("http://evil.example")'
    assert _adjust(facilitator, assessment_id, saved.number, rows).status_code == 303

    response = viewer.get(f"/assessments/{assessment_id}/plan.csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == f'attachment; filename="plan-{assessment_id}-v2.csv"'
    assert response.headers["cache-control"] == "private, no-store"
    for i in saved.plan.initiatives:
        assert i.key in response.text
    # An owner that a spreadsheet would run as a formula stays text.
    assert "'=HYPERLINK" in response.text
    assert not re.search(r'(^|,)"?=HYPERLINK', response.text, re.M)

    response = viewer.get(f"/assessments/{assessment_id}/plan.ics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.headers["content-disposition"] == f'attachment; filename="plan-{assessment_id}-v2.ics"'
    assert response.text.startswith("BEGIN:VCALENDAR")
    assert "END:VCALENDAR" in response.text
    assert "SUMMARY:Start: " in response.text
    # In the reader's language: the milestones' words and the reasons the optimizer made.
    german = viewer.get(f"/assessments/{assessment_id}/plan.ics?lang=de").text
    unfolded = german.replace("\r\n ", "")
    assert "SUMMARY:Beginn: " in unfolded
    assert "SUMMARY:Abschluss: " in unfolded
    assert " steht auf " in unfolded
    assert "SUMMARY:Start: " not in unfolded
    assert " is at " not in unfolded
    old = viewer.get(f"/assessments/{assessment_id}/plan.csv?version=1")
    assert old.status_code == 200
    assert old.headers["content-disposition"] == f'attachment; filename="plan-{assessment_id}-v1.csv"'
    assert "HYPERLINK" not in old.text


def test_it_lets_a_viewer_read_the_plan_but_not_change_it(site: Site, cast: Cast) -> None:
    assessment_id = _answered(site, cast)
    _make(site.client(cast.facilitator), assessment_id)
    saved = _latest(site, cast, assessment_id)
    viewer = site.client(cast.viewer)
    page = _page(viewer, assessment_id)
    assert 'id="plan-status">' in page
    assert 'id="make-plan"' not in page
    assert 'name="owner:' not in page
    assert 'id="settings-form"' not in page
    assert "facilitators and owners of Organization A make and change it" in page
    csrf = viewer.csrf(f"/assessments/{assessment_id}/plan")
    key = saved.plan.initiatives[0].key
    posts: list[tuple[str, dict[str, Any]]] = [
        (f"/assessments/{assessment_id}/plan", {}),
        (f"/assessments/{assessment_id}/plan/settings", SETTINGS),
        (f"/assessments/{assessment_id}/plan/initiatives", {"version": "1", "key": key, f"owner:{key}": "Me"}),
        (f"/assessments/{assessment_id}/plan/custom", {"key": "mine", "title": "Mine"}),
        (f"/assessments/{assessment_id}/plan/custom/mine/delete", {}),
    ]
    for url, data in posts:
        response = viewer.post(url, data={**data, "csrf_token": csrf})
        assert response.status_code == 403, url
        assert "this needs the facilitator role; you are viewer" in response.text
    assert _latest(site, cast, assessment_id).number == 1


def test_it_hides_the_plan_from_other_organizations(site: Site, cast: Cast) -> None:
    assessment_id = _answered(site, cast)
    _make(site.client(cast.facilitator), assessment_id)
    outsider = site.client(cast.outsider)
    csrf = outsider.csrf("/")
    for url in (
        f"/assessments/{assessment_id}/plan",
        f"/assessments/{assessment_id}/plan/versions/1",
        f"/assessments/{assessment_id}/plan.csv",
        f"/assessments/{assessment_id}/plan.ics",
    ):
        response = outsider.get(url)
        assert response.status_code == 404, url
        assert "Results test" not in response.text
    for url in (
        f"/assessments/{assessment_id}/plan",
        f"/assessments/{assessment_id}/plan/settings",
        f"/assessments/{assessment_id}/plan/initiatives",
        f"/assessments/{assessment_id}/plan/custom",
    ):
        assert outsider.post(url, data={"csrf_token": csrf}).status_code == 404, url


def test_it_refuses_a_form_without_its_token(site: Site, cast: Cast) -> None:
    assessment_id = _answered(site, cast)
    facilitator = site.client(cast.facilitator)
    for url, data in (
        (f"/assessments/{assessment_id}/plan", {}),
        (f"/assessments/{assessment_id}/plan/settings", SETTINGS),
        (f"/assessments/{assessment_id}/plan", {"csrf_token": "forged"}),
    ):
        response = facilitator.post(url, data=data)
        assert response.status_code == 403
        assert "This form has expired" in response.text
    with site.sessions() as db:
        assert plans.versions(db, Actor(cast.viewer), assessment_id) == []


def test_it_plans_an_assessment_without_answers(site: Site, cast: Cast) -> None:
    with transaction(site.sessions) as db:
        created = assessments.create(db, Actor(cast.facilitator), cast.org_a, "Plan empty", "builtin:four-competencies")
        db.flush()
        assessment_id = created.id
    facilitator = site.client(cast.facilitator)
    url = f"/assessments/{assessment_id}/plan"
    # Nothing is assessed yet, so there is no gap to plan for: refused with the reason, never planned from stage 1.
    response = facilitator.submit(url, url)
    assert response.status_code == 422, response.text
    assert "no competency is assessed (no usable answer)" in response.text
    page = _page(facilitator, assessment_id)
    assert "Version 1" not in page
    assert "Traceback" not in page


def test_it_shows_the_plan_page_and_its_reasons_in_german(site: Site, cast: Cast) -> None:
    assessment_id = _answered(site, cast)
    client = site.client(cast.facilitator)
    _make(client, assessment_id)
    english = client.get(f"/assessments/{assessment_id}/plan?lang=en").text
    german = client.get(f"/assessments/{assessment_id}/plan?lang=de").text
    assert "Initiativen nach Periode" in german
    assert "Warum:" in german
    # The reasons the optimizer made read in German ("... steht auf ..."), not as the English sentences it stored.
    assert " steht auf " in german
    assert " is at " not in _text(german)
    # The page's own sentences (headings, labels, notes) read in German; what stays alike is what people typed, the
    # framework's own words (this framework is in English only) and the version notes stored when a plan was saved.
    for english in (
        "Initiatives by period",
        "Each initiative says why it was chosen",
        "Cost and effort per period",
        "Expected stage per competency and period",
        "Add an initiative of your own",
        "Success measures tied to outcome metrics",
        "Save changes and plan again",
    ):
        assert english in _text(english)
        assert english not in _text(german)
