"""Relative weights: the two-driver worked example of docs/outcomes.md against closed forms and the average R²
increase over orderings, the R² identity and invariances as properties, the seeded bootstrap, and clear errors."""

from __future__ import annotations

import itertools
import math

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxmaturity.outcomes import DriversError, analyze, relative_weights
from cxmaturity.outcomes.drivers import bootstrap_weights

Array = npt.NDArray[np.float64]


def _corr(rho: float, a: float, b: float) -> Array:
    return np.array([[1.0, rho, a], [rho, 1.0, b], [a, b, 1.0]])


def _r2(corr: Array, subset: list[int]) -> float:
    """R² of the outcome (last) on the drivers in ``subset``, from the correlation matrix."""
    if not subset:
        return 0.0
    rxx = corr[np.ix_(subset, subset)]
    rxy = corr[subset, -1]
    return float(rxy @ np.linalg.solve(rxx, rxy))


def _lmg(corr: Array) -> Array:
    """Average R² increase of each driver over all orderings (Lindeman, Merenda & Gold 1980)."""
    p = corr.shape[0] - 1
    out = np.zeros(p)
    orders = list(itertools.permutations(range(p)))
    for order in orders:
        for k, j in enumerate(order):
            out[j] += _r2(corr, list(order[: k + 1])) - _r2(corr, list(order[:k]))
    return out / len(orders)


def test_it_reproduces_the_two_driver_worked_example() -> None:
    weights = relative_weights(_corr(0.5, 0.6, 0.4))
    assert [round(float(w), 6) for w in weights] == [0.286667, 0.086667]
    assert round(float(weights.sum()), 6) == 0.373333  # R² = (0.36 + 0.16 - 2 x 0.6 x 0.4 x 0.5) / (1 - 0.25)
    assert [round(float(w / weights.sum()), 4) for w in weights] == [0.7679, 0.2321]


@settings(max_examples=150, deadline=None)
@given(st.floats(-0.9, 0.9), st.floats(-0.9, 0.9), st.floats(-0.9, 0.9))
def test_two_driver_weights_follow_the_closed_form(rho: float, a: float, b: float) -> None:
    corr = _corr(rho, a, b)
    if np.linalg.eigvalsh(corr).min() <= 1e-6:
        return  # not a correlation matrix
    # Λ = [[c, s], [s, c]] with c, s from the eigenvalues 1 ± ρ; β = Λ⁻¹ r; ε = Λ² β² (Johnson 2000).
    c = (math.sqrt(1 + rho) + math.sqrt(1 - rho)) / 2
    s = (math.sqrt(1 + rho) - math.sqrt(1 - rho)) / 2
    b1, b2 = (c * a - s * b) / (c * c - s * s), (c * b - s * a) / (c * c - s * s)
    expected = [c * c * b1 * b1 + s * s * b2 * b2, s * s * b1 * b1 + c * c * b2 * b2]
    weights = relative_weights(corr)
    assert weights == pytest.approx(expected, abs=1e-9)
    # With two drivers, relative weights equal the average R² increase over orderings.
    assert weights == pytest.approx(_lmg(corr), abs=1e-9)
    assert weights.sum() == pytest.approx(_r2(corr, [0, 1]), abs=1e-9)


def _data(seed: int, n: int = 400, p: int = 4) -> tuple[Array, Array]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, p)) + 0.5 * rng.normal(size=(n, 1))  # correlated drivers
    y = x @ rng.uniform(0.0, 1.0, size=p) + rng.normal(size=n)
    return x, y


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 6))
def test_weights_sum_to_r2_and_ignore_order_and_scale(seed: int, p: int) -> None:
    x, y = _data(seed, p=p)
    names = [f"d{j}" for j in range(p)]
    base = analyze(y, x, names, resamples=0)
    # R² of the least-squares fit with an intercept.
    design = np.column_stack([x, np.ones(len(y))])
    residual = y - design @ np.linalg.lstsq(design, y, rcond=None)[0]
    assert base.r2 == pytest.approx(1 - residual.var() / y.var(), abs=1e-9)
    assert sum(d.weight for d in base.drivers) == pytest.approx(base.r2, abs=1e-12)
    assert sum(d.share for d in base.drivers) == pytest.approx(1.0)
    assert all(d.weight >= -1e-12 for d in base.drivers)
    order = np.random.default_rng(seed).permutation(p)
    shuffled = analyze(y, x[:, order], [names[j] for j in order], resamples=0)
    assert {d.column: d.weight for d in shuffled.drivers} == pytest.approx({d.column: d.weight for d in base.drivers})
    scaled = x.copy()
    scaled[:, 0] = -3.5 * scaled[:, 0] + 40.0  # a linear rescaling (even reversed) of one driver
    rescaled = analyze(7 * y - 2, scaled, names, resamples=0)
    assert [d.weight for d in rescaled.drivers] == pytest.approx([d.weight for d in base.drivers])


def test_the_bootstrap_is_seeded_and_its_intervals_surround_the_weights() -> None:
    x, y = _data(3, n=2000)
    names = ["billing", "coverage", "support", "app"]
    first = analyze(y, x, names, resamples=300, seed=7)
    again = analyze(y, x, names, resamples=300, seed=7)
    other = analyze(y, x, names, resamples=300, seed=8)
    assert first == again
    assert first != other
    for d in first.drivers:
        assert d.interval is not None
        assert d.share_interval is not None
        assert d.interval[0] <= d.weight <= d.interval[1]
        assert d.share_interval[0] <= d.share <= d.share_interval[1]


def test_the_weighted_bootstrap_equals_resampling_rows() -> None:
    # The counts-times-products shortcut must give the weights of the resampled rows themselves.
    x, y = _data(5, n=300, p=3)
    data = np.column_stack([x, y])
    boot = bootstrap_weights(data, 5, seed=11, chunk=5)
    rng = np.random.default_rng(11)
    draws = rng.integers(0, len(data), size=(5, len(data)), dtype=np.int64)
    for k in range(5):
        rows = data[draws[k]]
        expected = relative_weights(np.corrcoef(rows, rowvar=False))
        assert boot[k] == pytest.approx(expected, abs=1e-5)


def test_it_leaves_out_incomplete_responses() -> None:
    x, y = _data(1, n=100, p=2)
    x[:10, 0] = np.nan
    y[95:] = np.nan
    result = analyze(y, x, ["a", "b"], resamples=0)
    assert (result.n, result.incomplete) == (85, 15)


def test_it_refuses_too_few_complete_responses() -> None:
    x, y = _data(1, n=25, p=2)
    with pytest.raises(DriversError, match=r"at least 30 complete responses.*25 of 25"):
        analyze(y, x, ["a", "b"])


def test_it_names_a_constant_driver() -> None:
    x, y = _data(1, n=100, p=3)
    x[:, 1] = 4.0
    with pytest.raises(DriversError, match="column 'support' has the same answer in every complete response"):
        analyze(y, x, ["billing", "support", "app"])


def test_it_names_near_collinear_drivers() -> None:
    x, y = _data(1, n=200, p=3)
    x[:, 2] = x[:, 0] + 1e-3 * np.random.default_rng(0).normal(size=200)
    with pytest.raises(DriversError, match=r"near-collinear: '(billing|app)'.*with '(billing|app)'"):
        analyze(y, x, ["billing", "support", "app"])


def test_it_places_drivers_in_the_importance_performance_view() -> None:
    rng = np.random.default_rng(2)
    x = rng.integers(1, 6, size=(500, 3)).astype(float)
    x[:, 0] = np.clip(x[:, 0] - 1, 1, 5)  # rated low
    y = 2 * x[:, 0] + 0.2 * x[:, 1] + 0.1 * x[:, 2] + rng.normal(size=500)
    result = analyze(y, x, ["billing", "coverage", "support"], resamples=0)
    places = {m.column: m for m in result.matrix}
    assert places["billing"].quadrant == "priority"  # most important, rated lowest
    assert {places["coverage"].quadrant, places["support"].quadrant} <= {"maintain", "secondary"}
