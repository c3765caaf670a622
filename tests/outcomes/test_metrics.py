"""NPS, CSAT and CES: the worked examples of docs/outcomes.md to the digit, their intervals' properties, breakdowns by
month and segment with small segments withheld, and the verdict on a change."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from cxmaturity.outcomes import SurveyResponse, ces, change, csat, nps, summarize, tally_of, wilson
from cxmaturity.outcomes.metrics import Scales, SummaryOptions, Tallies, Tally, shown_segments, values_of

# docs/outcomes.md, "NPS": 20 respondents, 8 promoters (five 10s, three 9s), 7 passives, 5 detractors.
NPS_EXAMPLE = [10] * 5 + [9] * 3 + [8] * 4 + [7] * 3 + [6] * 2 + [5, 3, 0]


def test_it_reproduces_the_nps_worked_example() -> None:
    result = nps(tally_of("nps", NPS_EXAMPLE))
    assert result is not None
    assert (result.promoters, result.passives, result.detractors, result.n) == (8, 7, 5, 20)
    assert result.value == 15.0
    assert round(result.interval[0], 4) == -13.8188
    assert round(result.interval[1], 4) == 39.9058


def test_it_computes_the_adjusted_wald_interval_by_its_formula() -> None:
    # An independent computation: 3/4 promoter and 3/4 detractor added, n + 3, normal interval of the mean.
    p, d, n = 8 + 0.75, 5 + 0.75, 20 + 3
    mean = (p - d) / n
    se = math.sqrt((p / n + d / n - mean**2) / n)
    z = stats.norm.ppf(0.95)
    result = nps(tally_of("nps", NPS_EXAMPLE))
    assert result is not None
    assert result.interval == pytest.approx((100 * (mean - z * se), 100 * (mean + z * se)), abs=1e-9)


def test_it_reproduces_the_wilson_worked_example() -> None:
    low, high = wilson(42, 50)
    assert (round(100 * low, 4), round(100 * high, 4)) == (73.7672, 90.7422)
    answers = [5] * 30 + [4] * 12 + [3] * 5 + [2] * 2 + [1]
    result = csat(tally_of("csat", answers, 5))
    assert result is not None
    assert (result.top_box, result.n, result.value) == (42, 50, 84.0)
    assert result.interval == pytest.approx((100 * low, 100 * high))


def test_it_counts_the_top_box_of_a_seven_point_scale_from_six() -> None:
    result = csat(tally_of("csat", [7, 6, 5, 4, 1], 7))
    assert result is not None
    assert (result.top_box, result.scale) == (2, 7)


def test_it_reproduces_the_ces_worked_example() -> None:
    result = ces(tally_of("ces", [7, 6, 6, 5, 5, 4, 3], 7))
    assert result is not None
    assert round(result.value, 4) == 5.1429
    assert result.sd is not None
    assert round(result.sd, 4) == 1.3452
    assert result.interval is not None
    assert (round(result.interval[0], 4), round(result.interval[1], 4)) == (4.1549, 6.1308)


def test_it_gives_no_ces_interval_for_one_response_and_no_result_for_none() -> None:
    one = ces(tally_of("ces", [4], 5))
    assert one is not None
    assert one.interval is None
    assert nps(tally_of("nps", [])) is None
    assert csat(tally_of("csat", [], 7)) is None


def test_it_refuses_an_answer_off_the_scale() -> None:
    with pytest.raises(ValueError, match="not on the csat scale 1-5"):
        tally_of("csat", [7], 5)
    with pytest.raises(ValueError, match="1-5 or 1-7"):
        tally_of("ces", [1], 10)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 10), min_size=1, max_size=200), st.sampled_from([0.8, 0.9, 0.95]))
def test_nps_is_bounded_and_its_interval_contains_it(answers: list[int], confidence: float) -> None:
    result = nps(tally_of("nps", answers), confidence)
    assert result is not None
    assert -100.0 <= result.interval[0] <= result.value <= result.interval[1] <= 100.0
    assert result.value == pytest.approx(sum(values_of(tally_of("nps", answers))) / len(answers))


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 500).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_is_bounded_and_contains_the_share(pair: tuple[int, int]) -> None:
    x, n = pair
    low, high = wilson(x, n)
    assert 0.0 <= low <= x / n <= high <= 1.0


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 10), min_size=2, max_size=60), st.lists(st.integers(0, 10), min_size=2, max_size=60))
def test_swapping_the_periods_swaps_the_verdict(before: list[int], after: list[int]) -> None:
    forward = change(tally_of("nps", before), tally_of("nps", after))
    backward = change(tally_of("nps", after), tally_of("nps", before))
    swap = {"improved": "declined", "declined": "improved", "no clear change": "no clear change"}
    assert backward.verdict == swap[forward.verdict]
    assert forward.probability is not None
    assert backward.probability is not None
    assert forward.probability + backward.probability == pytest.approx(1.0)
    # The verdict and the 90% interval of the difference tell the same story.
    assert forward.interval is not None
    if forward.verdict == "improved":
        assert forward.interval[0] > 0
    elif forward.verdict == "declined":
        assert forward.interval[1] < 0


def test_it_reproduces_the_change_worked_example() -> None:
    january = [10] * 14 + [8] * 14 + [3] * 12  # 40 respondents, NPS 5
    february = [9] * 28 + [7] * 14 + [2] * 8  # 50 respondents, NPS 40
    result = change(tally_of("nps", january), tally_of("nps", february), labels=("2026-01", "2026-02"))
    assert result.difference == pytest.approx(35.0)
    assert result.verdict == "improved"
    # Independently: Welch on the means and variances with the pseudo-respondents of the NPS interval on each side.
    sides = []
    for p, d, n in ((14, 12, 40), (28, 8, 50)):
        m = n + 3
        mean = (p + 0.75 - d - 0.75) / m
        var = 1e4 * ((p + 0.75) / m + (d + 0.75) / m - mean**2) / m
        sides.append((100 * mean, var, m - 1))
    tested = sides[1][0] - sides[0][0]
    se2 = sides[0][1] + sides[1][1]
    df = se2**2 / (sides[0][1] ** 2 / sides[0][2] + sides[1][1] ** 2 / sides[1][2])
    half = stats.t.ppf(0.95, df) * math.sqrt(se2)
    assert result.probability == pytest.approx(stats.t.cdf(tested / math.sqrt(se2), df))
    assert result.interval == pytest.approx((tested - half, tested + half))
    assert result.probability is not None
    assert round(result.probability, 4) == 0.9794
    assert result.interval is not None
    assert (round(result.interval[0], 4), round(result.interval[1], 4)) == (6.545, 59.6243)


def test_a_lower_effort_score_is_an_improvement_when_high_means_effort() -> None:
    before = tally_of("ces", [6, 7, 6, 7, 6, 5, 7, 6] * 4, 7)
    after = tally_of("ces", [2, 3, 2, 1, 3, 2, 2, 3] * 4, 7)
    assert change(before, after, high_is_easy=False).verdict == "improved"
    assert change(before, after, high_is_easy=True).verdict == "declined"


def test_it_finds_no_clear_change_with_a_single_answer_on_a_side() -> None:
    result = change(tally_of("nps", [0]), tally_of("nps", [10] * 50))
    assert (result.verdict, result.probability, result.interval) == ("no clear change", None, None)


def _response(i: int, month: int, segment: str | None, score: int) -> SurveyResponse:
    from datetime import datetime

    return SurveyResponse(f"r{i}", i + 2, datetime(2026, month, 10), segment, nps=score, csat=None, ces=None)


def test_it_breaks_down_by_month_and_segment_and_withholds_small_segments() -> None:
    responses = [
        _response(i, 1 + i % 2, "North" if i < 20 else ("South" if i < 38 else "Islands"), (i * 7) % 11)
        for i in range(40)
    ]
    summary = summarize(responses, options=SummaryOptions(min_segment_size=3))
    assert list(summary.metrics) == ["nps"]
    metric = summary.metrics["nps"]
    assert metric.overall.n == 40
    assert [c.period for c in metric.by_period] == ["2026-01", "2026-02"]
    assert sum(c.n for c in metric.by_period) == 40
    cells = {c.segment: c for c in metric.by_segment}
    # "Islands" has 2 respondents: withheld; then 40 - 38 = 2 are left out, fewer than 3, so the smallest shown
    # segment is withheld too (complementary suppression), else the overall NPS would reveal the two.
    assert cells["Islands"].withheld
    assert cells["South"].withheld
    assert cells["South"].result is None
    assert not cells["North"].withheld
    assert len(metric.changes) == 1
    assert metric.changes[0].before == "2026-01"


def test_shown_segments_follow_the_group_rule() -> None:
    assert shown_segments({"a": 10, "b": 10}, 0, 3) == {"a", "b"}
    assert shown_segments({"a": 10, "b": 2}, 0, 3) == set()
    assert shown_segments({"a": 10, "b": 2, "c": 5}, 0, 3) == {"a"}
    assert shown_segments({"a": 10, "b": 10}, 3, 3) == {"a", "b"}


def test_a_segment_withheld_overall_is_withheld_in_every_month_too() -> None:
    """A (6 answers) is withheld overall to protect C (2); shown in January and February, its months would add up
    to A overall, and the overall NPS minus A and B would then be C's two answers."""
    plan = [(1, "A", 3), (2, "A", 3), (1, "B", 5), (2, "B", 5), (3, "B", 5), (3, "C", 2)]
    responses = [
        _response(len(plan) * 10 + n, month, segment, n % 11) for month, segment, count in plan for n in range(count)
    ]
    metric = summarize(responses, options=SummaryOptions(min_segment_size=3)).metrics["nps"]
    totals = {c.segment: c.withheld for c in metric.by_segment}
    assert totals == {"A": True, "B": False, "C": True}
    months = {(c.period, c.segment): c.withheld for c in metric.by_period_segment}
    assert months[("2026-01", "A")]
    assert months[("2026-02", "A")]
    assert months[("2026-01", "B")] is False  # January still leaves out A's 3, enough


def test_tallies_from_counts_equal_tallies_from_responses() -> None:
    responses = [_response(i, 1, "North", i % 11) for i in range(33)]
    counted = Tallies()
    for r in responses:
        counted.add(r)
    from_sql = Tallies(Scales())
    answers: dict[int, int] = {}
    for r in responses:
        assert r.nps is not None
        answers[r.nps] = answers.get(r.nps, 0) + 1
    from_sql.add_counts("nps", ("2026-01", "North"), answers)
    assert counted.cells("nps") == from_sql.cells("nps")


def test_tallies_of_different_scales_do_not_add() -> None:
    with pytest.raises(ValueError, match="different scales"):
        _ = tally_of("csat", [5], 5) + tally_of("csat", [5], 7)
    assert (tally_of("nps", [1]) + tally_of("nps", [10])).n == 2
    assert isinstance(tally_of("nps", []), Tally)


@pytest.mark.parametrize(("population", "n"), [((0.2, 0.3, 0.5), 5), ((0.4, 0.3, 0.3), 10), ((0.2, 0.3, 0.5), 30)])
def test_it_keeps_false_alarms_near_the_stated_rate(population: tuple[float, float, float], n: int) -> None:
    """Pairs of samples of one population: a verdict of change in at most about 10% of them (two 5% tails)."""
    rng = np.random.default_rng(0)
    pairs = 1500

    def tally(counts: npt.NDArray[np.int64]) -> Tally:
        return tally_of("nps", [0] * int(counts[0]) + [7] * int(counts[1]) + [10] * int(counts[2]))

    a = rng.multinomial(n, population, size=pairs)
    b = rng.multinomial(n, population, size=pairs)
    alarms = sum(change(tally(x), tally(y)).verdict != "no clear change" for x, y in zip(a, b, strict=True))
    assert alarms / pairs <= 0.115
    true_nps = 100 * (population[2] - population[0])
    covered = 0
    for x in a:
        result = nps(tally(x))
        assert result is not None
        covered += result.interval[0] <= true_nps <= result.interval[1]
    assert 0.85 <= covered / pairs <= 0.97
