"""NPS, CSAT and CES with honest intervals, by period and segment, and the verdict on a change between two periods.

Every metric is computed from a *tally*: how many respondents gave each answer of the scale. A tally is all the
evidence these metrics use, so the same functions serve a file read in one pass (:class:`Tallies` counts it) and a
database that counts with ``GROUP BY period, segment, answer``. Formulas and citations: docs/outcomes.md.

- NPS (Reichheld 2003): each respondent scores +1 (promoter, 9-10), 0 (passive, 7-8) or -1 (detractor, 0-6); NPS is
  100 x their mean, from -100 to 100. Its interval is the adjusted Wald interval (Rocks 2016): 3/4 of a promoter and
  3/4 of a detractor (and 3/2 of a passive) are added, n becomes n + 3, and the normal interval of the mean is taken
  on those counts: it keeps its coverage near 90% at small n, where the plain interval collapses to a point when
  everyone answers alike. It is widened, where it must be, to contain the observed NPS (only at very small n).
- CSAT: the top-box share in percent: answers 4-5 of 1-5, or 6-7 of 1-7. Wilson's (1927) score interval.
- CES: the mean answer on its scale with Student's t interval (n >= 2). The direction of the question is stated
  with the result: ``high_is_easy`` (CES 2.0 wording, "made it easy") or not (a high answer means much effort).
- Change between two periods: the difference of the per-respondent means (with the pseudo-respondents of the
  intervals for NPS and CSAT) with Welch's (1947) t and Satterthwaite's degrees of freedom,
  P(improvement) = T_df(d / se), and the verdict of
  :func:`cxmaturity.progress.change.verdict_from` at the same DECISIVE probability (0.95) the maturity comparisons
  use: "improved" exactly when the 90% interval of the difference lies above zero.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from statistics import NormalDist

from scipy import stats

from cxmaturity.outcomes.model import CES_SCALES, CSAT_SCALES, METRICS, Metric, SurveyResponse
from cxmaturity.progress.change import DECISIVE, Verdict, verdict_from

#: The interval level of every outcome metric (as for maturity results).
CONFIDENCE = 0.90
#: Default smallest segment whose metrics are shown (an organization's own minimum group size replaces it).
MIN_SEGMENT_SIZE = 3
#: Pseudo-respondents of the adjusted Wald interval of NPS (Rocks 2016): 3/4 promoter + 3/4 detractor + 3/2 passive.
NPS_PSEUDO = (0.75, 1.5, 0.75)


@dataclass(frozen=True)
class Tally:
    """How many respondents gave each answer of a metric's scale: ``counts[i]`` answered ``low + i``."""

    metric: Metric
    counts: tuple[int, ...]
    low: int

    @property
    def n(self) -> int:
        return sum(self.counts)

    @property
    def high(self) -> int:
        return self.low + len(self.counts) - 1

    def __add__(self, other: Tally) -> Tally:
        if (self.metric, self.low, len(self.counts)) != (other.metric, other.low, len(other.counts)):
            raise ValueError("tallies of different scales cannot be added")
        return Tally(self.metric, tuple(a + b for a, b in zip(self.counts, other.counts, strict=True)), self.low)


def empty_tally(metric: Metric, scale: int | None = None) -> Tally:
    """Return a tally with no answer: NPS on 0-10, CSAT or CES on 1-``scale``."""
    if metric == "nps":
        return Tally("nps", (0,) * 11, 0)
    allowed = CSAT_SCALES if metric == "csat" else CES_SCALES
    if scale not in allowed:
        raise ValueError(f"{metric} is asked on 1-5 or 1-7, not 1-{scale}")
    return Tally(metric, (0,) * scale, 1)


def tally_of(metric: Metric, answers: Iterable[int], scale: int | None = None) -> Tally:
    """Return the tally of ``answers`` (each on the metric's scale; ValueError otherwise)."""
    base = empty_tally(metric, scale)
    counts = list(base.counts)
    for answer in answers:
        if not base.low <= answer <= base.high:
            raise ValueError(f"{answer} is not on the {metric} scale {base.low}-{base.high}")
        counts[answer - base.low] += 1
    return Tally(metric, tuple(counts), base.low)


@dataclass(frozen=True)
class NpsResult:
    """NPS in points (-100 to 100) with its interval, and the counts it comes from."""

    value: float
    interval: tuple[float, float]
    confidence: float
    n: int
    promoters: int
    passives: int
    detractors: int
    metric: Metric = "nps"


@dataclass(frozen=True)
class CsatResult:
    """CSAT: the top-box share in percent (0 to 100) with Wilson's interval."""

    value: float
    interval: tuple[float, float]
    confidence: float
    n: int
    top_box: int
    scale: int
    metric: Metric = "csat"


@dataclass(frozen=True)
class CesResult:
    """CES: the mean answer on 1-``scale`` with Student's t interval (None for a single response)."""

    value: float
    interval: tuple[float, float] | None
    confidence: float
    n: int
    sd: float | None
    scale: int
    high_is_easy: bool
    metric: Metric = "ces"


MetricResult = NpsResult | CsatResult | CesResult


def z_value(confidence: float) -> float:
    """Return the two-sided standard normal quantile of ``confidence`` (1.6449 for 0.90)."""
    return NormalDist().inv_cdf(0.5 + confidence / 2.0)


def nps(tally: Tally, confidence: float = CONFIDENCE) -> NpsResult | None:
    """Return NPS with its adjusted Wald interval, or None for a tally without answers."""
    _expect(tally, "nps")
    n = tally.n
    if n == 0:
        return None
    detractors = sum(tally.counts[0:7])
    passives = sum(tally.counts[7:9])
    promoters = sum(tally.counts[9:11])
    value = 100.0 * (promoters - detractors) / n
    pd, pa, pp = NPS_PSEUDO
    n_adj = n + pd + pa + pp
    p_pro = (promoters + pp) / n_adj
    p_det = (detractors + pd) / n_adj
    mean = p_pro - p_det
    half = z_value(confidence) * math.sqrt((p_pro + p_det - mean**2) / n_adj)
    low = max(-100.0, 100.0 * (mean - half))
    high = min(100.0, 100.0 * (mean + half))
    return NpsResult(
        value=value,
        interval=(min(low, value), max(high, value)),
        confidence=confidence,
        n=n,
        promoters=promoters,
        passives=passives,
        detractors=detractors,
    )


def wilson(successes: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Return Wilson's (1927) score interval of a proportion (as shares, 0 to 1)."""
    if n <= 0 or not 0 <= successes <= n:
        raise ValueError("Wilson's interval needs 0 <= successes <= n and n > 0")
    z = z_value(confidence)
    p = successes / n
    denominator = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1.0 - p) / n + z * z / (4.0 * n * n))
    # At 0 or n successes a bound is exactly 0 or 1; floating point would leave it a hair off.
    return min(p, max(0.0, centre - half)), max(p, min(1.0, centre + half))


def top_box(scale: int) -> int:
    """Return the lowest answer in CSAT's top box: 4 on 1-5, 6 on 1-7."""
    if scale not in CSAT_SCALES:
        raise ValueError(f"CSAT is asked on 1-5 or 1-7, not 1-{scale}")
    return scale - 1


def csat(tally: Tally, confidence: float = CONFIDENCE) -> CsatResult | None:
    """Return CSAT (top-box percent) with Wilson's interval, or None for a tally without answers."""
    _expect(tally, "csat")
    n = tally.n
    if n == 0:
        return None
    scale = tally.high
    top = sum(tally.counts[top_box(scale) - tally.low :])
    low, high = wilson(top, n, confidence)
    return CsatResult(100.0 * top / n, (100.0 * low, 100.0 * high), confidence, n, top, scale)


def ces(tally: Tally, confidence: float = CONFIDENCE, high_is_easy: bool = True) -> CesResult | None:
    """Return CES (the mean answer) with Student's t interval, or None for a tally without answers."""
    _expect(tally, "ces")
    n = tally.n
    if n == 0:
        return None
    mean, variance = _moments(tally)
    if n < 2:
        return CesResult(mean, None, confidence, n, None, tally.high, high_is_easy)
    sd = math.sqrt(variance)
    half = float(stats.t.ppf(0.5 + confidence / 2.0, n - 1)) * sd / math.sqrt(n)
    return CesResult(mean, (mean - half, mean + half), confidence, n, sd, tally.high, high_is_easy)


def result_of(tally: Tally, confidence: float = CONFIDENCE, high_is_easy: bool = True) -> MetricResult | None:
    """Return the metric a tally holds (NPS, CSAT or CES), or None for a tally without answers."""
    if tally.metric == "nps":
        return nps(tally, confidence)
    if tally.metric == "csat":
        return csat(tally, confidence)
    return ces(tally, confidence, high_is_easy)


# --------------------------------------------------------------------------------------------------------------------
# Change between two periods


@dataclass(frozen=True)
class Change:
    """``after - before`` of a metric (points for NPS, percentage points for CSAT, scale points for CES) with its
    Welch interval, the probability that the metric improved and the verdict.

    For CES asked with a high answer meaning much effort, *improved* means the mean fell.
    """

    metric: Metric
    before: str | None
    after: str | None
    difference: float
    interval: tuple[float, float] | None
    confidence: float
    probability: float | None
    verdict: Verdict


def change(
    before: Tally,
    after: Tally,
    confidence: float = CONFIDENCE,
    high_is_easy: bool = True,
    labels: tuple[str | None, str | None] = (None, None),
) -> Change:
    """Return the change from ``before`` to ``after`` of one metric with its verdict.

    The respondents' values (NPS: +100/0/-100; CSAT: 100 for the top box, else 0; CES: the answer) of the two
    periods are independent samples; the difference of their means gets Welch's interval. For NPS and CSAT both the
    difference tested and its variance are taken with pseudo-respondents added to each period (NPS: those of its
    interval; CSAT: one top-box and one other answer, Agresti & Caffo 2000): without them a period where everyone
    answered alike claims certainty, and at n = 5 to 10 the plain test calls a change in 15-22% of pairs of samples
    of one population (docs/outcomes.md), twice the 10% the rule allows. ``difference`` is the observed one. With
    fewer than two answers on a side there is no verdict beyond "no clear change".
    """
    if before.metric != after.metric:
        raise ValueError("a change compares one metric")
    metric = before.metric
    sign = -1.0 if metric == "ces" and not high_is_easy else 1.0
    if before.n < 2 or after.n < 2:
        difference = _mean(after) - _mean(before) if before.n and after.n else math.nan
        return Change(metric, *labels, difference, None, confidence, None, "no clear change")
    m_b, v_b, df_b = _welch_side(before)
    m_a, v_a, df_a = _welch_side(after)
    difference = _mean(after) - _mean(before)
    tested = m_a - m_b
    se2 = v_a + v_b
    if se2 <= 0.0:
        # Both periods answered alike (CES only: NPS and CSAT carry pseudo-respondents): the difference is exact.
        probability = 0.5 if difference == 0 else (1.0 if sign * difference > 0 else 0.0)
        return Change(
            metric,
            *labels,
            difference,
            (difference, difference),
            confidence,
            probability,
            verdict_from(probability, sign * difference),
        )
    se = math.sqrt(se2)
    df = se2**2 / (v_a**2 / df_a + v_b**2 / df_b)
    half = float(stats.t.ppf(0.5 + confidence / 2.0, df)) * se
    probability = float(stats.t.cdf(sign * tested / se, df))
    return Change(
        metric,
        *labels,
        difference,
        (tested - half, tested + half),
        confidence,
        probability,
        verdict_from(probability, sign * difference),
    )


def _welch_side(tally: Tally) -> tuple[float, float, float]:
    """Return the mean tested, the variance of that mean and the degrees of freedom of one side of a change."""
    n = tally.n
    if tally.metric == "nps":
        pd, pa, pp = NPS_PSEUDO
        detractors = sum(tally.counts[0:7]) + pd
        promoters = sum(tally.counts[9:11]) + pp
        m = n + pd + pa + pp
        mean = (promoters - detractors) / m
        variance = 1e4 * (promoters / m + detractors / m - mean**2)
        return 100.0 * mean, variance / m, m - 1.0
    if tally.metric == "csat":
        top = sum(tally.counts[top_box(tally.high) - tally.low :]) + 1
        m = n + 2
        p = top / m
        return 100.0 * p, 1e4 * p * (1.0 - p) / m, m - 1.0
    mean, variance = _moments(tally)
    return mean, variance / n, n - 1.0


def _mean(tally: Tally) -> float:
    """Return the mean respondent value of a tally on the metric's reporting scale."""
    result = result_of(tally)
    assert result is not None
    return result.value


def _moments(tally: Tally) -> tuple[float, float]:
    """Return the mean answer and the sample variance (0 for one answer) of a tally."""
    n = tally.n
    total = sum((tally.low + i) * c for i, c in enumerate(tally.counts))
    mean = total / n
    if n < 2:
        return mean, 0.0
    squares = sum(c * (tally.low + i - mean) ** 2 for i, c in enumerate(tally.counts))
    return mean, squares / (n - 1)


def _expect(tally: Tally, metric: Metric) -> None:
    if tally.metric != metric:
        raise ValueError(f"a {tally.metric} tally is not a {metric} tally")


# --------------------------------------------------------------------------------------------------------------------
# By period and segment

#: A cell of a breakdown: (period, segment); None stands for "all".
Key = tuple[str | None, str | None]


@dataclass(frozen=True)
class Scales:
    """The answer scales of a survey's CSAT and CES questions and CES's direction (``ColumnMapping`` has them)."""

    csat_scale: int = 5
    ces_scale: int = 7
    ces_high_is_easy: bool = True


class Tallies:
    """Counts a stream of responses into tallies per metric, period (month) and segment in one pass.

    Memory grows with the number of (period, segment) cells, not with responses. ``add_counts`` lets a database
    aggregate (``GROUP BY``) feed the same summary.
    """

    def __init__(self, scales: Scales = Scales()) -> None:
        self.scales = scales
        self.responses = 0
        self._cells: dict[Metric, dict[Key, list[int]]] = {m: {} for m in METRICS}
        self._sizes = {m: len(empty_tally(m, self._scale(m)).counts) for m in METRICS}
        self._lows = {m: empty_tally(m, self._scale(m)).low for m in METRICS}

    def _scale(self, metric: Metric) -> int | None:
        return {"nps": None, "csat": self.scales.csat_scale, "ces": self.scales.ces_scale}[metric]

    def add(self, response: SurveyResponse) -> None:
        """Count one response (its period from ``submitted_at``, its segment)."""
        self.responses += 1
        key = (response.period(), response.segment)
        for metric, answer in (("nps", response.nps), ("csat", response.csat), ("ces", response.ces)):
            if answer is None:
                continue
            cells = self._cells[metric]  # type: ignore[index]  # the literal tuple's metric
            cell = cells.get(key)
            if cell is None:
                cell = cells[key] = [0] * self._sizes[metric]  # type: ignore[index]
            index = answer - self._lows[metric]  # type: ignore[index]
            if not 0 <= index < len(cell):
                raise ValueError(f"{answer} is not on the {metric} scale")
            cell[index] += 1

    def add_counts(self, metric: Metric, key: Key, counts: Mapping[int, int]) -> None:
        """Add ``answer -> count`` for a (period, segment) cell (an answer off the scale raises ValueError)."""
        cell = self._cells[metric].get(key)
        if cell is None:
            cell = self._cells[metric][key] = [0] * self._sizes[metric]
        low = self._lows[metric]
        for answer, count in counts.items():
            index = answer - low
            if not 0 <= index < len(cell):
                raise ValueError(f"{answer} is not on the {metric} scale")
            cell[index] += count

    def cells(self, metric: Metric) -> dict[Key, Tally]:
        """Return the tally of each (period, segment) cell that holds answers to ``metric``."""
        low = self._lows[metric]
        return {key: Tally(metric, tuple(c), low) for key, c in self._cells[metric].items()}

    def metrics(self) -> tuple[Metric, ...]:
        """Return the metrics with at least one answer."""
        return tuple(m for m in METRICS if any(sum(c) for c in self._cells[m].values()))


@dataclass(frozen=True)
class Cell:
    """A metric in one period and/or segment (None: all); ``result`` is None where the cell is withheld."""

    period: str | None
    segment: str | None
    n: int
    result: MetricResult | None
    withheld: bool = False


@dataclass(frozen=True)
class MetricSummary:
    """One metric: overall, by period (month), by segment and by period x segment, and the change between each two
    consecutive periods."""

    metric: Metric
    overall: MetricResult
    by_period: tuple[Cell, ...]
    by_segment: tuple[Cell, ...]
    by_period_segment: tuple[Cell, ...]
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class SummaryOptions:
    confidence: float = CONFIDENCE
    #: Segments with fewer respondents than this are withheld (and the smallest others with them when the rest
    #: would reveal them, as for groups in docs/scoring.md).
    min_segment_size: int = MIN_SEGMENT_SIZE


@dataclass(frozen=True)
class OutcomeSummary:
    """Every metric the responses hold; a metric nobody answered is absent from ``metrics``."""

    responses: int
    metrics: Mapping[Metric, MetricSummary] = field(default_factory=dict)
    withheld_segments: int = 0


def summarize(
    responses: Iterable[SurveyResponse], scales: Scales = Scales(), options: SummaryOptions = SummaryOptions()
) -> OutcomeSummary:
    """Return NPS, CSAT and CES of a stream of responses overall, by month and by segment (one pass)."""
    tallies = Tallies(scales)
    for response in responses:
        tallies.add(response)
    return summarize_tallies(tallies, options)


def summarize_tallies(tallies: Tallies, options: SummaryOptions = SummaryOptions()) -> OutcomeSummary:
    """Return the summary of tallies counted elsewhere (a file read by :class:`Tallies`, or SQL counts)."""
    out: dict[Metric, MetricSummary] = {}
    withheld: set[tuple[str | None, str]] = set()
    high_is_easy = tallies.scales.ces_high_is_easy

    def result(t: Tally) -> MetricResult | None:
        return result_of(t, options.confidence, high_is_easy)

    for metric in tallies.metrics():
        cells = tallies.cells(metric)
        overall = result(_total(cells.values()))
        assert overall is not None
        by_period = _group(cells, 0)
        by_segment = _group(cells, 1)
        periods = sorted(p for p in by_period if p is not None)
        period_cells = tuple(Cell(p, None, t.n, result(t)) for p, t in sorted(by_period.items(), key=_order))
        segment_cells = _segment_cells(by_segment, None, options.min_segment_size, result)
        crossed: list[Cell] = []
        for period in sorted(by_period, key=lambda p: (p is None, p or "")):
            in_period = {k[1]: t for k, t in cells.items() if k[0] == period}
            crossed.extend(_segment_cells(in_period, period, options.min_segment_size, result))
        crossed = _along_periods(crossed, segment_cells, options.min_segment_size)
        withheld |= {(c.period, c.segment or "") for c in (*segment_cells, *crossed) if c.withheld}
        changes = tuple(
            change(by_period[a], by_period[b], options.confidence, high_is_easy, (a, b))
            for a, b in itertools.pairwise(periods)
        )
        out[metric] = MetricSummary(metric, overall, period_cells, segment_cells, tuple(crossed), changes)
    return OutcomeSummary(tallies.responses, out, len(withheld))


def _order(item: tuple[str | None, Tally]) -> tuple[bool, str]:
    return item[0] is None, item[0] or ""


def _total(tallies: Iterable[Tally]) -> Tally:
    items = list(tallies)
    total = items[0]
    for t in items[1:]:
        total = total + t
    return total


def _group(cells: Mapping[Key, Tally], part: int) -> dict[str | None, Tally]:
    """Return the tallies summed by period (``part`` 0) or by segment (1)."""
    out: dict[str | None, Tally] = {}
    for key, t in cells.items():
        k = key[part]
        out[k] = out[k] + t if k in out else t
    return out


def shown_segments(sizes: Mapping[str, int], left_out: int, min_size: int) -> set[str]:
    """Return the segments that may be shown: each of at least ``min_size`` respondents, and together leaving out
    nobody or at least ``min_size`` (``left_out`` counts respondents without a segment).

    The rule of groups (docs/scoring.md, complementary suppression): without the second half, the overall metric
    minus the shown segments' would describe the few respondents left out.
    """
    shown = sorted((s for s, n in sizes.items() if n >= min_size), key=lambda s: (sizes[s], s))
    total = sum(sizes.values()) + left_out
    while shown and 0 < total - sum(sizes[s] for s in shown) < min_size:
        shown.pop(0)
    return set(shown)


def _segment_cells(
    tallies: Mapping[str | None, Tally],
    period: str | None,
    min_size: int,
    result: Callable[[Tally], MetricResult | None],
) -> tuple[Cell, ...]:
    """Return a cell per named segment, withheld where :func:`shown_segments` says so."""
    named = {s: t.n for s, t in tallies.items() if s is not None}
    if not named:
        return ()
    unnamed = tallies[None].n if None in tallies else 0
    shown = shown_segments(named, unnamed, min_size)
    cells = tuple(
        Cell(period, s, named[s], result(tallies[s]) if s in shown else None, s not in shown) for s in sorted(named)
    )
    return cells


def _along_periods(crossed: Sequence[Cell], totals: Sequence[Cell], min_size: int) -> list[Cell]:
    """Return the period x segment cells with more of them withheld, so that a segment's figure over every period
    minus its shown periods never describes 1 to ``min_size - 1`` respondents (the rule of groups applied along the
    periods too; withholding a cell of at least ``min_size`` never breaks the rule within its period).

    A segment withheld over every period has every period's cell withheld: its shown periods would add up to it.
    """
    out = list(crossed)
    withheld_totals = {c.segment for c in totals if c.withheld}
    for segment in sorted({c.segment or "" for c in out}):
        cells = [i for i, c in enumerate(out) if (c.segment or "") == segment]
        shown = sorted((i for i in cells if not out[i].withheld), key=lambda i: (out[i].n, out[i].period or ""))
        while shown and (segment in withheld_totals or 0 < sum(out[i].n for i in cells if out[i].withheld) < min_size):
            hide = shown.pop(0)
            out[hide] = replace(out[hide], result=None, withheld=True)
    return out


def values_of(tally: Tally) -> Sequence[float]:
    """Return each respondent's value on the metric's reporting scale (for checks and plots; O(n) memory)."""
    out: list[float] = []
    for i, count in enumerate(tally.counts):
        answer = tally.low + i
        if tally.metric == "nps":
            value = 100.0 if answer >= 9 else (0.0 if answer >= 7 else -100.0)
        elif tally.metric == "csat":
            value = 100.0 if answer >= top_box(tally.high) else 0.0
        else:
            value = float(answer)
        out.extend([value] * count)
    return out


__all__ = [
    "CONFIDENCE",
    "DECISIVE",
    "MIN_SEGMENT_SIZE",
    "Cell",
    "CesResult",
    "Change",
    "CsatResult",
    "MetricResult",
    "MetricSummary",
    "NpsResult",
    "OutcomeSummary",
    "Scales",
    "SummaryOptions",
    "Tallies",
    "Tally",
    "ces",
    "change",
    "csat",
    "empty_tally",
    "nps",
    "result_of",
    "shown_segments",
    "summarize",
    "summarize_tallies",
    "tally_of",
    "top_box",
    "values_of",
    "wilson",
]
