"""The framework browser: every framework an organization can use (built in and uploaded), one framework in full,
and two side by side; from each, a facilitator starts an assessment with it.

Members of the organization (viewer role and up) browse; outsiders get 404. Pages render only from the view models
of ``reporting.framework_view``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from cxmaturity.frameworks.model import Framework
from cxmaturity.i18n import use_locale
from cxmaturity.reporting import framework_view
from cxmaturity.services import access, frameworks
from cxmaturity.web.context import page_language, render, require_signed_in, unit_of_work

router = APIRouter()

EDITORS = ("owner", "facilitator")
MAX_REF = 100


def _view(request: Request, fw: Framework, ref: str, uploaded: bool) -> framework_view.FrameworkView:
    """The framework as the page shows it: in the page's language where the framework offers it (its texts), the
    view's own words (the overall rule, the comparison's labels) in the page's language always."""
    language = page_language(request)
    with use_locale(language):
        return framework_view.build(fw.in_language(language), ref, uploaded=uploaded)


@router.get("/orgs/{organization_id}/frameworks")
def frameworks_page(request: Request, organization_id: int) -> Response:
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        org = access.organization(db, who.actor, organization_id)
        role = access.require_role(db, who.actor, organization_id)
        views = [
            _view(request, fw, choice.ref, choice.uploaded)
            for choice, fw in frameworks.catalog(db, who.actor, organization_id)
        ]
        return render(request, "frameworks.html", who, org=org, views=views, can_start=role in EDITORS)


@router.get("/orgs/{organization_id}/frameworks/compare")
def compare_page(
    request: Request,
    organization_id: int,
    a: Annotated[str, Query(max_length=MAX_REF)] = "",
    b: Annotated[str, Query(max_length=MAX_REF)] = "",
) -> Response:
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        org = access.organization(db, who.actor, organization_id)
        role = access.require_role(db, who.actor, organization_id)
        if not (a and b):
            # Opened without a choice (or with one side only): start from the first frameworks of the list.
            listed = [c.ref for c, _ in frameworks.catalog(db, who.actor, organization_id)]
            a = a or listed[0]
            b = b or next(ref for ref in listed if ref != a)
        left_choice, left = frameworks.get(db, who.actor, organization_id, a)
        right_choice, right = frameworks.get(db, who.actor, organization_id, b)
        with use_locale(page_language(request)):
            comparison = framework_view.compare(
                _view(request, left, left_choice.ref, left_choice.uploaded),
                _view(request, right, right_choice.ref, right_choice.uploaded),
            )
        return render(request, "framework_compare.html", who, org=org, c=comparison, can_start=role in EDITORS)


@router.get("/orgs/{organization_id}/frameworks/{kind}/{value}")
def framework_page(request: Request, organization_id: int, kind: str, value: str) -> Response:
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        org = access.organization(db, who.actor, organization_id)
        role = access.require_role(db, who.actor, organization_id)
        choice, fw = frameworks.get(db, who.actor, organization_id, f"{kind}:{value}")
        view = _view(request, fw, choice.ref, choice.uploaded)
        others = [
            (c.ref, c.name, c.version)
            for c, _ in frameworks.catalog(db, who.actor, organization_id)
            if c.ref != view.ref
        ]
        return render(request, "framework.html", who, org=org, f=view, others=others, can_start=role in EDITORS)
