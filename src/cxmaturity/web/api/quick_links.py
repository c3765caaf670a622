"""API version 1, a quick evaluation's public link: publish it, read its count of answers, withdraw it, and turn the
pooled quick evaluation into a full assessment (services/quick_links.py). Facilitators only: the link is theirs to
hand out. People answer the link in the browser (``/q/TOKEN``), without an account."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import Field, StringConstraints

from cxmaturity.services import assessments, quick_links
from cxmaturity.services.quick_links import LinkStatus
from cxmaturity.web.api import schemas
from cxmaturity.web.api.deps import ApiRoute, Token, acting
from cxmaturity.web.api.v1 import CONFLICT, ERRORS
from cxmaturity.web.context import settings_of

router = APIRouter(prefix="/api/v1", route_class=ApiRoute, responses=ERRORS, tags=["quick evaluations"])

AssessmentId = Annotated[int, Path(description="A quick assessment's id (its framework is a quick form).")]


class QuickLinkPublic(schemas._Out):
    assessment_id: int
    url: str | None = Field(description="The public link to share; null before it is published and once withdrawn.")
    published: bool
    responses: int = Field(description="People who answered through the public link.")
    min_responses: int = Field(
        description="The assessment's minimum group size: the public answers join its results from this many on."
    )
    pooled: bool = Field(description="Whether the public answers are in the assessment's results yet.")

    @classmethod
    def of(cls, found: LinkStatus, base_url: str) -> QuickLinkPublic:
        return cls(
            assessment_id=found.assessment.id,
            url=f"{base_url}/q/{found.link.token}" if found.link else None,
            published=found.link is not None,
            responses=found.responses,
            min_responses=found.min_responses,
            pooled=found.pooled,
        )


class FullAssessmentCreate(schemas._In):
    title: Annotated[str, StringConstraints(max_length=300)] | None = Field(
        default=None, description="The full assessment's title; by default the quick one's with (full assessment)."
    )
    carry_answers: bool = Field(
        default=True,
        description="Carry each pooled respondent's answers to the questions both forms share (one per competency).",
    )


class FullAssessmentPublic(schemas._Out):
    assessment: schemas.AssessmentPublic
    carried: list[str] = Field(description="What was carried over, in sentences.")
    not_carried: list[str] = Field(description="What could not be carried over, and why, in sentences.")
    respondents_carried: int


def _base(request: Request) -> str:
    return settings_of(request).base_url.rstrip("/")


@router.get("/assessments/{assessment_id}/quick-link", summary="The quick evaluation's public link and its answers")
def get_quick_link(request: Request, token: Token, assessment_id: AssessmentId) -> QuickLinkPublic:
    with acting(request, token) as (db, actor):
        return QuickLinkPublic.of(quick_links.status(db, actor, assessment_id), _base(request))


@router.put(
    "/assessments/{assessment_id}/quick-link",
    summary="Publish the quick evaluation as a public link (the one in use if there is one; a draft is opened)",
    responses=CONFLICT,
)
def publish_quick_link(request: Request, token: Token, assessment_id: AssessmentId) -> QuickLinkPublic:
    with acting(request, token) as (db, actor):
        return QuickLinkPublic.of(quick_links.publish(db, actor, assessment_id), _base(request))


@router.delete(
    "/assessments/{assessment_id}/quick-link", summary="Withdraw the public link (the answers given through it stay)"
)
def withdraw_quick_link(request: Request, token: Token, assessment_id: AssessmentId) -> QuickLinkPublic:
    with acting(request, token) as (db, actor):
        return QuickLinkPublic.of(quick_links.withdraw(db, actor, assessment_id), _base(request))


@router.post(
    "/assessments/{assessment_id}/full-assessment",
    status_code=201,
    summary="Turn a quick evaluation into a draft full assessment, saying what was and was not carried over",
    responses=CONFLICT,
)
def full_assessment(
    request: Request, token: Token, assessment_id: AssessmentId, body: FullAssessmentCreate | None = None
) -> FullAssessmentPublic:
    wanted = body or FullAssessmentCreate()
    with acting(request, token) as (db, actor):
        made = quick_links.to_full_assessment(
            db, actor, assessment_id, title=wanted.title or "", carry_answers=wanted.carry_answers
        )
        db.flush()
        return FullAssessmentPublic(
            assessment=schemas.AssessmentPublic.of(made.assessment, assessments.groups(db, made.assessment.id)),
            carried=list(made.carried),
            not_carried=list(made.not_carried),
            respondents_carried=made.respondents_carried,
        )
