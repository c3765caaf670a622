"""The result as JSON-ready data: the shape of ``cxm score --format json`` and of the API (docs/cli.md)."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

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
    }
    return {"format": "cx-maturity/result@1", **_clean(data)}
