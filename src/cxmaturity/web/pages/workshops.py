"""The live workshop's pages: the facilitator's control view and presenter view, the participants' phone view at
/join, their live event streams, and the record with the result as surveyed and as agreed.

Every change goes through ``web.workshop_actions`` (the API's actions are the same). A form posted by the page's
script (``Accept: application/json``) gets JSON back and the screens update from the event stream; without the
script the form posts and the page reloads.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import segno
from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import JSONResponse

from cxmaturity.i18n import N_, gettext, use_locale
from cxmaturity.reporting import phrases
from cxmaturity.reporting.workshop_view import state_in_language
from cxmaturity.services import access, workshop_state, workshops
from cxmaturity.services.assessments import framework_of
from cxmaturity.services.errors import NotFound, ServiceError
from cxmaturity.services.workshop_state import Snapshot
from cxmaturity.storage.tables import Assessment, Workshop
from cxmaturity.web import live, throttling
from cxmaturity.web.context import (
    PostedForm,
    check_csrf,
    page_language,
    page_text,
    redirect,
    refusal,
    render,
    require_signed_in,
    settings_of,
    signed_in,
    unit_of_work,
)
from cxmaturity.web.workshop_actions import facilitate, participate
from cxmaturity.workshops import vote_options

router = APIRouter()

PARTICIPANT_COOKIE = "cxm_workshop"
NO_STORE = {"Cache-Control": "private, no-store"}


#: The texts workshop.js writes when it redraws a screen, with their ``%(name)s`` placeholders (the script fills
#: them in): handed to the page in its language as a JSON block (workshop_macros.html), so the live redraws read like
#: the server's first drawing.
SCRIPT_TEXTS = {
    "waiting": N_("Waiting for the facilitator to start."),
    "no_item": N_("No item on screen."),
    "as_surveyed": N_("As surveyed (%(count)s answers)"),
    "vote_open": N_("Vote open: %(cast)s of %(participants)s voted (hidden until revealed)"),
    "revealed": N_("Round %(round)s revealed: %(count)s votes"),
    "no_vote": N_("No vote yet."),
    "votes_in_round": N_("Votes in round %(round)s"),
    "you_voted": N_("You voted: %(choice)s. Waiting for the reveal."),
    "reveal": N_("Reveal the votes"),
    "open_another": N_("Open another vote"),
    "open_vote": N_("Open a vote"),
    "agreed": N_("Agreed: %(answer)s"),
    "evidence_link": N_("Evidence"),
    "evidence": N_("Evidence: %(evidence)s"),
    "show": N_("Show"),
    "take_back": N_("Take back"),
    "skip": N_("Skip"),
    "up": N_("↑ Up"),
    "down": N_("↓ Down"),
    "commitment": N_("%(what)s (by %(date)s)"),
    "private": N_("[private]"),
    "step": N_("%(title)s (owner: %(owner)s)"),
    "in_plan": N_("✓ in the plan"),
    "not_written": N_("Not written yet."),
    "ended": N_("This workshop has ended. Thank you."),
    "failed": N_("That did not work."),
    "no_connection": N_("No connection: nothing was changed. Try again."),
}
#: The kinds of agenda item (``workshops.agenda.KINDS``), as their badges read.
KIND_NAMES = {
    "holds_back": N_("holds back"),
    "discussion": N_("discussion"),
    "blind_spot": N_("blind spot"),
    "gap": N_("gap"),
    "custom": N_("custom"),
}
NOT_RUNNING = N_("no workshop is running on this assessment; start one first")
NOT_JOINED = N_("you have not joined this workshop; join with the code on the screen")


def _texts(request: Request) -> dict[str, Any]:
    """The script's texts and the agenda's kinds in the page's language."""
    with use_locale(page_language(request)):
        texts: dict[str, Any] = {key: gettext(text) for key, text in SCRIPT_TEXTS.items()}
        texts["kinds"] = {key: gettext(name) for key, name in KIND_NAMES.items()}
    return texts


def _shown(request: Request, assessment: Assessment, state: dict[str, Any]) -> dict[str, Any]:
    """A screen's state with the agenda's titles and reasons in the page's language."""
    return state_in_language(state, framework_of(assessment), page_language(request))


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def _running(db: Any, assessment_id: int) -> Workshop | None:
    latest = workshops.latest_of(db, assessment_id)
    return latest if latest is not None and workshops.is_live(latest) else None


def join_url(request: Request, code: str | None = None) -> str:
    base = settings_of(request).base_url.rstrip("/")
    return f"{base}/join" + (f"?code={code}" if code else "")


def _qr(url: str) -> str:
    # segno writes the SVG from our own URL (letters, digits, /:?=.): nothing a visitor typed.
    return str(segno.make(url, error="m").svg_inline(scale=6, dark="#111", light="#fff"))


# --- the facilitator ------------------------------------------------------------------------------------------------


@router.get("/assessments/{assessment_id}/workshop")
def control(request: Request, assessment_id: int) -> Response:
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        assessment = access.assessment(db, who.actor, assessment_id, "facilitator")
        running = _running(db, assessment.id)
        context: dict[str, Any] = {
            "assessment": assessment,
            "organization": assessment.organization,
            "workshop": running,
            "latest": workshops.latest_of(db, assessment.id),
            "state": _shown(
                request, assessment, workshop_state.for_facilitator(db, who.actor, running.id, live.snapshot_of)
            )
            if running
            else None,
            "join_url": join_url(request),
            "texts": _texts(request),
        }
        # The add-item form's competencies and indicators as the framework writes them in the page's language.
        fw = framework_of(assessment).in_language(page_language(request))
        context["competencies"] = [(c.key, fw.text(c.name)) for c in fw.competencies]
        context["indicators"] = [(i.key, f"{i.key}: {fw.text(i.text)[:80]}") for _, i in fw.indicators]
        response = render(request, "workshop_control.html", who, **context)
    response.headers.update(NO_STORE)
    return response


@router.post("/assessments/{assessment_id}/workshop")
def start(request: Request, assessment_id: int, csrf_token: str = Form("")) -> Response:
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        check_csrf(request, who, csrf_token)
        workshops.start(db, who.actor, assessment_id)
    return redirect(f"/assessments/{assessment_id}/workshop")


@router.post("/assessments/{assessment_id}/workshop/actions")
def act(request: Request, assessment_id: int, form: PostedForm) -> Response:
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    try:
        with unit_of_work(request) as db:
            who = require_signed_in(request, db)
            check_csrf(request, who, fields.get("csrf_token"))
            access.assessment(db, who.actor, assessment_id, "facilitator")
            running = _running(db, assessment_id)
            if running is None:
                raise NotFound(page_text(request, NOT_RUNNING))
            facilitate(db, who.actor, running.id, fields.get("action", ""), fields)
    except ServiceError as exc:
        if _wants_json(request):
            return JSONResponse({"detail": refusal(request, exc), "field": exc.field}, status_code=exc.status)
        raise
    if _wants_json(request):
        return JSONResponse({"ok": True})
    return redirect(f"/assessments/{assessment_id}/workshop")


@router.get("/assessments/{assessment_id}/workshop/present")
def present(request: Request, assessment_id: int) -> Response:
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        assessment = access.assessment(db, who.actor, assessment_id, "facilitator")
        running = _running(db, assessment.id)
        if running is None:
            return redirect(f"/assessments/{assessment_id}/workshop")
        state = _shown(request, assessment, workshop_state.for_presenter(db, who.actor, running.id, live.snapshot_of))
        code = running.join_code
        response = render(
            request,
            "workshop_present.html",
            who,
            assessment=assessment,
            state=state,
            join_url=join_url(request),
            qr=_qr(join_url(request, code)),
            texts=_texts(request),
        )
    response.headers.update(NO_STORE)
    return response


@router.get("/assessments/{assessment_id}/workshop/events")
def facilitator_events(request: Request, assessment_id: int, view: str = "control") -> Response:
    """The control or presenter view's live state (204 when no workshop runs: the browser stops asking)."""
    present = view == "present"
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        assessment = access.assessment(db, who.actor, assessment_id, "facilitator")
        running = _running(db, assessment_id)
        if running is None:
            return Response(status_code=204)
        read = workshop_state.for_presenter if present else workshop_state.for_facilitator
        first = read(db, who.actor, running.id, live.snapshot_of)
        workshop_id = running.id
        fw, lang = framework_of(assessment), page_language(request)
    cut = Snapshot.presenter if present else Snapshot.facilitator

    def localized(snap: Snapshot) -> dict[str, Any]:
        return state_in_language(cut(snap), fw, lang)

    first = state_in_language(first, fw, lang)
    return live.stream(request.app.state.sessions, request.app.state.engine, workshop_id, first, localized)


@router.get("/assessments/{assessment_id}/workshop/record")
def record_page(request: Request, assessment_id: int) -> Response:
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        assessment = access.assessment(db, who.actor, assessment_id, "viewer")
        record = workshop_state.record_of(db, assessment)
        surveyed = workshops.surveyed(db, assessment)
        agreed = workshop_state.as_agreed(db, assessment)
        fw = framework_of(assessment)
        names = {c.key: fw.text(c.name) for c in fw.competencies}
        with use_locale(page_language(request)):
            # The agenda's titles in the page's language (items the facilitator typed, or stored before phrases, as
            # written).
            name = phrases.namer(fw.in_language(page_language(request)))
            titles = [phrases.shown(item.shown_title, name) for item in record.items] if record else []
        rows = []
        if surveyed is not None:
            after = {c.key: c for c in agreed.competencies} if agreed is not None else {}
            for comp in surveyed.competencies:
                rows.append((names.get(comp.key, comp.key), comp, after.get(comp.key)))
        response = render(
            request,
            "workshop_record.html",
            who,
            assessment=assessment,
            organization=assessment.organization,
            record=record,
            titles=titles,
            surveyed=surveyed,
            agreed=agreed,
            rows=rows,
            stage_names={s.key: fw.text(s.name) for s in fw.stages},
            started=datetime.fromisoformat(record.started_at) if record else None,
            finished=datetime.fromisoformat(record.finished_at) if record and record.finished_at else None,
            labels={k: dict(vote_options(fw, k)) for k in fw.indicator_keys},
        )
    response.headers.update(NO_STORE)
    return response


# --- participants ---------------------------------------------------------------------------------------------------


def _set_participant(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        PARTICIPANT_COOKIE,
        token,
        max_age=int(workshops.DURATION.total_seconds()),
        httponly=True,
        secure=settings_of(request).cookie_secure,
        samesite="lax",
    )


@router.get("/join")
def join_form(request: Request, code: str = "") -> Response:
    with unit_of_work(request) as db:
        found = workshops.participant(db, request.cookies.get(PARTICIPANT_COOKIE))
        if found is not None and workshops.is_live(found[1]) and not code:
            return redirect("/workshop/room")
        response = render(request, "workshop_join.html", signed_in(request, db), code=code[:20], error=None)
    response.headers.update(NO_STORE)
    return response


@router.post("/join")
def join(request: Request, code: str = Form(""), csrf_token: str = Form("")) -> Response:
    # A signed-in member may join too (from the same browser): their forms carry the session's token.
    with unit_of_work(request) as db:
        check_csrf(request, signed_in(request, db), csrf_token)
    try:
        with throttling.counting_unknown_links(request), unit_of_work(request) as db:
            token, _ = workshops.join(db, code[:40])
    except NotFound as exc:
        with unit_of_work(request) as db:
            error = refusal(request, exc)
            response = render(request, "workshop_join.html", None, code=code[:20], error=error, status_code=422)
        return response
    response = redirect("/workshop/room")
    _set_participant(request, response, token)
    return response


@router.get("/workshop/room")
def room(request: Request) -> Response:
    with unit_of_work(request) as db:
        state = workshop_state.for_participant(db, request.cookies.get(PARTICIPANT_COOKIE), live.snapshot_of)
        if state is None:
            return redirect("/join")
        assessment = db.get(Assessment, state["assessment"]["id"])
        if assessment is not None:
            state = _shown(request, assessment, state)
        response = render(
            request,
            "workshop_room.html",
            signed_in(request, db),
            state=state,
            today=workshops.today().isoformat(),
            texts=_texts(request),
        )
    response.headers.update(NO_STORE)
    return response


@router.post("/workshop/room")
def participant_act(request: Request, form: PostedForm) -> Response:
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    token = request.cookies.get(PARTICIPANT_COOKIE)
    try:
        with unit_of_work(request) as db:
            check_csrf(request, signed_in(request, db), fields.get("csrf_token"))
            if workshops.participant(db, token) is None:
                if not _wants_json(request):
                    return redirect("/join")
                raise NotFound(page_text(request, NOT_JOINED))
            participate(db, token, fields.get("action", ""), fields)
    except ServiceError as exc:
        if _wants_json(request):
            return JSONResponse({"detail": refusal(request, exc), "field": exc.field}, status_code=exc.status)
        raise
    if _wants_json(request):
        return JSONResponse({"ok": True})
    return redirect("/workshop/room")


@router.get("/workshop/events")
def participant_events(request: Request) -> Response:
    """The participant's live state (204 without a valid participant cookie or once the workshop has ended: the
    browser stops asking)."""
    token = request.cookies.get(PARTICIPANT_COOKIE)
    with unit_of_work(request) as db:
        found = workshops.participant(db, token)
        if found is None or not workshops.is_live(found[1]):
            return Response(status_code=204)  # nothing will change any more: the page shows the final state
        who, workshop = found
        first = live.snapshot_of(db, workshop).participant(who.id)
        assessment = db.get(Assessment, workshop.assessment_id)
        assert assessment is not None
        fw, lang = framework_of(assessment), page_language(request)

    def view(snap: Snapshot) -> dict[str, Any]:
        return state_in_language(snap.participant(who.id), fw, lang)

    first = state_in_language(first, fw, lang)

    return live.stream(request.app.state.sessions, request.app.state.engine, workshop.id, first, view)
