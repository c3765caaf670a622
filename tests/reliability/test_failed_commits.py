"""A commit that fails is never acknowledged: the request answers 503 ("Nothing was saved"), the failure is logged once
with its cause, nothing acknowledged before is lost, and /healthz says the database cannot be written.

Real failures only: SQLite on a small tmpfs filled to the last byte (SQLITE_FULL at COMMIT, after which SQLite has
already rolled the transaction back), SQLite opened read-only, and a PostgreSQL backend terminated just before COMMIT.
Mounting needs root; where it is not permitted the full-disk test skips.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from bench.respondents import CSRF, UNAVAILABLE
from bench.survey import Survey, postgres_schema, prepare

from cxmaturity.services import accounts
from cxmaturity.services.tokens import digest
from cxmaturity.settings import Settings
from cxmaturity.storage.database import make_engine, make_sessionmaker, transaction
from cxmaturity.storage.tables import Assessment, Membership
from cxmaturity.web.app import create_app
from tests.web.client import Portal, WebClient
from tests.web.conftest import POSTGRES_URL

SECRET = "failed-commit-test-secret-" + "x" * 40


class SmallDisk:
    """A 4 MiB tmpfs mounted for the test; ``fill`` takes its last free byte, ``free`` gives the space back."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.filler = path / "filler"

    def fill(self) -> None:
        fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            for size in (65536, 4096, 512, 1):
                while True:
                    try:
                        os.write(fd, b"\0" * size)
                    except OSError:
                        break
        finally:
            os.close(fd)

    def free(self) -> None:
        self.filler.unlink()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[SmallDisk]:
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"mount is not permitted here: {mounted.stderr.decode().strip()}")
    try:
        yield SmallDisk(mount)
    finally:
        subprocess.run(["umount", "--lazy", str(mount)], check=True)


class App:
    """The app on ``survey``'s database, a respondent's browser and an API client of the assessment's owner."""

    def __init__(self, survey: Survey, engine: sa.Engine, data_dir: Path) -> None:
        self.survey = survey
        with transaction(make_sessionmaker(engine)) as db:
            user = accounts.sign_up(db, "owner@example.com", "failed commit test password 1234")
            assessment = db.get(Assessment, survey.assessment_id)
            assert assessment is not None
            self.organization = assessment.organization_id
            db.add(Membership(user_id=user.id, organization_id=self.organization, role="owner"))
            self.api = {"Authorization": f"Bearer {accounts.create_api_token(db, user.id)}"}
        settings = Settings(database_url=survey.url, secret_key=SECRET, data_dir=data_dir)
        self.portal = Portal()
        self.client = WebClient(create_app(settings, engine), self.portal.portal)

    def save(self, token: str, page: int, action: str = "next") -> Any:
        found = CSRF.search(self.client.get(f"/r/{token}/p/{page}").text)
        assert found is not None
        form = {**self.survey.form(token, page), "csrf_token": found.group(1), "action": action}
        return self.client.post(f"/r/{token}/p/{page}", data=form)

    def invite(self) -> Any:
        return self.client.post(
            f"/api/v1/assessments/{self.survey.assessment_id}/invitations", json={"count": 1}, headers=self.api
        )

    def organize(self, name: str) -> Any:
        return self.client.post("/api/v1/organizations", json={"name": name}, headers=self.api)

    def close(self) -> None:
        self.client.close()
        self.portal.close()


def assert_nothing_saved(response: Any) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "5"
    assert UNAVAILABLE in response.text
    assert "Traceback" not in response.text


def stored(url: str, assessment_id: int) -> dict[str, Any]:
    """What the database holds, read through a connection of its own."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            pages = conn.execute(
                sa.text(
                    "SELECT i.token_hash, count(*) FROM answer a JOIN invitation i ON i.id = a.invitation_id "
                    "WHERE a.assessment_id = :a GROUP BY i.token_hash"
                ),
                {"a": assessment_id},
            ).all()
            invitations = conn.execute(
                sa.text("SELECT token_hash, completed_at IS NOT NULL FROM invitation WHERE assessment_id = :a"),
                {"a": assessment_id},
            ).all()
            organizations = conn.execute(sa.text("SELECT name FROM organization")).scalars().all()
    finally:
        engine.dispose()
    return {
        "answers": {h: int(n) for h, n in pages},
        "invitations": {h: bool(done) for h, done in invitations},
        "organizations": set(organizations),
    }


def test_a_full_disk_answers_503_and_loses_nothing_acknowledged(
    small_disk: SmallDisk, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    survey = prepare(f"sqlite:///{small_disk.path / 'cxm.db'}", 2)
    first, second = survey.tokens
    engine = make_engine(survey.url)
    app = App(survey, engine, tmp_path)
    try:
        last = len(survey.pages)
        for page in range(1, last):
            assert app.save(first, page).status_code == 303
        before = app.invite()
        assert before.status_code == 201
        invited = before.json()["invitations"][0]["token"]
        assert app.organize("Before the disk filled").status_code == 201
        with closing(sqlite3.connect(small_disk.path / "cxm.db")) as conn:  # an empty WAL: the next commit needs room
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

        small_disk.fill()
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="cxmaturity"):
            assert_nothing_saved(app.save(second, 1))
            assert_nothing_saved(app.save(first, last, "finish"))
            assert_nothing_saved(app.invite())
            assert_nothing_saved(app.organize("While the disk was full"))
        causes = [r for r in caplog.records if "database or disk is full" in r.getMessage()]
        assert len(causes) == 4, [r.getMessage() for r in caplog.records]
        health = app.client.get("/healthz")
        assert (health.status_code, health.json()["database"]) == (503, "unwritable")

        small_disk.free()
        assert app.client.get("/healthz").status_code == 200
        held = stored(survey.url, survey.assessment_id)
        pages = [len(questions) for questions in survey.pages]
        assert held["answers"] == {digest(first): sum(pages[: last - 1])}
        assert held["invitations"] == {digest(first): False, digest(second): False, digest(invited): False}
        assert "Before the disk filled" in held["organizations"]
        assert "While the disk was full" not in held["organizations"]

        # With room again, the same requests succeed without a restart.
        assert app.save(second, 1).status_code == 303
        assert app.save(first, last, "finish").status_code == 303
        assert stored(survey.url, survey.assessment_id)["invitations"][digest(first)] is True
    finally:
        app.close()
        engine.dispose()


def test_a_read_only_database_is_reported_and_refuses_writes(tmp_path: Path) -> None:
    path = tmp_path / "cxm.db"
    survey = prepare(f"sqlite:///{path}", 1)
    writable = make_engine(survey.url)
    # Opened read-only, as SQLite opens a file it may not write (chmod 0444; root could write it all the same).
    read_only = make_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    app = App(survey, writable, tmp_path)
    app.client.close()
    app.client = WebClient(
        create_app(Settings(database_url=survey.url, secret_key=SECRET, data_dir=tmp_path), read_only),
        app.portal.portal,
    )
    try:
        with writable.connect():  # another process has it open (its WAL index exists): reads work
            health = app.client.get("/healthz")
            assert health.status_code == 503
            assert health.json()["database"] == "unwritable"
            assert_nothing_saved(app.save(survey.tokens[0], 1))
            assert_nothing_saved(app.organize("On a read-only file"))
    finally:
        app.close()
        read_only.dispose()
        writable.dispose()
    assert not Path(f"file:{tmp_path}").exists()  # no folder named after the URI in the working directory
    assert stored(survey.url, survey.assessment_id)["answers"] == {}


def test_postgresql_lost_at_commit_answers_503_and_acknowledges_nothing(tmp_path: Path) -> None:
    try:
        schema = postgres_schema(POSTGRES_URL)
        url = schema.__enter__()
    except sa.exc.OperationalError as exc:
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_URL}: {exc.orig}")
    try:
        survey = prepare(url, 1)
        engine = make_engine(url)
        admin = make_engine(POSTGRES_URL)
        app = App(survey, engine, tmp_path)
        armed = {"on": False}

        @sa.event.listens_for(engine, "commit")
        def _terminate(connection: sa.Connection) -> None:
            if armed["on"]:
                armed["on"] = False
                pid = connection.connection.dbapi_connection.info.backend_pid  # type: ignore[union-attr]
                with admin.connect() as conn:
                    conn.execute(sa.text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})

        try:
            token = survey.tokens[0]
            found = CSRF.search(app.client.get(f"/r/{token}/p/1").text)
            assert found is not None
            form = {**survey.form(token, 1), "csrf_token": found.group(1), "action": "next"}
            armed["on"] = True
            assert_nothing_saved(app.client.post(f"/r/{token}/p/1", data=form))
            armed["on"] = True
            assert_nothing_saved(app.organize("Lost at commit"))
            assert stored(url, survey.assessment_id)["answers"] == {}
            assert "Lost at commit" not in stored(url, survey.assessment_id)["organizations"]
            assert app.client.post(f"/r/{token}/p/1", data=form).status_code == 303
        finally:
            app.close()
            engine.dispose()
            admin.dispose()
    finally:
        schema.__exit__(None, None, None)
