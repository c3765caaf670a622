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
