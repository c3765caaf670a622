"""The answer counts kept at import (``outcome_count``) equal counts taken from the stored responses themselves, after
imports, re-imports that change answers, failed imports and removed imports, on SQLite and PostgreSQL.

The files are SYNTHETIC: random answers (some empty, some out of a segment or a date) drawn with a fixed seed.
"""

from __future__ import annotations

import random
import secrets
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from cxmaturity.outcomes import ColumnMapping
from cxmaturity.services import organizations, outcomes
from cxmaturity.services.access import Actor
from cxmaturity.services.errors import Invalid
from cxmaturity.services.outcomes_store import answer_counts, count_responses, scales_in_use
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import OutcomeCount, SurveyResponse
from tests.support.site import Cast, Site

HEADER = "ResponseId,Date,Segment,Recommend,Satisfaction,Effort\n"


def _mapping(csat_scale: int) -> ColumnMapping:
    return ColumnMapping(
        response_id="ResponseId",
        submitted_at="Date",
        segment="Segment",
        nps="Recommend",
        csat="Satisfaction",
        csat_scale=csat_scale,
        ces="Effort",
        ces_scale=7,
    )


def _synthetic_file(path: Path, ids: range, seed: int, csat_scale: int = 5) -> Path:
    """SYNTHETIC responses with random answers; a sixth of the cells of each kind left empty."""
    rng = random.Random(seed)

    def maybe(value: object) -> str:
        return "" if rng.random() < 1 / 6 else str(value)

    lines = [
        ",".join(
            (
                f"R{i}",
                maybe(f"2026-{rng.randint(1, 4):02d}-{rng.randint(1, 28):02d} 12:00:00"),
                maybe(rng.choice(["North", "South", "Online"])),
                maybe(rng.randint(0, 10)),
                maybe(rng.randint(1, csat_scale)),
                maybe(rng.randint(1, 7)),
            )
        )
        for i in ids
    ]
    path.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def _import(site: Site, cast: Cast, org: int, path: Path, csat_scale: int = 5) -> None:
    outcomes.import_survey_file(site.sessions, Actor(cast.facilitator), org, path, _mapping(csat_scale))


def _from_rows(site: Site, org: int) -> Counter[tuple[str, int, str | None, str, int]]:
    """Every answer counted from the stored responses, one by one (the oracle)."""
    counted: Counter[tuple[str, int, str | None, str, int]] = Counter()
    with site.sessions() as db:
        for r in db.scalars(select(SurveyResponse).where(SurveyResponse.organization_id == org)):
            if r.nps is not None:
                counted["nps", 10, r.month, r.segment, r.nps] += 1
            if r.csat is not None and r.csat_scale is not None:
                counted["csat", r.csat_scale, r.month, r.segment, r.csat] += 1
            if r.ces is not None and r.ces_scale is not None:
                counted["ces", r.ces_scale, r.month, r.segment, r.ces] += 1
    return counted


def _from_counts(site: Site, org: int) -> Counter[tuple[str, int, str | None, str, int]]:
    """The same, as the service reads them from the kept counts."""
    counted: Counter[tuple[str, int, str | None, str, int]] = Counter()
    with site.sessions() as db:
        for c in answer_counts(db, org, "nps"):
            counted["nps", 10, c.period, c.segment, c.answer] += c.count
        for metric in ("csat", "ces"):
            for scale, _ in scales_in_use(db, org, metric):
                for c in answer_counts(db, org, metric, scale=scale):
                    counted[metric, scale, c.period, c.segment, c.answer] += c.count
    return counted


def _check(site: Site, org: int) -> None:
    with site.sessions() as db:
        stored = db.scalar(select(SurveyResponse.organization_id).where(SurveyResponse.organization_id == org).limit(1))
        total = len(db.scalars(select(SurveyResponse.response_id).where(SurveyResponse.organization_id == org)).all())
        assert count_responses(db, org) == total
        # No count is kept at zero: a cell every response left is gone.
        assert db.scalar(select(OutcomeCount.id).where(OutcomeCount.count <= 0)) is None
        if stored is None:
            assert db.scalar(select(OutcomeCount.id).where(OutcomeCount.organization_id == org)) is None
    assert _from_counts(site, org) == _from_rows(site, org)


def test_kept_counts_equal_counts_of_the_stored_rows_through_reimports_and_removals(
    site: Site, cast: Cast, tmp_path: Path
) -> None:
    with transaction(site.sessions) as db:
        org = organizations.create(db, Actor(cast.facilitator), f"Counts {secrets.token_hex(3)}").id
        other = organizations.create(db, Actor(cast.facilitator), f"Counts {secrets.token_hex(3)}").id
    _import(site, cast, other, _synthetic_file(tmp_path / "other.csv", range(0, 50), seed=9))
    first = _synthetic_file(tmp_path / "first.csv", range(0, 400), seed=1)
    _import(site, cast, org, first)
    _check(site, org)
    assert sum(_from_rows(site, org).values()) > 0
    # Half of the responses again with other answers, segments and months, and new ones on a 1-7 CSAT question.
    _import(site, cast, org, _synthetic_file(tmp_path / "second.csv", range(200, 700), seed=2, csat_scale=7), 7)
    _check(site, org)
    with site.sessions() as db:
        assert [s for s, _ in scales_in_use(db, org, "csat")] == [7, 5]
    # A file with an error stores nothing and counts nothing.
    bad = _synthetic_file(tmp_path / "bad.csv", range(600, 900), seed=3)
    bad.write_text(bad.read_text(encoding="utf-8") + "R9999,2026-01-01,North,11,3,3\n", encoding="utf-8")
    before = _from_counts(site, org)
    with pytest.raises(Invalid):
        _import(site, cast, org, bad)
    assert _from_counts(site, org) == before
    _check(site, org)
    # The same file twice changes nothing.
    _import(site, cast, org, _synthetic_file(tmp_path / "second.csv", range(200, 700), seed=2, csat_scale=7), 7)
    assert _from_counts(site, org) == before
    # Removing the first import takes off the responses it still holds (0-199), and nothing else.
    with site.sessions() as db:
        sources = outcomes.sources(db, Actor(cast.facilitator), org)
    for source in sorted(sources, key=lambda s: s.id):
        with transaction(site.sessions) as db:
            outcomes.delete_source(db, Actor(cast.facilitator), org, source.id)
        _check(site, org)
    with site.sessions() as db:
        assert count_responses(db, org) == 0
        assert count_responses(db, other) == 50
    _check(site, other)
