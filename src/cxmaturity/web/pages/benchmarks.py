"""Peer benchmark pages: an assessment's benchmark against a cohort (filters as a GET form, charts and tables),
the dataset download, and an organization's benchmark settings (contributing or not, imported datasets).

Any member of the organization reads the benchmark; owners change whether the organization contributes, import and
remove datasets and download a cohort as a dataset. Everything goes through ``services.benchmarks``, which checks
roles and applies the privacy rules; this module reads forms and chooses what to show.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, Response, UploadFile

from cxmaturity.benchmarks.privacy import CohortFilter
from cxmaturity.demo import SYNTHETIC_LABEL
from cxmaturity.i18n import N_
from cxmaturity.reporting import benchmark_view
from cxmaturity.services import access, benchmarks
from cxmaturity.services.errors import Invalid, ServiceError
from cxmaturity.web.context import (
    check_csrf,
    page_language,
    page_text,
    read_upload,
    redirect,
    refusal,
    render,
    require_signed_in,
    settings_of,
    unit_of_work,
)

router = APIRouter()

NO_STORE = {"Cache-Control": "private, no-store"}
#: What the settings page says after a change (``?done=``), translated into the page's language where shown.
NOTICES = {
    "contributing": N_("Your organization now shares its results with the installation's benchmarks."),
    "not-contributing": N_("Your organization no longer shares its results with the installation's benchmarks."),
    "imported": N_("The dataset was imported. It is shown, with its source and date, beside matching benchmarks."),
    "removed": N_("The dataset was removed."),
}


def _cohort(industry: str, size_band: str, region: str) -> CohortFilter:
    return CohortFilter.of(industry[:100], size_band[:50], region[:100])


def _query(cohort: CohortFilter) -> str:
    from urllib.parse import urlencode

    pairs = cohort.pairs()
    return ("?" + urlencode(pairs)) if pairs else ""


def _reraise(exc: ServiceError) -> bool:
    return exc.status in (403, 404) and exc.field is None


def _page(request: Request, assessment_id: int, cohort: CohortFilter) -> Response:
    settings = settings_of(request)
    # A look at a benchmark may release the pool's waiting changes first (benchmark_pool.release_if_due): a write.
    with unit_of_work(request, write=True) as db:
        who = require_signed_in(request, db)
        shown = benchmarks.benchmark(db, who.actor, assessment_id, cohort, settings.benchmark_min_cohort)
        assessment = shown.assessment
        role = access.require_role(db, who.actor, assessment.organization_id)
        language = page_language(request)
        response = render(
            request,
            "benchmark.html",
            who,
            assessment=assessment,
            organization=assessment.organization,
            framework_name=shown.framework.text(shown.framework.name, language),
            shown=shown,
            view=benchmark_view.build(shown, language),
            role=role,
            query=_query(cohort),
            synthetic_label=SYNTHETIC_LABEL,
        )
    response.headers.update(NO_STORE)
    return response


@router.get("/assessments/{assessment_id}/benchmark")
def benchmark_page(
    request: Request, assessment_id: int, industry: str = "", size_band: str = "", region: str = ""
) -> Response:
    return _page(request, assessment_id, _cohort(industry, size_band, region))


@router.get("/assessments/{assessment_id}/benchmark/dataset.json")
def benchmark_dataset(
    request: Request, assessment_id: int, industry: str = "", size_band: str = "", region: str = ""
) -> Response:
    """The cohort on the page as a dataset for another installation (owners only): aggregates, no names."""
    settings = settings_of(request)
    with unit_of_work(request, write=True) as db:  # may release the pool's waiting changes first
        who = require_signed_in(request, db)
        data = benchmarks.export_for_assessment(
            db,
            who.actor,
            assessment_id,
            _cohort(industry, size_band, region),
            settings.benchmark_min_cohort,
            settings.source_name(),
            date.today(),
        )
    name = f"benchmark-{data['framework']['id']}-{data['date']}.json"
    return Response(
        benchmarks.dataset_json(data),
        media_type="application/json",
        headers={**NO_STORE, "Content-Disposition": f'attachment; filename="{name}"'},
    )


# --- an organization's benchmark settings -----------------------------------------------------------------------


def _settings_page(request: Request, organization_id: int, status_code: int = 200, **extra: Any) -> Response:
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        found = benchmarks.organization_benchmarks(db, who.actor, organization_id)
        done = NOTICES.get(request.query_params.get("done", ""))
        notice = page_text(request, done) if done else ""
        response = render(
            request,
            "benchmark_settings.html",
            who,
            status_code=status_code,
            org=found.organization,
            role=found.role,
            found=found,
            k=settings_of(request).benchmark_min_cohort,
            notice=notice,
            **extra,
        )
    response.headers.update(NO_STORE)
    return response


@router.get("/orgs/{organization_id}/benchmarks")
def settings_page(request: Request, organization_id: int) -> Response:
    return _settings_page(request, organization_id)


@router.post("/orgs/{organization_id}/benchmarks/contribution")
def set_contribution(
    request: Request,
    organization_id: int,
    contribute: Annotated[str, Form(max_length=10)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        check_csrf(request, who, csrf_token)
        if contribute not in ("yes", "no"):
            access.require_role(db, who.actor, organization_id, "owner")
            raise Invalid(N_("choose whether your organization shares its results"), field="contribute")
        benchmarks.set_opt_out(db, who.actor, organization_id, opt_out=contribute == "no")
    done = "contributing" if contribute == "yes" else "not-contributing"
    return redirect(f"/orgs/{organization_id}/benchmarks?done={done}")


@router.post("/orgs/{organization_id}/benchmarks/datasets")
def import_dataset(
    request: Request,
    organization_id: int,
    file: Annotated[UploadFile | None, File()] = None,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    try:
        with unit_of_work(request) as db:
            who = require_signed_in(request, db)
            check_csrf(request, who, csrf_token)
            access.require_role(db, who.actor, organization_id, "owner")
            name, text = read_upload(file, settings_of(request).max_upload_bytes, N_("dataset (JSON)"))
            benchmarks.import_dataset(db, who.actor, organization_id, name, text)
    except ServiceError as exc:
        if _reraise(exc):
            raise
        return _settings_page(request, organization_id, exc.status, error=refusal(request, exc), details=exc.details)
    return redirect(f"/orgs/{organization_id}/benchmarks?done=imported")


@router.post("/orgs/{organization_id}/benchmarks/datasets/{dataset_id}/delete")
def delete_dataset(
    request: Request, organization_id: int, dataset_id: int, csrf_token: Annotated[str, Form()] = ""
) -> Response:
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        check_csrf(request, who, csrf_token)
        benchmarks.delete_dataset(db, who.actor, organization_id, dataset_id)
    return redirect(f"/orgs/{organization_id}/benchmarks?done=removed")
