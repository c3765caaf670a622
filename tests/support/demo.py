"""The seeded demo database (``cxmaturity.demo_site``, what ``cxm demo`` serves), built once per test session.

Seeding scores every SYNTHETIC assessment, runs the finished workshop, imports the outcomes and creates the peer
organizations: tens of seconds on a busy machine. Each test that reads or changes the demo gets its own copy of the
seeded file (milliseconds), so no test sees another's changes. Under pytest-xdist (``make test`` runs two workers) the
first worker to need it seeds it into the run's shared temporary folder and the others wait for that file and copy it,
so a run seeds the demo once however many workers it has.
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from cxmaturity.demo_site import DemoSite, seed
from cxmaturity.services import accounts, member_invitations, workshops
from cxmaturity.services.access import Actor
from cxmaturity.settings import Settings
from cxmaturity.storage.database import make_engine, make_sessionmaker, upgrade
from cxmaturity.storage.tables import Assessment, CampaignUnit, Unit, User


@dataclass(frozen=True)
class DemoDatabase:
    """A private copy of the seeded demo: its file, URL, engine and sessions, and what seeding returned."""

    path: Path
    url: str
    engine: Engine
    sessions: sessionmaker[Session]
    site: DemoSite


def _seed(path: Path) -> DemoSite:
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    try:
        upgrade(url, engine)
        return seed(make_sessionmaker(engine))
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def seeded_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoSite]:
    """The demo seeded once into a SQLite file (not to be opened for writing: copy it with ``copy_demo``)."""
    if "PYTEST_XDIST_WORKER" not in os.environ:  # one process: a folder of this session's own
        path = tmp_path_factory.mktemp("seeded-demo") / "demo.db"
        return path, _seed(path)
    # xdist workers share the parent of their base temporary folders (one per run). The lock makes the others wait
    # while the first seeds; the JSON file, written last, says the database is complete.
    shared = tmp_path_factory.getbasetemp().parent / "seeded-demo"
    shared.mkdir(exist_ok=True)
    path, done = shared / "demo.db", shared / "site.json"
    with open(shared / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            path.unlink(missing_ok=True)  # a seeding that failed midway in another worker
            site = _seed(path)
            done.write_text(json.dumps(dataclasses.asdict(site)), encoding="utf-8")
        return path, DemoSite(**json.loads(done.read_text(encoding="utf-8")))


def copy_demo(seeded: tuple[Path, DemoSite], path: Path) -> tuple[str, DemoSite]:
    """Copy the seeded demo to ``path`` (SQLite's backup: the pages still in the write-ahead log come along)."""
    source, target = sqlite3.connect(seeded[0]), sqlite3.connect(path)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    return f"sqlite:///{path}", seeded[1]


@pytest.fixture
def demo_database(seeded_demo: tuple[Path, DemoSite], tmp_path: Path) -> Iterator[DemoDatabase]:
    """A copy of the seeded demo of this test's own."""
    url, site = copy_demo(seeded_demo, tmp_path / "demo.db")
    engine = make_engine(url)
    try:
        yield DemoDatabase(tmp_path / "demo.db", url, engine, make_sessionmaker(engine), site)
    finally:
        engine.dispose()


def demo_settings(url: str, data_dir: Path, *, secret: str, base_url: str, cookie_secure: bool = True) -> Settings:
    """Settings for serving a copy of the demo to tests that visit every page: no sign-in, link or quick-form
    throttle can trip, however many pages one client opens."""
    return Settings(
        database_url=url,
        secret_key=f"{secret}-" + "x" * 40,
        base_url=base_url,
        data_dir=data_dir,
        cookie_secure=cookie_secure,
        signin_max_failures=100_000,
        link_max_failures=100_000,
        quick_max_per_address=100_000,
    )


@dataclass(frozen=True)
class DemoScene:
    """The demo in the states its pages are visited in: the facilitator signed in, a member invited, a second live
    workshop on the closed assessment with one participant and a vote open on its first item, and the demo's store
    campaign with one of its units."""

    user_id: int
    session: str
    join_token: str
    workshop: int
    join_code: str
    participant: str
    campaign: int
    unit: int


def demo_scene(db: Session, site: DemoSite, settings: Settings) -> DemoScene:
    user = db.scalar(select(User).where(User.email == site.email))
    assert user is not None
    session, _ = accounts.start_session(db, user, 1)
    actor = Actor(user.id)
    org = site.organization_id
    joining = member_invitations.invite(db, actor, settings, org, "new-member@example.com", "viewer")
    live = workshops.start(db, actor, site.closed_assessment_id)
    assert live.join_code is not None
    participant, _ = workshops.join(db, live.join_code)
    first = workshops.items(db, live.id)[0]
    workshops.show_item(db, actor, live.id, first.id)
    workshops.open_vote(db, actor, live.id, first.id)
    campaign = db.scalar(
        select(Assessment.id)
        .join(CampaignUnit, CampaignUnit.assessment_id == Assessment.id)
        .where(Assessment.organization_id == org)
        .order_by(Assessment.id.desc())
        .limit(1)
    )
    unit = db.scalar(select(Unit.id).where(Unit.organization_id == org).order_by(Unit.id))
    assert campaign is not None
    assert unit is not None
    return DemoScene(user.id, session, joining.token, live.id, live.join_code, participant, campaign, unit)
