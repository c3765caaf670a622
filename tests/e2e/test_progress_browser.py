"""Progress in a real browser: the facilitator re-assesses from an assessment's page, the new assessment's answers
arrive, and the series page draws a trend chart per competency under the strict CSP; then compares the two."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from babel.dates import format_date

from cxmaturity.services import assessments
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import Assessment
from tests.e2e.conftest import screenshot
from tests.e2e.test_results_browser import _watch
from tests.progress.support import team
from tests.web.conftest import PASSWORD, Cast, Site
from tests.web.progress_support import answered, series_org
from tests.workshops.support import answered_assessment, reassessed_after_commitments

pytestmark = pytest.mark.browser


def _sign_in(page: Any, live_url: str, email: str) -> None:
    page.goto(f"{live_url}/signin")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_url}/")


def _trends(page: Any) -> list[dict[str, Any]]:
    """Per trend chart: whether it was drawn, how many points its SVG holds, and its width."""
    page.wait_for_function(
        """() => Array.from(document.querySelectorAll("[data-chart]"))
            .every(box => box.classList.contains("chart-rendered") || box.classList.contains("chart-failed"))""",
        timeout=15_000,
    )
    found: list[dict[str, Any]] = page.evaluate(
        """() => Array.from(document.querySelectorAll('[data-chart^="chart-trend-"]')).map(box => {
            const svg = box.querySelector("svg");
            return {
                id: box.getAttribute("data-chart"),
                rendered: box.classList.contains("chart-rendered"),
                points: box.querySelectorAll("svg .mark-symbol path").length,
                width: svg ? Math.round(svg.getBoundingClientRect().width) : 0,
            };
        })"""
    )
    return found


def _answer_and_close(site: Site, cast: Cast, assessment_id: int, level: float, day: date) -> None:
    facilitator = Actor(cast.facilitator)
    with transaction(site.sessions) as db:
        found = assessments.get(db, facilitator, assessment_id)
        assessments.set_status(db, facilitator, assessment_id, "open")
        assessments.store_responses(db, found, team(assessments.framework_of(found), 12, level, seed=9), {})
        assessments.set_status(db, facilitator, assessment_id, "closed")
        row = db.get(Assessment, assessment_id)
        assert row is not None
        row.closed_at = row.closed_at.replace(year=day.year, month=day.month, day=day.day) if row.closed_at else None


def test_it_reassesses_and_draws_the_trend_in_the_browser(browser: Any, live_url: str, site: Site, cast: Cast) -> None:
    org = series_org(site, cast)
    first = answered(site, cast, org, 0.3, day=date(2025, 2, 1), seed=1, title="Baseline 2025")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems = _watch(page)
    _sign_in(page, live_url, cast.emails["facilitator"])

    page.goto(f"{live_url}/assessments/{first}")
    page.get_by_role("button", name="Re-assess: start the next assessment from this one").click()
    page.wait_for_url(re.compile(r".*/assessments/\d+/progress\?done=reassessed$"))
    new_id = int(re.search(r"/assessments/(\d+)/progress", page.url).group(1))  # type: ignore[union-attr]
    assert new_id != first
    assert "A new draft assessment was started" in page.get_by_role("status").inner_text()
    drawn = _trends(page)
    assert [chart["id"] for chart in drawn][:2] == ["chart-trend-overall", "chart-trend-lead"]
    assert len(drawn) == 7
    assert all(chart["rendered"] and chart["points"] == 1 and chart["width"] > 200 for chart in drawn), drawn

    # The new assessment is answered (higher) and closed a year later: every trend now has two points.
    _answer_and_close(site, cast, new_id, 0.8, date(2026, 2, 1))
    page.reload()
    drawn = _trends(page)
    assert all(chart["rendered"] and chart["points"] == 2 for chart in drawn), drawn
    assert page.locator("style").count() == 0
    screenshot(page, "progress-series")

    # In German the charts are named, labelled and dated in German: the accessible name charts.js gives each SVG,
    # and the time axis's months as Babel writes them (the page's locale block, i18n/formats.py: d3_time_locale),
    # as the tables do: "Okt. 2025", "Juni 2025", not Oct 2025 nor d3's own "Okt 2025", "Jun 2025".
    page.goto(f"{live_url}/assessments/{new_id}/progress?lang=de")
    assert all(chart["rendered"] and chart["points"] == 2 for chart in _trends(page))
    overall = page.locator('[data-chart="chart-trend-overall"] svg')
    assert (overall.get_attribute("aria-label") or "").startswith(
        "Verlauf des Werts „Gesamt“ über die Reihe: 01.02.2025 "
    )
    texts = page.locator('[data-chart="chart-trend-overall"] svg text').all_text_contents()
    babel = {format_date(date(y, m, 1), "MMM y", locale="de") for y in (2025, 2026) for m in range(1, 13)}
    ticks = [t for t in texts if re.fullmatch(r"\S+ 20\d\d", t)]
    assert len(ticks) >= 3, texts
    assert all(t in babel for t in ticks), (ticks, sorted(babel))
    assert not re.search(r"\b(Mar|May|Oct|Dec) 2025\b", " ".join(texts)), texts
    screenshot(page, "progress-series-de")
    page.goto(f"{live_url}/assessments/{new_id}/progress?lang=en")

    page.get_by_role("button", name="Compare").click()
    page.wait_for_url(re.compile(rf".*/assessments/{first}/compare/{new_id}$"))
    assert page.get_by_role("heading", name=re.compile("Progress: Baseline 2025")).is_visible()
    page.wait_for_selector('[data-chart="chart-change"].chart-rendered svg', timeout=15_000)
    verdicts = page.locator("#changes-table tbody .verdict").all_inner_texts()
    assert len(verdicts) == 6
    assert verdicts.count("improved") >= 5
    screenshot(page, "progress-compare")
    # In German the charts' own numbers (axis ticks, legends) are written as the tables beside them: charts.js takes
    # the number locale the server wrote into the page from Babel's signs (a no-break space before "%").
    page.goto(f"{live_url}/assessments/{new_id}/results?lang=de")
    page.wait_for_selector("[data-chart].chart-rendered svg", timeout=15_000)
    chart_texts = " ".join(page.locator("[data-chart] svg text").all_text_contents())
    assert re.search("\\b100\u00a0%", chart_texts), chart_texts  # the fulfilment legend, drawn by Vega
    assert not re.search(r"\d%", chart_texts), chart_texts
    page.goto(f"{live_url}/assessments/{new_id}/results?lang=en")
    assert problems == []
    context.close()


def test_the_commitments_of_a_re_assessment_fit_a_german_phone(
    browser: Any, live_url: str, site: Site, cast: Cast
) -> None:
    """German headers and the "kept?" choices are wider than the English: the commitments table pushed a 375 px
    phone sideways until it scrolled in its own region, as every wide table does."""
    first = answered_assessment(site, cast, "Commitments on a phone")
    later = reassessed_after_commitments(site, cast, first, "Commitments on a phone, again")
    context = browser.new_context(viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True)
    page = context.new_page()
    _sign_in(page, live_url, cast.emails["facilitator"])
    page.goto(f"{live_url}/assessments/{later}/progress?lang=de")
    page.wait_for_selector("#commitments-table")
    extra = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    page.goto(f"{live_url}/?lang=en")
    context.close()
    assert extra <= 0, f"{extra} px too wide"
