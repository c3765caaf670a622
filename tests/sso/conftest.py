"""A real OpenID provider for the single sign-on tests: the npm package ``oidc-provider`` run by Node.js.

``start_provider`` runs tests/sso/provider.mjs on a free loopback port and waits for its discovery document;
``idp_login`` plays the person at the provider (its devInteractions sign-in form) with an HTTP client of its own, as a
browser would, and returns where the provider sends the browser back to. Without Node.js or the package the tests
skip (they fail in CI, tests/support/node_tools.py).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx

from tests.support.node_tools import node_executable, package_dir

SCRIPT = Path(__file__).with_name("provider.mjs")
CLIENT_ID = "cx-maturity-tests"
CLIENT_SECRET = "provider-test-secret-0123456789"
#: The people the provider knows (any password signs them in): login name -> claims.
ACCOUNTS: dict[str, dict[str, Any]] = {
    "alice": {"email": "alice@sso.example", "name": "Alice Anders", "groups": ["cx-team", "staff"]},
    "carol": {"email": "carol@sso.example", "name": "Carol Chen", "groups": ["cx-leads"]},
    "bob": {"email": "bob@sso.example", "name": "Bob Brown", "groups": ["finance"]},
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class Provider:
    issuer: str
    url: str


@contextmanager
def start_provider(
    redirect_uris: list[str],
    *,
    accounts: dict[str, dict[str, Any]] | None = None,
    issuer_host: str = "127.0.0.1",
    clock_offset: int = 0,
    id_token_ttl: int = 3600,
    log_dir: Path | None = None,
) -> Iterator[Provider]:
    """Run the provider until the block ends; ``issuer_host`` may name it otherwise than its address (wrong issuer)."""
    node = node_executable()
    package = package_dir("oidc-provider")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    issuer = f"http://{issuer_host}:{port}"
    env = {
        **os.environ,
        "OIDC_PROVIDER_DIR": str(package),
        "OIDC_PORT": str(port),
        "OIDC_ISSUER": issuer,
        "OIDC_CLIENTS": json.dumps(
            [{"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uris": redirect_uris}]
        ),
        "OIDC_ACCOUNTS": json.dumps(accounts if accounts is not None else ACCOUNTS),
        "OIDC_CLOCK_OFFSET_SECONDS": str(clock_offset),
        "OIDC_ID_TOKEN_TTL": str(id_token_ttl),
    }
    log_path = (log_dir or Path("/tmp")) / f"oidc-provider-{port}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen([node, str(SCRIPT)], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"oidc-provider exited: {log_path.read_text(errors='replace')}")
            try:
                if httpx.get(f"{url}/.well-known/openid-configuration", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"oidc-provider did not start: {log_path.read_text(errors='replace')}")
            time.sleep(0.05)
        yield Provider(issuer, url)
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


FORM_ACTION = re.compile(r'<form[^>]*action="([^"]+)"')


def idp_login(authorization_url: str, login: str, callback_prefix: str) -> str:
    """Sign in at the provider as ``login`` and return the callback address it sends the browser to."""
    with httpx.Client(follow_redirects=False, timeout=10) as browser:
        url = authorization_url
        for _ in range(20):
            if url.startswith(callback_prefix):
                return url
            response = browser.get(url)
            if response.status_code in (302, 303):
                url = urljoin(url, response.headers["location"])
                continue
            action = FORM_ACTION.search(response.text)
            assert response.status_code == 200, response.text[:500]
            assert action, f"no sign-in form at the provider: {response.text[:500]}"
            form = {"prompt": "login", "login": login, "password": "any password"}
            posted = browser.post(urljoin(url, action.group(1)), data=form)
            assert posted.status_code in (302, 303), posted.text[:500]
            url = urljoin(url, posted.headers["location"])
        raise AssertionError("the provider never sent the browser back")
