"""Joining an organization: an owner invites an e-mail address with a role; the person signs in and accepts.

Nothing here tells the owner whether the address has an account: inviting answers the same either way, and the
membership exists only once the invited person, signed in with any account, opens the link and accepts it. The link
is a bearer secret that reaches only the mailbox invited (or, where the server cannot send e-mail, the owner, who hands
it over); it works once and expires after :data:`VALID_DAYS`. Only its SHA-256 is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from cxmaturity.i18n import N_
from cxmaturity.i18n.phrase import phrase
from cxmaturity.services import audit, mail, throttle
from cxmaturity.services.access import Actor, require_role
from cxmaturity.services.accounts import normalize_email
from cxmaturity.services.errors import Conflict, Invalid, NotFound, TooMany
from cxmaturity.services.throttle import Limit
from cxmaturity.services.tokens import digest, new_token
from cxmaturity.settings import Settings
from cxmaturity.storage.tables import ROLES, MemberInvitation, Membership, Organization, User

#: Days an invitation to join can be accepted.
VALID_DAYS = 7
#: Pending invitations per organization: enough for any team, too few to make the server a spam relay.
MAX_PENDING = 50
#: Invitations one account may send per hour, over all its organizations (anyone may create organizations).
SENDER_LIMIT = Limit("member-invite", 50, timedelta(hours=1))
#: What an invitation link that cannot be used answers, whatever the reason (unknown, used, revoked, expired).
NOT_VALID = "this link is not valid: the invitation was used, declined, revoked or has expired"


@dataclass(frozen=True)
class Invited:
    """A new invitation and its token (shown or sent once)."""

    token: str
    invitation_id: int
    email: str
    role: str
    expires_at: datetime
    organization: str
    inviter: str


@dataclass(frozen=True)
class Offer:
    """What the invited person is shown before accepting."""

    organization_id: int
    organization: str
    role: str
    inviter: str
    email: str
    expires_at: datetime


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite hands back times without a zone


def _who(user: User | None) -> str:
    if user is None:
        return ""
    return f"{user.name} ({user.email})" if user.name else user.email


def invite(db: Session, actor: Actor, organization_id: int, email: str, role: str) -> Invited:
    """Invite an address to join with a role (owners only); the same answer whether or not it has an account.

    Inviting an address again replaces its pending invitation (the old link stops working).
    """
    require_role(db, actor, organization_id, "owner")
    address = normalize_email(email)
    if not mail.valid_address(address):
        raise Invalid(N_("enter a valid e-mail address"), field="email")
    if role not in ROLES:
        raise Invalid(phrase(N_("role must be one of %(value)s"), value=", ".join(ROLES)), field="role")
    blocked, _ = throttle.reserve(db, SENDER_LIMIT, str(actor.user_id))
    if blocked:
        raise TooMany(
            phrase(
                N_("you sent %(failures)s invitations within an hour; try again in %(minutes)s minutes"),
                failures=SENDER_LIMIT.failures,
                minutes=blocked.minutes,
            ),
            retry_after=blocked.seconds,
        )
    member = db.scalar(
        select(User.id)
        .join(Membership, Membership.user_id == User.id)
        .where(User.email == address, Membership.organization_id == organization_id)
    )
    # Only an address the owner already sees in the member list is answered differently: that reveals nothing new.
    if member is not None:
        raise Conflict(
            phrase(N_("%(address)s is already a member; change the role in the member list"), address=address),
            field="email",
        )
    db.execute(
        delete(MemberInvitation).where(
            MemberInvitation.organization_id == organization_id, MemberInvitation.email == address
        )
    )
    pending = db.scalar(
        select(func.count())
        .select_from(MemberInvitation)
        .where(MemberInvitation.organization_id == organization_id, MemberInvitation.expires_at > _now())
    )
    if (pending or 0) >= MAX_PENDING:
        raise Conflict(
            phrase(N_("%(max_pending)s invitations are pending already; revoke some first"), max_pending=MAX_PENDING),
            field="email",
        )
    token = new_token()
    invitation = MemberInvitation(
        organization_id=organization_id,
        email=address,
        role=role,
        token_hash=digest(token),
        invited_by=actor.user_id,
        expires_at=_now() + timedelta(days=VALID_DAYS),
    )
    db.add(invitation)
    db.flush()
    audit.record(
        db, "membership.invite", organization_id=organization_id, user_id=actor.user_id, target=address, role=role
    )
    org = db.get(Organization, organization_id)
    return Invited(
        token,
        invitation.id,
        address,
        role,
        _aware(invitation.expires_at),
        org.name if org else "",
        _who(db.get(User, actor.user_id)),
    )


def message(invited: Invited, settings: Settings, link: str) -> EmailMessage:
    """The e-mail that carries an invitation's link to the address invited."""
    return mail.member_invitation_message(
        settings,
        invited.email,
        link,
        inviter=invited.inviter,
        organization=invited.organization,
        role=invited.role,
        days=VALID_DAYS,
    )


def pending(db: Session, actor: Actor, organization_id: int) -> list[MemberInvitation]:
    """The invitations not yet accepted, declined, revoked or expired, newest first (owners only)."""
    require_role(db, actor, organization_id, "owner")
    return list(
        db.scalars(
            select(MemberInvitation)
            .where(MemberInvitation.organization_id == organization_id, MemberInvitation.expires_at > _now())
            .order_by(MemberInvitation.created_at.desc(), MemberInvitation.id.desc())
        )
    )


def revoke(db: Session, actor: Actor, organization_id: int, invitation_id: int) -> None:
    """Withdraw a pending invitation (owners only); its link stops working."""
    require_role(db, actor, organization_id, "owner")
    found = db.scalar(
        select(MemberInvitation).where(
            MemberInvitation.id == invitation_id, MemberInvitation.organization_id == organization_id
        )
    )
    if found is None:
        raise NotFound(N_("no such invitation; it may have been accepted, declined or revoked already"))
    db.delete(found)
    audit.record(db, "membership.revoke", organization_id=organization_id, user_id=actor.user_id, target=found.email)


def _usable(db: Session, token: str) -> MemberInvitation:
    found = db.scalar(select(MemberInvitation).where(MemberInvitation.token_hash == digest(token)))
    if found is None or _aware(found.expires_at) <= _now():
        raise NotFound(NOT_VALID)
    return found


def offer(db: Session, actor: Actor, token: str) -> Offer:
    """What the link offers, for the signed-in person to accept or decline."""
    found = _usable(db, token)
    org = db.get(Organization, found.organization_id)
    if org is None:
        raise NotFound(NOT_VALID)
    inviter = db.get(User, found.invited_by) if found.invited_by is not None else None
    return Offer(org.id, org.name, found.role, _who(inviter), found.email, _aware(found.expires_at))


def _use(db: Session, token: str) -> MemberInvitation:
    """Take the invitation out of the database, once: of two concurrent uses, only the one that deletes it counts."""
    found = _usable(db, token)
    taken = db.execute(delete(MemberInvitation).where(MemberInvitation.id == found.id))
    if getattr(taken, "rowcount", 1) != 1:
        raise NotFound(NOT_VALID)
    return found


def accept(db: Session, actor: Actor, token: str) -> Membership:
    """Join the organization with the invited role; a member already gets the invited role instead."""
    found = _use(db, token)
    existing = db.scalar(
        select(Membership).where(
            Membership.user_id == actor.user_id, Membership.organization_id == found.organization_id
        )
    )
    if existing is not None:
        existing.role = found.role
        membership = existing
    else:
        membership = Membership(user_id=actor.user_id, organization_id=found.organization_id, role=found.role)
        db.add(membership)
    user = db.get(User, actor.user_id)
    audit.record(
        db,
        "membership.accept",
        organization_id=found.organization_id,
        user_id=actor.user_id,
        target=user.email if user else "",
        role=found.role,
        invited=found.email,
    )
    return membership


def decline(db: Session, actor: Actor, token: str) -> None:
    """Refuse the invitation; the link stops working and no membership is made."""
    found = _use(db, token)
    audit.record(
        db, "membership.decline", organization_id=found.organization_id, user_id=actor.user_id, target=found.email
    )


def deliver(settings: Settings, invited: Invited, link: str) -> bool:
    """E-mail the link to the address invited; return False when the server has no e-mail set up.

    Without e-mail the caller shows the link to the owner, who hands it over; the answer is the same for an address
    with an account and one without. Raises :class:`mail.MailError` when the mail server fails (the caller then
    withdraws the invitation with :func:`withdraw_unsent`).
    """
    if not mail.configured(settings):
        return False
    mail.send(settings, [message(invited, settings, link)])
    return True


def withdraw_unsent(db: Session, invitation_id: int) -> None:
    """Remove an invitation whose e-mail could not be sent, so that no link nobody received stays valid."""
    db.execute(delete(MemberInvitation).where(MemberInvitation.id == invitation_id))
