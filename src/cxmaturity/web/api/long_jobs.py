"""API version 1, long jobs: a large answers import or a report file done by the job queue, and its progress.

``POST /assessments/{id}/answers/import`` answers ``202`` with a job when the file is larger than
CXM_IMPORT_JOB_BYTES; ``POST /assessments/{id}/report-jobs`` always does. ``GET /jobs/{id}`` shows the job's state
and progress, ``GET /jobs/{id}/report`` the finished report. Only members of the job's organization see a job
(services/long_jobs.py); docs/api.md has examples.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import JSONResponse

from cxmaturity.i18n import use_locale
from cxmaturity.i18n.phrase import translated
from cxmaturity.services import long_jobs
from cxmaturity.services.long_jobs import JobView
from cxmaturity.storage import ID_MAX
from cxmaturity.web.api import schemas
from cxmaturity.web.api.deps import ApiRoute, Token, acting
from cxmaturity.web.api.v1 import ERRORS, REPORT_CONTENT
from cxmaturity.web.context import jobs_of, page_language
from cxmaturity.web.pages.reports import download

router = APIRouter(prefix="/api/v1", route_class=ApiRoute, responses=ERRORS, tags=["jobs"])

JobId = Annotated[int, Path(ge=1, le=ID_MAX, description="A job's id.")]
AssessmentId = Annotated[int, Path(ge=1, le=ID_MAX, description="An assessment's id.")]


def _stage(request: Request, job: JobView) -> schemas.JobStagePublic | None:
    text = job.stage_text
    if job.stage is None or text is None:
        return None
    with use_locale(page_language(request)):
        label = translated(text)
    return schemas.JobStagePublic(step=job.stage["step"], n=job.stage.get("n"), of=job.stage.get("of"), label=label)


def job_public(request: Request, job: JobView) -> schemas.JobPublic:
    url = f"/api/v1/jobs/{job.id}"
    return schemas.JobPublic(
        id=job.id,
        kind=job.kind,
        state=job.state,
        assessment_id=job.assessment_id,
        done=job.done,
        total=job.total,
        stage=_stage(request, job),
        result=job.result,
        error=schemas.JobErrorPublic(**job.error) if job.error else None,
        url=url,
        file_url=f"{url}/report" if job.kind == long_jobs.REPORT and job.state == "done" else None,
        created_at=job.created_at,
        finished_at=job.finished_at,
    )


def accepted(request: Request, token: str, job_id: int) -> JSONResponse:
    """``202 Accepted`` with the job just queued, and where to follow it."""
    jobs_of(request).run_long(job_id)
    with acting(request, token, write=False) as (db, actor):
        job = long_jobs.get(db, actor, job_id)
    return JSONResponse(
        job_public(request, job).model_dump(mode="json"),
        status_code=202,
        headers={"Location": f"/api/v1/jobs/{job_id}"},
    )


@router.get("/jobs/{job_id}", summary="A long job's state and progress (members of its organization)")
def get_job(request: Request, token: Token, job_id: JobId) -> schemas.JobPublic:
    with acting(request, token) as (db, actor):
        return job_public(request, long_jobs.get(db, actor, job_id))


@router.post(
    "/assessments/{assessment_id}/report-jobs",
    status_code=202,
    summary="Make a report file (a PDF of many units, say) by the job queue; follow the job, then download it",
    response_model=schemas.JobPublic,
)
def create_report_job(
    request: Request, token: Token, assessment_id: AssessmentId, body: schemas.ReportJobCreate
) -> Response:
    with acting(request, token) as (db, actor):
        job_id = long_jobs.start_report(db, actor, assessment_id, body.format, body.paper, body.language)
    return accepted(request, token, job_id)


@router.get(
    "/jobs/{job_id}/report",
    summary="The file a finished report job made",
    response_class=Response,
    responses={
        200: {"content": REPORT_CONTENT, "description": "The report, as an attachment."},
        409: {"model": schemas.ErrorPublic, "description": "The job is not done (yet)."},
    },
)
def get_job_report(request: Request, token: Token, job_id: JobId) -> Response:
    with acting(request, token) as (db, actor):
        file = long_jobs.report_file(db, actor, job_id)
    return download(file)
