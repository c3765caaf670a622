"""Long-job pages: the progress of a large answers import or of a report file the job queue makes, and the file.

The page refreshes itself (a meta refresh, no script needed) until the job is done or failed, and offers a reload
link besides. Only members of the job's organization see it (services/long_jobs.py); anyone else gets 404.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from cxmaturity.services import access, long_jobs
from cxmaturity.storage.tables import Assessment
from cxmaturity.web.context import (
    check_csrf,
    jobs_of,
    redirect,
    render,
    require_signed_in,
    unit_of_work,
)
from cxmaturity.web.pages.reports import download

router = APIRouter()

#: Seconds between two refreshes of a running job's page.
REFRESH_SECONDS = 2


@router.get("/jobs/{job_id}")
def job_page(request: Request, job_id: int) -> Response:
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        job = long_jobs.get(db, who.actor, job_id)
        assessment = db.get(Assessment, job.assessment_id)
        response = render(
            request,
            "job.html",
            who,
            job=job,
            assessment=assessment,
            refresh=None if job.finished else REFRESH_SECONDS,
        )
    response.headers["Cache-Control"] = "no-store"  # a refresh must show the progress now, not a cached page
    return response


@router.get("/jobs/{job_id}/report")
def job_report(request: Request, job_id: int) -> Response:
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        file = long_jobs.report_file(db, who.actor, job_id)
    return download(file)


@router.post("/assessments/{assessment_id}/report-jobs")
def start_report(
    request: Request,
    assessment_id: int,
    csrf_token: Annotated[str, Form()] = "",
    fmt: Annotated[str, Form(alias="format", max_length=10)] = "pdf",
    paper: Annotated[str, Form(max_length=10)] = "a4",
) -> Response:
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        check_csrf(request, who, csrf_token)
        access.assessment(db, who.actor, assessment_id, long_jobs.ROLE[long_jobs.REPORT])
        job_id = long_jobs.start_report(db, who.actor, assessment_id, fmt, paper)
    jobs_of(request).run_long(job_id)
    return redirect(f"/jobs/{job_id}")
