"""The facilitator's pages in the language picked (``?lang=``, then kept) or the browser's, on SQLite and PostgreSQL;
a text without a translation yet falls back to English."""

from __future__ import annotations

import html

from tests.web.conftest import Site

FRENCH = {"accept-language": "fr-CA,fr;q=0.9"}


def test_the_sign_in_page_follows_the_browsers_language(site: Site) -> None:
    page = html.unescape(site.client().get("/signin", headers=FRENCH).text)
    assert '<html lang="fr">' in page
    assert "Se connecter" in page
    assert "Mot de passe" in page
    assert "Sign in" not in page


def test_a_language_picked_once_is_kept_on_the_next_pages(site: Site) -> None:
    client = site.client()
    picked = client.get("/signin?lang=de", headers=FRENCH)
    assert "Anmelden" in html.unescape(picked.text)
    assert client.cookies.get("cxm_lang") == "de"
    later = html.unescape(client.get("/signup", headers=FRENCH).text)
    assert '<html lang="de">' in later
    assert "Konto anlegen" in later
    # A language without a catalog is not picked: the browser's applies.
    other = site.client().get("/signin?lang=xx", headers=FRENCH)
    assert '<html lang="fr">' in other.text
    assert "cxm_lang" not in other.headers.get("set-cookie", "")


def test_a_refused_sign_in_says_why_in_the_pages_language(site: Site) -> None:
    client = site.client()
    refused = client.submit(
        "/signin", "/signin", {"email": "nobody@example.com", "password": "wrong password"}, headers=FRENCH
    )
    assert refused.status_code == 400
    assert "L’adresse e-mail ou le mot de passe est incorrect." in html.unescape(refused.text)
