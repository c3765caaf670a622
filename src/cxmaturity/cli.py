"""The ``cxm`` command line.

Heavy modules (numpy, scipy, pydantic models, rich tables) are imported inside the commands so that ``cxm --help``
answers at once.
"""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

app = typer.Typer(
    help="cx-maturity: assess and grow an organization's customer-experience maturity.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help text: formatting it with rich would double the start-up time
)
frameworks_app = typer.Typer(
    help="List, show, validate and lint maturity frameworks.", no_args_is_help=True, rich_markup_mode=None
)
app.add_typer(frameworks_app, name="frameworks")


class TableOrJson(StrEnum):
    table = "table"
    json = "json"


class ShowFormat(StrEnum):
    text = "text"
    json = "json"


class TemplateFormat(StrEnum):
    csv = "csv"
    md = "md"


def _fail(lines: list[str] | str, code: int = 1) -> NoReturn:
    for line in [lines] if isinstance(lines, str) else lines:
        typer.echo(line, err=True)
    raise typer.Exit(code)


def _write(text: str, out: Path | None) -> None:
    if out is None:
        typer.echo(text, nl=not text.endswith("\n"))
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        _fail(f"{out}: cannot write: {exc.strerror}")


def _framework(id_or_path: str):  # type: ignore[no-untyped-def]  # returns Framework; imported lazily
    from cxmaturity.frameworks import FrameworkError, resolve

    try:
        return resolve(id_or_path)
    except FrameworkError as exc:
        _fail([str(p) for p in exc.problems])


# --- frameworks -------------------------------------------------------------------------------------------------


@frameworks_app.command("list")
def frameworks_list(
    fmt: Annotated[TableOrJson, typer.Option("--format", help="Output format.")] = TableOrJson.table,
) -> None:
    """List the built-in frameworks."""
    from cxmaturity.frameworks import builtin_ids, load_builtin

    rows: list[dict[str, Any]] = []
    for fid in builtin_ids():
        fw = load_builtin(fid)
        rows.append(
            {
                "id": fw.id,
                "name": fw.text(fw.name),
                "version": fw.version,
                "stages": [s.key for s in fw.stages],
                "competencies": [c.key for c in fw.competencies],
            }
        )
    if fmt is TableOrJson.json:
        import json

        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("id", "name", "version", "stages", "competencies")
    for row in rows:
        table.add_row(row["id"], row["name"], row["version"], str(len(row["stages"])), str(len(row["competencies"])))
    Console().print(table)


@frameworks_app.command("show")
def frameworks_show(
    framework: Annotated[str, typer.Argument(help="Built-in framework id or path to a YAML file or folder.")],
    fmt: Annotated[ShowFormat, typer.Option("--format", help="Output format.")] = ShowFormat.text,
    language: Annotated[str | None, typer.Option(help="Language of the texts, e.g. en or de.")] = None,
) -> None:
    """Show a framework's stages, competencies, indicators and actions."""
    fw = _framework(framework)
    if fmt is ShowFormat.json:
        typer.echo(fw.model_dump_json(indent=2, exclude_none=True))
        return
    from cxmaturity.frameworks.describe import describe

    typer.echo(describe(fw, language))


def _report(targets: list[str], *, warnings: bool, strict: bool) -> None:
    from cxmaturity.frameworks.catalog import inspect

    failed = False
    for target in targets:
        fw, problems = inspect(target)
        errors = [p for p in problems if p.severity == "error"]
        shown = problems if warnings else errors
        for problem in shown:
            typer.echo(str(problem), err=True)
        if fw is None:
            failed = True
            typer.echo(f"{target}: {len(errors)} error(s)", err=True)
        else:
            count = len(problems)
            if warnings and count:
                failed = failed or strict
                typer.echo(f"{target}: valid, {count} warning(s)")
            else:
                typer.echo(f"{target}: valid ({fw.id} {fw.version})")
    if failed:
        raise typer.Exit(1)


@frameworks_app.command("validate")
def frameworks_validate(
    frameworks: Annotated[list[str], typer.Argument(help="Built-in ids or paths to YAML files or folders.")],
) -> None:
    """Check frameworks against the format; every error names its file, line, column and field."""
    _report(frameworks, warnings=False, strict=False)


@frameworks_app.command("lint")
def frameworks_lint(
    frameworks: Annotated[list[str], typer.Argument(help="Built-in ids or paths to YAML files or folders.")],
    strict: Annotated[bool, typer.Option(help="Exit with status 1 on warnings too.")] = False,
) -> None:
    """Validate, then give design advice (warnings) after the maturity-model design literature."""
    _report(frameworks, warnings=True, strict=strict)


@frameworks_app.command("schema")
def frameworks_schema(
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of standard output.")] = None,
) -> None:
    """Print the JSON Schema of the framework format, for editors."""
    from cxmaturity.frameworks.catalog import json_schema_text

    _write(json_schema_text() + "\n", out)


# --- scoring ----------------------------------------------------------------------------------------------------


def _answers_error(exc: Exception) -> NoReturn:
    _fail(str(exc).splitlines())


@app.command("score")
def score_command(
    answers: Annotated[Path, typer.Argument(help="Answers CSV, long or wide form (see docs/cli.md).")],
    framework: Annotated[str, typer.Option("--framework", "-f", help="Built-in framework id or path to YAML.")],
    targets: Annotated[Path | None, typer.Option(help="Target stage per competency (YAML or CSV).")] = None,
    column_map: Annotated[
        Path | None, typer.Option("--map", help="Maps a survey tool's headers to indicators.")
    ] = None,
    min_group_size: Annotated[int, typer.Option(min=1, help="Smallest group whose results are shown.")] = 3,
    bootstrap: Annotated[int, typer.Option(min=0, help="Bootstrap resamples (0 = no intervals).")] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed of the bootstrap, for repeatable intervals.")] = 0,
    fmt: Annotated[TableOrJson, typer.Option("--format", help="Output format.")] = TableOrJson.table,
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of standard output.")] = None,
) -> None:
    """Score a team's answers: stage and score per competency and overall, agreement, groups and gaps."""
    from cxmaturity.answers import AnswersError
    from cxmaturity.answers.csv_reader import load_column_map, read_answers_csv
    from cxmaturity.answers.targets import read_targets
    from cxmaturity.scoring import ScoringOptions, score
    from cxmaturity.scoring.responses import MISSING

    fw = _framework(framework)
    try:
        mapping = load_column_map(column_map) if column_map else None
        responses = read_answers_csv(answers, fw, mapping)
        wanted = read_targets(targets, fw) if targets else {}
    except AnswersError as exc:
        _answers_error(exc)
    if responses.size == 0 or bool((responses.answers == MISSING).all()):
        _fail(f"{answers}: no answers to score (every answer cell is empty)")
    result = score(
        responses, ScoringOptions(min_group_size=min_group_size, bootstrap=bootstrap, seed=seed, targets=wanted)
    )
    _emit_result(result, fw, fmt, out)


def _emit_result(  # type: ignore[no-untyped-def]  # result and fw are imported lazily
    result, fw, fmt: TableOrJson, out: Path | None, title: str | None = None, data_label: str | None = None
) -> None:
    if fmt is TableOrJson.json:
        import json

        from cxmaturity.scoring import result_to_dict

        data = result_to_dict(result)
        if data_label:
            data = {"data": data_label, **data}
        _write(json.dumps(data, indent=2, ensure_ascii=False) + "\n", out)
        return
    from rich.console import Console

    from cxmaturity.reporting.console import render_result

    if out is None:
        render_result(result, fw, Console(), title=title)
        return
    with open(os.devnull, "w", encoding="utf-8") as sink:
        console = Console(record=True, width=120, file=sink)
        render_result(result, fw, console, title=title)
    _write(console.export_text(), out)


@app.command("template")
def template_command(
    framework: Annotated[str, typer.Option("--framework", "-f", help="Built-in framework id or path to YAML.")],
    fmt: Annotated[TemplateFormat, typer.Option("--format", help="csv: blank answers file; md: questionnaire.")] = (
        TemplateFormat.csv
    ),
    language: Annotated[str | None, typer.Option(help="Language of the questionnaire texts.")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of standard output.")] = None,
) -> None:
    """Write a blank answers file (wide CSV) or a printable questionnaire (Markdown)."""
    fw = _framework(framework)
    if fmt is TemplateFormat.md:
        from cxmaturity.frameworks.describe import questionnaire_markdown

        _write(questionnaire_markdown(fw, language), out)
        return
    _write(",".join(["respondent", "group", *fw.indicator_keys]) + "\n", out)


@app.command("demo")
def demo_command(
    framework: Annotated[str, typer.Option("--framework", "-f", help="Built-in framework id.")] = "xm-six-competencies",
    fmt: Annotated[TableOrJson, typer.Option("--format", help="Output format.")] = TableOrJson.table,
) -> None:
    """Score a built-in framework on SYNTHETIC answers (invented respondents) to show what results look like."""
    from cxmaturity.demo import SYNTHETIC_LABEL, demo_responses
    from cxmaturity.scoring import ScoringOptions, score

    fw = _framework(framework)
    result = score(demo_responses(fw), ScoringOptions())
    typer.echo(SYNTHETIC_LABEL, err=True)  # on stderr in both formats: JSON on stdout stays valid
    _emit_result(result, fw, fmt, None, title=f"{fw.text(fw.name)} - {SYNTHETIC_LABEL}", data_label=SYNTHETIC_LABEL)


def main() -> None:
    """Run the CLI; unexpected failures become one line on stderr, not a stack trace."""
    try:
        app()
    except Exception as exc:  # a last guard: users get a message, developers get CXM_DEBUG=1
        if os.environ.get("CXM_DEBUG"):
            raise
        typer.echo(f"cxm: unexpected error: {type(exc).__name__}: {exc} (set CXM_DEBUG=1 for details)", err=True)
        sys.exit(70)


if __name__ == "__main__":
    main()
