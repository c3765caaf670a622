"""The benchmark endpoints of the JSON API on SQLite and PostgreSQL: the same rules as the pages, in JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select, update

from cxmaturity.benchmarks.statistics import BANDS, SCORE_GRID, quartile_band
from cxmaturity.services.benchmark_pool import RELEASED
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import AssessmentResult, Membership
from tests.support.benchmarks import Peer, add_peer, framework_text
from tests.web.conftest import Cast, Site
from tests.web.test_api import api, ok

K = 5


def _peers(site: Site, count: int) -> list[Peer]:
    text = framework_text()
    with transaction(site.sessions) as db:
        return [add_peer(db, text, seed=s) for s in range(count)]


def test_it_returns_the_cohort_and_your_position_with_k_others(site: Site) -> None:
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
    assert overall["own"]["position"] in BANDS
    assert [c["key"] for c in body["competencies"]] == ["overall", "vision", "insight"]
    # You are here: the overall stage with its own uncertainty, which agrees with the stored result.
    here = body["you_are_here"]
    assert here["stage"] == overall["own"]["stage"]
    assert abs(here["score"] - overall["own"]["score"]) < 1e-9
    low, high = here["interval"]
    assert low <= here["score"] <= high
    assert overall["interval"] == [low, high]
    assert abs(sum(here["stage_probabilities"].values()) - 1) < 1e-9
    assert here["sentence"].startswith("You are here: ")


def test_it_returns_no_figures_below_k_and_for_a_cohort_that_would_single_one_out(site: Site) -> None:
    peers = _peers(site, K)
    owner = api(site, peers[0].owner.user_id)
    body = ok(owner.get(f"/assessments/{peers[0].assessment_id}/benchmark"))
    assert body["shown"] is False
    assert body["reason"] == "too-small"
    assert body["organizations"] == 0
    assert all(c["cohort"] is None for c in body["competencies"])
    assert body["competencies"][0]["own"]["position"] is None
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


def _own_position(own: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    """What an answer says about the cohort: the own result without the organization's own score and stage."""
    return tuple(sorted((k, v) for k, v in own.items() if k not in {"score", "stage", "stage_number"}))


def test_sweeping_ones_own_score_reveals_no_members_score(site: Site) -> None:
    """Issue 12, finding 9: an organization that scores its own assessment at many chosen values and asks each time
    used to learn how many cohort scores lie below each value (an exact percentile), i.e. every member's exact
    score. Now the answer depends only on the published, coarsened quartiles: at most four positions."""
    peers = _peers(site, K + 1)
    attacker = peers[0]
    owner = api(site, attacker.owner.user_id)
    url = f"/assessments/{attacker.assessment_id}/benchmark"
    assert ok(owner.get(url))["shown"] is True
    with transaction(site.sessions) as db:
        members = [
            float(s)
            for s in db.scalars(
                select(RELEASED.score).where(
                    RELEASED.organization_id.in_([p.organization_id for p in peers[1:]]), RELEASED.competency == ""
                )
            )
        ]
    assert len(members) == K
    answers: dict[float, tuple[tuple[str, Any], ...]] = {}
    cohorts = set()
    for step in range(0, 201, 2):  # re-score the attacker's own result from 1.00 to 3.00 in steps of 0.02
        chosen = 1.0 + step / 100
        with transaction(site.sessions) as db:
            db.execute(
                update(AssessmentResult)
                .where(AssessmentResult.assessment_id == attacker.assessment_id, AssessmentResult.competency == "")
                .values(score=chosen)
            )
        overall = ok(owner.get(url))["competencies"][0]
        assert overall["own"]["score"] == pytest.approx(chosen)
        answers[chosen] = _own_position(overall["own"])
        cohorts.add(json.dumps(overall["cohort"], sort_keys=True))
    # The cohort's figures do not move with the asker's score, and the answers take at most four values.
    (cohort_json,) = cohorts
    cohort = json.loads(cohort_json)
    assert len(set(answers.values())) <= len(BANDS), sorted(set(answers.values()))
    # The position is a function of the published figures alone: sweeping learns nothing beyond them.
    for chosen, answer in answers.items():
        assert dict(answer)["position"] == quartile_band(chosen, cohort["q1"], cohort["median"], cohort["q3"])
    # No published quartile (in the answer, in the dataset an owner downloads to import elsewhere) is a member's
    # exact score unless k members share it; each lies on the coarse grid.
    dataset = ok(owner.get(f"{url}/dataset"))
    for figures in [cohort, dataset["overall"]]:
        for name in ("q1", "median", "q3"):
            value = figures[name]
            shared = sum(1 for m in members if m == pytest.approx(value, abs=1e-9))
            assert shared == 0 or shared >= K, (name, value, members)
            assert value / SCORE_GRID == pytest.approx(round(value / SCORE_GRID)), (name, value)
