"""Customer outcome pages: the outcomes of an organization (metrics by period and segment with intervals, imports),
uploading a file (preview, column mapping suggested and confirmed, saved for reuse), the customer asset, key drivers,
and the executive scorecard with its downloads.

An uploaded survey file waits in the database between the preview and the import (any worker may serve either),
named by a random token only the uploader's pages know; the import removes it.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Request, Response, UploadFile

from cxmaturity.exports.scorecard import FORMATS, write_scorecard
from cxmaturity.i18n import N_, use_locale
from cxmaturity.i18n.phrase import phrase
from cxmaturity.outcomes import ColumnMapping, MappingError
from cxmaturity.outcomes.records import preview
from cxmaturity.outcomes.serialize import drivers_to_dict
from cxmaturity.reporting import scorecard_charts, svg
from cxmaturity.services import access, outcomes, scorecard
from cxmaturity.services.errors import Invalid, NotFound, ServiceError
from cxmaturity.web.context import (
    PostedForm,
    TooLarge,
    check_csrf,
    form_text,
    is_access_error,
    page_language,
    page_text,
    redirect,
    refusal,
    render,
    require_signed_in,
    settings_of,
    size_text,
    unit_of_work,
)

router = APIRouter()

#: Roles of a survey mapping the upload form offers, with their labels (translated by the page).
ROLES = (
    ("response_id", N_("Response id")),
    ("submitted_at", N_("Date")),
    ("segment", N_("Segment")),
    ("nps", N_("NPS: likelihood to recommend (0-10)")),
    ("csat", N_("CSAT: satisfaction")),
    ("ces", N_("CES: effort")),
    ("finished", N_("Finished (True/False)")),
)
_SUFFIXES = (".csv", ".xlsx", ".txt")


def _read_upload(request: Request, upload: UploadFile | None) -> tuple[str, bytes]:
    """The uploaded file's name and bytes; refuse a missing, too large or unknown kind of file."""
    if upload is None or not upload.filename:
        raise Invalid(page_text(request, N_("choose a file to upload")), field="file")
    name = outcomes.safe_file_name(upload.filename)
    if Path(name).suffix.lower() not in _SUFFIXES:
        raise Invalid(page_text(request, N_("%(name)s: upload a CSV or XLSX file"), name=name), field="file")
    limit = settings_of(request).max_upload_bytes
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(
            page_text(
                request,
                N_(
                    "%(name)s is larger than the limit of %(limit)s; nothing was stored (import larger files with "
                    "`cxm outcomes import`)"
                ),
                name=name,
                limit=size_text(limit),
            ),
            field="file",
        )
    return name, data


# --- the outcomes page -------------------------------------------------------------------------------------------


def _page(request: Request, organization_id: int, status_code: int = 200, **extra: object) -> Response:
    period = request.query_params.get("period", "quarter")
    if period not in ("month", "quarter", "year"):
        period = "quarter"
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        org = access.organization(db, who.actor, organization_id)
        role = access.require_role(db, who.actor, organization_id)
        return render(
            request,
            "outcomes.html",
            who,
            status_code=status_code,
            org=org,
            role=role,
            period=period,
            summary=outcomes.summary(db, who.actor, organization_id, period),  # type: ignore[arg-type]
            sources=outcomes.sources(db, who.actor, organization_id),
            mappings=outcomes.mappings(db, who.actor, organization_id),
            watched=outcomes.watched(db, who.actor, organization_id),
            operational=outcomes.operational_metrics(db, who.actor, organization_id),
            metric_keys=outcomes.METRIC_KEYS,
            **extra,
        )


@router.get("/orgs/{organization_id}/outcomes")
def outcomes_page(request: Request, organization_id: int, imported: str = "") -> Response:
    notice = page_text(request, N_("Imported %(what)s."), what=imported[:300]) if imported else ""
    return _page(request, organization_id, notice=notice)


@router.post("/orgs/{organization_id}/outcomes/upload")
def upload(
    request: Request,
    organization_id: int,
    file: Annotated[UploadFile | None, File()] = None,
    kind: Annotated[str, Form(max_length=20)] = "survey",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Keep the file and show its preview: for a survey, the tool recognized and the mapping suggested to confirm;
    a customer list or O-data file is imported at once (its columns are named by convention)."""
    try:
        with unit_of_work(request) as db:
            who = require_signed_in(request, db)
            check_csrf(request, who, csrf_token)
            access.require_role(db, who.actor, organization_id, "facilitator")
            if kind not in outcomes.KINDS:
                raise Invalid(
                    page_text(request, N_("choose what the file holds: %(kinds)s"), kinds=", ".join(outcomes.KINDS)),
                    field="kind",
                )
            name, data = _read_upload(request, file)
            token = outcomes.keep_upload(db, who.actor, organization_id, name, data) if kind == "survey" else ""
        if kind != "survey":
            sessions = request.app.state.sessions
            with tempfile.TemporaryDirectory(prefix="cxm-upload-") as folder:
                path = Path(folder) / name
                path.write_bytes(data)
                if kind == "customers":
                    done = outcomes.import_customers_file(sessions, who.actor, organization_id, path, file_name=name)
                else:
                    done = outcomes.import_odata_file(sessions, who.actor, organization_id, path, file_name=name)
            return _imported(
                organization_id,
                page_text(
                    request,
                    N_("%(name)s: %(added)d new, %(replaced)d replaced"),
                    name=name,
                    added=done.added,
                    replaced=done.replaced,
                ),
            )
        return _preview(request, organization_id, token)
    except ServiceError as exc:
        if is_access_error(exc):
            raise
        return _page(request, organization_id, exc.status, error=refusal(request, exc), details=exc.details)


def _preview(
    request: Request,
    organization_id: int,
    token: str,
    mapping: ColumnMapping | None = None,
    status_code: int = 200,
    **extra: object,
) -> Response:
    with tempfile.TemporaryDirectory(prefix="cxm-upload-") as folder:
        with unit_of_work(request) as db:
            who = require_signed_in(request, db)
            org = access.organization(db, who.actor, organization_id, "facilitator")
            path, name = outcomes.fetch_upload(db, who.actor, organization_id, token, Path(folder))
            saved = outcomes.mappings(db, who.actor, organization_id)
        suggestion = outcomes.suggest(path, name)
        header, first_rows = preview(path, 8)
    return render(
        request,
        "outcomes_preview.html",
        who,
        status_code=status_code,
        org=org,
        token=token,
        name=name,
        layout=suggestion.layout,
        reasons=suggestion.reasons,
        mapping=mapping or suggestion.mapping,
        roles=ROLES,
        header=header,
        rows=first_rows,
        saved=saved,
        **extra,
    )


def _mapping_from_form(request: Request, form: PostedForm) -> ColumnMapping:
    values: dict[str, object] = {}
    for role, _ in ROLES:
        chosen = form_text(form, role, 300)
        values[role] = chosen or None
    values["drivers"] = [v for v in form.getlist("drivers") if isinstance(v, str) and v][:50]
    values["date_format"] = form_text(form, "date_format", 40).strip() or "iso"
    values["include_partial"] = form_text(form, "include_partial", 5) == "1"
    values["ces_high_is_easy"] = form_text(form, "ces_direction", 10) != "effort"
    for scale in ("csat_scale", "ces_scale"):
        text = form_text(form, scale, 2)
        values[scale] = int(text) if text.isdigit() else (5 if scale == "csat_scale" else 7)
    try:
        return ColumnMapping.from_dict(values)
    except MappingError as exc:
        raise Invalid(
            page_text(request, N_("column mapping: %(problem)s"), problem=str(exc)), field="mapping"
        ) from None


@router.post("/orgs/{organization_id}/outcomes/import")
def import_upload(request: Request, organization_id: int, form: PostedForm) -> Response:
    """Import a previewed survey file with the mapping the user confirmed (and save the mapping when named)."""
    token = form_text(form, "token", 80)
    mapping: ColumnMapping | None = None
    try:
        with unit_of_work(request) as db:
            who = require_signed_in(request, db)
            check_csrf(request, who, form_text(form, "csrf_token", 200))
            access.require_role(db, who.actor, organization_id, "facilitator")
            saved_id = form_text(form, "use_mapping", 12)
            if saved_id.isdigit():
                mapping = outcomes.saved_mapping(db, who.actor, organization_id, int(saved_id))
        if mapping is not None:  # "use this saved mapping": show it for confirmation, import nothing yet
            notice = page_text(request, N_("The saved mapping is filled in."))
            return _preview(request, organization_id, token, mapping, notice=notice)
        mapping = _mapping_from_form(request, form)
        with tempfile.TemporaryDirectory(prefix="cxm-upload-") as folder:
            with unit_of_work(request) as db:
                path, name = outcomes.fetch_upload(db, who.actor, organization_id, token, Path(folder))
            done = outcomes.import_survey_file(
                request.app.state.sessions, who.actor, organization_id, path, mapping, file_name=name
            )
        with unit_of_work(request) as db:
            outcomes.drop_upload(db, who.actor, organization_id, token)
            save_as = form_text(form, "save_as", 100).strip()
            if save_as:
                outcomes.save_mapping(db, who.actor, organization_id, save_as, mapping)
    except ServiceError as exc:
        if is_access_error(exc):
            raise
        if exc.field == "file" and exc.status == 404:
            return _page(request, organization_id, exc.status, error=refusal(request, exc))
        return _preview(
            request, organization_id, token, mapping, exc.status, error=refusal(request, exc), details=exc.details
        )
    counts = {"name": name, "responses": done.responses, "added": done.added, "replaced": done.replaced}
    what = (
        page_text(
            request,
            N_(
                "%(name)s: %(responses)d responses (%(added)d new, %(replaced)d replaced, %(partial)d unfinished "
                "skipped)"
            ),
            partial=done.partial,
            **counts,
        )
        if done.partial
        else page_text(
            request, N_("%(name)s: %(responses)d responses (%(added)d new, %(replaced)d replaced)"), **counts
        )
    )
    return _imported(organization_id, what)


def _imported(organization_id: int, what: str) -> Response:
    return redirect(f"/orgs/{organization_id}/outcomes?imported={quote(what[:300])}")


@router.post("/orgs/{organization_id}/outcomes/sources/{source_id}/delete")
def delete_source(
    request: Request, organization_id: int, source_id: int, csrf_token: Annotated[str, Form()] = ""
) -> Response:
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        check_csrf(request, who, csrf_token)
        outcomes.delete_source(db, who.actor, organization_id, source_id)
    return redirect(f"/orgs/{organization_id}/outcomes")


@router.post("/orgs/{organization_id}/outcomes/min-segment-size")
def set_min_segment_size(
    request: Request,
    organization_id: int,
    size: Annotated[str, Form(max_length=10)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    try:
        with unit_of_work(request) as db:
            who = require_signed_in(request, db)
            check_csrf(request, who, csrf_token)
            access.require_role(db, who.actor, organization_id, "owner")
            if not size.strip().isdigit():
                raise Invalid(page_text(request, N_("the minimum segment size is a whole number")), field="size")
            outcomes.set_min_segment_size(db, who.actor, organization_id, int(size))
    except ServiceError as exc:
        if is_access_error(exc):
            raise
        return _page(request, organization_id, exc.status, error=refusal(request, exc))
    return redirect(f"/orgs/{organization_id}/outcomes")


@router.post("/orgs/{organization_id}/outcomes/watched")
def watch(
    request: Request,
    organization_id: int,
    metric: Annotated[str, Form(max_length=220)],
    label: Annotated[str, Form(max_length=200)] = "",
    direction: Annotated[str, Form(max_length=10)] = "higher",
    remove: Annotated[str, Form(max_length=5)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    try:
        with unit_of_work(request) as db:
            who = require_signed_in(request, db)
            check_csrf(request, who, csrf_token)
            if remove:
                outcomes.unwatch(db, who.actor, organization_id, metric)
            else:
                outcomes.watch(db, who.actor, organization_id, metric, label, direction != "lower")
    except ServiceError as exc:
        if is_access_error(exc):
            raise
        return _page(request, organization_id, exc.status, error=refusal(request, exc))
    return redirect(f"/orgs/{organization_id}/outcomes#watched")


# --- asset, drivers, scorecard -----------------------------------------------------------------------------------


def _day(request: Request, text: str, default: date) -> date:
    try:
        return date.fromisoformat(text) if text else default
    except ValueError:
        raise Invalid(
            page_text(request, N_("'%(text)s' is not a date (YYYY-MM-DD)"), text=text[:20]), field="from"
        ) from None


@router.get("/orgs/{organization_id}/outcomes/asset")
def asset_page(request: Request, organization_id: int) -> Response:
    today = date.today()
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        org = access.organization(db, who.actor, organization_id)
        error = ""
        try:
            last = _day(request, request.query_params.get("to", ""), today)
            first = _day(request, request.query_params.get("from", ""), last - timedelta(days=365))
            view = outcomes.asset(db, who.actor, organization_id, first, last)
        except Invalid as exc:
            error, view = refusal(request, exc), None
            first, last = today - timedelta(days=365), today
        return render(request, "outcomes_asset.html", who, org=org, view=view, first=first, last=last, error=error)


@router.get("/orgs/{organization_id}/outcomes/drivers")
def drivers_page(request: Request, organization_id: int) -> Response:
    outcome = request.query_params.get("outcome", "nps")
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        org = access.organization(db, who.actor, organization_id)
        error, analysis = "", None
        try:
            found = outcomes.drivers(db, who.actor, organization_id, outcome, resamples=1000)
            analysis = drivers_to_dict(found)
        except Invalid as exc:
            error = refusal(request, exc)
        return render(request, "outcomes_drivers.html", who, org=org, outcome=outcome, analysis=analysis, error=error)


@router.get("/orgs/{organization_id}/scorecard")
def scorecard_page(request: Request, organization_id: int) -> Response:
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        card = scorecard.scorecard(db, who.actor, organization_id, language=page_language(request))
        org = access.organization(db, who.actor, organization_id)
        # Drawn on the server, like the report's: images with their numbers in words, no script needed to see them;
        # their titles, descriptions and axes in the page's language, the numbers on the axes too.
        with use_locale(page_language(request)) as language:
            charts = svg.draw_all(scorecard_charts.charts(card), language)
        return render(request, "scorecard.html", who, org=org, card=card, formats=FORMATS, charts=charts)


@router.get("/orgs/{organization_id}/scorecard.{fmt}")
def scorecard_download(request: Request, organization_id: int, fmt: str) -> Response:
    if fmt not in FORMATS:
        raise NotFound(N_("no such download"))
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        card = scorecard.scorecard(db, who.actor, organization_id)
    media = {
        "csv": "text/csv; charset=utf-8",
        "json": "application/json",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }[fmt]
    return Response(
        write_scorecard(card, fmt, datetime.now(UTC)),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="scorecard-{organization_id}.{fmt}"'},
    )


#: The success measure's numbers, refused by name when they are not numbers (phrases: the page shows them translated).
NOT_A_NUMBER = {
    "target": N_("the target must be a number, not '%(text)s'"),
    "baseline": N_("the baseline must be a number, not '%(text)s'"),
}


@router.post("/assessments/{assessment_id}/plan/metrics")
def set_plan_metric(request: Request, assessment_id: int, form: PostedForm) -> Response:
    """Tie a plan initiative's success measure to a metric with a target (and a baseline)."""
    from cxmaturity.services import initiative_metrics

    def number(name: str) -> float | None:
        text = form_text(form, name, 40).strip().replace(",", ".")
        if not text:
            return None
        try:
            return float(text)
        except ValueError:
            raise Invalid(
                phrase(NOT_A_NUMBER[name], text=text),
                field=name,
            ) from None

    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        check_csrf(request, who, form_text(form, "csrf_token", 200))
        access.assessment(db, who.actor, assessment_id, "facilitator")
        target = number("target")
        if target is None:
            raise Invalid(N_("give the target the metric should reach"), field="target")
        initiative_metrics.set_metric(
            db,
            who.actor,
            assessment_id,
            form_text(form, "initiative", 64),
            form_text(form, "metric", 220),
            target,
            number("baseline"),
        )
    return redirect(f"/assessments/{assessment_id}/plan#success-measures")
