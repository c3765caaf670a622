"""Read target stages per competency from a YAML/JSON mapping or a two-column CSV (``competency,target``)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import yaml

from cxmaturity.answers.builder import AnswerProblem, AnswersError, Where
from cxmaturity.answers.csv_reader import decode_utf8, not_utf8
from cxmaturity.frameworks.model import Framework


def read_targets(path: Path, framework: Framework) -> dict[str, str]:
    """Return ``{competency key: stage key}``; raise :class:`AnswersError` naming the line of each bad entry."""
    file = str(path)
    try:
        text = decode_utf8(path.read_bytes())
    except OSError as exc:
        raise AnswersError([AnswerProblem(Where(file), f"cannot read targets: {exc.strerror or exc}")]) from None
    except UnicodeDecodeError as exc:
        raise AnswersError([AnswerProblem(Where(file), not_utf8(exc))]) from None
    entries = _csv_entries(text, file) if path.suffix.lower() == ".csv" else _yaml_entries(text, file)
    problems: list[AnswerProblem] = []
    competencies = [c.key for c in framework.competencies]
    targets: dict[str, str] = {}
    for competency, stage, where in entries:
        if competency not in competencies:
            problems.append(
                AnswerProblem(where, f"unknown competency '{competency}' (known: {', '.join(competencies)})")
            )
        elif stage not in framework.stage_keys:
            problems.append(AnswerProblem(where, f"unknown stage '{stage}' (known: {', '.join(framework.stage_keys)})"))
        elif competency in targets:
            problems.append(AnswerProblem(where, f"second target for '{competency}'"))
        else:
            targets[competency] = stage
    if problems:
        raise AnswersError(problems)
    return targets


def _csv_entries(text: str, file: str) -> list[tuple[str, str, Where]]:
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:  # e.g. a field over the csv module's size limit
        raise AnswersError([AnswerProblem(Where(file), f"not valid CSV: {exc}")]) from None
    if not rows or [c.strip().lower() for c in rows[0][:2]] != ["competency", "target"]:
        raise AnswersError([AnswerProblem(Where(file, 1), "expected a header 'competency,target'")])
    out = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < 2:
            raise AnswersError([AnswerProblem(Where(file, number), "expected two cells: competency,target")])
        out.append((row[0].strip(), row[1].strip(), Where(file, number, "competency")))
    return out


def _yaml_entries(text: str, file: str) -> list[tuple[str, str, Where]]:
    try:
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise AnswersError(
            [
                AnswerProblem(
                    Where(file, None if mark is None else mark.line + 1),
                    f"not valid YAML: {getattr(exc, 'problem', None) or exc}",
                )
            ]
        ) from None
    if isinstance(root, yaml.MappingNode) and any(k.value == "targets" for k, _ in root.value):
        root = next(v for k, v in root.value if k.value == "targets")
    if not isinstance(root, yaml.MappingNode):
        raise AnswersError([AnswerProblem(Where(file, 1), "expected a mapping of competency: target stage")])
    out = []
    for key, value in root.value:
        if not isinstance(key, yaml.ScalarNode) or not isinstance(value, yaml.ScalarNode):
            raise AnswersError(
                [AnswerProblem(Where(file, key.start_mark.line + 1), "expected 'competency: stage' on this line")]
            )
        out.append((str(key.value), str(value.value), Where(file, key.start_mark.line + 1)))
    return out
