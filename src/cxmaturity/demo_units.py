"""The demo's units: a SYNTHETIC company tree (3 regions of 3 stores), and two waves of a store campaign over it
with response-rate goals, so that roll-ups, withheld units, goals and units over time all show (docs/units.md)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cxmaturity.demo import SYNTHETIC_LABEL, demo_responses
from cxmaturity.services import assessments, campaigns, progress, units
from cxmaturity.services.access import Actor
from cxmaturity.storage.tables import Unit

#: The campaign runs a framework of its own, so it forms its own series beside the leadership team's.
FRAMEWORK = "four-competencies"
#: Region, then its stores with (respondents, extra invitations not finished) in the first wave. "Lyon" has two
#: respondents: withheld, and "Paris" with it, so that Lyon cannot be worked out as France minus Paris.
TREE: dict[str, dict[str, tuple[int, int]]] = {
    "France": {"Paris": (9, 3), "Lyon": (2, 4), "Lille": (0, 0)},
    "Germany": {"Berlin": (8, 2), "Hamburg": (6, 6), "Munich": (7, 1)},
    "Spain": {"Madrid": (10, 2), "Barcelona": (5, 5), "Valencia": (4, 1)},
}


def has_units(db: Session, organization_id: int) -> bool:
    return bool(db.scalar(select(func.count()).where(Unit.organization_id == organization_id)))


def seed(db: Session, actor: Actor, organization_id: int) -> int:
    """Create the unit tree and two closed campaign waves; return the second wave's id."""
    top = units.create(db, actor, organization_id, "Example Retail Co.", key="CO")
    stores: dict[str, int] = {}
    for region, shops in TREE.items():
        parent = units.create(db, actor, organization_id, region, top.id, key=region[:2].upper())
        for shop in shops:
            stores[shop] = units.create(db, actor, organization_id, f"{shop} store", parent.id, key=shop[:3].upper()).id
    first = _wave(db, actor, organization_id, stores, f"Store roll-out, first wave ({SYNTHETIC_LABEL})")
    second = progress.reassess(db, actor, first, title=f"Store roll-out, second wave ({SYNTHETIC_LABEL})")
    second.synthetic = True
    db.flush()
    _answer(db, actor, second.id, stores, lift=0.4)
    return second.id


def _wave(db: Session, actor: Actor, organization_id: int, stores: dict[str, int], title: str) -> int:
    created = assessments.create(db, actor, organization_id, title, f"builtin:{FRAMEWORK}", synthetic=True)
    db.flush()
    goals: dict[int, int | None] = dict.fromkeys(stores.values(), 70)
    campaigns.set_units(db, actor, created.id, goals)
    _answer(db, actor, created.id, stores, lift=0.0)
    return created.id


def _answer(db: Session, actor: Actor, assessment_id: int, stores: dict[str, int], lift: float) -> None:
    """Answer every store's SYNTHETIC respondents (as if invited by e-mail), add unfinished invitations, close."""
    assessment = assessments.get(db, actor, assessment_id)
    fw = assessments.framework_of(assessment)
    assessments.set_status(db, actor, assessment_id, "open")
    seed = 30
    for shops in TREE.values():
        for shop, (answered, waiting) in shops.items():
            seed += 1
            unit = stores[shop]
            if answered:
                responses = demo_responses(fw, seed=seed, groups=(("", lift, answered),))
                assessments.store_responses(db, assessment, responses, {}, "link", held=False, unit_id=unit)
            if waiting:
                assessments.create_invitations(db, actor, assessment_id, None, waiting, unit_id=unit)
    assessments.set_status(db, actor, assessment_id, "closed")
