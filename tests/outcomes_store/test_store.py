"""Stored survey responses on SQLite and PostgreSQL: upserts by response id, all-or-nothing imports, SQL counts."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from sqlalchemy import select

from cxmaturity.outcomes import ColumnMapping
from cxmaturity.services import organizations, outcomes
from cxmaturity.services.access import Actor
from cxmaturity.services.errors import Forbidden, Invalid, NotFound
from cxmaturity.services.outcomes_import import ImportSummary
from cxmaturity.services.outcomes_store import answer_counts, count_responses
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import OutcomeSource, SurveyResponse
from tests.support.site import Cast, Site

DATA = Path(__file__).parents[1] / "data" / "outcomes"
HEADER = "ResponseId,Date,Segment,Recommend,Satisfaction,Effort,Support\n"
MAPPING = ColumnMapping(
    response_id="ResponseId",
    submitted_at="Date",
    segment="Segment",
    nps="Recommend",
    csat="Satisfaction",
    csat_scale=5,
    ces="Effort",
    ces_scale=7,
    drivers=("Support",),
)


def _new_org(site: Site, cast: Cast) -> int:
    with transaction(site.sessions) as db:
        return organizations.create(db, Actor(cast.facilitator), f"Outcomes {secrets.token_hex(3)}").id


def _file(tmp_path: Path, lines: list[str], name: str = "export.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def _import(site: Site, cast: Cast, org: int, path: Path) -> ImportSummary:
    return outcomes.import_survey_file(site.sessions, Actor(cast.facilitator), org, path, MAPPING)


def test_it_counts_a_file_imported_twice_once_and_keeps_the_later_values(
    site: Site, cast: Cast, tmp_path: Path
) -> None:
    org = _new_org(site, cast)
    lines = [f"R{i},2026-01-05,North,{i % 11},4,6,3" for i in range(30)]
    first = _import(site, cast, org, _file(tmp_path, lines))
    assert (first.responses, first.added, first.replaced) == (30, 30, 0)
    changed = ["R0,2026-02-01,South,10,5,7,5", *lines[1:]]
    again = _import(site, cast, org, _file(tmp_path, changed, "export-2.csv"))
    assert (again.responses, again.added, again.replaced) == (30, 0, 30)
    with site.sessions() as db:
        assert count_responses(db, org) == 30
        stored = db.get(SurveyResponse, (org, "R0"))
        assert stored is not None
        assert (stored.segment, stored.nps, stored.month, stored.answers) == ("South", 10, "2026-02", {"Support": 5.0})
        assert stored.source_id == again.source_id


def test_a_cumulative_export_without_response_ids_adds_only_its_new_rows(
    site: Site, cast: Cast, tmp_path: Path
) -> None:
    org = _new_org(site, cast)
    path = tmp_path / "forms.csv"
    path.write_text("Timestamp,Recommend\n2026/01/05 10:00:00,9\n2026/01/05 10:01:00,3\n", encoding="utf-8")
    mapping = ColumnMapping(nps="Recommend")
    for _ in range(2):
        outcomes.import_survey_file(site.sessions, Actor(cast.facilitator), org, path, mapping)
    with path.open("a", encoding="utf-8") as handle:  # the next export holds the same rows and one more
        handle.write("2026/01/06 09:00:00,10\n")
    later = outcomes.import_survey_file(site.sessions, Actor(cast.facilitator), org, path, mapping)
    assert (later.added, later.replaced) == (1, 2)
    with site.sessions() as db:
        assert count_responses(db, org) == 3


def test_a_file_with_errors_stores_nothing_and_each_problem_names_file_row_and_column(
    site: Site, cast: Cast, tmp_path: Path
) -> None:
    org = _new_org(site, cast)
    lines = ["A,2026-01-05,North,9,4,6,3", "B,2026-01-05,North,9,7,6,3", "A,2026-01-06,North,7,4,6,3"]
    with pytest.raises(Invalid) as caught:
        _import(site, cast, org, _file(tmp_path, lines, "bad.csv"))
    details = caught.value.details
    assert len(details) == 2
    assert details[0].startswith("bad.csv:3 column 'Satisfaction'")
    assert "7" in details[0]
    assert details[1].startswith("bad.csv:4 column 'ResponseId'")
    assert "row 2" in details[1]
    assert str(tmp_path) not in " ".join(details)
    with site.sessions() as db:
        assert count_responses(db, org) == 0
        assert db.scalars(select(OutcomeSource).where(OutcomeSource.organization_id == org)).all() == []


def test_it_imports_a_qualtrics_export_and_skips_unfinished_responses(site: Site, cast: Cast) -> None:
    org = _new_org(site, cast)
    path = DATA / "qualtrics.csv"
    suggestion = outcomes.suggest(path)
    assert suggestion.layout.tool == "qualtrics"
    summary = outcomes.import_survey_file(site.sessions, Actor(cast.facilitator), org, path, suggestion.mapping)
    assert summary.tool == "qualtrics"
    assert summary.added == summary.responses > 0
    with site.sessions() as db:
        assert count_responses(db, org) == summary.responses


def test_only_facilitators_of_the_organization_import(site: Site, cast: Cast, tmp_path: Path) -> None:
    path = _file(tmp_path, ["A,2026-01-05,North,9,4,6,3"])
    with pytest.raises(Forbidden):
        outcomes.import_survey_file(site.sessions, Actor(cast.viewer), cast.org_a, path, MAPPING)
    with pytest.raises(NotFound):
        outcomes.import_survey_file(site.sessions, Actor(cast.outsider), cast.org_a, path, MAPPING)


def test_the_same_response_id_in_two_organizations_is_two_responses(site: Site, cast: Cast, tmp_path: Path) -> None:
    one, two = _new_org(site, cast), _new_org(site, cast)
    path = _file(tmp_path, ["R1,2026-01-05,North,9,4,6,3"])
    for org in (one, two):
        _import(site, cast, org, path)
    with site.sessions() as db:
        assert (count_responses(db, one), count_responses(db, two)) == (1, 1)
        with pytest.raises(NotFound):
            outcomes.summary(db, Actor(cast.outsider), one)


def test_it_counts_answers_per_month_segment_and_answer_in_sql(site: Site, cast: Cast, tmp_path: Path) -> None:
    org = _new_org(site, cast)
    lines = [
        "a,2026-01-31 23:59:00,North,10,5,2,3",
        "b,2026-01-01 00:00:00,North,10,4,,3",
        "c,2026-02-01,North,3,,,3",
        "d,2026-02-14,,7,,,3",
        "e,,South,0,,,3",
    ]
    _import(site, cast, org, _file(tmp_path, lines))
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


def test_the_summary_matches_the_file_read_directly_and_withholds_small_segments(
    site: Site, cast: Cast, tmp_path: Path
) -> None:
    from cxmaturity.outcomes import Scales, SummaryOptions, SurveyReader, Tallies, summarize_tallies

    org = _new_org(site, cast)
    lines = [f"N{i},2026-0{1 + i % 2}-10,North,{i % 11},{1 + i % 5},{1 + i % 7},3" for i in range(40)]
    lines += [f"S{i},2026-01-10,South,{9 + i % 2},5,7,3" for i in range(2)]
    path = _file(tmp_path, lines)
    _import(site, cast, org, path)
    with transaction(site.sessions) as db:
        outcomes.set_min_segment_size(db, Actor(cast.facilitator), org, 5)
    with site.sessions() as db:
        stored = outcomes.summary(db, Actor(cast.viewer if org == cast.org_a else cast.facilitator), org)
    tallies = Tallies(Scales(5, 7))
    for response in SurveyReader(path, MAPPING):
        tallies.add(response)
    direct = summarize_tallies(tallies, SummaryOptions(min_segment_size=5))
    assert stored.responses == direct.responses == 42
    for metric in ("nps", "csat", "ces"):
        assert stored.metrics[metric].overall == direct.metrics[metric].overall
        assert stored.metrics[metric].by_period == direct.metrics[metric].by_period
    shown = {c.segment: c.withheld for c in stored.metrics["nps"].by_segment}
    # South (2 responses) is below 5; North alone would then reveal South by difference, so both are withheld.
    assert shown == {"North": True, "South": True}


def test_a_nul_character_is_refused_by_line_and_nothing_is_stored(site: Site, cast: Cast, tmp_path: Path) -> None:
    org = _new_org(site, cast)
    path = _file(tmp_path, ["A,2026-01-05,North,9,4,6,3", "B\x00C,2026-01-05,North\x00,9,4,6,3"], "nul.csv")
    with pytest.raises(Invalid) as caught:
        _import(site, cast, org, path)
    assert any(d.startswith("nul.csv:3") for d in caught.value.details), caught.value.details
    with site.sessions() as db:
        assert count_responses(db, org) == 0
