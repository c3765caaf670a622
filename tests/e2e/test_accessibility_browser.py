"""WCAG 2.2 AA in a real browser: axe-core on every page of the app at desktop and phone width, a survey answered
with the keyboard alone, a phone at 200% zoom, and the fixes axe cannot see for itself (focus ring contrast, charts
as one named image, the error summary taking focus).

Every page is audited on a seeded demo organization (cxmaturity.demo_site, the same data `cxm demo` serves) with a
live workshop, a plan, outcomes and a finished and an unfinished survey link. ``test_every_page_route_is_audited``
holds the list to the app's routes: a new GET route fails it until it is audited here or named as not a page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cxmaturity.demo_site import DemoSite
from cxmaturity.services import assessments, quick_links, respond
from cxmaturity.services.access import Actor
from cxmaturity.services.tokens import digest
from cxmaturity.storage.database import make_engine, make_sessionmaker, transaction
from cxmaturity.storage.tables import Answer, Invitation
from cxmaturity.web.app import create_app
from cxmaturity.web.context import SESSION_COOKIE
from cxmaturity.web.pages.workshops import PARTICIPANT_COOKIE
from tests.e2e import axe
from tests.e2e.conftest import screenshot, serve
from tests.support.demo import copy_demo, demo_scene, demo_settings
from tests.support.routes import app_routes

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
QUICK_FRAMEWORK = "xm-six-competencies"


@dataclass(frozen=True)
class Demo:
    """The demo site served for the audit, and what its pages need in their addresses and cookies."""

    url: str
    app: FastAPI
    org: int
    closed: int
    opened: int
    fresh_link: str
    done_link: str
    join_token: str
    session: str
    participant: str
    files: Path
    sessions: sessionmaker[Session]
    facilitator: int
    #: The demo's store campaign (an assessment over units), one of its units, and a published quick link.
    campaign: int
    unit: int
    quick_link: str
    #: A full assessment made from the quick one, whose summary page says what was carried over.
    from_quick: int

    def new_link(self) -> str:
        """A new survey link to the demo's open assessment."""
        with transaction(self.sessions) as db:
            group = assessments.groups(db, self.opened)[0]
            return assessments.create_invitations(db, Actor(self.facilitator), self.opened, group.id, 1)[0]

    def answers_of(self, link: str) -> int:
        """How many answers the link has saved."""
        with self.sessions() as db:
            count = db.scalar(
                select(func.count(Answer.indicator_key))
                .join(Invitation, Invitation.id == Answer.invitation_id)
                .where(Invitation.token_hash == digest(link))
            )
            return int(count or 0)


@pytest.fixture(scope="module")
def demo(seeded_demo: tuple[Path, DemoSite], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    data = tmp_path_factory.mktemp("a11y")
    url, site = copy_demo(seeded_demo, data / "demo.db")
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    settings = demo_settings(url, data, secret="a11y-test", base_url="http://127.0.0.1", cookie_secure=False)
    with transaction(sessions) as db:
        scene = demo_scene(db, site, settings)
        actor = Actor(scene.user_id)
        group = assessments.groups(db, site.open_assessment_id)[0]
        done_link = assessments.create_invitations(db, actor, site.open_assessment_id, group.id, 1)[0]
        respond.finish(db, done_link)
        quick = assessments.create(db, actor, site.organization_id, "Quick look", "quick:four-competencies")
        db.flush()
        published = quick_links.publish(db, actor, quick.id).link
        assert published is not None
        quick_link = published.token
        from_quick = quick_links.to_full_assessment(db, actor, quick.id, title="Full look").assessment.id
    app = create_app(settings, engine)
    with serve(app) as base:
        yield Demo(
            url=base,
            app=app,
            org=site.organization_id,
            closed=site.closed_assessment_id,
            opened=site.open_assessment_id,
            fresh_link=site.respondent_token,
            done_link=done_link,
            join_token=scene.join_token,
            session=scene.session,
            participant=scene.participant,
            files=data,
            sessions=sessions,
            facilitator=scene.user_id,
            campaign=scene.campaign,
            unit=scene.unit,
            quick_link=quick_link,
            from_quick=from_quick,
        )
    engine.dispose()


# --- the pages --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """A page to audit: the route it comes from, who looks at it, its address, and what to do there first (a form
    sent with a mistake, a result after a submit) when the state to audit is one a visitor reaches by acting."""

    name: str
    route: str
    path: Callable[[Demo], str]
    who: str = "facilitator"  # "facilitator", "anonymous" or "participant"
    act: Callable[[Any], None] | None = None
    download: bool = False  # a file the reader saves and opens (the report): audited as opened from disk


def _sign_in_wrongly(page: Any) -> None:
    page.get_by_label("E-mail").fill("nobody@example.com")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("#form-error")


def _send_a_bad_answer(page: Any) -> None:
    # Only a tampered form can send an answer the question does not offer: the server must still point at it.
    page.evaluate("() => { const r = document.querySelector('#q2-o1'); r.value = 'no-such-option'; r.checked = true; }")
    page.get_by_role("button", name="Next").click()
    page.wait_for_selector("#form-error")


def _send_the_quick_form(page: Any) -> None:
    for radio in page.locator(".choices:not(.special) .option:first-child input[type=radio]").all():
        radio.check()
    page.get_by_role("button", name="See my result").click()
    page.wait_for_url(re.compile(r"/quick/"))
    page.wait_for_selector("h1")


def _send_the_quick_form_empty(page: Any) -> None:
    page.get_by_role("button", name="See my result").click()
    page.wait_for_selector("#form-error")


def _open_the_compare(page: Any) -> None:
    page.wait_for_selector("h1")


PAGES: tuple[Page, ...] = (
    # Signed out
    Page("signin", "/signin", lambda d: "/signin", who="anonymous"),
    Page("signin-error", "/signin", lambda d: "/signin", who="anonymous", act=_sign_in_wrongly),
    Page("signup", "/signup", lambda d: "/signup", who="anonymous"),
    Page("not-found", "(error page)", lambda d: "/no-such-page", who="anonymous"),
    Page("expired-link", "(error page)", lambda d: "/r/no-such-link", who="anonymous"),
    # Respondents
    Page("respond-welcome", "/r/{token}", lambda d: f"/r/{d.fresh_link}", who="anonymous"),
    Page("respond-page", "/r/{token}/p/{n}", lambda d: f"/r/{d.fresh_link}/p/1", who="anonymous"),
    Page("respond-last-page", "/r/{token}/p/{n}", lambda d: f"/r/{d.fresh_link}/p/6", who="anonymous"),
    Page(
        "respond-page-error",
        "/r/{token}/p/{n}",
        lambda d: f"/r/{d.fresh_link}/p/2",
        who="anonymous",
        act=_send_a_bad_answer,
    ),
    Page("respond-done", "/r/{token}/done", lambda d: f"/r/{d.done_link}/done", who="anonymous"),
    Page("respond-already-done", "/r/{token}", lambda d: f"/r/{d.done_link}", who="anonymous"),
    # Quick evaluation (public)
    Page("quick-index", "/quick", lambda d: "/quick", who="anonymous"),
    Page("quick-form", "/quick/{framework_id}", lambda d: f"/quick/{QUICK_FRAMEWORK}", who="anonymous"),
    Page(
        "quick-result",
        "/quick/{framework_id}",
        lambda d: f"/quick/{QUICK_FRAMEWORK}",
        who="anonymous",
        act=_send_the_quick_form,
    ),
    Page(
        "quick-error",
        "/quick/{framework_id}",
        lambda d: f"/quick/{QUICK_FRAMEWORK}",
        who="anonymous",
        act=_send_the_quick_form_empty,
    ),
    # Workshop participants
    Page("quick-link", "/q/{token}", lambda d: f"/q/{d.quick_link}", who="anonymous"),
    Page("workshop-join", "/join", lambda d: "/join", who="anonymous"),
    Page("workshop-room", "/workshop/room", lambda d: "/workshop/room", who="participant"),
    # Facilitators
    Page("home", "/", lambda d: "/"),
    Page("organization", "/orgs/{organization_id}", lambda d: f"/orgs/{d.org}"),
    Page("audit-log", "/orgs/{organization_id}/audit", lambda d: f"/orgs/{d.org}/audit"),
    Page("member-invitation", "/join/{join_token}", lambda d: f"/join/{d.join_token}"),
    Page("new-assessment", "/orgs/{organization_id}/assessments/new", lambda d: f"/orgs/{d.org}/assessments/new"),
    Page("frameworks", "/orgs/{organization_id}/frameworks", lambda d: f"/orgs/{d.org}/frameworks"),
    Page(
        "framework",
        "/orgs/{organization_id}/frameworks/{kind}/{value}",
        lambda d: f"/orgs/{d.org}/frameworks/builtin/yohn-cx-maturity",
    ),
    Page(
        "framework-compare",
        "/orgs/{organization_id}/frameworks/compare",
        lambda d: f"/orgs/{d.org}/frameworks/compare?a=builtin:xm-six-competencies&b=builtin:yohn-cx-maturity",
    ),
    Page("outcomes", "/orgs/{organization_id}/outcomes", lambda d: f"/orgs/{d.org}/outcomes"),
    Page("outcomes-asset", "/orgs/{organization_id}/outcomes/asset", lambda d: f"/orgs/{d.org}/outcomes/asset"),
    Page("outcomes-drivers", "/orgs/{organization_id}/outcomes/drivers", lambda d: f"/orgs/{d.org}/outcomes/drivers"),
    Page("scorecard", "/orgs/{organization_id}/scorecard", lambda d: f"/orgs/{d.org}/scorecard"),
    Page("units", "/orgs/{organization_id}/units", lambda d: f"/orgs/{d.org}/units"),
    Page("unit", "/units/{unit_id}", lambda d: f"/units/{d.unit}"),
    Page("sso-settings", "/orgs/{organization_id}/sso", lambda d: f"/orgs/{d.org}/sso"),
    Page("benchmark-settings", "/orgs/{organization_id}/benchmarks", lambda d: f"/orgs/{d.org}/benchmarks"),
    Page("assessment-open", "/assessments/{assessment_id}", lambda d: f"/assessments/{d.opened}"),
    Page("assessment-closed", "/assessments/{assessment_id}", lambda d: f"/assessments/{d.closed}"),
    Page("mail", "/assessments/{assessment_id}/mail", lambda d: f"/assessments/{d.opened}/mail"),
    Page("campaign-units", "/assessments/{assessment_id}/units", lambda d: f"/assessments/{d.campaign}/units"),
    Page("from-quick", "/assessments/{assessment_id}/from-quick", lambda d: f"/assessments/{d.from_quick}/from-quick"),
    Page("results", "/assessments/{assessment_id}/results", lambda d: f"/assessments/{d.closed}/results"),
    Page("plan", "/assessments/{assessment_id}/plan", lambda d: f"/assessments/{d.closed}/plan"),
    Page(
        "plan-version",
        "/assessments/{assessment_id}/plan/versions/{number}",
        lambda d: f"/assessments/{d.closed}/plan/versions/1",
    ),
    Page("progress", "/assessments/{assessment_id}/progress", lambda d: f"/assessments/{d.closed}/progress"),
    Page(
        "progress-compare",
        "/assessments/{assessment_id}/compare/{other_id}",
        lambda d: f"/assessments/{d.closed}/compare/{d.opened}",
    ),
    Page("benchmark", "/assessments/{assessment_id}/benchmark", lambda d: f"/assessments/{d.closed}/benchmark"),
    Page("workshop-control", "/assessments/{assessment_id}/workshop", lambda d: f"/assessments/{d.closed}/workshop"),
    Page(
        "workshop-present",
        "/assessments/{assessment_id}/workshop/present",
        lambda d: f"/assessments/{d.closed}/workshop/present",
    ),
    Page(
        "workshop-record",
        "/assessments/{assessment_id}/workshop/record",
        lambda d: f"/assessments/{d.closed}/workshop/record",
    ),
    Page(
        "report",
        "/assessments/{assessment_id}/report.html",
        lambda d: f"/assessments/{d.closed}/report.html",
        download=True,
    ),
)

#: GET routes that are not pages a person reads, and why. Everything else must be in PAGES.
NOT_PAGES = {
    "/healthz": "a health check for load balancers (JSON)",
    "/openapi.json": "the API's OpenAPI document",
    "/assessments/{assessment_id}/compare": "redirects to the compare page of the chosen pair",
    "/assessments/{assessment_id}/export/{filename}": "CSV, XLSX and JSON downloads",
    "/assessments/{assessment_id}/results.json": "JSON",
    "/assessments/{assessment_id}/rates.json": "JSON the overview page polls",
    "/assessments/{assessment_id}/plan.csv": "CSV download",
    "/assessments/{assessment_id}/plan.ics": "calendar download",
    "/assessments/{assessment_id}/report.pdf": "PDF download (its HTML twin report.html is audited)",
    "/jobs/{job_id}": "a long job's progress page (needs a job): checked browser-free in tests/web/test_jobs_pages.py",
    "/jobs/{job_id}/report": "a report job's file (HTML, PDF or PPTX download)",
    "/assessments/{assessment_id}/benchmark/dataset.json": "JSON download",
    "/orgs/{organization_id}/scorecard.{fmt}": "CSV, XLSX and JSON downloads",
    "/assessments/{assessment_id}/workshop/events": "server-sent events for the facilitator's screens",
    "/workshop/events": "server-sent events for the participants' phones",
    "/assessments/{assessment_id}/report.pptx": "PPTX slides download (their HTML twin report.html is audited)",
    "/sso/start": "redirects to the installation's identity provider",
    "/sso/orgs/{organization_id}": "redirects to the organization's identity provider",
    "/sso/callback": "the identity provider's redirect back: signs in and redirects, or shows the sign-in page "
    "(audited above) with the refusal",
    "/sso/orgs/{organization_id}/connect": "reached only in the middle of a sign-in at a real identity provider "
    "(tests/sso drives it); not audited here",
}


def test_every_page_route_is_audited_or_named_as_not_a_page(demo: Demo) -> None:
    routes = {path for method, path in app_routes(demo.app) if method == "GET" and not path.startswith("/api/")}
    audited = {page.route for page in PAGES}
    forgotten = routes - audited - set(NOT_PAGES)
    assert not forgotten, f"GET routes neither audited (PAGES) nor named as not a page (NOT_PAGES): {sorted(forgotten)}"
    gone = (audited | set(NOT_PAGES)) - routes - {"(error page)"}
    assert not gone, f"listed but no longer routes of the app: {sorted(gone)}"


# --- opening a page ------------------------------------------------------------------------------------------------


def _context(browser: Any, demo: Demo, who: str, viewport: dict[str, int], **options: Any) -> Any:
    phone = viewport["width"] < 600
    context = browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone, **options)
    if who == "facilitator":
        context.add_cookies([{"name": SESSION_COOKIE, "value": demo.session, "url": demo.url}])
    elif who == "participant":
        context.add_cookies([{"name": PARTICIPANT_COOKIE, "value": demo.participant, "url": demo.url}])
    return context


def _settle(page: Any) -> None:
    """Wait until the page looks as its visitor sees it: charts drawn, live pages connected."""
    page.wait_for_load_state("load")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.chart-view[data-chart]')].every("
        "c => c.classList.contains('chart-rendered') || c.classList.contains('chart-failed'))"
    )
    if page.locator("[data-live]").count():
        page.wait_for_selector("[data-live=connected]")


def _open(page: Any, demo: Demo, target: Page, tmp: Path) -> None:
    if target.download:
        # The report is a file the reader saves and opens: audit it as opened from disk.
        reply = page.context.request.get(demo.url + target.path(demo))
        assert reply.ok, f"{target.name}: {reply.status}"
        saved = tmp / f"{target.name}.html"
        saved.write_bytes(reply.body())
        page.goto(saved.as_uri())
    else:
        page.goto(demo.url + target.path(demo))
    if target.act is not None:
        target.act(page)
    _settle(page)


#: A page laid out at the device's width (not at 980 px, as a phone lays out a page without it) looks on a phone as
#: in a desktop window narrowed to the phone's width: no style or script of the app asks for touch or a coarse
#: pointer, so the phone audit resizes the page the desktop audit read instead of loading, acting and settling again.
DEVICE_WIDTH = re.compile(r"(^|[\s,])width=device-width([\s,]|$)")


def _audit(page: Any, target: Page, width: str, capsys: pytest.CaptureFixture[str]) -> str:
    """Run axe-core on the page as it is; print what it finds; return the serious and critical findings as text."""
    findings = axe.audit(page)
    if findings:
        with capsys.disabled():
            print("\n" + axe.report(f"axe-core {axe.version()} on {target.name} at {width} width", findings))
    failing = [f for f in findings if f.impact in axe.FAILING]
    if not failing:
        return ""
    screenshot(page, f"a11y-{target.name}-{width}")
    return axe.report(f"{target.name} ({page.url}) at {width} width", failing)


@pytest.mark.parametrize("target", PAGES, ids=[p.name for p in PAGES])
def test_axe_finds_no_serious_violation_at_either_width(
    browser: Any, demo: Demo, target: Page, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    context = _context(browser, demo, target.who, DESKTOP)
    page = context.new_page()
    try:
        _open(page, demo, target, tmp_path)
        failing = [_audit(page, target, "desktop", capsys)]
        viewport = page.locator("meta[name=viewport]").get_attribute("content") or ""
        assert DEVICE_WIDTH.search(viewport), f"{target.name}: a phone lays it out at 980 px (viewport {viewport!r})"
        page.set_viewport_size(PHONE)
        page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
        assert page.evaluate("() => window.innerWidth") == PHONE["width"], target.name
        failing.append(_audit(page, target, "phone", capsys))
        assert not any(failing), "\n".join(f for f in failing if f)
    finally:
        context.close()


# --- by keyboard alone -------------------------------------------------------------------------------------------

#: What has focus, in the terms the keyboard walk needs.
FOCUSED = """() => {
  const e = document.activeElement;
  if (!e) return 'none';
  if (e.type === 'radio') {
    const group = document.querySelectorAll(`input[type=radio][name="${CSS.escape(e.name)}"]`);
    return [...group].some(r => r.checked) ? 'answered' : 'radio';
  }
  if (e.tagName === 'BUTTON' && (e.value === 'next' || e.value === 'finish')) return 'submit';
  if (e.tagName === 'A' && e.textContent.trim() === 'Start') return 'start';
  return 'other';
}"""


def _tab_to(page: Any, wanted: set[str], limit: int = 200) -> str:
    for _ in range(limit):
        page.keyboard.press("Tab")
        kind: str = page.evaluate(FOCUSED)
        if kind in wanted:
            return kind
    raise AssertionError(f"{page.url}: no {sorted(wanted)} within {limit} presses of Tab")


def test_a_respondent_answers_the_whole_survey_with_tab_space_and_enter(browser: Any, demo: Demo) -> None:
    """No mouse and no arrow keys: Tab to each question, Space to choose its first option, Enter on Next/Finish."""
    link = demo.new_link()
    context = _context(browser, demo, "anonymous", DESKTOP)
    page = context.new_page()
    page.goto(f"{demo.url}/r/{link}")
    _tab_to(page, {"start"})
    page.keyboard.press("Space")  # a link drawn as a button answers Space as a button does (static/keys.js)
    page.wait_for_url(f"{demo.url}/r/{link}/p/1")
    pages = int(page.locator("progress").get_attribute("max") or 0)
    questions = 0
    for n in range(1, pages + 1):
        page.wait_for_url(f"{demo.url}/r/{link}/p/{n}")
        on_page = page.locator("fieldset.question").count()
        while _tab_to(page, {"radio", "submit"}) == "radio":
            page.keyboard.press("Space")
        assert page.locator("input[type=radio]:checked").count() == on_page, f"page {n}: every question answered"
        questions += on_page
        page.keyboard.press("Enter")
    page.wait_for_url(f"{demo.url}/r/{link}/done")
    assert page.get_by_role("heading", name="Thank you!").is_visible()
    context.close()
    assert demo.answers_of(link) == questions > 0


def test_the_focus_ring_has_3_to_1_contrast_against_its_neighbours(browser: Any, demo: Demo) -> None:
    context = _context(browser, demo, "anonymous", DESKTOP)
    page = context.new_page()
    page.goto(f"{demo.url}/r/{demo.fresh_link}")
    _tab_to(page, {"start"})
    ring = page.evaluate(
        """() => {
          const s = getComputedStyle(document.activeElement);
          return {color: s.outlineColor, width: parseFloat(s.outlineWidth), style: s.outlineStyle,
                  offset: parseFloat(s.outlineOffset), gap: s.boxShadow,
                  page: getComputedStyle(document.body).backgroundColor};
        }"""
    )
    context.close()
    assert ring["style"] == "solid", ring
    assert ring["width"] >= 2, ring
    colour = _rgb(ring["color"])
    # Around the ring: the page; inside it, the white gap the box-shadow paints between ring and button.
    neighbours = [_rgb(ring["page"]), _rgb(re.findall(r"rgba?\([^)]*\)", ring["gap"])[0])]
    for neighbour in neighbours:
        assert _contrast(colour, neighbour) >= 3, (ring, neighbour)
    # The gap also keeps the ring apart from the button's own colour.
    assert ring["offset"] >= 2


def _rgb(css: str) -> tuple[float, float, float]:
    r, g, b = (float(x) for x in re.findall(r"[\d.]+", css)[:3])
    return r, g, b


def _contrast(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    """WCAG 2 contrast ratio of two sRGB colours."""

    def luminance(rgb: tuple[float, float, float]) -> float:
        def channel(c: float) -> float:
            c /= 255
            return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

        r, g, b = (channel(c) for c in rgb)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_the_contrast_check_knows_the_old_amber_ring_failed() -> None:
    # The ring this replaced (#f0b400 on white) measured 1.87:1: the check above would have caught it.
    assert round(_contrast((240, 180, 0), (255, 255, 255)), 2) == 1.87


# --- a phone at 200% zoom ----------------------------------------------------------------------------------------

#: A 390 px phone at 200% zoom lays pages out in 195 CSS pixels, each drawn with four device pixels.
ZOOMED_PHONE = {"width": PHONE["width"] // 2, "height": PHONE["height"] // 2}


def test_respondent_pages_need_no_sideways_scroll_on_a_phone_at_200_percent_zoom(browser: Any, demo: Demo) -> None:
    link = demo.new_link()
    context = _context(browser, demo, "anonymous", ZOOMED_PHONE, device_scale_factor=4)
    page = context.new_page()
    page.goto(f"{demo.url}/r/{link}")
    pages = [f"/r/{link}", *(f"/r/{link}/p/{n}" for n in range(1, 7)), f"/quick/{QUICK_FRAMEWORK}", "/signin", "/join"]
    wide = {}
    for path in pages:
        page.goto(demo.url + path)
        sizes = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        if sizes[0] > sizes[1]:
            wide[path] = f"{sizes[0] - sizes[1]} px too wide"
            screenshot(page, "a11y-zoomed-" + path.strip("/").replace("/", "-")[:40])
    page.goto(f"{demo.url}/quick/{QUICK_FRAMEWORK}")
    _send_the_quick_form(page)
    sizes = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    if sizes[0] > sizes[1]:
        wide["quick result"] = f"{sizes[0] - sizes[1]} px too wide"
    context.close()
    assert not wide, wide


#: The narrowest phone the pages are made for.
NARROW_PHONE = {"width": 375, "height": 812}
SIDEWAYS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def test_no_page_scrolls_sideways_on_a_phone_or_a_desktop(browser: Any, demo: Demo, tmp_path: Path) -> None:
    """A wide table scrolls inside its own box (``.table-wrap``), never the whole page: on a 375 px phone the units,
    audit, outcomes, benchmark and workshop pages were up to 700 px too wide, and the unit page's roll-up pushed even
    a 1280 px desktop sideways."""
    wide = {}
    for target in PAGES:
        if target.download:
            continue
        context = _context(browser, demo, target.who, DESKTOP)
        page = context.new_page()
        try:
            _open(page, demo, target, tmp_path)
            for name, viewport in (("desktop", DESKTOP), ("phone", NARROW_PHONE)):
                page.set_viewport_size(viewport)
                page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
                extra = page.evaluate(SIDEWAYS)
                if extra > 0:
                    wide[f"{target.name} ({name})"] = f"{extra} px too wide"
                    screenshot(page, f"sideways-{target.name}-{name}")
        finally:
            context.close()
    assert not wide, wide


def test_a_page_asks_the_server_for_nothing_it_lacks(browser: Any, demo: Demo) -> None:
    """Without an icon of its own a browser asks for /favicon.ico, and every page's console showed the 404."""
    context = _context(browser, demo, "facilitator", DESKTOP)
    page = context.new_page()
    missing: list[str] = []
    icons: list[int] = []
    page.on("response", lambda r: missing.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    # The browser fetches /favicon.ico on its own, unseen by "response": its 404 shows only in the console.
    page.on("console", lambda m: missing.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: icons.append(r.status) if r.url.endswith("/static/favicon.svg") else None)
    try:
        for path in ("/", f"/assessments/{demo.closed}/results", f"/r/{demo.fresh_link}"):
            page.goto(demo.url + path)
            page.wait_for_load_state("load")
        page.wait_for_function("() => document.readyState === 'complete'")
        page.wait_for_timeout(300)  # the icon is fetched after the load event
    finally:
        context.close()
    assert not missing, missing
    assert icons, "the page links no icon"
    assert set(icons) <= {200, 304}, icons


# --- what axe cannot judge alone -----------------------------------------------------------------------------------


def test_a_page_with_an_error_moves_focus_to_it_and_marks_the_question(browser: Any, demo: Demo) -> None:
    context = _context(browser, demo, "anonymous", PHONE)
    page = context.new_page()
    page.goto(f"{demo.url}/r/{demo.new_link()}/p/2")
    _send_a_bad_answer(page)
    assert page.evaluate("() => document.activeElement.id") == "form-error"
    assert page.locator("#form-error a").get_attribute("href") == "#q2"
    assert page.locator("#q2").get_attribute("aria-describedby").split()[0] == "q2-error"
    assert page.locator("#q2 input[type=radio]").count() == page.locator("#q2 [aria-invalid=true]").count() > 0
    assert page.locator("#q1 [aria-invalid]").count() == 0
    page.keyboard.press("Tab")  # from the summary, the next stop is its link to the question
    page.keyboard.press("Enter")
    assert page.evaluate("() => location.hash") == "#q2"

    page.goto(f"{demo.url}/quick/{QUICK_FRAMEWORK}")
    page.locator("#q1-o1").check()
    _send_the_quick_form_empty(page)
    assert page.evaluate("() => document.activeElement.id") == "form-error"
    assert page.locator("#form-error a").get_attribute("href") == "#q2"
    assert page.locator("#q1 [aria-invalid]").count() == 0
    assert page.locator("#q2 [aria-invalid=true]").count() > 0
    assert "q2-error" in (page.locator("#q2").get_attribute("aria-describedby") or "")
    context.close()


#: Every hint on the page is named by the aria-describedby of the question it belongs to.
UNLINKED_HINTS = """() => [...document.querySelectorAll('form .hint')].filter(hint => {
    if (!hint.id) return true;
    const reference = `[aria-describedby~="${CSS.escape(hint.id)}"]`;
    const question = hint.closest('fieldset, .control');
    return !hint.closest(reference) && !(question && question.querySelector(reference));
  }).map(hint => hint.textContent.trim().slice(0, 60))"""


def test_hints_are_read_with_their_question(browser: Any, demo: Demo) -> None:
    context = _context(browser, demo, "facilitator", DESKTOP)
    page = context.new_page()
    link = demo.new_link()
    paths = [
        *(f"/r/{link}/p/{n}" for n in range(1, 7)),
        f"/quick/{QUICK_FRAMEWORK}",
        f"/assessments/{demo.closed}/plan",
    ]
    hints = 0
    for path in paths:
        page.goto(demo.url + path)
        hints += page.locator("form .hint").count()
        assert page.evaluate(UNLINKED_HINTS) == [], path
    context.close()
    assert hints > 0


def test_live_charts_are_each_one_named_image(browser: Any, demo: Demo) -> None:
    """Like the report's charts: role="img" named by the chart's numbers in words, the marks hidden."""
    context = _context(browser, demo, "facilitator", DESKTOP)
    page = context.new_page()
    charts = 0
    for path in (f"/assessments/{demo.closed}/results", f"/assessments/{demo.closed}/plan"):
        page.goto(demo.url + path)
        _settle(page)
        for view in page.locator(".chart-view.chart-rendered").all():
            charts += 1
            svg = view.locator("svg").first
            assert svg.get_attribute("role") == "img"
            assert len(svg.get_attribute("aria-label") or "") > 20
            tree = view.aria_snapshot().splitlines()  # one line per node the accessibility tree holds
            assert len(tree) == 1, tree
            assert re.match(r"- '?img ", tree[0]), tree
    context.close()
    assert charts >= 4
