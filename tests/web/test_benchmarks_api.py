"""The benchmark endpoints of the JSON API on SQLite and PostgreSQL: the same rules as the pages, in JSON."""

from __future__ import annotations

from typing import Any

from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import Membership
from tests.support.benchmarks import Peer, add_peer, framework_text
from tests.web.conftest import Cast, Site
from tests.web.test_api import api, ok

K = 5


def _peers(site: Site, count: int) -> list[Peer]:
    text = framework_text()
    with transaction(site.sessions) as db:
        return [add_peer(db, text, seed=s) for s in range(count)]


def test_it_returns_the_cohort_and_your_percentiles_with_k_others(site: Site) -> None:
    peers = _peers(site, K + 1)
    owner = api(site, peers[0].owner.user_id)
    body: dict[str, Any] = ok(owner.get(f"/assessments/{peers[0].assessment_id}/benchmark"))
    assert body["shown"] is True
    assert body["reason"] is None
    assert body["organizations"] == K
    assert body["min_cohort"] == K
    assert body["cohort"] == {"industry": None, "size_band": None, "region": None, "description": "all organizations"}
    overall = body["competencies"][0]
    assert overall["key"] == "overall"
    assert overall["cohort"]["n"] == K
    assert sum(overall["cohort"]["stages"].values()) == K
    assert set(overall["cohort"]["stages"]) <= {"emerging", "learning", "committing"}
    assert 0 <= overall["own"]["percentile"] <= 100
    assert [c["key"] for c in body["competencies"]] == ["overall", "vision", "insight"]


def test_it_returns_no_figures_below_k_and_for_a_cohort_that_would_single_one_out(site: Site) -> None:
    peers = _peers(site, K)
    owner = api(site, peers[0].owner.user_id)
    body = ok(owner.get(f"/assessments/{peers[0].assessment_id}/benchmark"))
    assert body["shown"] is False
    assert body["reason"] == "too-small"
    assert body["organizations"] == 0
    assert all(c["cohort"] is None for c in body["competencies"])
    assert body["competencies"][0]["own"]["percentile"] is None
    body = ok(owner.get(f"/assessments/{peers[0].assessment_id}/benchmark?region=Atlantis"))
    assert body["cohort"]["region"] == "Atlantis"
    assert body["shown"] is False


def test_owners_share_results_and_import_and_remove_datasets(site: Site, cast: Cast) -> None:
    peers = _peers(site, K + 1)
    owner = api(site, peers[0].owner.user_id)
    dataset = owner.get(f"/assessments/{peers[0].assessment_id}/benchmark/dataset")
    assert dataset.status_code == 200, dataset.text
    data = dataset.json()
    assert data["format"] == "cx-maturity/benchmark-dataset@1"

    with transaction(site.sessions) as db:
        other = add_peer(db, framework_text(data["framework"]["id"]), seed=40, contribute=False)
    other_owner = api(site, other.owner.user_id)
    url = f"/organizations/{other.organization_id}/benchmarks"
    assert ok(other_owner.get(url))["opt_out"] is True
    assert ok(other_owner.put(url, {"opt_out": False}))["opt_out"] is False
    imported = ok(other_owner.post(f"{url}/datasets", data), 201)
    (listed,) = imported["datasets"]
    assert listed["label"] == f"Imported: {data['source']}, {data['date']}"
    assert listed["competencies"][0]["cohort"]["n"] == K
    again = other_owner.post(f"{url}/datasets", data)
    assert again.status_code == 409
    shown = ok(other_owner.get(f"/assessments/{other.assessment_id}/benchmark"))
    assert [d["label"] for d in shown["datasets"]] == [listed["label"]]
    assert ok(other_owner.request("DELETE", f"{url}/datasets/{listed['id']}"))["datasets"] == []
    assert ok(other_owner.get(url))["datasets"] == []


def test_an_import_names_the_fields_and_a_viewer_changes_nothing(site: Site, cast: Cast) -> None:
    peers = _peers(site, 1)
    url = f"/organizations/{peers[0].organization_id}/benchmarks"
    owner = api(site, peers[0].owner.user_id)
    refused = owner.post(f"{url}/datasets", {"format": "cx-maturity/benchmark-dataset@1", "names": ["Acme"]})
    assert refused.status_code == 422
    problems = refused.json()["problems"]
    assert "body: names: unknown field (benchmark files hold aggregates and citations only)" in problems
    with transaction(site.sessions) as db:
        db.add(Membership(user_id=cast.viewer, organization_id=peers[0].organization_id, role="viewer"))
    viewer = api(site, cast.viewer)
    assert viewer.put(url, {"opt_out": False}).status_code == 403
    assert viewer.get(f"/assessments/{peers[0].assessment_id}/benchmark/dataset").status_code == 403
    assert ok(viewer.get(f"/assessments/{peers[0].assessment_id}/benchmark"))["shown"] is False
