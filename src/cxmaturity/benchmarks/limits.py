"""The smallest cohorts benchmarks may show (read by the settings too, so nothing heavy is imported here)."""

from __future__ import annotations

MIN_COHORT_FLOOR = 3
DEFAULT_MIN_COHORT = 5


def check_min_cohort(k: int) -> int:
    """Return ``k`` if it is a usable minimum cohort size; below 3 two members could subtract each other."""
    if k < MIN_COHORT_FLOOR:
        raise ValueError(
            f"the minimum benchmark cohort must be at least {MIN_COHORT_FLOOR} organizations (got {k}): in a smaller "
            "cohort an organization could work out another's result by subtracting its own"
        )
    return k
