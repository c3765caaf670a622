"""Live workshops on an assessment's results: what a facilitator and the room can do (docs/workshops.md).

Pages, the JSON API and the live streams call these functions alike. Facilitators (and owners) run a workshop;
viewers read its record; participants are anonymous phones holding a random token (a cookie) from joining with the
code. Every change raises the workshop's version and announces it (``services.workshop_events``); refused input
(``Invalid``, ``Conflict``, ``NotFound``) changes nothing.

The rules themselves (the agenda, what a vote or an agreed answer may be, the "as agreed" answers) live in the pure
package ``cxmaturity.workshops``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cxmaturity.i18n import N_
from cxmaturity.i18n.phrase import phrase, to_data
from cxmaturity.planning.model import Candidate
from cxmaturity.scoring.result import Result
from cxmaturity.services import access, audit, plans, results
from cxmaturity.services.access import Actor
from cxmaturity.services.assessments import framework_of
from cxmaturity.services.errors import Conflict, Invalid, NotFound
from cxmaturity.services.tokens import digest, new_token
from cxmaturity.services.workshop_events import announce
from cxmaturity.storage.tables import (
    AgreedAnswer,
    Assessment,
    Workshop,
    WorkshopCommitment,
    WorkshopItem,
    WorkshopNextStep,
    WorkshopParticipant,
    WorkshopVote,
)
from cxmaturity.workshops import (
    WorkshopError,
    build_agenda,
    check_agreed,
    check_commitment,
    check_definition,
    check_next_step,
    check_title,
    check_vote,
    new_join_code,
    normalize_join_code,
    vote_options,
)
from cxmaturity.workshops.agenda import ADDED
from cxmaturity.workshops.rules import NEXT_STEP_DESCRIPTION

#: How long a workshop (and its join code) lasts unless the facilitator ends it first.
DURATION = timedelta(hours=12)
MAX_ITEMS = 100
MAX_PARTICIPANTS = 1000
MAX_COMMITMENTS = 500
MAX_NEXT_STEPS = 50

NOT_VALID = N_("this code is not valid, or its workshop has ended; check the code on the screen")


def _now() -> datetime:
    return datetime.now(UTC)


def utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes (stored as UTC); PostgreSQL aware ones."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@contextmanager
def _refusing() -> Iterator[None]:
    """Turn a pure rule's refusal into the service's Invalid, with its field."""
    try:
        yield
    except WorkshopError as exc:
        raise Invalid(exc.message, field=exc.field) from None


# --- finding a workshop -----------------------------------------------------------------------------------------------


def expired(workshop: Workshop, now: datetime | None = None) -> bool:
    return utc(workshop.expires_at) <= (now or _now())


def is_live(workshop: Workshop) -> bool:
    """Whether the workshop is running and not expired: only then does it take votes and joiners."""
    return workshop.status == "running" and not expired(workshop)


def _workshop(db: Session, actor: Actor, workshop_id: int, minimum: str) -> Workshop:
    found = db.get(Workshop, workshop_id)
    if found is None:
        raise NotFound(N_("no such workshop"))
    access.assessment(db, actor, found.assessment_id, minimum)
    return found


def get(db: Session, actor: Actor, workshop_id: int) -> Workshop:
    """Return the workshop (viewer and up of its organization)."""
    return _workshop(db, actor, workshop_id, "viewer")


def of_assessment(db: Session, actor: Actor, assessment_id: int) -> list[Workshop]:
    """Return the assessment's workshops, newest first (viewer and up)."""
    access.assessment(db, actor, assessment_id, "viewer")
    return list(
        db.scalars(select(Workshop).where(Workshop.assessment_id == assessment_id).order_by(Workshop.id.desc()))
    )


def latest_of(db: Session, assessment_id: int) -> Workshop | None:
    """The assessment's newest workshop, for a caller already allowed to see the assessment (reports, exports)."""
    return db.scalar(
        select(Workshop).where(Workshop.assessment_id == assessment_id).order_by(Workshop.id.desc()).limit(1)
    )


def ordinal(db: Session, workshop: Workshop) -> int:
    """Which of its assessment's workshops ``workshop`` is, counted in the order they were started (1 for the first)."""
    earlier = db.scalar(
        select(func.count())
        .select_from(Workshop)
        .where(Workshop.assessment_id == workshop.assessment_id, Workshop.id < workshop.id)
    )
    return int(earlier or 0) + 1


def _changed(db: Session, workshop: Workshop) -> int:
    """Raise the workshop's version (atomically, whichever worker writes) and announce it at commit."""
    db.flush()
    version = db.scalar(
        update(Workshop)
        .where(Workshop.id == workshop.id)
        .values(version=Workshop.version + 1)
        .returning(Workshop.version)
        .execution_options(synchronize_session=False)
    )
    assert version is not None
    workshop.version = version
    db.expire(workshop, ["version"])
    announce(db, workshop.id, version)
    return version


def _require_live(workshop: Workshop) -> None:
    if workshop.status != "running":
        raise Conflict(N_("this workshop has ended; start a new one to change anything"))
    if expired(workshop):
        raise Conflict(N_("this workshop has expired; start a new one to change anything"))


def _control(db: Session, actor: Actor, workshop_id: int) -> Workshop:
    """The workshop, for a change by its facilitator (facilitator role; running and not expired)."""
    workshop = _workshop(db, actor, workshop_id, "facilitator")
    _require_live(workshop)
    return workshop


# --- starting and ending ----------------------------------------------------------------------------------------------


def _unique_code(db: Session) -> str:
    for _ in range(20):
        code = new_join_code()
        if db.scalar(select(Workshop.id).where(Workshop.join_code == code)) is None:
            return code
    raise Conflict(N_("could not find a free join code; try again"))  # 20 collisions in 729 million: not in practice


def surveyed(db: Session, assessment: Assessment) -> Result | None:
    """The assessment's result as surveyed, or None while it has no usable answer."""
    found = results.results_of(db, assessment).result
    return found if found.scorable else None


def start(db: Session, actor: Actor, assessment_id: int) -> Workshop:
    """Start a workshop on the assessment (open or closed), its agenda built from the results as surveyed.

    One workshop runs per assessment at a time: a second start while one runs is refused (Conflict).
    """
    assessment = access.assessment(db, actor, assessment_id, "facilitator")
    if assessment.status == "draft":
        raise Conflict(N_("open the assessment first: a workshop discusses its results"))
    for running in db.scalars(
        select(Workshop).where(Workshop.assessment_id == assessment.id, Workshop.status == "running")
    ):
        if not expired(running):
            raise Conflict(N_("a workshop is already running on this assessment; end it before starting another"))
        _end(running)
    fw = framework_of(assessment)
    result = surveyed(db, assessment)
    now = _now()
    workshop = Workshop(
        assessment_id=assessment.id,
        status="running",
        join_code=_unique_code(db),
        expires_at=now + DURATION,
        version=1,
        definition="",
        started_by=actor.user_id,
        started_at=now,
    )
    db.add(workshop)
    db.flush()
    seeds = build_agenda(fw, result) if result is not None else []
    for position, seed in enumerate(seeds):
        db.add(
            WorkshopItem(
                workshop_id=workshop.id,
                position=position,
                kind=seed.kind,
                title=seed.title[:500],
                reason=seed.reason,
                # Written in each screen's language (services/workshop_state.py); the English sentences above stay
                # for the API.
                title_phrase=to_data(seed.title_phrase),
                reason_phrase=to_data(seed.reason_phrase),
                competency=seed.competency,
                indicator=seed.indicator,
                skipped=False,
                round=0,
                vote_state="none",
            )
        )
    db.flush()
    audit.record(
        db,
        "workshop.start",
        organization_id=assessment.organization_id,
        user_id=actor.user_id,
        target=str(assessment.id),
        workshop=workshop.id,
    )
    return workshop


def _end(workshop: Workshop) -> None:
    workshop.status = "finished"
    workshop.join_code = None  # the code dies with the workshop
    workshop.finished_at = _now()


def finish(db: Session, actor: Actor, workshop_id: int) -> Workshop:
    """End the workshop: its code stops working, its record stays."""
    workshop = _workshop(db, actor, workshop_id, "facilitator")
    if workshop.status != "running":
        raise Conflict(N_("this workshop has already ended"))
    _end(workshop)
    _changed(db, workshop)
    return workshop


# --- the agenda -------------------------------------------------------------------------------------------------------


def items(db: Session, workshop_id: int) -> list[WorkshopItem]:
    return list(
        db.scalars(
            select(WorkshopItem)
            .where(WorkshopItem.workshop_id == workshop_id)
            .order_by(WorkshopItem.position, WorkshopItem.id)
        )
    )


def _item(db: Session, workshop: Workshop, item_id: int) -> WorkshopItem:
    item = db.get(WorkshopItem, item_id)
    if item is None or item.workshop_id != workshop.id:
        raise NotFound(phrase(N_("this workshop has no agenda item %(item_id)s"), item_id=item_id))
    return item


def add_item(db: Session, actor: Actor, workshop_id: int, title: str, indicator: str | None = None) -> WorkshopItem:
    """Add an item at the end of the agenda; with an indicator the room can vote on it."""
    workshop = _control(db, actor, workshop_id)
    fw = framework_of(assessment_of(db, workshop))
    with _refusing():
        title = check_title(title)
    indicator = (indicator or "").strip() or None
    competency = None
    if indicator is not None:
        if indicator not in fw.indicator_keys:
            raise Invalid(
                phrase(N_("there is no indicator '%(indicator)s' in this assessment's framework"), indicator=indicator),
                field="indicator",
            )
        competency = next(c.key for c, i in fw.indicators if i.key == indicator)
    current = items(db, workshop.id)
    if len(current) >= MAX_ITEMS:
        raise Invalid(phrase(N_("an agenda has at most %(max_items)s items"), max_items=MAX_ITEMS), field="title")
    item = WorkshopItem(
        workshop_id=workshop.id,
        position=max((i.position for i in current), default=-1) + 1,
        kind="custom",
        title=title,
        reason=ADDED,
        reason_phrase=to_data(phrase(ADDED)),
        competency=competency,
        indicator=indicator,
        skipped=False,
        round=0,
        vote_state="none",
    )
    db.add(item)
    _changed(db, workshop)
    return item


def move_item(db: Session, actor: Actor, workshop_id: int, item_id: int, position: int) -> list[WorkshopItem]:
    """Move an item to ``position`` (0 is first; beyond the end is last) and renumber the agenda."""
    workshop = _control(db, actor, workshop_id)
    item = _item(db, workshop, item_id)
    order = [i for i in items(db, workshop.id) if i.id != item.id]
    order.insert(max(0, min(position, len(order))), item)
    for n, each in enumerate(order):
        each.position = n
    _changed(db, workshop)
    return order


def skip_item(db: Session, actor: Actor, workshop_id: int, item_id: int, skipped: bool = True) -> WorkshopItem:
    workshop = _control(db, actor, workshop_id)
    item = _item(db, workshop, item_id)
    item.skipped = skipped
    _changed(db, workshop)
    return item


def show_item(db: Session, actor: Actor, workshop_id: int, item_id: int | None) -> Workshop:
    """Put an item on every screen (None: none). Votes on the item that was shown before are no longer taken."""
    workshop = _control(db, actor, workshop_id)
    if item_id is not None:
        item = _item(db, workshop, item_id)
        if item.skipped:
            raise Conflict(N_("this item is skipped; take it back onto the agenda first"))
    workshop.current_item_id = item_id
    _changed(db, workshop)
    return workshop


# --- votes ------------------------------------------------------------------------------------------------------------


def _current(db: Session, workshop: Workshop, item_id: int) -> WorkshopItem:
    item = _item(db, workshop, item_id)
    if workshop.current_item_id != item.id:
        raise Conflict(N_("the room has moved on from this item"))
    return item


def open_vote(db: Session, actor: Actor, workshop_id: int, item_id: int) -> WorkshopItem:
    """Open a new anonymous round on the item on screen; its votes stay hidden until ``reveal``."""
    workshop = _control(db, actor, workshop_id)
    item = _current(db, workshop, item_id)
    if item.indicator is None:
        raise Conflict(N_("this item names no indicator, so there is nothing to vote on"))
    if item.vote_state == "open":
        raise Conflict(N_("a vote on this item is open already; reveal it first"))
    item.round += 1
    item.vote_state = "open"
    _changed(db, workshop)
    return item


def reveal(db: Session, actor: Actor, workshop_id: int, item_id: int) -> WorkshopItem:
    """Reveal the open round: its distribution is shown to everyone from now on."""
    workshop = _control(db, actor, workshop_id)
    item = _item(db, workshop, item_id)
    if item.vote_state != "open":
        raise Conflict(N_("there is no open vote on this item to reveal"))
    item.vote_state = "revealed"
    _changed(db, workshop)
    return item


@dataclass(frozen=True)
class Participant:
    id: int
    workshop_id: int


def join(db: Session, typed_code: str) -> tuple[str, Participant]:
    """Join the running workshop whose code was typed; return the participant's new token (for a cookie).

    An unknown, ended or expired code is NotFound (the caller counts it against the client's guesses).
    """
    code = normalize_join_code(typed_code)
    workshop = db.scalar(select(Workshop).where(Workshop.join_code == code)) if code else None
    if workshop is None or not is_live(workshop):
        raise NotFound(NOT_VALID)
    count = db.scalar(select(func.count()).where(WorkshopParticipant.workshop_id == workshop.id)) or 0
    if count >= MAX_PARTICIPANTS:
        raise Conflict(
            phrase(N_("this workshop is full (%(max_participants)s participants)"), max_participants=MAX_PARTICIPANTS)
        )
    token = new_token()
    row = WorkshopParticipant(workshop_id=workshop.id, token_hash=digest(token))
    db.add(row)
    db.flush()
    _changed(db, workshop)
    return token, Participant(row.id, workshop.id)


def participant(db: Session, token: str | None) -> tuple[Participant, Workshop] | None:
    """Return the participant holding ``token`` and their workshop, or None (unknown token)."""
    if not token or len(token) > 100:
        return None
    row = db.scalar(select(WorkshopParticipant).where(WorkshopParticipant.token_hash == digest(token)))
    if row is None:
        return None
    workshop = db.get(Workshop, row.workshop_id)
    assert workshop is not None
    return Participant(row.id, row.workshop_id), workshop


def _as_participant(db: Session, token: str | None) -> tuple[Participant, Workshop]:
    found = participant(db, token)
    if found is None:
        raise NotFound(N_("you have not joined this workshop; join with the code on the screen"))
    _, workshop = found
    if not is_live(workshop):
        raise Conflict(N_("this workshop has ended; thank you for taking part"))
    return found


def vote(db: Session, token: str | None, item_id: int, round_: int, option: str) -> None:
    """Record the participant's anonymous vote in the open round of the item on screen.

    Refused, with nothing stored: a vote on an item the room has moved on from, in a round that is not open (closed,
    revealed, or an older round), an option the item does not have, and a second vote in the same round (the unique
    constraint on item, participant and round counts a vote at most once, even when two arrive at the same moment).
    """
    who, workshop = _as_participant(db, token)
    item = _current(db, workshop, item_id)
    if item.vote_state != "open" or item.round != round_:
        raise Conflict(N_("this vote is closed; wait for the facilitator to open the next one"))
    fw = framework_of(assessment_of(db, workshop))
    assert item.indicator is not None
    with _refusing():
        check_vote([key for key, _ in vote_options(fw, item.indicator)], option)
    existing = db.scalar(
        select(WorkshopVote.id).where(
            WorkshopVote.item_id == item.id, WorkshopVote.participant_id == who.id, WorkshopVote.round == round_
        )
    )
    if existing is not None:
        raise Conflict(N_("you have voted in this round already; each person votes once"))
    try:
        with db.begin_nested():
            db.add(WorkshopVote(item_id=item.id, participant_id=who.id, round=round_, option_key=option))
    except IntegrityError:
        raise Conflict(N_("you have voted in this round already; each person votes once")) from None
    _changed(db, workshop)


def my_vote(db: Session, participant_id: int, item: WorkshopItem) -> str | None:
    """The participant's own vote in the item's latest round (shown only to them)."""
    return db.scalar(
        select(WorkshopVote.option_key).where(
            WorkshopVote.item_id == item.id,
            WorkshopVote.participant_id == participant_id,
            WorkshopVote.round == item.round,
        )
    )


# --- agreed answers, the definition, commitments, next steps ----------------------------------------------------------


def assessment_of(db: Session, workshop: Workshop) -> Assessment:
    found = db.get(Assessment, workshop.assessment_id)
    assert found is not None
    return found


def agree(
    db: Session, actor: Actor, workshop_id: int, indicator: str, option: str, rationale: str, evidence: str = ""
) -> AgreedAnswer:
    """Record the team's agreed answer for an indicator (replacing an earlier one), checked against its options."""
    workshop = _control(db, actor, workshop_id)
    assessment = assessment_of(db, workshop)
    with _refusing():
        agreed = check_agreed(framework_of(assessment), indicator, option, rationale, evidence)
    row = db.scalar(
        select(AgreedAnswer).where(
            AgreedAnswer.assessment_id == assessment.id, AgreedAnswer.indicator_key == agreed.indicator
        )
    )
    if row is None:
        row = AgreedAnswer(assessment_id=assessment.id, indicator_key=agreed.indicator)
        db.add(row)
    row.workshop_id = workshop.id
    row.option_key = agreed.option
    row.rationale = agreed.rationale
    row.evidence = agreed.evidence
    row.recorded_by = actor.user_id
    row.recorded_at = _now()
    audit.record(
        db,
        "workshop.agree",
        organization_id=assessment.organization_id,
        user_id=actor.user_id,
        target=str(assessment.id),
        indicator=agreed.indicator,
        option=agreed.option,
    )
    _changed(db, workshop)
    return row


def agreed_answers(db: Session, assessment_id: int) -> list[AgreedAnswer]:
    """The assessment's agreed answers (for a caller allowed to see it), in indicator key order."""
    return list(
        db.scalars(
            select(AgreedAnswer).where(AgreedAnswer.assessment_id == assessment_id).order_by(AgreedAnswer.indicator_key)
        )
    )


def remove_agreed(db: Session, actor: Actor, workshop_id: int, indicator: str) -> None:
    workshop = _control(db, actor, workshop_id)
    gone = db.execute(
        delete(AgreedAnswer).where(
            AgreedAnswer.assessment_id == workshop.assessment_id, AgreedAnswer.indicator_key == indicator
        )
    )
    if not gone.rowcount:  # type: ignore[attr-defined]
        raise NotFound(phrase(N_("there is no agreed answer for %(indicator)s"), indicator=indicator))
    _changed(db, workshop)


def set_definition(db: Session, workshop: Workshop, text: str, base: str | None) -> str:
    """Replace the definition of a good customer experience; refused when it changed since ``base`` (the text the
    writer started from), so that two people editing at once never overwrite each other unseen."""
    _require_live(workshop)
    with _refusing():
        cleaned = check_definition(text)
    if base is not None and base.strip() != workshop.definition:
        raise Conflict(N_("someone changed the definition meanwhile; the current text is shown, add your change to it"))
    workshop.definition = cleaned
    _changed(db, workshop)
    return cleaned


def define(db: Session, actor: Actor, workshop_id: int, text: str, base: str | None = None) -> str:
    """The facilitator edits the definition."""
    return set_definition(db, _workshop(db, actor, workshop_id, "facilitator"), text, base)


def define_as_participant(db: Session, token: str | None, text: str, base: str | None) -> str:
    """A participant edits the definition from their phone: the room writes it together."""
    _, workshop = _as_participant(db, token)
    return set_definition(db, workshop, text, base)


def _commit(db: Session, workshop: Workshop, participant_id: int | None, **fields: str) -> WorkshopCommitment:
    _require_live(workshop)
    with _refusing():
        made = check_commitment(fields["who"], fields["what"], fields["by_when"], fields["visibility"], _now().date())
    count = db.scalar(select(func.count()).where(WorkshopCommitment.workshop_id == workshop.id)) or 0
    if count >= MAX_COMMITMENTS:
        raise Invalid(
            phrase(N_("a workshop records at most %(max_commitments)s commitments"), max_commitments=MAX_COMMITMENTS),
            field="what",
        )
    row = WorkshopCommitment(
        workshop_id=workshop.id,
        participant_id=participant_id,
        who=made.who,
        what=made.what,
        by_when=made.by_when,
        public=made.visibility == "public",
    )
    db.add(row)
    _changed(db, workshop)
    return row


def commit_as_participant(
    db: Session, token: str | None, who: str, what: str, by_when: str, visibility: str
) -> WorkshopCommitment:
    """A leader's own commitment from their phone: public (the room sees it) or private (the facilitator only)."""
    found, workshop = _as_participant(db, token)
    return _commit(db, workshop, found.id, who=who, what=what, by_when=by_when, visibility=visibility)


def commit(
    db: Session, actor: Actor, workshop_id: int, who: str, what: str, by_when: str, visibility: str
) -> WorkshopCommitment:
    """A commitment the facilitator records for a leader."""
    workshop = _workshop(db, actor, workshop_id, "facilitator")
    return _commit(db, workshop, None, who=who, what=what, by_when=by_when, visibility=visibility)


def commitments(db: Session, workshop_id: int, *, private: bool) -> list[WorkshopCommitment]:
    """The workshop's commitments; private ones only when ``private`` (the facilitator's views and the record)."""
    query = select(WorkshopCommitment).where(WorkshopCommitment.workshop_id == workshop_id)
    if not private:
        query = query.where(WorkshopCommitment.public.is_(True))
    return list(db.scalars(query.order_by(WorkshopCommitment.by_when, WorkshopCommitment.id)))


@dataclass(frozen=True)
class Review:
    """A commitment of the previous assessment's workshop, to be reviewed at this re-assessment."""

    id: int
    who: str
    what: str
    by_when: date
    public: bool
    kept: bool | None


def to_review(db: Session, actor: Actor, assessment_id: int) -> list[Review]:
    """The commitments made in the latest workshop of the assessment this one was started from (re-assess), with
    whether they were kept; private ones only for facilitators (they were kept to the facilitator)."""
    assessment = access.assessment(db, actor, assessment_id, "viewer")
    if assessment.previous_id is None:
        return []
    workshop = latest_of(db, assessment.previous_id)
    if workshop is None:
        return []
    role = access.require_role(db, actor, assessment.organization_id)
    private = role in ("facilitator", "owner")
    return [
        Review(c.id, c.who, c.what, c.by_when, c.public, c.kept) for c in commitments(db, workshop.id, private=private)
    ]


def mark_kept(db: Session, actor: Actor, assessment_id: int, kept: dict[int, bool | None]) -> int:
    """Record which of the previous workshop's commitments were kept (True), not kept (False) or not yet known
    (None), at this re-assessment (facilitator); return how many changed. Ids not under review are refused."""
    access.assessment(db, actor, assessment_id, "facilitator")
    reviewed = {r.id for r in to_review(db, actor, assessment_id)}
    unknown = sorted(set(kept) - reviewed)
    if unknown:
        raise Invalid(
            phrase(N_("commitment %(value)s is not one of the previous workshop's"), value=unknown[0]), field="kept"
        )
    changed = 0
    for commitment_id, value in kept.items():
        row = db.get(WorkshopCommitment, commitment_id)
        if row is not None and row.kept != value:
            row.kept = value
            changed += 1
    return changed


def add_next_step(
    db: Session, actor: Actor, workshop_id: int, title: str, competency: str, owner: str, duration: int = 1
) -> WorkshopNextStep:
    workshop = _control(db, actor, workshop_id)
    fw = framework_of(assessment_of(db, workshop))
    with _refusing():
        step = check_next_step(fw, title, competency, owner, duration)
    count = db.scalar(select(func.count()).where(WorkshopNextStep.workshop_id == workshop.id)) or 0
    if count >= MAX_NEXT_STEPS:
        raise Invalid(
            phrase(N_("a workshop records at most %(max_next_steps)s next steps"), max_next_steps=MAX_NEXT_STEPS),
            field="title",
        )
    row = WorkshopNextStep(
        workshop_id=workshop.id, title=step.title, competency=step.competency, owner=step.owner, duration=step.duration
    )
    db.add(row)
    _changed(db, workshop)
    return row


def next_steps(db: Session, workshop_id: int) -> list[WorkshopNextStep]:
    return list(
        db.scalars(
            select(WorkshopNextStep).where(WorkshopNextStep.workshop_id == workshop_id).order_by(WorkshopNextStep.id)
        )
    )


def initiative_key(workshop_id: int, step_id: int) -> str:
    return f"workshop-{workshop_id}-step-{step_id}"


def steps_to_plan(db: Session, actor: Actor, workshop_id: int) -> plans.SavedPlan:
    """Make every next step not yet in the plan an initiative of the team's own, must-do, with its owner, and re-plan
    around them (one new plan version). Each starts from its competency's stage as surveyed."""
    workshop = _workshop(db, actor, workshop_id, "facilitator")
    assessment = assessment_of(db, workshop)
    fw = framework_of(assessment)
    new = [s for s in next_steps(db, workshop.id) if s.initiative_key is None]
    if not new:
        raise Invalid(N_("every next step is in the plan already; add a next step first"), field="title")
    result = surveyed(db, assessment)
    stage_of = {c.key: c.stage for c in result.competencies} if result is not None else {}
    current = plans.settings(db, actor, assessment.id)
    custom = list(current.custom)
    for step in new:
        custom.append(
            Candidate(
                key=initiative_key(workshop.id, step.id),
                title=step.title,
                competency=step.competency,
                from_stage=stage_of.get(step.competency) or fw.stage_keys[0],
                effort=float(step.duration),
                duration=step.duration,
                description=NEXT_STEP_DESCRIPTION,
                custom=True,
            )
        )
    keys = [initiative_key(workshop.id, s.id) for s in new]
    plans.set_settings(
        db,
        actor,
        assessment.id,
        plans.Settings(
            horizon=current.horizon,
            budget=current.budget,
            capacity=current.capacity,
            max_concurrent=max(current.max_concurrent, min(len(keys), plans.MAX_CONCURRENT)),
            must=(*current.must, *keys),
            must_not=current.must_not,
            custom=tuple(custom),
            start_date=current.start_date,
        ),
    )
    saved = plans.adjust(
        db, actor, assessment.id, [plans.Change(k, owner=s.owner) for k, s in zip(keys, new, strict=True)]
    )
    for key, step in zip(keys, new, strict=True):
        step.initiative_key = key
    if workshop.status == "running":
        _changed(db, workshop)
    return saved


def participants(db: Session, workshop_id: int) -> int:
    return db.scalar(select(func.count()).where(WorkshopParticipant.workshop_id == workshop_id)) or 0


def votes_of(db: Session, item: WorkshopItem, round_: int) -> list[str]:
    """The options voted in a round of an item (no participant ids: a vote is never linked to a person)."""
    return list(
        db.scalars(select(WorkshopVote.option_key).where(WorkshopVote.item_id == item.id, WorkshopVote.round == round_))
    )


def today() -> date:
    return _now().date()
