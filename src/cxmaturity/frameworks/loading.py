"""Turn YAML text, files or plain data into a validated :class:`Framework`, or every error with its position."""

from __future__ import annotations

import difflib
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from cxmaturity.frameworks.model import Framework
from cxmaturity.frameworks.problems import FrameworkError, Loc, Problem
from cxmaturity.frameworks.references import check_references
from cxmaturity.frameworks.translations import check_translations
from cxmaturity.frameworks.yaml_source import SourceMap, read_path, read_text


def load_framework(path: str | Path) -> Framework:
    """Load and validate a framework file or folder; raise :class:`FrameworkError` listing every problem."""
    data, source_map = read_path(Path(path))
    return parse_framework(data, source_map)


def load_framework_text(text: str, file: str = "<framework>") -> Framework:
    data, source_map = read_text(text, file)
    return parse_framework(data, source_map)


def parse_framework(data: dict[str, Any], source_map: SourceMap | None = None) -> Framework:
    """Validate plain data (e.g. a stored snapshot); positions come from ``source_map`` when there is one."""
    source_map = source_map or SourceMap()
    try:
        framework = Framework.model_validate(data)
    except ValidationError as exc:
        raise FrameworkError(_problems_from_pydantic(exc.errors(), data, source_map)) from None
    problems = check_references(framework) + check_translations(framework)
    if problems:
        raise FrameworkError([_place(p, source_map) for p in problems])
    return framework


def _place(problem: Problem, source_map: SourceMap) -> Problem:
    return Problem(problem.loc, problem.message, problem.severity, source_map.find(problem.loc))


def _strip_tags(loc: tuple[Any, ...], data: Any) -> Loc:
    """Drop the path elements pydantic adds for union members (e.g. the ``statement`` of a tagged union)."""
    out: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict | list) and _has(node, part):
            node = node[part]
            out.append(part)
        elif isinstance(part, str) and isinstance(node, dict) and part == node.get("kind"):
            continue  # the tag of an indicator's union member, not a field
        elif isinstance(part, str) and _is_member_name(part):
            continue
        else:
            out.append(part)
            node = None
    return tuple(out)


def _is_member_name(part: str) -> bool:
    """Whether ``part`` names a member of an untagged union (``Text``) or a validator wrapper, not a field."""
    return part == "str" or part.startswith(("function-", "dict[", "tagged-union[", "constrained-"))


def _text_branch_fits(err: ErrorDetails, data: dict[str, Any]) -> bool:
    """Whether an error from one member of ``Text`` (string or language mapping) matches what the author wrote.

    A text that fails both members gets an error from each; only the one for the shape the author chose helps.
    """
    raw = tuple(err["loc"])
    for k, part in enumerate(raw):
        if isinstance(part, str) and (part.startswith("dict[") or part == "str" or part.startswith("constrained-str")):
            return part.startswith("dict[") == isinstance(_at(data, _strip_tags(raw[:k], data)), dict)
    return True


def _inner_model(annotation: Any) -> Any:
    """Return the model inside ``tuple[M, ...]``, ``dict[str, M]``, ``M | None`` or ``Annotated[...]``."""
    origin = typing.get_origin(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if origin is typing.Annotated:
        return _inner_model(typing.get_args(annotation)[0])
    if origin in (tuple, list):
        return _SequenceOf(_inner_model(typing.get_args(annotation)[0]))
    if origin is dict:
        return _MappingOf(_inner_model(typing.get_args(annotation)[1]))
    if origin in (typing.Union, types.UnionType):
        members = [_inner_model(a) for a in typing.get_args(annotation) if a is not type(None)]
        members = [m for m in members if m is not None]
        return members[0] if len(members) == 1 else (_UnionOf(members) if members else None)
    return None


class _SequenceOf:
    def __init__(self, item: Any) -> None:
        self.item = item


class _MappingOf:
    def __init__(self, item: Any) -> None:
        self.item = item


class _UnionOf:
    def __init__(self, members: list[Any]) -> None:
        self.members = members


def _fields_at(loc: Loc, data: Any) -> list[str]:
    """Return the field names allowed in the mapping at ``loc`` (empty if unknown)."""
    node: Any = _inner_model(Framework)
    value: Any = data
    for part in loc:
        if (isinstance(node, _SequenceOf) and isinstance(part, int)) or (
            isinstance(node, _MappingOf) and isinstance(part, str)
        ):
            node = node.item
        elif isinstance(node, type) and issubclass(node, BaseModel) and isinstance(part, str):
            field = node.model_fields.get(part)
            if field is None:
                return []
            node = _inner_model(field.annotation)
        else:
            return []
        value = _at(value, (part,))
        if isinstance(node, _UnionOf):
            kind = value.get("kind") if isinstance(value, dict) else None
            node = next((m for m in node.members if _kind_of(m) == kind), None)
    if isinstance(node, type) and issubclass(node, BaseModel):
        return list(node.model_fields)
    return []


def _has(container: dict[str, Any] | list[Any], part: str | int) -> bool:
    if isinstance(container, dict):
        return isinstance(part, str) and part in container
    return isinstance(part, int) and 0 <= part < len(container)


def _at(value: Any, loc: Loc) -> Any:
    """Return the value at ``loc`` inside ``value``, or None where the path does not exist."""
    for part in loc:
        if isinstance(value, dict) and isinstance(part, str):
            value = value.get(part)
        elif isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value):
            value = value[part]
        else:
            return None
    return value


def _kind_of(model: Any) -> str | None:
    if isinstance(model, type) and issubclass(model, BaseModel) and "kind" in model.model_fields:
        args = typing.get_args(model.model_fields["kind"].annotation)
        return str(args[0]) if args else None
    return None


_MESSAGES: dict[str, str] = {
    "missing": "missing required field",
    "string_type": "expected text (put numbers such as versions in quotes)",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "tuple_type": "expected a list",
    "list_type": "expected a list",
    "dict_type": "expected a mapping",
    "model_type": "expected a mapping",
    "union_tag_not_found": "missing 'kind' (statement or rubric)",
}


def _problems_from_pydantic(errors: list[ErrorDetails], data: dict[str, Any], source_map: SourceMap) -> list[Problem]:
    """Translate pydantic's errors, dropping the noise its unions and length checks add around a real error."""
    fitting = [e for e in errors if _text_branch_fits(e, data)] or errors
    locs = [_strip_tags(tuple(e["loc"]), data) for e in fitting]
    # A misspelt field is reported once, as unknown with its suggestion, not also as a missing field.
    misspelt = set()
    for err, loc in zip(fitting, locs, strict=True):
        if err["type"] == "extra_forbidden" and loc:
            hint, _ = _suggest(loc, data)
            if hint:
                misspelt.add((*loc[:-1], hint))

    def has_other_below(i: int) -> bool:
        return any(len(locs[j]) > len(locs[i]) and locs[j][: len(locs[i])] == locs[i] for j in range(len(locs)))

    kept = []
    for i, err in enumerate(fitting):
        if err["type"] == "too_short" and has_other_below(i):
            continue  # pydantic re-counts a list after dropping its invalid items
        if err["type"] == "missing" and locs[i] in misspelt:
            continue
        kept.append(_from_pydantic(err, data, source_map))
    return kept


def _suggest(loc: Loc, data: dict[str, Any]) -> tuple[str | None, list[str]]:
    """Return the allowed field closest to the unknown field at ``loc`` (if any is close), and all allowed fields."""
    allowed = _fields_at(loc[:-1], data)
    hint = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
    return (hint[0] if hint else None), allowed


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _constraint_message(kind: str, ctx: dict[str, Any]) -> str | None:
    """Word pydantic's range and length checks as a rule for the author; None for other kinds."""
    if kind == "greater_than":
        return f"must be greater than {_number(ctx.get('gt'))}"
    if kind == "greater_than_equal":
        return f"must be at least {_number(ctx.get('ge'))}"
    if kind == "less_than":
        return f"must be less than {_number(ctx.get('lt'))}"
    if kind == "less_than_equal":
        return f"must be at most {_number(ctx.get('le'))}"
    if kind == "string_too_short":
        least = ctx.get("min_length")
        return "must not be empty" if least == 1 else f"needs at least {least} characters"
    if kind == "string_too_long":
        return f"is longer than {ctx.get('max_length')} characters"
    return None


def _from_pydantic(err: ErrorDetails, data: dict[str, Any], source_map: SourceMap) -> Problem:
    loc = _strip_tags(tuple(err["loc"]), data)
    kind = err["type"]
    ctx = err.get("ctx", {})
    if loc and loc[-1] == "[key]":
        loc = loc[:-1]
    message = _constraint_message(kind, ctx) or _MESSAGES.get(kind, err["msg"][:1].lower() + err["msg"][1:])
    if kind == "extra_forbidden":
        name = str(loc[-1]) if loc else "?"
        hint, allowed = _suggest(loc, data) if loc else (None, [])
        message = f"unknown field '{name}'" + (f"; did you mean '{hint}'?" if hint else "")
        if allowed:
            message += f" (allowed: {', '.join(allowed)})"
        return Problem(loc, message, position=source_map.find(loc, key=True))
    if kind == "union_tag_invalid":
        message = (
            f"unknown kind {ctx['tag']!r} (expected statement or rubric)"
            if "tag" in ctx
            else ("kind must be statement or rubric")
        )
        loc = (*loc, "kind")
    if kind == "literal_error":
        expected = ctx.get("expected", "")
        message = f"expected {expected}, got {err['input']!r}"
    if kind == "string_pattern_mismatch":
        message = f"{err['input']!r} is not valid ({_pattern_hint(str(ctx.get('pattern', '')), loc)})"
    if kind == "too_short":
        least = ctx.get("min_length")
        if isinstance(err.get("input"), dict):  # only a text's language mapping has a minimum size
            message = "a language mapping needs at least one language, e.g. {en: ...}"
        else:
            message = f"needs at least {least} item{'' if least == 1 else 's'}, has {ctx.get('actual_length')}"
    if kind in {"missing"} and loc:
        return Problem(loc, f"missing required field '{loc[-1]}'", position=source_map.find(loc[:-1]))
    if "input" in err and kind not in {
        "missing",
        "extra_forbidden",
        "literal_error",
        "string_pattern_mismatch",
        "union_tag_invalid",
        "union_tag_not_found",
        "string_too_short",
    }:
        shown = "an empty value" if err["input"] is None else repr(err["input"])
        if len(shown) <= 60 and not isinstance(err["input"], dict | list):
            message += f", got {shown}"
    return Problem(loc, message, position=source_map.find(loc))


def _pattern_hint(pattern: str, loc: Loc) -> str:
    if loc == ("id",):
        return "an id uses lowercase letters, digits and '-'"
    if pattern.startswith("^[a-z]{2,3}"):
        return "expected a language code such as en or pt-BR"
    if pattern.startswith(r"^\S"):
        return "an option key has no leading or trailing spaces"
    return "a key starts with a letter or digit and uses letters, digits, '-', '_' or '.'"
