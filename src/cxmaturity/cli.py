"""The ``cxm`` command line.

Heavy modules (numpy, scipy, pydantic models, rich tables) are imported inside the commands so that ``cxm --help``
answers at once.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from cxmaturity.storage import ID_MAX

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


class PlanFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    ical = "ical"


def _fail(lines: list[str] | str, code: int = 1) -> NoReturn:
    for line in [lines] if isinstance(lines, str) else lines:
        typer.echo(line, err=True)
    raise typer.Exit(code)


def _read_text(path: Path) -> str:
    """Return a small input file's text (a column map, a dataset); refuse one that cannot be read or is not UTF-8,
    naming the file and the first unreadable byte's line."""
    from cxmaturity.answers.csv_reader import decode_utf8, not_utf8

    try:
        return decode_utf8(path.read_bytes())
    except OSError as exc:
        _fail(f"{path}: cannot read: {exc.strerror or exc}")
    except UnicodeDecodeError as exc:
        _fail(f"{path}: {not_utf8(exc)}")


def _stored_id(digits: str, name: str) -> int:
    """Return a stored assessment's id given as digits; refuse one the database cannot hold (as typer refuses an id
    argument out of its range), rather than fail in the driver."""
    number = int(digits)
    if not 1 <= number <= ID_MAX:
        _fail(f"{name}: {digits} is not an assessment id (ids run from 1 to {ID_MAX})")
    return number


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


def _read_answers(fw, answers: Path, column_map: Path | None, targets: Path | None):  # type: ignore[no-untyped-def]
    """Return the answers (a ResponseMatrix) and the targets; every problem is one line on stderr, then exit 1."""
    from cxmaturity.answers import AnswersError
    from cxmaturity.answers.csv_reader import load_column_map, read_answers_csv
    from cxmaturity.answers.targets import read_targets

    try:
        mapping = load_column_map(column_map) if column_map else None
        if answers.suffix.lower() == ".xlsx":
            from cxmaturity.answers.xlsx_reader import read_answers_xlsx

            responses = read_answers_xlsx(answers, fw, mapping)
        else:
            responses = read_answers_csv(answers, fw, mapping)
        wanted = read_targets(targets, fw) if targets else {}
    except AnswersError as exc:
        _answers_error(exc)
    return responses, wanted


def _score_file(responses, options, source: Path):  # type: ignore[no-untyped-def]  # scoring is imported lazily
    """Return the result of a file's answers; a file without any usable answer (empty, or nothing but don't know,
    not applicable and empty cells) is refused, naming the file, instead of being shown as a stage."""
    from cxmaturity.scoring import score
    from cxmaturity.scoring.result import NotScorable, require_scorable

    try:
        return require_scorable(score(responses, options), str(source))
    except NotScorable as exc:
        _fail(str(exc))


# Options that several commands share, declared once so their help reads the same everywhere.
AnswersArgument = Annotated[
    Path, typer.Argument(help="Answers CSV (long or wide form) or XLSX (its answers sheet); see docs/cli.md.")
]
FrameworkOption = Annotated[str, typer.Option("--framework", "-f", help="Built-in framework id or path to YAML.")]
TargetsOption = Annotated[Path | None, typer.Option(help="Target stage per competency (YAML or CSV).")]
MapOption = Annotated[Path | None, typer.Option("--map", help="Maps a survey tool's headers to indicators.")]


@app.command("score")
def score_command(
    answers: AnswersArgument,
    framework: FrameworkOption,
    targets: TargetsOption = None,
    column_map: MapOption = None,
    min_group_size: Annotated[int, typer.Option(min=1, help="Smallest group whose results are shown.")] = 3,
    bootstrap: Annotated[
        int, typer.Option(min=0, help="Posterior draws for intervals and stage probabilities (0 = none).")
    ] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed of the bootstrap, for repeatable intervals.")] = 0,
    fmt: Annotated[TableOrJson, typer.Option("--format", help="Output format.")] = TableOrJson.table,
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of standard output.")] = None,
) -> None:
    """Score a team's answers: stage and score per competency and overall, agreement, groups and gaps."""
    from cxmaturity.scoring import ScoringOptions

    fw = _framework(framework)
    responses, wanted = _read_answers(fw, answers, column_map, targets)
    result = _score_file(
        responses,
        ScoringOptions(min_group_size=min_group_size, bootstrap=bootstrap, seed=seed, targets=wanted),
        answers,
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


def _keys(text: str | None) -> frozenset[str]:
    """Split ``a,b c`` into initiative keys."""
    return frozenset(k for k in (text or "").replace(",", " ").split() if k)


@app.command("plan")
def plan_command(
    answers: AnswersArgument,
    framework: FrameworkOption,
    targets: TargetsOption = None,
    column_map: MapOption = None,
    budget: Annotated[float | None, typer.Option(min=0, help="Budget per period (default: unlimited).")] = None,
    capacity: Annotated[
        float | None, typer.Option(min=0, help="Person-months per period (default: unlimited).")
    ] = None,
    max_concurrent: Annotated[int, typer.Option(min=1, help="Most initiatives running at once.")] = 3,
    horizon: Annotated[int, typer.Option(min=1, max=40, help="Number of periods (quarters) to plan.")] = 8,
    must: Annotated[
        str | None, typer.Option(help="Initiative keys that must be in the plan (comma-separated).")
    ] = None,
    must_not: Annotated[
        str | None, typer.Option("--must-not", help="Initiative keys to leave out (comma-separated).")
    ] = None,
    time_limit: Annotated[float, typer.Option(min=0.01, help="Seconds the optimizer may take.")] = 2.0,
    start: Annotated[
        str | None, typer.Option(help="First day of period 1, YYYY-MM-DD (ical; default: next quarter).")
    ] = None,
    fmt: Annotated[PlanFormat, typer.Option("--format", help="Output format.")] = PlanFormat.table,
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of standard output.")] = None,
) -> None:
    """Plan initiatives over the coming periods: the most gap closure within budget, capacity and order."""
    from cxmaturity.planning import PlanRequest
    from cxmaturity.planning.export import fits_calendar
    from cxmaturity.planning.optimizer import make_plan
    from cxmaturity.scoring import ScoringOptions

    first_day = _start_date(start)
    if not fits_calendar(first_day, horizon):
        _fail(f"--start: a plan of {horizon} periods starting on {first_day} would end after the year 9999")
    fw = _framework(framework)
    responses, wanted = _read_answers(fw, answers, column_map, targets)
    result = _score_file(responses, ScoringOptions(bootstrap=0, targets=wanted), answers)
    request = PlanRequest(
        targets=wanted,
        horizon=horizon,
        budget=budget,
        capacity=capacity,
        max_concurrent=max_concurrent,
        must=_keys(must),
        must_not=_keys(must_not),
        time_limit=time_limit,
    )
    try:
        plan = make_plan(fw, result, request)
    except ValueError as exc:
        _fail(f"cannot plan: {exc}")
    if plan.status == "infeasible":
        _fail([f"infeasible: {line}" for line in plan.explanation])
    if fmt is PlanFormat.json:
        import json

        from cxmaturity.planning.serialize import plan_to_dict

        _write(json.dumps(plan_to_dict(plan), indent=2, ensure_ascii=False) + "\n", out)
    elif fmt is PlanFormat.csv:
        from cxmaturity.planning.export import plan_to_csv

        _write(plan_to_csv(plan), out)
    elif fmt is PlanFormat.ical:
        from cxmaturity.planning.export import plan_to_ical

        names = {c.key: fw.text(c.name) for c in fw.competencies}
        _write(plan_to_ical(plan, first_day, f"{fw.text(fw.name)} plan", competency_names=names), out)
    else:
        _emit_plan(plan, fw, out)


def _start_date(text: str | None):  # type: ignore[no-untyped-def]  # returns datetime.date
    from datetime import date

    if text:
        try:
            return date.fromisoformat(text)
        except ValueError:
            _fail(f"--start: '{text}' is not a date of the form YYYY-MM-DD")
    today = date.today()
    month = (today.month - 1) // 3 * 3 + 4  # the first month of the next quarter
    return date(today.year + (month > 12), (month - 1) % 12 + 1, 1)


def _emit_plan(plan, fw, out: Path | None) -> None:  # type: ignore[no-untyped-def]  # plan and fw imported lazily
    from rich.console import Console
    from rich.table import Table

    def render(console: Console) -> None:
        req = plan.request
        limits = [
            f"horizon {req.horizon} periods",
            f"budget {req.budget:g}/period" if req.budget is not None else "budget unlimited",
            f"capacity {req.capacity:g} pm/period" if req.capacity is not None else "capacity unlimited",
            f"at most {req.max_concurrent} at once",
        ]
        console.print(f"{fw.text(fw.name)}: plan ({plan.summary}); " + ", ".join(limits), markup=False)
        for line in plan.explanation:
            console.print(line, markup=False)
        if not plan.initiatives:
            return
        from cxmaturity.planning.wording import stage_name

        table = Table("periods", "key", "initiative", "competency", "step", "cost", "effort", "owner")
        for item in plan.initiatives:
            periods = f"{item.start}" if item.end == item.start + 1 else f"{item.start}-{item.end - 1}"
            title = item.title + (" (quick win)" if item.quick_win else "") + (" (locked)" if item.locked else "")
            table.add_row(
                periods,
                item.key,
                title,
                fw.text(fw.competency(item.competency).name),
                f"{stage_name(fw, item.expected_from)} -> {stage_name(fw, item.expected_to)}",
                f"{item.cost:,.0f}",
                f"{item.effort:g}",
                item.owner or "-",
            )
        console.print(table)
        console.print("Why:", markup=False)
        for item in plan.initiatives:
            console.print(f"  {item.title}: {item.reason}", markup=False)
            if item.measure:
                console.print(f"    measure: {item.measure}", markup=False)
        console.print("Expected stage per period:", markup=False)
        for comp in fw.competencies:
            runs: list[str] = []
            row = plan.expected_stages.get(comp.key, ())
            for period, stage in enumerate(row, start=1):
                if period == 1 or stage != row[period - 2]:
                    runs.append(f"{stage_name(fw, stage)} from period {period}")
            console.print(f"  {fw.text(comp.name)}: " + ", ".join(runs), markup=False)
        totals = Table("period", "cost", "effort (pm)", "running", title="Totals per period")
        for t in plan.totals:
            totals.add_row(str(t.period), f"{t.cost:,.0f}", f"{t.effort:.2f}", str(t.running))
        console.print(totals)

    if out is None:
        render(Console())
        return
    with open(os.devnull, "w", encoding="utf-8") as sink:
        console = Console(record=True, width=160, file=sink)
        render(console)
    _write(console.export_text(), out)


@app.command("template")
def template_command(
    framework: FrameworkOption,
    fmt: Annotated[TemplateFormat, typer.Option("--format", help="csv: blank answers file; md: questionnaire.")] = (
        TemplateFormat.csv
    ),
    language: Annotated[str | None, typer.Option(help="Language of the questionnaire texts.")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of standard output.")] = None,
    quick: Annotated[
        bool, typer.Option("--quick", help="The quick evaluation: one question (the rubric) per competency.")
    ] = False,
) -> None:
    """Write a blank answers file (wide CSV) or a printable questionnaire (Markdown)."""
    fw = _framework(framework)
    note = ""
    if quick:
        from cxmaturity.frameworks import FrameworkError
        from cxmaturity.frameworks.quick import quick_form

        try:
            form = quick_form(fw)
        except FrameworkError as exc:
            _fail([p.message for p in exc.problems])
        fw = form.framework
        minutes = max(1, round(form.minutes))
        note = (
            f"Quick evaluation: one question per competency, about {minutes} minute{'s' if minutes > 1 else ''}. One "
            "question cannot place a competency precisely: read the result as a first look, with its wide "
            "intervals, and use the full questionnaire for a real assessment.\n"
        )
        if form.left_out:
            note += f"Left out (no rubric to ask): {', '.join(form.left_out)}.\n"
    if fmt is TemplateFormat.md:
        from cxmaturity.frameworks.describe import questionnaire_markdown

        text = questionnaire_markdown(fw, language)
        _write(text.replace("\n\n", "\n\n" + note + "\n", 1) if note else text, out)
        return
    if note:
        typer.echo(note, err=True, nl=False)
    _write(",".join(["respondent", "group", *fw.indicator_keys]) + "\n", out)


DbOption = Annotated[
    str | None,
    typer.Option("--db", help="SQLite file or database URL (default: CXM_DATABASE_URL, else the data folder)."),
]


def _database(db: str | None) -> str:
    """Return the database URL and make it the environment's, so that server workers use the same one."""
    from cxmaturity.settings import database_url_for, get_settings
    from cxmaturity.storage.database import UnsupportedDatabase, check_url

    url = database_url_for(db) or get_settings().sqlalchemy_url()
    try:
        check_url(url)
    except UnsupportedDatabase as exc:
        _fail(f"{'--db' if db else 'CXM_DATABASE_URL'}: {exc}")
    os.environ["CXM_DATABASE_URL"] = url
    get_settings.cache_clear()
    return url


# --- progress ---------------------------------------------------------------------------------------------------


def _compare_side(arg: str, name: str, framework: str, db: str | None, engines: dict[str, Any]):  # type: ignore[no-untyped-def]  # returns Snapshot
    """Score one side of ``cxm compare``: an answers CSV file, or (digits that name no file) a stored assessment."""
    from cxmaturity.progress import Snapshot
    from cxmaturity.scoring import ScoringOptions

    path = Path(arg)
    if path.exists() or not arg.isdigit():
        if not path.is_file():
            _fail(f"{arg}: no such file ({name} is an answers CSV file or a stored assessment's id)")
        fw = _framework(framework)
        responses, _ = _read_answers(fw, path, None, None)
        return Snapshot(fw, _score_file(responses, ScoringOptions(), path), path.name)
    from cxmaturity.frameworks import builtin_ids
    from cxmaturity.services.errors import ServiceError
    from cxmaturity.services.progress import stored_snapshot
    from cxmaturity.storage.database import NotMigratedError, check_migrated, make_engine, make_sessionmaker

    if "engine" not in engines:
        engine = make_engine(_database(db))
        try:
            check_migrated(engine)
        except NotMigratedError as exc:
            engine.dispose()
            _fail(f"cxm compare: {exc}")
        engines["engine"] = engine
    with make_sessionmaker(engines["engine"])() as session:
        try:
            snapshot, _ = stored_snapshot(session, _stored_id(arg, name))
        except ServiceError as exc:
            _fail(f"{name}: {exc.message}")
    wanted = _framework(framework).id if framework in builtin_ids() or Path(framework).exists() else framework
    if snapshot.framework.id != wanted:
        _fail(f"{name}: assessment {arg} uses the framework {snapshot.framework.id}, not {wanted}")
    return snapshot


@app.command("compare")
def compare_command(
    before: Annotated[
        str, typer.Argument(metavar="BEFORE", help="The earlier assessment: an answers CSV file or a stored id.")
    ],
    after: Annotated[
        str, typer.Argument(metavar="AFTER", help="The later assessment: an answers CSV file or a stored id.")
    ],
    framework: Annotated[str, typer.Option("--framework", "-f", help="Built-in framework id, path to YAML, or id.")],
    after_framework: Annotated[
        str | None,
        typer.Option("--after-framework", help="Framework of AFTER when it was answered on another version."),
    ] = None,
    fmt: Annotated[TableOrJson, typer.Option("--format", help="Output format.")] = TableOrJson.table,
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of standard output.")] = None,
    db: DbOption = None,
) -> None:
    """Compare two assessments of one framework: per competency the change in stage and score, with a verdict."""
    from cxmaturity.progress import ComparisonError, compare, review

    engines: dict[str, Any] = {}
    try:
        old = _compare_side(before, "BEFORE", framework, db, engines)
        new = _compare_side(after, "AFTER", after_framework or framework, db, engines)
    finally:
        if "engine" in engines:
            engines["engine"].dispose()
    if old.day is not None and new.day is not None and old.day > new.day:
        # As the API refuses a pair the wrong way round: read backwards, every rise would read as a decline.
        _fail(
            f"cxm compare: AFTER ({after}, {new.day.isoformat()}) is earlier than BEFORE ({before}, "
            f"{old.day.isoformat()}): give the earlier assessment first"
        )
    try:
        comparison = compare(old, new)
    except ComparisonError as exc:
        _fail(f"cxm compare: {exc}")
    reviewed = review(comparison, old, new)
    if fmt is TableOrJson.json:
        import json

        from cxmaturity.progress import comparison_to_dict

        _write(json.dumps(comparison_to_dict(comparison, reviewed), indent=2, ensure_ascii=False) + "\n", out)
        return
    _emit_comparison(comparison, reviewed, new.framework, out)


def _emit_comparison(comparison, reviewed, fw, out: Path | None) -> None:  # type: ignore[no-untyped-def]  # imported lazily
    from rich.console import Console
    from rich.table import Table

    from cxmaturity.planning.wording import competency_name, stage_name
    from cxmaturity.scoring.display import score_text

    # Rows and cells by name (the JSON keeps keys): a reader of the table never needs a framework's keys.
    def name(key: str) -> str:
        return "Overall" if key == "overall" else competency_name(fw, key)

    def indicator(key: str) -> str:
        try:
            return str(fw.text(fw.indicator(key).text))
        except KeyError:
            return key

    def interval(pair: tuple[float, float] | None) -> str:
        return "-" if pair is None else f"{pair[0]:+.2f} to {pair[1]:+.2f}"

    def render(console: Console) -> None:
        level = f"{comparison.confidence:.0%}"
        console.print(
            f"{comparison.framework}: {comparison.before.label} ({comparison.before.respondents} respondents) -> "
            f"{comparison.after.label} ({comparison.after.respondents} respondents)",
            markup=False,
        )
        table = Table("competency", "before", "after", "change", f"{level} interval", "verdict", "P(rise)")
        for c in (*comparison.competencies, comparison.overall):
            d = c.difference
            table.add_row(
                name(c.key),
                f"{stage_name(fw, c.before.stage)} {score_text(c.before.score)}" if c.before else "-",
                f"{stage_name(fw, c.after.stage)} {score_text(c.after.score)}" if c.after else "-",
                f"{d.change:+.2f}" if d else "-",
                interval(d.interval) if d else "-",
                c.verdict + (f" ({c.reason})" if c.reason else ""),
                f"{d.probability:.2f}" if d is not None and d.probability is not None else "-",
            )
        console.print(table)
        for note in (*comparison.notes, *reviewed.notes):
            console.print(note, markup=False)
        if comparison.indicators:
            moved = Table("indicator", "competency", "before", "after", "change", "answers", title="Moved most")
            for m in comparison.indicators:
                moved.add_row(
                    indicator(m.key),
                    name(m.competency),
                    f"{m.before:.2f}",
                    f"{m.after:.2f}",
                    f"{m.change:+.2f}",
                    f"{m.before_n} -> {m.after_n}",
                )
            console.print(moved)
        for status in ("resolved", "appeared"):
            items = [indicator(d.indicator) for d in comparison.discussion if d.status == status]
            if items:
                console.print(f"Discussion items {status}: {'; '.join(items)}", markup=False)
        for t in reviewed.targets:
            if t.forecast is not None:
                console.print(
                    f"Target {stage_name(fw, t.target)} for {name(t.competency)}: {t.forecast.text}", markup=False
                )

    if out is None:
        render(Console())
        return
    with open(os.devnull, "w", encoding="utf-8") as sink:
        console = Console(record=True, width=140, file=sink)
        render(console)
    _write(console.export_text(), out)


translations_app = typer.Typer(
    help="Check the translation catalogs (see docs/translations.md).", no_args_is_help=True, rich_markup_mode=None
)
app.add_typer(translations_app, name="translations")


@translations_app.command("check")
def translations_check(
    locale_dir: Annotated[
        Path | None, typer.Option("--locale-dir", help="The folder of <lang>/LC_MESSAGES/messages.po catalogs.")
    ] = None,
) -> None:
    """Refuse catalogs whose placeholders differ from the English text's, incomplete catalogs of the respondent
    pages, e-mails and report, and compiled files older than their source."""
    from cxmaturity.i18n.catalogs import LOCALE_DIR
    from cxmaturity.i18n.check import check_all

    folder = locale_dir or LOCALE_DIR
    if not folder.is_dir():
        _fail(f"{folder}: no such folder")
    problems = check_all(folder)
    if problems:
        _fail([str(p) for p in problems])
    typer.echo(f"{folder}: every catalog is consistent")


db_app = typer.Typer(help="Create and migrate the database.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(db_app, name="db")
tokens_app = typer.Typer(help="API tokens for the JSON API.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(tokens_app, name="tokens")


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None) -> None:
    """Create the tables, or migrate them to this version of cx-maturity."""
    from cxmaturity.storage.database import make_engine, upgrade

    url = _database(db)
    engine = make_engine(url)
    try:
        revision = upgrade(url, engine)
    except Exception as exc:  # a database that cannot be reached: say which, not how the driver failed
        _fail(f"cannot migrate {_safe_url(url)}: {exc.__class__.__name__}: {str(exc).splitlines()[0]}")
    finally:
        engine.dispose()
    typer.echo(f"{_safe_url(url)}: at revision {revision}")


@db_app.command("status")
def db_status(db: DbOption = None) -> None:
    """Show the database's migration revision and whether it is current."""
    from cxmaturity.storage.database import current_revision, head_revision, make_engine

    url = _database(db)
    engine = make_engine(url)
    try:
        current = current_revision(engine)
    finally:
        engine.dispose()
    head = head_revision()
    typer.echo(f"{_safe_url(url)}: revision {current or 'none'} (code needs {head})")
    if current != head:
        _fail("run `cxm db upgrade` to migrate", code=1)


@app.command("backup")
def backup_command(
    out: Annotated[Path, typer.Option("--out", help="The backup file to write (a zip archive).")],
    db: DbOption = None,
) -> None:
    """Back up the whole installation (every organization, assessment, answer, plan and account) to one file."""
    from cxmaturity.storage.backup import BackupError, backup
    from cxmaturity.storage.database import make_engine

    url = _database(db)
    engine = make_engine(url)
    try:
        summary = backup(engine, out)
    except BackupError as exc:
        _fail(f"cannot back up {_safe_url(url)}: {exc}")
    except OSError as exc:
        _fail(f"cannot write {out}: {exc.strerror or exc}")
    finally:
        engine.dispose()
    typer.echo(f"{out}: {summary.total} rows from {_safe_url(url)} (revision {summary.revision})")


@app.command("restore")
def restore_command(
    backup_file: Annotated[Path, typer.Argument(metavar="BACKUP", help="A file written by `cxm backup`.")],
    db: DbOption = None,
) -> None:
    """Restore a backup into a new database (migrated first if needed); it refuses a database that holds data."""
    from cxmaturity.storage.backup import BackupError, read_manifest, restore
    from cxmaturity.storage.database import current_revision, head_revision, make_engine, upgrade

    url = _database(db)
    engine = make_engine(url)
    try:
        manifest = read_manifest(backup_file)
        if current_revision(engine) is None and manifest["revision"] == head_revision():
            upgrade(url, engine)
        summary = restore(engine, backup_file)
    except BackupError as exc:
        _fail(f"cannot restore: {exc}")
    finally:
        engine.dispose()
    typer.echo(f"{_safe_url(url)}: restored {summary.total} rows from {backup_file} (revision {summary.revision})")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@tokens_app.command("create")
def tokens_create(
    email: Annotated[str, typer.Option(help="E-mail of the account the token acts for.")],
    name: Annotated[str, typer.Option(help="A label, e.g. the script that uses it.")] = "",
    db: DbOption = None,
) -> None:
    """Create an API token for an account and print it (it is shown only once)."""
    from sqlalchemy import select

    from cxmaturity.services import accounts
    from cxmaturity.storage.database import make_engine, make_sessionmaker, transaction
    from cxmaturity.storage.tables import User

    engine = make_engine(_database(db))
    try:
        with transaction(make_sessionmaker(engine)) as session:
            user = session.scalar(select(User).where(User.email == accounts.normalize_email(email)))
            if user is None:
                _fail(f"no account with e-mail {email}")
            token = accounts.create_api_token(session, user.id, name)
    finally:
        engine.dispose()
    typer.echo(token)


class ExportName(StrEnum):
    answers = "answers"
    comments = "comments"
    results = "results"
    plan = "plan"
    all = "all"


class ExportFormat(StrEnum):
    csv = "csv"
    zip = "zip"
    xlsx = "xlsx"
    json = "json"


@app.command("export")
def export_command(
    assessment_id: Annotated[int, typer.Argument(min=1, max=ID_MAX, help="The assessment's id (in its web address).")],
    out: Annotated[Path, typer.Option("--out", help="The file to write.")],
    table: Annotated[ExportName, typer.Option("--table", help="What to export.")] = ExportName.all,
    fmt: Annotated[ExportFormat, typer.Option("--format", help="csv (one table), zip, xlsx or json.")] = (
        ExportFormat.xlsx
    ),
    language: Annotated[
        Language | None,
        typer.Option(
            "--language",
            help="Headers (and sheet names) in this language; left out: the stable names (JSON always keeps them).",
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Export an assessment's data: anonymized answers, comments, results and plan (see docs/exports.md)."""
    from cxmaturity.services import exports
    from cxmaturity.services.errors import ServiceError
    from cxmaturity.storage.database import NotMigratedError, check_migrated, make_engine, make_sessionmaker

    engine = make_engine(_database(db))
    try:
        check_migrated(engine)
        with make_sessionmaker(engine)() as session:
            headers = exports.Headers(asked=language.value if language else None)
            found = exports.download_as_operator(session, assessment_id, table.value, fmt.value, headers)
    except (NotMigratedError, ServiceError) as exc:
        _fail(f"cxm export: {exc}")
    finally:
        engine.dispose()
    body = found.file().body
    try:
        out.write_bytes(body)
    except OSError as exc:
        _fail(f"{out}: cannot write: {exc.strerror}")
    if found.source.synthetic:
        from cxmaturity.demo import SYNTHETIC_LABEL

        typer.echo(SYNTHETIC_LABEL, err=True)
    typer.echo(f"{out}: {table.value} of assessment {assessment_id} as {fmt.value} ({len(body)} bytes)", err=True)


def _raise_open_files_limit() -> None:
    """Let the server (and its workers, which inherit it) hold as many connections as the system allows.

    Every open connection takes a file descriptor. Under the usual soft limit of 1,024, 1,100 idle or slow clients
    (slowloris) took them all: the server could no longer accept or open its database, and ``/healthz`` failed. The
    hard limit is what an unprivileged process may raise itself to (bench/bench_heavy.py holds 1,000 slow clients).
    """
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def _serve(host: str, port: int, workers: int) -> None:
    import uvicorn

    from cxmaturity.storage.database import NotMigratedError, check_migrated, make_engine

    engine = make_engine(os.environ["CXM_DATABASE_URL"])
    try:
        check_migrated(engine)
    except NotMigratedError as exc:
        _fail(f"cxm: {exc}")
    finally:
        engine.dispose()
    from cxmaturity.settings import get_settings

    settings = get_settings()
    if not settings.demo and (problem := settings.secret_problem()):
        _fail(f"cxm: {problem}")
    _raise_open_files_limit()
    # Forwarded headers are believed only from CXM_TRUSTED_PROXIES, by the app itself (web/app.py): uvicorn's own
    # default would believe any process on 127.0.0.1.
    uvicorn.run("cxmaturity.web.asgi:app", host=host, port=port, workers=workers, proxy_headers=False, log_level="info")


@app.command("serve")
def serve_command(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes (they share nothing but the database).")] = 1,
    db: DbOption = None,
) -> None:
    """Run the web app. The database must be migrated (`cxm db upgrade`) and CXM_SECRET_KEY set."""
    _database(db)
    _serve(host, port, workers)


@app.command("worker")
def worker_command(
    concurrency: Annotated[
        int, typer.Option(min=1, max=64, help="Jobs this worker runs at once (threads; PostgreSQL only).")
    ] = 4,
    until_idle: Annotated[
        bool, typer.Option("--until-idle", help="Stop once no job is left, instead of waiting for more.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Run the job queue's worker: it sends invitations, reminders and closing notices, and opens and closes
    scheduled assessments. Run one or more per installation on PostgreSQL (on any hosts that reach the database);
    on SQLite the web app runs the same jobs itself, so this is only needed when no web app runs."""
    import logging

    from cxmaturity.services import jobs
    from cxmaturity.settings import get_settings
    from cxmaturity.storage.database import NotMigratedError, check_migrated, make_engine

    url = _database(db)
    settings = get_settings()
    if not settings.demo and (problem := settings.secret_problem()):
        _fail(f"cxm: {problem}")
    engine = make_engine(url)
    try:
        check_migrated(engine)
    except NotMigratedError as exc:
        engine.dispose()
        _fail(f"cxm worker: {exc}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    kind = "PostgreSQL (procrastinate)" if engine.dialect.name == "postgresql" else "SQLite (in process)"
    try:
        jobs.run_worker(
            settings,
            engine,
            concurrency=concurrency,
            until_idle=until_idle,
            on_start=lambda: typer.echo(f"cxm worker: running jobs on {kind}", err=True),
        )
    except KeyboardInterrupt:
        pass
    finally:
        engine.dispose()


@app.command("demo")
def demo_command(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    db: DbOption = None,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Create the demo database, print, and exit.")] = False,
    score_only: Annotated[
        bool, typer.Option("--score-only", help="Only score SYNTHETIC answers on the terminal; no database.")
    ] = False,
    framework: Annotated[
        str, typer.Option("--framework", "-f", help="Built-in framework id (with --score-only).")
    ] = "xm-six-competencies",
    fmt: Annotated[TableOrJson, typer.Option("--format", help="Output format (with --score-only).")] = (
        TableOrJson.table
    ),
) -> None:
    """Try cx-maturity on SYNTHETIC data: a demo database with a facilitator login, served in the browser."""
    from cxmaturity.demo import SYNTHETIC_LABEL

    if score_only:
        from cxmaturity.demo import demo_responses
        from cxmaturity.scoring import ScoringOptions, score

        fw = _framework(framework)
        result = score(demo_responses(fw), ScoringOptions())
        typer.echo(SYNTHETIC_LABEL, err=True)  # on stderr in both formats: JSON on stdout stays valid
        _emit_result(result, fw, fmt, None, title=f"{fw.text(fw.name)} - {SYNTHETIC_LABEL}", data_label=SYNTHETIC_LABEL)
        return
    from cxmaturity.demo_site import seed
    from cxmaturity.settings import default_data_dir
    from cxmaturity.storage.database import make_engine, make_sessionmaker, upgrade

    data_dir = default_data_dir()
    url = _database(db or str(data_dir / "demo.db"))
    os.environ["CXM_DEMO"] = "1"
    secret_file = data_dir / "demo-secret"
    if not secret_file.exists():
        import secrets

        data_dir.mkdir(parents=True, exist_ok=True)
        secret_file.write_text(secrets.token_hex(32), encoding="utf-8")
        secret_file.chmod(0o600)
    os.environ.setdefault("CXM_SECRET_KEY", secret_file.read_text(encoding="utf-8").strip())
    os.environ.setdefault("CXM_COOKIE_SECURE", "0" if host not in ("127.0.0.1", "localhost") else "1")
    address = f"http://{host}:{port}"
    os.environ.setdefault("CXM_BASE_URL", address)
    engine = make_engine(url)
    try:
        upgrade(url, engine)
        site = seed(make_sessionmaker(engine))
    finally:
        engine.dispose()
    typer.echo(f"cx-maturity demo ({SYNTHETIC_LABEL})")
    typer.echo(f"  database:        {_safe_url(url)}")
    typer.echo(f"  open:            {address}/")
    typer.echo(f"  sign in as:      {site.email}")
    typer.echo(f"  password:        {site.password}   (new at every start)")
    typer.echo(f"  results:         {address}/assessments/{site.closed_assessment_id}/results")
    typer.echo(f"  scorecard:       {address}/orgs/{site.organization_id}/scorecard")
    typer.echo(
        f"  benchmark:       {address}/assessments/{site.closed_assessment_id}/benchmark"
        f"   ({site.peers} SYNTHETIC peer organizations share their results)"
    )
    typer.echo(f"  respondent link: {address}/r/{site.respondent_token}")
    if not no_serve:
        _serve(host, port, 1)


class ReportFormat(StrEnum):
    html = "html"
    pdf = "pdf"
    pptx = "pptx"


class Language(StrEnum):
    """The languages with complete catalogs (cxmaturity.i18n.LOCALES; a test keeps the two alike)."""

    en = "en"
    de = "de"
    fr = "fr"
    es = "es"


class Paper(StrEnum):
    a4 = "a4"
    letter = "letter"


@app.command("report")
def report_command(
    source: Annotated[
        str,
        typer.Argument(
            metavar="ASSESSMENT_OR_ANSWERS",
            help="A stored assessment's id (see --db), or an answers CSV file (then --framework is needed).",
        ),
    ],
    fmt: Annotated[
        ReportFormat, typer.Option("--format", help="html: one self-contained file; pdf: paged; pptx: slides.")
    ],
    out: Annotated[Path, typer.Option("--out", help="The file to write.")],
    framework: Annotated[
        str | None, typer.Option("--framework", "-f", help="Built-in framework id or path to YAML (answers file).")
    ] = None,
    paper: Annotated[Paper, typer.Option("--paper", help="Paper size of the PDF.")] = Paper.a4,
    targets: Annotated[
        Path | None, typer.Option(help="Target stage per competency, YAML or CSV (answers file).")
    ] = None,
    column_map: Annotated[
        Path | None, typer.Option("--map", help="Maps a survey tool's headers to indicators (answers file).")
    ] = None,
    min_group_size: Annotated[
        int, typer.Option(min=1, help="Smallest group whose results are shown (answers file).")
    ] = 3,
    title: Annotated[str | None, typer.Option(help="The report's title (answers file; default: the file name).")] = (
        None
    ),
    organization: Annotated[str, typer.Option(help="The organization's name on the report (answers file).")] = "",
    language: Annotated[
        Language | None,
        typer.Option("--language", help="The report's language (default: the framework's own; docs/translations.md)."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Write the executive report (HTML, PDF or PPTX slides) of a stored assessment or of an answers file (see
    docs/reports.md)."""
    lang = language.value if language else None
    from cxmaturity.services import reports
    from cxmaturity.services.errors import ServiceError

    answers = Path(source)
    if answers.is_file():
        model = _report_of_answers(
            answers, framework, targets, column_map, min_group_size, title or answers.stem, organization, lang
        )
    elif source.isdigit():
        if framework or targets or column_map or title or organization:
            _fail("cxm report: --framework, --targets, --map, --title and --organization are for an answers file")
        model = _report_of_assessment(_stored_id(source, "ASSESSMENT_OR_ANSWERS"), db, lang)
    else:
        _fail(f"{source}: no such file, and not an assessment id")
    try:
        file = reports.render(model, *reports.check_format(fmt.value, paper.value))
    except ServiceError as exc:
        _fail(f"cxm report: {exc.message}")
    try:
        out.write_bytes(file.content)
    except OSError as exc:
        _fail(f"{out}: cannot write: {exc.strerror}")
    if model.synthetic_label:
        typer.echo(model.synthetic_label, err=True)
    typer.echo(f"{out}: {fmt.value} report of {model.view.title} ({len(file.content)} bytes)", err=True)


def _report_of_assessment(  # type: ignore[no-untyped-def]  # returns Report
    assessment_id: int, db: str | None, language: str | None = None
):
    from cxmaturity.services import reports
    from cxmaturity.services.errors import ServiceError
    from cxmaturity.settings import get_settings
    from cxmaturity.storage.database import NotMigratedError, check_migrated, make_engine, make_sessionmaker

    engine = make_engine(_database(db))
    try:
        check_migrated(engine)
        with make_sessionmaker(engine)() as session:
            return reports.report_as_operator(
                session, assessment_id, get_settings().benchmark_min_cohort, language=language
            )
    except (NotMigratedError, ServiceError) as exc:
        _fail(f"cxm report: {exc}")
    finally:
        engine.dispose()


def _report_of_answers(  # type: ignore[no-untyped-def]  # returns Report; imported lazily
    answers: Path,
    framework: str | None,
    targets: Path | None,
    column_map: Path | None,
    min_group_size: int,
    title: str,
    organization: str,
    language: str | None = None,
):
    from datetime import UTC, datetime

    from cxmaturity.reporting.report import build
    from cxmaturity.scoring import ScoringOptions

    if not framework:
        _fail(f"cxm report: {answers} is an answers file: say which framework it answers with --framework")
    fw = _framework(framework)
    responses, wanted = _read_answers(fw, answers, column_map, targets)
    result = _score_file(responses, ScoringOptions(min_group_size=min_group_size, targets=wanted), answers)
    return build(result, fw, title=title, organization=organization, generated_at=datetime.now(UTC), language=language)


# --- peer benchmarks (docs/benchmarks.md) -----------------------------------------------------------------------

benchmark_app = typer.Typer(
    help="Peer benchmarks: compare an assessment with other organizations, datasets, reference distributions.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(benchmark_app, name="benchmark")

IndustryOption = Annotated[str, typer.Option("--industry", help="Cohort: this industry only (a whole value).")]
SizeBandOption = Annotated[str, typer.Option("--size-band", help="Cohort: this size band only, e.g. 250-999.")]
RegionOption = Annotated[str, typer.Option("--region", help="Cohort: this region only (a whole value).")]


@contextmanager
def _operator(db: str | None, command: str) -> Iterator[tuple[Any, int]]:
    """Yield a database session (committed on success) and the minimum cohort; problems become one line."""
    from pydantic import ValidationError

    from cxmaturity.services.errors import ServiceError
    from cxmaturity.settings import get_settings
    from cxmaturity.storage.database import (
        NotMigratedError,
        check_migrated,
        make_engine,
        make_sessionmaker,
        transaction,
    )

    url = _database(db)
    try:
        k = get_settings().benchmark_min_cohort
    except ValidationError as exc:
        _fail([f"cxm {command}: {error['msg'].removeprefix('Value error, ')}" for error in exc.errors()])
    engine = make_engine(url)
    try:
        check_migrated(engine)
        with transaction(make_sessionmaker(engine)) as session:
            yield session, k
    except (NotMigratedError, ServiceError) as exc:
        lines = [f"cxm {command}: {getattr(exc, 'message', None) or exc}"]
        _fail(lines + list(getattr(exc, "details", [])))
    finally:
        engine.dispose()


@benchmark_app.command("show")
def benchmark_show(
    assessment_id: Annotated[int, typer.Argument(min=1, max=ID_MAX, help="The assessment's id (in its web address).")],
    industry: IndustryOption = "",
    size_band: SizeBandOption = "",
    region: RegionOption = "",
    fmt: Annotated[TableOrJson, typer.Option("--format", help="Output format.")] = TableOrJson.table,
    db: DbOption = None,
) -> None:
    """Compare a closed assessment with a cohort of other organizations (privacy rules as on the web page)."""
    from cxmaturity.benchmarks.privacy import CohortFilter
    from cxmaturity.services import benchmarks
    from cxmaturity.storage.tables import Assessment
    from cxmaturity.web.api.benchmark_schemas import BenchmarkPublic

    with _operator(db, "benchmark show") as (session, k):
        assessment = session.get(Assessment, assessment_id)
        if assessment is None:
            _fail(f"cxm benchmark show: no assessment {assessment_id}")
        shown = benchmarks.benchmark_of(session, assessment, CohortFilter.of(industry, size_band, region), k)
        body = BenchmarkPublic.of(shown)
    if assessment.synthetic:
        from cxmaturity.demo import SYNTHETIC_LABEL

        typer.echo(SYNTHETIC_LABEL, err=True)
    if fmt is TableOrJson.json:
        typer.echo(body.model_dump_json(indent=2))
        return
    _emit_benchmark(body)


def _emit_benchmark(body) -> None:  # type: ignore[no-untyped-def]  # a BenchmarkPublic, imported lazily
    from rich.console import Console
    from rich.table import Table

    console = Console()
    release = f"release {body.release.number} of {body.release.released_at:%Y-%m-%d}" if body.release else "no release"
    console.print(
        f"{body.framework_id} {body.framework_version}: assessment {body.assessment_id} against "
        f"{body.cohort.description} ({body.organizations} other organizations, {release}, k = {body.min_cohort})",
        markup=False,
        soft_wrap=True,
    )
    if not body.shown:
        console.print(body.message, markup=False, soft_wrap=True)
    table = Table("competency", "your score", "stage", "position", "median", "Q1", "Q3", "n")

    def num(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}"

    for row in body.competencies:
        own, cohort = row.own, row.cohort
        table.add_row(
            row.key,
            num(own.score if own else None),
            own.stage if own else "-",
            own.position if own and own.position is not None else "-",
            num(cohort.median if cohort else None),
            num(cohort.q1 if cohort else None),
            num(cohort.q3 if cohort else None),
            str(cohort.n) if cohort else "-",
        )
    console.print(table)
    for dataset in body.datasets:
        overall = dataset.competencies[0].cohort if dataset.competencies else None
        figures = f"overall median {overall.median:.2f} ({overall.q1:.2f}-{overall.q3:.2f})" if overall else ""
        console.print(
            f"{dataset.label}: {dataset.description}, {dataset.organizations} organizations, {figures}",
            markup=False,
            soft_wrap=True,
        )
    for reference in body.references:
        shares = ", ".join(f"{key} {share:.0%}" for key, share in reference.shares.items())
        console.print(
            f"{reference.label} ({reference.year}): {shares}. {reference.citation}", markup=False, soft_wrap=True
        )


@benchmark_app.command("export")
def benchmark_export(
    framework: Annotated[str, typer.Option("--framework", "-f", help="The framework id of the results to export.")],
    out: Annotated[Path, typer.Option("--out", help="The dataset file (JSON) to write.")],
    version: Annotated[
        str | None, typer.Option("--version", help="The framework version, when results of several are stored.")
    ] = None,
    industry: IndustryOption = "",
    size_band: SizeBandOption = "",
    region: RegionOption = "",
    synthetic: Annotated[bool, typer.Option("--synthetic", help="Export the SYNTHETIC results' pool instead.")] = False,
    source: Annotated[
        str | None,
        typer.Option("--source", help="The installation's name in the file (default: CXM_INSTALLATION_NAME)."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Write a cohort's aggregates as a dataset for another installation: no answers, no organization names."""
    from datetime import date

    from cxmaturity.benchmarks.privacy import CohortFilter
    from cxmaturity.services import benchmarks
    from cxmaturity.settings import get_settings

    with _operator(db, "benchmark export") as (session, k):
        name = source or get_settings().source_name()
        cohort = CohortFilter.of(industry, size_band, region)
        data = benchmarks.export_pool(session, framework, version, cohort, k, name, date.today(), synthetic)
    _write(benchmarks.dataset_json(data), out)
    if synthetic:
        from cxmaturity.demo import SYNTHETIC_LABEL

        typer.echo(SYNTHETIC_LABEL, err=True)
    typer.echo(f"{out}: {data['cohort']['description']}, {data['organizations']} organizations", err=True)


@benchmark_app.command("import")
def benchmark_import(
    file: Annotated[Path, typer.Argument(help="A dataset file (JSON) exported by another installation.")],
    organization: Annotated[
        int | None,
        typer.Option(
            "--organization", min=1, max=ID_MAX, help="Import for this organization only (default: everyone)."
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Import a benchmark dataset; it is shown beside benchmarks of its framework, labelled with source and date."""
    text = _read_text(file)
    from cxmaturity.services import benchmarks

    with _operator(db, "benchmark import") as (session, _k):
        row = benchmarks.import_dataset(session, None, organization, str(file), text)
        label = f"Imported: {row.source}, {row.source_date.isoformat()}"
        scope = f"organization {organization}" if organization is not None else "the whole installation"
        typer.echo(f"{label} ({row.description}, {row.organizations} organizations) for {scope}")


@benchmark_app.command("refresh")
def benchmark_refresh(
    framework: Annotated[
        str | None, typer.Option("--framework", "-f", help="Only the results of this framework id.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Store every closed assessment's result again, then release the changes the privacy rules allow."""
    from cxmaturity.services import benchmark_pool

    with _operator(db, "benchmark refresh") as (session, k):
        done = benchmark_pool.refresh(session, k, framework)
    typer.echo(f"stored the results of {done.stored} closed assessments")
    for key, number in done.releases:
        typer.echo(f"{key}: release {number}")


@benchmark_app.command("reference")
def benchmark_reference(
    file: Annotated[Path, typer.Argument(help="A reference distribution (YAML or JSON) with its citation.")],
    db: DbOption = None,
) -> None:
    """Attach a published stage distribution to a framework, shown beside its benchmarks with the citation."""
    text = _read_text(file)
    from cxmaturity.services import benchmarks

    with _operator(db, "benchmark reference") as (session, _k):
        row = benchmarks.add_reference(session, str(file), text)
        typer.echo(f"{row.framework_id}: Published: {row.title}")


# --- outcomes -----------------------------------------------------------------------------------------------------

outcomes_app = typer.Typer(
    help="Customer outcomes from imported files: NPS, CSAT and CES with intervals, key drivers, the customer asset.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(outcomes_app, name="outcomes")

SurveyArgument = Annotated[
    Path, typer.Argument(help="Survey export: Qualtrics, SurveyMonkey or Google Forms CSV, or a plain CSV/XLSX.")
]
MappingOption = Annotated[
    Path | None,
    typer.Option(
        "--mapping", help="A saved column mapping (JSON, as 'cxm outcomes inspect' prints); options override it."
    ),
]
IdOption = Annotated[str | None, typer.Option("--id", help="Response id column (default: suggested).")]
DateFormatOption = Annotated[
    str | None, typer.Option("--date-format", help="How dates are written: iso or a strptime format like %d/%m/%Y.")
]
PartialOption = Annotated[
    bool, typer.Option("--include-partial", help="Count responses the file marks as not finished.")
]


def _outcomes_error(exc: Exception) -> NoReturn:
    """Print an outcome file's problems, one per line (file, row, column: message), and exit 1."""
    _fail(str(exc).splitlines())


def _mapping_options(
    nps: str | None,
    csat: str | None,
    ces: str | None,
    period: str | None,
    segment: str | None,
    response_id: str | None,
    date_format: str | None,
    csat_scale: int | None,
    ces_scale: int | None,
    ces_high_is_effort: bool,
    include_partial: bool,
) -> dict[str, Any]:
    """The survey-mapping options of the command line, as overrides of the saved or suggested mapping (None keeps)."""
    return {
        "nps": nps,
        "csat": csat,
        "ces": ces,
        "submitted_at": period,
        "segment": segment,
        "response_id": response_id,
        "date_format": date_format,
        "csat_scale": csat_scale,
        "ces_scale": ces_scale,
        "ces_high_is_easy": False if ces_high_is_effort else None,
        "include_partial": True if include_partial else None,
    }


def _survey_mapping(  # type: ignore[no-untyped-def]  # returns (Suggestion, ColumnMapping); imported lazily
    file: Path, mapping_file: Path | None, overrides: dict[str, Any]
):
    """Return the file's suggestion and the mapping to read it with: the saved mapping (or the suggestion) with
    the options given on the command line."""
    from cxmaturity.outcomes import ColumnMapping, MappingError, OutcomesError, suggest_mapping
    from cxmaturity.outcomes.sources import mapping_with

    try:
        suggestion = suggest_mapping(file)
        base = suggestion.mapping
        if mapping_file is not None:
            try:
                base = ColumnMapping.from_json(_read_text(mapping_file))
            except MappingError as exc:
                _fail(f"{mapping_file}: {exc}")
        if overrides.get("submitted_at") and not overrides.get("date_format"):
            from cxmaturity.outcomes.sources import suggest_date_format

            overrides = {**overrides, "date_format": suggest_date_format(file, overrides["submitted_at"])}
        return suggestion, mapping_with(base, **overrides)
    except OutcomesError as exc:
        _outcomes_error(exc)
    except MappingError as exc:
        _fail(f"{file}: {exc}")


def _json_out(data: dict[str, Any], out: Path | None) -> None:
    import json

    _write(json.dumps(data, indent=2, ensure_ascii=False) + "\n", out)


@outcomes_app.command("inspect")
def outcomes_inspect(
    file: SurveyArgument,
    fmt: Annotated[ShowFormat, typer.Option("--format", help="Output format.")] = ShowFormat.text,
) -> None:
    """Recognize a survey file's tool and columns and suggest which column is NPS, CSAT, CES, date and segment."""
    suggestion, _ = _survey_mapping(file, None, {})
    layout = suggestion.layout
    if fmt is ShowFormat.json:
        columns = [
            {"name": c.name, "label": c.label, **({"import_id": c.import_id} if c.import_id else {})}
            for c in layout.columns
        ]
        data = {
            "source": str(file),
            "tool": layout.tool,
            "header_rows": layout.header_rows,
            "sheet": layout.sheet,
            "sheets": layout.sheets,
            "sheet_read": layout.sheet_read,
            "columns": columns,
            "mapping": suggestion.mapping.to_dict(),
            "reasons": suggestion.reasons,
        }
        _json_out(data, None)
        return
    read = f" ({layout.sheet_read})" if layout.sheet_read else ""
    typer.echo(f"{file}: {layout.tool} export, {layout.header_rows} header row(s), {len(layout.columns)} columns{read}")
    for role, reason in suggestion.reasons.items():
        typer.echo(f"  {role:<13} {reason}")
    typer.echo("Save the mapping with --format json and pass it back with --mapping.")


@outcomes_app.command("summary")
def outcomes_summary(
    file: SurveyArgument,
    nps: Annotated[str | None, typer.Option("--nps", help="NPS column, answers 0-10 (default: suggested).")] = None,
    csat: Annotated[str | None, typer.Option("--csat", help="CSAT column (default: suggested).")] = None,
    ces: Annotated[str | None, typer.Option("--ces", help='CES column (default: suggested; "" for none).')] = None,
    period: Annotated[
        str | None, typer.Option("--period", help="Date column whose month is the period (default: suggested).")
    ] = None,
    segment: Annotated[str | None, typer.Option("--segment", help="Segment column (default: suggested).")] = None,
    response_id: IdOption = None,
    date_format: DateFormatOption = None,
    csat_scale: Annotated[int | None, typer.Option("--csat-scale", help="Top of the CSAT scale: 5 or 7.")] = None,
    ces_scale: Annotated[int | None, typer.Option("--ces-scale", help="Top of the CES scale: 5 or 7.")] = None,
    ces_high_is_effort: Annotated[
        bool, typer.Option("--ces-high-is-effort", help="A high CES answer means much effort (default: easy).")
    ] = False,
    include_partial: PartialOption = False,
    mapping: MappingOption = None,
    min_segment_size: Annotated[
        int, typer.Option("--min-segment-size", min=1, help="Smallest segment whose metrics are shown.")
    ] = 3,
    fmt: Annotated[ShowFormat, typer.Option("--format", help="Output format.")] = ShowFormat.text,
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of standard output.")] = None,
) -> None:
    """NPS, CSAT and CES of a survey export with 90% intervals, by month and segment, and month-to-month changes."""
    from cxmaturity.outcomes import OutcomesError, Scales, SummaryOptions, SurveyReader, Tallies, summarize_tallies
    from cxmaturity.outcomes.serialize import summary_to_dict

    _, chosen = _survey_mapping(
        file,
        mapping,
        _mapping_options(
            nps,
            csat,
            ces,
            period,
            segment,
            response_id,
            date_format,
            csat_scale,
            ces_scale,
            ces_high_is_effort,
            include_partial,
        ),
    )
    if not chosen.metric_columns():
        _fail(f"{file}: no NPS, CSAT or CES column found; name one with --nps, --csat or --ces")
    tallies = Tallies(Scales(chosen.csat_scale, chosen.ces_scale, chosen.ces_high_is_easy))
    try:
        reader = SurveyReader(file, chosen)
        for response in reader:
            tallies.add(response)
        reader.problems.check()
    except OutcomesError as exc:
        _outcomes_error(exc)
    summary = summarize_tallies(tallies, SummaryOptions(min_segment_size=min_segment_size))
    data = summary_to_dict(summary, str(file), reader.layout.tool, chosen, reader.partial)
    if fmt is ShowFormat.json:
        _json_out(data, out)
        return
    _write(_summary_text(data), out)


def _summary_text(data: dict[str, Any]) -> str:
    names = {"nps": "NPS", "csat": "CSAT %", "ces": "CES"}
    lines = [
        f"{data['source']} ({data['tool']}): {data['responses']} responses"
        + (f", {data['partial_skipped']} not finished left out" if data["partial_skipped"] else "")
    ]

    def one(label: str, m: dict[str, Any]) -> str:
        if m.get("withheld"):
            return f"  {label:<22} withheld (n = {m['n']})"
        interval = m["interval"]
        shown = f"{interval[0]:.1f} to {interval[1]:.1f}" if interval else "no interval"
        extra = ""
        if "promoters" in m:
            extra = f"  promoters {m['promoters']}, passives {m['passives']}, detractors {m['detractors']}"
        return f"  {label:<22} {m['value']:7.1f}  (90%: {shown})  n = {m['n']}{extra}"

    for metric in ("nps", "csat", "ces"):
        if metric not in data:
            continue
        m = data[metric]
        lines.append(f"{names[metric]}")
        lines.append(one("all", m))
        lines.extend(one(c["period"], c) for c in m["by_period"] if "period" in c)
        lines.extend(one(c["segment"], c) for c in m["by_segment"])
        for c in m["changes"]:
            lines.append(f"  {c['from']} -> {c['to']}: {c['difference']:+.1f}, {c['verdict']}")
    return "\n".join(lines) + "\n"


@outcomes_app.command("drivers")
def outcomes_drivers(
    file: SurveyArgument,
    outcome: Annotated[str, typer.Option("--outcome", help="The outcome column (e.g. likelihood to recommend).")],
    drivers: Annotated[str, typer.Option("--drivers", help="Driver columns, separated by commas.")],
    response_id: IdOption = None,
    include_partial: PartialOption = False,
    resamples: Annotated[int, typer.Option("--resamples", min=0, help="Bootstrap resamples (0 = none).")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the bootstrap.")] = 0,
    fmt: Annotated[ShowFormat, typer.Option("--format", help="Output format.")] = ShowFormat.text,
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of standard output.")] = None,
) -> None:
    """Key drivers of an outcome: Johnson's relative weights (summing to R²) with bootstrap 90% intervals."""
    import math

    from cxmaturity.outcomes import DriversError, OutcomesError, SurveyReader, analyze
    from cxmaturity.outcomes.serialize import drivers_to_dict

    names = [d.strip() for d in drivers.split(",") if d.strip()]
    if not names:
        _fail("cxm outcomes drivers: name the driver columns with --drivers COL,COL,...")
    if outcome in names or len(set(names)) != len(names):
        _fail("cxm outcomes drivers: each driver column is named once, and the outcome is not among them")
    suggestion, _ = _survey_mapping(file, None, {})
    from cxmaturity.outcomes import ColumnMapping

    chosen = ColumnMapping(
        response_id=response_id or suggestion.mapping.response_id,
        finished=suggestion.mapping.finished,
        include_partial=include_partial,
        drivers=(outcome, *names),
    )
    y: list[float] = []
    x: list[list[float]] = []
    try:
        reader = SurveyReader(file, chosen)
        for response in reader:
            values = [response.drivers[c] for c in (outcome, *names)]
            y.append(math.nan if values[0] is None else values[0])
            x.append([math.nan if v is None else v for v in values[1:]])
        reader.problems.check()
        analysis = analyze(y, x, names, outcome, resamples=resamples, seed=seed)
    except OutcomesError as exc:
        _outcomes_error(exc)
    except DriversError as exc:
        _fail(f"{file}: {exc}")
    data = drivers_to_dict(analysis, str(file))
    if fmt is ShowFormat.json:
        _json_out(data, out)
        return
    lines = [f"{file}: key drivers of '{outcome}', n = {data['n']}, R² = {data['r2']:.3f}"]
    for d in data["drivers"]:
        interval = d["interval"]
        shown = f"{interval[0]:.3f} to {interval[1]:.3f}" if interval else "no interval"
        lines.append(
            f"  {d['column']:<30} weight {d['weight']:.3f} (90%: {shown})  share {100 * d['share']:5.1f}%  "
            f"{d['quadrant']}"
        )
    _write("\n".join(lines) + "\n", out)


@outcomes_app.command("asset")
def outcomes_asset(
    file: Annotated[Path, typer.Argument(help="Customer list (CSV or XLSX): id, start, end, value per year.")],
    first: Annotated[str, typer.Option("--from", help="First day of the period (YYYY-MM-DD).")],
    last: Annotated[str, typer.Option("--to", help="Last day of the period (YYYY-MM-DD).")],
    segment: Annotated[str | None, typer.Option("--segment", help="Segment column (default: 'segment').")] = None,
    customer_id: Annotated[str | None, typer.Option("--id", help="Customer id column.")] = None,
    start: Annotated[str | None, typer.Option("--start", help="Start date column.")] = None,
    end: Annotated[str | None, typer.Option("--end", help="End date column (empty: still a customer).")] = None,
    value: Annotated[str | None, typer.Option("--value", help="Value per year column.")] = None,
    date_format: DateFormatOption = None,
    fmt: Annotated[ShowFormat, typer.Option("--format", help="Output format.")] = ShowFormat.text,
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of standard output.")] = None,
) -> None:
    """The customer asset over a period: customers and value at start and end, gained, lost, retention, churn."""
    from cxmaturity.outcomes import AssetError, CustomerColumns, OutcomesError, customer_asset, iter_customers
    from cxmaturity.outcomes.problems import ProblemLog
    from cxmaturity.outcomes.serialize import asset_to_dict

    first_day = _iso_day(first, "--from")
    last_day = _iso_day(last, "--to")
    columns = CustomerColumns(customer_id, start, end, value, segment, date_format or "iso")
    log = ProblemLog()
    try:
        asset = customer_asset(iter_customers(file, columns, log), first_day, last_day)
        log.check()
    except OutcomesError as exc:
        _outcomes_error(exc)
    except AssetError as exc:
        _fail(f"cxm outcomes asset: {exc}")
    data = asset_to_dict(asset, str(file))
    if fmt is ShowFormat.json:
        _json_out(data, out)
        return
    lines = [f"{file}: customer asset from {data['from']} to {data['to']}"]

    def rows(label: str, f: dict[str, Any]) -> None:
        rate = "" if f["retention_rate"] is None else f", retention {f['retention_rate']:.1%}"
        churn = "" if f["churn_rate"] is None else f", churn {f['churn_rate']:.1%}"
        lines.append(
            f"  {label:<16} start {f['start']['customers']} ({f['start']['value']:,.0f}), end {f['end']['customers']}"
            f" ({f['end']['value']:,.0f}), gained {f['gained']['customers']}, lost {f['lost']['customers']}{rate}"
            f"{churn}"
        )

    rows("all", data)
    for seg in data["by_segment"]:
        rows(seg["segment"], seg)
    _write("\n".join(lines) + "\n", out)


def _iso_day(text: str, option: str):  # type: ignore[no-untyped-def]  # returns datetime.date
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError:
        _fail(f"cxm outcomes: {option} {text!r} is not a date (YYYY-MM-DD)", code=2)


@outcomes_app.command("import")
def outcomes_import(
    file: Annotated[Path, typer.Argument(help="A survey export, a customer list or an O-data file (CSV or XLSX).")],
    organization: Annotated[int, typer.Option("--organization", min=1, max=ID_MAX, help="The organization's id.")],
    email: Annotated[str, typer.Option("--email", help="The account that imports (a facilitator or owner).")],
    kind: Annotated[
        str, typer.Option("--kind", help="What the file holds: survey, customers or operational.")
    ] = "survey",
    nps: Annotated[str | None, typer.Option("--nps", help="NPS column, answers 0-10 (default: suggested).")] = None,
    csat: Annotated[str | None, typer.Option("--csat", help="CSAT column (default: suggested).")] = None,
    ces: Annotated[str | None, typer.Option("--ces", help="CES column (default: suggested).")] = None,
    period: Annotated[str | None, typer.Option("--period", help="Date column (default: suggested).")] = None,
    segment: Annotated[str | None, typer.Option("--segment", help="Segment column (default: suggested).")] = None,
    response_id: IdOption = None,
    date_format: DateFormatOption = None,
    csat_scale: Annotated[int | None, typer.Option("--csat-scale", help="Top of the CSAT scale: 5 or 7.")] = None,
    ces_scale: Annotated[int | None, typer.Option("--ces-scale", help="Top of the CES scale: 5 or 7.")] = None,
    ces_high_is_effort: Annotated[
        bool, typer.Option("--ces-high-is-effort", help="A high CES answer means much effort (default: easy).")
    ] = False,
    include_partial: PartialOption = False,
    mapping: MappingOption = None,
    save_mapping: Annotated[
        str | None, typer.Option("--save-mapping", help="Save the survey mapping used under this name.")
    ] = None,
    synthetic: Annotated[bool, typer.Option("--synthetic", help="Label the data SYNTHETIC (demos, tests).")] = False,
    db: DbOption = None,
) -> None:
    """Import a file into an organization's stored outcomes: checked in full first, then stored all at once; a
    response or customer already stored is replaced, never counted twice."""
    from sqlalchemy import select

    from cxmaturity.services import outcomes
    from cxmaturity.services.access import Actor
    from cxmaturity.services.errors import ServiceError
    from cxmaturity.storage.database import NotMigratedError, check_migrated, make_engine, make_sessionmaker
    from cxmaturity.storage.tables import User

    if kind not in ("survey", "customers", "operational"):
        _fail(f"cxm outcomes import: --kind must be survey, customers or operational, not {kind!r}", code=2)
    if not file.is_file():
        _fail(f"{file}: no such file")
    engine = make_engine(_database(db))
    try:
        check_migrated(engine)
        sessions = make_sessionmaker(engine)
        with sessions() as session:
            user_id = session.scalar(select(User.id).where(User.email == email.strip().lower()))
        if user_id is None:
            _fail(f"cxm outcomes import: no account with the e-mail address {email}")
        actor = Actor(user_id)
        if kind == "customers":
            done = outcomes.import_customers_file(sessions, actor, organization, file, synthetic=synthetic)
        elif kind == "operational":
            done = outcomes.import_odata_file(sessions, actor, organization, file, synthetic=synthetic)
        else:
            _, chosen = _survey_mapping(
                file,
                mapping,
                _mapping_options(
                    nps,
                    csat,
                    ces,
                    period,
                    segment,
                    response_id,
                    date_format,
                    csat_scale,
                    ces_scale,
                    ces_high_is_effort,
                    include_partial,
                ),
            )
            done = outcomes.import_survey_file(sessions, actor, organization, file, chosen, synthetic=synthetic)
            if save_mapping:
                from cxmaturity.storage.database import transaction

                with transaction(sessions) as session:
                    outcomes.save_mapping(session, actor, organization, save_mapping, chosen)
    except NotMigratedError as exc:
        _fail(f"cxm outcomes import: {exc}")
    except ServiceError as exc:
        _fail([f"cxm outcomes import: {exc.message}", *exc.details])
    finally:
        engine.dispose()
    skipped = f", {done.partial} unfinished skipped" if done.partial else ""
    typer.echo(
        f"{file}: {done.responses} rows ({done.tool}), {done.added} new, {done.replaced} replaced{skipped} "
        f"(import {done.source_id})"
    )


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
