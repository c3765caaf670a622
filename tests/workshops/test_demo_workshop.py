"""The demo's finished SYNTHETIC workshop: a record with revealed votes, agreed answers, commitments and a next step
in the plan, every text labelled SYNTHETIC."""

from __future__ import annotations

from cxmaturity.demo_site import seed
from cxmaturity.services import plans, workshop_state
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import Assessment, User
from tests.support.demo import DemoDatabase


def test_the_demo_has_a_finished_synthetic_workshop(demo_database: DemoDatabase) -> None:
    sessions, site = demo_database.sessions, demo_database.site
    with transaction(sessions) as db:
        assessment = db.get(Assessment, site.closed_assessment_id)
        assert assessment is not None
        assert assessment.synthetic
        record = workshop_state.record_of(db, assessment)
        assert record is not None
        assert record.status == "finished"
        assert record.participants == 8
        assert [sum(r.values()) for item in record.items for r in item.rounds] == [8, 8, 8]
        assert len(record.agreed) == 2
        assert all("SYNTHETIC" in a.rationale for a in record.agreed)
        assert all("SYNTHETIC" in c.who for c in record.commitments)
        assert record.private_commitments == 1
        assert record.definition.startswith("SYNTHETIC")
        assert workshop_state.as_agreed(db, assessment) is not None
        user = db.query(User).filter(User.email == site.email).one()
        latest = plans.latest(db, Actor(user.id), assessment.id)
        assert latest is not None
        assert any(i.title.startswith("SYNTHETIC: open a customer room") for i in latest.plan.initiatives)
    # Seeding again (a second `cxm demo`) reuses the data: still one workshop.
    seed(sessions)
    with transaction(sessions) as db:
        assessment = db.get(Assessment, site.closed_assessment_id)
        assert assessment is not None
        again = workshop_state.record_of(db, assessment)
        assert again is not None
        assert again.workshop_id == record.workshop_id
