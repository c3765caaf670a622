"""The web demo: a database with one organization, a facilitator login, a closed assessment answered by a
SYNTHETIC 12-person leadership team in four groups, an open assessment to try the respondent pages, SYNTHETIC
customer outcomes (a survey, customers, operational metrics: demo_outcomes.py) for its scorecard, SYNTHETIC peer
organizations sharing their results (demo_peers.py) for its benchmark, and a SYNTHETIC tree of regions and stores
with two waves of a store campaign (demo_units.py)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cxmaturity import demo_outcomes, demo_peers, demo_units
from cxmaturity.demo import LEADERSHIP_GROUPS, SYNTHETIC_LABEL, demo_responses
from cxmaturity.demo_workshop import run_synthetic_workshop
from cxmaturity.services import accounts, assessments, organizations, outcomes
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import Assessment, Membership, Organization, User

DEMO_EMAIL = "facilitator@demo.example"
DEMO_ORGANIZATION = "Example Retail Co. (SYNTHETIC demo)"
FRAMEWORK = "xm-six-competencies"


@dataclass(frozen=True)
class DemoSite:
    email: str
    password: str
    organization_id: int
    closed_assessment_id: int
    open_assessment_id: int
    respondent_token: str
    #: SYNTHETIC organizations sharing their results with the demo's benchmark.
    peers: int = 0


def seed(sessions: sessionmaker[Session]) -> DemoSite:
    """Create the demo data, or reuse it; the facilitator gets a fresh random password and a new respondent link."""
    password = secrets.token_urlsafe(12)
    with transaction(sessions) as db:
        user = db.scalar(select(User).where(User.email == DEMO_EMAIL))
        if user is None:
            user = accounts.sign_up(db, DEMO_EMAIL, password, "Demo facilitator")
        else:
            user.password_hash = accounts.hash_password(password)
        actor = Actor(user.id)
        org = db.scalar(
            select(Organization)
            .join(Membership, Membership.organization_id == Organization.id)
            .where(Membership.user_id == user.id, Organization.name == DEMO_ORGANIZATION)
        )
        if org is None:
            org = organizations.create(db, actor, DEMO_ORGANIZATION, "Retail", "1000-4999", "Europe")
            closed, opened = _assessments(db, actor, org.id)
        else:
            # The leadership team's two assessments (the demo's campaign waves, demo_units.py, are closed too).
            leadership = select(Assessment).where(
                Assessment.organization_id == org.id, Assessment.framework_id == FRAMEWORK
            )
            found = {a.status: a for a in db.scalars(leadership.order_by(Assessment.id.desc()))}
            closed, opened = found["closed"], found["open"]
        group = assessments.groups(db, opened.id)[0]
        token = assessments.create_invitations(db, actor, opened.id, group.id, 1)[0]
        site = DemoSite(DEMO_EMAIL, password, org.id, closed.id, opened.id, token)
        if not demo_units.has_units(db, org.id):
            demo_units.seed(db, actor, org.id)
    with sessions() as db:
        has_outcomes = outcomes.has_data(db, site.organization_id)
    if not has_outcomes:
        # After the commit: the imports take their own transactions (checked first, then written all at once). A demo
        # database made before outcomes existed gets them too.
        demo_outcomes.seed(sessions, actor, site.organization_id)
    # Also after the commit, and for a demo database made before the peers existed.
    peers = demo_peers.seed(sessions, f"builtin:{FRAMEWORK}")
    return replace(site, peers=peers)


def _assessments(db: Session, actor: Actor, organization_id: int) -> tuple[Assessment, Assessment]:
    names = [name for name, _, _ in LEADERSHIP_GROUPS]
    closed = assessments.create(
        db,
        actor,
        organization_id,
        f"Leadership team self-assessment ({SYNTHETIC_LABEL})",
        f"builtin:{FRAMEWORK}",
        groups=names,
        synthetic=True,
    )
    db.flush()
    responses = demo_responses(assessments.framework_of(closed), seed=11, groups=LEADERSHIP_GROUPS)
    group_ids = {g.name: g.id for g in assessments.groups(db, closed.id)}
    assessments.store_responses(db, closed, responses, group_ids, source="link", held=False)
    assessments.set_status(db, actor, closed.id, "open")
    assessments.set_status(db, actor, closed.id, "closed")
    run_synthetic_workshop(db, actor, closed)
    opened = assessments.create(
        db,
        actor,
        organization_id,
        "Follow-up survey (try the respondent pages)",
        f"builtin:{FRAMEWORK}",
        groups=["Leadership", "Front line"],
        synthetic=True,
    )
    db.flush()
    assessments.set_status(db, actor, opened.id, "open")
    return closed, opened
