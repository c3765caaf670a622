"""Published reference distributions: a study's share of organizations at each stage of a framework, with its
citation, shown beside an installation's own cohort and labelled as what it is.

The built-in ones are data files in ``references/``; an installation adds its own with ``cxm benchmark reference``.
Numbers come from the cited publication only: the format has a ``notes`` field to say how a share was read.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib import resources
from typing import Any, Literal, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError, model_validator

from cxmaturity.benchmarks.problems import BenchmarkFileError, field_problem

FORMAT = "cx-maturity/reference-distribution@1"
#: Published shares are rounded; their sum may miss 100% by this much.
ROUNDING = 0.03


class Reference(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["cx-maturity/reference-distribution@1"]
    framework: str = Field(min_length=1, max_length=64)
    title: str = Field(min_length=1, max_length=300)
    citation: str = Field(min_length=1, max_length=2000)
    year: int = Field(ge=1900, le=2200)
    sample: str = Field(min_length=1, max_length=500, description="Who was counted, and how many.")
    url: HttpUrl | None = None
    #: What the shares describe: "overall" (the organization's overall stage) is the only scope so far.
    scope: Literal["overall"] = "overall"
    #: Share of organizations per stage key, between 0 and 1, in the framework's stage order.
    shares: dict[str, float] = Field(min_length=2)
    notes: str = Field(default="", max_length=2000)

    @model_validator(mode="after")
    def _shares(self) -> Self:
        for key, share in self.shares.items():
            if not 0.0 <= share <= 1.0:
                raise ValueError(f"shares.{key}: a share is between 0 and 1 (41% is 0.41)")
        total = sum(self.shares.values())
        if abs(total - 1.0) > ROUNDING:
            raise ValueError(f"the shares add up to {total:.2f}; a distribution adds up to 1 (give every stage)")
        return self

    def check_stages(self, stage_keys: Sequence[str]) -> list[str]:
        """Return problems with the stage keys against the framework's (every stage, no other)."""
        problems = [f"shares.{k}: the framework has no stage {k!r}" for k in self.shares if k not in stage_keys]
        missing = [k for k in stage_keys if k not in self.shares]
        problems += [f"shares: stage {k!r} is missing (give 0 if nobody was there)" for k in missing]
        return problems


def parse_reference(text: str, file: str = "reference.yaml") -> Reference:
    """Return the reference distribution in ``text`` (YAML or JSON); problems name the file and the field."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        raise BenchmarkFileError([f"{file}: {where}not valid YAML"]) from None
    except RecursionError:  # deeper than the YAML reader goes (lists in lists, thousands deep)
        raise BenchmarkFileError([f"{file}: not valid YAML (nested too deeply)"]) from None
    if not isinstance(data, dict):
        raise BenchmarkFileError([f"{file}: a reference distribution is a mapping with the fields of {FORMAT}"])
    if data.get("format") != FORMAT:
        raise BenchmarkFileError([f"{file}: format: must be {FORMAT!r} (got {data.get('format')!r})"])
    try:
        return Reference.model_validate(data)
    except ValidationError as exc:
        raise BenchmarkFileError([field_problem(file, error) for error in exc.errors()]) from None


@cache
def builtin_references() -> tuple[Reference, ...]:
    """Return the reference distributions that ship with cx-maturity."""
    folder = resources.files("cxmaturity.benchmarks") / "references"
    found = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            found.append(parse_reference(entry.read_text(encoding="utf-8"), f"references/{entry.name}"))
    return tuple(found)


def reference_to_dict(reference: Reference) -> dict[str, Any]:
    return reference.model_dump(mode="json", exclude_none=True)
