"""The benchmark page in a real browser: an owner compares an assessment with its peers, both charts are drawn under
the strict CSP without a console error, and the cohort form narrows the cohort."""

from __future__ import annotations

from typing import Any

import pytest

from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import User
from tests.e2e.conftest import screenshot
from tests.e2e.test_results_browser import _watch
from tests.support.benchmarks import PASSWORD, add_peer, framework_text
from tests.web.conftest import Site

pytestmark = pytest.mark.browser

CHARTS = ("chart-benchmark-quartiles", "chart-benchmark-stages")


def test_it_draws_the_benchmark_page(browser: Any, live_url: str, site: Site) -> None:
    text = framework_text()
    with transaction(site.sessions) as db:
        peers = [add_peer(db, text, seed=s) for s in range(7)]
        owner = db.get(User, peers[0].owner.user_id)
        assert owner is not None
        email = owner.email
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems = _watch(page)
    page.goto(f"{live_url}/signin")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_url}/")
    page.goto(f"{live_url}/assessments/{peers[0].assessment_id}/benchmark")
    assert page.get_by_role("heading", name="Benchmark: Peer assessment").is_visible()
    for chart in CHARTS:
        page.wait_for_selector(f'[data-chart="{chart}"].chart-rendered svg', timeout=10_000)
    drawn = page.evaluate(
        """ids => ids.map(id => document.querySelectorAll(`[data-chart="${id}"] svg path`).length)""", list(CHARTS)
    )
    assert all(count > 5 for count in drawn), drawn
    screenshot(page, "benchmark-desktop")
    page.get_by_label("Region").select_option("Europe")
    page.get_by_role("button", name="Compare").click()
    page.wait_for_url("**/benchmark?**region=Europe**")
    assert page.get_by_text("This installation: region Europe (6 organizations)").first.is_visible()
    assert problems == []
    context.close()
