"""Web and storage fixtures (registered in tests/conftest.py): every test runs on SQLite and on PostgreSQL,
with a fixed cast of users.

The cast: ``owner``, ``facilitator`` and ``viewer`` of organization A, ``outsider`` (owner of organization B), and
respondents of A's open assessment (invitation tokens per group).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from cxmaturity.services import accounts, assessments, organizations
from cxmaturity.services.access import Actor
from cxmaturity.settings import Settings
from cxmaturity.storage.database import make_engine, make_sessionmaker, transaction, upgrade
from cxmaturity.storage.tables import Membership, User
from cxmaturity.web.app import create_app
from cxmaturity.web.context import SESSION_COOKIE
from tests.web.client import Portal, WebClient

POSTGRES_URL = os.environ.get("CXM_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
#: CI sets this so that a missing PostgreSQL fails the run instead of skipping half the tests.
REQUIRE_POSTGRES = os.environ.get("CXM_REQUIRE_POSTGRES") == "1"
PASSWORD = "correct horse battery staple"
SECRET = "test-secret-" + "x" * 40


def _create_schema(schema: str) -> None:
    """Create a PostgreSQL schema; skip the test without PostgreSQL, unless CI requires it."""
    admin = make_engine(POSTGRES_URL)
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as exc:
        if REQUIRE_POSTGRES:
            raise
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_URL}: {exc.orig}")
    finally:
        admin.dispose()


def _postgres_engine(schema: str) -> Engine:
    _create_schema(schema)
    return make_engine(POSTGRES_URL, connect_args={"options": f"-csearch_path={schema}"})


@contextmanager
def postgres_schema(prefix: str) -> Iterator[str]:
    """A database URL whose tables live in a fresh PostgreSQL schema, dropped afterwards: for tests that start
    processes of their own (workers, servers), which need a URL rather than an engine. Skips without PostgreSQL,
    unless CI requires it."""
    schema = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    _create_schema(schema)
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        admin = make_engine(POSTGRES_URL)
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@dataclass
class Site:
    """The app on one database, with helpers to act as members of the cast."""

    backend: str
    app: FastAPI
    engine: Engine
    sessions: sessionmaker[Session]
    settings: Settings
    portal: Portal
    clients: list[WebClient] = field(default_factory=list)

    def client(self, user_id: int | None = None) -> WebClient:
        """Return a new browser-like client, signed in as ``user_id`` when given."""
        client = WebClient(self.app, self.portal.portal)
        if user_id is not None:
            with transaction(self.sessions) as db:
                user = db.get(User, user_id)
                assert user is not None
                token, _ = accounts.start_session(db, user, 1)
            client.cookies.set(SESSION_COOKIE, token, domain="testserver.local")
        self.clients.append(client)
        return client


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    backend: str = request.param
    schema = f"cxm_test_{os.getpid()}_{secrets.token_hex(4)}"
    if backend == "sqlite":
        url = f"sqlite:///{Path(tmp_path_factory.mktemp('db')) / 'cxm.db'}"
        engine = make_engine(url)
    else:
        engine = _postgres_engine(schema)
        url = POSTGRES_URL
    upgrade(url, engine)
    settings = Settings(
        database_url=url,
        secret_key=SECRET,
        demo=False,
        base_url="https://testserver",
        data_dir=Path(tmp_path_factory.mktemp("data")),
        # Every test client comes from one address: the suite as a whole would soon use up the limits on guessing,
        # which tests/web/test_throttling.py checks on an app of its own.
        signin_max_failures=100_000,
        link_max_failures=100_000,
        signup_max_per_address=100_000,
        quick_max_per_address=100_000,
    )
    portal = Portal()
    site = Site(backend, create_app(settings, engine), engine, make_sessionmaker(engine), settings, portal)
    yield site
    for client in site.clients:
        client.close()
    portal.close()
    site.app.state.jobs.close()  # the in-process queue's thread (SQLite), before its database goes
    engine.dispose()
    if backend == "postgresql":
        admin = make_engine(POSTGRES_URL)
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@dataclass
class Cast:
    owner: int
    facilitator: int
    viewer: int
    outsider: int
    org_a: int
    org_b: int
    assessment: int
    groups: dict[str, int]
    #: Invitation tokens of the open assessment, per group name.
    tokens: dict[str, list[str]]
    emails: dict[str, str]


@pytest.fixture(scope="session")
def cast(site: Site) -> Cast:
    """Create the cast once per database."""
    suffix = secrets.token_hex(3)
    emails = {role: f"{role}-{suffix}@example.com" for role in ("owner", "facilitator", "viewer", "outsider")}
    with transaction(site.sessions) as db:
        ids = {role: accounts.sign_up(db, email, PASSWORD, role.title()).id for role, email in emails.items()}
        org_a = organizations.create(db, Actor(ids["owner"]), "Organization A", "Retail", "250-999", "Europe")
        org_b = organizations.create(db, Actor(ids["outsider"]), "Organization B")
        db.add(Membership(user_id=ids["facilitator"], organization_id=org_a.id, role="facilitator"))
        db.add(Membership(user_id=ids["viewer"], organization_id=org_a.id, role="viewer"))
        db.flush()
        facilitator = Actor(ids["facilitator"])
        assessment = assessments.create(
            db,
            facilitator,
            org_a.id,
            "Leadership team 2026",
            "builtin:xm-six-competencies",
            groups=["Leadership", "Operations"],
        )
        db.flush()
        groups = {g.name: g.id for g in assessments.groups(db, assessment.id)}
        assessments.set_status(db, facilitator, assessment.id, "open")
        tokens = {
            name: assessments.create_invitations(db, facilitator, assessment.id, gid, 5) for name, gid in groups.items()
        }
    return Cast(
        ids["owner"],
        ids["facilitator"],
        ids["viewer"],
        ids["outsider"],
        org_a.id,
        org_b.id,
        assessment.id,
        groups,
        tokens,
        emails,
    )
