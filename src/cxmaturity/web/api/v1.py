"""API version 1: facilitators' endpoints (API token) and respondents' endpoints (invitation token in the path).

Every endpoint calls the application services, which check who may do what; this module only translates between
JSON and those calls. docs/api.md describes every endpoint with examples.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from cxmaturity.benchmarks.dataset import Dataset
from cxmaturity.benchmarks.privacy import CohortFilter
from cxmaturity.i18n import LOCALES, negotiate
from cxmaturity.planning.model import Candidate
from cxmaturity.planning.serialize import candidate_to_dict
from cxmaturity.scoring import result_to_dict
from cxmaturity.services import (
    access,
    assessments,
    audit,
    exports,
    imports,
    long_jobs,
    member_invitations,
    organizations,
    plans,
    reports,
    respond,
    results,
)
from cxmaturity.services.benchmarks import (
    benchmark,
    dataset_json,
    delete_dataset,
    export_for_assessment,
    import_dataset,
    organization_benchmarks,
    set_opt_out,
)
from cxmaturity.services.errors import Invalid, NotFound
from cxmaturity.storage import ID_MAX
from cxmaturity.storage.tables import Assessment
from cxmaturity.web import heavy, joining
from cxmaturity.web.api import deps, schemas
from cxmaturity.web.api.benchmark_schemas import BenchmarkPublic, BenchmarkSettingsPublic, ContributionUpdate
from cxmaturity.web.api.deps import ApiRoute, Token, acting, check_text_size
from cxmaturity.web.context import settings_of, unit_of_work
from cxmaturity.web.pages.reports import download as report_download

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": schemas.ErrorPublic, "description": "No API token, or not a valid one."},
    403: {"model": schemas.ErrorPublic, "description": "Your role does not allow this."},
    404: {"model": schemas.ErrorPublic, "description": "Not found, or not visible to you."},
    413: {"model": schemas.ErrorPublic, "description": "The request body or text is too large."},
    422: {"model": schemas.ErrorPublic, "description": "Input that cannot be used; `problems` lists each issue."},
}
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": schemas.ErrorPublic, "description": "The change conflicts with the current state."}
}

router = APIRouter(prefix="/api/v1", route_class=ApiRoute, responses=ERRORS)

OrgId = Annotated[int, Path(ge=1, le=ID_MAX, description="An organization's id.")]
AssessmentId = Annotated[int, Path(ge=1, le=ID_MAX, description="An assessment's id.")]
InvitationToken = Annotated[str, Path(min_length=1, max_length=100, description="The invitation's token.")]


def _invitation_links(request: Request, token: str) -> schemas.InvitationPublic:
    base = settings_of(request).base_url.rstrip("/")
    return schemas.InvitationPublic(token=token, link=f"{base}/r/{token}", api=f"{base}/api/v1/respond/{token}")


# --- organizations ----------------------------------------------------------------------------------------------


@router.get("/organizations", tags=["organizations"], summary="List your organizations")
def list_organizations(request: Request, token: Token) -> list[schemas.OrganizationPublic]:
    with acting(request, token) as (db, actor):
        return [schemas.OrganizationPublic.of(org, role) for org, role in access.organizations_of(db, actor)]


@router.post("/organizations", tags=["organizations"], status_code=201, summary="Create an organization")
def create_organization(request: Request, token: Token, body: schemas.OrganizationCreate) -> schemas.OrganizationPublic:
    with acting(request, token) as (db, actor):
        org = organizations.create(db, actor, body.name, body.industry, body.size_band, body.region)
        db.flush()
        return schemas.OrganizationPublic.of(org, "owner")


@router.get("/organizations/{organization_id}", tags=["organizations"], summary="Show an organization")
def get_organization(request: Request, token: Token, organization_id: OrgId) -> schemas.OrganizationPublic:
    with acting(request, token) as (db, actor):
        org = access.organization(db, actor, organization_id)
        return schemas.OrganizationPublic.of(org, access.require_role(db, actor, organization_id))


@router.get(
    "/organizations/{organization_id}/audit",
    tags=["organizations"],
    summary="The organization's audit log, newest first (facilitators and owners)",
)
def audit_log(
    request: Request,
    token: Token,
    organization_id: OrgId,
    limit: Annotated[int, Query(ge=1, le=audit.MAX_PAGE, description="How many events.")] = 100,
    before: Annotated[
        int | None, Query(ge=1, le=ID_MAX, description="Only events older than this event id (paging).")
    ] = None,
) -> list[schemas.AuditEventPublic]:
    with acting(request, token) as (db, actor):
        return [
            schemas.AuditEventPublic(id=e.id, at=e.at, action=e.action, who=e.who, target=e.target, detail=e.detail)
            for e in audit.events(db, actor, organization_id, limit=limit, before=before)
        ]


MemberInvitationId = Annotated[int, Path(ge=1, le=ID_MAX, description="A pending invitation's id.")]
JoinToken = Annotated[str, Path(min_length=1, max_length=100, description="The token of an invitation to join.")]


def _pending(db: Session, actor: access.Actor, organization_id: int) -> list[schemas.MemberInvitationPublic]:
    return [
        schemas.MemberInvitationPublic(
            id=p.id,
            email=p.email,
            role=p.role,
            language=p.language,
            created_at=p.created_at,
            expires_at=p.expires_at,
            mail=None
            if p.delivery is None
            else schemas.MemberInvitationMail(
                status=p.delivery.status,
                attempts=p.delivery.attempts,
                due_at=p.delivery.due_at,
                sent_at=p.delivery.sent_at,
                last_error=p.delivery.last_error,
            ),
        )
        for p in member_invitations.pending(db, actor, organization_id)
    ]


@router.post(
    "/organizations/{organization_id}/member-invitations",
    tags=["members"],
    status_code=202,
    summary="Invite an e-mail address to join with a role (owners); the same answer whether or not it has an account",
    responses=CONFLICT,
)
def invite_member(
    request: Request, token: Token, organization_id: OrgId, body: schemas.MemberInvitationCreate
) -> schemas.MemberInvitationSent:
    with acting(request, token) as (_db, actor):
        pass
    sent = joining.invite(request, actor, organization_id, body.email, body.role, body.language)
    return schemas.MemberInvitationSent(
        email=sent.email,
        role=sent.role,
        language=sent.language,
        expires_at=sent.expires_at,
        delivery="link" if sent.link else "email",
        link=sent.link,
    )


@router.get(
    "/organizations/{organization_id}/member-invitations",
    tags=["members"],
    summary="Pending invitations to join, newest first, with their e-mail's delivery (owners)",
)
def list_member_invitations(
    request: Request, token: Token, organization_id: OrgId
) -> list[schemas.MemberInvitationPublic]:
    with acting(request, token) as (db, actor):
        return _pending(db, actor, organization_id)


@router.delete(
    "/organizations/{organization_id}/member-invitations/{invitation_id}",
    tags=["members"],
    summary="Revoke a pending invitation (owners); returns the invitations still pending",
)
def revoke_member_invitation(
    request: Request, token: Token, organization_id: OrgId, invitation_id: MemberInvitationId
) -> list[schemas.MemberInvitationPublic]:
    with acting(request, token) as (db, actor):
        member_invitations.revoke(db, actor, organization_id, invitation_id)
        db.flush()
        return _pending(db, actor, organization_id)


def _offer(offer: member_invitations.Offer) -> schemas.MemberInvitationOffer:
    return schemas.MemberInvitationOffer(
        organization_id=offer.organization_id,
        organization=offer.organization,
        role=offer.role,
        invited_by=offer.inviter,
        email=offer.email,
        language=offer.language,
        expires_at=offer.expires_at,
    )


@router.get("/member-invitations/{join_token}", tags=["members"], summary="What an invitation to join offers")
def member_invitation(request: Request, token: Token, join_token: JoinToken) -> schemas.MemberInvitationOffer:
    with acting(request, token) as (db, actor):
        return _offer(member_invitations.offer(db, actor, join_token))


@router.post(
    "/member-invitations/{join_token}/accept",
    tags=["members"],
    summary="Accept an invitation: the token's account joins the organization with the invited role",
)
def accept_member_invitation(request: Request, token: Token, join_token: JoinToken) -> schemas.OrganizationPublic:
    with acting(request, token) as (db, actor):
        membership = member_invitations.accept(db, actor, join_token)
        db.flush()
        org = access.organization(db, actor, membership.organization_id)
        return schemas.OrganizationPublic.of(org, membership.role)


@router.post(
    "/member-invitations/{join_token}/decline",
    tags=["members"],
    summary="Decline an invitation: no membership is made and the link stops working",
)
def decline_member_invitation(request: Request, token: Token, join_token: JoinToken) -> schemas.MemberInvitationOffer:
    with acting(request, token) as (db, actor):
        offer = member_invitations.offer(db, actor, join_token)
        member_invitations.decline(db, actor, join_token)
        return _offer(offer)


@router.get(
    "/organizations/{organization_id}/assessments", tags=["assessments"], summary="List an organization's assessments"
)
def list_assessments(request: Request, token: Token, organization_id: OrgId) -> list[schemas.AssessmentPublic]:
    with acting(request, token) as (db, actor):
        found = assessments.list_for_organization(db, actor, organization_id)
        return [schemas.AssessmentPublic.of(a, assessments.groups(db, a.id)) for a in found]


@router.post(
    "/organizations/{organization_id}/assessments",
    tags=["assessments"],
    status_code=201,
    summary="Create an assessment (as a draft)",
)
def create_assessment(
    request: Request, token: Token, organization_id: OrgId, body: schemas.AssessmentCreate
) -> schemas.AssessmentPublic:
    min_group_size = body.min_group_size or settings_of(request).default_min_group_size
    with acting(request, token) as (db, actor):
        created = assessments.create(
            db, actor, organization_id, body.title, body.framework, groups=body.groups, min_group_size=min_group_size
        )
        db.flush()
        return schemas.AssessmentPublic.of(created, assessments.groups(db, created.id))


@router.post(
    "/organizations/{organization_id}/frameworks",
    tags=["frameworks"],
    status_code=201,
    summary="Upload a framework (YAML)",
    responses=CONFLICT,
)
def upload_framework(
    request: Request, token: Token, organization_id: OrgId, body: schemas.FrameworkUpload
) -> schemas.FrameworkChoicePublic:
    check_text_size(settings_of(request), body.text)
    with acting(request, token, write=False) as (db, actor):
        access.require_role(db, actor, organization_id, "facilitator")
    # Parsed in a child process, holding no transaction: a large file is seconds of an interpreter.
    fw = heavy.in_child(
        request, assessments.check_framework, body.filename, body.text, settings_of(request).max_framework_indicators
    )
    with acting(request, token) as (db, actor):
        row = assessments.upload_framework(db, actor, organization_id, body.filename, body.text, checked=fw)
        return schemas.FrameworkChoicePublic(
            ref=f"uploaded:{row.id}", id=row.framework_id, name=row.name, version=row.version, uploaded=True
        )


@router.get("/frameworks", tags=["frameworks"], summary="List the frameworks an organization can use")
def list_frameworks(
    request: Request,
    token: Token,
    organization_id: Annotated[
        int, Query(ge=1, le=ID_MAX, description="The organization whose uploaded frameworks to include.")
    ],
) -> list[schemas.FrameworkChoicePublic]:
    with acting(request, token) as (db, actor):
        return [schemas.FrameworkChoicePublic.of(c) for c in assessments.framework_choices(db, actor, organization_id)]


# --- assessments ------------------------------------------------------------------------------------------------


@router.get("/assessments/{assessment_id}", tags=["assessments"], summary="Show an assessment")
def get_assessment(request: Request, token: Token, assessment_id: AssessmentId) -> schemas.AssessmentPublic:
    with acting(request, token) as (db, actor):
        found = assessments.get(db, actor, assessment_id)
        return schemas.AssessmentPublic.of(found, assessments.groups(db, found.id))


@router.patch(
    "/assessments/{assessment_id}",
    tags=["assessments"],
    summary="Open or close an assessment, set its targets",
    responses=CONFLICT,
)
def update_assessment(
    request: Request, token: Token, assessment_id: AssessmentId, body: schemas.AssessmentUpdate
) -> schemas.AssessmentPublic:
    if body.status == "closed":
        with acting(request, token, write=False) as (_db, reader):
            pass
        results.warm(request.app.state.sessions, reader, assessment_id)  # scored before the writer lock is taken
    with acting(request, token) as (db, actor):
        # A change needs the facilitator role even when the body asks for none.
        access.assessment(db, actor, assessment_id, "facilitator")
        # Both changes or neither: the unit of work rolls back when the second one fails.
        if body.targets is not None:
            assessments.set_targets(db, actor, assessment_id, dict(body.targets))
        if body.status is not None:
            assessments.set_status(db, actor, assessment_id, body.status)
        found = assessments.get(db, actor, assessment_id)
        db.flush()
        return schemas.AssessmentPublic.of(found, assessments.groups(db, found.id))


@router.post(
    "/assessments/{assessment_id}/groups", tags=["assessments"], status_code=201, summary="Add respondent groups"
)
def add_groups(
    request: Request, token: Token, assessment_id: AssessmentId, body: schemas.GroupsCreate
) -> schemas.GroupsPublic:
    with acting(request, token) as (db, actor):
        added = assessments.add_groups(db, actor, assessment_id, body.names)
        return schemas.GroupsPublic(
            added=[schemas.GroupPublic.of(g) for g in added],
            groups=[schemas.GroupPublic.of(g) for g in assessments.groups(db, assessment_id)],
        )


@router.post(
    "/assessments/{assessment_id}/invitations",
    tags=["invitations"],
    status_code=201,
    summary="Create invitation links (the tokens are shown only in this response)",
)
def create_invitations(
    request: Request, token: Token, assessment_id: AssessmentId, body: schemas.InvitationsCreate
) -> schemas.InvitationsPublic:
    limit = settings_of(request).max_invitations_per_request
    with acting(request, token) as (db, actor):
        tokens = assessments.create_invitations(
            db, actor, assessment_id, body.group_id, body.count, limit, unit_id=body.unit_id
        )
    return schemas.InvitationsPublic(
        assessment_id=assessment_id,
        group_id=body.group_id,
        invitations=[_invitation_links(request, t) for t in tokens],
    )


@router.get("/assessments/{assessment_id}/response-rates", tags=["invitations"], summary="Invited, started, completed")
def response_rates(request: Request, token: Token, assessment_id: AssessmentId) -> list[schemas.ResponseRatePublic]:
    with acting(request, token) as (db, actor):
        return [schemas.ResponseRatePublic.of(r) for r in assessments.response_rates(db, actor, assessment_id)]


@router.post(
    "/assessments/{assessment_id}/answers/import",
    tags=["answers"],
    status_code=201,
    summary="Import answers from CSV (all or nothing); a large file by the job queue (202 and the job)",
    response_model=schemas.ImportPublic,
    responses={
        **CONFLICT,
        202: {"model": schemas.JobPublic, "description": "Larger than CXM_IMPORT_JOB_BYTES: queued; follow the job."},
    },
)
def import_answers(
    request: Request, token: Token, assessment_id: AssessmentId, body: schemas.AnswersImport
) -> schemas.ImportPublic | Response:
    check_text_size(settings_of(request), body.text)
    if len(body.text.encode()) > settings_of(request).import_job_bytes:
        from cxmaturity.web.api.long_jobs import accepted  # that module builds on this one's errors

        with acting(request, token) as (db, actor):
            job_id = long_jobs.start_import(
                db, actor, assessment_id, body.filename, body.text, allow_duplicate=body.allow_duplicate
            )
        return accepted(request, token, job_id)
    with acting(request, token, write=False) as (_db, actor):
        pass
    # The import opens its own transactions: it reads and checks the file holding none, then writes in batches.
    count = imports.import_answers(
        request.app.state.sessions,
        actor,
        assessment_id,
        body.filename,
        body.text,
        max_values=settings_of(request).max_import_values,
        allow_duplicate=body.allow_duplicate,
    )
    return schemas.ImportPublic(imported=count)


#: Says which result a response holds: the API's results are always the answers as surveyed (issue 14).
RESULT_BASIS = {"X-Result-Basis": "as surveyed"}


@router.get(
    "/assessments/{assessment_id}/results",
    tags=["results"],
    summary="Score the answers (the JSON of cxm score --format json)",
    response_model=schemas.ResultPublic,
)
def get_results(request: Request, token: Token, assessment_id: AssessmentId) -> Response:
    with acting(request, token) as (db, actor):
        scored = results.scorable_results(db, actor, assessment_id)
    # Returned as is, not through the model: the shape is the CLI's, field for field. Which result it is (as surveyed;
    # the workshop record has the one as agreed) travels in a header, so the body stays the CLI's.
    return JSONResponse(result_to_dict(scored.result), headers=RESULT_BASIS)


ExportName = Annotated[
    str,
    Path(
        max_length=100,
        description="An export and a format: answers, comments, results, plan or all; csv, zip, xlsx or json, "
        "e.g. `answers.csv`, `all.xlsx`.",
    ),
]
ExportLanguageQuery = Annotated[
    Literal["en", "de", "fr", "es"] | None,
    Query(
        description="Headers (and an XLSX file's sheet names) in this language, also for CSV and zip. Left out: "
        "an XLSX file follows `Accept-Language`, CSV and zip keep the stable names; JSON always keeps them."
    ),
]
ExportHeadersQuery = Annotated[
    Literal["keys"] | None,
    Query(description="`keys`: the stable, machine-readable headers and sheet names, whatever the language."),
]


_EXPORT_TYPES = {
    "text/csv": "One table (answers, comments or plan).",
    "application/zip": "One CSV file per table.",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "One sheet per table.",
    "application/json": "The API's own JSON for results and plan; the tables' rows for the others.",
}


@router.get(
    "/assessments/{assessment_id}/export/{filename}",
    tags=["exports"],
    summary="Download data: anonymized answers, comments, results, plan or all, as CSV, zip, XLSX or JSON",
    response_class=Response,
    responses={
        200: {
            "content": {
                media: {"schema": {"type": "string", "format": "binary", "description": about}}
                for media, about in _EXPORT_TYPES.items()
            },
            "description": "The file, as an attachment (docs/exports.md describes each table).",
        }
    },
)
def export_file(
    request: Request,
    token: Token,
    assessment_id: AssessmentId,
    filename: ExportName,
    lang: ExportLanguageQuery = None,
    headers: ExportHeadersQuery = None,
) -> Response:
    reader = negotiate((), request.headers.get("accept-language"), LOCALES)
    chosen = exports.Headers(asked=lang, reader=reader, stable=headers == "keys")
    with acting(request, token) as (db, actor):
        found = exports.download_file(db, actor, assessment_id, filename, chosen)
    # Written after the transaction, in a child process: a large workbook needs no database, and its seconds of
    # Python would hold the interpreter that this worker's other requests share.
    file = exports.file_in(request.app.state.cpu, found)
    sent = {"Cache-Control": "private, no-store", "Content-Disposition": f'attachment; filename="{file.filename}"'}
    return Response(file.body, media_type=file.media_type, headers=sent)


# --- respondents ------------------------------------------------------------------------------------------------


def _view(db: Session, token: str) -> schemas.RespondentPublic:
    v = respond.visit(db, token)
    saved = {comp.key: respond.saved_answers(db, v, comp) for comp in v.framework.competencies}
    return schemas.respondent_view(v, saved)


@router.get(
    "/respond/{invitation_token}",
    tags=["respondents"],
    summary="An invitation's questions and answers",
    dependencies=[Depends(deps.respondent_link)],
)
def respondent(request: Request, invitation_token: InvitationToken) -> schemas.RespondentPublic:
    with unit_of_work(request) as db:
        return _view(db, invitation_token)


@router.put(
    "/respond/{invitation_token}/pages/{competency_key}",
    tags=["respondents"],
    summary="Save one page (one competency); saving it again replaces it",
    responses=CONFLICT,
    dependencies=[Depends(deps.respondent_link)],
)
def save_page(
    request: Request,
    invitation_token: InvitationToken,
    competency_key: Annotated[str, Path(max_length=64, description="The page's competency key.")],
    body: schemas.PageSave,
) -> schemas.RespondentPublic:
    with unit_of_work(request) as db:
        v = respond.visit(db, invitation_token)
        try:
            competency = v.framework.competency(competency_key)
        except KeyError:
            competency = None  # save_page answers with its own "no such page"
        if competency is not None:
            known = {ind.key for ind in competency.indicators}
            for part in (body.answers, body.importance, body.comments):
                for key in part:
                    if key not in known:
                        raise Invalid(f"'{key}' is not a question on this page", field=key)
        data = respond.PageInput(
            answers=dict(body.answers),
            importance={k: str(n) for k, n in body.importance.items() if n is not None},
            comments=dict(body.comments),
        )
        respond.save_page(db, invitation_token, competency_key, data)
        return _view(db, invitation_token)


@router.post(
    "/respond/{invitation_token}/finish",
    tags=["respondents"],
    summary="Submit the answers (after this they cannot be changed)",
    responses=CONFLICT,
    dependencies=[Depends(deps.respondent_link)],
)
def finish(request: Request, invitation_token: InvitationToken) -> schemas.RespondentPublic:
    with unit_of_work(request) as db:
        respond.finish(db, invitation_token)
        return _view(db, invitation_token)


# --- roadmap plans ----------------------------------------------------------------------------------------------

InitiativeKey = Annotated[str, Path(min_length=1, max_length=64, description="An initiative's key.")]
VersionNumber = Annotated[int, Path(ge=1, le=ID_MAX, description="A plan version's number (1, 2, …).")]


def _settings_public(assessment: Assessment, current: plans.Settings) -> schemas.PlanSettingsPublic:
    return schemas.PlanSettingsPublic(
        assessment_id=assessment.id,
        targets={str(k): str(v) for k, v in (assessment.targets or {}).items()},
        horizon=current.horizon,
        budget=current.budget,
        capacity=current.capacity,
        max_concurrent=current.max_concurrent,
        must=list(current.must),
        must_not=list(current.must_not),
        custom=[schemas.CustomInitiativePublic(**candidate_to_dict(c)) for c in current.custom],
        start_date=current.start_date,
    )


def _version_public(info: plans.VersionInfo) -> schemas.PlanVersionPublic:
    return schemas.PlanVersionPublic(
        number=info.number,
        created_at=info.created_at,
        created_by=info.author,
        note=info.note,
        status=info.status,
    )


def _plan_response(saved: plans.SavedPlan, status_code: int = 200) -> Response:
    # The plan as `cxm plan --format json` writes it, field for field, with the version it was saved as.
    body = {**saved.data, "saved": _version_public(saved.info).model_dump(mode="json")}
    return JSONResponse(body, status_code=status_code)


@router.get("/assessments/{assessment_id}/plan/settings", tags=["plans"], summary="The plan settings")
def get_plan_settings(request: Request, token: Token, assessment_id: AssessmentId) -> schemas.PlanSettingsPublic:
    with acting(request, token) as (db, actor):
        current = plans.settings(db, actor, assessment_id)
        return _settings_public(assessments.get(db, actor, assessment_id), current)


@router.put(
    "/assessments/{assessment_id}/plan/settings",
    tags=["plans"],
    summary="Replace the plan settings; a plan already made is made again with them (refused if none fits)",
)
def put_plan_settings(
    request: Request, token: Token, assessment_id: AssessmentId, body: schemas.PlanSettingsUpdate
) -> schemas.PlanSettingsPublic:
    new = plans.Settings(
        horizon=body.horizon,
        budget=body.budget,
        capacity=body.capacity,
        max_concurrent=body.max_concurrent,
        must=tuple(body.must),
        must_not=tuple(body.must_not),
        custom=tuple(
            Candidate(
                key=c.key,
                title=c.title,
                competency=c.competency,
                from_stage=c.from_stage,
                effort=c.effort,
                duration=c.duration,
                cost=c.cost,
                requires=tuple(c.requires),
                indicators=tuple(c.indicators),
                description=c.description,
                measure=c.measure,
                custom=True,
            )
            for c in body.custom
        ),
        start_date=body.start_date,
    )
    with acting(request, token) as (db, actor):
        saved = plans.set_settings(db, actor, assessment_id, new)
        return _settings_public(assessments.get(db, actor, assessment_id), saved)


@router.post(
    "/assessments/{assessment_id}/plan",
    tags=["plans"],
    status_code=201,
    summary="Make a plan from the current results and save it as a new version",
    response_model=schemas.PlanPublic,
)
def make_plan(request: Request, token: Token, assessment_id: AssessmentId) -> Response:
    with acting(request, token) as (db, actor):
        saved = plans.make(db, actor, assessment_id)
    return _plan_response(saved, 201)


@router.get(
    "/assessments/{assessment_id}/plan",
    tags=["plans"],
    summary="The latest saved plan",
    response_model=schemas.PlanPublic,
)
def get_plan(request: Request, token: Token, assessment_id: AssessmentId) -> Response:
    with acting(request, token) as (db, actor):
        saved = plans.latest(db, actor, assessment_id)
    if saved is None:
        raise NotFound("this assessment has no plan yet: POST /api/v1/assessments/{id}/plan makes one")
    return _plan_response(saved)


@router.get("/assessments/{assessment_id}/plan/versions", tags=["plans"], summary="Saved plan versions, newest first")
def list_plan_versions(request: Request, token: Token, assessment_id: AssessmentId) -> list[schemas.PlanVersionPublic]:
    with acting(request, token) as (db, actor):
        return [_version_public(v) for v in plans.versions(db, actor, assessment_id)]


@router.get(
    "/assessments/{assessment_id}/plan/versions/{number}",
    tags=["plans"],
    summary="One saved plan version",
    response_model=schemas.PlanPublic,
)
def get_plan_version(request: Request, token: Token, assessment_id: AssessmentId, number: VersionNumber) -> Response:
    with acting(request, token) as (db, actor):
        saved = plans.version(db, actor, assessment_id, number)
    return _plan_response(saved)


@router.patch(
    "/assessments/{assessment_id}/plan/initiatives/{key}",
    tags=["plans"],
    summary="Set an initiative's owner, lock or move it; the plan is made again and saved as a new version",
    response_model=schemas.PlanPublic,
)
def update_initiative(
    request: Request, token: Token, assessment_id: AssessmentId, key: InitiativeKey, body: schemas.InitiativeUpdate
) -> Response:
    with acting(request, token) as (db, actor):
        saved = plans.adjust(
            db, actor, assessment_id, [plans.Change(key, owner=body.owner, locked=body.locked, start=body.start)]
        )
    return _plan_response(saved)


def _plan_file(request: Request, token: str, assessment_id: int, version: int | None, kind: str) -> Response:
    with acting(request, token) as (db, actor):
        assessment = assessments.get(db, actor, assessment_id)
        saved = (
            plans.latest(db, actor, assessment_id)
            if version is None
            else plans.version(db, actor, assessment_id, version)
        )
        if saved is None:
            raise NotFound("this assessment has no plan yet: POST /api/v1/assessments/{id}/plan makes one")
        if kind == "csv":
            body, media = plans.csv_text(saved), "text/csv; charset=utf-8"
        else:
            body = plans.ical_text(
                saved, f"{assessment.title}: plan version {saved.number}", assessments.framework_of(assessment)
            )
            media = "text/calendar; charset=utf-8"
    name = f"plan-{assessment_id}-v{saved.number}.{kind}"
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


PlanVersionQuery = Annotated[int | None, Query(ge=1, description="A version number; the latest when left out.")]


@router.get(
    "/assessments/{assessment_id}/plan.csv",
    tags=["plans"],
    summary="The plan as CSV (one row per initiative)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "The CSV file."}},
)
def plan_csv(request: Request, token: Token, assessment_id: AssessmentId, version: PlanVersionQuery = None) -> Response:
    return _plan_file(request, token, assessment_id, version, "csv")


@router.get(
    "/assessments/{assessment_id}/plan.ics",
    tags=["plans"],
    summary="The plan's milestones as an iCalendar file",
    response_class=Response,
    responses={
        200: {"content": {"text/calendar": {"schema": {"type": "string"}}}, "description": "The iCalendar file."}
    },
)
def plan_ics(request: Request, token: Token, assessment_id: AssessmentId, version: PlanVersionQuery = None) -> Response:
    return _plan_file(request, token, assessment_id, version, "ics")


# --- reports ----------------------------------------------------------------------------------------------------

ReportFormatQuery = Annotated[
    Literal["html", "pdf", "pptx"],
    Query(
        alias="format",
        description="`html`: one self-contained file; `pdf`: a paged document; `pptx`: executive slides (16:9).",
    ),
]
PaperQuery = Annotated[Literal["a4", "letter"], Query(description="The PDF's paper size (ignored for HTML and PPTX).")]
#: A report download's media types, for the OpenAPI document (also of a report job's file: api/long_jobs.py).
REPORT_CONTENT: dict[str, Any] = {
    "text/html": {"schema": {"type": "string"}},
    "application/pdf": {"schema": {"type": "string", "format": "binary"}},
    reports.MEDIA_TYPES["pptx"]: {"schema": {"type": "string", "format": "binary"}},
}


@router.get(
    "/assessments/{assessment_id}/report",
    tags=["reports"],
    summary="The executive report: results, latest plan and methodology, as HTML, PDF or slides (PPTX)",
    response_class=Response,
    responses={
        200: {
            "content": REPORT_CONTENT,
            "description": "The report, as an attachment (docs/reports.md describes its contents).",
        },
        503: {"model": schemas.ErrorPublic, "description": "This server cannot make PDFs (WeasyPrint's libraries)."},
    },
)
def get_report(
    request: Request,
    token: Token,
    assessment_id: AssessmentId,
    fmt: ReportFormatQuery = "html",
    paper: PaperQuery = "a4",
) -> Response:
    with acting(request, token) as (db, actor):
        model = reports.report(db, actor, assessment_id, settings_of(request).benchmark_min_cohort)
    # Drawn after the transaction (no database needed), in a child process: seconds of an interpreter.
    return report_download(reports.render_in(request.app.state.cpu, model, fmt, paper))


# --- peer benchmarks (docs/benchmarks.md) -----------------------------------------------------------------------

DatasetId = Annotated[int, Path(ge=1, le=ID_MAX, description="An imported dataset's id.")]
CohortValue = Annotated[str, Query(max_length=100, description="A whole value; empty or left out: any.")]


def _cohort_of(industry: str, size_band: str, region: str) -> CohortFilter:
    return CohortFilter.of(industry, size_band, region)


@router.get(
    "/assessments/{assessment_id}/benchmark",
    tags=["benchmarks"],
    summary="The assessment against a cohort of other organizations (figures only where the privacy rules allow)",
)
def get_benchmark(
    request: Request,
    token: Token,
    assessment_id: AssessmentId,
    industry: CohortValue = "",
    size_band: CohortValue = "",
    region: CohortValue = "",
) -> BenchmarkPublic:
    k = settings_of(request).benchmark_min_cohort
    # A look at a benchmark may release the pool's waiting changes first (benchmark_pool.release_if_due): a write.
    with acting(request, token, write=True) as (db, actor):
        return BenchmarkPublic.of(benchmark(db, actor, assessment_id, _cohort_of(industry, size_band, region), k))


@router.get(
    "/assessments/{assessment_id}/benchmark/dataset",
    tags=["benchmarks"],
    summary="The cohort as a dataset for another installation (owners; aggregates only)",
    response_model=Dataset,
    responses=CONFLICT,
)
def get_benchmark_dataset(
    request: Request,
    token: Token,
    assessment_id: AssessmentId,
    industry: CohortValue = "",
    size_band: CohortValue = "",
    region: CohortValue = "",
) -> Response:
    settings = settings_of(request)
    cohort = _cohort_of(industry, size_band, region)
    with acting(request, token, write=True) as (db, actor):  # may release the pool's waiting changes first
        data = export_for_assessment(
            db, actor, assessment_id, cohort, settings.benchmark_min_cohort, settings.source_name(), date.today()
        )
    return Response(dataset_json(data), media_type="application/json")


@router.get(
    "/organizations/{organization_id}/benchmarks",
    tags=["benchmarks"],
    summary="Whether the organization shares its results, and the datasets it sees",
)
def get_benchmark_settings(request: Request, token: Token, organization_id: OrgId) -> BenchmarkSettingsPublic:
    with acting(request, token) as (db, actor):
        return BenchmarkSettingsPublic.of(organization_benchmarks(db, actor, organization_id))


@router.put(
    "/organizations/{organization_id}/benchmarks",
    tags=["benchmarks"],
    summary="Share the organization's results with the benchmarks, or keep them out (owners)",
)
def put_benchmark_settings(
    request: Request, token: Token, organization_id: OrgId, body: ContributionUpdate
) -> BenchmarkSettingsPublic:
    with acting(request, token) as (db, actor):
        set_opt_out(db, actor, organization_id, body.opt_out)
        return BenchmarkSettingsPublic.of(organization_benchmarks(db, actor, organization_id))


@router.post(
    "/organizations/{organization_id}/benchmarks/datasets",
    tags=["benchmarks"],
    status_code=201,
    summary="Import a benchmark dataset exported by another installation (owners; the file's JSON as the body)",
    responses=CONFLICT,
)
def post_benchmark_dataset(
    request: Request, token: Token, organization_id: OrgId, body: dict[str, Any]
) -> BenchmarkSettingsPublic:
    text = json.dumps(body)
    check_text_size(settings_of(request), text, field="body")
    with acting(request, token) as (db, actor):
        import_dataset(db, actor, organization_id, "body", text)
        return BenchmarkSettingsPublic.of(organization_benchmarks(db, actor, organization_id))


@router.delete(
    "/organizations/{organization_id}/benchmarks/datasets/{dataset_id}",
    tags=["benchmarks"],
    summary="Remove a dataset the organization imported (owners)",
)
def delete_benchmark_dataset(
    request: Request, token: Token, organization_id: OrgId, dataset_id: DatasetId
) -> BenchmarkSettingsPublic:
    with acting(request, token) as (db, actor):
        delete_dataset(db, actor, organization_id, dataset_id)
        return BenchmarkSettingsPublic.of(organization_benchmarks(db, actor, organization_id))
