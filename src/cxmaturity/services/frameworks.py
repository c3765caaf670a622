"""The frameworks an organization can choose from: the built-in ones and those uploaded to it, for browsing."""

from __future__ import annotations

from sqlalchemy.orm import Session

from cxmaturity.frameworks import Framework, builtin_ids, load_builtin
from cxmaturity.i18n import N_
from cxmaturity.services import access
from cxmaturity.services.access import Actor
from cxmaturity.services.assessments import FrameworkChoice, framework_choices, framework_from_snapshot
from cxmaturity.services.errors import NotFound
from cxmaturity.storage.tables import UploadedFramework


def catalog(db: Session, actor: Actor, organization_id: int) -> list[tuple[FrameworkChoice, Framework]]:
    """Return every framework the organization can use, built-in first, each with its choice on the new form."""
    return [
        (choice, _load(db, organization_id, choice.ref)) for choice in framework_choices(db, actor, organization_id)
    ]


def get(db: Session, actor: Actor, organization_id: int, ref: str) -> tuple[FrameworkChoice, Framework]:
    """Return one framework by its choice ref (``builtin:ID`` or ``uploaded:ROW``); NotFound when the organization
    has no such framework, so an id of another organization's upload reveals nothing."""
    access.require_role(db, actor, organization_id, "viewer")
    kind, _, value = ref.partition(":")
    if kind == "builtin" and value in builtin_ids():
        fw = load_builtin(value)
        return FrameworkChoice(ref, fw.id, fw.text(fw.name), fw.version, False), fw
    if kind == "uploaded" and value.isdigit():
        row = db.get(UploadedFramework, int(value))
        if row is not None and row.organization_id == organization_id:
            return FrameworkChoice(ref, row.framework_id, row.name, row.version, True), framework_from_snapshot(
                row.snapshot
            )
    raise NotFound(N_("no such framework"))


def _load(db: Session, organization_id: int, ref: str) -> Framework:
    kind, _, value = ref.partition(":")
    if kind == "builtin":
        return load_builtin(value)
    row = db.get(UploadedFramework, int(value))
    if row is None or row.organization_id != organization_id:
        raise NotFound(N_("no such framework"))
    return framework_from_snapshot(row.snapshot)
