"""API version 1, a quick evaluation's public link: publish it, read its count of answers, withdraw it, and turn the
pooled quick evaluation into a full assessment (services/quick_links.py), for facilitators; and, for anyone holding
the link (no account, no API token), its questions and answering it, as the page ``/q/TOKEN`` does: limited per
client address (CXM_QUICK_MAX_PER_ADDRESS), unknown tokens counted like unknown invitation links."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.responses import JSONResponse
from pydantic import Field, StringConstraints

from cxmaturity.frameworks import DONT_KNOW, NOT_APPLICABLE
from cxmaturity.frameworks.describe import answer_options
from cxmaturity.i18n.phrase import english
from cxmaturity.scoring import result_to_dict
from cxmaturity.services import assessments, quick_links
from cxmaturity.services.errors import TooMany
from cxmaturity.services.quick_links import LinkStatus
from cxmaturity.web import throttling
from cxmaturity.web.api import deps, schemas
from cxmaturity.web.api.deps import ApiRoute, Token, acting
from cxmaturity.web.api.v1 import CONFLICT, ERRORS
from cxmaturity.web.context import settings_of, unit_of_work

router = APIRouter(prefix="/api/v1", route_class=ApiRoute, responses=ERRORS, tags=["quick evaluations"])

AssessmentId = Annotated[int, Path(description="A quick assessment's id (its framework is a quick form).")]
LinkToken = Annotated[str, Path(min_length=1, max_length=100, description="The public link's token (from its URL).")]
Key = Annotated[str, StringConstraints(max_length=64)]


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
            carried=[english(line) for line in made.carried],
            not_carried=[english(line) for line in made.not_carried],
            respondents_carried=made.respondents_carried,
        )


# --- answering a public link (anyone holding it) -----------------------------------------------------------------


class QuickOptionPublic(schemas._Out):
    key: str
    label: str


class QuickQuestionPublic(schemas._Out):
    key: str = Field(description="The indicator key: the answer's key in the body of the answers.")
    competency: str
    text: str
    options: list[QuickOptionPublic] = Field(description="The stages' descriptions, first stage first.")


class QuickFormPublic(schemas._Out):
    framework_id: str
    framework_name: str
    organization: str = Field(description="The organization that asks.")
    min_responses: int = Field(description="No one's answers are shown until this many people have answered.")
    dont_know: str = Field(description="The answer key for don't know.")
    not_applicable: str = Field(description="The answer key for not applicable.")
    questions: list[QuickQuestionPublic]


class QuickAnswers(schemas._In):
    answers: dict[Key, Key] = Field(
        max_length=50, description="Per question key, an option key, dont_know or not_applicable; every question."
    )


@router.get(
    "/quick-links/{link_token}",
    tags=["respondents"],
    summary="A public quick link's questions (no account)",
    dependencies=[Depends(deps.respondent_link)],
)
def quick_link_form(request: Request, link_token: LinkToken) -> QuickFormPublic:
    with unit_of_work(request) as db:
        found = quick_links.visit(db, link_token)
        fw = found.form.framework
        return QuickFormPublic(
            framework_id=found.form.source.id,
            framework_name=fw.text(fw.name),
            organization=found.organization,
            min_responses=found.assessment.min_group_size,
            dont_know=DONT_KNOW,
            not_applicable=NOT_APPLICABLE,
            questions=[
                QuickQuestionPublic(
                    key=ind.key,
                    competency=fw.text(comp.name),
                    text=fw.text(ind.text),
                    options=[QuickOptionPublic(key=k, label=label) for k, label in answer_options(fw, ind)],
                )
                for comp, ind in fw.indicators
            ],
        )


@router.post(
    "/quick-links/{link_token}/answers",
    tags=["respondents"],
    status_code=201,
    summary="Answer a public quick link: stored anonymously, your own result returned (cxm score's JSON)",
    response_model=schemas.ResultPublic,
    responses=CONFLICT,
    dependencies=[Depends(deps.respondent_link)],
)
def answer_quick_link(request: Request, link_token: LinkToken, body: QuickAnswers) -> Response:
    with unit_of_work(request, write=True) as db:
        quick_links.visit(db, link_token)
        blocked = throttling.start_quick(request, db)
    if blocked:
        raise TooMany(
            f"too many quick evaluations from your network; try again in {blocked.minutes} minutes",
            retry_after=blocked.seconds,
        )
    with unit_of_work(request, write=True) as db:
        scored = quick_links.answer(db, link_token, dict(body.answers))
    return JSONResponse(result_to_dict(scored.result), status_code=201)
