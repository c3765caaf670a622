"""The provider's discovery document is kept for ``oidc.DISCOVERY_TTL`` seconds and fetched again once it is older, or
at once when an endpoint it names cannot be reached. A real HTTP server on the loopback (the standard library's)
serves the document and counts each time it is fetched."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from cxmaturity.i18n.phrase import literal
from cxmaturity.services import oidc
from cxmaturity.services.oidc import Client, SignInRefused


class _Site:
    """What the server serves: the discovery document (its jwks_uri may be moved) and a key set."""

    def __init__(self) -> None:
        self.fetches = 0
        self.jwks_path = "/old-keys"


@pytest.fixture
def served() -> Iterator[tuple[Client, _Site]]:
    site = _Site()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            issuer = f"http://127.0.0.1:{self.server.server_port}"  # type: ignore[attr-defined]  # an HTTPServer
            body: dict[str, Any]
            if self.path == "/.well-known/openid-configuration":
                site.fetches += 1
                body = {"issuer": issuer, "jwks_uri": issuer + site.jwks_path, "token_endpoint": issuer + "/token"}
            elif self.path == "/keys":
                body = {"keys": []}
            else:
                self.send_error(404)
                return
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    issuer = f"http://127.0.0.1:{server.server_address[1]}"
    client = Client("test", "Test provider", issuer, "client", "", "openid", issuer + "/back", 5.0, 60)
    try:
        yield client, site
    finally:
        oidc.forget_discovery(issuer)
        server.shutdown()
        server.server_close()


def _keys(client: Client, document: dict[str, Any]) -> int:
    try:
        response = httpx.get(document["jwks_uri"], timeout=client.timeout)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        raise SignInRefused("provider_unreachable", literal("unreachable"), str(exc)) from None
    return len(response.json()["keys"])


def test_it_fetches_the_discovery_document_once_per_ttl(
    served: tuple[Client, _Site], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, site = served
    first, cached = oidc.discover(client)
    assert not cached
    again, cached = oidc.discover(client)
    assert cached
    assert again == first
    assert site.fetches == 1
    monkeypatch.setattr(oidc, "DISCOVERY_TTL", 0.0)
    _, cached = oidc.discover(client)
    assert not cached
    assert site.fetches == 2


def test_it_fetches_the_document_again_when_a_cached_endpoint_cannot_be_reached(served: tuple[Client, _Site]) -> None:
    client, site = served
    oidc.discover(client)  # cached with the old key address, which the server does not answer (404)
    site.jwks_path = "/keys"  # the provider moved its keys
    assert oidc.with_discovery(client, lambda document: _keys(client, document)) == 0
    assert site.fetches == 2
    # Fetched just now, the document is not fetched a third time for an endpoint that still fails.
    site.jwks_path = "/gone"
    oidc.forget_discovery(client.issuer)
    with pytest.raises(SignInRefused, match="unreachable"):
        oidc.with_discovery(client, lambda document: _keys(client, document))
    assert site.fetches == 3
