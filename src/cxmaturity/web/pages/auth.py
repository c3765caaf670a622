"""Sign up, sign in, sign out, and the home page."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request, Response

from cxmaturity.i18n import N_, ngettext, use_locale
from cxmaturity.services import accounts, organizations, sso
from cxmaturity.services.access import led_units, organizations_of
from cxmaturity.services.errors import ServiceError
from cxmaturity.web import known_devices, throttling
from cxmaturity.web.context import (
    SESSION_COOKIE,
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

router = APIRouter()


def safe_next(target: str) -> str:
    """Only local paths: an open redirect would let a phishing link bounce through this site."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


def start_browser_session(request: Request, response: Response, token: str) -> None:
    settings = settings_of(request)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_days * 86400,
        httponly=True,
        secure=settings.cookie_secure,
        samesite="lax",
    )


@router.get("/")
def home(request: Request) -> Response:
    with unit_of_work(request) as db:
        who = signed_in(request, db)
        if who is None:
            return redirect("/signin")
        return render(
            request,
            "home.html",
            who,
            organizations=organizations_of(db, who.actor),
            led_units=led_units(db, who.actor),
            size_bands=organizations.SIZE_BANDS,
        )


#: What sign-up answers, whether the address was new or had an account already (sign-up must not tell which).
SIGNED_UP = N_("If this e-mail address had no account, it has one now. Sign in with it and your password.")


def _too_many(request: Request, signups: bool, minutes: int) -> str:
    """The refusal of a throttled sign-in or sign-up, in the page's language."""
    with use_locale(page_language(request)):
        if signups:
            text = ngettext(
                "Too many sign-ups from your network. Try again in %(num)d minute.",
                "Too many sign-ups from your network. Try again in %(num)d minutes.",
                minutes,
            )
        else:
            text = ngettext(
                "Too many failed sign-ins. Try again in %(num)d minute.",
                "Too many failed sign-ins. Try again in %(num)d minutes.",
                minutes,
            )
    return text % {"num": minutes}


def _sso_button(request: Request) -> str | None:
    """The installation's provider's name for the sign-in page's button, or None without one."""
    provider = sso.installation_provider(settings_of(request))
    return provider.client.name if provider else None


@router.get("/signin")
def signin_page(request: Request, next: str = "/", signed_up: bool = False) -> Response:
    return render(
        request,
        "signin.html",
        next=safe_next(next),
        email="",
        notice=page_text(request, SIGNED_UP) if signed_up else None,
        sso_name=_sso_button(request),
    )


@router.post("/signin")
def signin(
    request: Request,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1000)],
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    check_csrf(request, None, csrf_token)
    # The attempt is counted before the password is checked, in a transaction of its own: a locked account costs no
    # password hashing, concurrent attempts cannot slip past the limit, and the answer is the same whether the
    # account exists or not.
    with unit_of_work(request) as db:
        attempt = throttling.start_signin(request, db, email)
    if blocked := attempt.blocked:
        response = render(
            request,
            "signin.html",
            status_code=429,
            error=_too_many(request, False, blocked.minutes),
            next=safe_next(next),
            email=email,
            sso_name=_sso_button(request),
        )
        response.headers.update(throttling.retry_after(blocked))
        return response
    with unit_of_work(request) as db:
        user = accounts.authenticate(db, email, password)
        if user is None:
            return render(
                request,
                "signin.html",
                status_code=400,
                error=page_text(request, N_("E-mail or password is wrong.")),
                next=safe_next(next),
                email=email,
                sso_name=_sso_button(request),
            )
        # Told only after the right password: the refusal names the organization, which a guesser must not learn.
        if refusal := sso.password_refusal(db, settings_of(request), user):
            throttling.signin_succeeded(db, attempt)
            return render(
                request,
                "signin.html",
                status_code=403,
                # A phrase: the template writes it in the page's language.
                error=refusal.message,
                sso_url=refusal.signin_url + (f"?next={quote(safe_next(next), safe='/')}" if next != "/" else ""),
                next=safe_next(next),
                email=email,
                sso_name=_sso_button(request),
            )
        throttling.signin_succeeded(db, attempt)
        token, _ = accounts.start_session(db, user, settings_of(request).session_days)
        device = known_devices.cookie_for(settings_of(request), user)
    response = redirect(safe_next(next))
    start_browser_session(request, response, token)
    known_devices.remember(response, settings_of(request), device)
    return response


@router.get("/signup")
def signup_page(request: Request, next: str = "/") -> Response:
    return render(request, "signup.html", name="", email="", next=safe_next(next))


@router.post("/signup")
def signup(
    request: Request,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1000)],
    name: Annotated[str, Form(max_length=200)] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    check_csrf(request, None, csrf_token)
    next = safe_next(next)
    with unit_of_work(request) as db:
        blocked = throttling.start_signup(request, db)
    if blocked:
        error = _too_many(request, True, blocked.minutes)
        response = render(request, "signup.html", status_code=429, error=error, name=name, email=email, next=next)
        response.headers.update(throttling.retry_after(blocked))
        return response
    try:
        with unit_of_work(request) as db:
            accounts.register(db, email, password, name)
    except ServiceError as exc:  # rules about the address's form and the password, never about its owner
        return render(
            request,
            "signup.html",
            status_code=exc.status,
            error=refusal(request, exc),
            name=name,
            email=email,
            next=next,
        )
    # The same answer for a new address and a known one: no session is started, the new account signs in as usual.
    # An invited person who signed up comes back to the invitation after signing in.
    return redirect("/signin?signed_up=1" + (f"&next={quote(next, safe='/')}" if next != "/" else ""))


@router.post("/signout")
def signout(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
    with unit_of_work(request) as db:
        who = require_signed_in(request, db)
        check_csrf(request, who, csrf_token)
        accounts.end_session(db, request.cookies.get(SESSION_COOKIE, ""))
    response = redirect("/signin")
    response.delete_cookie(SESSION_COOKIE)
    return response
