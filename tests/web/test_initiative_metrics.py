"""A plan initiative's success measure tied to an outcome metric, on both databases: set through the API and the
plan page, with the baseline taken when planned, the latest value and the progress toward the target."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from cxmaturity.outcomes import ColumnMapping
from cxmaturity.services import initiative_metrics, outcomes, plans
from cxmaturity.services.access import Actor
from cxmaturity.services.errors import Forbidden, NotFound
from cxmaturity.storage.database import transaction
from tests.web.conftest import Cast, Site
from tests.web.test_plans_api import Api
from tests.web.test_reports_pages import demo_assessment

SURVEY = "ResponseId,Date,Recommend\n" + "".join(
    f"R{i},{2025 if i < 40 else 2026}-0{1 + i % 3}-15,{(i % 11) if i < 40 else 9 + i % 2}\n" for i in range(80)
)


def _planned(site: Site, cast: Cast, tmp_path: Path) -> tuple[int, int, str]:
    org, assessment = demo_assessment(site, cast, f"Initiative metrics {secrets.token_hex(3)}", plan=True)
    path = tmp_path / "survey.csv"
    path.write_text(SURVEY, encoding="utf-8")
    mapping = ColumnMapping(response_id="ResponseId", submitted_at="Date", nps="Recommend")
    outcomes.import_survey_file(site.sessions, Actor(cast.facilitator), org, path, mapping)
    with site.sessions() as db:
        saved = plans.latest(db, Actor(cast.facilitator), assessment)
        assert saved is not None
        return org, assessment, saved.plan.initiatives[0].key


def test_it_ties_an_initiative_to_nps_and_shows_how_it_moved(site: Site, cast: Cast, tmp_path: Path) -> None:
    _, assessment, key = _planned(site, cast, tmp_path)
    api = Api(site, cast.facilitator)
    found = api(
        "PUT",
        f"/assessments/{assessment}/success-measures/{key}",
        {"metric": "nps", "target": 60, "baseline": 0},
    )
    assert found.status_code == 200, found.text
    (row,) = found.json()
    assert (row["initiative"], row["metric"], row["baseline"], row["target"]) == (key, "nps", 0, 60)
    assert row["current_period"] == "2026-Q1"
    assert row["current"] == 100.0  # every 2026 response is a promoter
    assert row["moved"] == 100.0
    assert row["progress"] == pytest.approx(100 / 60)
    for where in ("plan", "progress"):
        page = site.client(cast.viewer).get(f"/assessments/{assessment}/{where}")
        assert 'id="initiative-metrics"' in page.text, where
        assert "+100.0" in page.text, where
    assert api("DELETE", f"/assessments/{assessment}/success-measures/{key}").status_code == 204
    assert api("GET", f"/assessments/{assessment}/success-measures").json() == []


def test_viewers_cannot_tie_and_unknown_initiatives_are_refused(site: Site, cast: Cast, tmp_path: Path) -> None:
    _, assessment, key = _planned(site, cast, tmp_path)
    with transaction(site.sessions) as db:
        with pytest.raises(Forbidden):
            initiative_metrics.set_metric(db, Actor(cast.viewer), assessment, key, "nps", 50)
        with pytest.raises(NotFound):
            initiative_metrics.set_metric(db, Actor(cast.facilitator), assessment, "no-such-initiative", "nps", 50)
        with pytest.raises(NotFound):
            initiative_metrics.views(db, Actor(cast.outsider), assessment)
