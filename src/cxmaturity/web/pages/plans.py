"""The roadmap plan of an assessment: settings, "Make plan", the latest plan (status, initiatives by period with why,
owners, locks and start periods, a timeline per competency, the expected stages, totals against the limits), the
team's own initiatives, version history, and CSV / iCalendar downloads.

Every change goes through ``services.plans``, which re-plans and saves a new version; this module reads forms and
chooses what to show. Facilitators and owners change the plan, viewers read it, people outside the organization get
404. Charts are Vega-Lite specs from ``reporting.charts``, drawn by static/charts.js; each has a table beside it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date
from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from cxmaturity.i18n import N_, use_locale
from cxmaturity.i18n import gettext as _
from cxmaturity.planning.model import Candidate
from cxmaturity.reporting import phrases, plan_view
from cxmaturity.reporting.report import in_framework_language
from cxmaturity.services import access, initiative_metrics, outcomes, plans, progress, results
from cxmaturity.services.assessments import framework_of
from cxmaturity.services.errors import Conflict, Invalid, NotFound, ServiceError
from cxmaturity.services.plans import Change, SavedPlan, Settings
from cxmaturity.web.context import (
    PostedForm,
    SignedIn,
    check_csrf,
    form_text,
    is_access_error,
    page_language,
    page_text,
    redirect,
    render,
    require_signed_in,
    unit_of_work,
)

router = APIRouter()

EDITORS = ("owner", "facilitator")
NO_STORE = {"Cache-Control": "private, no-store"}
#: Notices after a change (chosen by a fixed word in the redirect, never by text from the URL).
NOTICES = {
    "planned": N_("A new plan was made and saved as a new version."),
    "settings": N_("The settings were saved and the plan was made again with them."),
    "adjusted": N_("Your changes were saved and the plan was made again around the locked initiatives."),
    "added": N_("Your initiative was added and the plan was made again."),
    "removed": N_("The initiative was removed and the plan was made again."),
}
MAX_FIELD = 4000


def _text(form: FormData, name: str, limit: int = MAX_FIELD) -> str:
    return form_text(form, name, limit)


# --------------------------------------------------------------------------------------------------------------------
# The page (its view model is reporting.plan_view)


def _settings_form(current: Settings) -> dict[str, str]:
    return {
        "horizon": str(current.horizon),
        "budget": "" if current.budget is None else _plain(current.budget),
        "capacity": "" if current.capacity is None else _plain(current.capacity),
        "max_concurrent": str(current.max_concurrent),
        "must": " ".join(current.must),
        "must_not": " ".join(current.must_not),
        "start_date": current.start_date.isoformat() if current.start_date else "",
    }


def _plain(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


CUSTOM_DEFAULTS = {
    "key": "",
    "title": "",
    "competency": "",
    "from_stage": "",
    "effort": "1",
    "cost": "0",
    "duration": "1",
    "requires": "",
    "indicators": "",
    "description": "",
    "measure": "",
}


def _page(
    request: Request,
    assessment_id: int,
    status_code: int = 200,
    *,
    number: int | None = None,
    form: Mapping[str, str] | None = None,
    custom_form: Mapping[str, str] | None = None,
    refused: ServiceError | None = None,
    **extra: Any,
) -> Response:
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        assessment = access.assessment(db, who.actor, assessment_id, "viewer")
        role = access.require_role(db, who.actor, assessment.organization_id)
        lang = page_language(request)
        # Names (competencies, stages, catalog titles) in the page's language where the framework offers it.
        fw = framework_of(assessment).in_language(lang)
        current = plans.settings(db, who.actor, assessment.id)
        latest = plans.latest(db, who.actor, assessment.id)
        saved = latest if number is None else plans.version(db, who.actor, assessment.id, number)
        view = None
        if saved is not None:
            scored = results.results(db, who.actor, assessment.id)
            with use_locale(lang):
                view = plan_view.build(
                    fw,
                    in_framework_language(saved.plan, fw),
                    locks=saved.locks,
                    owners=saved.owners,
                    result=scored.result,
                    windows=plans.start_windows(db, who.actor, assessment.id, saved) if number is None else {},
                    statuses={
                        k: e.status for k, e in progress.initiative_statuses(db, who.actor, assessment.id).items()
                    },
                )
        versions = plans.versions(db, who.actor, assessment.id)
        with use_locale(lang):
            limits_text = {"budget": plan_view.money(current.budget), "capacity": plan_view.months(current.capacity)}
            catalog = plan_view.catalog(fw, plans.candidates(fw, current))
            # Who changed what, in the page's language (a catalog's initiative by its title in that language); a
            # version saved before notes were phrases shows its note as written.
            notes = {v.number: phrases.text(v.note_phrase, v.note, fw) for v in versions}
            # Each version's status in the page's language; the one shown with its gap, which only its plan keeps.
            version_statuses = {v.number: plan_view.status_word(v.status) for v in versions}
            if saved is not None:
                notes[saved.number] = phrases.text(saved.info.note_phrase, saved.info.note, fw)
                version_statuses[saved.number] = plan_view.status_text(saved.plan)
            if refused is not None:
                # Why a change has no plan: the refusal and its lines, with the framework's names (an initiative,
                # a competency, the framework) in the page's language rather than as the plan was worded.
                name = phrases.namer(fw)
                extra["error"] = phrases.shown(refused.phrase, name)
                extra["details"] = [phrases.shown(d, name) for d in refused.detail_texts]
        response = render(
            request,
            "plan.html",
            who,
            status_code=status_code,
            assessment=assessment,
            organization=assessment.organization,
            can_edit=role in EDITORS and number is None,
            role=role,
            saved=saved,
            latest_number=latest.number if latest else None,
            viewing_old=number is not None and latest is not None and number != latest.number,
            view=view,
            versions=versions,
            notes=notes,
            version_statuses=version_statuses,
            settings=current,
            limits_text=limits_text,
            form={**_settings_form(current), **(form or {})},
            custom_form={**CUSTOM_DEFAULTS, **(custom_form or {})},
            catalog=catalog,
            competencies=[(c.key, fw.text(c.name)) for c in fw.competencies],
            stages=[(s.key, fw.text(s.name)) for s in fw.stages],
            own=list(current.custom),
            max_horizon=plans.MAX_HORIZON,
            initiative_metrics=initiative_metrics.views(db, who.actor, assessment.id) if saved is not None else [],
            metric_choices=[
                *outcomes.METRIC_KEYS,
                *(f"operational:{m}" for m in outcomes.operational_metrics(db, who.actor, assessment.organization_id)),
            ],
            **extra,
        )
    response.headers.update(NO_STORE)
    return response


# --------------------------------------------------------------------------------------------------------------------
# Reading forms


def _whole(value: str, name: str, message: str) -> int:
    value = value.strip()
    if not re.fullmatch(r"\d{1,6}", value):
        raise Invalid(message, field=name)
    return int(value)


def _amount(value: str, name: str, message: str, *, empty: float | None = None) -> float | None:
    value = value.strip().replace(",", "").replace(" ", "").replace("_", "")
    if not value:
        return empty
    try:
        number = float(value)
    except ValueError:
        raise Invalid(message, field=name) from None
    if not math.isfinite(number):
        raise Invalid(message, field=name)
    return number


def _keys(value: str) -> tuple[str, ...]:
    return tuple(k for k in re.split(r"[\s,;]+", value) if k)


def _settings_from(form: FormData, current: Settings) -> Settings:
    horizon = _whole(
        _text(form, "horizon"),
        "horizon",
        _("the horizon must be a whole number of periods from 1 to %(most)s") % {"most": plans.MAX_HORIZON},
    )
    budget = _amount(
        _text(form, "budget"),
        "budget",
        _("the budget per period must be a number, 0 or more (leave it empty for no limit)"),
    )
    capacity = _amount(
        _text(form, "capacity"),
        "capacity",
        _("the capacity per period (person-months) must be a number, 0 or more (leave it empty for no limit)"),
    )
    at_once = _whole(
        _text(form, "max_concurrent"),
        "max_concurrent",
        _("the number of initiatives at once must be a whole number from 1 to %(most)s")
        % {"most": plans.MAX_CONCURRENT},
    )
    start_text = _text(form, "start_date").strip()
    try:
        start = date.fromisoformat(start_text) if start_text else None
    except ValueError:
        raise Invalid(_("the first period's start must be a date, e.g. 2027-01-01"), field="start_date") from None
    return replace(
        current,
        horizon=horizon,
        budget=budget,
        capacity=capacity,
        max_concurrent=at_once,
        must=_keys(_text(form, "must")),
        must_not=_keys(_text(form, "must_not")),
        start_date=start,
    )


def _custom_from(form: FormData) -> Candidate:
    def number(name: str, message: str) -> float:
        value = _amount(_text(form, name), name, message, empty=0.0)
        assert value is not None
        return value

    duration = _whole(
        _text(form, "duration"), "duration", _("the duration must be a whole number of periods from 1 to 40")
    )
    return Candidate(
        key=_text(form, "key", 64).strip(),
        title=_text(form, "title", 300).strip(),
        competency=_text(form, "competency", 64),
        from_stage=_text(form, "from_stage", 64),
        effort=number("effort", _("the effort (person-months) must be a number, 0 or more")),
        duration=duration,
        cost=number("cost", _("the cost must be a number, 0 or more")),
        requires=_keys(_text(form, "requires")),
        indicators=_keys(_text(form, "indicators")),
        description=_text(form, "description").strip(),
        measure=_text(form, "measure").strip(),
        custom=True,
    )


def _changes_from(form: FormData, saved: SavedPlan | None) -> list[Change]:
    """Compare the initiatives table as sent with the plan it was shown from; return what changed."""
    planned = {i.key: i for i in saved.plan.initiatives} if saved is not None else {}
    locks = saved.locks if saved is not None else {}
    owners = saved.owners if saved is not None else {}
    ticked = {v for v in form.getlist("locked") if isinstance(v, str)}
    changes: list[Change] = []
    for key in dict.fromkeys(v for v in form.getlist("key") if isinstance(v, str)):
        # Only an owner field that was on the form changes an owner: a row without one (a locked initiative that is
        # not in the plan) keeps the owner it has.
        new_owner = None
        if f"owner:{key}" in form:
            owner = " ".join(_text(form, f"owner:{key}", 200).split())
            new_owner = owner if owner != owners.get(key, "") else None
        shown_start = planned[key].start if key in planned else locks.get(key)
        start_text = _text(form, f"start:{key}").strip()
        new_start = None
        if start_text:
            start = _whole(start_text, "start", _("choose the period %(key)s starts in") % {"key": key})
            if start != shown_start:
                new_start = start
        locked: bool | None = None
        if new_start is None and (key in ticked) != (key in locks):
            locked = key in ticked
        if new_owner is not None or new_start is not None or locked is not None:
            changes.append(Change(key, owner=new_owner, locked=locked, start=new_start))
    return changes


# --------------------------------------------------------------------------------------------------------------------
# Routes


@router.get("/assessments/{assessment_id}/plan")
def plan_page(request: Request, assessment_id: int, done: str = "") -> Response:
    notice = NOTICES.get(done)
    return _page(request, assessment_id, notice=page_text(request, notice) if notice else None)


@router.get("/assessments/{assessment_id}/plan/versions/{number}")
def version_page(request: Request, assessment_id: int, number: int) -> Response:
    return _page(request, assessment_id, number=number)


def _change(
    request: Request,
    assessment_id: int,
    sent: FormData,
    section: str,
    done: str,
    action: Callable[[Session, SignedIn], object],
    **on_error: Any,
) -> Response:
    """Run ``action`` (which re-plans and saves a version) in one unit of work; show errors beside the form."""
    try:
        with unit_of_work(request) as db:
            who = require_signed_in(request, db)
            check_csrf(request, who, _text(sent, "csrf_token", 200))
            access.assessment(db, who.actor, assessment_id, "facilitator")
            # The page's own messages about the form are raised in the page's language (services' stay English).
            with use_locale(page_language(request)):
                action(db, who)
    except ServiceError as exc:
        if is_access_error(exc):
            raise
        return _page(
            request,
            assessment_id,
            exc.status,
            failed=section,
            refused=exc,
            **on_error,
        )
    return redirect(f"/assessments/{assessment_id}/plan?done={done}#{section}")


@router.post("/assessments/{assessment_id}/plan")
def make_plan(request: Request, assessment_id: int, form: PostedForm) -> Response:
    return _change(
        request, assessment_id, form, "plan", "planned", lambda db, who: plans.make(db, who.actor, assessment_id)
    )


@router.post("/assessments/{assessment_id}/plan/settings")
def save_settings(request: Request, assessment_id: int, form: PostedForm) -> Response:
    sent = {name: _text(form, name, 1000) for name in _settings_form(Settings())}

    def action(db: Session, who: SignedIn) -> None:
        current = plans.settings(db, who.actor, assessment_id)
        plans.set_settings(db, who.actor, assessment_id, _settings_from(form, current))

    return _change(request, assessment_id, form, "settings", "settings", action, form=sent)


@router.post("/assessments/{assessment_id}/plan/initiatives")
def adjust(request: Request, assessment_id: int, form: PostedForm) -> Response:
    def action(db: Session, who: SignedIn) -> None:
        latest = plans.latest(db, who.actor, assessment_id)
        shown = _text(form, "version", 20)
        if latest is None or shown != str(latest.number):
            raise Conflict(
                _(
                    "the plan changed since this page was opened; nothing was saved. Look at the new plan and make "
                    "your changes again"
                ),
                field="initiatives",
            )
        changes = _changes_from(form, latest)
        if not changes:
            raise Invalid(
                _("nothing was changed: set an owner, lock an initiative or choose another start period first"),
                field="initiatives",
            )
        plans.adjust(db, who.actor, assessment_id, changes)

    return _change(request, assessment_id, form, "initiatives", "adjusted", action)


@router.post("/assessments/{assessment_id}/plan/custom")
def add_custom(request: Request, assessment_id: int, form: PostedForm) -> Response:
    sent = {name: _text(form, name, 4000) for name in CUSTOM_DEFAULTS}

    def action(db: Session, who: SignedIn) -> None:
        plans.add_custom(db, who.actor, assessment_id, _custom_from(form))

    return _change(request, assessment_id, form, "own", "added", action, custom_form=sent)


@router.post("/assessments/{assessment_id}/plan/custom/{key}/delete")
def remove_custom(request: Request, assessment_id: int, key: str, form: PostedForm) -> Response:
    def action(db: Session, who: SignedIn) -> None:
        plans.remove_custom(db, who.actor, assessment_id, key)

    return _change(request, assessment_id, form, "own", "removed", action)


def _download(request: Request, assessment_id: int, version: int | None, kind: str) -> Response:
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        assessment = access.assessment(db, who.actor, assessment_id, "viewer")
        saved = (
            plans.latest(db, who.actor, assessment.id)
            if version is None
            else plans.version(db, who.actor, assessment.id, version)
        )
        if saved is None:
            raise NotFound(N_("there is no plan yet: make one first"))
        if kind == "csv":
            body = plans.csv_text(saved)
            media = "text/csv; charset=utf-8"
        else:
            lang = page_language(request)
            with use_locale(lang):
                title = _("%(title)s: plan version %(number)s") % {"title": assessment.title, "number": saved.number}
            body = plans.ical_text(saved, title, framework_of(assessment), lang)
            media = "text/calendar; charset=utf-8"
    name = f"plan-{assessment_id}-v{saved.number}.{kind}"
    return Response(
        body,
        media_type=media,
        headers={**NO_STORE, "Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/assessments/{assessment_id}/plan.csv")
def plan_csv(request: Request, assessment_id: int, version: int | None = None) -> Response:
    return _download(request, assessment_id, version, "csv")


@router.get("/assessments/{assessment_id}/plan.ics")
def plan_ics(request: Request, assessment_id: int, version: int | None = None) -> Response:
    return _download(request, assessment_id, version, "ics")
