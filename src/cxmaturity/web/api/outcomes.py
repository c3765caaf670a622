"""API version 1: an organization's customer outcomes and its executive scorecard.

Files arrive in JSON as CSV text (as framework uploads do) or as their bytes in base64 (XLSX workbooks, or CSV in any
encoding); they are written to a temporary file and read by the same
services the pages and the command line call. The JSON documents of summaries, drivers and the asset are the shapes
of ``cxm outcomes summary|drivers|asset --format json`` (docs/cli.md); the scorecard's is ``cxm-scorecard/1``.
"""

from __future__ import annotations

import base64
import binascii
import tempfile
from datetime import date, timedelta
from pathlib import Path as FilePath
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from cxmaturity.i18n.phrase import english
from cxmaturity.outcomes.serialize import asset_to_dict, drivers_to_dict, summary_to_dict
from cxmaturity.reporting.scorecard import to_dict
from cxmaturity.services import initiative_metrics, outcomes, scorecard
from cxmaturity.services.errors import Invalid
from cxmaturity.services.outcomes_import import ImportSummary
from cxmaturity.settings import Settings
from cxmaturity.storage import ID_MAX
from cxmaturity.web.api.deps import ApiRoute, Token, acting, check_text_size
from cxmaturity.web.api.schemas import Document
from cxmaturity.web.api.v1 import ERRORS, AssessmentId, InitiativeKey, OrgId
from cxmaturity.web.context import TooLarge, settings_of

router = APIRouter(prefix="/api/v1", route_class=ApiRoute, responses=ERRORS, tags=["outcomes"])
MAX_TEXT_CHARS = 50 * 1024 * 1024


class SuggestionPublic(Document):
    """The survey tool recognized in a file, its columns, the suggested column mapping and the reasons for it."""


class OutcomeSummaryPublic(Document):
    """`cxm outcomes summary --format json` (docs/cli.md) of the organization's stored responses, with ``period``."""


class CustomerAssetPublic(Document):
    """`cxm outcomes asset --format json` (docs/cli.md) with ``customers`` and ``withheld_segments``."""


class KeyDriversPublic(Document):
    """`cxm outcomes drivers --format json` (docs/cli.md): relative weights with bootstrap intervals."""


class WatchedPublic(BaseModel):
    """A metric the organization watches on its scorecard."""

    metric: str
    label: str
    higher_is_better: bool


class ScorecardPublic(Document):
    """The executive CX scorecard (``"format": "cxm-scorecard/1"``): maturity, watched metrics, customer asset."""


class SuccessMeasurePublic(Document):
    """An initiative's success measure: the metric, baseline, target, latest value, how far it moved."""


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OutcomeFile(_In):
    """A file as CSV text (``text``) or as its bytes in base64 (``content_base64``: an XLSX workbook, or a CSV file in
    any encoding): exactly one of the two, as the browser's upload and ``cxm outcomes import`` take either."""

    text: Annotated[str | None, Field(min_length=1, max_length=MAX_TEXT_CHARS, description="The file's CSV text.")] = (
        None
    )
    content_base64: Annotated[
        str | None,
        Field(
            min_length=1,
            max_length=MAX_TEXT_CHARS,
            description="The file's bytes in base64: an XLSX workbook (name it .xlsx) or a CSV file.",
        ),
    ] = None
    filename: Annotated[str, Field(max_length=255, description="Named in error messages: export.csv:12 …")] = (
        "export.csv"
    )

    @model_validator(mode="after")
    def _one_content(self) -> OutcomeFile:
        if (self.text is None) == (self.content_base64 is None):
            raise ValueError("give the file as either text (CSV) or content_base64 (XLSX or CSV), not both or neither")
        return self

    def content(self, settings: Settings) -> bytes:
        """The file's bytes, refused above CXM_MAX_UPLOAD_BYTES or when the base64 is not base64."""
        if self.text is not None:
            check_text_size(settings, self.text)
            return self.text.encode("utf-8", errors="replace")
        assert self.content_base64 is not None
        try:
            data = base64.b64decode(self.content_base64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise Invalid(f"content_base64 is not base64: {exc}", field="content_base64") from exc
        if len(data) > settings.max_upload_bytes:
            raise TooLarge(
                f"the file has {len(data)} bytes; at most {settings.max_upload_bytes} bytes are allowed",
                field="content_base64",
            )
        if self.filename.lower().endswith((".xlsx", ".xlsm")) and not data.startswith(b"PK\x03\x04"):
            raise Invalid(
                f"{self.filename}: not an XLSX workbook (its bytes are not a zip file)", field="content_base64"
            )
        return data


class OutcomeImport(OutcomeFile):
    kind: Literal["survey", "customers", "operational"] = "survey"
    #: A column mapping (survey files); absent: a saved mapping (``mapping_name``) or the suggested one.
    mapping: dict[str, Any] | None = Field(
        default=None, description="A column mapping, as `cxm outcomes inspect` prints."
    )
    mapping_name: Annotated[str | None, Field(max_length=100, description="Use this saved mapping.")] = None
    save_as: Annotated[str | None, Field(max_length=100, description="Save the mapping used under this name.")] = None


class ImportPublic(BaseModel):
    source_id: int
    file_name: str
    tool: str
    responses: int = Field(description="Rows read (responses, customers or values).")
    added: int
    replaced: int = Field(description="Rows that replaced an earlier import's row with the same key.")
    partial: int = Field(description="Responses marked not finished, left out.")

    @classmethod
    def of(cls, s: ImportSummary) -> ImportPublic:
        return cls(
            source_id=s.source_id,
            file_name=s.file_name,
            tool=s.tool,
            responses=s.responses,
            added=s.added,
            replaced=s.replaced,
            partial=s.partial,
        )


class SourcePublic(BaseModel):
    id: int
    kind: str
    file_name: str
    tool: str
    rows: int
    added: int
    replaced: int
    synthetic: bool
    imported_at: str
    mapping: dict[str, Any]


class WatchBody(_In):
    metric: Annotated[str, Field(max_length=220, description="nps, csat, ces, customers, … or operational:NAME")]
    label: Annotated[str, Field(max_length=200)] = ""
    higher_is_better: bool = True


def _temporary(content: bytes, name: str) -> tempfile.TemporaryDirectory[str]:
    folder = tempfile.TemporaryDirectory(prefix="cxm-api-")
    (FilePath(folder.name) / name).write_bytes(content)
    return folder


@router.post(
    "/organizations/{organization_id}/outcomes/suggestions",
    response_model=SuggestionPublic,
    summary="Recognize a survey file's columns",
)
def suggest(request: Request, token: Token, organization_id: OrgId, body: OutcomeFile) -> dict[str, Any]:
    content = body.content(settings_of(request))
    with acting(request, token) as (db, actor):
        outcomes.sources(db, actor, organization_id)  # the permission check: viewers may ask
    name = outcomes.safe_file_name(body.filename)
    with _temporary(content, name) as folder:
        found = outcomes.suggest(FilePath(folder) / name, name)
    return {
        "tool": found.layout.tool,
        "header_rows": found.layout.header_rows,
        "sheet": found.layout.sheet,
        "sheets": found.layout.sheets,
        "sheet_read": found.layout.sheet_read,
        "columns": [{"name": c.name, "label": c.label} for c in found.layout.columns],
        "mapping": found.mapping.to_dict(),
        "reasons": found.reasons,
    }


@router.post(
    "/organizations/{organization_id}/outcomes/imports",
    status_code=201,
    summary="Import survey responses, a customer list or O-data (all or nothing)",
)
def import_file(request: Request, token: Token, organization_id: OrgId, body: OutcomeImport) -> ImportPublic:
    content = body.content(settings_of(request))
    sessions = request.app.state.sessions
    with acting(request, token) as (db, actor):
        saved = None
        if body.mapping_name:
            found = [m for m in outcomes.mappings(db, actor, organization_id) if m.name == body.mapping_name]
            if not found:
                raise Invalid(f"no saved mapping named '{body.mapping_name}'", field="mapping_name")
            saved = outcomes.mapping_from(found[0].mapping)
    name = outcomes.safe_file_name(body.filename)
    with _temporary(content, name) as folder:
        path = FilePath(folder) / name
        if body.kind == "customers":
            done = outcomes.import_customers_file(sessions, actor, organization_id, path, file_name=name)
        elif body.kind == "operational":
            done = outcomes.import_odata_file(sessions, actor, organization_id, path, file_name=name)
        else:
            mapping = saved or (
                outcomes.mapping_from(body.mapping) if body.mapping is not None else outcomes.suggest(path).mapping
            )
            done = outcomes.import_survey_file(sessions, actor, organization_id, path, mapping, file_name=name)
            if body.save_as:
                with acting(request, token) as (db, actor):
                    outcomes.save_mapping(db, actor, organization_id, body.save_as, mapping)
    return ImportPublic.of(done)


@router.get("/organizations/{organization_id}/outcomes/imports", summary="The organization's imports, newest first")
def list_imports(request: Request, token: Token, organization_id: OrgId) -> list[SourcePublic]:
    with acting(request, token) as (db, actor):
        return [
            SourcePublic(
                id=s.id,
                kind=s.kind,
                file_name=s.file_name,
                tool=s.tool,
                rows=s.rows,
                added=s.added,
                replaced=s.replaced,
                synthetic=s.synthetic,
                imported_at=s.imported_at.isoformat(),
                mapping=s.mapping,
            )
            for s in outcomes.sources(db, actor, organization_id)
        ]


@router.delete(
    "/organizations/{organization_id}/outcomes/imports/{source_id}",
    status_code=204,
    summary="Remove an import and what it wrote",
)
def delete_import(
    request: Request,
    token: Token,
    organization_id: OrgId,
    source_id: Annotated[int, Path(ge=1, le=ID_MAX, description="An import's id.")],
) -> Response:
    with acting(request, token) as (db, actor):
        outcomes.delete_source(db, actor, organization_id, source_id)
    return Response(status_code=204)


@router.get(
    "/organizations/{organization_id}/outcomes/summary",
    response_model=OutcomeSummaryPublic,
    summary="NPS, CSAT and CES with intervals",
)
def summary(
    request: Request,
    token: Token,
    organization_id: OrgId,
    period: Literal["month", "quarter", "year"] = "month",
) -> dict[str, Any]:
    with acting(request, token) as (db, actor):
        found = outcomes.summary(db, actor, organization_id, period)
        return summary_to_dict(found, f"organization {organization_id}") | {"period": period}


@router.get(
    "/organizations/{organization_id}/outcomes/asset",
    response_model=CustomerAssetPublic,
    summary="The customer asset over a period",
)
def asset(
    request: Request,
    token: Token,
    organization_id: OrgId,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
) -> dict[str, Any]:
    last = end or date.today()
    first = start or last - timedelta(days=365)
    with acting(request, token) as (db, actor):
        view = outcomes.asset(db, actor, organization_id, first, last)
        return asset_to_dict(view.asset, f"organization {organization_id}") | {
            "customers": view.customers,
            "withheld_segments": view.withheld,
        }


@router.get(
    "/organizations/{organization_id}/outcomes/drivers",
    response_model=KeyDriversPublic,
    summary="Key drivers (relative weights)",
)
def drivers(
    request: Request,
    token: Token,
    organization_id: OrgId,
    outcome: Literal["nps", "csat", "ces"] = "nps",
    columns: Annotated[str, Query(alias="drivers", max_length=2000, description="Comma-separated driver names.")] = "",
    resamples: Annotated[int, Query(ge=0, le=5000)] = 1000,
) -> dict[str, Any]:
    names = [c.strip() for c in columns.split(",") if c.strip()] or None
    with acting(request, token) as (db, actor):
        found = outcomes.drivers(db, actor, organization_id, outcome, names, resamples=resamples)
        return drivers_to_dict(found, f"organization {organization_id}")


@router.put(
    "/organizations/{organization_id}/outcomes/watched",
    status_code=201,
    response_model=WatchedPublic,
    summary="Watch a metric",
)
def watch(request: Request, token: Token, organization_id: OrgId, body: WatchBody) -> dict[str, Any]:
    with acting(request, token) as (db, actor):
        found = outcomes.watch(db, actor, organization_id, body.metric, body.label, body.higher_is_better)
        return {"metric": found.metric, "label": found.label, "higher_is_better": found.higher_is_better}


@router.delete("/organizations/{organization_id}/outcomes/watched", status_code=204, summary="Stop watching a metric")
def unwatch(
    request: Request, token: Token, organization_id: OrgId, metric: Annotated[str, Query(max_length=220)]
) -> Response:
    with acting(request, token) as (db, actor):
        outcomes.unwatch(db, actor, organization_id, metric)
    return Response(status_code=204)


@router.get(
    "/organizations/{organization_id}/scorecard", response_model=ScorecardPublic, summary="The executive CX scorecard"
)
def get_scorecard(request: Request, token: Token, organization_id: OrgId) -> dict[str, Any]:
    with acting(request, token) as (db, actor):
        return to_dict(scorecard.scorecard(db, actor, organization_id))


# --- plan initiatives' success measures -------------------------------------------------------------------------------


class InitiativeMetricBody(_In):
    metric: Annotated[str, Field(max_length=220, description="nps, csat, ces, customers, … or operational:NAME")]
    target: float = Field(allow_inf_nan=False)
    baseline: float | None = Field(default=None, allow_inf_nan=False, description="Absent: the value when planned.")


def _metric_view(v: initiative_metrics.InitiativeMetricView) -> dict[str, Any]:
    return {
        "initiative": v.initiative_key,
        "title": v.title,
        "metric": v.metric,
        "label": english(v.label),
        "baseline": v.baseline,
        "baseline_set": v.baseline_set,
        "target": v.target,
        "current": v.current,
        "current_period": v.current_period,
        "moved": v.moved,
        "progress": v.progress,
    }


@router.get(
    "/assessments/{assessment_id}/success-measures",
    response_model=list[SuccessMeasurePublic],
    summary="Initiatives' success measures and their metrics",
)
def plan_metrics(request: Request, token: Token, assessment_id: AssessmentId) -> list[dict[str, Any]]:
    with acting(request, token) as (db, actor):
        return [_metric_view(v) for v in initiative_metrics.views(db, actor, assessment_id)]


@router.put(
    "/assessments/{assessment_id}/success-measures/{key}",
    response_model=list[SuccessMeasurePublic],
    summary="Tie an initiative's success measure to a metric with a baseline and a target",
)
def set_plan_metric(
    request: Request, token: Token, assessment_id: AssessmentId, key: InitiativeKey, body: InitiativeMetricBody
) -> list[dict[str, Any]]:
    with acting(request, token) as (db, actor):
        initiative_metrics.set_metric(db, actor, assessment_id, key, body.metric, body.target, body.baseline)
        return [_metric_view(v) for v in initiative_metrics.views(db, actor, assessment_id)]


@router.delete(
    "/assessments/{assessment_id}/success-measures/{key}", status_code=204, summary="Untie a success measure"
)
def remove_plan_metric(request: Request, token: Token, assessment_id: AssessmentId, key: InitiativeKey) -> Response:
    with acting(request, token) as (db, actor):
        initiative_metrics.remove_metric(db, actor, assessment_id, key)
    return Response(status_code=204)
