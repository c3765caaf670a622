"""The executive CX scorecard of an organization: maturity per competency with its uncertainty, the outcome metrics
it watches and its customer asset, on one timeline of quarters.

One view model for every rendering (the page, the JSON of the API, the section of the report, the CSV/XLSX/JSON
exports). It is built from plain inputs (scored results, outcome summaries, the customer asset, O-data series) that
``services/scorecard.py`` gathers with the permission checks; nothing here reads the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from cxmaturity.frameworks import Framework
from cxmaturity.i18n import N_
from cxmaturity.i18n.phrase import Text, english, phrase
from cxmaturity.outcomes import Cell, CesResult, CsatResult, MetricSummary, NpsResult, OutcomeSummary
from cxmaturity.outcomes.asset import AssetFigures
from cxmaturity.scoring.result import Result

#: Names shown for the built-in metric keys (``services.outcomes.METRIC_KEYS``): phrases, written in the language of
#: the page or report that shows them (i18n/phrase.py).
METRIC_NAMES = {
    "nps": phrase(N_("NPS")),
    "csat": phrase(N_("CSAT (top box)")),
    "ces": phrase(N_("CES (mean effort score)")),
    "customers": phrase(N_("Customers")),
    "customer_value": phrase(N_("Customer value per year")),
    "retention": phrase(N_("Customer retention")),
    "churn": phrase(N_("Customer churn")),
}
#: The verdicts on a change (``progress.change.VERDICTS``), as the scorecard shows them.
VERDICT_NAMES = {
    "improved": phrase(N_("improved")),
    "declined": phrase(N_("declined")),
    "no clear change": phrase(N_("no clear change")),
    "not comparable": phrase(N_("not comparable")),
}
#: Units of the metric keys: "points" (NPS), "%" (a share), "mean" (on the question's scale), "count", "value".
METRIC_UNITS = {
    "nps": "points",
    "csat": "%",
    "ces": "mean",
    "customers": "count",
    "customer_value": "value",
    "retention": "%",
    "churn": "%",
}


def quarter_of(day: date) -> str:
    """The quarter a day falls in: ``2026-Q1``."""
    return f"{day.year}-Q{(day.month + 2) // 3}"


@dataclass(frozen=True)
class CompetencyPoint:
    key: str
    name: str
    stage: str | None
    score: float | None
    interval: tuple[float, float] | None
    #: The stage as the framework names it (in the scorecard's language); ``stage`` is its key.
    stage_name: str | None = None


@dataclass(frozen=True)
class MaturityPoint:
    """One scored assessment of the organization, placed in its quarter."""

    assessment_id: int
    title: str
    day: date
    period: str
    framework: str
    respondents: int
    stage: str | None
    score: float | None
    interval: tuple[float, float] | None
    competencies: tuple[CompetencyPoint, ...]
    synthetic: bool = False
    #: The overall stage as the framework names it (in the scorecard's language); ``stage`` is its key.
    stage_name: str | None = None


@dataclass(frozen=True)
class MetricPoint:
    period: str
    value: float | None
    interval: tuple[float, float] | None = None
    n: int = 0


@dataclass(frozen=True)
class MetricLine:
    """A watched metric over the timeline; ``verdict`` is the change between its last two periods, when known."""

    key: str
    #: A phrase for the built-in metrics, a metric's label as the facilitator typed it otherwise.
    label: Text
    unit: str
    higher_is_better: bool
    points: tuple[MetricPoint, ...]
    verdict: Text | None = None
    note: Text = ""

    @property
    def latest(self) -> MetricPoint | None:
        shown = [p for p in self.points if p.value is not None]
        return shown[-1] if shown else None


@dataclass(frozen=True)
class AssetLine:
    """The customer asset over the last twelve months of data (whole organization)."""

    first: date
    last: date
    figures: AssetFigures
    segments: tuple[tuple[str, AssetFigures], ...] = ()
    withheld_segments: int = 0


@dataclass(frozen=True)
class Scorecard:
    organization: str
    timeline: tuple[str, ...]
    maturity: tuple[MaturityPoint, ...]
    metrics: tuple[MetricLine, ...]
    asset: AssetLine | None
    #: True when any part shown comes from SYNTHETIC data (the demo): every rendering labels it.
    synthetic: bool = False
    min_segment_size: int = 5
    notes: tuple[Text, ...] = field(default_factory=tuple)

    @property
    def empty(self) -> bool:
        return not self.maturity and not self.metrics and self.asset is None


# --- building ---------------------------------------------------------------------------------------------------------


def maturity_point(
    assessment_id: int, title: str, day: date, fw: Framework, result: Result, synthetic: bool = False
) -> MaturityPoint:
    """A scored assessment as a point of the scorecard (scores are the result's own 0-1 scale)."""
    stage_names = {s.key: fw.text(s.name) for s in fw.stages}
    competencies = tuple(
        CompetencyPoint(
            c.key, fw.text(fw.competency(c.key).name), c.stage, c.score, c.interval, stage_names.get(c.stage or "")
        )
        for c in result.competencies
    )
    return MaturityPoint(
        assessment_id,
        title,
        day,
        quarter_of(day),
        fw.text(fw.name) if hasattr(fw, "name") else result.framework,
        result.respondents,
        result.overall.stage,
        result.overall.score,
        result.overall.interval,
        competencies,
        synthetic,
        stage_names.get(result.overall.stage or ""),
    )


def _value_of(cell: Cell) -> MetricPoint:
    result = cell.result
    if result is None or cell.period is None:
        return MetricPoint(cell.period or "", None, None, cell.n)
    if isinstance(result, NpsResult | CsatResult | CesResult):
        return MetricPoint(cell.period, result.value, result.interval, result.n)
    return MetricPoint(cell.period, None, None, cell.n)  # pragma: no cover - every result is one of the three


def survey_line(key: str, label: Text, higher_is_better: bool, summary: MetricSummary | None) -> MetricLine:
    """A survey metric (nps, csat, ces) by quarter from the organization's outcome summary."""
    if summary is None:
        return MetricLine(key, label, METRIC_UNITS[key], higher_is_better, (), None, phrase(N_("no responses yet")))
    points = tuple(_value_of(c) for c in summary.by_period if c.period is not None)
    verdict = VERDICT_NAMES.get(summary.changes[-1].verdict, summary.changes[-1].verdict) if summary.changes else None
    note: Text = ""
    if key == "ces" and isinstance(summary.overall, CesResult):
        note = (
            phrase(N_("1-%(scale)d, higher is easier"), scale=summary.overall.scale)
            if summary.overall.high_is_easy
            else phrase(N_("1-%(scale)d, higher is more effort"), scale=summary.overall.scale)
        )
    return MetricLine(key, label, METRIC_UNITS[key], higher_is_better, points, verdict, note)


def series_line(
    key: str, label: Text, unit: str, higher_is_better: bool, series: Iterable[tuple[str, float, int]]
) -> MetricLine:
    """An O-data series or a customer-asset figure by quarter (no interval: these are counts, not samples)."""
    points = tuple(MetricPoint(period, value, None, n) for period, value, n in series)
    return MetricLine(key, label, unit, higher_is_better, points, None, "" if points else phrase(N_("no data yet")))


def build(
    organization: str,
    maturity: Sequence[MaturityPoint],
    metrics: Sequence[MetricLine],
    asset: AssetLine | None,
    *,
    synthetic: bool = False,
    min_segment_size: int = 5,
    notes: Sequence[Text] = (),
) -> Scorecard:
    """The scorecard, with one timeline of the quarters any of its parts covers."""
    periods = {m.period for m in maturity}
    for line in metrics:
        periods.update(p.period for p in line.points if p.period)
    timeline = tuple(sorted(periods))
    return Scorecard(
        organization,
        timeline,
        tuple(sorted(maturity, key=lambda m: (m.day, m.assessment_id))),
        tuple(metrics),
        asset,
        synthetic or any(m.synthetic for m in maturity),
        min_segment_size,
        tuple(notes),
    )


def summary_metric(summary: OutcomeSummary, key: str) -> MetricSummary | None:
    return summary.metrics.get(key)  # type: ignore[call-overload, no-any-return]


# --- plain data (JSON, and the tables of the CSV/XLSX exports) ---------------------------------------------------


def _r(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def _pair(pair: tuple[float, float] | None, digits: int = 3) -> list[float] | None:
    return None if pair is None else [round(pair[0], digits), round(pair[1], digits)]


def _figures(f: AssetFigures) -> dict[str, Any]:
    return {
        "start": {"customers": f.start.customers, "value": _r(f.start.value, 2)},
        "end": {"customers": f.end.customers, "value": _r(f.end.value, 2)},
        "gained": {"customers": f.gained.customers, "value": _r(f.gained.value, 2)},
        "lost": {"customers": f.lost.customers, "value": _r(f.lost.value, 2)},
        "net_growth": {"customers": f.net_growth.customers, "value": _r(f.net_growth.value, 2)},
        "retention_rate": _r(f.retention_rate, 4),
        "churn_rate": _r(f.churn_rate, 4),
    }


def to_dict(card: Scorecard) -> dict[str, Any]:
    """The scorecard as JSON-ready data (the API's and the JSON export's shape, ``format`` versioned)."""
    return {
        "format": "cxm-scorecard/1",
        "organization": card.organization,
        "synthetic": card.synthetic,
        "timeline": list(card.timeline),
        "min_segment_size": card.min_segment_size,
        "maturity": [
            {
                "assessment_id": m.assessment_id,
                "title": m.title,
                "day": m.day.isoformat(),
                "period": m.period,
                "framework": m.framework,
                "respondents": m.respondents,
                "stage": m.stage,
                "score": _r(m.score),
                "interval": _pair(m.interval),
                "competencies": [
                    {
                        "key": c.key,
                        "name": c.name,
                        "stage": c.stage,
                        "score": _r(c.score),
                        "interval": _pair(c.interval),
                    }
                    for c in m.competencies
                ],
            }
            for m in card.maturity
        ],
        "metrics": [
            {
                "key": line.key,
                # The JSON keeps English words (i18n/phrase.py: ``english``).
                "label": english(line.label),
                "unit": line.unit,
                "higher_is_better": line.higher_is_better,
                "verdict": None if line.verdict is None else english(line.verdict),
                "note": english(line.note),
                "points": [
                    {"period": p.period, "value": _r(p.value, 2), "interval": _pair(p.interval, 2), "n": p.n}
                    for p in line.points
                ],
            }
            for line in card.metrics
        ],
        "asset": None
        if card.asset is None
        else {
            "from": card.asset.first.isoformat(),
            "to": card.asset.last.isoformat(),
            **_figures(card.asset.figures),
            "by_segment": [{"segment": name, **_figures(f)} for name, f in card.asset.segments],
            "withheld_segments": card.asset.withheld_segments,
        },
        "notes": [english(n) for n in card.notes],
    }


def rows(card: Scorecard) -> list[dict[str, Any]]:
    """The scorecard as one long table (part, item, period, value, interval): the CSV and XLSX exports' rows."""
    out: list[dict[str, Any]] = []
    for m in card.maturity:
        items = [("overall", "Overall", m.stage, m.score, m.interval)]
        items += [(c.key, c.name, c.stage, c.score, c.interval) for c in m.competencies]
        for key, name, stage, score, interval in items:
            out.append(
                {
                    "part": "maturity",
                    "item": key,
                    "name": name,
                    "period": m.period,
                    "value": _r(score),
                    "low": interval[0] if interval else None,
                    "high": interval[1] if interval else None,
                    "n": m.respondents,
                    "detail": stage or "",
                }
            )
    for line in card.metrics:
        for p in line.points:
            out.append(
                {
                    "part": "outcome",
                    "item": line.key,
                    "name": english(line.label),
                    "period": p.period,
                    "value": _r(p.value, 2),
                    "low": _r(p.interval[0], 2) if p.interval else None,
                    "high": _r(p.interval[1], 2) if p.interval else None,
                    "n": p.n,
                    "detail": line.unit,
                }
            )
    if card.asset is not None:
        figures = _figures(card.asset.figures)
        period = f"{card.asset.first.isoformat()}..{card.asset.last.isoformat()}"
        for key in ("start", "end", "gained", "lost", "net_growth"):
            out.append(
                {
                    "part": "customer asset",
                    "item": key,
                    "name": key.replace("_", " "),
                    "period": period,
                    "value": figures[key]["customers"],
                    "low": None,
                    "high": None,
                    "n": None,
                    "detail": f"value {figures[key]['value']}",
                }
            )
        for key in ("retention_rate", "churn_rate"):
            out.append(
                {
                    "part": "customer asset",
                    "item": key,
                    "name": key.replace("_", " "),
                    "period": period,
                    "value": figures[key],
                    "low": None,
                    "high": None,
                    "n": None,
                    "detail": "share of customers at the start",
                }
            )
    return out


ROW_FIELDS = ("part", "item", "name", "period", "value", "low", "high", "n", "detail")


def lines_by_key(card: Scorecard) -> Mapping[str, MetricLine]:
    return {line.key: line for line in card.metrics}
