"""Backup and restore round-trip an installation exactly, across SQLite and PostgreSQL, all or nothing."""

from __future__ import annotations

import json
import secrets
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from cxmaturity.cli import app as cli
from cxmaturity.services import organizations, respond, units
from cxmaturity.services.access import Actor
from cxmaturity.storage.backup import MANIFEST, BackupError, backup, restore
from cxmaturity.storage.database import make_engine, make_sessionmaker, transaction, upgrade
from cxmaturity.storage.tables import Answer, Base, Organization
from tests.support.site import POSTGRES_URL, _postgres_engine
from tests.web.conftest import Cast, Site
from tests.web.test_respond import _invite


def _tables(path: Path) -> dict[str, bytes]:
    """A backup's table files (everything but the manifest, which carries the time it was taken)."""
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist() if name != MANIFEST}


@pytest.fixture(params=["sqlite", "postgresql"])
def empty(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    """A new, migrated, empty database of either kind."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'restored.db'}"
        engine = make_engine(url)
        upgrade(url, engine)
        yield url, engine
        engine.dispose()
        return
    schema = f"cxm_restore_{secrets.token_hex(4)}"
    engine = _postgres_engine(schema)
    upgrade(POSTGRES_URL, engine)
    yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}", engine
    engine.dispose()
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _with_answers(site: Site, cast: Cast) -> None:
    """Make sure the installation holds answers, comments and a non-ASCII name (the cast alone has none)."""
    with transaction(site.sessions) as db:
        org = organizations.create(db, Actor(cast.owner), "Société Ærø · 東京 (backup test)")
        db.flush()
        assert org.id
    token = _invite(site, cast)[0]
    with transaction(site.sessions) as db:
        fw = respond.visit(db, token).framework
        competency = fw.competencies[0]
        data = respond.PageInput(
            answers={i.key: fw.answer_keys(i)[0] for i in competency.indicators},
            comments={competency.indicators[0].key: 'Ünïcödé and "quotes"\nand a new line'},
        )
        respond.save_page(db, token, competency.key, data)


def test_a_backup_restores_into_either_database_exactly(
    site: Site, cast: Cast, empty: tuple[str, Engine], tmp_path: Path
) -> None:
    _with_answers(site, cast)
    # A unit moved under a unit created after it: its row points to a later row of its own table.
    with transaction(site.sessions) as db:
        older = units.create(db, Actor(cast.owner), cast.org_a, f"Older {secrets.token_hex(3)}")
        newer = units.create(db, Actor(cast.owner), cast.org_a, f"Newer {secrets.token_hex(3)}")
        units.update(db, Actor(cast.owner), older.id, parent_id=newer.id)
    first = tmp_path / "first.zip"
    summary = backup(site.engine, first)
    assert summary.rows["answer"] > 0
    assert summary.rows["organization"] >= 3

    _, target = empty
    restored = restore(target, first)
    assert restored.rows == summary.rows
    second = tmp_path / "second.zip"
    backup(target, second)
    assert _tables(second) == _tables(first)

    # The restored database takes new rows: its id sequences moved past the restored ids.
    with target.connect() as conn:
        highest = conn.execute(select(func.max(Organization.id))).scalar_one()
    with transaction(make_sessionmaker(target)) as db:
        org = organizations.create(db, Actor(cast.owner), "Created after the restore")
        db.flush()
        assert org.id > highest


def test_it_refuses_a_database_that_holds_data_and_changes_nothing(site: Site, cast: Cast, tmp_path: Path) -> None:
    path = tmp_path / "backup.zip"
    backup(site.engine, path)
    with site.engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(Answer)).scalar_one()
    with pytest.raises(BackupError, match="the database is not empty"):
        restore(site.engine, path)
    with site.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Answer)).scalar_one() == before


def test_a_damaged_backup_restores_nothing(site: Site, cast: Cast, empty: tuple[str, Engine], tmp_path: Path) -> None:
    _with_answers(site, cast)
    good = tmp_path / "good.zip"
    backup(site.engine, good)
    damaged = tmp_path / "damaged.zip"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(damaged, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name == "answer.jsonl":
                data = b"\n".join(data.splitlines()[:-1]) + b'\n{"id": "not a number", "nonsense": 1}\n'
            target.writestr(name, data)
    _, engine = empty
    with pytest.raises(BackupError, match=r"answer\.jsonl line \d+"):
        restore(engine, damaged)
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            assert conn.execute(select(func.count()).select_from(table)).scalar_one() == 0, table.name


def _rewritten(good: Path, out: Path, member: str, change: Callable[[bytes], bytes]) -> Path:
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            target.writestr(name, change(data) if name == member else data)
    return out


def _duplicate_first_row(data: bytes) -> bytes:
    return data.splitlines()[0] + b"\n" + data


def _null_first_name(data: bytes) -> bytes:
    row = json.loads(data.splitlines()[0])
    return json.dumps({**row, "name": None}).encode() + b"\n"


def _tables_not_a_mapping(data: bytes) -> bytes:
    return json.dumps({**json.loads(data), "tables": "all of them"}).encode()


@pytest.mark.parametrize(
    ("member", "change", "message"),
    [
        # Refused by the database: these ended in "cxm: unexpected error" with the SQL statement (exit 70).
        ("organization.jsonl", _duplicate_first_row, r"organization\.jsonl lines 1-\d+: the database refuses a row \("),
        ("organization.jsonl", _null_first_name, r"organization\.jsonl line 1: the database refuses a row \("),
        # Not even rows: an AttributeError from the reader.
        ("organization.jsonl", lambda _: b"[1, 2]\n", r"organization\.jsonl line 1: not a row \(a JSON object\)"),
        (MANIFEST, _tables_not_a_mapping, r"manifest's tables are not a mapping of names to counts"),
    ],
)
def test_a_backup_the_database_cannot_take_is_named_and_restores_nothing(
    site: Site,
    cast: Cast,
    empty: tuple[str, Engine],
    tmp_path: Path,
    member: str,
    change: Callable[[bytes], bytes],
    message: str,
) -> None:
    _with_answers(site, cast)
    good = tmp_path / "good.zip"
    backup(site.engine, good)
    damaged = _rewritten(good, tmp_path / "damaged.zip", member, change)
    _, engine = empty
    with pytest.raises(BackupError, match=message):
        restore(engine, damaged)
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            assert conn.execute(select(func.count()).select_from(table)).scalar_one() == 0, table.name


def test_cli_names_a_backup_that_is_a_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["restore", str(tmp_path), "--db", f"sqlite:///{tmp_path / 'new.db'}"])
    assert result.exit_code == 1, result.output
    assert result.output.strip() == f"cannot restore: {tmp_path}: cannot read: Is a directory"


def test_it_refuses_a_backup_of_another_revision(site: Site, empty: tuple[str, Engine], tmp_path: Path) -> None:
    path = tmp_path / "backup.zip"
    backup(site.engine, path)
    old = tmp_path / "old.zip"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(old, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name == MANIFEST:
                manifest = json.loads(data)
                manifest["revision"] = "0001"
                data = json.dumps(manifest).encode()
            target.writestr(name, data)
    with pytest.raises(BackupError, match="taken at migration revision 0001"):
        restore(empty[1], old)


def test_cli_backs_up_and_restores_into_a_new_sqlite_file(site: Site, cast: Cast, tmp_path: Path) -> None:
    runner = CliRunner()
    path = tmp_path / "site.zip"
    url = site.engine.url.render_as_string(hide_password=False)
    if site.backend == "postgresql":
        with site.engine.connect() as conn:
            schema = conn.execute(sa.text("SELECT current_schema()")).scalar_one()
        url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    result = runner.invoke(cli, ["backup", "--out", str(path), "--db", url])
    assert result.exit_code == 0, result.output
    assert "rows from" in result.output

    new_file = tmp_path / "new.db"
    result = runner.invoke(cli, ["restore", str(path), "--db", str(new_file)])
    assert result.exit_code == 0, result.output
    engine = make_engine(f"sqlite:///{new_file}")
    with engine.connect() as conn:
        names = set(conn.execute(select(Organization.name)).scalars())
    engine.dispose()
    assert "Organization A" in names

    again = runner.invoke(cli, ["restore", str(path), "--db", str(new_file)])
    assert again.exit_code == 1
    assert "the database is not empty" in again.output

    missing = runner.invoke(cli, ["restore", str(tmp_path / "nope.zip"), "--db", str(tmp_path / "other.db")])
    assert missing.exit_code == 1
    assert "nope.zip: no such file" in missing.output
