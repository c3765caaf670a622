"""`cxm db`, `cxm tokens`, `cxm serve` and `cxm demo --no-serve` on real SQLite files."""

from __future__ import annotations

import secrets
from pathlib import Path

import httpx
import pytest
from bench.servers import serve
from typer.testing import CliRunner

from cxmaturity import cli
from cxmaturity.services import accounts
from cxmaturity.settings import get_settings
from cxmaturity.storage.database import (
    UnsupportedDatabase,
    head_revision,
    make_engine,
    make_sessionmaker,
    transaction,
)

runner = CliRunner()


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # The commands export CXM_* variables for their workers; keep them out of other tests.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    for name in ("CXM_DATABASE_URL", "CXM_DEMO", "CXM_SECRET_KEY", "CXM_BASE_URL", "CXM_COOKIE_SECURE"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()


def test_it_migrates_and_reports_the_revision(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    status = runner.invoke(cli.app, ["db", "status", "--db", str(db)])
    assert status.exit_code == 1
    assert "revision none" in status.output
    upgrade = runner.invoke(cli.app, ["db", "upgrade", "--db", str(db)])
    assert upgrade.exit_code == 0, upgrade.output
    head = head_revision()
    assert f"at revision {head}" in upgrade.output
    again = runner.invoke(cli.app, ["db", "status", "--db", str(db)])
    assert again.exit_code == 0
    assert f"revision {head} (code needs {head})" in again.output


@pytest.mark.parametrize(
    ("url", "said"),
    [
        (
            "mysql://cx:hunter2@db/cx",
            "mysql://cx:***@db/cx: cx-maturity runs on SQLite (a file path, or sqlite:///PATH) "
            "and PostgreSQL (postgresql://USER@HOST/NAME), not on mysql through mysqldb",
        ),
        ("postgresql+psycopg2://db/cx", "not on postgresql through psycopg2"),
        ("http://db/cx", "not a database URL; cx-maturity runs on SQLite"),
    ],
)
def test_it_names_a_database_it_cannot_run_on(url: str, said: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Each ended in "cxm: unexpected error: ModuleNotFoundError: No module named 'MySQLdb'" (or the like), exit 70.
    for command in (["db", "upgrade", "--db", url], ["db", "status", "--db", url], ["serve", "--db", url]):
        result = runner.invoke(cli.app, command, catch_exceptions=False)
        assert result.exit_code == 1, result.output
        assert result.output.startswith("--db: ")
        assert said in result.output
    monkeypatch.setenv("CXM_DATABASE_URL", url)
    get_settings.cache_clear()
    result = runner.invoke(cli.app, ["db", "status"], catch_exceptions=False)
    assert result.exit_code == 1, result.output
    assert result.output.startswith("CXM_DATABASE_URL: ")
    with pytest.raises(UnsupportedDatabase):
        make_engine(url)  # the web app and the worker refuse it as well, before looking for a driver


def test_it_refuses_to_serve_an_unmigrated_database(tmp_path: Path) -> None:
    result = runner.invoke(cli.app, ["serve", "--db", str(tmp_path / "new.db")])
    assert result.exit_code == 1
    assert "has never been migrated; run `cxm db upgrade`" in result.output


def test_it_refuses_to_serve_without_a_real_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "b.db"
    assert runner.invoke(cli.app, ["db", "upgrade", "--db", str(db)]).exit_code == 0
    monkeypatch.setenv("CXM_SECRET_KEY", "change-me")
    result = runner.invoke(cli.app, ["serve", "--db", str(db)])
    assert result.exit_code == 1
    assert "CXM_SECRET_KEY is missing or a placeholder" in result.output


def test_it_creates_an_api_token_for_an_account(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    assert runner.invoke(cli.app, ["db", "upgrade", "--db", str(db)]).exit_code == 0
    engine = make_engine(f"sqlite:///{db}")
    with transaction(make_sessionmaker(engine)) as session:
        accounts.sign_up(session, "someone@example.com", "a long enough password")
    result = runner.invoke(cli.app, ["tokens", "create", "--email", "Someone@Example.com", "--db", str(db)])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert token.startswith("cxm_")
    with transaction(make_sessionmaker(engine)) as session:
        user = accounts.user_for_api_token(session, token)
        assert user is not None
        assert user.email == "someone@example.com"
    engine.dispose()
    missing = runner.invoke(cli.app, ["tokens", "create", "--email", "nobody@example.com", "--db", str(db)])
    assert missing.exit_code == 1
    assert "no account with e-mail nobody@example.com" in missing.output


def test_it_seeds_the_demo_database_and_reuses_it(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    first = runner.invoke(cli.app, ["demo", "--no-serve", "--db", str(db)])
    assert first.exit_code == 0, first.output
    assert "SYNTHETIC" in first.output
    assert "sign in as:      facilitator@demo.example" in first.output
    second = runner.invoke(cli.app, ["demo", "--no-serve", "--db", str(db)])
    assert second.exit_code == 0, second.output
    password = second.output.split("password:")[1].split()[0]
    engine = make_engine(f"sqlite:///{db}")
    with transaction(make_sessionmaker(engine)) as session:
        assert accounts.authenticate(session, "facilitator@demo.example", password) is not None
    engine.dispose()
    assert first.output.split("results:")[1].split()[0] == second.output.split("results:")[1].split()[0]


def test_served_limits_ignore_a_forwarded_address_from_an_untrusted_peer(tmp_path: Path) -> None:
    # Finding 5 of issue 12: `cxm serve` believed X-Forwarded-For from any local peer, so a client that sent a new
    # address with every request never reached a per-address limit.
    db = tmp_path / "served.db"
    assert runner.invoke(cli.app, ["db", "upgrade", "--db", str(db)]).exit_code == 0
    server = serve(str(db), 1, tmp_path / "serve.log", {"CXM_LINK_MAX_FAILURES": "3", "CXM_COOKIE_SECURE": "false"})
    try:
        statuses = [
            httpx.get(
                f"{server.url}/r/{secrets.token_urlsafe(16)}", headers={"X-Forwarded-For": f"203.0.113.{n}"}
            ).status_code
            for n in range(5)
        ]
    finally:
        server.stop()
    assert statuses == [404, 404, 429, 429, 429]


def test_the_server_log_never_holds_a_respondents_link_or_a_sign_in_code(tmp_path: Path) -> None:
    # An invitation's token is its respondent's only key and the database keeps only its digest; uvicorn's access
    # log wrote every respondent's link in full, one line per page they opened (and sign-in codes from the provider).
    db = tmp_path / "logged.db"
    assert runner.invoke(cli.app, ["db", "upgrade", "--db", str(db)]).exit_code == 0
    server = serve(str(db), 1, tmp_path / "serve.log", {"CXM_COOKIE_SECURE": "false"}, access_log=True)
    secrets_sent = [secrets.token_urlsafe(16) for _ in range(4)]
    try:
        httpx.get(f"{server.url}/r/{secrets_sent[0]}/p/1")
        httpx.get(f"{server.url}/api/v1/respond/{secrets_sent[1]}")
        httpx.get(f"{server.url}/join/{secrets_sent[2]}")
        httpx.get(f"{server.url}/sso/callback?state=x&code={secrets_sent[3]}")
    finally:
        server.stop()
    log = server.log_text()
    assert '"GET /r/…/p/1 HTTP/1.1" 404' in log  # the access log is there, without the token
    assert "/api/v1/respond/…" in log
    assert [s for s in secrets_sent if s in log] == []


def test_serve_holds_more_idle_connections_than_the_usual_soft_limit_of_open_files(tmp_path: Path) -> None:
    # Issue 12: many more slow clients than 200. Under a soft limit of 1,024 open files, 1,100 idle connections took
    # every descriptor and /healthz failed; `cxm serve` now raises its soft limit to the hard one.
    import asyncio
    import resource
    from concurrent.futures import ThreadPoolExecutor

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 2048:
        pytest.skip(f"the hard limit of open files here is {hard}")
    url = f"sqlite:///{tmp_path / 'cxm.db'}"
    assert runner.invoke(cli.app, ["db", "upgrade", "--db", url]).exit_code == 0
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, hard))  # what the server inherits
    try:
        server = serve(url, 1, tmp_path / "serve.log")
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    host, port = server.url.removeprefix("http://").rsplit(":", 1)

    async def crowd() -> list[int]:
        held = [await asyncio.open_connection(host, int(port)) for _ in range(1100)]
        await asyncio.sleep(1.0)
        try:
            async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
                return [(await client.get("/healthz")).status_code for _ in range(3)]
        finally:
            for _, writer in held:
                writer.close()

    try:
        # On a thread of its own: a browser test earlier in the session may leave an event loop running on this one.
        with ThreadPoolExecutor(max_workers=1) as pool:
            statuses = pool.submit(lambda: asyncio.run(crowd())).result()
    finally:
        server.stop()
    assert statuses == [200, 200, 200]
