"""The stored form of a result: JSON at full precision that rebuilds the very result that was written."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from cxmaturity.frameworks import builtin_ids, load_builtin
from cxmaturity.scoring import ResponseMatrix, ScoringOptions, score
from cxmaturity.scoring.responses import DONT_KNOW_CODE, MISSING, NOT_APPLICABLE_CODE
from cxmaturity.scoring.serialize import from_full_data, result_from_dict, result_to_full_dict, to_full_data

FRAMEWORKS = {fid: load_builtin(fid) for fid in builtin_ids()}


@st.composite
def scored_teams(draw: st.DrawFn) -> ResponseMatrix:
    """A random team on a random built-in framework: options, don't know, not applicable, skipped answers,
    importance and groups of any size."""
    fw = FRAMEWORKS[draw(st.sampled_from(sorted(FRAMEWORKS)))]
    n = draw(st.integers(0, 14))
    sizes = np.array([len(fw.answer_keys(ind)) for _, ind in fw.indicators])
    seed = draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    answers = np.floor(rng.random((n, len(sizes))) * sizes).astype(np.int16)
    special = rng.choice(np.array([0, 0, 0, 1, 2, 3]), size=answers.shape)
    answers[special == 1] = DONT_KNOW_CODE
    answers[special == 2] = NOT_APPLICABLE_CODE
    answers[special == 3] = MISSING
    importance = np.where(rng.random(answers.shape) < 0.5, np.nan, rng.integers(1, 6, answers.shape))
    groups = tuple(draw(st.sampled_from(["", "a", "b", "c"])) for _ in range(n))
    return ResponseMatrix(fw, tuple(f"r{i}" for i in range(n)), groups, answers, importance.astype(np.float64))


@settings(max_examples=40, deadline=None)
@given(scored_teams(), st.integers(0, 40), st.integers(1, 4), st.data())
def test_a_stored_result_comes_back_equal(
    team: ResponseMatrix, bootstrap: int, min_group: int, data: st.DataObject
) -> None:
    fw = team.framework
    targets = data.draw(
        st.dictionaries(st.sampled_from([c.key for c in fw.competencies]), st.sampled_from(fw.stage_keys))
    )
    result = score(team, ScoringOptions(bootstrap=bootstrap, min_group_size=min_group, seed=7, targets=targets))
    # Through text, as the database keeps it; strict JSON (no NaN), which PostgreSQL's json type insists on.
    text = json.dumps(result_to_full_dict(result), allow_nan=False)
    assert result_from_dict(json.loads(text)) == result


@dataclass(frozen=True)
class Inner:
    value: float | None
    pair: tuple[float, float] | None = None


@dataclass(frozen=True)
class Outer:
    name: str
    inner: Inner
    items: tuple[Inner, ...]
    by_key: dict[str, float | None]
    optional: Inner | None
    count: int


def test_it_rebuilds_any_dataclass_from_its_type_hints() -> None:
    value = Outer(
        "x",
        Inner(1 / 3, (0.1, 2.0)),
        (Inner(None), Inner(-0.0, (math.inf, -math.inf))),
        {"a": 1e-17, "b": None},
        None,
        3,
    )
    text = json.dumps(to_full_data(value), allow_nan=False)
    assert from_full_data(Outer, json.loads(text)) == value


def test_it_keeps_not_a_number_in_strict_json() -> None:
    text = json.dumps(to_full_data(Inner(math.nan)), allow_nan=False)
    back = from_full_data(Inner, json.loads(text))
    assert back.value is not None
    assert math.isnan(back.value)


def test_numpy_numbers_are_stored_as_plain_ones() -> None:
    assert to_full_data(Inner(np.float64(0.25), (np.float64(1), np.float64(2)))) == {"value": 0.25, "pair": [1.0, 2.0]}
