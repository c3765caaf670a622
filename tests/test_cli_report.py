"""``cxm report``: the executive report of an answers file or of a stored assessment, as HTML or PDF; clean errors."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from cxmaturity.cli import app
from cxmaturity.demo import SYNTHETIC_LABEL, demo_responses
from cxmaturity.demo_site import DEMO_ORGANIZATION, DemoSite
from cxmaturity.frameworks import load_builtin
from cxmaturity.reporting.render_pptx import AS_SURVEYED
from cxmaturity.scoring.responses import DONT_KNOW_CODE, NOT_APPLICABLE_CODE
from cxmaturity.storage.database import make_engine, make_sessionmaker
from tests.reporting import pdf_tools, pptx_tools
from tests.support.demo import copy_demo

FW = load_builtin("four-competencies")


def cxm(*args: str | Path) -> Result:
    runner = CliRunner(env={"COLUMNS": "200", "CXM_DEBUG": None})
    return runner.invoke(app, [str(arg) for arg in args], catch_exceptions=False)


def failed(result: Result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    return result.stderr


@pytest.fixture(autouse=True)
def _own_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """`--db` becomes the process's CXM_DATABASE_URL (for server workers); keep that out of other tests."""
    monkeypatch.setenv("CXM_DATABASE_URL", "")


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The SYNTHETIC demo answers of the four-competencies framework as a wide CSV file."""
    matrix = demo_responses(FW)
    path = tmp_path_factory.mktemp("answers") / "team-answers.csv"
    special = {DONT_KNOW_CODE: "dk", NOT_APPLICABLE_CODE: "na"}
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["respondent", "group", *FW.indicator_keys])
        for row, (respondent, group) in enumerate(zip(matrix.respondents, matrix.groups, strict=True)):
            cells = []
            for column, (_, indicator) in enumerate(FW.indicators):
                code = int(matrix.answers[row, column])
                cells.append(FW.answer_keys(indicator)[code] if code >= 0 else special.get(code, ""))
            writer.writerow([respondent, group, *cells])
    return path


@pytest.fixture(scope="module")
def database(seeded_demo: tuple[Path, DemoSite], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """A SQLite database with the web demo's closed SYNTHETIC assessment; returns its path and the assessment id."""
    path = tmp_path_factory.mktemp("db") / "cxm.db"
    _, site = copy_demo(seeded_demo, path)
    return path, site.closed_assessment_id


def test_it_writes_an_html_report_of_an_answers_file(answers: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = cxm("report", answers, "--framework", FW.id, "--format", "html", "--out", out, "--organization", "Acme")
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "<h1>team-answers</h1>" in html
    assert '<p class="organization">Acme</p>' in html
    for comp in FW.competencies:
        assert FW.text(comp.name) in html
    assert "<script" not in html
    assert f"{out}: html report of team-answers" in result.stderr


def test_it_writes_a_letter_pdf_with_title_targets_and_group_size(answers: Path, tmp_path: Path) -> None:
    targets = tmp_path / "targets.csv"
    targets.write_text(f"competency,target\n{FW.competencies[0].key},{FW.stages[-1].key}\n", encoding="utf-8")
    out = tmp_path / "report.pdf"
    result = cxm(
        "report",
        answers,
        "-f",
        FW.id,
        "--format",
        "pdf",
        "--paper",
        "letter",
        "--out",
        out,
        "--title",
        "Team check",
        "--targets",
        targets,
        "--min-group-size",
        "7",
    )
    assert result.exit_code == 0, result.output
    assert pdf_tools.info(out).size == pytest.approx((612.0, 792.0), abs=0.5)
    text = pdf_tools.text(out)
    assert "Team check" in text
    assert f"target {FW.text(FW.stages[-1].name)}" in text
    # Demo groups have 5, 6 and 7 members: with a minimum of 7 only the front line is shown.
    assert "2 groups withheld" in text
    assert "Leadership team" not in text
    assert "Front line" in text


def test_it_writes_the_report_of_a_stored_assessment(database: tuple[Path, int], tmp_path: Path) -> None:
    path, assessment_id = database
    out = tmp_path / "stored.pdf"
    result = cxm("report", str(assessment_id), "--db", path, "--format", "pdf", "--out", out)
    assert result.exit_code == 0, result.output
    assert SYNTHETIC_LABEL in result.stderr
    text = pdf_tools.text(out)
    assert DEMO_ORGANIZATION in text
    assert "SYNTHETIC" in text
    assert pdf_tools.info(out).size == pytest.approx((595.28, 841.89), abs=0.5)


def test_it_writes_executive_slides_of_a_stored_assessment(database: tuple[Path, int], tmp_path: Path) -> None:
    path, assessment_id = database
    out = tmp_path / "stored.pptx"
    result = cxm("report", str(assessment_id), "--db", path, "--format", "pptx", "--out", out)
    assert result.exit_code == 0, result.output
    assert f"{out}: pptx report of" in result.stderr
    slides = pptx_tools.read(out.read_bytes())
    titles = pptx_tools.titles(slides)
    assert titles[1] == "Executive summary"
    assert DEMO_ORGANIZATION in slides[0].all_text
    # The demo's workshop agreed answers: the results slides say they show the result as surveyed, and a slide
    # sets it beside the result as agreed.
    assert AS_SURVEYED in slides[1].all_text
    agreed = next(s for s in slides if s.title == "Workshop: as surveyed and as agreed")
    assert agreed.tables[0][0] == ("Competency", "As surveyed", "As agreed")
    assert any(p.name == "chart-radar" for s in slides for p in s.pictures)


def test_the_operators_report_has_the_outcomes_section_of_the_web_report(
    database: tuple[Path, int], tmp_path: Path
) -> None:
    path, assessment_id = database
    out = tmp_path / "stored.html"
    result = cxm("report", str(assessment_id), "--db", path, "--format", "html", "--out", out)
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    # The demo holds SYNTHETIC outcomes: the section, its label and its charts, as a member's report has them.
    section = html.split('<section id="outcomes"', 1)[1].split("</section>", 1)[0]
    assert "SYNTHETIC demo data: invented customer outcomes" in section
    assert 'data-chart="chart-scorecard-maturity"><svg role="img"' in section
    assert 'data-chart="chart-scorecard-nps"><svg role="img"' in section
    assert '<a href="#outcomes">Customer outcomes</a>' in html


def test_the_operator_reads_as_a_viewer_and_may_change_nothing(database: tuple[Path, int]) -> None:
    from cxmaturity.services import access
    from cxmaturity.services.errors import Forbidden, NotFound
    from cxmaturity.storage.tables import Assessment

    path, assessment_id = database
    engine = make_engine(f"sqlite:///{path}")
    try:
        with make_sessionmaker(engine)() as db:
            org = db.get(Assessment, assessment_id).organization_id  # type: ignore[union-attr]
            assert access.require_role(db, access.OPERATOR, org, "viewer") == "viewer"
            with pytest.raises(Forbidden):
                access.require_role(db, access.OPERATOR, org, "facilitator")
            with pytest.raises(NotFound):
                access.require_role(db, access.OPERATOR, 999_999)
            assert access.organizations_of(db, access.OPERATOR) == []
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("{answers}", "--format", "html"), "is an answers file: say which framework it answers with --framework"),
        (("nothing-here.csv", "--format", "html"), "nothing-here.csv: no such file, and not an assessment id"),
        (("999999", "--db", "{db}", "--format", "html"), "no assessment with id 999999 in this database"),
        (("1", "--db", "{db}", "-f", "four-competencies", "--format", "html"), "are for an answers file"),
        (("{bad}", "-f", "four-competencies", "--format", "html"), "bad.csv:2 column 'und-2a': 'maybe' is not"),
    ],
)
def test_it_says_what_is_wrong(
    args: tuple[str, ...], message: str, answers: Path, database: tuple[Path, int], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(f"respondent,{FW.indicator_keys[0]}\nr1,maybe\n", encoding="utf-8")
    filled = [a.format(answers=answers, db=database[0], bad=bad) for a in args]
    out = tmp_path / "never.html"
    assert message in failed(cxm("report", *filled, "--out", out))
    assert not out.exists()


def test_it_says_when_it_cannot_write(answers: Path, tmp_path: Path) -> None:
    out = tmp_path / "missing-folder" / "report.html"
    stderr = failed(cxm("report", answers, "-f", FW.id, "--format", "html", "--out", out))
    assert f"{out}: cannot write" in stderr
