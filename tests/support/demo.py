"""The seeded demo database (``cxmaturity.demo_site``, what ``cxm demo`` serves), built once per test session.

Seeding scores every SYNTHETIC assessment, runs the finished workshop, imports the outcomes and creates the peer
organizations: tens of seconds on a busy machine. Each test that reads or changes the demo gets its own copy of the
seeded file (milliseconds), so no test sees another's changes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from cxmaturity.demo_site import DemoSite, seed
from cxmaturity.storage.database import make_engine, make_sessionmaker, upgrade


@dataclass(frozen=True)
class DemoDatabase:
    """A private copy of the seeded demo: its file, URL, engine and sessions, and what seeding returned."""

    path: Path
    url: str
    engine: Engine
    sessions: sessionmaker[Session]
    site: DemoSite


@pytest.fixture(scope="session")
def seeded_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoSite]:
    """The demo seeded once into a SQLite file (not to be opened for writing: copy it with ``copy_demo``)."""
    path = tmp_path_factory.mktemp("seeded-demo") / "demo.db"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    try:
        upgrade(url, engine)
        site = seed(make_sessionmaker(engine))
    finally:
        engine.dispose()
    return path, site


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
