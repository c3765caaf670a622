"""Progress pages on SQLite and PostgreSQL: re-assessing from the overview, the series with its trend charts, comparing
two assessments with verdicts, targets and the plan's initiatives, statuses, roles, CSRF and bad pairs."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from typing import Any

import yaml
from sqlalchemy import select

from cxmaturity.frameworks import load_builtin
from cxmaturity.services import assessments, plans
from cxmaturity.services import progress as series_service
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import Assessment, AuditEvent, InitiativeStatus, PlanSettings
from tests.progress.support import edited, team
from tests.web.conftest import Cast, Site
from tests.web.progress_support import answered, series_org

DATA_BLOCK = re.compile(r'<script type="application/json" id="(chart-[a-z0-9-]+)">(.*?)</script>', re.S)
JAN_2025, JAN_2026 = date(2025, 1, 15), date(2026, 1, 15)


def _text(html: str) -> str:
    without_scripts = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", without_scripts))


def _pair(site: Site, cast: Cast, *, targets: dict[str, str] | None = None) -> tuple[int, int]:
    """Two closed assessments of a new series: a year apart, the later one clearly higher."""
    org = series_org(site, cast)
    first = answered(site, cast, org, 0.3, day=JAN_2025, seed=1, targets=targets, title="Baseline 2025")
    second = answered(site, cast, org, 0.8, day=JAN_2026, seed=2, title="Follow-up 2026")
    return first, second


def test_it_reassesses_from_the_overview_with_groups_targets_and_plan_settings(site: Site, cast: Cast) -> None:
    org = series_org(site, cast)
    first = answered(site, cast, org, 0.4, day=JAN_2025, targets={"lead": "scale"})
    with transaction(site.sessions) as db:
        current = plans.settings(db, Actor(cast.facilitator), first)
        plans.set_settings(
            db, Actor(cast.facilitator), first, plans.Settings(horizon=6, budget=5000.0, must_not=("a-ld-1a",))
        )
        assert current.horizon == plans.DEFAULT_HORIZON
    client = site.client(cast.facilitator)
    overview = client.get(f"/assessments/{first}").text
    assert f'action="/assessments/{first}/reassess"' in overview
    response = client.submit(f"/assessments/{first}", f"/assessments/{first}/reassess")
    assert response.status_code == 303
    new_id = int(re.fullmatch(r"/assessments/(\d+)/progress\?done=reassessed", response.headers["location"]).group(1))  # type: ignore[union-attr]
    with site.sessions() as db:
        old, new = db.get(Assessment, first), db.get(Assessment, new_id)
        assert old is not None
        assert new is not None
        assert new.previous_id == first
        assert new.status == "draft"
        assert new.organization_id == org
        assert (new.framework_id, new.framework_version) == (old.framework_id, old.framework_version)
        assert new.targets == {"lead": "scale"}
        assert new.min_group_size == old.min_group_size
        assert [g.name for g in assessments.groups(db, new_id)] == ["Leadership", "Operations"]
        carried = db.scalar(select(PlanSettings).where(PlanSettings.assessment_id == new_id))
        assert carried is not None
        assert (carried.horizon, carried.budget, carried.must_not) == (6, 5000.0, ["a-ld-1a"])
        event = db.scalar(
            select(AuditEvent).where(AuditEvent.action == "assessment.reassess", AuditEvent.target == str(new_id))
        )
        assert event is not None
        assert event.user_id == cast.facilitator
        assert event.detail["previous"] == first
    page = client.get(response.headers["location"])
    assert page.status_code == 200
    assert "A new draft assessment was started from the previous one" in page.text
    # The series now holds both; the draft has no answers yet, so a comparison judges nothing.
    assert "not assessed: no usable answers yet" in _text(page.text)
    compared = client.get(f"/assessments/{first}/compare/{new_id}")
    assert compared.status_code == 200
    assert "Compared 0 of 6 competencies." in _text(compared.text)
    assert 'class="verdict verdict-improved"' not in compared.text


def test_it_refuses_a_reassessment_to_viewers_and_without_the_form_token(site: Site, cast: Cast) -> None:
    org = series_org(site, cast)
    first = answered(site, cast, org, 0.4, day=JAN_2025)
    viewer = site.client(cast.viewer)
    assert 'action="/assessments/' + str(first) + '/reassess"' not in viewer.get(f"/assessments/{first}").text
    assert viewer.submit(f"/assessments/{first}", f"/assessments/{first}/reassess").status_code == 403
    facilitator = site.client(cast.facilitator)
    assert facilitator.post(f"/assessments/{first}/reassess", data={"csrf_token": "wrong"}).status_code == 403
    outsider = site.client(cast.outsider)
    assert outsider.submit("/", f"/assessments/{first}/reassess").status_code == 404
    with site.sessions() as db:
        assert db.scalar(select(Assessment.id).where(Assessment.previous_id == first)) is None


def test_it_shows_the_series_with_a_trend_chart_per_competency(site: Site, cast: Cast) -> None:
    first, second = _pair(site, cast, targets={"lead": "embed"})
    response = site.client(cast.viewer).get(f"/assessments/{second}/progress")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "private, no-store"
    page = response.text
    text = _text(page)
    # Days as English writes them (Babel's medium format), in the table and the compare form alike.
    assert "Jan 15, 2025 Baseline 2025" in text
    assert "Jan 15, 2026 Follow-up 2026" in text
    assert "Jan 15, 2025 · Baseline 2025" in text
    specs = {m.group(1): json.loads(m.group(2)) for m in DATA_BLOCK.finditer(page)}
    assert set(specs) == {
        "chart-trend-overall",
        *(f"chart-trend-{k}" for k in ("lead", "realize", "activate", "enlighten", "respond", "disrupt")),
    }
    lead = specs["chart-trend-lead"]
    days = [row["day"] for row in lead["data"]["values"]]
    assert days == ["2025-01-15", "2026-01-15"]
    scores = [row["score"] for row in lead["data"]["values"]]
    assert scores[1] > scores[0]
    assert all(row["lower"] <= row["score"] <= row["upper"] for row in lead["data"]["values"])
    # The latest assessment's target (the default: its next stage) is drawn as a dashed rule.
    assert any(layer["mark"].get("strokeDash") for layer in lead["layer"])
    assert "<script>" not in page.replace('<script type="application/json"', "").replace("<script src=", "")
    # Compare form: the previous assessment before this one.
    assert f'<option value="{first}" selected>' in page
    assert f'<option value="{second}" selected>' in page


def test_a_german_series_page_has_german_charts_and_german_days(site: Site, cast: Cast) -> None:
    _, second = _pair(site, cast, targets={"lead": "embed"})
    page = site.client(cast.viewer).get(f"/assessments/{second}/progress?lang=de").text
    text = _text(page)
    assert "15.01.2025 Baseline 2025" in text
    assert "15.01.2026 · Follow-up 2026" in text
    assert "2025-01-15" not in text
    specs = {m.group(1): json.loads(m.group(2)) for m in DATA_BLOCK.finditer(page)}
    overall, lead = specs["chart-trend-overall"], specs["chart-trend-lead"]
    # The accessible name (the spec's description, which charts.js gives the SVG), with German days and decimals.
    assert overall["description"].startswith("Verlauf des Werts „Gesamt“ über die Reihe: 15.01.2025 ")
    assert re.search(r"15\.01\.2026 \d,\d\d \(", overall["description"])
    assert not re.search(r"\d\.\d\d \(", lead["description"])
    assert "Ziel: Stufe" in lead["description"]
    # Axis titles, tooltips and the target's label.
    layers = lead["layer"]
    assert layers[1]["encoding"]["y"]["title"] == "Wert (ganzzahliger Teil = Stufe)"
    tooltip = {t["field"]: t["title"] for t in layers[2]["encoding"]["tooltip"]}
    assert tooltip["assessment"] == "Bewertung"
    assert tooltip["day_text"] == "Tag"
    assert tooltip["lower"] == "Intervall von"
    assert [row["day_text"] for row in lead["data"]["values"]] == ["15.01.2025", "15.01.2026"]
    assert layers[3]["data"]["values"][0]["label"].startswith("Ziel: Stufe ")
    # The figures' titles and captions beside the charts.
    assert "Der Gesamtwert jeder Bewertung an ihrem Tag" in text
    for english in ("Trend of the", "Interval from", "Framework version", "Target: stage", "Overall"):
        assert english not in json.dumps(specs, ensure_ascii=False), english


def test_it_compares_two_assessments_with_honest_verdicts(site: Site, cast: Cast) -> None:
    first, second = _pair(site, cast, targets={"lead": "embed", "realize": "initiate"})
    client = site.client(cast.viewer)
    assert client.get(f"/assessments/{second}/compare?before={first}&after={second}").headers["location"] == (
        f"/assessments/{first}/compare/{second}"
    )
    # An address the other way round leads to the page read from the earlier to the later.
    backwards = client.get(f"/assessments/{second}/compare/{first}")
    assert backwards.status_code == 303
    assert backwards.headers["location"] == f"/assessments/{first}/compare/{second}"
    response = client.get(f"/assessments/{first}/compare/{second}")
    assert response.status_code == 200, response.text
    page = response.text
    text = _text(page)
    assert "Progress: Baseline 2025 → Follow-up 2026" in text
    assert "Compared 6 of 6 competencies." in text
    with site.sessions() as db:
        found = series_service.compare(db, Actor(cast.viewer), first, second)
    for change in found.comparison.competencies:
        row = re.search(rf'<tr data-key="{change.key}">(.*?)</tr>', page, re.S)
        assert row, change.key
        assert f'class="verdict verdict-{change.verdict.replace(" ", "-")}"' in row.group(1)
        assert change.difference is not None
        assert f"{change.difference.change:+.2f}" in row.group(1)
    assert [c.verdict for c in found.comparison.competencies].count("improved") >= 5
    # Targets: realize aimed at the second stage and got there; lead aimed at the top.
    targets = {t.competency: t for t in found.review.targets}
    assert targets["realize"].status == "reached"
    assert "reached" in text
    assert "it is a forecast, not a promise" in text
    for t in found.review.targets:
        if t.forecast is not None and t.forecast.reachable and t.forecast.day is not None:
            assert t.forecast.text in text
    assert "The earlier assessment has no saved plan" in text
    chart = dict(DATA_BLOCK.findall(page))["chart-change"]
    assert len(json.loads(chart)["data"]["values"]) == 12


def test_it_tracks_initiative_statuses_and_holds_them_against_the_later_result(site: Site, cast: Cast) -> None:
    first, second = _pair(site, cast)
    with transaction(site.sessions) as db:
        saved = plans.make(db, Actor(cast.facilitator), first)
    keys = [i.key for i in saved.plan.initiatives]
    assert len(keys) >= 2
    client = site.client(cast.facilitator)
    page = client.get(f"/assessments/{first}/progress").text
    assert f'name="status:{keys[0]}"' in page
    form = {f"status:{k}": "planned" for k in keys}
    form[f"status:{keys[0]}"] = "done"
    form[f"status:{keys[1]}"] = "dropped"
    response = client.submit(f"/assessments/{first}/progress", f"/assessments/{first}/initiatives", form)
    assert response.status_code == 303
    assert response.headers["location"] == f"/assessments/{first}/progress?done=statuses#initiatives"
    with site.sessions() as db:
        rows = {
            r.initiative_key: r.status
            for r in db.scalars(select(InitiativeStatus).where(InitiativeStatus.assessment_id == first))
        }
        events = list(
            db.scalars(
                select(AuditEvent).where(AuditEvent.action == "initiative.status", AuditEvent.target == str(first))
            )
        )
    # Only the two changed statuses were written and audited.
    assert rows == {keys[0]: "done", keys[1]: "dropped"}
    assert sorted((e.detail["initiative"], e.detail["before"], e.detail["after"]) for e in events) == sorted(
        [(keys[0], "planned", "done"), (keys[1], "planned", "dropped")]
    )
    compared = _text(client.get(f"/assessments/{first}/compare/{second}").text)
    counts = re.search(r"(\d+) planned, (\d+) in progress, (\d+) done, (\d+) dropped", compared)
    assert counts is not None
    assert counts.groups()[2:] == ("1", "1")
    # A viewer reads the statuses but cannot change them; a wrong status is refused beside the form.
    viewer = site.client(cast.viewer)
    assert 'name="status:' not in viewer.get(f"/assessments/{first}/progress").text
    assert viewer.submit(f"/assessments/{first}/progress", f"/assessments/{first}/initiatives", form).status_code == 403
    bad = client.submit(
        f"/assessments/{first}/progress", f"/assessments/{first}/initiatives", {f"status:{keys[0]}": "finished"}
    )
    assert bad.status_code == 422
    assert "the status must be one of: planned, in progress, done, dropped" in bad.text


def test_it_refuses_to_compare_across_frameworks_or_organizations(site: Site, cast: Cast) -> None:
    org = series_org(site, cast)
    six = answered(site, cast, org, 0.5, day=JAN_2025)
    four = answered(site, cast, org, 0.5, day=JAN_2026, framework="builtin:four-competencies")
    client = site.client(cast.facilitator)
    response = client.get(f"/assessments/{six}/compare/{four}")
    assert response.status_code == 422
    assert "uses the framework xm-six-competencies" in response.text
    assert "only assessments on one framework (a series) can be compared" in response.text
    other_org = series_org(site, cast)
    elsewhere = answered(site, cast, other_org, 0.5, day=JAN_2026)
    response = client.get(f"/assessments/{six}/compare/{elsewhere}")
    assert response.status_code == 422
    assert "belong to different organizations" in response.text
    # Someone outside an organization learns nothing about its assessments.
    assert site.client(cast.outsider).get(f"/assessments/{six}/compare/{elsewhere}").status_code == 404
    assert site.client(cast.outsider).get(f"/assessments/{cast.assessment}/compare/{six}").status_code == 404
    assert client.get(f"/assessments/{six}/compare/{six}").status_code == 422


def _version_2(data: dict[str, Any]) -> None:
    data["version"] = "2.0"
    lead = next(c for c in data["competencies"] if c["key"] == "lead")
    lead["indicators"][0]["text"] = "Our leaders ask about customers in every management meeting."
    activate = next(c for c in data["competencies"] if c["key"] == "activate")
    for ind in activate["indicators"][:3]:
        ind["scale"] = "practice4" if ind["scale"] == "agree5" else "agree5"


def test_it_continues_the_series_on_a_new_framework_version(site: Site, cast: Cast) -> None:
    org = series_org(site, cast)
    first = answered(site, cast, org, 0.3, day=JAN_2025, seed=1, title="On version 1")
    v2 = edited(load_builtin("xm-six-competencies"), _version_2)
    with transaction(site.sessions) as db:
        text = yaml.safe_dump(v2.model_dump(mode="json", exclude_none=True), sort_keys=False)
        uploaded = assessments.upload_framework(db, Actor(cast.facilitator), org, "xm-v2.yaml", text).id
    client = site.client(cast.facilitator)
    page = client.get(f"/assessments/{first}/progress").text
    assert f'<option value="uploaded:{uploaded}">2.0 (uploaded)</option>' in page
    # Another framework id is refused beside the form.
    wrong = client.submit(
        f"/assessments/{first}/progress", f"/assessments/{first}/reassess", {"framework": "builtin:four-competencies"}
    )
    assert wrong.status_code == 422
    assert "a re-assessment continues the series on xm-six-competencies" in wrong.text
    response = client.submit(
        f"/assessments/{first}/progress", f"/assessments/{first}/reassess", {"framework": f"uploaded:{uploaded}"}
    )
    assert response.status_code == 303
    second = int(response.headers["location"].split("/")[2])
    with transaction(site.sessions) as db:
        created = db.get(Assessment, second)
        assert created is not None
        assert created.framework_version == "2.0"
        assessments.set_status(db, Actor(cast.facilitator), second, "open")
        assessments.store_responses(db, created, team(v2, 12, 0.8, seed=2), {})
        assessments.set_status(db, Actor(cast.facilitator), second, "closed")
        created.closed_at = datetime(2026, 1, 15, 12, tzinfo=UTC)
    text = _text(client.get(f"/assessments/{first}/compare/{second}").text)
    assert "The framework changed from version 1.0 to 2.0." in text
    assert "Indicators matched by key: 4 changed." in text
    assert "Compared 5 of 6 competencies." in text
    # The page names the competency as the framework does (the CLI's English note keeps its key).
    assert "Activate is not comparable: only 3 of its 6 indicators are unchanged in substance." in text
    assert "Framework changes: version 1.0 → 2.0" in text
    assert "answer scale changed" in text
    assert "text reworded" in text


def test_it_shows_the_comparison_and_the_series_in_german(site: Site, cast: Cast) -> None:
    first, second = _pair(site, cast, targets={"lead": "embed"})
    client = site.client(cast.viewer)
    compared = _text(client.get(f"/assessments/{first}/compare/{second}?lang=de").text)
    assert "Was verglichen wurde" in compared
    assert "Kompetenzen verglichen." in compared
    assert "Ziele der früheren Bewertung" in compared or "Ziele" in compared
    # The comparison's notes and verdicts are the domain's phrases, rendered in German.
    for english in ("What was compared", "Compared ", "competencies.", "no clear change", "The earlier assessment has"):
        assert english not in compared
    series = _text(client.get(f"/assessments/{second}/progress?lang=de").text)
    assert "Bewertungen der Reihe" in series
    assert "Assessments of the series" not in series
