"""A workshop-ready assessment on the test site: SYNTHETIC answers of a 12-person team, open."""

from __future__ import annotations

from dataclasses import dataclass

from cxmaturity.demo import LEADERSHIP_GROUPS, demo_responses
from cxmaturity.services import assessments
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import transaction
from tests.support.site import Cast, Site


@dataclass(frozen=True)
class Answered:
    assessment: int
    facilitator: Actor
    viewer: Actor
    outsider: Actor


def answered_assessment(site: Site, cast: Cast, title: str = "Workshop team") -> Answered:
    facilitator = Actor(cast.facilitator)
    with transaction(site.sessions) as db:
        names = [g for g, _, _ in LEADERSHIP_GROUPS]
        created = assessments.create(db, facilitator, cast.org_a, title, "builtin:xm-six-competencies", groups=names)
        db.flush()
        group_ids = {g.name: g.id for g in assessments.groups(db, created.id)}
        fw = assessments.framework_of(created)
        responses = demo_responses(fw, seed=11, groups=LEADERSHIP_GROUPS)
        assessments.store_responses(db, created, responses, group_ids, source="link", held=False)
        assessments.set_status(db, facilitator, created.id, "open")
        return Answered(created.id, facilitator, Actor(cast.viewer), Actor(cast.outsider))


def reassessed_after_commitments(site: Site, cast: Cast, team: Answered, title: str) -> int:
    """Run a finished workshop on ``team``'s assessment with one public commitment ("Visit five stores", by Anna) and
    one private ("Read every complaint"), then start the re-assessment from it; return the new assessment's id."""
    from cxmaturity.services import workshops
    from cxmaturity.storage.tables import Assessment

    with transaction(site.sessions) as db:
        for running in workshops.of_assessment(db, team.facilitator, team.assessment):
            if running.status == "running":
                workshops.finish(db, team.facilitator, running.id)
        workshop = workshops.start(db, team.facilitator, team.assessment)
        db.flush()
        workshops.commit(db, team.facilitator, workshop.id, "Anna", "Visit five stores", "2099-01-31", "public")
        workshops.commit(db, team.facilitator, workshop.id, "", "Read every complaint", "2099-01-31", "private")
        workshops.finish(db, team.facilitator, workshop.id)
        later = assessments.create(db, team.facilitator, cast.org_a, title, "builtin:xm-six-competencies")
        db.flush()
        row = db.get(Assessment, later.id)
        assert row is not None
        row.previous_id = team.assessment
        return later.id
