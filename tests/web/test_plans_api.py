"""The plan endpoints of /api/v1 on SQLite and PostgreSQL: settings, making a plan, the latest plan and its versions,
changing initiatives (owner, start, lock), downloads, errors and roles."""

from __future__ import annotations

from typing import Any

import httpx

from cxmaturity.services import accounts
from cxmaturity.storage.database import transaction
from tests.web.conftest import Cast, Site
from tests.web.test_results_page import fill

DEFAULTS: dict[str, Any] = {
    "horizon": 8,
    "budget": None,
    "capacity": None,
    "max_concurrent": 3,
    "must": [],
    "must_not": [],
    "custom": [],
    "start_date": None,
}
INITIATIVE_KEYS = {"key", "competency", "start", "end", "cost", "effort", "reason"}


class Api:
    def __init__(self, site: Site, user_id: int) -> None:
        self.client = site.client()
        with transaction(site.sessions) as db:
            token = accounts.create_api_token(db, user_id, "plans test")
        self.headers = {"Authorization": f"Bearer {token}"}

    def __call__(self, method: str, url: str, body: Any = None) -> httpx.Response:
        kwargs: dict[str, Any] = {"headers": self.headers}
        if body is not None:
            kwargs["json"] = body
        return self.client.request(method, f"/api/v1{url}", **kwargs)


def _answered(site: Site, cast: Cast) -> int:
    return fill(site, cast, {"Team": (3, 0.35)}).id


def test_it_reads_and_replaces_the_settings(site: Site, cast: Cast) -> None:
    assessment_id = _answered(site, cast)
    api = Api(site, cast.facilitator)
    response = api("GET", f"/assessments/{assessment_id}/plan/settings")
    assert response.status_code == 200
    assert response.json() == {"assessment_id": assessment_id, "targets": {}, **DEFAULTS}
    own = {
        "key": "own-1",
        "title": "Our own step",
        "competency": "lead",
        "from_stage": "investigate",
        "effort": 0.5,
        "duration": 1,
    }
    wanted = {
        "horizon": 6,
        "budget": 20000,
        "capacity": 4.5,
        "max_concurrent": 2,
        "must": ["a-ld-1a"],
        "must_not": ["a-ld-2b"],
        "custom": [own],
        "start_date": "2027-04-01",
    }
    response = api("PUT", f"/assessments/{assessment_id}/plan/settings", wanted)
    assert response.status_code == 200, response.text
    got = response.json()
    assert got["custom"] == [{**own, "cost": 0.0, "requires": [], "indicators": [], "description": "", "measure": ""}]
    assert {k: v for k, v in got.items() if k not in ("custom", "assessment_id", "targets")} == {
        k: v for k, v in wanted.items() if k != "custom"
    }
    assert api("GET", f"/assessments/{assessment_id}/plan/settings").json() == got


def test_it_refuses_settings_it_cannot_use(site: Site, cast: Cast) -> None:
    assessment_id = _answered(site, cast)
    api = Api(site, cast.facilitator)
    url = f"/assessments/{assessment_id}/plan/settings"
    response = api("PUT", url, {"horizon": 0})
    assert response.status_code == 422
    assert response.json()["field"] == "horizon"
    response = api("PUT", url, {"budget": -1})
    assert response.status_code == 422
    assert response.json()["field"] == "budget"
    response = api("PUT", url, {"max_concurrent": 0})
    assert response.status_code == 422
    response = api("PUT", url, {"must": ["no-such-action"]})
    assert response.status_code == 422
    assert response.json() == {
        "detail": "unknown must-do initiatives: no-such-action (neither the framework's actions nor your own)",
        "field": "must",
        "problems": ["no-such-action is not an initiative"],
    }
    response = api(
        "PUT",
        url,
        {
            "custom": [
                {
                    "key": "a-ld-1a",
                    "title": "Clash",
                    "competency": "lead",
                    "from_stage": "investigate",
                    "effort": 1,
                    "duration": 1,
                }
            ]
        },
    )
    assert response.status_code == 422
    assert response.json()["detail"] == "a-ld-1a is already an action of the framework; choose another key"
    # Saved, this made the calendar and the plan's XLSX export fail with a 500 (its last day is past 9999-12-31).
    response = api("PUT", url, {"horizon": 8, "start_date": "9998-06-01"})
    assert response.status_code == 422
    assert response.json() == {
        "detail": "a plan of 8 periods starting on 9998-06-01 would end after the year 9999",
        "field": "start_date",
    }
    response = api("PUT", url, {"horizon": 8, "colour": "blue"})
    assert response.status_code == 422
    assert "colour: Extra inputs are not permitted" in response.json()["problems"]
    assert api("GET", url).json() == {"assessment_id": assessment_id, "targets": {}, **DEFAULTS}


def test_it_makes_a_plan_and_lists_its_versions(site: Site, cast: Cast) -> None:
    assessment_id = _answered(site, cast)
    api = Api(site, cast.facilitator)
    response = api("GET", f"/assessments/{assessment_id}/plan")
    assert response.status_code == 404
    assert response.json()["detail"] == (
        "this assessment has no plan yet: POST /api/v1/assessments/{id}/plan makes one"
    )
    response = api("POST", f"/assessments/{assessment_id}/plan")
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    made = response.json()
    assert made["status"] in ("optimal", "feasible")  # feasible: within the solver's gap, or at its time limit
    assert made["gap"] is not None
    assert made["summary"] == "optimal" or made["summary"].startswith("within ")
    assert made["initiatives"]
    for initiative in made["initiatives"]:
        assert set(initiative) >= INITIATIVE_KEYS
        assert initiative["end"] > initiative["start"] >= 1
        assert initiative["reason"]
    assert made["saved"]["number"] == 1
    assert made["saved"]["created_by"] == "Facilitator"
    assert made["saved"]["note"] == "Facilitator made the first plan"
    assert made["saved"]["status"] == made["status"]

    latest = api("GET", f"/assessments/{assessment_id}/plan")
    assert latest.status_code == 200
    assert latest.json() == made
    assert api("POST", f"/assessments/{assessment_id}/plan").status_code == 201
    versions = api("GET", f"/assessments/{assessment_id}/plan/versions").json()
    assert [v["number"] for v in versions] == [2, 1]
    assert set(versions[0]) == {"number", "created_at", "created_by", "note", "status"}
    assert versions[0]["note"] == "Facilitator re-planned with the same settings"
    assert api("GET", f"/assessments/{assessment_id}/plan/versions/1").json() == made
    response = api("GET", f"/assessments/{assessment_id}/plan/versions/7")
    assert response.status_code == 404
    assert response.json()["detail"] == "this assessment has no plan version 7"


def test_it_changes_initiatives_and_plans_around_the_locks(site: Site, cast: Cast) -> None:
    assessment_id = _answered(site, cast)
    api = Api(site, cast.facilitator)
    made = api("POST", f"/assessments/{assessment_id}/plan").json()
    first, second = made["initiatives"][0], made["initiatives"][1]
    duration = first["end"] - first["start"]
    new_start = 4 if first["start"] != 4 else 3
    url = f"/assessments/{assessment_id}/plan/initiatives"

    response = api("PATCH", f"{url}/{first['key']}", {"start": new_start, "owner": "Ana"})
    assert response.status_code == 200, response.text
    plan = response.json()
    placed = {i["key"]: i for i in plan["initiatives"]}
    assert placed[first["key"]]["start"] == new_start
    assert placed[first["key"]]["end"] == new_start + duration
    assert plan["saved"]["number"] == 2
    assert f"moved “{first['title']}” to period {new_start}" in plan["saved"]["note"] or (
        f"locked “{first['title']}” in period {new_start}" in plan["saved"]["note"]
    )

    response = api("PATCH", f"{url}/{second['key']}", {"locked": True})
    assert response.status_code == 200, response.text
    plan = response.json()
    placed = {i["key"]: i for i in plan["initiatives"]}
    assert placed[first["key"]]["start"] == new_start
    assert placed[second["key"]]["start"] == second["start"]

    # A new plan (e.g. after more answers) keeps the locks and the owner.
    plan = api("POST", f"/assessments/{assessment_id}/plan").json()
    placed = {i["key"]: i for i in plan["initiatives"]}
    assert placed[first["key"]]["start"] == new_start
    assert placed[second["key"]]["start"] == second["start"]
    assert plan["saved"]["number"] == 4

    response = api("PATCH", f"{url}/{first['key']}", {"locked": False, "owner": ""})
    assert response.status_code == 200
    assert f"unlocked “{first['title']}”" in response.json()["saved"]["note"]
    assert f"removed the owner of “{first['title']}”" in response.json()["saved"]["note"]

    # Errors: an unknown key, nothing to change, a start beyond the horizon, moving while unlocking.
    response = api("PATCH", f"{url}/no-such-thing", {"owner": "X"})
    assert response.status_code == 404
    assert response.json()["detail"] == "there is no initiative no-such-thing in this assessment's catalog"
    response = api("PATCH", f"{url}/{first['key']}", {})
    assert response.status_code == 422
    assert response.json()["detail"] == "nothing to change: give an owner, a start period or whether it is locked"
    response = api("PATCH", f"{url}/{first['key']}", {"start": 9 - duration + 1})
    assert response.status_code == 422
    assert response.json()["field"] == "start"
    assert response.json()["detail"].startswith(f"“{first['title']}” must start in a period from 1 to {9 - duration}")
    response = api("PATCH", f"{url}/{first['key']}", {"start": 2, "locked": False})
    assert response.status_code == 422
    assert api("GET", f"/assessments/{assessment_id}/plan/versions").json()[0]["number"] == 5


def test_it_refuses_settings_no_plan_satisfies_and_keeps_the_plan(site: Site, cast: Cast) -> None:
    assessment_id = _answered(site, cast)
    api = Api(site, cast.facilitator)
    made = api("POST", f"/assessments/{assessment_id}/plan")
    assert made.status_code == 201
    # Saving settings makes the plan again, from the API as from the page; one that no plan satisfies is refused.
    response = api("PUT", f"/assessments/{assessment_id}/plan/settings", {"budget": 0, "must": ["a-ld-2a"]})
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert detail.startswith("No plan satisfies this change, so nothing was saved and the current plan stays")
    assert "budget" in detail
    assert "a-ld-2a" not in detail  # initiatives are named by their titles
    assert api("GET", f"/assessments/{assessment_id}/plan/settings").json()["must"] == []
    versions = api("GET", f"/assessments/{assessment_id}/plan/versions").json()
    assert [v["status"] for v in versions] == [made.json()["status"]]
    # Settings that fit are saved and re-plan at once (version 2).
    response = api("PUT", f"/assessments/{assessment_id}/plan/settings", {"horizon": 6})
    assert response.status_code == 200, response.text
    latest = api("GET", f"/assessments/{assessment_id}/plan").json()
    assert latest["saved"]["number"] == 2
    assert latest["settings"]["horizon"] == 6


def test_it_downloads_the_plan(site: Site, cast: Cast) -> None:
    assessment_id = _answered(site, cast)
    api = Api(site, cast.facilitator)
    assert api("GET", f"/assessments/{assessment_id}/plan.csv").status_code == 404
    plan = api("POST", f"/assessments/{assessment_id}/plan").json()
    viewer = Api(site, cast.viewer)
    response = viewer("GET", f"/assessments/{assessment_id}/plan.csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == f'attachment; filename="plan-{assessment_id}-v1.csv"'
    for initiative in plan["initiatives"]:
        assert initiative["key"] in response.text
    response = viewer("GET", f"/assessments/{assessment_id}/plan.ics?version=1")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.text.startswith("BEGIN:VCALENDAR")
    assert viewer("GET", f"/assessments/{assessment_id}/plan.ics?version=2").status_code == 404


def test_it_lets_a_viewer_read_and_hides_everything_from_outsiders(site: Site, cast: Cast) -> None:
    assessment_id = _answered(site, cast)
    plan = Api(site, cast.facilitator)("POST", f"/assessments/{assessment_id}/plan").json()
    key = plan["initiatives"][0]["key"]
    viewer, outsider = Api(site, cast.viewer), Api(site, cast.outsider)
    reads = [
        f"/assessments/{assessment_id}/plan",
        f"/assessments/{assessment_id}/plan/settings",
        f"/assessments/{assessment_id}/plan/versions",
        f"/assessments/{assessment_id}/plan/versions/1",
        f"/assessments/{assessment_id}/plan.csv",
        f"/assessments/{assessment_id}/plan.ics",
    ]
    changes: list[tuple[str, str, Any]] = [
        ("PUT", f"/assessments/{assessment_id}/plan/settings", {"horizon": 4}),
        ("POST", f"/assessments/{assessment_id}/plan", None),
        ("PATCH", f"/assessments/{assessment_id}/plan/initiatives/{key}", {"owner": "Me"}),
    ]
    for url in reads:
        assert viewer("GET", url).status_code == 200, url
        response = outsider("GET", url)
        assert response.status_code == 404, url
        assert response.json()["detail"] == "no such assessment"
    for method, url, body in changes:
        response = viewer(method, url, body)
        assert response.status_code == 403, url
        assert response.json()["detail"] == "this needs the facilitator role; you are viewer"
        assert outsider(method, url, body).status_code == 404, url
    anonymous = site.client()
    assert anonymous.get(f"/api/v1/assessments/{assessment_id}/plan").status_code == 401
    assert viewer("GET", f"/assessments/{assessment_id}/plan/versions").json()[0]["number"] == 1


def test_it_documents_the_plan_endpoints_in_openapi(site: Site) -> None:
    paths = site.client().get("/openapi.json").json()["paths"]
    expected = {
        ("get", "/assessments/{assessment_id}/plan/settings"),
        ("put", "/assessments/{assessment_id}/plan/settings"),
        ("post", "/assessments/{assessment_id}/plan"),
        ("get", "/assessments/{assessment_id}/plan"),
        ("get", "/assessments/{assessment_id}/plan/versions"),
        ("get", "/assessments/{assessment_id}/plan/versions/{number}"),
        ("patch", "/assessments/{assessment_id}/plan/initiatives/{key}"),
        ("get", "/assessments/{assessment_id}/plan.csv"),
        ("get", "/assessments/{assessment_id}/plan.ics"),
    }
    found = {(m, p.removeprefix("/api/v1")) for p, ops in paths.items() if "/plan" in p for m in ops}
    assert found == expected
    for method, path in expected:
        operation = paths[f"/api/v1{path}"][method]
        assert operation["tags"] == ["plans"]
        assert "security" in operation
        success = next(code for code in operation["responses"] if code.startswith("2"))
        content = operation["responses"][success]["content"]
        if path.endswith((".csv", ".ics")):
            assert set(content) == {"text/csv" if path.endswith(".csv") else "text/calendar"}
        else:
            assert "$ref" in str(content), (method, path)
