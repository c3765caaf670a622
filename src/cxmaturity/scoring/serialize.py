"""The result as JSON-ready data: the shape of ``cxm score --format json`` and of the API (docs/cli.md)."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from cxmaturity.scoring.agreement import NULL_DISTRIBUTION, RWG_CUTOFF
from cxmaturity.scoring.result import Result

#: Numbers are rounded for reading; the engine keeps full precision.
DIGITS = 4


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, DIGITS)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
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
