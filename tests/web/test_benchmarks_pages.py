"""The benchmark pages on SQLite and PostgreSQL: a cohort shown with k others and not with fewer, a cohort that
would single out one organization refused, sharing switched on and off by owners only, datasets downloaded,
imported (with their source and date on the page) and refused with every problem named."""

from __future__ import annotations

import json
import re

from sqlalchemy import select

from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import AuditEvent, Membership
from tests.support.benchmarks import Peer, add_peer, framework_text
from tests.web.conftest import Cast, Site

K = 5
DATA_BLOCK = re.compile(r'<script type="application/json" id="(chart-[a-z0-9-]+)">(.*?)</script>', re.S)


def _peers(site: Site, count: int, *, contribute: bool = True, victim_in: str = "") -> list[Peer]:
    """``count`` organizations in Europe sharing one framework; with ``victim_in``, one more in that region."""
    text = framework_text()
    with transaction(site.sessions) as db:
        peers = [add_peer(db, text, seed=s, contribute=contribute) for s in range(count)]
        if victim_in:
            peers.append(add_peer(db, text, region=victim_in, seed=99, contribute=contribute))
        return peers


def test_it_shows_the_cohort_with_k_others_and_its_charts(site: Site) -> None:
    peers = _peers(site, K + 1)
    owner = site.client(peers[0].owner.user_id)
    page = owner.get(f"/assessments/{peers[0].assessment_id}/benchmark")
    assert page.status_code == 200, page.text
    assert page.headers["cache-control"] == "private, no-store"
    assert f"This installation: all organizations ({K} organizations)" in page.text
    assert "Your position" in page.text
    charts = dict(DATA_BLOCK.findall(page.text))
    assert set(charts) == {"chart-benchmark-quartiles", "chart-benchmark-stages"}
    spec = json.loads(charts["chart-benchmark-quartiles"])
    own = [row for row in spec["data"]["values"] if row["series"] == "Your score"]
    assert {row["competency"] for row in own} == {"Overall", "Vision and strategy", "Customer insight"}
    assert '<script src="/static/charts.js"></script>' in page.text
    assert "<script>" not in page.text  # no inline scripts under the CSP


def test_it_shows_nothing_with_k_minus_one_others(site: Site) -> None:
    peers = _peers(site, K)
    page = site.client(peers[0].owner.user_id).get(f"/assessments/{peers[0].assessment_id}/benchmark")
    assert page.status_code == 200
    assert "Fewer than 5 other organizations are in this cohort, so nothing is shown." in page.text
    assert "chart-benchmark-quartiles" not in page.text
    assert "median (quartiles, n)" not in page.text


def test_it_refuses_a_cohort_that_differs_from_all_by_one_organization(site: Site) -> None:
    """Everyone, then everyone in Europe: the difference would be the one organization in Asia."""
    peers = _peers(site, K + 3, victim_in="Asia")
    owner = site.client(peers[0].owner.user_id)
    url = f"/assessments/{peers[0].assessment_id}/benchmark"
    everyone = owner.get(url)
    assert f"This installation: all organizations ({K + 3} organizations)" in everyone.text
    europe = owner.get(url, params={"region": "Europe"})
    assert europe.status_code == 200
    assert "This cohort differs from other cohorts by fewer than 5 organizations" in europe.text
    assert f"({K + 2} organizations)" not in europe.text
    assert "chart-benchmark-quartiles" not in europe.text
    assert '<option value="Asia"' not in europe.text


def test_owners_switch_sharing_on_and_off_and_it_is_audited(site: Site) -> None:
    peers = _peers(site, 1, contribute=False)
    peer = peers[0]
    owner = site.client(peer.owner.user_id)
    url = f"/orgs/{peer.organization_id}/benchmarks"
    page = owner.get(url)
    assert "Your organization does not share its results" in page.text
    response = owner.submit(url, f"{url}/contribution", {"contribute": "yes"})
    assert response.status_code == 303
    assert response.headers["location"] == f"{url}?done=contributing"
    assert "Your organization shares its results" in owner.get(url).text
    refused = owner.post(f"{url}/contribution", data={"contribute": "no", "csrf_token": "wrong"})
    assert refused.status_code == 403
    with transaction(site.sessions) as db:
        actions = db.scalars(select(AuditEvent.action).where(AuditEvent.organization_id == peer.organization_id)).all()
    assert "benchmark.opt_in" in actions


def test_a_viewer_reads_the_benchmark_but_cannot_download_or_change_it(site: Site, cast: Cast) -> None:
    peers = _peers(site, K + 1)
    with transaction(site.sessions) as db:
        db.add(Membership(user_id=cast.viewer, organization_id=peers[0].organization_id, role="viewer"))
    viewer = site.client(cast.viewer)
    page = viewer.get(f"/assessments/{peers[0].assessment_id}/benchmark")
    assert page.status_code == 200
    assert "Download this cohort as a dataset" not in page.text
    assert viewer.get(f"/assessments/{peers[0].assessment_id}/benchmark/dataset.json").status_code == 403
    settings = viewer.get(f"/orgs/{peers[0].organization_id}/benchmarks")
    assert "Share our results" not in settings.text
    assert "Import a dataset" not in settings.text


def test_a_downloaded_dataset_is_imported_elsewhere_and_labelled_with_its_source_and_date(site: Site) -> None:
    peers = _peers(site, K + 1)
    owner = site.client(peers[0].owner.user_id)
    download = owner.get(f"/assessments/{peers[0].assessment_id}/benchmark/dataset.json")
    assert download.status_code == 200, download.text
    assert download.headers["content-disposition"].startswith('attachment; filename="benchmark-')
    data = download.json()
    assert data["source"] == "testserver"  # the host of CXM_BASE_URL when no installation name is set
    assert data["organizations"] == K
    assert "Peer" not in download.text

    # Another organization, with the same framework but no peers of its own, imports it.
    with transaction(site.sessions) as db:
        other = add_peer(db, framework_text(data["framework"]["id"]), seed=40, contribute=False)
    other_owner = site.client(other.owner.user_id)
    url = f"/orgs/{other.organization_id}/benchmarks"
    response = other_owner.submit(
        url, f"{url}/datasets", files={"file": ("peers.json", download.content, "application/json")}
    )
    assert response.status_code == 303, response.text
    label = f"Imported: testserver, {data['date']}"
    assert label in other_owner.get(url).text
    page = other_owner.get(f"/assessments/{other.assessment_id}/benchmark")
    assert label in page.text
    assert "all organizations, 5 organizations" in page.text


def test_an_import_with_problems_names_each_and_keeps_nothing(site: Site) -> None:
    peer = _peers(site, 1)[0]
    owner = site.client(peer.owner.user_id)
    url = f"/orgs/{peer.organization_id}/benchmarks"
    bad = json.dumps({"format": "cx-maturity/benchmark-dataset@1", "source": "x", "answers": [1, 2]})
    response = owner.submit(url, f"{url}/datasets", files={"file": ("bad.json", bad.encode(), "application/json")})
    assert response.status_code == 422
    assert "bad.json is not a benchmark dataset; nothing was imported" in response.text
    assert "bad.json: answers: unknown field (benchmark files hold aggregates and citations only)" in response.text
    assert "No datasets imported." in owner.get(url).text


def test_a_file_nested_too_deeply_or_with_a_huge_number_is_named_and_keeps_nothing(site: Site) -> None:
    # The parser's own limits: each was a 500 ("Something went wrong") on this page.
    peer = _peers(site, 1)[0]
    owner = site.client(peer.owner.user_id)
    url = f"/orgs/{peer.organization_id}/benchmarks"
    for content, reason in (
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"organizations": ' + b"9" * 5000 + b"}", "a number has more than 4300 digits"),
    ):
        files = {"file": ("odd.json", content, "application/json")}
        response = owner.submit(url, f"{url}/datasets", files=files)
        assert response.status_code == 422, response.text[:300]
        assert f"odd.json: not valid JSON ({reason})" in response.text
    assert "No datasets imported." in owner.get(url).text
