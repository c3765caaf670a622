"""The outcome endpoints of /api/v1 on SQLite and PostgreSQL: imports counted once, errors that name file, row and
column with nothing stored, summaries with intervals, customer asset, key drivers, the scorecard, and roles."""

from __future__ import annotations

import secrets
from pathlib import Path

from cxmaturity.services import organizations
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import transaction
from tests.web.conftest import Cast, Site
from tests.web.test_plans_api import Api

DATA = Path(__file__).parents[1] / "data" / "outcomes"


def _org(site: Site, cast: Cast) -> int:
    with transaction(site.sessions) as db:
        return organizations.create(db, Actor(cast.facilitator), f"Outcomes API {secrets.token_hex(3)}").id


def test_it_imports_a_qualtrics_export_once_and_summarizes_it(site: Site, cast: Cast) -> None:
    api, org = Api(site, cast.facilitator), _org(site, cast)
    text = (DATA / "qualtrics.csv").read_text(encoding="utf-8-sig")
    suggested = api("POST", f"/organizations/{org}/outcomes/suggestions", {"text": text, "filename": "q.csv"})
    assert suggested.status_code == 200, suggested.text
    assert suggested.json()["tool"] == "qualtrics"
    first = api("POST", f"/organizations/{org}/outcomes/imports", {"text": text, "filename": "q.csv", "save_as": "Q"})
    assert first.status_code == 201, first.text
    assert first.json()["added"] == first.json()["responses"] > 0
    again = api(
        "POST", f"/organizations/{org}/outcomes/imports", {"text": text, "filename": "q.csv", "mapping_name": "Q"}
    )
    assert again.json()["added"] == 0
    assert again.json()["replaced"] == first.json()["responses"]
    summary = api("GET", f"/organizations/{org}/outcomes/summary?period=quarter").json()
    assert summary["responses"] == first.json()["responses"]
    assert summary["nps"]["n"] == first.json()["responses"]
    assert len(summary["nps"]["interval"]) == 2
    listed = api("GET", f"/organizations/{org}/outcomes/imports").json()
    assert [s["kind"] for s in listed] == ["survey", "survey"]
    assert api("DELETE", f"/organizations/{org}/outcomes/imports/{listed[0]['id']}").status_code == 204
    assert api("GET", f"/organizations/{org}/outcomes/summary").json()["responses"] == 0


def test_a_customer_list_with_an_end_before_its_start_stores_nothing(site: Site, cast: Cast) -> None:
    api, org = Api(site, cast.facilitator), _org(site, cast)
    bad = "customer_id,segment,start_date,end_date,value_per_year\nC1,A,2025-01-01,,10\nC2,A,2025-05-01,2025-02-01,5\n"
    refused = api(
        "POST", f"/organizations/{org}/outcomes/imports", {"kind": "customers", "text": bad, "filename": "crm.csv"}
    )
    assert refused.status_code == 422
    assert any(p.startswith("crm.csv:3") and "end_date" in p for p in refused.json()["problems"]), refused.json()
    good = (DATA / "customers.csv").read_text(encoding="utf-8-sig")
    done = api(
        "POST", f"/organizations/{org}/outcomes/imports", {"kind": "customers", "text": good, "filename": "crm.csv"}
    )
    assert done.status_code == 201, done.text
    asset = api("GET", f"/organizations/{org}/outcomes/asset?from=2025-01-01&to=2026-03-31").json()
    assert asset["customers"] == done.json()["added"]
    assert set(asset) >= {"start", "end", "gained", "lost", "retention_rate", "churn_rate"}


def test_outsiders_see_nothing_and_viewers_cannot_import(site: Site, cast: Cast) -> None:
    text = (DATA / "qualtrics.csv").read_text(encoding="utf-8-sig")
    outsider, viewer = Api(site, cast.outsider), Api(site, cast.viewer)
    for url in ("outcomes/summary", "outcomes/imports", "scorecard", "outcomes/asset"):
        assert outsider("GET", f"/organizations/{cast.org_a}/{url}").status_code == 404
    assert viewer("GET", f"/organizations/{cast.org_a}/scorecard").status_code == 200
    refused = viewer("POST", f"/organizations/{cast.org_a}/outcomes/imports", {"text": text})
    assert refused.status_code == 403
