"""``cxm compare``: answers files and stored assessments, JSON and table output, a framework's new version, and bad
input (a missing file, an unknown id, different frameworks) as one line on stderr with exit status 1."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner, Result

from cxmaturity.cli import app
from cxmaturity.frameworks import Framework
from cxmaturity.scoring import ResponseMatrix
from cxmaturity.services import accounts, assessments, organizations
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import make_engine, make_sessionmaker, transaction, upgrade
from cxmaturity.storage.tables import Assessment
from tests.progress.support import FW, edited, team

KEYS = ["lead", "realize", "activate", "enlighten", "respond", "disrupt"]


def _run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def _csv(path: Path, fw: Framework, matrix: ResponseMatrix) -> Path:
    """Write answers in wide form: one respondent per row, one column per indicator key."""
    lines = [",".join(["respondent", "group", *fw.indicator_keys])]
    for r in range(matrix.size):
        cells = [fw.answer_keys(ind)[int(matrix.answers[r, i])] for i, (_, ind) in enumerate(fw.indicators)]
        lines.append(",".join([f"r{r}", "", *cells]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("compare")
    return {
        "low": _csv(folder / "2025.csv", FW, team(FW, 20, 0.3, seed=1)),
        "high": _csv(folder / "2026.csv", FW, team(FW, 20, 0.8, seed=2)),
        "same": _csv(folder / "2026-same.csv", FW, team(FW, 20, 0.3, seed=3)),
    }


def test_it_compares_two_answers_files_as_json(files: dict[str, Path]) -> None:
    result = _run(
        "compare", "--framework", "xm-six-competencies", str(files["low"]), str(files["high"]), "--format", "json"
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [c["key"] for c in data["competencies"]] == KEYS
    for c in data["competencies"]:
        assert c["before"]["stage"] in FW.stage_keys
        assert isinstance(c["before"]["score"], float)
        assert c["after"]["score"] > c["before"]["score"]
        assert c["verdict"] == "improved"
    assert data["overall"]["verdict"] == "improved"
    assert (data["before"]["label"], data["after"]["label"]) == ("2025.csv", "2026.csv")
    # Answers files carry no day: no velocity, and the output says so.
    assert all(t["velocity"] is None for t in data["targets"])
    assert "Without both assessments' days there is no velocity or forecast." in data["review_notes"]


def test_it_swaps_the_verdicts_when_the_files_are_swapped(files: dict[str, Path]) -> None:
    result = _run("compare", "-f", "xm-six-competencies", str(files["high"]), str(files["low"]), "--format", "json")
    assert {c["verdict"] for c in json.loads(result.stdout)["competencies"]} == {"declined"}


def test_it_finds_no_clear_change_between_two_draws_of_one_team(files: dict[str, Path]) -> None:
    result = _run("compare", "-f", "xm-six-competencies", str(files["low"]), str(files["same"]), "--format", "json")
    verdicts = [c["verdict"] for c in json.loads(result.stdout)["competencies"]]
    assert verdicts.count("no clear change") >= 5


def test_it_prints_a_table(files: dict[str, Path], tmp_path: Path) -> None:
    result = _run("compare", "-f", "xm-six-competencies", str(files["low"]), str(files["high"]))
    assert result.exit_code == 0
    assert "improved" in result.stdout
    assert "Compared 6 of 6 competencies." in result.stdout
    out = tmp_path / "comparison.txt"
    assert (
        _run("compare", "-f", "xm-six-competencies", str(files["low"]), str(files["high"]), "--out", str(out)).exit_code
        == 0
    )
    assert "Overall" in out.read_text(encoding="utf-8")


def test_its_table_names_competencies_and_stages_not_keys(files: dict[str, Path]) -> None:
    result = _run("compare", "-f", "xm-six-competencies", str(files["low"]), str(files["high"]))
    assert result.exit_code == 0
    for comp in FW.competencies:
        assert FW.text(comp.name) in result.stdout
    rows = [line for line in result.stdout.splitlines() if "│" in line]
    cells = {cell.strip().split(" ")[0] for line in rows for cell in line.split("│")}
    assert not cells & set(KEYS), "a row is labelled by a competency key"
    assert not cells & set(FW.stage_keys), "a cell shows a stage key"


def test_it_names_a_missing_file_and_exits_1(files: dict[str, Path], tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.csv"
    result = _run("compare", "-f", "xm-six-competencies", str(files["low"]), str(missing))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert str(missing) in result.stderr
    assert "no such file" in result.stderr


def test_it_compares_with_a_new_framework_version(files: dict[str, Path], tmp_path: Path) -> None:
    def version_2(data: dict[str, Any]) -> None:
        data["version"] = "2.0"
        lead = next(c for c in data["competencies"] if c["key"] == "lead")
        lead["indicators"][0]["text"] = "Our leaders ask about customers in every management meeting."
        activate = next(c for c in data["competencies"] if c["key"] == "activate")
        for ind in activate["indicators"][:3]:
            if ind["kind"] == "statement":
                ind["scale"] = "practice4" if ind["scale"] == "agree5" else "agree5"

    v2 = edited(FW, version_2)
    path = tmp_path / "v2.yaml"
    path.write_text(yaml.safe_dump(v2.model_dump(mode="json", exclude_none=True), sort_keys=False), encoding="utf-8")
    later = _csv(tmp_path / "2026-v2.csv", v2, team(v2, 20, 0.8, seed=4))
    result = _run(
        "compare",
        "-f",
        "xm-six-competencies",
        "--after-framework",
        str(path),
        str(files["low"]),
        str(later),
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    verdicts = {c["key"]: c["verdict"] for c in data["competencies"]}
    assert verdicts["activate"] == "not comparable"
    assert verdicts["lead"] == "improved"
    assert data["overall"]["verdict"] == "not comparable"
    assert "The framework changed from version 1.0 to 2.0." in data["notes"]
    changed = {c["key"]: c["changes"] for c in data["framework_changes"]["changed"]}
    assert changed[FW.competency("lead").indicators[0].key] == ["text"]


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A SQLite database with two closed assessments of one organization, a year apart."""
    path = tmp_path_factory.mktemp("db") / "cxm.db"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(url, engine)
    ids = []
    with transaction(make_sessionmaker(engine)) as db:
        user = accounts.sign_up(db, "cli-compare@example.com", "correct horse battery staple", "CLI")
        actor = Actor(user.id)
        org = organizations.create(db, actor, "CLI org")
        for level, seed, year in ((0.3, 1, 2025), (0.8, 2, 2026)):
            created = assessments.create(db, actor, org.id, f"Round {year}", "builtin:xm-six-competencies")
            db.flush()
            assessments.store_responses(db, created, team(FW, 15, level, seed=seed), {})
            row = db.get(Assessment, created.id)
            assert row is not None
            row.status, row.closed_at = "closed", datetime(year, 3, 1, tzinfo=UTC)
            ids.append(created.id)
    engine.dispose()
    return {"db": str(path), "ids": ids}


def test_it_compares_stored_assessments(stored: dict[str, Any], files: dict[str, Path]) -> None:
    first, second = (str(i) for i in stored["ids"])
    result = _run("compare", "-f", "xm-six-competencies", "--db", stored["db"], first, second, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["before"]["day"], data["after"]["day"]) == ("2025-03-01", "2026-03-01")
    assert {c["verdict"] for c in data["competencies"]} == {"improved"}
    assert all(t["velocity"] is not None for t in data["targets"])
    # A stored assessment and an answers file mix.
    mixed = _run(
        "compare", "-f", "xm-six-competencies", "--db", stored["db"], str(files["low"]), second, "--format", "json"
    )
    assert mixed.exit_code == 0, mixed.output


def test_it_refuses_two_stored_assessments_given_the_wrong_way_round(stored: dict[str, Any]) -> None:
    """As the API does: read from the later to the earlier, every rise would read as a decline."""
    first, second = (str(i) for i in stored["ids"])
    backwards = _run("compare", "-f", "xm-six-competencies", "--db", stored["db"], second, first)
    assert backwards.exit_code == 1
    assert f"AFTER ({first}, 2025-03-01) is earlier than BEFORE ({second}, 2026-03-01)" in backwards.stderr
    assert "give the earlier assessment first" in backwards.stderr


def test_it_refuses_an_unknown_id_or_another_framework(stored: dict[str, Any], files: dict[str, Path]) -> None:
    first = str(stored["ids"][0])
    unknown = _run("compare", "-f", "xm-six-competencies", "--db", stored["db"], first, "999999")
    assert unknown.exit_code == 1
    assert "AFTER: there is no assessment 999999 in this database" in unknown.stderr
    other = _run("compare", "-f", "four-competencies", "--db", stored["db"], first, str(files["low"]))
    assert other.exit_code == 1
    assert "BEFORE: assessment" in other.stderr
    assert "uses the framework xm-six-competencies, not four-competencies" in other.stderr
