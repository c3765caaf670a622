"""A synchronous facade over httpx's ASGI transport, so page tests read top to bottom."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from typing import Any, TypeVar

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal
from fastapi import FastAPI

T = TypeVar("T")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class WebClient:
    """Requests go through ``httpx.ASGITransport`` into the app in this process; cookies persist between calls."""

    def __init__(self, app: FastAPI, portal: BlockingPortal) -> None:
        self._portal = portal
        # https, so that Secure cookies are sent back as a browser would.
        self._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="https://testserver", follow_redirects=False
        )

    def _run(self, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        return self._portal.call(lambda: fn(*args, **kwargs))

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self._run(self._client.get, url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self._run(self._client.post, url, **kwargs)

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self._run(self._client.request, method, url, **kwargs)

    @property
    def cookies(self) -> httpx.Cookies:
        return self._client.cookies

    def csrf(self, url: str) -> str:
        """Open a page and return the CSRF token of its forms."""
        found = CSRF.search(self.get(url).text)
        assert found, f"no form token on {url}"
        return found.group(1)

    def submit(self, page: str, action: str, data: dict[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
        """Open ``page`` as a browser would, then post its form to ``action`` with the page's CSRF token."""
        return self.post(action, data={**(data or {}), "csrf_token": self.csrf(page)}, **kwargs)

    def close(self) -> None:
        self._run(self._client.aclose)


class Portal:
    """One event loop thread shared by every client of a test session."""

    def __init__(self) -> None:
        self._stack = ExitStack()
        self.portal = self._stack.enter_context(start_blocking_portal())

    def close(self) -> None:
        self._stack.close()
