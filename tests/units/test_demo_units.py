"""The demo's SYNTHETIC units: a tree of regions and stores, two closed campaign waves, a withheld store and the one
withheld to protect it, goals met and missed; seeding twice adds nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from cxmaturity.demo_site import seed
from cxmaturity.i18n.phrase import english
from cxmaturity.reporting.units_view import campaign_view
from cxmaturity.services import campaigns, units
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import Assessment, CampaignUnit, Unit, User
from tests.support.demo import DemoDatabase


def test_the_demo_rolls_a_synthetic_store_campaign_up_its_regions(demo_database: DemoDatabase) -> None:
    sessions, site = demo_database.sessions, demo_database.site
    seed(sessions)  # a second start reuses the data
    with transaction(sessions) as db:
        assert db.scalar(select(func.count()).where(Unit.organization_id == site.organization_id)) == 13
        waves = list(
            db.scalars(
                select(Assessment).where(Assessment.id.in_(select(CampaignUnit.assessment_id))).order_by(Assessment.id)
            )
        )
        assert len(waves) == 2
        assert all(w.synthetic and "SYNTHETIC" in w.title for w in waves)
        user = db.scalar(select(User).where(User.email == site.email))
        assert user is not None
        found = campaigns.campaign(db, Actor(user.id), waves[1].id)
        assert found is not None
        view = campaign_view(found)
        rows = {r.label: r for r in view.rows}
        assert "withheld: fewer than" in english(rows["Lyon store"].withheld)
        assert "worked out by subtraction" in english(rows["Paris store"].withheld)
        assert rows["France"].respondents == 11
        assert rows["Paris store"].goal_status == "met"
        assert rows["Lyon store"].goal_status == "below"
        assert len(view.waves) == 2
        assert units.tree_of(db, site.organization_id).path(found.tree.roots()[0]) == "Example Retail Co."
