"""``cxm export`` on a real SQLite file with SYNTHETIC answers, and ``cxm score`` reading the export back."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner, Result

from cxmaturity import cli
from cxmaturity.demo import SYNTHETIC_LABEL, demo_responses
from cxmaturity.frameworks import load_builtin
from cxmaturity.scoring.serialize import result_to_dict
from cxmaturity.services import accounts, assessments, organizations, results
from cxmaturity.services.access import Actor
from cxmaturity.settings import get_settings
from cxmaturity.storage.database import make_engine, make_sessionmaker, transaction
from cxmaturity.storage.tables import Assessment

#: Big and Mid are shown; Tiny (2) and Solo (1) are withheld, three people who hide among each other.
GROUPS = (("Big", 0.3, 6), ("Mid", 0.0, 4), ("Tiny", -0.3, 2), ("Solo", 0.1, 1))
runner = CliRunner()


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    for name in ("CXM_DATABASE_URL", "CXM_DEMO", "CXM_SECRET_KEY", "CXM_BASE_URL", "CXM_COOKIE_SECURE", "CXM_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()


def cxm(*args: str | int | Path) -> Result:
    return runner.invoke(cli.app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def stored(tmp_path: Path) -> tuple[Path, int]:
    """A migrated database with one SYNTHETIC assessment of 13 respondents in four groups."""
    db = tmp_path / "cxm.db"
    assert cxm("db", "upgrade", "--db", db).exit_code == 0
    engine = make_engine(f"sqlite:///{db}")
    fw = load_builtin("xm-six-competencies")
    with transaction(make_sessionmaker(engine)) as session:
        user = accounts.sign_up(session, "facilitator@example.com", "a long enough password", "Facilitator")
        org = organizations.create(session, Actor(user.id), "Export Org")
        assessment = assessments.create(
            session,
            Actor(user.id),
            org.id,
            "Export test",
            "builtin:xm-six-competencies",
            groups=[name for name, _, _ in GROUPS],
            synthetic=True,
        )
        session.flush()
        group_ids = {g.name: g.id for g in assessments.groups(session, assessment.id)}
        assessments.store_responses(session, assessment, demo_responses(fw, seed=5, groups=GROUPS), group_ids)
        assessment_id = assessment.id
    engine.dispose()
    return db, assessment_id


def _stored_result(db: Path, assessment_id: int) -> dict[str, Any]:
    engine = make_engine(f"sqlite:///{db}")
    with make_sessionmaker(engine)() as session:
        assessment = session.get(Assessment, assessment_id)
        assert assessment is not None
        data = result_to_dict(results.score_now(session, assessment, bootstrap=0).result)
    engine.dispose()
    return data


@pytest.mark.parametrize(("fmt", "language"), [("csv", None), ("xlsx", None), ("csv", "de"), ("xlsx", "es")])
def test_it_exports_answers_that_cxm_score_reads_back(
    stored: tuple[Path, int], tmp_path: Path, fmt: str, language: str | None
) -> None:
    """Also with the headers in German or Spanish (``--language``): cxm score reads the translated names back."""
    db, assessment_id = stored
    out = tmp_path / f"answers.{fmt}"
    asked = ("--language", language) if language else ()
    exported = cxm("export", assessment_id, "--table", "answers", "--format", fmt, *asked, "--out", out, "--db", db)
    assert exported.exit_code == 0, exported.output
    if fmt == "xlsx":
        assert load_workbook(out).sheetnames[0] == ("Respuestas" if language == "es" else "answers")
    else:
        header = out.read_text(encoding="utf-8-sig").splitlines()[0]
        assert header.startswith("Befragte Person,Gruppe," if language == "de" else "respondent,group,")
    assert SYNTHETIC_LABEL in exported.stderr
    assert f"answers of assessment {assessment_id} as {fmt}" in exported.stderr
    scored = cxm(
        "score", out, "-f", "xm-six-competencies", "--bootstrap", "0", "--seed", assessment_id, "--format", "json"
    )
    assert scored.exit_code == 0, scored.output
    after, before = json.loads(scored.stdout), _stored_result(db, assessment_id)
    assert before["withheld_groups"] == 2
    assert after["withheld_groups"] == 0  # Tiny and Solo come back without a group
    # The stored assessment is all imported rows (its groups counted by them); a file scored here counts every row.
    assert (before["groups_counted"], after["groups_counted"]) == ("imported", "independent")
    ignored = ("withheld_groups", "groups_counted")
    assert {k: v for k, v in after.items() if k not in ignored} == {k: v for k, v in before.items() if k not in ignored}
    assert [g["group"] for g in after["groups"]] == ["Big", "Mid"]


def test_it_exports_everything_as_a_workbook_by_default(stored: tuple[Path, int], tmp_path: Path) -> None:
    db, assessment_id = stored
    out = tmp_path / "all.xlsx"
    assert cxm("export", assessment_id, "--out", out, "--db", db).exit_code == 0
    book = load_workbook(out)
    assert book.sheetnames == [
        "answers",
        "comments",
        "overall",
        "competencies",
        "tracks",
        "indicators",
        "distributions",
        "groups",
        "about",
    ]
    assert {row[1].value for row in book["answers"].iter_rows(min_row=2)} == {"Big", "Mid", None}
    zipped = tmp_path / "results.zip"
    zip_args = ("--table", "results", "--format", "zip", "--out", zipped, "--db", db)
    assert cxm("export", assessment_id, *zip_args).exit_code == 0
    with zipfile.ZipFile(io.BytesIO(zipped.read_bytes())) as archive:
        assert "competencies.csv" in archive.namelist()


def test_it_explains_what_it_cannot_do(stored: tuple[Path, int], tmp_path: Path) -> None:
    db, assessment_id = stored
    out = tmp_path / "x.csv"
    cases = [
        (
            ("export", assessment_id, "--table", "results", "--format", "csv", "--out", out, "--db", db),
            "cxm export: the results export has 6 tables and a CSV file holds one: ask for results.zip",
        ),
        (
            ("export", 999, "--table", "answers", "--format", "csv", "--out", out, "--db", db),
            "cxm export: there is no assessment 999 in this database",
        ),
        (
            ("export", assessment_id, "--table", "plan", "--format", "csv", "--out", out, "--db", db),
            "cxm export: this assessment has no saved plan yet",
        ),
        (
            ("export", assessment_id, "--out", out, "--db", tmp_path / "new.db"),
            "cxm export: the database",
        ),
        (
            ("export", assessment_id, "--format", "json", "--out", tmp_path / "no" / "dir.json", "--db", db),
            "cannot write",
        ),
    ]
    for args, message in cases:
        result = cxm(*args)
        assert result.exit_code == 1, (args, result.output)
        assert message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.output
    assert not out.exists()
    bad = cxm("export", assessment_id, "--table", "everything", "--out", out, "--db", db)
    assert bad.exit_code == 2
    assert "'everything' is not one of" in bad.output
