"""``cxm frameworks validate|lint|schema|show`` on framework files: exit codes, streams and exact messages."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner, Result

from cxmaturity.cli import app
from cxmaturity.frameworks import Framework, load_framework, parse_framework

EXAMPLE = Path(__file__).parent / "data" / "example.yaml"
TEXT = EXAMPLE.read_text(encoding="utf-8")
EXAMPLE_WARNINGS = [
    f"{EXAMPLE}:31:5 competencies[0]: warning: competency 'vision' has no description",
    f"{EXAMPLE}:34:7 competencies[0].indicators: warning: stage 'learning' of competency 'vision' rests on a single "
    "indicator ('vs-1'); add a statement about it or a rubric",
    f"{EXAMPLE}:34:7 competencies[0].indicators: warning: stage 'committing' of competency 'vision' rests on a "
    "single indicator ('vs-2'); add a statement about it or a rubric",
    f"{EXAMPLE}:44:5 competencies[1]: warning: competency 'insight' has no description",
    f"{EXAMPLE}:48:7 competencies[1].indicators: warning: stage 'committing' of competency 'insight' rests on a "
    "single indicator ('ci-1'); add a statement about it or a rubric",
    f"{EXAMPLE}:61:5 actions[0]: warning: action 'a-vision-1' has no description",
    f"{EXAMPLE}:70:5 actions[1]: warning: action 'a-vision-2' has no description",
    f"{EXAMPLE}:79:5 actions[2]: warning: action 'a-insight-1' has no description",
    f"{EXAMPLE}:87:5 actions[3]: warning: action 'a-insight-2' has no description",
]


def cxm(*args: str | Path) -> Result:
    result = CliRunner().invoke(app, [str(a) for a in args])
    # Problems in a framework are the user's to fix: they get messages, never a stack trace.
    assert "Traceback" not in result.stdout + result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def broken(folder: Path) -> Path:
    """Write the example with a duplicate indicator key and a version given as a number."""
    return write(folder, "broken.yaml", TEXT.replace("key: vs-2", "key: vs-1").replace('version: "1.0"', "version: 1"))


def broken_errors(path: Path) -> list[str]:
    # Cross-references are checked only once every field has the right shape, so the duplicate key is not reported.
    return [f"{path}:4:10 version: expected text (put numbers such as versions in quotes), got 1"]


def complete(folder: Path) -> Path:
    """Write the example with the descriptions and second indicators whose absence the linter points out."""

    def statement(key: str, stage: str) -> str:
        return f"      - {{key: {key}, kind: statement, text: Another one., stage: {stage}, scale: agree5}}\n"

    second = statement("vs-1b", "learning") + statement("vs-2b", "committing")
    text = (
        TEXT.replace("    name: Vision and strategy\n", "    name: Vision and strategy\n    description: Direction.\n")
        .replace("    name: Customer insight\n", "    name: Customer insight\n    description: Listening.\n")
        .replace("    title: ", "    description: Why and how.\n    title: ")
        .replace("      - key: vs-2\n", second + "      - key: vs-2\n")
        .replace("actions:\n", statement("ci-3", "committing") + "actions:\n", 1)
    )
    return write(folder, "complete.yaml", text)


def test_it_validates_a_valid_framework() -> None:
    result = cxm("frameworks", "validate", EXAMPLE)
    assert result.exit_code == 0
    assert result.stdout == f"{EXAMPLE}: valid (example-model 1.0)\n"
    assert result.stderr == ""


def test_it_reports_errors_on_stderr_and_exits_1(tmp_path: Path) -> None:
    path = broken(tmp_path)
    result = cxm("frameworks", "validate", path)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [*broken_errors(path), f"{path}: 1 error(s)"]


def test_it_reports_cross_reference_errors_all_at_once(tmp_path: Path) -> None:
    path = write(tmp_path, "refs.yaml", TEXT.replace("key: vs-2", "key: vs-1"))
    result = cxm("frameworks", "validate", path)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{path}:39:14 competencies[0].indicators[1].key: duplicate indicator key 'vs-1' "
        "(first used at competencies[0].indicators[0].key)",
        f"{path}:77:18 actions[1].indicators[0]: unknown indicator 'vs-2'",
        f"{path}: 2 error(s)",
    ]


def test_it_validates_several_frameworks_and_fails_if_any_fails(tmp_path: Path) -> None:
    path = broken(tmp_path)
    result = cxm("frameworks", "validate", EXAMPLE, path)
    assert result.exit_code == 1
    assert result.stdout == f"{EXAMPLE}: valid (example-model 1.0)\n"
    assert result.stderr.splitlines()[-1] == f"{path}: 1 error(s)"


def test_it_validates_a_folder(tmp_path: Path) -> None:
    cut = TEXT.index("actions:\n")
    write(tmp_path, "1-model.yaml", TEXT[:cut])
    write(tmp_path, "2-actions.yaml", TEXT[cut:])
    result = cxm("frameworks", "validate", tmp_path)
    assert result.exit_code == 0
    assert result.stdout == f"{tmp_path}: valid (example-model 1.0)\n"


def test_it_reports_a_path_that_does_not_exist(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    result = cxm("frameworks", "validate", missing)
    assert result.exit_code == 1
    first, last = result.stderr.splitlines()
    assert first.startswith(f"'{missing}' is neither a built-in framework (")
    assert first.endswith(") nor an existing file or folder")
    assert last == f"{missing}: 1 error(s)"


def test_it_reports_a_yaml_syntax_error(tmp_path: Path) -> None:
    path = write(tmp_path, "syntax.yaml", TEXT.replace("name: Example CX maturity model", "name: [Example"))
    result = cxm("frameworks", "validate", path)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{path}:4:8 YAML syntax error: did not find expected ',' or ']'",
        f"{path}: 1 error(s)",
    ]


def test_it_lints_with_warnings_on_stderr_and_exits_0() -> None:
    result = cxm("frameworks", "lint", EXAMPLE)
    assert result.exit_code == 0
    assert result.stdout == f"{EXAMPLE}: valid, 9 warning(s)\n"
    assert result.stderr.splitlines() == EXAMPLE_WARNINGS


def test_it_fails_a_strict_lint_on_warnings() -> None:
    result = cxm("frameworks", "lint", "--strict", EXAMPLE)
    assert result.exit_code == 1
    assert result.stdout == f"{EXAMPLE}: valid, 9 warning(s)\n"
    assert result.stderr.splitlines() == EXAMPLE_WARNINGS


def test_it_passes_a_strict_lint_without_warnings(tmp_path: Path) -> None:
    path = complete(tmp_path)
    result = cxm("frameworks", "lint", "--strict", path)
    assert result.exit_code == 0
    assert result.stdout == f"{path}: valid (example-model 1.0)\n"
    assert result.stderr == ""


def test_it_lints_an_invalid_framework_as_an_error(tmp_path: Path) -> None:
    path = broken(tmp_path)
    result = cxm("frameworks", "lint", path)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [*broken_errors(path), f"{path}: 1 error(s)"]


def test_it_does_not_lint_during_validation() -> None:
    assert cxm("frameworks", "validate", EXAMPLE).stderr == ""


def test_it_prints_the_json_schema() -> None:
    result = cxm("frameworks", "schema")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == "cx-maturity framework"
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert set(schema["properties"]) == set(Framework.model_fields)
    assert schema["required"] == ["format", "id", "name", "version", "source", "stages", "competencies"]
    assert schema["properties"]["format"]["const"] == "cx-maturity/framework@1"
    assert "Statement" in schema["$defs"]
    assert "Rubric" in schema["$defs"]


def test_it_writes_the_schema_to_a_file(tmp_path: Path) -> None:
    out = tmp_path / "framework.schema.json"
    result = cxm("frameworks", "schema", "--out", out)
    assert result.exit_code == 0
    assert result.stdout == ""
    assert json.loads(out.read_text(encoding="utf-8")) == json.loads(cxm("frameworks", "schema").stdout)


def test_it_shows_a_framework_as_text() -> None:
    result = cxm("frameworks", "show", EXAMPLE)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "Example CX maturity model (example-model 1.0)"
    assert "  2. Learning [learning]: Teams experiment and measure at touchpoints." in lines
    assert "    - ci-1 (rubric): Which best describes how you listen to customers?" in lines
    assert "Scoring: a stage is met at fulfilment >= 0.7; overall = weakest" in lines


def test_it_shows_a_frameworks_tracks() -> None:
    lines = cxm("frameworks", "show", "yohn-cx-maturity").stdout.splitlines()
    assert "Tracks (rolled up by the overall rule, weakest)" in lines
    assert (
        "  Organizational Readiness [organizational-readiness]: customer-intimacy, employee-engagement, skills, "
        "systems-processes"
    ) in lines
    assert "  Skills [skills] weight 1 (track: Organizational Readiness)" in lines


def test_it_shows_texts_in_the_language_asked_for(tmp_path: Path) -> None:
    text = TEXT.replace("name: Example CX maturity model", "name: {en: Example model, de: Beispielmodell}")
    path = write(tmp_path, "languages.yaml", text)
    assert cxm("frameworks", "show", path, "--language", "de").stdout.startswith("Beispielmodell (example-model 1.0)")
    assert cxm("frameworks", "show", path).stdout.startswith("Example model (example-model 1.0)")


def test_it_shows_a_framework_as_json_that_loads_again() -> None:
    result = cxm("frameworks", "show", EXAMPLE, "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    fw = load_framework(EXAMPLE)
    assert data == fw.model_dump(mode="json", exclude_none=True)
    assert data["format"] == "cx-maturity/framework@1"
    assert data["competencies"][1]["indicators"][0]["kind"] == "rubric"
    assert parse_framework(data) == fw


def test_it_refuses_to_show_an_invalid_framework(tmp_path: Path) -> None:
    path = broken(tmp_path)
    result = cxm("frameworks", "show", path, "--format", "json")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == broken_errors(path)
