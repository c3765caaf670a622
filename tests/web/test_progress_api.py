"""The progress API on SQLite and PostgreSQL: series, compare (the CLI's JSON), re-assess and initiative statuses, with
roles and bad pairs."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from cxmaturity.services import plans
from cxmaturity.services.access import Actor
from cxmaturity.services.accounts import create_api_token
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import Assessment
from tests.web.conftest import Cast, Site
from tests.web.progress_support import answered, series_org

JAN_2025, JAN_2026 = date(2025, 1, 15), date(2026, 1, 15)


def _token(site: Site, user_id: int) -> dict[str, str]:
    with transaction(site.sessions) as db:
        return {"Authorization": f"Bearer {create_api_token(db, user_id, 'progress test')}"}


def _call(site: Site, user_id: int, method: str, url: str, body: Any = None) -> Any:
    return site.client().request(method, url, headers=_token(site, user_id), json=body)


def test_it_compares_two_assessments_as_the_cli_does(site: Site, cast: Cast) -> None:
    org = series_org(site, cast)
    first = answered(site, cast, org, 0.3, day=JAN_2025, seed=1, targets={"realize": "initiate"})
    second = answered(site, cast, org, 0.8, day=JAN_2026, seed=2)
    response = _call(site, cast.viewer, "GET", f"/api/v1/assessments/{first}/compare/{second}")
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    data = response.json()
    assert data["format"] == "cx-maturity/comparison@1"
    assert (data["before"]["assessment_id"], data["after"]["assessment_id"]) == (first, second)
    assert (data["before"]["day"], data["after"]["day"]) == ("2025-01-15", "2026-01-15")
    keys = [c["key"] for c in data["competencies"]]
    assert keys == ["lead", "realize", "activate", "enlighten", "respond", "disrupt"]
    for c in data["competencies"]:
        assert set(c["before"]) >= {"stage", "score"}
        assert set(c["after"]) >= {"stage", "score"}
        assert c["verdict"] in ("improved", "declined", "no clear change", "not comparable")
    assert sum(c["verdict"] == "improved" for c in data["competencies"]) >= 5
    realize = next(t for t in data["targets"] if t["competency"] == "realize")
    assert realize["status"] == "reached"
    assert data["initiatives"] == []
    assert data["span"]["years"] > 0.99


def test_a_pair_given_the_wrong_way_round_is_refused_naming_the_order(site: Site, cast: Cast) -> None:
    """Read from the later to the earlier assessment every rise would read as a decline: the API refuses it."""
    org = series_org(site, cast)
    first = answered(site, cast, org, 0.3, day=JAN_2025, seed=1)
    second = answered(site, cast, org, 0.8, day=JAN_2026, seed=2)
    response = _call(site, cast.viewer, "GET", f"/api/v1/assessments/{second}/compare/{first}")
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "other_id"
    assert f"assessment {first} was surveyed before assessment {second}" in response.text


def test_it_lists_the_series_earliest_first(site: Site, cast: Cast) -> None:
    org = series_org(site, cast)
    later = answered(site, cast, org, 0.5, day=JAN_2026)
    earlier = answered(site, cast, org, 0.5, day=JAN_2025)
    answered(site, cast, org, 0.5, day=JAN_2025, framework="builtin:four-competencies")  # another series
    response = _call(site, cast.viewer, "GET", f"/api/v1/assessments/{later}/series")
    assert response.status_code == 200
    rows = response.json()
    assert [(r["id"], r["day"]) for r in rows] == [(earlier, "2025-01-15"), (later, "2026-01-15")]
    assert rows[0]["framework"]["id"] == "xm-six-competencies"
    assert rows[0]["previous_id"] is None


def test_it_reassesses_and_links_the_new_draft(site: Site, cast: Cast) -> None:
    org = series_org(site, cast)
    first = answered(site, cast, org, 0.5, day=JAN_2025, targets={"lead": "mobilize"})
    response = _call(site, cast.facilitator, "POST", f"/api/v1/assessments/{first}/reassess", {"title": "Round two"})
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["title"] == "Round two"
    assert created["status"] == "draft"
    assert created["targets"] == {"lead": "mobilize"}
    assert [g["name"] for g in created["groups"]] == ["Leadership", "Operations"]
    series = _call(site, cast.viewer, "GET", f"/api/v1/assessments/{first}/series").json()
    assert [r["previous_id"] for r in series] == [None, first]
    # Viewers may not; a framework of another id is refused with the field named; outsiders see nothing.
    assert _call(site, cast.viewer, "POST", f"/api/v1/assessments/{first}/reassess", {}).status_code == 403
    wrong = _call(
        site,
        cast.facilitator,
        "POST",
        f"/api/v1/assessments/{first}/reassess",
        {"framework": "builtin:four-competencies"},
    )
    assert wrong.status_code == 422
    assert wrong.json()["field"] == "framework"
    assert _call(site, cast.outsider, "POST", f"/api/v1/assessments/{first}/reassess", {}).status_code == 404
    with site.sessions() as db:
        assert len(list(db.scalars(select(Assessment.id).where(Assessment.previous_id == first)))) == 1


def test_it_sets_initiative_statuses(site: Site, cast: Cast) -> None:
    org = series_org(site, cast)
    first = answered(site, cast, org, 0.3, day=JAN_2025)
    assert _call(site, cast.viewer, "GET", f"/api/v1/assessments/{first}/initiatives").json() == []
    with transaction(site.sessions) as db:
        key = plans.make(db, Actor(cast.facilitator), first).plan.initiatives[0].key
    url = f"/api/v1/assessments/{first}/initiatives/{key}/status"
    response = _call(site, cast.facilitator, "PUT", url, {"status": "in progress"})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "in progress"
    assert response.json()["changed_by"] == "Facilitator"
    listed = {
        i["key"]: i["status"]
        for i in _call(site, cast.viewer, "GET", f"/api/v1/assessments/{first}/initiatives").json()
    }
    assert listed[key] == "in progress"
    assert set(listed.values()) == {"in progress", "planned"}
    assert _call(site, cast.viewer, "PUT", url, {"status": "done"}).status_code == 403
    bad = _call(site, cast.facilitator, "PUT", url, {"status": "finished"})
    assert bad.status_code == 422
    assert bad.json()["field"] == "status"
    missing = _call(
        site, cast.facilitator, "PUT", f"/api/v1/assessments/{first}/initiatives/nope/status", {"status": "done"}
    )
    assert missing.status_code == 404
    assert "no initiative nope" in missing.json()["detail"]


def test_it_refuses_pairs_that_are_no_series(site: Site, cast: Cast) -> None:
    org = series_org(site, cast)
    six = answered(site, cast, org, 0.5, day=JAN_2025)
    four = answered(site, cast, org, 0.5, day=JAN_2026, framework="builtin:four-competencies")
    response = _call(site, cast.viewer, "GET", f"/api/v1/assessments/{six}/compare/{four}")
    assert response.status_code == 422
    assert "only assessments on one framework (a series) can be compared" in response.json()["detail"]
    assert _call(site, cast.outsider, "GET", f"/api/v1/assessments/{six}/compare/{four}").status_code == 404
    assert (
        _call(site, cast.viewer, "GET", f"/api/v1/assessments/{six}/compare/{cast.assessment + 10**6}").status_code
        == 404
    )


def test_it_keeps_control_characters_out_of_a_title(site: Site, cast: Cast) -> None:
    org = series_org(site, cast)
    first = answered(site, cast, org, 0.5, day=JAN_2025)
    body = {"title": "Round\x00 three\x07"}
    response = _call(site, cast.facilitator, "POST", f"/api/v1/assessments/{first}/reassess", body)
    assert response.status_code == 201, response.text
    assert response.json()["title"] == "Round three"
