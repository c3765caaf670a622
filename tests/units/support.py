"""A campaign to test against: a small company tree with answers per unit (synthetic, labelled so)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy.orm import Session

from cxmaturity.demo import demo_responses
from cxmaturity.services import assessments, campaigns, units
from cxmaturity.services.access import Actor
from cxmaturity.storage.tables import Assessment


@dataclass
class Company:
    organization: int
    top: int
    north: int
    south: int
    n1: int
    n2: int
    s1: int


def company(db: Session, actor: Actor, organization_id: int) -> Company:
    """Company > North > (N1, N2), Company > South > S1; names unique per call."""
    tag = secrets.token_hex(3)
    top = units.create(db, actor, organization_id, f"Company {tag}")
    north = units.create(db, actor, organization_id, "North", top.id)
    south = units.create(db, actor, organization_id, "South", top.id)
    n1 = units.create(db, actor, organization_id, "Store N1", north.id)
    n2 = units.create(db, actor, organization_id, "Store N2", north.id)
    s1 = units.create(db, actor, organization_id, "Store S1", south.id)
    return Company(organization_id, top.id, north.id, south.id, n1.id, n2.id, s1.id)


def campaign(
    db: Session,
    actor: Actor,
    where: Company,
    answers: dict[int, tuple[int, int]],
    *,
    goals: dict[int, int | None] | None = None,
    title: str = "Campaign",
) -> Assessment:
    """A campaign over the stores with ``answers[unit] = (independent, held)`` respondents each."""
    created = assessments.create(db, actor, where.organization, title, "builtin:four-competencies")
    db.flush()
    chosen = goals if goals is not None else dict.fromkeys((where.n1, where.n2, where.s1))
    campaigns.set_units(db, actor, created.id, chosen)
    fw = assessments.framework_of(created)
    for n, (unit, (independent, held)) in enumerate(answers.items()):
        for count, is_held in ((independent, False), (held, True)):
            if count:
                responses = demo_responses(fw, seed=unit * 10 + n + int(is_held), groups=(("", 0.0, count),))
                assessments.store_responses(db, created, responses, {}, "link", held=is_held, unit_id=unit)
    return created
