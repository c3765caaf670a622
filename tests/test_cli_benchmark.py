"""``cxm benchmark`` on real SQLite files: show a cohort, export it, import it into another installation, refresh,
attach a reference distribution; every refusal is one clear line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from cxmaturity import cli
from cxmaturity.settings import get_settings
from cxmaturity.storage.database import make_engine, make_sessionmaker, transaction, upgrade
from tests.support.benchmarks import Peer, add_peer, framework_text

K = 5
runner = CliRunner()


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    for name in ("CXM_DATABASE_URL", "CXM_BENCHMARK_MIN_COHORT", "CXM_INSTALLATION_NAME", "CXM_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()


def cxm(*args: str | int | Path) -> Result:
    return runner.invoke(cli.app, [str(a) for a in args], catch_exceptions=False)


def installation(path: Path, peers: int, text: str) -> list[Peer]:
    """A SQLite installation with ``peers`` organizations sharing results of one framework."""
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(url, engine)
    try:
        with transaction(make_sessionmaker(engine)) as db:
            return [add_peer(db, text, seed=s) for s in range(peers)]
    finally:
        engine.dispose()


def framework_id(text: str) -> str:
    return text.split("id: ", 1)[1].split("\n", 1)[0]


def test_it_shows_a_cohort_as_a_table_and_as_json(tmp_path: Path) -> None:
    db = tmp_path / "cx.db"
    text = framework_text()
    peers = installation(db, K + 1, text)
    table = cxm("benchmark", "show", peers[0].assessment_id, "--db", db)
    assert table.exit_code == 0, table.output
    assert f"against all organizations ({K} other organizations, release 1" in table.output
    assert "position" in table.output
    shown = cxm("benchmark", "show", peers[0].assessment_id, "--format", "json", "--region", "Europe", "--db", db)
    body = json.loads(shown.stdout)
    assert body["shown"] is True
    assert body["cohort"]["region"] == "Europe"
    assert body["competencies"][0]["cohort"]["n"] == K


def test_it_shows_nothing_with_fewer_than_k_others(tmp_path: Path) -> None:
    db = tmp_path / "cx.db"
    peers = installation(db, K, framework_text())
    shown = cxm("benchmark", "show", peers[0].assessment_id, "--db", db)
    assert shown.exit_code == 0
    assert "Fewer than 5 other organizations" in shown.output
    refused = cxm(
        "benchmark", "export", "--framework", framework_id(framework_text()), "--out", tmp_path / "x.json", "--db", db
    )
    assert refused.exit_code == 1
    assert cxm("benchmark", "show", 9999, "--db", db).output.strip() == "cxm benchmark show: no assessment 9999"


def test_a_dataset_travels_to_another_installation_with_its_source_and_date(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = framework_text()
    here, there = tmp_path / "here.db", tmp_path / "there.db"
    installation(here, K + 2, text)
    monkeypatch.setenv("CXM_INSTALLATION_NAME", "Example Consulting")
    out = tmp_path / "peers.json"
    exported = cxm("benchmark", "export", "--framework", framework_id(text), "--out", out, "--db", here)
    assert exported.exit_code == 0, exported.output
    data = json.loads(out.read_text())
    assert data["source"] == "Example Consulting"
    assert data["organizations"] == K + 2
    assert "Peer" not in out.read_text()  # no organization names

    (lonely,) = installation(there, 1, text)
    imported = cxm("benchmark", "import", out, "--db", there)
    assert imported.exit_code == 0, imported.output
    label = f"Imported: Example Consulting, {data['date']}"
    assert imported.stdout.startswith(f"{label} (all organizations, {K + 2} organizations) for the whole installation")
    shown = cxm("benchmark", "show", lonely.assessment_id, "--db", there)
    assert f"{label}: all organizations, {K + 2} organizations, overall median" in shown.output
    again = cxm("benchmark", "import", out, "--db", there)
    assert again.exit_code == 1
    assert "is already imported" in again.output


def test_an_import_names_each_problem_and_keeps_nothing(tmp_path: Path) -> None:
    db = tmp_path / "cx.db"
    installation(db, 1, framework_text())
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "cx-maturity/benchmark-dataset@1", "organizations": 1, "names": ["Acme"]}))
    refused = cxm("benchmark", "import", bad, "--db", db)
    assert refused.exit_code == 1
    lines = refused.output.splitlines()
    assert lines[0] == f"cxm benchmark import: {bad.name} is not a benchmark dataset; nothing was imported"
    assert f"{bad.name}: names: unknown field (benchmark files hold aggregates and citations only)" in lines
    assert any(
        line.startswith(f"{bad.name}: organizations: Input should be greater than or equal to 3") for line in lines
    )


def test_a_dataset_that_is_not_utf8_is_named_with_its_byte_and_line(tmp_path: Path) -> None:
    # Saved as "Unicode" by a Windows editor (UTF-16): it was refused with Python's codec message.
    bad = tmp_path / "peers.json"
    bad.write_bytes('{"format": "cx-maturity/benchmark-dataset@1"}'.encode("utf-16"))
    refused = cxm("benchmark", "import", bad, "--db", tmp_path / "cx.db")
    assert refused.exit_code == 1
    assert refused.output.splitlines() == [
        f"{bad}: file is not UTF-8: byte 0xFF on line 1 cannot be read; save the file as UTF-8"
    ]


def test_refresh_stores_results_again_and_reference_distributions_attach_with_their_citation(tmp_path: Path) -> None:
    db = tmp_path / "cx.db"
    text = framework_text()
    peers = installation(db, K + 1, text)
    refreshed = cxm("benchmark", "refresh", "--framework", framework_id(text), "--db", db)
    assert refreshed.exit_code == 0, refreshed.output
    assert refreshed.stdout.splitlines()[0] == f"stored the results of {K + 1} closed assessments"
    reference = tmp_path / "study.yaml"
    reference.write_text(
        "format: cx-maturity/reference-distribution@1\n"
        f"framework: {framework_id(text)}\ntitle: A study\ncitation: Someone, A study, Journal 2020.\nyear: 2020\n"
        "sample: 10 firms\nshares: {emerging: 0.5, learning: 0.3, committing: 0.2}\n"
    )
    attached = cxm("benchmark", "reference", reference, "--db", db)
    assert attached.exit_code == 0, attached.output
    shown = cxm("benchmark", "show", peers[0].assessment_id, "--db", db)
    assert "Published: A study (2020): emerging 50%, learning 30%, committing 20%." in shown.output
    reference.write_text("format: cx-maturity/reference-distribution@1\nframework: x\n")
    refused = cxm("benchmark", "reference", reference, "--db", db)
    assert refused.exit_code == 1
    assert "study.yaml: title: Field required" in refused.output


def test_it_refuses_a_minimum_cohort_below_three(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "cx.db"
    peers = installation(db, 1, framework_text())
    monkeypatch.setenv("CXM_BENCHMARK_MIN_COHORT", "2")
    refused = cxm("benchmark", "show", peers[0].assessment_id, "--db", db)
    assert refused.exit_code == 1
    assert refused.output.startswith(
        "cxm benchmark show: CXM_BENCHMARK_MIN_COHORT: the minimum benchmark cohort must be at least 3 organizations"
    )
