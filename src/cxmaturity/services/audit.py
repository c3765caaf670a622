"""The audit log: who did what, when; facilitators and owners read their organization's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from cxmaturity.services import access
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import apart, read_only
from cxmaturity.storage.tables import AuditEvent, User

#: The most events one page of the log shows.
MAX_PAGE = 500


def record(
    db: Session, action: str, *, organization_id: int | None, user_id: int | None, target: str = "", **detail: Any
) -> None:
    """Record an event with the caller's transaction; a reading one (an export, say) has it written apart, at once."""
    if read_only(db):
        with apart(db) as connection:
            connection.execute(
                insert(AuditEvent).values(
                    organization_id=organization_id,
                    user_id=user_id,
                    action=action,
                    target=target,
                    detail=detail,
                    at=datetime.now(UTC),
                )
            )
        return
    db.add(AuditEvent(organization_id=organization_id, user_id=user_id, action=action, target=target, detail=detail))


@dataclass(frozen=True)
class Entry:
    id: int
    at: datetime
    action: str
    #: Who did it: the account's name and e-mail, or "" when the account was deleted or the system acted.
    who: str
    target: str
    detail: dict[str, Any]


def events(
    db: Session, actor: Actor, organization_id: int, *, limit: int = 100, before: int | None = None
) -> list[Entry]:
    """Return the organization's events, newest first; ``before`` (an event id) pages back through older ones.

    Facilitators and owners read the log: it names colleagues and what they changed, which a viewer need not see.
    """
    access.require_role(db, actor, organization_id, "facilitator")
    query = (
        select(AuditEvent, User.name, User.email)
        .outerjoin(User, User.id == AuditEvent.user_id)
        .where(AuditEvent.organization_id == organization_id)
        .order_by(AuditEvent.id.desc())
        .limit(max(1, min(limit, MAX_PAGE)))
    )
    if before is not None:
        query = query.where(AuditEvent.id < before)
    return [
        Entry(
            id=event.id,
            at=event.at if event.at.tzinfo else event.at.replace(tzinfo=UTC),
            action=event.action,
            who=f"{name} <{email}>" if name else (email or ""),
            target=event.target,
            detail=dict(event.detail or {}),
        )
        for event, name, email in db.execute(query)
    ]
