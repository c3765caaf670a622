"""The result as JSON-ready data: the shape of ``cxm score --format json`` and of the API (docs/cli.md)."""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from typing import Any

from cxmaturity.scoring.agreement import NULL_DISTRIBUTION, RWG_CUTOFF
from cxmaturity.scoring.display import floor_score
from cxmaturity.scoring.result import Result

#: Numbers are rounded for reading; the engine keeps full precision.
DIGITS = 4
#: Fields that hold a score (whole part = stage): floored, so 2.99996 stays 2.9999 and never reads as stage 3.
SCORE_FIELDS = frozenset({"score", "overall_score", "group_score", "others_score"})


def _clean(value: Any, *, score: bool = False) -> Any:
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return floor_score(value, DIGITS) if score else round(value, DIGITS)
    if isinstance(value, dict):
        return {k: _clean(v, score=k in SCORE_FIELDS) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def result_to_dict(result: Result) -> dict[str, Any]:
    """Return the result as plain data: stages by key, intervals as [lower, upper], NaN as null."""
    data = dataclasses.asdict(result)
    options = data.pop("options")
    data["settings"] = {
        "min_group_size": options["min_group_size"],
        "bootstrap": options["bootstrap"],
        "seed": options["seed"],
        "confidence": options["confidence"],
        "targets": options["targets"],
        # How agreement is measured, so a reader of the JSON knows what rwg = 0 and "polarised" are relative to.
        "agreement": {"null": NULL_DISTRIBUTION, "rwg_cutoff": RWG_CUTOFF},
    }
    return {"format": "cx-maturity/result@1", **_clean(data)}


# --- full precision (stored results) --------------------------------------------------------------------------------
# The public JSON above rounds for reading and drops the scoring options' internals. A stored result must come back
# equal to what the engine returned, so it is written field for field at full precision and rebuilt from the
# dataclasses' type hints: a field added to scoring/result.py round-trips without a change here.

#: Non-finite floats, which JSON (and PostgreSQL's json type) cannot hold, are written as these strings.
_NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def to_full_data(value: Any) -> Any:
    """Return ``value`` (dataclasses, tuples, lists, dicts with string keys, numbers, text) as JSON-ready data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_full_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return float(value)
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {str(k): to_full_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_full_data(v) for v in value]
    item = getattr(value, "item", None)  # a numpy scalar
    if callable(item):
        return to_full_data(item())
    raise TypeError(f"cannot store a {type(value).__name__} in a result")


def from_full_data(kind: Any, data: Any) -> Any:
    """Rebuild a value of type ``kind`` (a dataclass or a type hint) from :func:`to_full_data`'s output."""
    if dataclasses.is_dataclass(kind) and isinstance(kind, type):
        return _dataclass_from(kind, data)
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):
        if data is None and type(None) in args:
            return None
        options = [a for a in args if a is not type(None)]
        for option in options:
            if _fits(option, data):
                return from_full_data(option, data)
        raise ValueError(f"{data!r} is none of {kind}")
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(from_full_data(args[0], v) for v in data)
        return tuple(from_full_data(a, v) for a, v in zip(args, data, strict=True))
    if origin is list:
        return [from_full_data(args[0], v) for v in data]
    if origin is dict:
        return {k: from_full_data(args[1], v) for k, v in data.items()}
    if kind is float:
        return _NON_FINITE[data] if isinstance(data, str) else float(data)
    return data  # int, str, bool, Any, Literal: JSON gives them back as they were


def _fits(kind: Any, data: Any) -> bool:
    """Whether ``data`` can be read as ``kind`` (for choosing a member of a union)."""
    origin = typing.get_origin(kind) or kind
    if dataclasses.is_dataclass(origin) or origin is dict:
        return isinstance(data, dict)
    if origin in (tuple, list):
        return isinstance(data, list)
    if origin is float:
        number = isinstance(data, int | float) and not isinstance(data, bool)
        return number or (isinstance(data, str) and data in _NON_FINITE)
    if isinstance(origin, type):
        return isinstance(data, origin)
    return True


_HINTS: dict[type[Any], dict[str, Any]] = {}


def _hints(kind: type[Any]) -> dict[str, Any]:
    hints = _HINTS.get(kind)
    if hints is None:
        hints = _HINTS[kind] = typing.get_type_hints(kind)
    return hints


def _dataclass_from(kind: type[Any], data: dict[str, Any]) -> Any:
    hints = _hints(kind)
    values = {
        f.name: from_full_data(hints[f.name], data[f.name])
        for f in dataclasses.fields(kind)
        if f.init and f.name in data
    }
    return kind(**values)


def result_to_full_dict(result: Result) -> dict[str, Any]:
    """Return the result as JSON-ready data at full precision, every field kept (for storing, not for reading)."""
    data: dict[str, Any] = to_full_data(result)
    return data


def result_from_dict(data: dict[str, Any]) -> Result:
    """Rebuild a result from :func:`result_to_full_dict`'s data; equal to the result that was written."""
    result: Result = from_full_data(Result, data)
    return result
