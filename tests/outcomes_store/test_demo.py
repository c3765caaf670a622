"""The demo holds SYNTHETIC customer outcomes, labelled, so that a new user sees the scorecard with ``make run``."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from cxmaturity.demo_site import seed
from cxmaturity.services import scorecard
from cxmaturity.services.access import Actor
from cxmaturity.storage.tables import OutcomeSource, User
from tests.support.demo import DemoDatabase


def test_the_demo_scorecard_shows_maturity_outcomes_and_the_asset_labelled_synthetic(
    demo_database: DemoDatabase,
) -> None:
    sessions, site = demo_database.sessions, demo_database.site
    seed(sessions)  # a second start reuses the data: nothing is imported twice
    with sessions() as db:
        kinds = sorted(s.kind for s in db.scalars(select(OutcomeSource)))
        assert kinds == ["customers", "operational", "survey"]
        assert all(s.synthetic for s in db.scalars(select(OutcomeSource)))
        user = db.scalar(select(User.id).where(User.email == site.email))
        assert user is not None
        card = scorecard.scorecard(db, Actor(user), site.organization_id, today=date.today())
    assert card.synthetic
    # Every demo assessment with answers: the leadership team's closed one and the two waves of the store campaign
    # (demo_units.py); the open one has no answers yet. All of them SYNTHETIC.
    assert len(card.maturity) == 3
    assert card.maturity[0].assessment_id == site.closed_assessment_id
    assert all(point.competencies and point.synthetic for point in card.maturity)
    keys = [line.key for line in card.metrics]
    assert keys[:4] == ["nps", "csat", "ces", "retention"]
    assert any(k.startswith("operational:") for k in keys)
    nps = card.metrics[0]
    assert len(nps.points) >= 8
    assert all(p.interval is not None for p in nps.points)
    assert card.asset is not None
    assert card.asset.withheld_segments == 0
