"""Quantiles (equal to numpy's), their coarse published values, quarters and stage shares."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cxmaturity.benchmarks.statistics import (
    BANDS,
    SCORE_GRID,
    coarse_score,
    quantile_positions,
    quantiles,
    quartile_band,
    stage_shares,
)

scores = st.lists(st.floats(min_value=1.0, max_value=5.0, allow_nan=False), min_size=1, max_size=60)


@given(values=scores)
def test_quantiles_equal_numpys_linear_method(values: list[float]) -> None:
    assert quantiles(values) == pytest.approx(tuple(np.percentile(values, [25, 50, 75])), abs=1e-9)


@given(values=scores)
def test_coarse_quartiles_lie_on_the_grid_in_order_and_near_the_exact_ones(values: list[float]) -> None:
    exact = quantiles(values)
    coarse = [coarse_score(q) for q in exact]
    assert coarse == sorted(coarse)
    for q, c in zip(exact, coarse, strict=True):
        assert abs(q - c) <= SCORE_GRID / 2 + 1e-9
        assert c / SCORE_GRID == pytest.approx(round(c / SCORE_GRID))
        assert 1.0 <= c <= 5.0


def test_coarse_scores_round_halves_up_and_keep_whole_scores() -> None:
    assert [coarse_score(v) for v in (1.0, 1.12, 1.125, 2.37, 2.875, 3.0)] == [1.0, 1.0, 1.25, 2.25, 3.0, 3.0]


@given(values=scores)
def test_a_sweep_of_chosen_scores_yields_at_most_the_bands_changing_only_at_published_quartiles(
    values: list[float],
) -> None:
    q1, median, q3 = (coarse_score(q) for q in quantiles(values))
    sweep = [1.0 + i / 1000 for i in range(4001)]
    found = [quartile_band(s, q1, median, q3) for s in sweep]
    assert set(found) <= set(BANDS)
    for before, after, a, b in zip(sweep, sweep[1:], found, found[1:], strict=False):
        if a != b:  # the answer changes only when the chosen score crosses a published figure
            assert any(before < q <= after or before <= q < after for q in (q1, median, q3))


def test_positions_match_percentile_cont() -> None:
    assert quantile_positions(0.5, 5) == (2, 3, 0.0)
    assert quantile_positions(0.25, 6) == (1, 2, 0.25)
    assert quantile_positions(0.75, 1) == (0, 0, 0.0)
    with pytest.raises(ValueError, match="at least one value"):
        quantile_positions(0.5, 0)


def test_stage_shares_and_quartile_bands() -> None:
    assert stage_shares({1: 1, 3: 3}, 4) == {1: 0.25, 2: 0.0, 3: 0.75, 4: 0.0}
    assert [quartile_band(s, 2.0, 2.5, 3.0) for s in (1.5, 2.2, 2.7, 3.5)] == [
        "lowest quarter",
        "second quarter",
        "third quarter",
        "top quarter",
    ]
