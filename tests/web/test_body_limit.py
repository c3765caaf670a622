"""Request bodies above the limit are refused with 413 on every route, pages and API, before the app reads them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from cxmaturity.web.app import create_app
from cxmaturity.web.security import body_limit
from tests.web.conftest import Cast, Site

UPLOAD = 1000


@pytest.fixture(scope="module")
def small(site: Site) -> Iterator[Site]:
    settings = site.settings.model_copy(update={"max_upload_bytes": UPLOAD})
    app = create_app(settings, site.engine)
    small_site = Site(site.backend, app, site.engine, site.sessions, settings, site.portal)
    yield small_site
    for client in small_site.clients:
        client.close()


async def _chunks(total: int, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    while total > 0:
        yield b"x" * min(size, total)
        total -= size


async def _parts(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


def test_an_oversized_form_is_refused_before_it_is_read(small: Site, cast: Cast) -> None:
    limit = body_limit(small.settings)
    token = cast.tokens["Leadership"][0]
    response = small.client().post(f"/r/{token}/p/1", content=b"a=" + b"x" * limit)
    assert response.status_code == 413
    assert f"larger than {limit} bytes" in response.text
    assert "Nothing was saved" in response.text


def test_an_oversized_body_without_a_length_is_refused_too(small: Site, cast: Cast) -> None:
    limit = body_limit(small.settings)
    response = small.client(cast.owner).post("/orgs", content=_chunks(limit + 10))
    assert response.status_code == 413


def test_a_body_without_a_length_below_the_limit_still_arrives(small: Site, cast: Cast) -> None:
    client = small.client(cast.owner)
    csrf = client.csrf("/")
    body = f"name=Chunked+organization&csrf_token={csrf}".encode()
    response = client.post(
        "/orgs", content=_parts(body[:10], body[10:]), headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 303


def test_the_api_answers_in_json(small: Site) -> None:
    limit = body_limit(small.settings)
    response = small.client().post(
        "/api/v1/organizations", content=b"{" + b" " * limit + b"}", headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json() == {"detail": f"the request body is larger than {limit} bytes"}
