"""PostgreSQL going away under a running app: respondent pages and the API answer 503 with a message that says
nothing was saved, and the app serves again as soon as the database is back, without a restart.

The test stops its database, so it runs a PostgreSQL of its own (initdb in a temporary folder, bench/servers.py),
never the shared one. The same under load, with a restart in the middle: bench/bench_faults.py and ``-m faults``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from bench.respondents import CSRF, UNAVAILABLE
from bench.servers import OwnPostgres, postgres_bin
from bench.survey import count, prepare

from cxmaturity.services import accounts
from cxmaturity.settings import Settings
from cxmaturity.storage.database import make_engine, make_sessionmaker, transaction
from cxmaturity.web.app import create_app
from tests.web.client import Portal, WebClient

SECRET = "outage-test-secret-" + "x" * 40

pytestmark = pytest.mark.skipif(postgres_bin() is None, reason="no PostgreSQL server binaries to run one's own")


@pytest.fixture
def database() -> Iterator[OwnPostgres]:
    own = OwnPostgres().start()
    try:
        yield own
    finally:
        own.remove()


def test_pages_and_api_say_the_database_is_away_and_recover_without_a_restart(database: OwnPostgres) -> None:
    survey = prepare(database.url, 1)
    token = survey.tokens[0]
    engine = make_engine(database.url)
    with transaction(make_sessionmaker(engine)) as db:
        user = accounts.sign_up(db, "api@example.com", "outage test password 1234")
        api = {"Authorization": f"Bearer {accounts.create_api_token(db, user.id)}"}
    portal = Portal()
    client = WebClient(create_app(Settings(database_url=database.url, secret_key=SECRET), engine), portal.portal)
    try:
        found = CSRF.search(client.get(f"/r/{token}/p/1").text)
        assert found is not None
        form = {**survey.form(token, 1), "csrf_token": found.group(1), "action": "next"}
        assert client.get("/api/v1/organizations", headers=api).status_code == 200

        database.stop()
        try:
            for response in (client.get(f"/r/{token}/p/1"), client.post(f"/r/{token}/p/1", data=form)):
                assert response.status_code == 503
                assert UNAVAILABLE in response.text
                assert response.headers["retry-after"] == "5"
                assert "Traceback" not in response.text
                assert "psycopg" not in response.text
            response = client.get("/api/v1/organizations", headers=api)
            assert (response.status_code, response.json()) == (503, {"detail": UNAVAILABLE})
        finally:
            database.start()

        # The pooled connections died with the server; the first request afterwards must not be the one to notice.
        saved = client.post(f"/r/{token}/p/1", data=form)
        assert (saved.status_code, saved.headers["location"]) == (303, f"/r/{token}/p/2")
        assert client.get("/api/v1/organizations", headers=api).status_code == 200
    finally:
        client.close()
        portal.close()
        engine.dispose()
    stored = count(survey, {token: {1}}, set())
    assert (stored.lost, stored.duplicated, stored.stored_rows) == (0, 0, len(survey.pages[0]))
