"""Unit pages: the organization's tree of units (create, rename, move, delete, import, leaders), a campaign's
units and roll-up, and a unit's own page for its leaders (docs/units.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from cxmaturity.i18n import N_
from cxmaturity.reporting.units_view import campaign_view, tree_view
from cxmaturity.services import access, campaigns, units
from cxmaturity.services.errors import Invalid, ServiceError
from cxmaturity.web.context import (
    check_csrf,
    is_access_error,
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


def _id(request: Request, value: str, field: str, refusal: str) -> int | None:
    """The id chosen in a form's field; ``refusal`` (marked with ``N_``) when it is not one."""
    value = value.strip()
    if not value:
        return None
    if not value.isdigit():
        raise Invalid(page_text(request, refusal), field=field)
    return int(value)


def _tree_page(request: Request, organization_id: int, status_code: int = 200, **extra: object) -> Response:
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        org = access.organization(db, who.actor, organization_id)
        role = access.require_role(db, who.actor, organization_id)
        found = units.overview(db, who.actor, organization_id)
        return render(
            request, "units.html", who, status_code=status_code, org=org, role=role, view=tree_view(found), **extra
        )


def _refused(request: Request, organization_id: int, exc: ServiceError, action: str) -> Response:
    if is_access_error(exc):
        raise exc
    return _tree_page(
        request,
        organization_id,
        status_code=exc.status,
        failed=action,
        error=refusal(request, exc),
        details=exc.details,
    )


@router.get("/orgs/{organization_id}/units")
def units_page(request: Request, organization_id: int) -> Response:
    return _tree_page(request, organization_id)


@router.post("/orgs/{organization_id}/units")
def create_unit(
    request: Request,
    organization_id: int,
    name: Annotated[str, Form(max_length=200)] = "",
    parent: Annotated[str, Form(max_length=20)] = "",
    key: Annotated[str, Form(max_length=100)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    try:
        with unit_of_work(request) as db:
            who = require_signed_in(request, db)
            check_csrf(request, who, csrf_token)
            parent_id = _id(request, parent, "parent", N_("choose a parent unit"))
            units.create(db, who.actor, organization_id, name, parent_id, key)
    except ServiceError as exc:
        return _refused(request, organization_id, exc, "add")
    return redirect(f"/orgs/{organization_id}/units")


@router.post("/orgs/{organization_id}/units/import")
def import_units(
    request: Request,
    organization_id: int,
    file: Annotated[UploadFile | None, File()] = None,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    try:
        with unit_of_work(request) as db:
            who = require_signed_in(request, db)
            check_csrf(request, who, csrf_token)
            access.require_role(db, who.actor, organization_id, "facilitator")
            filename, text = read_upload(file, settings_of(request).max_upload_bytes, N_("CSV"))
            done = units.import_tree(db, who.actor, organization_id, text, filename)
    except ServiceError as exc:
        return _refused(request, organization_id, exc, "import")
    notice = page_text(
        request,
        N_("Imported %(file)s: %(created)d unit(s) created, %(updated)d changed."),
        file=filename,
        created=done.created,
        updated=done.updated,
    )
    return _tree_page(request, organization_id, notice=notice)


@router.post("/units/{unit_id}/edit")
def edit_unit(
    request: Request,
    unit_id: int,
    name: Annotated[str, Form(max_length=200)] = "",
    parent: Annotated[str, Form(max_length=20)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Rename and/or move a unit ("" as parent: to the top)."""

    def act(db: Session, actor: access.Actor) -> None:
        parent_id = _id(request, parent, "parent", N_("choose a parent unit"))
        units.update(db, actor, unit_id, name=name or None, parent_id=parent_id)

    return _on_unit(request, unit_id, "facilitator", csrf_token, act)


@router.post("/units/{unit_id}/delete")
def delete_unit(request: Request, unit_id: int, csrf_token: Annotated[str, Form()] = "") -> Response:
    return _on_unit(request, unit_id, "facilitator", csrf_token, lambda db, actor: units.delete(db, actor, unit_id))


@router.post("/units/{unit_id}/leaders")
def add_leader(
    request: Request,
    unit_id: int,
    email: Annotated[str, Form(max_length=320)] = "",
    remove: Annotated[str, Form(max_length=20)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Add a leader by e-mail, or remove one (``remove``: the leader's user id)."""
    if remove:

        def act(db: Session, actor: access.Actor) -> None:
            leader = _id(request, remove, "remove", N_("choose a leader to remove"))
            if leader is not None:
                units.remove_leader(db, actor, unit_id, leader)

        return _on_unit(request, unit_id, "owner", csrf_token, act)
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        organization_id = access.unit(db, who.actor, unit_id, "owner").organization_id
        check_csrf(request, who, csrf_token)
    try:
        # Each attempt is counted in a transaction of its own, found or not (services/units.py, LEADER_LIMIT).
        units.name_leader(request.app.state.sessions, who.actor, unit_id, email)
    except ServiceError as exc:
        return _refused(request, organization_id, exc, f"unit-{unit_id}")
    return redirect(f"/orgs/{organization_id}/units")


def _on_unit(
    request: Request,
    unit_id: int,
    role: str,
    csrf_token: str,
    act: Callable[[Session, access.Actor], object],
) -> Response:
    """The form posts on one unit: find its organization (a unit the person may not act on is a 404), then change it
    in its own transaction; a refusal shows the tree page with the message beside that unit."""
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        organization_id = access.unit(db, who.actor, unit_id, role).organization_id
    try:
        with unit_of_work(request) as db:
            who = require_signed_in(request, db)
            check_csrf(request, who, csrf_token)
            act(db, who.actor)
    except ServiceError as exc:
        return _refused(request, organization_id, exc, f"unit-{unit_id}")
    return redirect(f"/orgs/{organization_id}/units")


@router.get("/units/{unit_id}")
def unit_page(request: Request, unit_id: int) -> Response:
    """A unit with its campaigns' results for it and the units below it (its leaders, and members)."""
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        found = campaigns.unit_view(db, who.actor, unit_id)
        return render(
            request,
            "unit.html",
            who,
            unit=found.unit,
            path=found.path,
            views=[campaign_view(c, page_language(request)) for c in found.campaigns],
        )


# --------------------------------------------------------------------------------------------------------------------
# A campaign's units


def _campaign_page(
    request: Request, assessment_id: int, status_code: int = 200, preview: bool = False, **extra: object
) -> Response:
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        assessment = access.assessment(db, who.actor, assessment_id)
        role = access.require_role(db, who.actor, assessment.organization_id)
        chosen = campaigns.units_of(db, assessment.id)
        found = campaigns.campaign(db, who.actor, assessment_id, preview_hidden=preview)
        view = campaign_view(found, page_language(request)) if found is not None else None
        # The preview shows exactly what viewers see: no settings form naming the units.
        editing = role != "viewer" and not preview
        choices = tree_view(units.overview(db, who.actor, assessment.organization_id)) if editing else None
        return render(
            request,
            "campaign.html",
            who,
            status_code=status_code,
            assessment=assessment,
            org=assessment.organization,
            role=role,
            view=view,
            chosen=chosen,
            choices=choices,
            preview=preview,
            **extra,
        )


@router.get("/assessments/{assessment_id}/units")
def campaign_page(request: Request, assessment_id: int, names: str = "", format: str = "") -> Response:
    """The campaign's roll-up: units side by side, response rates against goals, units over time (viewer)."""
    if format == "json":
        with unit_of_work(request) as db:
            who = require_signed_in(request, db)
            found = campaigns.campaign(db, who.actor, assessment_id, preview_hidden=names == "hidden")
            body = (
                campaign_view(found).to_dict() if found is not None else {"assessment_id": assessment_id, "units": []}
            )
            return JSONResponse(body)
    return _campaign_page(request, assessment_id, preview=names == "hidden")


def _goal(request: Request, value: str, name: str) -> int | None:
    value = value.strip().rstrip("%").strip()
    if not value:
        return None
    if not value.isdigit():
        raise Invalid(
            page_text(request, N_("the response-rate goal of %(unit)s must be a whole percentage, like 70"), unit=name),
            field="goal",
        )
    return int(value)


@router.post("/assessments/{assessment_id}/units")
def set_campaign_units(
    request: Request,
    assessment_id: int,
    # One checkbox, and one goal beside it, per unit of the organization (max_length bounds a list's length here).
    unit: Annotated[list[str] | None, Form(max_length=units.MAX_UNITS)] = None,
    goal_unit: Annotated[list[str] | None, Form(max_length=units.MAX_UNITS)] = None,
    goal: Annotated[list[str] | None, Form(max_length=units.MAX_UNITS)] = None,
    hide_names: Annotated[str, Form(max_length=10)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Choose the campaign's units (checkboxes ``unit``), their goals (``goal`` beside each ``goal_unit``), and
    whether viewers and leaders see names."""
    try:
        with unit_of_work(request) as db:
            who = require_signed_in(request, db)
            check_csrf(request, who, csrf_token)
            assessment = access.assessment(db, who.actor, assessment_id, "facilitator")
            tree = units.tree_of(db, assessment.organization_id)
            typed = dict(zip(goal_unit or [], goal or [], strict=False))
            goals: dict[int, int | None] = {}
            for raw in unit or []:
                chosen = _id(request, raw, "units", N_("choose units of this organization"))
                if chosen is None or chosen not in tree:
                    raise Invalid(page_text(request, N_("choose units of this organization")), field="units")
                goals[chosen] = _goal(request, typed.get(raw, ""), tree.nodes[chosen].name)
            campaigns.set_units(db, who.actor, assessment_id, goals, hide_names=bool(hide_names))
    except ServiceError as exc:
        if is_access_error(exc):
            raise
        return _campaign_page(request, assessment_id, exc.status, error=refusal(request, exc), details=exc.details)
    return redirect(f"/assessments/{assessment_id}/units")
