"""What the screens of a workshop see: the room's state at a version, the facilitator's extras, the record.

Hidden votes never leave here before the reveal: while a round is open the state says how many have voted, never
what. A vote is never linked to a person: votes are read as options only. Private commitments appear only in the
facilitator's state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cxmaturity.frameworks import Framework
from cxmaturity.i18n.phrase import phrase_from_data
from cxmaturity.scoring import Result, score
from cxmaturity.services import access, results, workshops
from cxmaturity.services.access import Actor
from cxmaturity.services.assessments import framework_of
from cxmaturity.storage.tables import (
    AgreedAnswer,
    Assessment,
    Workshop,
    WorkshopCommitment,
    WorkshopItem,
    WorkshopVote,
)
from cxmaturity.workshops import apply_agreed, distribution, vote_options
from cxmaturity.workshops.record import Record, RecordAgreed, RecordCommitment, RecordItem, RecordStep

State = dict[str, Any]


def _status(workshop: Workshop) -> str:
    if workshop.status == "running" and workshops.expired(workshop):
        return "expired"
    return workshop.status


def _options(fw: Framework, indicator: str) -> list[dict[str, str]]:
    return [{"key": key, "label": label} for key, label in vote_options(fw, indicator)]


def _agreed(fw: Framework, row: AgreedAnswer | None) -> dict[str, Any] | None:
    if row is None:
        return None
    labels = dict(vote_options(fw, row.indicator_key)) if row.indicator_key in fw.indicator_keys else {}
    return {
        "indicator": row.indicator_key,
        "option": row.option_key,
        "label": labels.get(row.option_key, row.option_key),
        "rationale": row.rationale,
        "evidence": row.evidence,
    }


def _item_state(db: Session, fw: Framework, result: Result | None, item: WorkshopItem) -> State:
    state: State = {
        "id": item.id,
        "kind": item.kind,
        "title": item.title,
        "reason": item.reason,
        # The two as phrases (None: as written), which each screen writes in its language before showing the state
        # (reporting/workshop_view.py: in_language); the API keeps the English sentences above.
        "title_phrase": item.title_phrase,
        "reason_phrase": item.reason_phrase,
        "competency": item.competency,
        "indicator": item.indicator,
        "question": None,
        "options": [],
        "surveyed": None,
        "round": item.round,
        "vote_state": item.vote_state,
        "votes_cast": 0,
        "votes": None,
        "agreed": None,
    }
    if item.indicator is None or item.indicator not in fw.indicator_keys:
        return state
    state["question"] = fw.text(fw.indicator(item.indicator).text)
    state["options"] = _options(fw, item.indicator)
    keys = [o["key"] for o in state["options"]]
    if result is not None:
        found = next((i for i in result.indicators if i.key == item.indicator), None)
        if found is not None:
            # The team's distribution as surveyed: counts only, the same for everyone, no group below the minimum.
            state["surveyed"] = {
                "distribution": distribution(keys, []) | found.distribution,
                "answered": found.answered,
            }
    if item.round:
        votes = list(
            db.scalars(
                select(WorkshopVote.option_key).where(WorkshopVote.item_id == item.id, WorkshopVote.round == item.round)
            )
        )
        state["votes_cast"] = len(votes)
        if item.vote_state == "revealed":
            state["votes"] = distribution(keys, votes)
    return state


def room(db: Session, workshop: Workshop) -> State:
    """The state every screen of the room shares (participants, presenter), at the workshop's current version."""
    assessment = db.get(Assessment, workshop.assessment_id)
    assert assessment is not None
    fw = framework_of(assessment)
    agenda = workshops.items(db, workshop.id)
    current = next((i for i in agenda if i.id == workshop.current_item_id), None)
    result = workshops.surveyed(db, assessment) if current is not None and current.indicator else None
    item = _item_state(db, fw, result, current) if current is not None else None
    if item is not None and current is not None and current.indicator:
        item["agreed"] = _agreed(
            fw,
            db.scalar(
                select(AgreedAnswer).where(
                    AgreedAnswer.assessment_id == assessment.id, AgreedAnswer.indicator_key == current.indicator
                )
            ),
        )
    return {
        "workshop": workshop.id,
        "version": workshop.version,
        "status": _status(workshop),
        "assessment": {"id": assessment.id, "title": assessment.title, "synthetic": assessment.synthetic},
        "participants": workshops.participants(db, workshop.id),
        "agenda": [
            {
                "id": i.id,
                "position": i.position,
                "kind": i.kind,
                "title": i.title,
                "title_phrase": i.title_phrase,
                "skipped": i.skipped,
                "current": i.id == workshop.current_item_id,
                "votable": i.indicator is not None,
            }
            for i in agenda
        ],
        "item": item,
        "definition": workshop.definition,
        "commitments": [_commitment(c) for c in workshops.commitments(db, workshop.id, private=False)],
        "next_steps": [
            {
                "id": s.id,
                "title": s.title,
                "competency": s.competency,
                "owner": s.owner,
                "in_plan": bool(s.initiative_key),
            }
            for s in workshops.next_steps(db, workshop.id)
        ],
    }


def _commitment(c: WorkshopCommitment) -> State:
    return {
        "id": c.id,
        "who": c.who,
        "what": c.what,
        "by_when": c.by_when.isoformat(),
        "visibility": "public" if c.public else "private",
    }


@dataclass(frozen=True)
class Snapshot:
    """Everything any screen of the workshop may show at one version, read once (``snapshot``); each screen's view
    is cut from it without another query. ``votes`` (participant id to option, the current round) never leaves the
    server: each participant gets only their own entry."""

    version: int
    room: State
    join_code: str | None
    expires_at: str
    all_commitments: tuple[State, ...]
    agreed_answers: tuple[State | None, ...]
    votes: dict[int, str]

    def presenter(self) -> State:
        """What the projector shows: the room's state and the join code (never private commitments)."""
        return {**self.room, "join_code": self.join_code}

    def facilitator(self) -> State:
        """The room's state plus what only the facilitator sees: join code, expiry, private commitments."""
        return {
            **self.room,
            "join_code": self.join_code,
            "expires_at": self.expires_at,
            "commitments": list(self.all_commitments),
            "agreed_answers": list(self.agreed_answers),
        }

    def participant(self, participant_id: int) -> State:
        """The room's state plus the participant's own vote in the round on screen (theirs only)."""
        return {**self.room, "me": {"vote": self.votes.get(participant_id)}}


def snapshot(db: Session, workshop: Workshop) -> Snapshot:
    """Read the workshop's snapshot at its current version."""
    state = room(db, workshop)
    votes: dict[int, str] = {}
    if workshop.current_item_id is not None:
        item = db.get(WorkshopItem, workshop.current_item_id)
        if item is not None and item.round:
            rows = db.execute(
                select(WorkshopVote.participant_id, WorkshopVote.option_key).where(
                    WorkshopVote.item_id == item.id, WorkshopVote.round == item.round
                )
            )
            votes = {int(participant): str(option) for participant, option in rows}
    fw = framework_of(workshops.assessment_of(db, workshop))
    return Snapshot(
        version=int(state["version"]),
        room=state,
        join_code=workshop.join_code if workshops.is_live(workshop) else None,
        expires_at=workshops.utc(workshop.expires_at).isoformat(),
        all_commitments=tuple(_commitment(c) for c in workshops.commitments(db, workshop.id, private=True)),
        agreed_answers=tuple(_agreed(fw, a) for a in workshops.agreed_answers(db, workshop.assessment_id)),
        votes=votes,
    )


SnapshotOf = Callable[[Session, Workshop], Snapshot]


def _facilitated(db: Session, actor: Actor, workshop_id: int) -> Workshop:
    workshop = workshops.get(db, actor, workshop_id)
    access.assessment(db, actor, workshop.assessment_id, "facilitator")
    return workshop


def for_presenter(db: Session, actor: Actor, workshop_id: int, snapshot_of: SnapshotOf | None = None) -> State:
    """The presenter view's state (facilitator role)."""
    return (snapshot_of or snapshot)(db, _facilitated(db, actor, workshop_id)).presenter()


def for_facilitator(db: Session, actor: Actor, workshop_id: int, snapshot_of: SnapshotOf | None = None) -> State:
    """The control view's state (facilitator role)."""
    return (snapshot_of or snapshot)(db, _facilitated(db, actor, workshop_id)).facilitator()


def for_participant(db: Session, token: str | None, snapshot_of: SnapshotOf | None = None) -> State | None:
    """A participant's state; None for an unknown token."""
    found = workshops.participant(db, token)
    if found is None:
        return None
    who, workshop = found
    return (snapshot_of or snapshot)(db, workshop).participant(who.id)


# --- as agreed --------------------------------------------------------------------------------------------------------


def as_agreed(db: Session, assessment: Assessment) -> Result | None:
    """The assessment's result as agreed: the surveyed answers with every agreed answer in place (``workshops.agreed``),
    scored by the same engine with the same options; None when nothing was agreed."""
    agreed = {a.indicator_key: a.option_key for a in workshops.agreed_answers(db, assessment.id)}
    if not agreed:
        return None
    fw = framework_of(assessment)
    agreed = {k: v for k, v in agreed.items() if k in fw.indicator_keys}
    matrix, _ = results.load_responses(db, assessment, fw)
    return score(apply_agreed(matrix, agreed), results.options_for(assessment))


# --- the record -------------------------------------------------------------------------------------------------------


def record_of(db: Session, assessment: Assessment) -> Record | None:
    """The record of the assessment's latest workshop, for a caller allowed to see the assessment; None without one."""
    workshop = workshops.latest_of(db, assessment.id)
    if workshop is None:
        return None
    fw = framework_of(assessment)
    entries = []
    for item in workshops.items(db, workshop.id):
        rounds: list[dict[str, int]] = []
        if item.indicator in fw.indicator_keys and item.round:
            keys = [k for k, _ in vote_options(fw, item.indicator or "")]
            last = item.round if item.vote_state == "revealed" else item.round - 1
            for number in range(1, last + 1):
                rounds.append(distribution(keys, workshops.votes_of(db, item, number)))
        entries.append(
            RecordItem(
                item.title,
                item.kind,
                item.indicator,
                item.skipped,
                tuple(rounds),
                phrase_from_data(item.title_phrase),
            )
        )
    agreed = []
    for row in workshops.agreed_answers(db, assessment.id):
        if row.indicator_key not in fw.indicator_keys:
            continue
        labels = dict(vote_options(fw, row.indicator_key))
        agreed.append(
            RecordAgreed(
                row.indicator_key,
                fw.text(fw.indicator(row.indicator_key).text),
                row.option_key,
                labels.get(row.option_key, row.option_key),
                row.rationale,
                row.evidence,
            )
        )
    everything = workshops.commitments(db, workshop.id, private=True)
    return Record(
        workshop_id=workshop.id,
        number=workshops.ordinal(db, workshop),
        status=_status(workshop),
        started_at=workshops.utc(workshop.started_at).isoformat(timespec="minutes"),
        finished_at=workshops.utc(workshop.finished_at).isoformat(timespec="minutes") if workshop.finished_at else None,
        participants=workshops.participants(db, workshop.id),
        items=tuple(entries),
        agreed=tuple(agreed),
        definition=workshop.definition,
        commitments=tuple(
            RecordCommitment(c.who, c.what, c.by_when.isoformat(), c.kept) for c in everything if c.public
        ),
        private_commitments=sum(1 for c in everything if not c.public),
        next_steps=tuple(
            RecordStep(s.title, s.competency, s.owner, bool(s.initiative_key))
            for s in workshops.next_steps(db, workshop.id)
        ),
        reviewed_in=_review_of(db, assessment),
    )


def _review_of(db: Session, assessment: Assessment) -> str | None:
    """The title of the re-assessment started from this one, where its workshop's commitments are reviewed."""
    return db.scalar(
        select(Assessment.title).where(Assessment.previous_id == assessment.id).order_by(Assessment.id).limit(1)
    )


def record(db: Session, actor: Actor, assessment_id: int) -> Record | None:
    """The record of the assessment's latest workshop (viewer and up)."""
    return record_of(db, access.assessment(db, actor, assessment_id, "viewer"))


def record_to_dict(found: Record) -> dict[str, Any]:
    """The record as JSON (the API's and the JSON export's shape): English words, no phrases."""
    data = asdict(found)
    for item in data["items"]:
        item.pop("title_phrase", None)
    return data
