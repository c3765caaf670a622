"""API version 1, progress over time: an assessment's series, comparing two assessments, re-assessing, and the
status of each initiative of a saved plan. Same tokens, errors and bounds as ``v1``; docs/api.md has examples.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy.orm import Session

from cxmaturity.demo import SYNTHETIC_LABEL
from cxmaturity.progress import comparison_to_dict
from cxmaturity.services import assessments, plans
from cxmaturity.services import progress as series_service
from cxmaturity.services.access import Actor
from cxmaturity.web.api import schemas
from cxmaturity.web.api.deps import ApiRoute, Token, acting
from cxmaturity.web.api.v1 import CONFLICT, ERRORS

router = APIRouter(prefix="/api/v1", route_class=ApiRoute, responses=ERRORS, tags=["progress"])

AssessmentId = Annotated[int, Path(description="An assessment's id.")]
OtherId = Annotated[int, Path(description="The later assessment's id (same organization and framework id).")]
InitiativeKey = Annotated[str, Path(min_length=1, max_length=64, description="An initiative's key.")]
Status = Literal["planned", "in progress", "done", "dropped"]


class SeriesEntryPublic(schemas._Out):
    id: int
    title: str
    status: Literal["draft", "open", "closed"]
    day: date = Field(description="The day its answers describe: closed, else latest answer, else created.")
    framework: schemas.FrameworkRefPublic
    previous_id: int | None = Field(description="The assessment it was started from (re-assess), if any.")
    synthetic: bool


class ReassessCreate(schemas._In):
    title: Annotated[str, StringConstraints(max_length=300)] | None = Field(
        default=None, description="The new assessment's title; by default the earlier one's with (re-assessment)."
    )
    framework: Annotated[str, StringConstraints(max_length=100)] | None = Field(
        default=None,
        description="`same` (default) keeps the framework version; or a ref of another version of the same framework "
        "id from GET /api/v1/frameworks (`builtin:ID`, `uploaded:N`).",
    )


class InitiativeStatusUpdate(schemas._In):
    status: Status


class InitiativeStatusPublic(schemas._Out):
    key: str
    title: str
    competency: str
    status: Status
    changed_by: str | None = Field(description="Who set the status last (null while it is the default, planned).")
    changed_at: schemas.Utc | None


class ComparisonPublic(BaseModel):
    """The shape of ``cxm compare --format json`` (docs/progress.md), with the review of targets and plan."""

    model_config = ConfigDict(extra="allow")

    format: Literal["cx-maturity/comparison@1"]
    framework: str
    before: dict[str, Any]
    after: dict[str, Any]
    confidence: float
    overall: dict[str, Any]
    competencies: list[dict[str, Any]]
    indicators: list[dict[str, Any]]
    discussion_items: list[dict[str, Any]]
    framework_changes: dict[str, Any]
    notes: list[str]
    targets: list[dict[str, Any]]
    initiatives: list[dict[str, Any]]


@router.get("/assessments/{assessment_id}/series", summary="The assessments of its series, earliest first")
def get_series(request: Request, token: Token, assessment_id: AssessmentId) -> list[SeriesEntryPublic]:
    with acting(request, token) as (db, actor):
        found = series_service.series(db, actor, assessment_id)
        out = []
        for entry in found:
            a = entry.assessment
            fw = assessments.framework_of(a)
            out.append(
                SeriesEntryPublic(
                    id=a.id,
                    title=a.title,
                    status=a.status,
                    day=entry.day,
                    framework=schemas.FrameworkRefPublic(id=fw.id, version=fw.version, name=fw.text(fw.name)),
                    previous_id=a.previous_id,
                    synthetic=a.synthetic,
                )
            )
        return out


@router.get(
    "/assessments/{assessment_id}/compare/{other_id}",
    summary="Compare an assessment with a later one of its series (the JSON of cxm compare --format json)",
    response_model=ComparisonPublic,
)
def compare(request: Request, token: Token, assessment_id: AssessmentId, other_id: OtherId) -> Response:
    with acting(request, token) as (db, actor):
        found = series_service.compare(db, actor, assessment_id, other_id)
    data = comparison_to_dict(found.comparison, found.review)
    data["before"]["assessment_id"] = found.before.assessment.id
    data["after"]["assessment_id"] = found.after.assessment.id
    if found.before.assessment.synthetic or found.after.assessment.synthetic:
        data = {"data": SYNTHETIC_LABEL, **data}
    return JSONResponse(data)


@router.post(
    "/assessments/{assessment_id}/reassess",
    status_code=201,
    summary="Start a new draft assessment from this one (same groups, targets and plan settings)",
    responses=CONFLICT,
)
def reassess(
    request: Request, token: Token, assessment_id: AssessmentId, body: ReassessCreate | None = None
) -> schemas.AssessmentPublic:
    wanted = body or ReassessCreate()
    with acting(request, token) as (db, actor):
        created = series_service.reassess(db, actor, assessment_id, title=wanted.title, framework_ref=wanted.framework)
        db.flush()
        return schemas.AssessmentPublic.of(created, assessments.groups(db, created.id))


def _initiatives(db: Session, actor: Actor, assessment_id: int) -> list[InitiativeStatusPublic]:
    saved = plans.latest(db, actor, assessment_id)
    statuses = series_service.initiative_statuses(db, actor, assessment_id)
    if saved is None:
        return []
    return [
        InitiativeStatusPublic(
            key=i.key,
            title=i.title,
            competency=i.competency,
            status=statuses[i.key].status if i.key in statuses else "planned",
            changed_by=statuses[i.key].changed_by if i.key in statuses else None,
            changed_at=statuses[i.key].changed_at if i.key in statuses else None,
        )
        for i in saved.plan.initiatives
    ]


@router.get(
    "/assessments/{assessment_id}/initiatives",
    summary="The initiatives of the latest saved plan with their statuses",
)
def list_initiatives(request: Request, token: Token, assessment_id: AssessmentId) -> list[InitiativeStatusPublic]:
    with acting(request, token) as (db, actor):
        return _initiatives(db, actor, assessment_id)


@router.put(
    "/assessments/{assessment_id}/initiatives/{key}/status",
    summary="Set how an initiative of the latest saved plan is going",
)
def set_initiative_status(
    request: Request, token: Token, assessment_id: AssessmentId, key: InitiativeKey, body: InitiativeStatusUpdate
) -> InitiativeStatusPublic:
    with acting(request, token) as (db, actor):
        series_service.set_initiative_status(db, actor, assessment_id, key, body.status)
        return next(i for i in _initiatives(db, actor, assessment_id) if i.key == key)
