"""Data downloads of an assessment: ``/assessments/{id}/export/{export}.{format}``, e.g. ``answers.csv``.

Exports are answers (anonymized), comments, results, plan and all; formats csv (one table), zip (a CSV file per
table), xlsx (a sheet per table) and json. Members of the organization (viewer and up) may download them; the
results page links them. docs/exports.md describes the files.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from cxmaturity.services import exports
from cxmaturity.web.context import page_language, require_signed_in, unit_of_work

router = APIRouter()

#: The organization's private data: never kept by a shared cache or the browser's back/forward store.
NO_STORE = {"Cache-Control": "private, no-store"}


def attachment(file: exports.ExportFile) -> Response:
    """The file as a download; file names are ASCII (``assessment-12-answers.csv``), so no encoding is needed."""
    headers = {**NO_STORE, "Content-Disposition": f'attachment; filename="{file.filename}"'}
    return Response(file.body, media_type=file.media_type, headers=headers)


@router.get("/assessments/{assessment_id}/export/{filename}")
def export_file(request: Request, assessment_id: int, filename: str, lang: str = "", headers: str = "") -> Response:
    # A workbook is in the page's language (?lang=, the language cookie, the browser's); CSV files keep the stable
    # names unless ?lang= asks (docs/exports.md, "Headers and languages").
    chosen = exports.Headers(asked=lang or None, reader=page_language(request), stable=headers == "keys")
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        found = exports.download_file(db, who.actor, assessment_id, filename, chosen)
    # Written after the transaction, in a child process: a large workbook takes a moment and needs no database.
    return attachment(exports.file_in(request.app.state.cpu, found))
