"""SYNTHETIC peer organizations for the web demo: sixteen organizations that share their results, so that the demo's
benchmark page shows a live cohort beside the published reference distribution (`make run`).

Each peer has one closed assessment of the demo's framework answered by a SYNTHETIC leadership team
(``demo.demo_responses``), at a level of its own, so that the cohort spreads over several stages. The peers belong to
an account of their own whose password nobody knows: the demo facilitator is not a member of them (a member of
several organizations could subtract their results from a cohort), and they appear in no organization list. Every
name says SYNTHETIC, every assessment is marked synthetic, and synthetic results are pooled apart from real ones, so
a real organization of the same installation is never compared with them (docs/benchmarks.md, "Pools").
"""

from __future__ import annotations

import secrets

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cxmaturity.demo import SYNTHETIC_LABEL, demo_responses
from cxmaturity.services import accounts, assessments, benchmarks, organizations
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import Membership, User

PEERS_EMAIL = "synthetic-peers@demo.example"
PEER_TEAM = 6
#: Industry, size band, region and the team's offset from its drawn level, per peer: more peers than the largest
#: minimum cohort an installation usually sets (CXM_BENCHMARK_MIN_COHORT, 5 by default), in a few industries and
#: two regions, from organizations just starting to ones well along.
PEERS: tuple[tuple[str, str, str, float], ...] = (
    ("Retail", "1000-4999", "Europe", -0.6),
    ("Retail", "5000+", "Europe", 0.4),
    ("Retail", "250-999", "Europe", -0.2),
    ("Retail", "1000-4999", "North America", 0.9),
    ("Retail", "5000+", "North America", 0.1),
    ("Retail", "250-999", "Europe", -0.8),
    ("Retail", "1000-4999", "Europe", 1.3),
    ("Banking", "5000+", "Europe", 0.6),
    ("Banking", "1000-4999", "North America", -0.4),
    ("Banking", "5000+", "North America", 1.0),
    ("Banking", "250-999", "Europe", 0.0),
    ("Telecommunications", "5000+", "Europe", -0.5),
    ("Telecommunications", "1000-4999", "North America", 0.3),
    ("Telecommunications", "5000+", "Europe", 1.6),
    ("Insurance", "1000-4999", "Europe", -0.1),
    ("Insurance", "250-999", "North America", 0.7),
)


def peer_name(number: int) -> str:
    return f"Peer organization {number:02d} (SYNTHETIC demo)"


def seed(sessions: sessionmaker[Session], framework_ref: str) -> int:
    """Create the SYNTHETIC peers, each sharing one closed assessment on ``framework_ref``, unless they exist;
    return how many there are."""
    with transaction(sessions) as db:
        owner = db.scalar(select(User).where(User.email == PEERS_EMAIL))
        if owner is None:
            # A password nobody is told: the account only owns the peers, nobody signs in with it.
            owner = accounts.sign_up(db, PEERS_EMAIL, secrets.token_urlsafe(24), "SYNTHETIC peers (demo)")
        existing = db.scalar(select(func.count()).select_from(Membership).where(Membership.user_id == owner.id)) or 0
        if existing:
            return int(existing)
        actor = Actor(owner.id)
        for number, (industry, size_band, region, offset) in enumerate(PEERS, start=1):
            _peer(db, actor, number, industry, size_band, region, offset, framework_ref)
    return len(PEERS)


def _peer(
    db: Session,
    actor: Actor,
    number: int,
    industry: str,
    size_band: str,
    region: str,
    offset: float,
    framework_ref: str,
) -> None:
    org = organizations.create(db, actor, peer_name(number), industry, size_band, region)
    benchmarks.set_opt_out(db, actor, org.id, opt_out=False)
    assessment = assessments.create(
        db,
        actor,
        org.id,
        f"Leadership team self-assessment ({SYNTHETIC_LABEL})",
        framework_ref,
        groups=["Leadership team"],
        synthetic=True,
    )
    db.flush()
    responses = demo_responses(
        assessments.framework_of(assessment), seed=100 + number, groups=(("Leadership team", offset, PEER_TEAM),)
    )
    group_ids = {g.name: g.id for g in assessments.groups(db, assessment.id)}
    assessments.store_responses(db, assessment, responses, group_ids, source="link", held=False)
    assessments.set_status(db, actor, assessment.id, "open")
    # Closing stores the result that benchmarks pool (services/benchmark_pool.py).
    assessments.set_status(db, actor, assessment.id, "closed")
