"""What a facilitator reads on one page agrees with the others, on SQLite and PostgreSQL: a score is floored wherever
it is shown (the scorecard, the workshop record and the benchmark said 2.46 where the results said 2.45), a stage is
named as the framework names it (the scorecard showed its key, "initiate"), the SYNTHETIC badge speaks the page's
language, and the results of a closed assessment do not say they are "so far"."""

from __future__ import annotations

import html
import re
import secrets

from cxmaturity.scoring.display import score_text
from cxmaturity.services import assessments, results, workshops
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import Assessment
from tests.support.site import Cast, Site
from tests.web.test_benchmarks_pages import _peers
from tests.web.test_reports_pages import demo_assessment


def _closed_demo(site: Site, cast: Cast) -> tuple[int, int]:
    """A closed SYNTHETIC demo assessment (the demo's answers) with a workshop started on it."""
    org, assessment = demo_assessment(site, cast, f"Pages agree {secrets.token_hex(3)}")
    actor = Actor(cast.facilitator)
    with transaction(site.sessions) as db:
        assessments.set_status(db, actor, assessment, "open")
        assessments.set_status(db, actor, assessment, "closed")
        workshops.start(db, actor, assessment)
    return org, assessment


def _scores(site: Site, assessment: int) -> dict[str, str]:
    """The overall and each competency's score as the results page writes it (floored), by competency name."""
    with site.sessions() as db:
        stored = db.get(Assessment, assessment)
        assert stored is not None
        found = results.results_of(db, stored)
    fw = found.framework
    scores = {fw.text(fw.competency(c.key).name): score_text(c.score) for c in found.result.competencies}
    scores["Overall"] = score_text(found.result.overall.score)
    return scores


def _text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def test_the_scorecard_shows_each_score_and_stage_as_the_results_page_does(site: Site, cast: Cast) -> None:
    org, assessment = _closed_demo(site, cast)
    client = site.client(cast.facilitator)
    scores = _scores(site, assessment)
    results_page = _text(client.get(f"/assessments/{assessment}/results").text)
    for score in scores.values():
        assert score in results_page
    page = client.get(f"/orgs/{org}/scorecard").text
    table = _text(page.split('id="scorecard-maturity"', 1)[1].split("</table>", 1)[0])
    for name, score in scores.items():
        row = table.split(f" {name} ", 1)[1]
        assert re.match(rf"[A-Z][a-z]+ · {re.escape(score)} \(", row), (name, score, row[:60])
    # The chart's text alternative reads the same score.
    assert f": {scores['Overall']} (90% interval" in html.unescape(page)


def test_the_workshop_record_shows_each_score_as_the_results_page_does(site: Site, cast: Cast) -> None:
    _, assessment = _closed_demo(site, cast)
    scores = _scores(site, assessment)
    page = site.client(cast.facilitator).get(f"/assessments/{assessment}/workshop/record").text
    # Its start time names its zone, as every other time the pages show.
    assert re.search(r"started \d+/\d+/\d+, \d+:\d+\s[AP]M UTC", html.unescape(page)), page
    table = _text(page.split('id="as-agreed"', 1)[1].split("</table>", 1)[0])
    for name, score in scores.items():
        if name != "Overall":  # the record names the overall stage only
            assert re.search(rf" {re.escape(name)} [A-Z][a-z]+ \({re.escape(score)}\) ", table), (name, score)


def test_the_benchmark_shows_your_scores_as_the_results_page_does(site: Site) -> None:
    peers = _peers(site, 6)
    own = peers[0]
    scores = _scores(site, own.assessment_id)
    page = site.client(own.owner.user_id).get(f"/assessments/{own.assessment_id}/benchmark").text
    table = _text(page.split('class="results-table"', 1)[1].split("</table>", 1)[0])
    for name, score in scores.items():
        assert re.search(rf" {re.escape(name)} {re.escape(score)} \(", table), (name, score, table)
    # "You are here" names the same interval as the table's overall row (it floored the ends: 1.95 beside 1.96).
    overall = re.search(r" Overall [0-9.]+ \(([0-9.]+)–([0-9.]+)\)", table)
    assert overall, table
    sentence = _text(page.split('id="you-are-here"', 1)[1].split("</p>", 1)[0])
    assert f"interval of your overall score is {overall.group(1)} to {overall.group(2)}" in sentence, sentence


def test_a_german_page_labels_synthetic_data_in_german(site: Site, cast: Cast) -> None:
    org, assessment = _closed_demo(site, cast)
    client = site.client(cast.facilitator)
    for path in (
        f"/orgs/{org}?lang=de",
        f"/orgs/{org}/scorecard",
        f"/assessments/{assessment}/plan",
        f"/assessments/{assessment}/progress",
        f"/assessments/{assessment}/workshop",
        f"/assessments/{assessment}/workshop/record",
    ):
        page = client.get(path).text
        badges = re.findall(r'<span class="badge">(SYNTHE[A-Z]+)</span>', page)
        assert badges, path
        assert set(badges) == {"SYNTHETISCH"}, (path, badges)
    client.get("/?lang=en")


def test_the_results_of_a_closed_assessment_are_not_called_so_far(site: Site, cast: Cast) -> None:
    _, assessment = _closed_demo(site, cast)
    client = site.client(cast.facilitator)
    closed = client.get(f"/assessments/{assessment}/results").text
    assert "scored from every answer given before it closed" in closed
    assert "so far" not in closed
    with transaction(site.sessions) as db:
        assessments.set_status(db, Actor(cast.facilitator), assessment, "open")
    assert "scored from the answers given so far" in client.get(f"/assessments/{assessment}/results").text
