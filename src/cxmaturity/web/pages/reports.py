"""Report downloads: the executive report of an assessment as one HTML file, a PDF (A4 or US Letter) or slides (PPTX).

Any member of the assessment's organization may download it (viewer role and up, as for the results); outsiders
get 404. The database work ends before the charts are drawn and the document is written, so a slow PDF holds no
transaction open.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from cxmaturity.i18n import LOCALES, negotiate
from cxmaturity.services import reports
from cxmaturity.web.context import require_signed_in, settings_of, unit_of_work

router = APIRouter()

#: The report holds the organization's private results: never kept by a shared cache or the browser's history.
#: If a browser shows it rather than saving it, nothing in it may run or load: it needs nothing but its own styles.
HEADERS = {
    "Cache-Control": "private, no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'",
}


def download(file: reports.ReportFile) -> Response:
    """The file as an attachment with the report's headers."""
    return Response(
        file.content,
        media_type=file.media_type,
        headers={**HEADERS, "Content-Disposition": f'attachment; filename="{file.filename}"'},
    )


def _language(request: Request) -> str | None:
    """The report's language: ``?lang=`` (refused when unknown), else the browser's when there is a catalog for it,
    else the framework's own (None)."""
    asked = request.query_params.get("lang")
    if asked is not None:
        return asked
    return negotiate((), request.headers.get("accept-language"), LOCALES)


def _report(request: Request, assessment_id: int, fmt: str, paper: str) -> Response:
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        chosen, size = reports.check_format(fmt, paper)
        model = reports.report(
            db, who.actor, assessment_id, settings_of(request).benchmark_min_cohort, language=_language(request)
        )
    # In a child process: drawing and writing a report is seconds of an interpreter (services/cpu_pool.py).
    return download(reports.render_in(request.app.state.cpu, model, chosen, size))


@router.get("/assessments/{assessment_id}/report.html")
def report_html(request: Request, assessment_id: int) -> Response:
    return _report(request, assessment_id, "html", "a4")


@router.get("/assessments/{assessment_id}/report.pdf")
def report_pdf(request: Request, assessment_id: int, paper: Annotated[str, Query(max_length=10)] = "a4") -> Response:
    return _report(request, assessment_id, "pdf", paper)


@router.get("/assessments/{assessment_id}/report.pptx")
def report_pptx(request: Request, assessment_id: int) -> Response:
    return _report(request, assessment_id, "pptx", "a4")
