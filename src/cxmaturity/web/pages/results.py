"""The results dashboard of an assessment, and its result as JSON (the shape of ``cxm score --format json``).

Both score the answers as they are now (services.results) for any member of the assessment's organization, viewer
role and up; outsiders get 404. The page renders only from the view model (reporting.view), so the reports show the
same numbers; charts are Vega-Lite specs from reporting.charts, drawn in the browser by static/charts.js.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from cxmaturity.demo import SYNTHETIC_LABEL
from cxmaturity.reporting import view
from cxmaturity.scoring.serialize import result_to_dict
from cxmaturity.services import results
from cxmaturity.services.errors import ServiceError
from cxmaturity.web.context import page_language, render, require_signed_in, unit_of_work

router = APIRouter()

#: Results are the organization's private data: never kept by a shared cache or the browser's back/forward store.
NO_STORE = {"Cache-Control": "private, no-store"}


@router.get("/assessments/{assessment_id}/results")
def results_page(request: Request, assessment_id: int) -> Response:
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        scored = results.results(db, who.actor, assessment_id)
        assessment = scored.assessment
        response = render(
            request,
            "results.html",
            who,
            assessment=assessment,
            organization=assessment.organization,
            # Built in the page's language: chart titles and descriptions are written when the view is made.
            view=view.of(scored, page_language(request)),
        )
    response.headers.update(NO_STORE)
    return response


@router.get("/assessments/{assessment_id}/results.json")
def results_json(request: Request, assessment_id: int) -> Response:
    try:
        with unit_of_work(request) as db:
            who = require_signed_in(request, db)
            scored = results.scorable_results(db, who.actor, assessment_id)
    except ServiceError as exc:
        return JSONResponse({"detail": exc.message}, status_code=exc.status, headers=NO_STORE)
    data = result_to_dict(scored.result)
    if scored.assessment.synthetic:
        data = {"data": SYNTHETIC_LABEL, **data}  # labelled as `cxm demo --format json` labels it
    return JSONResponse(data, headers={**NO_STORE, "X-Result-Basis": "as surveyed"})
