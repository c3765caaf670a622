"""Benchmark datasets: a cohort's aggregates as a JSON file, for another installation to show beside its own.

A dataset holds figures only: per competency and overall the number of organizations, the quartiles and the
organizations per stage. There is no field for answers, respondents or organization names, and unknown fields are
refused, so a file that carries them is not imported. docs/benchmarks.md describes the format field by field.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from cxmaturity.benchmarks.limits import MIN_COHORT_FLOOR
from cxmaturity.benchmarks.model import Aggregate
from cxmaturity.benchmarks.privacy import CohortFilter
from cxmaturity.benchmarks.problems import BenchmarkFileError, field_problem
from cxmaturity.benchmarks.statistics import coarse_score
from cxmaturity.json_text import JsonTextError, loads

FORMAT = "cx-maturity/benchmark-dataset@1"
MAX_COMPETENCIES = 100
MAX_STAGES = 20
#: Scores in a file are rounded to this many decimals: finer digits mean nothing and only identify.
DIGITS = 4
Key = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FrameworkRef(_Strict):
    id: str = Key
    version: str = Field(min_length=1, max_length=32)
    #: The framework's id, version and structure digest at the exporting installation.
    key: str = Field(min_length=1, max_length=120)
    #: Stage keys, first stage first.
    stages: list[str] = Field(min_length=2, max_length=MAX_STAGES)


class CohortRef(_Strict):
    industry: str | None = Field(default=None, max_length=100)
    size_band: str | None = Field(default=None, max_length=50)
    region: str | None = Field(default=None, max_length=100)
    description: str = Field(max_length=500)

    def filter(self) -> CohortFilter:
        return CohortFilter.of(self.industry, self.size_band, self.region)


class Figures(_Strict):
    n: int = Field(ge=MIN_COHORT_FLOOR, description="Organizations with a result for this competency.")
    q1: float
    median: float
    q3: float
    #: Organizations per stage key (stages nobody is at may be left out).
    stages: dict[str, int]

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        for name in ("q1", "median", "q3"):
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"{name} must be a number")
        if not self.q1 <= self.median <= self.q3:
            raise ValueError("the quartiles must be in order: q1 <= median <= q3")
        if any(count < 0 for count in self.stages.values()):
            raise ValueError("stage counts cannot be negative")
        if sum(self.stages.values()) != self.n:
            raise ValueError(f"the stage counts add up to {sum(self.stages.values())}, not to n = {self.n}")
        return self


class CompetencyFigures(Figures):
    key: str = Key


class Dataset(_Strict):
    format: Literal["cx-maturity/benchmark-dataset@1"]
    source: str = Field(min_length=1, max_length=200, description="The exporting installation's name.")
    date: dt.date
    synthetic: bool = False
    framework: FrameworkRef
    cohort: CohortRef
    organizations: int = Field(ge=MIN_COHORT_FLOOR)
    #: The smallest cohort the exporting installation shows (its k).
    min_cohort: int = Field(ge=MIN_COHORT_FLOOR)
    overall: Figures
    competencies: list[CompetencyFigures] = Field(max_length=MAX_COMPETENCIES)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        known = set(self.framework.stages)
        if len(known) != len(self.framework.stages):
            raise ValueError("framework.stages lists a stage twice")
        figures: list[tuple[str, Figures]] = [("overall", self.overall)]
        figures += [(f"competencies[{i}]", c) for i, c in enumerate(self.competencies)]
        top = len(self.framework.stages)
        for where, f in figures:
            unknown = sorted(set(f.stages) - known)
            if unknown:
                raise ValueError(
                    f"{where}.stages: unknown stage {unknown[0]!r} (known: {', '.join(self.framework.stages)})"
                )
            if not (f.q1 >= 1.0 and f.q3 <= top):
                raise ValueError(f"{where}: scores run from 1 to {top} (the number of stages)")
            if f.n > self.organizations:
                raise ValueError(f"{where}.n is larger than organizations ({self.organizations})")
        keys = [c.key for c in self.competencies]
        if len(set(keys)) != len(keys):
            raise ValueError("competencies lists a competency twice")
        return self

    def aggregates(self) -> list[Aggregate]:
        """Return the figures as aggregates, overall ("") first, stages by number; the quartiles coarsened as this
        installation publishes its own (a file from an older version may carry exact ones)."""
        number = {key: i + 1 for i, key in enumerate(self.framework.stages)}

        def of(key: str, f: Figures) -> Aggregate:
            stages = {number[s]: n for s, n in f.stages.items() if n}
            quartiles = (coarse_score(f.q1), coarse_score(f.median), coarse_score(f.q3))
            return Aggregate(key, f.n, *quartiles, dict(sorted(stages.items())))

        return [of("", self.overall), *(of(c.key, c) for c in self.competencies)]


def figures(aggregate: Aggregate, stage_keys: list[str]) -> dict[str, Any]:
    """Return one aggregate as the file writes it (stage counts by key, in stage order)."""
    return {
        "n": aggregate.n,
        "q1": round(aggregate.q1, DIGITS),
        "median": round(aggregate.median, DIGITS),
        "q3": round(aggregate.q3, DIGITS),
        "stages": {stage_keys[s - 1]: aggregate.stages[s] for s in sorted(aggregate.stages)},
    }


def parse_dataset(text: str, file: str = "dataset.json") -> Dataset:
    """Return the dataset in ``text``; every problem names the file and the field path."""
    try:
        data = loads(text)
    except JsonTextError as exc:
        where = f"line {exc.line}, column {exc.column}: " if exc.line is not None else ""
        raise BenchmarkFileError([f"{file}: {where}not valid JSON ({exc.reason})"]) from None
    if not isinstance(data, dict):
        raise BenchmarkFileError([f"{file}: a dataset is a JSON object with the fields of {FORMAT}"])
    if data.get("format") != FORMAT:
        raise BenchmarkFileError([f"{file}: format: must be {FORMAT!r} (got {data.get('format')!r})"])
    try:
        return Dataset.model_validate(data)
    except ValidationError as exc:
        raise BenchmarkFileError([field_problem(file, error) for error in exc.errors()]) from None
