"""API version 1, live workshops: start one on an assessment, read its state, drive it with actions (the same actions
as the control view), read its record and the result as agreed; participants join by code and vote with the token
they get (``X-Participant-Token``). Same tokens, errors and bounds as ``v1``; docs/api.md has examples.

Live updates are server-sent events on the pages' streams (docs/workshops.md); the API answers with the state after
each action, so a tool can also simply poll ``GET …/workshop``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Path, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from cxmaturity.reporting.workshop_view import state_in_english
from cxmaturity.scoring import result_to_dict
from cxmaturity.services import access, workshop_state, workshops
from cxmaturity.services.errors import NotFound
from cxmaturity.storage import ID_MAX
from cxmaturity.storage.tables import Workshop
from cxmaturity.web import live, throttling
from cxmaturity.web.api.deps import ApiRoute, Token, acting
from cxmaturity.web.api.schemas import Document
from cxmaturity.web.api.v1 import CONFLICT, ERRORS
from cxmaturity.web.context import unit_of_work
from cxmaturity.web.workshop_actions import FACILITATOR_ACTIONS, PARTICIPANT_ACTIONS, facilitate, participate

router = APIRouter(prefix="/api/v1", route_class=ApiRoute, responses=ERRORS, tags=["workshops"])

AssessmentId = Annotated[int, Path(ge=1, le=ID_MAX, description="An assessment's id.")]
ParticipantToken = Annotated[
    str | None, Header(alias="X-Participant-Token", max_length=100, description="The token `POST /join` returned.")
]

State = dict[str, Any]
# The API's states keep the agenda's English sentences (the pages write them in their reader's language).


class WorkshopStatePublic(Document):
    """A screen's view of the room (docs/api.md, Live workshops): agenda, the item on screen with its vote state, and
    what the team recorded; a participant's view carries ``me`` and never a hidden vote."""


class JoinedPublic(Document):
    """``token`` to send as ``X-Participant-Token``, and ``state``, the room as this participant sees it."""


class WorkshopRecordPublic(Document):
    """The latest workshop's record (agenda, votes as distributions, agreed answers, definition, commitments, next
    steps) with the result as agreed."""


class FacilitatorAction(BaseModel):
    """One action on the running workshop; the fields each action reads are listed in docs/api.md."""

    model_config = ConfigDict(extra="forbid")

    action: Literal[FACILITATOR_ACTIONS]  # type: ignore[valid-type]
    item_id: int | None = None
    position: int | None = None
    title: str | None = Field(default=None, max_length=200)
    indicator: str | None = Field(default=None, max_length=64)
    option: str | None = Field(default=None, max_length=64)
    rationale: str | None = Field(default=None, max_length=2000)
    evidence: str | None = Field(default=None, max_length=500)
    text: str | None = Field(default=None, max_length=4000)
    base: str | None = Field(default=None, max_length=4000)
    who: str | None = Field(default=None, max_length=100)
    what: str | None = Field(default=None, max_length=500)
    by_when: str | None = Field(default=None, max_length=10)
    visibility: Literal["public", "private"] = "public"
    competency: str | None = Field(default=None, max_length=64)
    owner: str | None = Field(default=None, max_length=100)
    duration: int | None = Field(default=None, ge=1, le=40)


class ParticipantAction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal[PARTICIPANT_ACTIONS]  # type: ignore[valid-type]
    item_id: int | None = None
    round: int | None = None
    option: str | None = Field(default=None, max_length=64)
    text: str | None = Field(default=None, max_length=4000)
    base: str | None = Field(default=None, max_length=4000)
    who: str | None = Field(default=None, max_length=100)
    what: str | None = Field(default=None, max_length=500)
    by_when: str | None = Field(default=None, max_length=10)
    visibility: Literal["public", "private"] = "public"


class JoinRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=20, description="The code on the presenter's screen.")


def _running(db: Session, assessment_id: int) -> Workshop:
    latest = workshops.latest_of(db, assessment_id)
    if latest is None:
        raise NotFound("no workshop has been run on this assessment; start one with POST …/workshop")
    return latest


@router.post(
    "/assessments/{assessment_id}/workshop",
    status_code=201,
    response_model=WorkshopStatePublic,
    summary="Start a workshop",
    responses=CONFLICT,
)
def start(request: Request, token: Token, assessment_id: AssessmentId) -> State:
    with acting(request, token) as (db, actor):
        workshop = workshops.start(db, actor, assessment_id)
        db.flush()
        return state_in_english(workshop_state.for_facilitator(db, actor, workshop.id))


@router.get(
    "/assessments/{assessment_id}/workshop",
    response_model=WorkshopStatePublic,
    summary="The latest workshop's state (facilitator)",
)
def state(request: Request, token: Token, assessment_id: AssessmentId) -> State:
    with acting(request, token) as (db, actor):
        access.assessment(db, actor, assessment_id, "facilitator")
        return state_in_english(
            workshop_state.for_facilitator(db, actor, _running(db, assessment_id).id, live.snapshot_of)
        )


@router.post(
    "/assessments/{assessment_id}/workshop/actions",
    response_model=WorkshopStatePublic,
    summary="Do one action on the running workshop; returns its new state",
    responses=CONFLICT,
)
def act(request: Request, token: Token, assessment_id: AssessmentId, body: FacilitatorAction) -> State:
    with acting(request, token) as (db, actor):
        access.assessment(db, actor, assessment_id, "facilitator")
        workshop = _running(db, assessment_id)
        facilitate(db, actor, workshop.id, body.action, body.model_dump(exclude_none=True))
        db.flush()
        db.refresh(workshop)
        return state_in_english(workshop_state.for_facilitator(db, actor, workshop.id))


@router.get(
    "/assessments/{assessment_id}/workshop/record",
    response_model=WorkshopRecordPublic,
    summary="The latest workshop's record and the result as agreed",
)
def record(request: Request, token: Token, assessment_id: AssessmentId) -> State:
    with acting(request, token) as (db, actor):
        found = workshop_state.record(db, actor, assessment_id)
        if found is None:
            raise NotFound("no workshop has been run on this assessment")
        assessment = access.assessment(db, actor, assessment_id, "viewer")
        agreed = workshop_state.as_agreed(db, assessment)
        return {
            "record": workshop_state.record_to_dict(found),
            "as_agreed": result_to_dict(agreed) if agreed is not None else None,
        }


class CommitmentReviewPublic(BaseModel):
    """A commitment of the previous assessment's workshop, reviewed at this re-assessment."""

    id: int
    who: str
    what: str
    by_when: date
    public: bool
    kept: bool | None = Field(description="true kept, false not kept, null not known yet")


class KeptBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kept: dict[int, bool | None] = Field(
        max_length=500, description="Commitment id -> true (kept), false (not kept) or null (not known yet)."
    )


def _reviews(db: Session, actor: access.Actor, assessment_id: int) -> list[CommitmentReviewPublic]:
    return [
        CommitmentReviewPublic(id=r.id, who=r.who, what=r.what, by_when=r.by_when, public=r.public, kept=r.kept)
        for r in workshops.to_review(db, actor, assessment_id)
    ]


@router.get(
    "/assessments/{assessment_id}/commitments",
    summary="The previous workshop's commitments and whether they were kept (private ones for facilitators)",
)
def commitments_to_review(request: Request, token: Token, assessment_id: AssessmentId) -> list[CommitmentReviewPublic]:
    with acting(request, token) as (db, actor):
        return _reviews(db, actor, assessment_id)


@router.put(
    "/assessments/{assessment_id}/commitments",
    summary="Record which of the previous workshop's commitments were kept (facilitators); returns them all",
)
def mark_commitments(
    request: Request, token: Token, assessment_id: AssessmentId, body: KeptBody
) -> list[CommitmentReviewPublic]:
    with acting(request, token) as (db, actor):
        workshops.mark_kept(db, actor, assessment_id, body.kept)
        return _reviews(db, actor, assessment_id)


@router.post(
    "/join",
    response_model=JoinedPublic,
    summary="Join a running workshop by its code (anonymous)",
    responses=CONFLICT,
)
def join(request: Request, body: JoinRequest) -> State:
    with throttling.counting_unknown_links(request), unit_of_work(request) as db:
        token, _ = workshops.join(db, body.code)
        db.flush()
        state = workshop_state.for_participant(db, token)
    return {"token": token, "state": None if state is None else state_in_english(state)}


@router.get("/join/state", response_model=WorkshopStatePublic, summary="The room's state as a participant sees it")
def participant_state(request: Request, participant: ParticipantToken = None) -> State:
    with unit_of_work(request) as db:
        found = workshop_state.for_participant(db, participant, live.snapshot_of)
    if found is None:
        raise NotFound("you have not joined a workshop with this token; join with POST /api/v1/join")
    return state_in_english(found)


@router.post(
    "/join/actions",
    response_model=WorkshopStatePublic,
    summary="Vote, commit or edit the definition as a participant",
    responses=CONFLICT,
)
def participant_act(request: Request, body: ParticipantAction, participant: ParticipantToken = None) -> State:
    with unit_of_work(request) as db:
        if workshops.participant(db, participant) is None:
            raise NotFound("you have not joined a workshop with this token; join with POST /api/v1/join")
        participate(db, participant, body.action, body.model_dump(exclude_none=True))
    with unit_of_work(request) as db:
        found = workshop_state.for_participant(db, participant)
    assert found is not None
    return state_in_english(found)
