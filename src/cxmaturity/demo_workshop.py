"""A finished SYNTHETIC workshop for the demo: the record, the agreed answers and the as-agreed view to look at.

It is run through the workshop service like a real one (start, eight phones join, votes, reveals, agreed answers, the
definition, commitments, next steps into the plan, end), with invented votes and texts, each text marked SYNTHETIC.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from sqlalchemy.orm import Session

from cxmaturity.services import workshops
from cxmaturity.services.access import Actor
from cxmaturity.services.assessments import framework_of
from cxmaturity.storage.tables import Assessment
from cxmaturity.workshops import vote_options

PARTICIPANTS = 8


def _in_days(days: int) -> str:
    return (workshops.today() + timedelta(days=days)).isoformat()


def run_synthetic_workshop(db: Session, actor: Actor, assessment: Assessment, seed: int = 5) -> int:
    """Run and finish a synthetic workshop on ``assessment``; return its id."""
    rng = np.random.default_rng(seed)
    fw = framework_of(assessment)
    workshop = workshops.start(db, actor, assessment.id)
    assert workshop.join_code is not None
    tokens = [workshops.join(db, workshop.join_code)[0] for _ in range(PARTICIPANTS)]
    agenda = [item for item in workshops.items(db, workshop.id) if item.indicator][:3]
    for n, item in enumerate(agenda):
        assert item.indicator is not None
        keys = [key for key, _ in vote_options(fw, item.indicator)]
        workshops.show_item(db, actor, workshop.id, item.id)
        workshops.open_vote(db, actor, workshop.id, item.id)
        # Invented votes around the middle of the scale, a little higher for each later item.
        centre = (len(keys) - 1) / 2 + 0.3 * n
        for token in tokens:
            index = int(np.clip(np.rint(rng.normal(centre, 0.8)), 0, len(keys) - 1))
            workshops.vote(db, token, item.id, item.round, keys[index])
        workshops.reveal(db, actor, workshop.id, item.id)
        if n < 2:
            workshops.agree(
                db,
                actor,
                workshop.id,
                item.indicator,
                keys[min(len(keys) - 1, round(centre))],
                "SYNTHETIC: after hearing both camps the team settled on this answer.",
                "SYNTHETIC customer-journey review (invented document)",
            )
    workshops.define(
        db,
        actor,
        workshop.id,
        "SYNTHETIC: customers get what we promised, the first time, and feel we know them.",
    )
    workshops.commit(db, actor, workshop.id, "SYNTHETIC leader A", "Join ten customer calls", _in_days(90), "public")
    workshops.commit_as_participant(
        db, tokens[0], "SYNTHETIC leader B", "Review the complaint log monthly", _in_days(180), "public"
    )
    workshops.commit_as_participant(db, tokens[1], "", "Stop skipping the CX review", _in_days(120), "private")
    competency = agenda[0].competency if agenda and agenda[0].competency else fw.competencies[0].key
    workshops.add_next_step(db, actor, workshop.id, "SYNTHETIC: open a customer room", competency, "COO", 2)
    workshops.steps_to_plan(db, actor, workshop.id)
    workshops.finish(db, actor, workshop.id)
    return workshop.id
