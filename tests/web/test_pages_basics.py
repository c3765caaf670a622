from __future__ import annotations

import httpx
import pytest

from cxmaturity.web.security import loggable
from tests.web.conftest import PASSWORD, Cast, Site


def test_it_sends_anonymous_visitors_to_sign_in(site: Site) -> None:
    response = site.client().get("/")
    assert response.status_code == 303
    assert response.headers["location"] == "/signin"


def test_it_signs_in_with_a_password_and_rotates_the_session(site: Site, cast: Cast) -> None:
    client = site.client()
    client.cookies.set("cxm_session", "planted-by-an-attacker", domain="testserver.local")
    response = client.submit("/signin", "/signin", {"email": cast.emails["viewer"], "password": PASSWORD})
    assert response.status_code == 303
    assert response.cookies.get("cxm_session") not in (None, "planted-by-an-attacker")
    assert "Organization A" in client.get("/").text


def test_it_refuses_a_wrong_password_without_saying_which_part(site: Site, cast: Cast) -> None:
    response = site.client().submit(
        "/signin", "/signin", {"email": cast.emails["viewer"], "password": "nope-nope-nope"}
    )
    assert response.status_code == 400
    assert "E-mail or password is wrong." in response.text


def test_it_rejects_a_form_without_its_csrf_token(site: Site, cast: Cast) -> None:
    client = site.client(cast.owner)
    response = client.post("/orgs", data={"name": "Forged"})
    assert response.status_code == 403


def test_it_escapes_untrusted_text(site: Site, cast: Cast) -> None:
    client = site.client(cast.outsider)
    response = client.submit("/", "/orgs", {"name": "<script>alert(1)</script>"})
    page = client.get(response.headers["location"]).text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_it_hides_another_organization(site: Site, cast: Cast) -> None:
    assert site.client(cast.outsider).get(f"/orgs/{cast.org_a}").status_code == 404


def test_it_sets_security_headers(site: Site) -> None:
    response = site.client().get("/signin")  # the test client speaks https, as a deployment behind TLS does
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    assert "script-src 'self';" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["strict-transport-security"].startswith("max-age=")


def test_it_sends_hsts_only_over_tls(site: Site) -> None:
    response = site.portal.portal.call(_get_over_http, site)
    assert response.status_code == 200
    assert "strict-transport-security" not in response.headers


async def _get_over_http(site: Site) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=site.app), base_url="http://testserver") as client:
        return await client.get("/signin")


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        ("/r/Abc-123_x/p/2", "/r/…/p/2"),
        ("/api/v1/respond/Abc-123_x/pages/lead", "/api/v1/respond/…/pages/lead"),
        ("/join/Abc-123_x/accept", "/join/…/accept"),
        ("/api/v1/member-invitations/Abc-123_x", "/api/v1/member-invitations/…"),
        ("/sso/callback?code=Abc&state=Def", "/sso/callback?code=…&state=…"),
        ("/sso/start?next=/orgs/1&connect=Abc", "/sso/start?next=/orgs/1&connect=…"),
        ("/join", "/join"),
        ("/assessments/12/results?lang=de", "/assessments/12/results?lang=de"),
    ],
)
def test_paths_are_logged_without_their_secrets(path: str, logged: str) -> None:
    assert loggable(path) == logged
