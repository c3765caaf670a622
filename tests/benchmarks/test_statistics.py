"""Quantiles, percentiles and stage shares: one definition, equal to numpy's and scipy's."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from cxmaturity.benchmarks.statistics import percentile_rank, quantile_positions, quantiles, quartile_band, stage_shares

scores = st.lists(st.floats(min_value=1.0, max_value=5.0, allow_nan=False), min_size=1, max_size=60)


@given(values=scores)
def test_quantiles_equal_numpys_linear_method(values: list[float]) -> None:
    assert quantiles(values) == pytest.approx(tuple(np.percentile(values, [25, 50, 75])), abs=1e-9)


@given(values=scores, score=st.floats(min_value=1.0, max_value=5.0))
def test_the_percentile_is_scipys_mean_kind(values: list[float], score: float) -> None:
    below = sum(v < score for v in values)
    equal = sum(v == score for v in values)
    assert percentile_rank(below, equal, len(values)) == pytest.approx(
        stats.percentileofscore(values, score, kind="mean")
    )


def test_positions_match_percentile_cont() -> None:
    assert quantile_positions(0.5, 5) == (2, 3, 0.0)
    assert quantile_positions(0.25, 6) == (1, 2, 0.25)
    assert quantile_positions(0.75, 1) == (0, 0, 0.0)
    with pytest.raises(ValueError, match="at least one value"):
        quantile_positions(0.5, 0)


def test_percentile_refuses_counts_outside_the_cohort() -> None:
    with pytest.raises(ValueError, match="counts within the cohort"):
        percentile_rank(3, 3, 5)


def test_stage_shares_and_quartile_bands() -> None:
    assert stage_shares({1: 1, 3: 3}, 4) == {1: 0.25, 2: 0.0, 3: 0.75, 4: 0.0}
    assert [quartile_band(s, 2.0, 2.5, 3.0) for s in (1.5, 2.2, 2.7, 3.5)] == [
        "lowest quarter",
        "second quarter",
        "third quarter",
        "top quarter",
    ]
