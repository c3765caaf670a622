"""Tenant isolation on every route, generated from the app's own route table (a new route is tested by default).

The cast: a user of organization B must never read or change organization A's data, through a page or the API;
anonymous visitors are sent to sign in (pages) or refused (API); A's viewer reads but never changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from cxmaturity.services.accounts import create_api_token
from cxmaturity.storage.database import transaction
from tests.web.client import WebClient
from tests.web.conftest import Cast, Site

#: Routes that hold no organization's data: public pages, the respondent's token-protected pages, health, static.
PUBLIC = re.compile(r"^(/|/signin|/signup|/signout|/healthz|/openapi\.json|/static.*|/r/.*|/api/v1/respond/.*)$")
SECRETS_OF_A = ("Organization A", "Leadership team 2026")


def _routes(site: Site) -> Iterator[tuple[str, str]]:
    for route in site.app.router.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        entries = list(contexts()) if contexts else [route]
        for entry in entries:
            path = getattr(entry, "path_format", None) or getattr(entry, "path", None)
            for method in sorted(getattr(entry, "methods", None) or ()):
                if method != "HEAD" and path and not PUBLIC.match(path):
                    yield method, path


def _fill(path: str, cast: Cast) -> str:
    values = {"organization_id": cast.org_a, "assessment_id": cast.assessment, "id": cast.assessment}

    def value(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[0]
        return str(values.get(name, 1))

    url = re.sub(r"\{([^}]+)\}", value, path)
    # Routes that name an organization in the query rather than the path.
    return url + f"?organization_id={cast.org_a}" if path == "/api/v1/frameworks" else url


def _targets_a(path: str) -> bool:
    """Whether the route names one of A's resources (others list or create the caller's own)."""
    return "{" in path or path == "/api/v1/frameworks"


def _call(client: WebClient, method: str, url: str, **kwargs: Any) -> Any:
    return client.request(method, url, **kwargs)


@pytest.fixture(scope="module")
def routes(site: Site) -> list[tuple[str, str]]:
    found = sorted(set(_routes(site)))
    # The table must see the routers, or this test would pass by testing nothing.
    assert ("GET", "/assessments/{assessment_id}/results") in found
    assert any(path.startswith("/api/v1/") for _, path in found)
    return found


def _no_leak(response: Any) -> None:
    for secret in SECRETS_OF_A:
        assert secret not in response.text


def test_it_hides_organization_a_from_a_member_of_b_on_every_page_and_endpoint(
    site: Site, cast: Cast, routes: list[tuple[str, str]]
) -> None:
    browser = site.client(cast.outsider)
    csrf = browser.csrf("/")
    with transaction(site.sessions) as db:
        token = create_api_token(db, cast.outsider, "isolation test")
    for method, path in routes:
        url = _fill(path, cast)
        if path.startswith("/api/"):
            response = _call(
                browser, method, url, headers={"Authorization": f"Bearer {token}"}, json={} if method != "GET" else None
            )
        else:
            data = {"csrf_token": csrf} if method != "GET" else None
            response = _call(browser, method, url, data=data)
        if _targets_a(path):
            assert response.status_code in (404, 422), (method, path, response.status_code)
        _no_leak(response)


def test_it_sends_anonymous_visitors_away_from_every_page_and_endpoint(
    site: Site, cast: Cast, routes: list[tuple[str, str]]
) -> None:
    anonymous = site.client()
    for method, path in routes:
        response = _call(anonymous, method, _fill(path, cast))
        if path.startswith("/api/"):
            assert response.status_code == 401, (method, path, response.status_code)
        else:
            assert response.status_code in (303, 403, 422), (method, path, response.status_code)
            if response.status_code == 303:
                assert response.headers["location"].startswith("/signin")
        _no_leak(response)


def test_it_lets_a_viewer_read_but_not_change_anything(site: Site, cast: Cast, routes: list[tuple[str, str]]) -> None:
    viewer = site.client(cast.viewer)
    csrf = viewer.csrf("/")
    with transaction(site.sessions) as db:
        token = create_api_token(db, cast.viewer, "viewer test")
    for method, path in routes:
        if method == "GET":
            continue
        url = _fill(path, cast)
        if path.startswith("/api/"):
            response = _call(viewer, method, url, headers={"Authorization": f"Bearer {token}"}, json={})
        else:
            response = _call(viewer, method, url, data={"csrf_token": csrf})
        if _targets_a(path):
            assert response.status_code in (403, 422), (method, path, response.status_code)
