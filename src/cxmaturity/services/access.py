"""Who may do what: every query about an organization's data goes through these checks."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxmaturity.i18n import N_
from cxmaturity.i18n.phrase import phrase
from cxmaturity.services.errors import Forbidden, NotFound
from cxmaturity.storage.tables import ROLES, Assessment, Membership, Organization, Unit, UnitLeader


@dataclass(frozen=True)
class Actor:
    """The signed-in user on whose behalf a function runs."""

    user_id: int
    #: The command line's operator (``OPERATOR``): whoever runs ``cxm`` on the server holds the database itself, so
    #: it reads every organization as a viewer would (the same anonymity rules), and may change nothing through a
    #: service (every change needs facilitator or more). No web request ever acts as the operator.
    operator: bool = False


#: The command line's reader (``cxm report`` of a stored assessment): a viewer of every organization, no user.
OPERATOR = Actor(user_id=0, operator=True)


def role_in(db: Session, actor: Actor, organization_id: int) -> str | None:
    if actor.operator:
        return "viewer" if db.get(Organization, organization_id) is not None else None
    return db.scalar(
        select(Membership.role).where(
            Membership.user_id == actor.user_id, Membership.organization_id == organization_id
        )
    )


def require_role(db: Session, actor: Actor, organization_id: int, minimum: str = "viewer") -> str:
    """Return the actor's role in the organization; raise NotFound for outsiders, Forbidden for too low a role."""
    role = role_in(db, actor, organization_id)
    if role is None:
        raise NotFound(N_("no such organization"))
    if ROLES.index(role) < ROLES.index(minimum):
        raise Forbidden(phrase(N_("this needs the %(minimum)s role; you are %(role)s"), minimum=minimum, role=role))
    return role


def organization(db: Session, actor: Actor, organization_id: int, minimum: str = "viewer") -> Organization:
    require_role(db, actor, organization_id, minimum)
    org = db.get(Organization, organization_id)
    if org is None:
        raise NotFound(N_("no such organization"))
    return org


def assessment(db: Session, actor: Actor, assessment_id: int, minimum: str = "viewer") -> Assessment:
    """Return the assessment if the actor may see it (and has at least ``minimum`` role in its organization)."""
    found = db.get(Assessment, assessment_id)
    if found is None or role_in(db, actor, found.organization_id) is None:
        raise NotFound(N_("no such assessment"))
    require_role(db, actor, found.organization_id, minimum)
    return found


def organizations_of(db: Session, actor: Actor) -> list[tuple[Organization, str]]:
    rows = db.execute(
        select(Organization, Membership.role)
        .join(Membership, Membership.organization_id == Organization.id)
        .where(Membership.user_id == actor.user_id)
        .order_by(Organization.name)
    ).all()
    return [(org, role) for org, role in rows]


#: The least access to a unit: any member of its organization, or a leader of the unit or of a unit above it.
LEADER = "leader"


def led_units(db: Session, actor: Actor, organization_id: int | None = None) -> list[Unit]:
    """Return the units the actor leads (in one organization, or in all)."""
    query = select(Unit).join(UnitLeader, UnitLeader.unit_id == Unit.id).where(UnitLeader.user_id == actor.user_id)
    if organization_id is not None:
        query = query.where(Unit.organization_id == organization_id)
    return list(db.scalars(query.order_by(Unit.name, Unit.id)))


def leads(db: Session, actor: Actor, unit: Unit) -> bool:
    """Whether the actor leads the unit or a unit above it (a leader sees their unit and below, not their siblings)."""
    led = {u.id for u in led_units(db, actor, unit.organization_id)}
    if not led:
        return False
    parents = dict(
        db.execute(select(Unit.id, Unit.parent_id).where(Unit.organization_id == unit.organization_id)).all()
    )
    current: int | None = unit.id
    seen: set[int] = set()
    while current is not None and current not in seen:
        if current in led:
            return True
        seen.add(current)
        current = parents.get(current)
    return False


def unit(db: Session, actor: Actor, unit_id: int, minimum: str = LEADER) -> Unit:
    """Return the unit if the actor may see it: a member of its organization with at least ``minimum`` role, or, when
    ``minimum`` is LEADER, also a leader of it or of a unit above it. Others get NotFound; a leader asking for more
    than reading gets Forbidden."""
    found = db.get(Unit, unit_id)
    if found is None:
        raise NotFound(N_("no such unit"))
    role = role_in(db, actor, found.organization_id)
    if role is None:
        if not leads(db, actor, found):
            raise NotFound(N_("no such unit"))
        if minimum != LEADER:
            raise Forbidden(phrase(N_("this needs the %(minimum)s role; you lead this unit"), minimum=minimum))
        return found
    if minimum != LEADER:
        require_role(db, actor, found.organization_id, minimum)
    return found
