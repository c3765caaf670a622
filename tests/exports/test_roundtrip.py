"""An answers export read back (as cxm score and the CSV import read it) scores to the same results.

The intervals are bootstrap estimates: the export's random row order draws other resamples, so they agree within
resampling error, not digit for digit; put back in the original order, they are identical. Every other number is
compared exactly. Groups that the export withholds
for anonymity are, after re-import, respondents without a group: only that part of the result may differ.
"""

from __future__ import annotations

import dataclasses
import io
import json
import random
import zipfile
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from cxmaturity.answers.csv_reader import read_answers_text
from cxmaturity.answers.xlsx_reader import read_answers_workbook
from cxmaturity.demo import demo_responses
from cxmaturity.exports import build, write
from cxmaturity.exports.anonymity import pseudonym_order
from cxmaturity.frameworks import Framework, builtin_ids, load_builtin, parse_framework
from cxmaturity.scoring import ResponseMatrix, ScoringOptions, score
from cxmaturity.scoring.serialize import result_to_dict
from tests.exports.conftest import POINT, regroup, source_of

SAMPLED = ("interval", "stage_probabilities", "interval_method")


def _read_back(data: bytes, fmt: str, fw: Framework) -> ResponseMatrix:
    if fmt == "csv":
        return read_answers_text(data.decode("utf-8"), fw, "answers.csv")
    if fmt == "zip":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return read_answers_text(archive.read("answers.csv").decode("utf-8"), fw, "answers.csv")
    return read_answers_workbook(data, fw, "answers.xlsx")


def _exported(fw: Framework, responses: ResponseMatrix, name: str, fmt: str) -> ResponseMatrix:
    return _read_back(write(build(source_of(fw, responses), name), fmt), fmt, fw)


def _without(data: Any, keys: tuple[str, ...]) -> Any:
    """Return ``data`` without the fields named ``keys``, at any depth."""
    if isinstance(data, dict):
        return {k: _without(v, keys) for k, v in data.items() if k not in keys}
    if isinstance(data, list):
        return [_without(v, keys) for v in data]
    return data


@pytest.mark.parametrize(("name", "fmt"), [("answers", "csv"), ("answers", "xlsx"), ("all", "xlsx"), ("all", "zip")])
def test_it_reproduces_the_results(xm: Framework, demo: ResponseMatrix, name: str, fmt: str) -> None:
    back = _exported(xm, demo, name, fmt)
    assert back.size == demo.size  # the respondent who answered nothing included
    assert result_to_dict(score(back, POINT)) == result_to_dict(score(demo, POINT))


@pytest.mark.parametrize("framework", builtin_ids())
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_it_reproduces_the_results_of_every_builtin_framework(framework: str, fmt: str) -> None:
    fw = load_builtin(framework)
    responses = demo_responses(fw, seed=3)
    assert result_to_dict(score(_exported(fw, responses, "answers", fmt), POINT)) == result_to_dict(
        score(responses, POINT)
    )


def test_put_back_in_order_even_the_intervals_are_identical(
    xm: Framework, demo: ResponseMatrix, rng: Callable[[], random.Random]
) -> None:
    """The file holds every answer exactly; only the row order changes (so the bootstrap draws other resamples)."""
    back = _read_back(write(build(source_of(xm, demo), "answers", rng()), "csv"), "csv", xm)
    order = pseudonym_order(demo.size, rng())
    inverse = np.argsort(order)
    assert np.array_equal(back.answers[inverse], demo.answers)
    assert np.array_equal(back.importance[inverse], demo.importance, equal_nan=True)
    groups = tuple(back.groups[i] for i in inverse)
    assert groups == demo.groups
    restored = dataclasses.replace(
        back, answers=back.answers[inverse], importance=back.importance[inverse], groups=groups
    )
    options = ScoringOptions(bootstrap=300, seed=9)
    assert result_to_dict(score(restored, options)) == result_to_dict(score(demo, options))
    shuffled = result_to_dict(score(back, options))
    assert _without(shuffled, SAMPLED) == _without(result_to_dict(score(demo, options)), SAMPLED)


def test_withheld_small_groups_come_back_without_a_group(xm: Framework, small_groups: ResponseMatrix) -> None:
    before = result_to_dict(score(small_groups, POINT))
    assert before["withheld_groups"] == 2
    for fmt in ("csv", "xlsx"):
        after = result_to_dict(score(_exported(xm, small_groups, "answers", fmt), POINT))
        assert after["withheld_groups"] == 0
        assert _without(after, ("withheld_groups",)) == _without(before, ("withheld_groups",))


def test_a_lone_respondent_stays_hidden_after_a_round_trip(xm: Framework, one_alone: ResponseMatrix) -> None:
    before = result_to_dict(score(one_alone, POINT))
    after = result_to_dict(score(_exported(xm, one_alone, "answers", "csv"), POINT))
    assert [g["group"] for g in after["groups"]] == [g["group"] for g in before["groups"]]
    assert "Audit" not in json.dumps(after)
    assert _without(after, ("withheld_groups",)) == _without(before, ("withheld_groups",))


def _formula_like_framework() -> Framework:
    """A framework whose answer keys start like formulas: the guard must not change what is read back."""
    return parse_framework(
        {
            "format": "cx-maturity/framework@1",
            "id": "formula-keys",
            "name": "Formula-like keys (test)",
            "version": "1",
            "source": "tests",
            "stages": [{"key": s, "name": s.title()} for s in ("low", "mid", "high")],
            "scales": {
                "signs": {
                    "options": [
                        {"key": key, "label": key, "value": value}
                        for key, value in (("--", 0.0), ("-", 0.25), ("=0", 0.5), ("+", 0.75), ("@++", 1.0))
                    ]
                }
            },
            "competencies": [
                {
                    "key": "c",
                    "name": "C",
                    "indicators": [
                        {"key": f"c-{n}", "kind": "statement", "text": f"S {n}", "stage": stage, "scale": "signs"}
                        for n, stage in enumerate(("mid", "mid", "high", "high"))
                    ],
                }
            ],
        }
    )


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_formula_like_keys_and_group_names_come_back_exactly(fmt: str) -> None:
    fw = _formula_like_framework()
    rng = np.random.default_rng(5)
    answers = rng.integers(0, 5, size=(9, 4)).astype(np.int16)
    groups = ["-ops"] * 3 + ["=sales"] * 3 + ["'+quoted"] * 3
    responses = ResponseMatrix(fw, tuple(f"p{i}" for i in range(9)), tuple(groups), answers, np.full((9, 4), np.nan))
    back = _exported(fw, responses, "answers", fmt)
    assert sorted(back.groups) == sorted(groups)
    assert result_to_dict(score(back, POINT)) == result_to_dict(score(responses, POINT))


def test_an_empty_assessment_exports_a_header_only(xm: Framework) -> None:
    data = write(build(source_of(xm, regroup(ResponseMatrix.empty(xm), [])), "answers"), "csv")
    assert data.decode("utf-8").count("\r\n") == 1
