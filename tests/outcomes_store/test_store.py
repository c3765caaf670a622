"""Stored survey responses on SQLite and PostgreSQL: upserts by response id, all-or-nothing imports, SQL counts."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import pytest
from sqlalchemy import select

from cxmaturity.services import organizations
from cxmaturity.services.access import Actor
from cxmaturity.services.errors import Forbidden, Invalid, NotFound
from cxmaturity.services.outcomes_import import SurveyFile, import_survey
from cxmaturity.services.outcomes_store import answer_counts, count_responses
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import OutcomeSource, SurveyResponse
from tests.support.site import Cast, Site


@dataclass(frozen=True)
class Response:
    response_id: str
    row: int
    submitted_at: datetime | None = None
    segment: str | None = None
    nps: int | None = None
    csat: int | None = None
    ces: int | None = None
    drivers: Mapping[str, float | None] = field(default_factory=dict)


SOURCE = SurveyFile("export.csv", "csv", {"nps": "Q1"}, "ResponseId", csat_scale=5, ces_scale=7)


def _new_org(site: Site, cast: Cast) -> int:
    with transaction(site.sessions) as db:
        return organizations.create(db, Actor(cast.facilitator), f"Outcomes {secrets.token_hex(3)}").id


def test_it_counts_a_file_imported_twice_once_and_keeps_the_later_values(site: Site, cast: Cast) -> None:
    org = _new_org(site, cast)
    first = [Response(f"R{i}", i + 2, datetime(2026, 1, 5), "North", nps=i % 11) for i in range(30)]
    summary = import_survey(site.sessions, Actor(cast.facilitator), org, first, SOURCE)
    assert (summary.responses, summary.added, summary.replaced) == (30, 30, 0)
    changed = [Response(r.response_id, r.row, r.submitted_at, "South", nps=10) for r in first[:10]]
    again = import_survey(site.sessions, Actor(cast.facilitator), org, changed + first[10:], SOURCE)
    assert (again.responses, again.added, again.replaced) == (30, 0, 30)
    with site.sessions() as db:
        assert count_responses(db, org) == 30
        stored = db.get(SurveyResponse, (org, "R0"))
        assert stored is not None
        assert (stored.segment, stored.nps, stored.source_id) == ("South", 10, again.source_id)


def test_a_repeated_response_id_stores_nothing_and_names_file_line_and_column(site: Site, cast: Cast) -> None:
    org = _new_org(site, cast)
    rows = [Response("A", 2, nps=9), Response("B", 3, nps=5), Response("A", 4, nps=7)]
    with pytest.raises(Invalid) as caught:
        import_survey(site.sessions, Actor(cast.facilitator), org, rows, SOURCE)
    assert caught.value.details == ["export.csv:4 column 'ResponseId': response id 'A' repeats the one on line 2"]
    with site.sessions() as db:
        assert count_responses(db, org) == 0
        assert db.scalars(select(OutcomeSource).where(OutcomeSource.organization_id == org)).all() == []


def test_a_failure_while_reading_stores_nothing(site: Site, cast: Cast) -> None:
    org = _new_org(site, cast)

    def broken() -> object:
        yield Response("A", 2, nps=9)
        raise ValueError("the reader gave up")

    with pytest.raises(ValueError, match="gave up"):
        import_survey(site.sessions, Actor(cast.facilitator), org, broken(), SOURCE)  # type: ignore[arg-type]
    with site.sessions() as db:
        assert count_responses(db, org) == 0


def test_only_facilitators_of_the_organization_import(site: Site, cast: Cast) -> None:
    rows = [Response("A", 2, nps=9)]
    with pytest.raises(Forbidden):
        import_survey(site.sessions, Actor(cast.viewer), cast.org_a, rows, SOURCE)
    with pytest.raises(NotFound):
        import_survey(site.sessions, Actor(cast.outsider), cast.org_a, rows, SOURCE)


def test_the_same_response_id_in_two_organizations_is_two_responses(site: Site, cast: Cast) -> None:
    one, two = _new_org(site, cast), _new_org(site, cast)
    for org in (one, two):
        import_survey(site.sessions, Actor(cast.facilitator), org, [Response("R1", 2, nps=9)], SOURCE)
    with site.sessions() as db:
        assert (count_responses(db, one), count_responses(db, two)) == (1, 1)


def test_it_counts_answers_per_month_segment_and_answer_in_sql(site: Site, cast: Cast) -> None:
    org = _new_org(site, cast)
    rows = [
        Response("a", 2, datetime(2026, 1, 31, 23, 59), "North", nps=10, csat=5, ces=2),
        Response("b", 3, datetime(2026, 1, 1, 0, 0), "North", nps=10, csat=4),
        Response("c", 4, datetime(2026, 2, 1, 0, 0), "North", nps=3),
        Response("d", 5, datetime(2026, 2, 14), None, nps=7),
        Response("e", 6, None, "South", nps=0),
    ]
    import_survey(site.sessions, Actor(cast.facilitator), org, rows, SOURCE)
    with site.sessions() as db:
        counts = {(c.period, c.segment, c.answer): c.count for c in answer_counts(db, org, "nps")}
        quarters = {(c.period, c.answer): c.count for c in answer_counts(db, org, "nps", "quarter")}
        csat = answer_counts(db, org, "csat", scale=5)
        other_scale = answer_counts(db, org, "csat", scale=7)
        years = {(c.period, c.answer): c.count for c in answer_counts(db, org, "nps", "year", since="2026-02")}
    assert counts == {
        ("2026-01", "North", 10): 2,
        ("2026-02", "North", 3): 1,
        ("2026-02", "", 7): 1,
        (None, "South", 0): 1,
    }
    assert quarters == {("2026-Q1", 10): 2, ("2026-Q1", 3): 1, ("2026-Q1", 7): 1, (None, 0): 1}
    assert sorted((c.answer, c.count) for c in csat) == [(4, 1), (5, 1)]
    assert other_scale == []
    assert years == {("2026", 3): 1, ("2026", 7): 1}
