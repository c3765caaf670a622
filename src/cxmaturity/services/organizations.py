"""Organizations and their members."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxmaturity.services import audit
from cxmaturity.services.access import Actor, require_role
from cxmaturity.services.accounts import normalize_email
from cxmaturity.services.errors import Conflict, Invalid, NotFound
from cxmaturity.storage.tables import ROLES, Membership, Organization, User

SIZE_BANDS = ("", "1-49", "50-249", "250-999", "1000-4999", "5000+")


def create(
    db: Session, actor: Actor, name: str, industry: str = "", size_band: str = "", region: str = ""
) -> Organization:
    name = name.strip()
    if not name:
        raise Invalid("the organization needs a name", field="name")
    if size_band not in SIZE_BANDS:
        raise Invalid(f"size band must be one of {', '.join(b for b in SIZE_BANDS if b)}", field="size_band")
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


def add_member(db: Session, actor: Actor, organization_id: int, email: str, role: str) -> Membership:
    """Give an existing account a role in the organization (owners only)."""
    require_role(db, actor, organization_id, "owner")
    if role not in ROLES:
        raise Invalid(f"role must be one of {', '.join(ROLES)}", field="role")
    user = db.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None:
        raise NotFound("no account with this e-mail address; ask your colleague to sign up first", field="email")
    existing = db.scalar(
        select(Membership).where(Membership.user_id == user.id, Membership.organization_id == organization_id)
    )
    if existing is not None:
        if existing.role == role:
            raise Conflict(f"{user.email} is already {role}", field="email")
        existing.role = role
        membership = existing
    else:
        membership = Membership(user_id=user.id, organization_id=organization_id, role=role)
        db.add(membership)
    audit.record(
        db, "membership.set", organization_id=organization_id, user_id=actor.user_id, target=user.email, role=role
    )
    return membership
