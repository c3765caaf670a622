"""Series of assessments for the progress tests: an organization of the cast's own, and assessments answered by
constructed teams (tests/progress/support.py) on chosen days."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime

from cxmaturity.services import assessments, organizations
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import Assessment, Membership
from tests.progress.support import team
from tests.web.conftest import Cast, Site


def series_org(site: Site, cast: Cast) -> int:
    """A new organization with the cast's owner, facilitator and viewer, so each test has a series of its own."""
    with transaction(site.sessions) as db:
        org = organizations.create(db, Actor(cast.owner), f"Series org {secrets.token_hex(3)}")
        db.add(Membership(user_id=cast.facilitator, organization_id=org.id, role="facilitator"))
        db.add(Membership(user_id=cast.viewer, organization_id=org.id, role="viewer"))
        db.flush()
        return org.id


def answered(
    site: Site,
    cast: Cast,
    org_id: int,
    level: float | dict[str, float],
    *,
    day: date | None,
    n: int = 12,
    seed: int = 0,
    framework: str = "builtin:xm-six-competencies",
    targets: dict[str, str] | None = None,
    groups: tuple[str, ...] = ("Leadership", "Operations"),
    title: str = "",
) -> int:
    """An assessment answered by ``n`` people around ``level``; closed on ``day`` (left open when None)."""
    facilitator = Actor(cast.facilitator)
    with transaction(site.sessions) as db:
        created = assessments.create(
            db, facilitator, org_id, title or f"Assessment {secrets.token_hex(3)}", framework, groups=list(groups)
        )
        db.flush()
        if targets:
            assessments.set_targets(db, facilitator, created.id, targets)
        assessments.set_status(db, facilitator, created.id, "open")
        fw = assessments.framework_of(created)
        assessments.store_responses(db, created, team(fw, n, level, seed=seed), {})
        if day is not None:
            assessments.set_status(db, facilitator, created.id, "closed")
            row = db.get(Assessment, created.id)
            assert row is not None
            row.closed_at = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
        return created.id
