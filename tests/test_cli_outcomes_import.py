"""``cxm outcomes import`` into a real SQLite file: a survey export counted once when imported twice, a file with
errors refused with file, row and column and nothing stored, an account without the role refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from cxmaturity import cli
from cxmaturity.services import accounts, organizations
from cxmaturity.services.access import Actor
from cxmaturity.services.outcomes_store import count_responses
from cxmaturity.settings import get_settings
from cxmaturity.storage.database import make_engine, make_sessionmaker, transaction, upgrade

DATA = Path(__file__).parent / "data" / "outcomes"
runner = CliRunner()


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    for name in ("CXM_DATABASE_URL", "CXM_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()


def cxm(*args: str | int | Path) -> Result:
    return runner.invoke(cli.app, [str(a) for a in args], catch_exceptions=False)


def _installation(path: Path) -> tuple[str, int]:
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(url, engine)
    with transaction(make_sessionmaker(engine)) as db:
        owner = accounts.sign_up(db, "owner@example.com", "correct horse battery staple", "Owner")
        accounts.sign_up(db, "stranger@example.com", "correct horse battery staple", "Stranger")
        org = organizations.create(db, Actor(owner.id), "Outcomes CLI").id
    engine.dispose()
    return url, org


def _count(url: str, org: int) -> int:
    engine = make_engine(url)
    with make_sessionmaker(engine)() as db:
        found = count_responses(db, org)
    engine.dispose()
    return found


def test_it_imports_a_survey_export_once_however_often_it_is_imported(tmp_path: Path) -> None:
    url, org = _installation(tmp_path / "cxm.db")
    args = ("outcomes", "import", DATA / "surveymonkey.csv", "--organization", org, "--email", "owner@example.com")
    first = cxm(*args, "--db", tmp_path / "cxm.db", "--save-mapping", "Monkey")
    assert first.exit_code == 0, first.output
    assert "(surveymonkey)" in first.output
    stored = _count(url, org)
    assert stored > 0
    again = cxm(*args, "--db", tmp_path / "cxm.db")
    assert again.exit_code == 0, again.output
    assert f"0 new, {stored} replaced" in again.output
    assert _count(url, org) == stored


def test_a_file_with_errors_is_refused_with_its_places_and_stores_nothing(tmp_path: Path) -> None:
    url, org = _installation(tmp_path / "cxm.db")
    bad = tmp_path / "bad.csv"
    bad.write_text("ResponseId,Recommend\nA,9\nB,ten\n", encoding="utf-8")
    found = runner.invoke(
        cli.app,
        [
            "outcomes",
            "import",
            str(bad),
            "--organization",
            str(org),
            "--email",
            "owner@example.com",
            "--id",
            "ResponseId",
            "--nps",
            "Recommend",
            "--db",
            str(tmp_path / "cxm.db"),
        ],
    )
    assert found.exit_code == 1
    assert "bad.csv:3 column 'Recommend'" in found.output
    assert _count(url, org) == 0


def test_an_account_without_a_role_in_the_organization_is_refused(tmp_path: Path) -> None:
    _, org = _installation(tmp_path / "cxm.db")
    found = runner.invoke(
        cli.app,
        [
            "outcomes",
            "import",
            str(DATA / "qualtrics.csv"),
            "--organization",
            str(org),
            "--email",
            "stranger@example.com",
            "--db",
            str(tmp_path / "cxm.db"),
        ],
    )
    assert found.exit_code == 1
    assert "no such organization" in found.output
