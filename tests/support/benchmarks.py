"""Peers for benchmark tests: organizations with a closed assessment of their own framework copy, on one database.

Each test draws a fresh framework id, so its pool holds only the organizations it made, whatever else the
session-wide site holds.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from cxmaturity.demo import demo_responses
from cxmaturity.services import accounts, assessments, organizations
from cxmaturity.services.access import Actor
from cxmaturity.storage.tables import Organization

EXAMPLE = Path(__file__).resolve().parent.parent / "data" / "example.yaml"
PASSWORD = "correct horse battery staple"


def framework_text(framework_id: str | None = None) -> str:
    """Return the example framework under a fresh id (a pool of its own)."""
    fid = framework_id or f"bench-{secrets.token_hex(4)}"
    return EXAMPLE.read_text(encoding="utf-8").replace("id: example-model", f"id: {fid}", 1)


@dataclass(frozen=True)
class Peer:
    organization_id: int
    owner: Actor
    assessment_id: int


def add_peer(
    db: Session,
    text: str,
    industry: str = "Retail",
    size_band: str = "250-999",
    region: str = "Europe",
    *,
    seed: int = 1,
    contribute: bool = True,
    close: bool = True,
) -> Peer:
    """Create an organization (its owner, its framework copy) with an assessment answered by SYNTHETIC people."""
    email = f"peer-{secrets.token_hex(5)}@example.com"
    owner = Actor(accounts.sign_up(db, email, PASSWORD, "Peer owner").id)
    org = organizations.create(db, owner, f"Peer {secrets.token_hex(3)}", industry, size_band, region)
    org.benchmark_opt_out = not contribute
    uploaded = assessments.upload_framework(db, owner, org.id, "framework.yaml", text)
    assessment = assessments.create(db, owner, org.id, "Peer assessment", f"uploaded:{uploaded.id}")
    db.flush()
    assessments.set_status(db, owner, assessment.id, "open")
    responses = demo_responses(assessments.framework_of(assessment), seed=seed, groups=(("Team", 0.0, 4),))
    assessments.store_responses(db, assessment, responses, {})
    if close:
        assessments.set_status(db, owner, assessment.id, "closed")
    db.flush()
    return Peer(org.id, owner, assessment.id)


def reassess(db: Session, peer: Peer, text: str, seed: int) -> int:
    """Give the peer a newer closed assessment (answered differently); return its id."""
    org = db.get(Organization, peer.organization_id)
    assert org is not None
    choice = next(c for c in assessments.framework_choices(db, peer.owner, org.id) if c.uploaded)
    assessment = assessments.create(db, peer.owner, org.id, "Re-assessment", choice.ref)
    db.flush()
    assessments.set_status(db, peer.owner, assessment.id, "open")
    responses = demo_responses(assessments.framework_of(assessment), seed=seed, groups=(("Team", 0.8, 4),))
    assessments.store_responses(db, assessment, responses, {})
    assessments.set_status(db, peer.owner, assessment.id, "closed")
    db.flush()
    return assessment.id
