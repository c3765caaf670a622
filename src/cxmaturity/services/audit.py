"""The audit log: who did what, when."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from cxmaturity.storage.tables import AuditEvent


def record(
    db: Session, action: str, *, organization_id: int | None, user_id: int | None, target: str = "", **detail: Any
) -> None:
    db.add(AuditEvent(organization_id=organization_id, user_id=user_id, action=action, target=target, detail=detail))
