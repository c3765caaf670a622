"""An id on the command line that the database cannot hold (past 32 bits) is refused naming the argument, on SQLite
and on PostgreSQL, instead of failing in the driver (``cxm: unexpected error: OverflowError``, or PostgreSQL's
"integer out of range" with the SQL statement)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from cxmaturity import cli
from cxmaturity.settings import get_settings
from tests.support.site import postgres_schema

DATA = Path(__file__).parent / "data"
TOO_BIG = str(2**31)  # one past the largest id: PostgreSQL refuses it, SQLite would only find nothing
HUGE = str(10**20)  # past 64 bits: SQLite's driver cannot even bind it
runner = CliRunner()


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    for name in ("CXM_DATABASE_URL", "CXM_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()


def cxm(*args: str | Path) -> Result:
    return runner.invoke(cli.app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database, empty."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'cxm.db'}"
        assert cxm("db", "upgrade", "--db", url).exit_code == 0
        yield url
        return
    with postgres_schema("cxm_cli_ids") as url:
        assert cxm("db", "upgrade", "--db", url).exit_code == 0
        yield url


@pytest.mark.parametrize("number", [TOO_BIG, HUGE])
@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("export", "{n}", "--out", "{tmp}/x.xlsx"), "'assessment_id'"),
        (("benchmark", "show", "{n}"), "'assessment_id'"),
        (("benchmark", "import", "{data}/example.yaml", "--organization", "{n}"), "'--organization'"),
        (
            ("outcomes", "import", "{data}/outcomes/qualtrics.csv", "--organization", "{n}", "--email", "a@b.c"),
            "'--organization'",
        ),
        (("compare", "{n}", "1", "-f", "example-model"), "BEFORE: {n} is not an assessment id"),
        (("report", "{n}", "--format", "html", "--out", "{tmp}/r.html"), "ASSESSMENT_OR_ANSWERS: {n} is not an"),
    ],
)
def test_an_id_past_the_databases_range_is_refused_naming_the_argument(
    db: str, tmp_path: Path, number: str, args: tuple[str, ...], named: str
) -> None:
    filled = [a.format(n=number, tmp=tmp_path, data=DATA) for a in args]
    result = cxm(*filled, "--db", db)
    assert result.exit_code in (1, 2), result.output
    assert named.format(n=number) in result.output
