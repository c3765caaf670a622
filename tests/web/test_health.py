"""GET /healthz: 200 when the database is reachable and migrated, 503 with a message when it is not."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from cxmaturity.settings import Settings
from cxmaturity.storage.database import head_revision, make_engine, upgrade
from cxmaturity.web.app import create_app
from cxmaturity.web.pages import health
from tests.web.client import Portal, WebClient
from tests.web.conftest import SECRET, Site


def test_it_reports_a_healthy_site(site: Site) -> None:
    response = site.client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "migration": {"current": head_revision(), "head": head_revision()},
    }
    assert response.headers["cache-control"] == "no-store"


@pytest.fixture
def spare(tmp_path: Path) -> Iterator[tuple[sa.Engine, WebClient]]:
    """A second app on its own migrated SQLite database, which the test may then break."""
    url = f"sqlite:///{tmp_path / 'spare.db'}"
    engine = make_engine(url)
    upgrade(url, engine)
    app = create_app(Settings(database_url=url, secret_key=SECRET, data_dir=tmp_path), engine)
    portal = Portal()
    client = WebClient(app, portal.portal)
    yield engine, client
    client.close()
    portal.close()
    engine.dispose()


def test_it_reports_a_database_that_lost_its_migrations(spare: tuple[sa.Engine, WebClient]) -> None:
    engine, client = spare
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE alembic_version"))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "error",
        "database": "ok",
        "migration": {"current": None, "head": head_revision()},
        "message": "the database has never been migrated; run `cxm db upgrade`",
    }


def test_it_reports_a_database_behind_the_code(spare: tuple[sa.Engine, WebClient]) -> None:
    engine, client = spare
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = 'older'"))
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["migration"] == {"current": "older", "head": head_revision()}
    assert (
        body["message"] == f"the database is at revision older, the code needs {head_revision()}; run `cxm db upgrade`"
    )


def test_it_reports_an_unreachable_database(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'no-such-folder' / 'cxm.db'}")
    try:
        status, body = health.check(engine)
    finally:
        engine.dispose()
    assert status == 503
    assert body == {
        "status": "error",
        "database": "unreachable",
        "migration": {"current": None, "head": head_revision()},
        "message": "the database cannot be reached",
    }


def test_it_reports_an_unreachable_postgresql() -> None:
    engine = sa.create_engine("postgresql+psycopg://postgres@127.0.0.1:1/none", connect_args={"connect_timeout": 2})
    try:
        status, body = health.check(engine)
    finally:
        engine.dispose()
    assert (status, body["status"], body["database"]) == (503, "error", "unreachable")


def test_it_reports_a_read_only_postgresql() -> None:
    from bench.survey import postgres_schema

    from tests.web.conftest import POSTGRES_URL

    with postgres_schema(POSTGRES_URL) as url:
        upgrade(url)
        # Every transaction read-only, as on a standby or with default_transaction_read_only set.
        engine = make_engine(f"{url}%20-cdefault_transaction_read_only%3Don")
        try:
            status, body = health.check(engine)
        finally:
            engine.dispose()
    assert (status, body["status"], body["database"]) == (503, "error", "unwritable")
    assert body["migration"] == {"current": head_revision(), "head": head_revision()}
