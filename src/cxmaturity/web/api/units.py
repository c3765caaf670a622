"""API version 1, units and campaigns: the organization's unit tree (create, rename, move, delete, import), unit
leaders, a campaign's units and goals, and roll-ups (the whole campaign; a unit and below for its leaders). Same
tokens, errors and bounds as ``v1``; docs/api.md has examples, docs/units.md the rules."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from cxmaturity.reporting.units_view import campaign_view, tree_view
from cxmaturity.services import campaigns, units
from cxmaturity.services.errors import Invalid
from cxmaturity.storage import ID_MAX
from cxmaturity.web.api.deps import ApiRoute, Token, acting
from cxmaturity.web.api.schemas import Document
from cxmaturity.web.api.v1 import CONFLICT, ERRORS, AssessmentId, OrgId

router = APIRouter(prefix="/api/v1", route_class=ApiRoute, responses=ERRORS, tags=["units"])

UnitId = Annotated[int, Path(ge=1, le=ID_MAX, description="A unit's id.")]
UserId = Annotated[int, Path(ge=1, le=ID_MAX, description="A leader's user id.")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UnitCreate(_In):
    name: str = Field(min_length=1, max_length=100)
    parent_id: int | None = Field(default=None, ge=1, le=ID_MAX, description="The parent unit; null: at the top.")
    key: str | None = Field(default=None, max_length=64, description="Your own code for the unit (imports use it).")


class UnitUpdate(_In):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    parent_id: int | None = Field(
        default=None, ge=1, le=ID_MAX, description="Move under this unit; null moves it to the top; leave out to keep."
    )


class UnitsImport(_In):
    csv: str = Field(max_length=2_000_000, description="The file's text: columns key,name,parent.")
    filename: str = Field(default="units.csv", max_length=200)


class LeaderCreate(_In):
    email: str = Field(min_length=3, max_length=320)


class CampaignUnit(_In):
    unit_id: int = Field(ge=1, le=ID_MAX)
    goal: int | None = Field(default=None, ge=1, le=100, description="Response-rate goal in percent.")


class CampaignUnitsUpdate(_In):
    units: list[CampaignUnit] = Field(max_length=units.MAX_UNITS)
    hide_names: bool = Field(default=False, description="Viewers and unit leaders see Unit A, Unit B, ….")


class UnitPublic(BaseModel):
    id: int
    name: str
    parent_id: int | None
    key: str | None
    path: str
    depth: int
    leaders: list[str]


class UnitsImported(BaseModel):
    created: int
    updated: int


class LeaderPublic(BaseModel):
    user_id: int
    email: str


class CampaignRollUpPublic(Document):
    """A campaign's roll-up (docs/api.md, Units): each unit with its respondents, overall and per-competency stage and
    score (or why it is withheld), its response rate against its goal, and each unit's overall score over the
    series."""


class UnitViewPublic(Document):
    """A unit (``unit``: id, name, path) and ``campaigns``: each campaign's roll-up limited to it and below."""


def _units(organization_id: int, found: units.UnitsOverview) -> list[UnitPublic]:
    view = tree_view(found)
    return [
        UnitPublic(
            id=r.id,
            name=r.name,
            parent_id=found.tree.parent(r.id),
            key=r.key or None,
            path=r.path,
            depth=r.depth,
            leaders=[email for _, email in r.leader_ids],
        )
        for r in view.rows
    ]


@router.get("/organizations/{organization_id}/units", summary="The organization's units, depth first")
def list_units(request: Request, token: Token, organization_id: OrgId) -> list[UnitPublic]:
    with acting(request, token) as (db, actor):
        return _units(organization_id, units.overview(db, actor, organization_id))


@router.post("/organizations/{organization_id}/units", status_code=201, summary="Add a unit (facilitators)")
def create_unit(request: Request, token: Token, organization_id: OrgId, body: UnitCreate) -> UnitPublic:
    with acting(request, token) as (db, actor):
        unit = units.create(db, actor, organization_id, body.name, body.parent_id, body.key)
        return next(u for u in _units(organization_id, units.overview(db, actor, organization_id)) if u.id == unit.id)


@router.post(
    "/organizations/{organization_id}/units/import",
    summary="Create or update units from CSV, all or nothing (facilitators)",
)
def import_units(request: Request, token: Token, organization_id: OrgId, body: UnitsImport) -> UnitsImported:
    with acting(request, token) as (db, actor):
        done = units.import_tree(db, actor, organization_id, body.csv, body.filename)
        return UnitsImported(created=done.created, updated=done.updated)


@router.patch("/units/{unit_id}", summary="Rename or move a unit (facilitators)")
def update_unit(request: Request, token: Token, unit_id: UnitId, body: UnitUpdate) -> UnitPublic:
    with acting(request, token) as (db, actor):
        parent = body.parent_id if "parent_id" in body.model_fields_set else units.KEEP
        unit = units.update(db, actor, unit_id, name=body.name, parent_id=parent)
        found = units.overview(db, actor, unit.organization_id)
        return next(u for u in _units(unit.organization_id, found) if u.id == unit.id)


@router.delete(
    "/units/{unit_id}", status_code=204, responses=CONFLICT, summary="Delete a unit that holds nothing (facilitators)"
)
def delete_unit(request: Request, token: Token, unit_id: UnitId) -> Response:
    with acting(request, token) as (db, actor):
        units.delete(db, actor, unit_id)
    return Response(status_code=204)


@router.post("/units/{unit_id}/leaders", status_code=201, summary="Make an account a leader of the unit (owners)")
def add_leader(request: Request, token: Token, unit_id: UnitId, body: LeaderCreate) -> LeaderPublic:
    with acting(request, token, write=False) as (_db, actor):
        pass
    # Each attempt is counted in a transaction of its own, found or not (services/units.py, LEADER_LIMIT).
    leader = units.name_leader(request.app.state.sessions, actor, unit_id, body.email)
    return LeaderPublic(user_id=leader.user_id, email=leader.email)


@router.delete("/units/{unit_id}/leaders/{user_id}", status_code=204, summary="Remove a unit's leader (owners)")
def remove_leader(request: Request, token: Token, unit_id: UnitId, user_id: UserId) -> Response:
    with acting(request, token) as (db, actor):
        units.remove_leader(db, actor, unit_id, user_id)
    return Response(status_code=204)


@router.get("/units/{unit_id}", summary="A unit and its campaigns' roll-ups for it and below (its leaders, members)")
def get_unit(request: Request, token: Token, unit_id: UnitId) -> UnitViewPublic:
    with acting(request, token) as (db, actor):
        found = campaigns.unit_view(db, actor, unit_id)
        body: dict[str, Any] = {
            "unit": {"id": found.unit.id, "name": found.unit.name, "path": found.path},
            "campaigns": [campaign_view(c).to_dict() for c in found.campaigns],
        }
        return UnitViewPublic(**body)


@router.put("/assessments/{assessment_id}/units", summary="Run the assessment across these units (facilitators)")
def set_campaign_units(
    request: Request, token: Token, assessment_id: AssessmentId, body: CampaignUnitsUpdate
) -> CampaignRollUpPublic:
    goals = {u.unit_id: u.goal for u in body.units}
    if len(goals) != len(body.units):
        raise Invalid("each unit at most once", field="units")
    with acting(request, token) as (db, actor):
        campaigns.set_units(db, actor, assessment_id, goals, hide_names=body.hide_names)
        return _rollup(assessment_id, campaigns.campaign(db, actor, assessment_id))


@router.get("/assessments/{assessment_id}/units", summary="The campaign's roll-up over its units (viewers)")
def campaign_rollup(request: Request, token: Token, assessment_id: AssessmentId) -> CampaignRollUpPublic:
    with acting(request, token) as (db, actor):
        return _rollup(assessment_id, campaigns.campaign(db, actor, assessment_id))


def _rollup(assessment_id: int, found: campaigns.CampaignRollUp | None) -> CampaignRollUpPublic:
    """The roll-up's document; an assessment that runs in no unit has an empty list of units."""
    if found is None:
        return CampaignRollUpPublic(assessment_id=assessment_id, units=[])
    return CampaignRollUpPublic(**campaign_view(found).to_dict())
