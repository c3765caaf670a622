"""Heavy requests (reports, exports, framework uploads, answer imports) take turns in a small pool of their own.

A report or a workbook takes seconds of one thread and a large file's worth of memory; an upload is parsed and
checked before it is refused. Without a bound, thirty of them took every request thread, and sign-in, page views and
``/healthz`` waited behind them. Here at most ``CXM_HEAVY_THREADS`` of them run at once per worker, at most
``CXM_HEAVY_QUEUE`` more wait for a turn, and any further one is answered at once with ``503`` and ``Retry-After``
(nothing was done, nothing saved). The request threads are ``CXM_THREADS`` plus ``CXM_HEAVY_THREADS``, so the
heavy ones never take a thread that page views and sign-in would have had; respondents' saves have their own pool
(``CXM_SAVE_THREADS``).

A turn is taken before the request's body is read and given back when the response starts: the work (reading,
checking, rendering) is done by then, and a slow reader holds only the finished file, not a turn.

A turn bounds the threads, not the interpreter they share: what is pure-Python CPU work (drawing and writing a
report, parsing a framework) runs in a child process (``in_child``, services/cpu_pool.py), so that the worker's
other threads keep their interpreter while it runs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cxmaturity.services.cpu_pool import CpuPool

T = TypeVar("T")

#: Seconds a refused client is asked to wait; a report takes a few.
RETRY_AFTER_SECONDS = 5

_ID = r"[^/]+"

#: (method, route path) of every heavy route; tests/web/test_heavy_requests.py checks that each still exists.
HEAVY_ROUTES: tuple[tuple[str, str], ...] = (
    ("GET", "/assessments/{assessment_id}/report.html"),
    ("GET", "/assessments/{assessment_id}/report.pdf"),
    ("GET", "/assessments/{assessment_id}/export/{filename}"),
    ("POST", "/orgs/{organization_id}/frameworks"),
    ("POST", "/assessments/{assessment_id}/import"),
    ("GET", "/api/v1/assessments/{assessment_id}/report"),
    ("GET", "/api/v1/assessments/{assessment_id}/export/{filename}"),
    ("POST", "/api/v1/organizations/{organization_id}/frameworks"),
    ("POST", "/api/v1/assessments/{assessment_id}/answers/import"),
    ("POST", "/orgs/{organization_id}/outcomes/upload"),
    ("POST", "/orgs/{organization_id}/outcomes/import"),
    ("GET", "/orgs/{organization_id}/outcomes/drivers"),
    ("POST", "/api/v1/organizations/{organization_id}/outcomes/imports"),
    ("GET", "/api/v1/organizations/{organization_id}/outcomes/drivers"),
)


def in_child(request: Request, fn: Callable[..., T], *args: object) -> T:
    """Return ``fn(*args)`` computed by the app's pool of child processes (a module-level ``fn``)."""
    pool: CpuPool = request.app.state.cpu
    return pool.run(fn, *args)


def _pattern(path: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", path)
    return re.compile("".join(_ID if p.startswith("{") else re.escape(p) for p in parts) + r"\Z")


_PATTERNS: dict[str, tuple[re.Pattern[str], ...]] = {
    method: tuple(_pattern(p) for m, p in HEAVY_ROUTES if m == method) for method in {m for m, _ in HEAVY_ROUTES}
}


def is_heavy(method: str, path: str) -> bool:
    """Whether a request goes to one of the heavy routes."""
    return any(p.match(path) for p in _PATTERNS.get(method, ()))


@dataclass
class Gate:
    """At most ``slots`` at once, at most ``queue`` more waiting; the rest are refused."""

    slots: int
    queue: int
    admitted: int = 0  # running + waiting
    _semaphore: anyio.Semaphore | None = field(default=None, repr=False)

    def semaphore(self) -> anyio.Semaphore:
        if self._semaphore is None:  # made in the event loop that serves the requests
            self._semaphore = anyio.Semaphore(self.slots)
        return self._semaphore

    def full(self) -> bool:
        return self.admitted >= self.slots + self.queue


def busy(scope: Scope) -> Response:
    message = (
        "The server is busy with other reports, exports and uploads. Nothing was done or saved; "
        f"try again in {RETRY_AFTER_SECONDS} seconds."
    )
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
    if str(scope.get("path", "")).startswith("/api/"):
        return JSONResponse({"detail": message}, status_code=503, headers=headers)
    return PlainTextResponse(message, status_code=503, headers=headers)


class HeavyRequests:
    """ASGI middleware: heavy requests take a turn of the gate; everything else passes straight through."""

    def __init__(self, app: ASGIApp, slots: int, queue: int) -> None:
        self.app = app
        self.gate = Gate(slots, queue)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_heavy(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return
        gate = self.gate
        if gate.full():
            await busy(scope)(scope, receive, send)
            return
        gate.admitted += 1
        semaphore = gate.semaphore()
        held = left = False

        def leave() -> None:
            nonlocal held, left
            if not left:
                left = True
                gate.admitted -= 1
                if held:
                    held = False
                    semaphore.release()

        async def send_leaving(message: Message) -> None:
            if message["type"] == "http.response.start":
                leave()  # the work is done; sending the file needs no turn
            await send(message)

        try:
            await semaphore.acquire()
            held = True
            await self.app(scope, receive, send_leaving)
        finally:
            leave()
