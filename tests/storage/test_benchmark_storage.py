"""Benchmarks on both databases: stored results, releases, cohort thresholds, attacks, opt-out, SQL against numpy,
datasets and references."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date

import numpy as np
import pytest
from sqlalchemy import func, insert, select

from cxmaturity.benchmarks import model
from cxmaturity.benchmarks.model import OVERALL
from cxmaturity.benchmarks.privacy import CohortFilter
from cxmaturity.benchmarks.statistics import coarse_score, quartile_band
from cxmaturity.services import assessments, benchmark_pool, benchmarks
from cxmaturity.services.access import Actor
from cxmaturity.services.errors import Conflict, Forbidden, Invalid, NotFound
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import Assessment, AssessmentResult, AuditEvent, BenchmarkRelease, BenchmarkReleaseResult
from tests.support.benchmarks import add_peer, framework_text, reassess
from tests.web.conftest import Cast, Site

K = 5
ALL = CohortFilter()


def shown(site: Site, assessment_id: int, cohort: CohortFilter = ALL, k: int = K) -> benchmarks.Benchmark:
    with transaction(site.sessions) as db:
        assessment = db.get(Assessment, assessment_id)
        assert assessment is not None
        return benchmarks.benchmark_of(db, assessment, cohort, k)


def test_it_stores_the_result_when_an_assessment_closes_and_drops_it_when_reopened(site: Site) -> None:
    text = framework_text()
    with transaction(site.sessions) as db:
        peer = add_peer(db, text)
        rows = db.execute(
            select(AssessmentResult.competency, AssessmentResult.stage_number, AssessmentResult.score).where(
                AssessmentResult.assessment_id == peer.assessment_id
            )
        ).all()
        assert {c for c, _, _ in rows} == {OVERALL, "vision", "insight"}
        assert all(1 <= score <= 3 and int(score) == stage for _, stage, score in rows)
        assessments.set_status(db, peer.owner, peer.assessment_id, "open")
        db.flush()
        assert benchmark_pool.own_result(db, peer.assessment_id) == {}


def test_k_minus_one_others_show_nothing_and_k_others_show_the_cohort(site: Site) -> None:
    text = framework_text()
    with transaction(site.sessions) as db:
        peers = [add_peer(db, text, seed=s) for s in range(K)]  # the asker and k - 1 others
    first = shown(site, peers[0].assessment_id)
    assert not first.decision.shown
    assert first.aggregates == ()
    assert "Fewer than 5 other organizations" in first.message

    text = framework_text()
    with transaction(site.sessions) as db:
        peers = [add_peer(db, text, seed=s) for s in range(K + 1)]  # the asker and k others
    seen = shown(site, peers[0].assessment_id)
    assert seen.decision.shown
    assert seen.decision.others == K
    overall = seen.aggregates[0]
    assert overall.competency == OVERALL
    assert overall.n == K
    assert sum(overall.stages.values()) == K
    assert {s.competency for s in seen.standings} == {OVERALL, "vision", "insight"}


def test_the_asking_organization_is_never_in_its_own_cohort(site: Site) -> None:
    text = framework_text()
    with transaction(site.sessions) as db:
        peers = [add_peer(db, text, seed=s) for s in range(K + 2)]
    seen = shown(site, peers[0].assessment_id)
    with transaction(site.sessions) as db:
        others = [benchmark_pool.own_result(db, p.assessment_id)[OVERALL][0] for p in peers[1:]]
    assert seen.aggregates[0].n == len(others)
    assert seen.aggregates[0].median == pytest.approx(coarse_score(float(np.median(others))))


def test_a_new_result_is_not_revealed_by_comparing_before_and_after(site: Site) -> None:
    """The attack over time: look, let one more organization close, look again. Both answers are the same."""
    text = framework_text()
    with transaction(site.sessions) as db:
        peers = [add_peer(db, text, seed=s) for s in range(K + 2)]
    before = shown(site, peers[0].assessment_id)
    with transaction(site.sessions) as db:
        add_peer(db, text, seed=99)  # the victim
        reassess(db, peers[3], text, seed=98)  # a re-assessment is a change too
    after = shown(site, peers[0].assessment_id)
    assert after.aggregates == before.aggregates
    assert after.release == before.release
    # Once k organizations have changed, they are released together.
    with transaction(site.sessions) as db:
        for s in range(K - 2):
            add_peer(db, text, seed=200 + s)
    later = shown(site, peers[0].assessment_id)
    assert later.release is not None
    assert before.release is not None
    assert later.release.number == before.release.number + 1
    assert later.aggregates[0].n == before.aggregates[0].n + K - 1


def test_two_cohorts_differing_by_one_organization_cannot_both_be_seen(site: Site) -> None:
    """The attack by filters: everyone, then everyone in Europe; the difference is the one organization in Asia."""
    text = framework_text()
    with transaction(site.sessions) as db:
        peers = [add_peer(db, text, seed=s) for s in range(K + 3)]
        add_peer(db, text, region="Asia", seed=50)  # the victim
    everyone = shown(site, peers[0].assessment_id)
    europe = shown(site, peers[0].assessment_id, CohortFilter(region="Europe"))
    assert everyone.decision.shown
    assert not europe.decision.shown
    assert europe.decision.reason == "difference"
    assert europe.aggregates == ()
    assert "Asia" not in europe.choices["region"]


def test_an_organization_that_opted_out_contributes_nothing(site: Site) -> None:
    text = framework_text()
    with transaction(site.sessions) as db:
        peers = [add_peer(db, text, seed=s) for s in range(K + 1)]
        outsider = add_peer(db, text, seed=77, contribute=False)
    seen = shown(site, outsider.assessment_id)  # it may still look
    assert seen.decision.others == K + 1
    assert not seen.contributes
    with transaction(site.sessions) as db:
        count = db.scalar(
            select(func.count()).where(BenchmarkReleaseResult.organization_id == outsider.organization_id)
        )
    assert count == 0
    with transaction(site.sessions) as db:
        benchmarks.set_opt_out(db, peers[1].owner, peers[1].organization_id, opt_out=True)
        with pytest.raises(NotFound):  # another organization's owner
            benchmarks.set_opt_out(db, peers[1].owner, peers[2].organization_id, opt_out=True)
    with transaction(site.sessions) as db:
        actions = db.scalars(
            select(AuditEvent.action).where(AuditEvent.organization_id == peers[1].organization_id)
        ).all()
    assert "benchmark.opt_out" in actions


def _random_release(site: Site, rng: np.random.Generator, orgs: int) -> tuple[int, dict[str, np.ndarray], list[str]]:
    """A release of made-up rows: scores with ties, three regions; returns its id, scores and regions per org."""
    regions = [str(r) for r in rng.choice(["Europe", "Asia", "Americas"], size=orgs)]
    scores = {c: np.round(rng.uniform(1.0, 3.0, size=orgs), 1) for c in (OVERALL, "vision", "insight")}
    with transaction(site.sessions) as db:
        release = BenchmarkRelease(
            framework_key=f"sql-test@1#{rng.integers(1 << 40)}",
            framework_id="sql-test",
            framework_version="1",
            synthetic=True,
            number=1,
            organizations=orgs,
            min_cohort=K,
        )
        db.add(release)
        db.flush()
        rows = [
            {
                "release_id": release.id,
                "organization_id": 10_000_000 + o,
                "industry": "Retail",
                "size_band": "",
                "region": regions[o],
                "competency": c,
                "stage_number": int(scores[c][o]),
                "score": float(scores[c][o]),
            }
            for o in range(orgs)
            for c in scores
        ]
        db.execute(insert(BenchmarkReleaseResult), rows)
        return release.id, scores, regions


@pytest.mark.parametrize("orgs", [5, 6, 37])
def test_sql_quartiles_are_numpys_coarsened_and_the_position_follows_from_them(site: Site, orgs: int) -> None:
    rng = np.random.default_rng(orgs)
    release_id, scores, regions = _random_release(site, rng, orgs)
    with transaction(site.sessions) as db:
        peer = add_peer(db, framework_text(), seed=orgs)
    for cohort, exclude in [(ALL, None), (CohortFilter(region="Europe"), 10_000_000), (ALL, 10_000_001)]:
        keep = np.array([cohort.matches(("Retail", "", regions[o])) and 10_000_000 + o != exclude for o in range(orgs)])
        with transaction(site.sessions) as db:
            found = {a.competency: a for a in benchmark_pool.cohort_aggregates(db, release_id, cohort, exclude)}
            mine = benchmark_pool.own_result(db, peer.assessment_id)
            standings = {s.competency: s for s in model.standings(mine, list(found.values()))}
        for competency, values in scores.items():
            expected = values[keep]
            if not len(expected):
                assert competency not in found
                continue
            got = found[competency]
            assert got.n == len(expected)
            exact = np.percentile(expected, [25, 50, 75])
            assert (got.q1, got.median, got.q3) == pytest.approx(tuple(coarse_score(float(q)) for q in exact))
            assert got.stages == dict(sorted(Counter(int(v) for v in expected).items()))
            assert standings[competency].position == quartile_band(mine[competency][0], got.q1, got.median, got.q3)


def test_a_dataset_goes_out_and_comes_back_in_as_it_was(site: Site, cast: Cast) -> None:
    text = framework_text()
    framework_id = text.split("id: ", 1)[1].split("\n", 1)[0]
    with transaction(site.sessions) as db:
        peers = [add_peer(db, text, seed=s) for s in range(K + 1)]
    with transaction(site.sessions) as db:
        data = benchmarks.export_pool(db, framework_id, None, ALL, K, "Example Consulting", date(2026, 11, 2))
    assert data["source"] == "Example Consulting"
    assert data["date"] == "2026-11-02"
    assert data["organizations"] == K + 1
    assert "Peer" not in json.dumps(data)  # no organization names
    with transaction(site.sessions) as db:
        row = benchmarks.import_dataset(db, cast_owner(cast), cast.org_a, "peers.json", benchmarks.dataset_json(data))
        with pytest.raises(Conflict, match="already imported"):
            benchmarks.import_dataset(db, cast_owner(cast), cast.org_a, "peers.json", benchmarks.dataset_json(data))
    with transaction(site.sessions) as db:
        seen = shown(site, peers[0].assessment_id)
        assert seen.datasets == ()  # imported by organization A: A's alone
        (imported,) = [d for d in benchmarks.datasets_for(db, cast.org_a) if d.id == row.id]
    assert imported.label == "Imported: Example Consulting, 2026-11-02"
    overall = imported.aggregates[0]
    assert (overall.n, overall.q1, overall.median, overall.q3) == (
        data["overall"]["n"],
        data["overall"]["q1"],
        data["overall"]["median"],
        data["overall"]["q3"],
    )
    with transaction(site.sessions) as db:
        benchmarks.delete_dataset(db, cast_owner(cast), cast.org_a, row.id)


def cast_owner(cast: Cast) -> Actor:
    return Actor(cast.owner)


def test_an_import_names_every_problem_and_keeps_nothing(site: Site, cast: Cast) -> None:
    bad = json.dumps({"format": "cx-maturity/benchmark-dataset@1", "source": "x", "names": ["Acme"]})
    with transaction(site.sessions) as db:
        with pytest.raises(Invalid) as caught:
            benchmarks.import_dataset(db, cast_owner(cast), cast.org_a, "bad.json", bad)
        with pytest.raises(Forbidden):
            benchmarks.import_dataset(db, Actor(cast.viewer), cast.org_a, "bad.json", bad)
    assert "bad.json: names: unknown field (benchmark files hold aggregates and citations only)" in caught.value.details
    assert any(d.startswith("bad.json: framework: Field required") for d in caught.value.details)


def test_reference_distributions_come_with_their_citation(site: Site) -> None:
    with transaction(site.sessions) as db:
        builtin = benchmarks.references_for(db, "xm-six-competencies")
        assert any("XM Institute" in r.citation for r in builtin)
        text = framework_text()
        fid = text.split("id: ", 1)[1].split("\n", 1)[0]
        reference = (
            "format: cx-maturity/reference-distribution@1\n"
            f"framework: {fid}\ntitle: A study\ncitation: Someone, A study, 2020.\nyear: 2020\nsample: 10 firms\n"
            "shares: {emerging: 0.5, learning: 0.3, committing: 0.2}\n"
        )
        benchmarks.add_reference(db, "ref.yaml", reference)
        with pytest.raises(Conflict):
            benchmarks.add_reference(db, "ref.yaml", reference)
        assert [r.title for r in benchmarks.references_for(db, fid)] == ["A study"]
        with pytest.raises(Invalid) as caught:
            benchmarks.add_reference(db, "ref.yaml", reference.replace("xm", "").replace(fid, "xm-six-competencies"))
    assert "ref.yaml: shares.emerging: the framework has no stage 'emerging'" in caught.value.details
