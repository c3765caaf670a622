"""Joining an organization: an owner invites an e-mail address with a role; the person signs in and accepts.

Nothing here tells the owner whether the address has an account: inviting answers the same either way, and the
membership exists only once the invited person, signed in with any account, opens the link and accepts it. The link
is a bearer secret that reaches only the mailbox invited (or, where the server cannot send e-mail, the owner, who hands
it over); it works once and expires after :data:`VALID_DAYS`. Only its SHA-256 is stored, and (to be e-mailed) the
link sealed in the outbox.

The e-mail is never sent inside the request: inviting queues it in the outbox, in the same transaction that
creates the invitation, and the queue's worker renders and sends it with the retries and bounce handling of every
other message (services/delivery.py, docs/mail.md). The owner sees what became of it beside the pending invitation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from cxmaturity.i18n import N_
from cxmaturity.i18n.catalogs import DEFAULT_LOCALE, LOCALES
from cxmaturity.i18n.phrase import phrase
from cxmaturity.services import audit, mail, sealing, throttle
from cxmaturity.services.access import Actor, require_role
from cxmaturity.services.accounts import normalize_email
from cxmaturity.services.errors import Conflict, Invalid, NotFound
from cxmaturity.services.throttle import Limit
from cxmaturity.services.tokens import digest, new_token
from cxmaturity.settings import Settings
from cxmaturity.storage.tables import (
    ROLES,
    MailRecipient,
    MemberInvitation,
    Membership,
    Organization,
    OutboxMessage,
    User,
)

#: Days an invitation to join can be accepted.
VALID_DAYS = 7
#: Pending invitations per organization: enough for any team, too few to make the server a spam relay.
MAX_PENDING = 50
#: Invitations one account may send per hour, over all its organizations (anyone may create organizations).
SENDER_LIMIT = Limit("member-invite", 50, timedelta(hours=1))
#: What an invitation link that cannot be used answers, whatever the reason (unknown, used, revoked, expired).
NOT_VALID = "this link is not valid: the invitation was used, declined, revoked or has expired"
#: The outbox kind of an invitation to join (services/delivery.py renders it).
KIND = "join"


@dataclass(frozen=True)
class Invited:
    """A new invitation and its token: queued to be e-mailed (``message_id``), or, where the server has no e-mail
    set up, to be shown once to the owner, who hands it over (``message_id`` None)."""

    token: str
    invitation_id: int
    email: str
    role: str
    expires_at: datetime
    message_id: int | None
    #: The language of the e-mail and of the link's pages (a code of ``LOCALES``).
    language: str = DEFAULT_LOCALE


@dataclass(frozen=True)
class Delivery:
    """What became of an invitation's e-mail, as its outbox message says (services/outbox.py's states)."""

    status: str
    attempts: int
    due_at: datetime
    sent_at: datetime | None
    #: The mail server's last answer (e.g. "550 No such user here"), or why it could not be reached.
    last_error: str


@dataclass(frozen=True)
class Pending:
    """A pending invitation as its owners see it; ``delivery`` is None when the link was handed to the owner."""

    id: int
    email: str
    role: str
    created_at: datetime
    expires_at: datetime
    delivery: Delivery | None
    language: str = DEFAULT_LOCALE


@dataclass(frozen=True)
class Offer:
    """What the invited person is shown before accepting."""

    organization_id: int
    organization: str
    role: str
    inviter: str
    email: str
    expires_at: datetime
    #: The invitation's language: the join page's, unless the visitor picked or the browser asks for another.
    language: str = DEFAULT_LOCALE


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite hands back times without a zone


def _who(user: User | None) -> str:
    if user is None:
        return ""
    return f"{user.name} ({user.email})" if user.name else user.email


def join_link(settings: Settings, token: str, language: str | None = None) -> str:
    """The link an invitation's token opens; for an invitation in another language than English, ``?lang=`` opens
    the sign-in and join pages in it (an English link stays as it always was, and the visitor's browser decides)."""
    link = f"{settings.base_url.rstrip('/')}/join/{token}"
    return f"{link}?lang={language}" if language in LOCALES and language != DEFAULT_LOCALE else link


def invite(
    db: Session,
    actor: Actor,
    settings: Settings,
    organization_id: int,
    email: str,
    role: str,
    language: str = DEFAULT_LOCALE,
) -> Invited:
    """Invite an address to join with a role (owners only); the same answer whether or not it has an account.

    ``language`` (one of ``LOCALES``) is the e-mail's, written by the worker when it sends it, and the join page's.

    Where the server sends e-mail, the message is queued in the outbox in this same transaction (the caller then
    nudges the queue with ``message_id``); the queue's worker sends it. Inviting an address again replaces its
    pending invitation (the old link stops working, its queued message goes with it).
    """
    require_role(db, actor, organization_id, "owner")
    address = normalize_email(email)
    if not mail.valid_address(address):
        raise Invalid(N_("enter a valid e-mail address"), field="email")
    if role not in ROLES:
        raise Invalid(phrase(N_("role must be one of %(value)s"), value=", ".join(ROLES)), field="role")
    if language not in LOCALES:
        raise Invalid(phrase(N_("language must be one of %(value)s"), value=", ".join(LOCALES)), field="language")
    throttle.reserve_or_refuse(
        db,
        SENDER_LIMIT,
        str(actor.user_id),
        N_("you sent %(failures)s invitations within an hour; try again in %(minutes)s minutes"),
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
        language=language,
    )
    db.add(invitation)
    db.flush()
    message_id = _queue(db, settings, invitation.id, address, token) if mail.configured(settings) else None
    audit.record(
        db,
        "membership.invite",
        organization_id=organization_id,
        user_id=actor.user_id,
        target=address,
        role=role,
        language=language,
    )
    return Invited(token, invitation.id, address, role, _aware(invitation.expires_at), message_id, language)


def _queue(db: Session, settings: Settings, invitation_id: int, address: str, token: str) -> int:
    """Put the invitation's e-mail in the outbox: its recipient keeps the link sealed (the worker writes it into the
    message at send time); both go with the invitation when it is accepted, declined, revoked or replaced."""
    recipient = MailRecipient(
        member_invitation_id=invitation_id, address=address, sealed_token=sealing.seal(settings.secret_key, token)
    )
    db.add(recipient)
    db.flush()
    message = OutboxMessage(recipient_id=recipient.id, kind=KIND, round=0, due_at=_now())
    db.add(message)
    db.flush()
    return message.id


def pending(db: Session, actor: Actor, organization_id: int) -> list[Pending]:
    """The invitations not yet accepted, declined, revoked or expired, newest first, with what became of their
    e-mail (owners only)."""
    require_role(db, actor, organization_id, "owner")
    rows = db.execute(
        select(MemberInvitation, OutboxMessage)
        .outerjoin(MailRecipient, MailRecipient.member_invitation_id == MemberInvitation.id)
        .outerjoin(OutboxMessage, OutboxMessage.recipient_id == MailRecipient.id)
        .where(MemberInvitation.organization_id == organization_id, MemberInvitation.expires_at > _now())
        .order_by(MemberInvitation.created_at.desc(), MemberInvitation.id.desc())
    ).all()
    return [
        Pending(
            invitation.id,
            invitation.email,
            invitation.role,
            _aware(invitation.created_at),
            _aware(invitation.expires_at),
            None
            if message is None
            else Delivery(
                message.status,
                message.attempts,
                _aware(message.due_at),
                _aware(message.sent_at) if message.sent_at else None,
                message.last_error,
            ),
            invitation.language,
        )
        for invitation, message in rows
    ]


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
    return Offer(org.id, org.name, found.role, _who(inviter), found.email, _aware(found.expires_at), found.language)


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
