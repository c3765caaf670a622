"""Dataset and reference distribution files: what they hold, and errors that name the file and the field."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cxmaturity.benchmarks.dataset import parse_dataset
from cxmaturity.benchmarks.problems import BenchmarkFileError
from cxmaturity.benchmarks.reference import builtin_references, parse_reference
from cxmaturity.frameworks import load_builtin


def dataset(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "format": "cx-maturity/benchmark-dataset@1",
        "source": "Example Consulting",
        "date": "2026-11-01",
        "framework": {"id": "four", "version": "1", "key": "four@1#abc", "stages": ["a", "b", "c"]},
        "cohort": {"industry": "Retail", "size_band": None, "region": None, "description": "industry Retail"},
        "organizations": 6,
        "min_cohort": 5,
        "overall": {"n": 6, "q1": 1.2, "median": 1.8, "q3": 2.4, "stages": {"a": 3, "b": 3}},
        "competencies": [{"key": "vision", "n": 6, "q1": 1.5, "median": 2.0, "q3": 2.5, "stages": {"a": 2, "b": 4}}],
    }
    data.update(changes)
    return data


def problems(data: object, file: str = "peers.json") -> list[str]:
    with pytest.raises(BenchmarkFileError) as caught:
        parse_dataset(json.dumps(data), file)
    return caught.value.problems


def test_it_reads_a_dataset_into_aggregates() -> None:
    parsed = parse_dataset(json.dumps(dataset()))
    overall, vision = parsed.aggregates()
    # The file's median 1.8 is shown as this installation publishes its own: on the grid of a quarter point.
    assert (overall.competency, overall.n, overall.median, overall.stages) == ("", 6, 1.75, {1: 3, 2: 3})
    assert (vision.competency, vision.stages) == ("vision", {1: 2, 2: 4})
    assert parsed.cohort.filter().describe() == "industry Retail"


def test_it_refuses_fields_that_could_carry_names_or_answers() -> None:
    found = problems(dataset(organization_names=["Acme"]))
    assert found == [
        "peers.json: organization_names: unknown field (benchmark files hold aggregates and citations only)"
    ]


def test_it_names_the_field_of_each_problem() -> None:
    bad = dataset()
    bad["competencies"][0]["stages"] = {"a": 2, "b": 3}
    bad["overall"]["q1"] = 2.0
    bad["overall"]["median"] = 1.0
    found = problems(bad)
    assert "peers.json: overall: the quartiles must be in order: q1 <= median <= q3" in found
    assert "peers.json: competencies[0]: the stage counts add up to 5, not to n = 6" in found


def test_it_refuses_cohorts_below_three_and_unknown_stages() -> None:
    assert any(p.startswith("peers.json: organizations:") for p in problems(dataset(organizations=2)))
    bad = dataset()
    bad["overall"]["stages"] = {"a": 3, "z": 3}
    assert problems(bad) == ["peers.json: overall.stages: unknown stage 'z' (known: a, b, c)"]


def test_it_says_where_json_breaks() -> None:
    with pytest.raises(BenchmarkFileError, match=r"peers.json: line 1, column 2: not valid JSON"):
        parse_dataset("{oops", "peers.json")
    assert problems([1, 2]) == [
        "peers.json: a dataset is a JSON object with the fields of cx-maturity/benchmark-dataset@1"
    ]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        # The parser's own limits, beyond syntax: a RecursionError and a ValueError about sys.set_int_max_str_digits,
        # each a 500 on the settings page and "cxm: unexpected error" on the command line.
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"organizations": ' + "9" * 5000 + "}", "a number has more than 4300 digits"),
    ],
)
def test_it_names_json_the_parser_cannot_take(text: str, reason: str) -> None:
    with pytest.raises(BenchmarkFileError) as caught:
        parse_dataset(text, "peers.json")
    assert caught.value.problems == [f"peers.json: not valid JSON ({reason})"]


def test_the_builtin_reference_is_cited_and_fits_its_framework() -> None:
    (xm,) = [r for r in builtin_references() if r.framework == "xm-six-competencies"]
    assert "XM Institute" in xm.citation
    assert xm.year == 2024
    assert xm.shares["investigate"] == 0.41
    assert xm.check_stages(load_builtin("xm-six-competencies").stage_keys) == []


def test_it_refuses_a_reference_whose_shares_do_not_add_up() -> None:
    text = """format: cx-maturity/reference-distribution@1
framework: four
title: A study
citation: Someone, A study, 2020.
year: 2020
sample: 10 firms
shares: {a: 0.5, b: 0.1}
"""
    with pytest.raises(BenchmarkFileError, match=r"ref.yaml: the shares add up to 0.60"):
        parse_reference(text, "ref.yaml")
    with pytest.raises(BenchmarkFileError, match=r"ref.yaml: line 2, column 2: not valid YAML"):
        parse_reference("a: [\nb", "ref.yaml")
    # A RecursionError from the YAML reader: "cxm: unexpected error" (exit 70) from `cxm benchmark reference`.
    with pytest.raises(BenchmarkFileError, match=r"^ref.yaml: not valid YAML \(nested too deeply\)$"):
        parse_reference("[" * 100_000 + "]" * 100_000, "ref.yaml")
