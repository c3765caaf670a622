"""Organizations and their members (who join by invitation: services/member_invitations.py)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cxmaturity.i18n import N_
from cxmaturity.i18n.phrase import phrase
from cxmaturity.services import audit
from cxmaturity.services.access import Actor, require_role
from cxmaturity.services.accounts import normalize_email
from cxmaturity.services.errors import Conflict, Invalid
from cxmaturity.storage.tables import ROLES, Membership, Organization, User

SIZE_BANDS = ("", "1-49", "50-249", "250-999", "1000-4999", "5000+")


def create(
    db: Session, actor: Actor, name: str, industry: str = "", size_band: str = "", region: str = ""
) -> Organization:
    name = name.strip()
    if not name:
        raise Invalid(N_("the organization needs a name"), field="name")
    if size_band not in SIZE_BANDS:
        raise Invalid(
            phrase(N_("size band must be one of %(value)s"), value=", ".join(b for b in SIZE_BANDS if b)),
            field="size_band",
        )
    org = Organization(
        name=name[:200], industry=industry.strip()[:100], size_band=size_band, region=region.strip()[:100]
    )
    db.add(org)
    db.flush()
    db.add(Membership(user_id=actor.user_id, organization_id=org.id, role="owner"))
    audit.record(db, "organization.create", organization_id=org.id, user_id=actor.user_id, target=org.name)
    return org


def members(db: Session, actor: Actor, organization_id: int) -> list[tuple[User, str]]:
    require_role(db, actor, organization_id, "viewer")
    rows = db.execute(
        select(User, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organization_id == organization_id)
        .order_by(User.email)
    ).all()
    return [(user, role) for user, role in rows]


def set_role(db: Session, actor: Actor, organization_id: int, email: str, role: str) -> Membership:
    """Change a member's role (owners only). New members join by an invitation they accept (member_invitations.py)."""
    require_role(db, actor, organization_id, "owner")
    if role not in ROLES:
        raise Invalid(phrase(N_("role must be one of %(value)s"), value=", ".join(ROLES)), field="role")
    address = normalize_email(email)
    # Only members are looked up, so the answer tells nothing about accounts outside the organization.
    membership = db.scalar(
        select(Membership)
        .join(User, Membership.user_id == User.id)
        .where(User.email == address, Membership.organization_id == organization_id)
    )
    if membership is None:
        raise Invalid(N_("no member of this organization has this e-mail address; invite them instead"), field="email")
    if membership.role == role:
        raise Conflict(phrase(N_("%(address)s is already %(role)s"), address=address, role=role), field="email")
    if membership.role == "owner" and _owners(db, organization_id) == 1:
        raise Conflict(N_("the organization needs an owner; make someone else owner first"), field="role")
    membership.role = role
    audit.record(
        db, "membership.set", organization_id=organization_id, user_id=actor.user_id, target=address, role=role
    )
    return membership


def _owners(db: Session, organization_id: int) -> int:
    return (
        db.scalar(
            select(func.count())
            .select_from(Membership)
            .where(Membership.organization_id == organization_id, Membership.role == "owner")
        )
        or 0
    )
