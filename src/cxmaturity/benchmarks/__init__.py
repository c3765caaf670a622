"""Peer benchmarks: the privacy rules that decide which cohorts may be shown, and the math on aggregates.

Pure domain code (no web, no database): the services feed it counts and order statistics that SQL computed, and it
decides what may be published and how to read it. docs/benchmarks.md states every rule.
"""

from cxmaturity.benchmarks.dataset import Dataset, parse_dataset
from cxmaturity.benchmarks.keys import framework_key
from cxmaturity.benchmarks.model import OVERALL, Aggregate, Standing
from cxmaturity.benchmarks.privacy import (
    DEFAULT_MIN_COHORT,
    DIMENSIONS,
    MIN_COHORT_FLOOR,
    CellKey,
    Change,
    CohortFilter,
    Decision,
    check_min_cohort,
    decide,
    published_cohorts,
    releasable,
)
from cxmaturity.benchmarks.problems import BenchmarkFileError
from cxmaturity.benchmarks.reference import Reference, builtin_references, parse_reference
from cxmaturity.benchmarks.statistics import (
    QUARTILES,
    interpolate,
    percentile_rank,
    quantile_positions,
    quantiles,
    quartile_band,
    stage_shares,
)

__all__ = [
    "DEFAULT_MIN_COHORT",
    "DIMENSIONS",
    "MIN_COHORT_FLOOR",
    "OVERALL",
    "QUARTILES",
    "Aggregate",
    "BenchmarkFileError",
    "CellKey",
    "Change",
    "CohortFilter",
    "Dataset",
    "Decision",
    "Reference",
    "Standing",
    "builtin_references",
    "check_min_cohort",
    "decide",
    "framework_key",
    "interpolate",
    "parse_dataset",
    "parse_reference",
    "percentile_rank",
    "published_cohorts",
    "quantile_positions",
    "quantiles",
    "quartile_band",
    "releasable",
    "stage_shares",
]
