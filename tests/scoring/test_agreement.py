"""Agreement as published: rwg(j) of James, Demaree & Wolf (1984), r*wg(j) of Lindell et al. (1999), polarisation."""

from __future__ import annotations

from typing import Any

import pytest

from cxmaturity.frameworks import Framework
from cxmaturity.scoring import ScoringOptions, result_to_dict, score
from cxmaturity.scoring.agreement import NULL_DISTRIBUTION
from tests.scoring.conftest import build

STATEMENTS = [f"s{n}" for n in range(1, 7)]


def six_statements() -> Framework:
    """One competency of six statements on a five-point frequency scale (never … always)."""
    data: dict[str, Any] = {
        "format": "cx-maturity/framework@1",
        "id": "six-statements",
        "name": "Six statements",
        "version": "1",
        "source": "tests",
        "stages": [{"key": s, "name": s.title()} for s in ("one", "two", "three")],
        "scales": {
            "often5": {
                "options": [
                    {"key": k, "label": k.title(), "value": v}
                    for k, v in zip(
                        ("never", "rarely", "sometimes", "often", "always"), (0, 0.25, 0.5, 0.75, 1), strict=True
                    )
                ]
            }
        },
        "competencies": [
            {
                "key": "lead",
                "name": "Lead",
                "indicators": [
                    {"key": k, "kind": "statement", "text": k, "stage": "two", "scale": "often5"} for k in STATEMENTS
                ],
            }
        ],
    }
    return Framework.model_validate(data)


def test_it_reports_a_team_in_two_camps_as_no_agreement_not_strong_agreement() -> None:
    # The case of issue 11: 8 people, half "never" and half "always" on three of six statements, unanimous on the
    # other three. Capping each item's ratio at 1 before averaging gave r̄ = 0.5 and rwg(j) = 0.86.
    fw = six_statements()
    team = {
        f"r{r}": ("", {k: ("never" if r < 4 else "always") if n < 3 else "often" for n, k in enumerate(STATEMENTS)})
        for r in range(8)
    }
    result = score(build(fw, team), ScoringOptions(bootstrap=0))
    agreement = result.competencies[0].agreement
    # Split items: s² = 8 × 2² / 7 = 4.5714, ratio 2.2857; r̄ = 3 × 2.2857 / 6 = 1.1429.
    assert agreement.rwg == 0.0
    assert agreement.rwg_out_of_range
    assert agreement.rwg_lindell == pytest.approx(1 - 8 / 7)
    assert round(agreement.rwg_lindell or 0, 4) == -0.1429
    assert agreement.polarised
    by_key = {i.key: i.agreement for i in result.indicators}
    assert [by_key[k].polarised for k in STATEMENTS] == [True, True, True, False, False, False]
    assert [by_key[k].rwg for k in STATEMENTS] == [0.0, 0.0, 0.0, 1.0, 1.0, 1.0]
    assert [(d.indicator, d.polarised) for d in result.discussion_items] == [("s1", True), ("s2", True), ("s3", True)]


def test_it_lets_lindell_run_to_minus_one_at_maximum_dissensus() -> None:
    # Ten people split 5/5 between the end options: s² = 10 × 4 / 9 = 4.4444, ratio 2.2222 on every statement, so
    # 1 - r̄ = -1.2222, clipped to -1 (a sample variance may exceed the population maximum of 4 for small n).
    fw = six_statements()
    team = {f"r{r}": ("", dict.fromkeys(STATEMENTS, "never" if r < 5 else "always")) for r in range(10)}
    agreement = score(build(fw, team), ScoringOptions(bootstrap=0)).competencies[0].agreement
    assert agreement.rwg_lindell == -1.0
    assert agreement.rwg == 0.0
    assert agreement.polarised


def test_it_keeps_a_merely_spread_out_team_in_range() -> None:
    # Positions 0..4 once each plus two in the middle: s² = 10/6 = 1.6667, ratio 0.8333 < 1, not polarised.
    fw = six_statements()
    answers = ("never", "rarely", "sometimes", "often", "always", "sometimes", "sometimes")
    team = {f"r{r}": ("", dict.fromkeys(STATEMENTS, a)) for r, a in enumerate(answers)}
    agreement = score(build(fw, team), ScoringOptions(bootstrap=0)).competencies[0].agreement
    ratio = (4 + 1 + 0 + 1 + 4) / 6 / 2
    assert agreement.rwg_lindell == pytest.approx(1 - ratio)
    assert agreement.rwg == pytest.approx(6 * (1 - ratio) / (6 * (1 - ratio) + ratio))
    assert not agreement.polarised
    assert not agreement.rwg_out_of_range


def test_it_states_the_null_distribution_in_the_result(example: Framework) -> None:
    result = score(build(example, {"a": ("", {"vs-1": "1"}), "b": ("", {"vs-1": "5"})}), ScoringOptions(bootstrap=0))
    data = result_to_dict(result)
    assert data["settings"]["agreement"] == {"null": NULL_DISTRIBUTION, "rwg_cutoff": 0.7}
    assert "uniform" in NULL_DISTRIBUTION
    vision = data["competencies"][0]["agreement"]
    assert vision["polarised"] is True
    assert vision["rwg_out_of_range"] is True
