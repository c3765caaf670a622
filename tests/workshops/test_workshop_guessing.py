"""Guessing join codes is limited like guessing invitation links (per client address), on SQLite and PostgreSQL:
after the limit even the right code waits, with Retry-After; a right code before it is not counted."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import delete

from cxmaturity.services import throttle, workshops
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import ThrottleEvent
from cxmaturity.web.app import create_app
from tests.support.site import Cast, Site
from tests.workshops.support import answered_assessment

LIMIT = 3


@pytest.fixture
def strict(site: Site) -> Iterator[Site]:
    # Failures counted by earlier tests (wrong codes on purpose) would count against this app's small limit.
    with transaction(site.sessions) as db:
        db.execute(delete(ThrottleEvent))
    throttle.forget_known_blocks()
    settings = site.settings.model_copy(update={"link_max_failures": LIMIT})
    app = create_app(settings, site.engine)
    strict_site = Site(site.backend, app, site.engine, site.sessions, settings, site.portal)
    yield strict_site
    for client in strict_site.clients:
        client.close()
    with transaction(site.sessions) as db:
        db.execute(delete(ThrottleEvent))
    throttle.forget_known_blocks()


def _wrong(code: str, n: int) -> str:
    alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ2345679"
    guess = "".join(alphabet[(alphabet.index(ch) + n + 1) % len(alphabet)] for ch in code)
    assert guess != code
    return guess


def test_guessing_join_codes_is_refused_and_then_even_the_right_code_waits(strict: Site, cast: Cast) -> None:
    team = answered_assessment(strict, cast, "Guessing team")
    with transaction(strict.sessions) as db:
        workshop = workshops.start(db, team.facilitator, team.assessment)
        code = workshop.join_code
        assert code is not None
    page = strict.client()
    csrf = page.csrf("/join")
    assert page.post("/join", data={"code": code, "csrf_token": csrf}).status_code == 303  # not counted
    statuses = [
        page.post("/join", data={"code": _wrong(code, n), "csrf_token": csrf}).status_code for n in range(LIMIT)
    ]
    assert statuses == [422] * (LIMIT - 1) + [429]
    blocked = page.post("/join", data={"code": code, "csrf_token": csrf})
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    # The API's join shares the address's count.
    api = strict.client()
    refused = api.post("/api/v1/join", json={"code": code})
    assert refused.status_code == 429
    assert "try again in" in refused.json()["detail"]
    with transaction(strict.sessions) as db:
        workshops.finish(db, team.facilitator, workshop.id)
