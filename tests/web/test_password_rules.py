"""Password rules: long enough, not among the first guesses, not the e-mail; no composition rules."""

from __future__ import annotations

import pytest

from cxmaturity.services.accounts import check_password_rules
from cxmaturity.services.errors import Invalid
from tests.web.conftest import Site


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short one", "at least 10 characters"),
        (" leading space", "must not start or end with spaces"),
        ("aaaaaaaaaaaa", "too few different characters"),
        ("abababab1212", "too few different characters"),
        ("Password123!", "among the first that anyone guesses"),
        ("pass word 2026", "among the first that anyone guesses"),
        ("1234567890", "among the first that anyone guesses"),
        ("0987654321", "among the first that anyone guesses"),
        ("QWERTYUIOP", "among the first that anyone guesses"),
        ("cxmaturity2026", "among the first that anyone guesses"),
        ("jane.doe-secret-2026", "must not contain your e-mail address"),
    ],
)
def test_it_refuses_weak_passwords_with_the_reason(password: str, reason: str) -> None:
    with pytest.raises(Invalid, match=reason) as caught:
        check_password_rules(password, "Jane.Doe@example.com")
    assert caught.value.field == "password"


@pytest.mark.parametrize(
    "password", ["correct horse battery staple", "blue-lantern-47-orbit", "Zürich im Mai ist schön", "x7#Lq9!vR2m$"]
)
def test_it_accepts_long_or_unusual_passwords(password: str) -> None:
    check_password_rules(password, "jane.doe@example.com")


def test_sign_up_shows_the_rule_that_failed(site: Site) -> None:
    client = site.client()
    response = client.submit(
        "/signup", "/signup", {"email": "rules@example.com", "password": "password2026", "name": "Rules"}
    )
    assert response.status_code == 422
    assert "among the first that anyone guesses" in response.text
