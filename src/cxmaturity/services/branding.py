"""An organization's branding on its reports: the name it already has, and an optional logo.

A logo is a PNG or JPEG image of at most 512 KB. The type is read from the file's own first bytes, never from the
name or the browser's claim; SVG is refused because an SVG file can carry scripts and links. Facilitators and owners
set or remove it (audited); every member sees it on the reports.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxmaturity.i18n import N_
from cxmaturity.i18n.phrase import phrase
from cxmaturity.reporting.report import Logo
from cxmaturity.services import access, audit
from cxmaturity.services.access import Actor
from cxmaturity.services.errors import Invalid
from cxmaturity.storage.tables import Organization

MAX_LOGO_BYTES = 512 * 1024
EDITOR = "facilitator"
#: The roles that may change the logo.
EDITORS = ("facilitator", "owner")
_PNG = b"\x89PNG\r\n\x1a\n"
_JPEG = b"\xff\xd8\xff"


def logo_type(data: bytes) -> str | None:
    """Return "image/png" or "image/jpeg" when ``data`` starts like such a file, else None."""
    if data.startswith(_PNG) and data[12:16] == b"IHDR":
        return "image/png"
    if data.startswith(_JPEG) and len(data) > 4:
        return "image/jpeg"
    return None


def set_logo(db: Session, actor: Actor, organization_id: int, data: bytes, filename: str = "") -> str:
    """Store ``data`` as the organization's logo and return its media type; refuse anything but a small PNG or JPEG."""
    org = access.organization(db, actor, organization_id, EDITOR)
    name = f"{filename}: " if filename else ""
    if not data:
        raise Invalid(
            phrase(N_("%(name)sthe file is empty"), name=name)
            if filename
            else N_("choose a PNG or JPEG image to upload"),
            field="logo",
        )
    if len(data) > MAX_LOGO_BYTES:
        limit = MAX_LOGO_BYTES // 1024
        raise Invalid(
            phrase(N_("%(name)sthe logo is larger than %(limit)s KB; choose a smaller image"), name=name, limit=limit),
            field="logo",
        )
    media_type = logo_type(data)
    if media_type is None:
        raise Invalid(
            phrase(N_("%(name)snot a PNG or JPEG image (SVG and other formats are not accepted)"), name=name),
            field="logo",
        )
    org.logo = data
    org.logo_type = media_type
    audit.record(
        db,
        "organization.logo.set",
        organization_id=org.id,
        user_id=actor.user_id,
        target=org.name[:100],
        media_type=media_type,
        bytes=len(data),
    )
    return media_type


def clear_logo(db: Session, actor: Actor, organization_id: int) -> None:
    """Remove the organization's logo (nothing happens, and nothing is audited, when it has none)."""
    org = access.organization(db, actor, organization_id, EDITOR)
    if org.logo_type is None:
        return
    org.logo = None
    org.logo_type = None
    audit.record(db, "organization.logo.clear", organization_id=org.id, user_id=actor.user_id, target=org.name[:100])


def logo(db: Session, organization_id: int) -> Logo | None:
    """Return the logo of an organization the caller has already been allowed to see, or None."""
    row = db.execute(
        select(Organization.logo, Organization.logo_type).where(Organization.id == organization_id)
    ).one_or_none()
    if row is None or row.logo is None or row.logo_type is None:
        return None
    return Logo(row.logo_type, bytes(row.logo))


def has_logo(organization: Organization) -> bool:
    return organization.logo_type is not None
