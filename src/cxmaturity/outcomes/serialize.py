"""Outcome results as JSON-ready data: the shapes of ``cxm outcomes summary|drivers|asset --format json`` (a public
contract, docs/cli.md). Each shape names its format with a version, so a change to it is visible."""

from __future__ import annotations

import math
from typing import Any

from cxmaturity.outcomes.asset import Amount, AssetFigures, CustomerAsset
from cxmaturity.outcomes.drivers import DriverAnalysis
from cxmaturity.outcomes.metrics import (
    Cell,
    CesResult,
    Change,
    CsatResult,
    MetricResult,
    MetricSummary,
    NpsResult,
    OutcomeSummary,
)
from cxmaturity.outcomes.model import ColumnMapping

SUMMARY_FORMAT = "cx-maturity/outcomes-summary@1"
DRIVERS_FORMAT = "cx-maturity/key-drivers@1"
ASSET_FORMAT = "cx-maturity/customer-asset@1"
#: Metrics (points, percent, scale points) are rounded for reading to 4 decimals, relative weights to 6.
DIGITS = 4
WEIGHT_DIGITS = 6


def _n(value: float | None, digits: int = DIGITS) -> float | None:
    return None if value is None or math.isnan(value) else round(value, digits)


def _pair(pair: tuple[float, float] | None, digits: int = DIGITS) -> list[float | None] | None:
    return None if pair is None else [_n(pair[0], digits), _n(pair[1], digits)]


def metric_to_dict(result: MetricResult) -> dict[str, Any]:
    """Return one metric's value, interval and counts (NPS: promoters, passives, detractors; CSAT: top box and scale;
    CES: SD, scale and direction)."""
    out: dict[str, Any] = {
        "value": _n(result.value),
        "interval": _pair(result.interval),
        "confidence": result.confidence,
        "n": result.n,
    }
    if isinstance(result, NpsResult):
        out.update(promoters=result.promoters, passives=result.passives, detractors=result.detractors)
    elif isinstance(result, CsatResult):
        out.update(top_box=result.top_box, scale=result.scale)
    elif isinstance(result, CesResult):
        out.update(sd=_n(result.sd), scale=result.scale, high_is_easy=result.high_is_easy)
    return out


def cell_to_dict(cell: Cell) -> dict[str, Any]:
    """Return a period/segment cell: its keys, its size, and its metric unless withheld."""
    out: dict[str, Any] = {}
    if cell.period is not None:
        out["period"] = cell.period
    if cell.segment is not None:
        out["segment"] = cell.segment
    out["n"] = cell.n
    if cell.withheld or cell.result is None:
        out["withheld"] = True
        return out
    out.update({k: v for k, v in metric_to_dict(cell.result).items() if k != "n"})
    return out


def change_to_dict(change: Change) -> dict[str, Any]:
    return {
        "from": change.before,
        "to": change.after,
        "difference": _n(change.difference),
        "interval": _pair(change.interval),
        "confidence": change.confidence,
        "probability_improved": _n(change.probability),
        "verdict": change.verdict,
    }


def metric_summary_to_dict(summary: MetricSummary) -> dict[str, Any]:
    return {
        **metric_to_dict(summary.overall),
        "by_period": [cell_to_dict(c) for c in summary.by_period],
        "by_segment": [cell_to_dict(c) for c in summary.by_segment],
        "by_period_segment": [cell_to_dict(c) for c in summary.by_period_segment],
        "changes": [change_to_dict(c) for c in summary.changes],
    }


def summary_to_dict(
    summary: OutcomeSummary,
    source: str,
    tool: str | None = None,
    mapping: ColumnMapping | None = None,
    partial: int = 0,
) -> dict[str, Any]:
    """Return ``{"format", "source", "tool", "responses", "partial_skipped", "mapping", "nps", "csat", "ces"}``; a
    metric the responses do not hold is absent."""
    out: dict[str, Any] = {"format": SUMMARY_FORMAT, "source": source}
    if tool is not None:
        out["tool"] = tool
    out["responses"] = summary.responses
    out["partial_skipped"] = partial
    out["withheld_segments"] = summary.withheld_segments
    if mapping is not None:
        out["mapping"] = mapping.to_dict()
    for metric, metric_summary in summary.metrics.items():
        out[metric] = metric_summary_to_dict(metric_summary)
    return out


def drivers_to_dict(analysis: DriverAnalysis, source: str | None = None) -> dict[str, Any]:
    """Return ``{"format", "source", "outcome", "n", "incomplete", "r2", "confidence", "resamples", "seed",
    "drivers": [{"column", "weight", "share", "interval", "share_interval", "correlation", "mean", "performance",
    "quadrant"}]}``, drivers by descending weight."""
    places = {m.column: m for m in analysis.matrix}
    drivers = []
    for d in sorted(analysis.drivers, key=lambda d: (-d.weight, d.column)):
        place = places[d.column]
        drivers.append(
            {
                "column": d.column,
                "weight": _n(d.weight, WEIGHT_DIGITS),
                "share": _n(d.share, WEIGHT_DIGITS),
                "interval": _pair(d.interval, WEIGHT_DIGITS),
                "share_interval": _pair(d.share_interval, WEIGHT_DIGITS),
                "correlation": _n(d.correlation, WEIGHT_DIGITS),
                "mean": _n(d.mean),
                "performance": _n(place.performance),
                "quadrant": place.quadrant,
            }
        )
    out: dict[str, Any] = {"format": DRIVERS_FORMAT}
    if source is not None:
        out["source"] = source
    out.update(
        outcome=analysis.outcome,
        n=analysis.n,
        incomplete=analysis.incomplete,
        r2=_n(analysis.r2, WEIGHT_DIGITS),
        confidence=analysis.confidence,
        resamples=analysis.resamples,
        seed=analysis.seed,
        drivers=drivers,
    )
    return out


def _amount(amount: Amount) -> dict[str, Any]:
    return {"customers": amount.customers, "value": _n(amount.value)}


def figures_to_dict(figures: AssetFigures) -> dict[str, Any]:
    return {
        "start": _amount(figures.start),
        "end": _amount(figures.end),
        "gained": _amount(figures.gained),
        "lost": _amount(figures.lost),
        "retained": _amount(figures.retained),
        "net_growth": _amount(figures.net_growth),
        "retention_rate": _n(figures.retention_rate),
        "churn_rate": _n(figures.churn_rate),
        "value_retention_rate": _n(figures.value_retention_rate),
    }


def asset_to_dict(asset: CustomerAsset, source: str | None = None) -> dict[str, Any]:
    """Return ``{"format", "source", "from", "to", "start", "end", "gained", "lost", "retained", "net_growth",
    "retention_rate", "churn_rate", "value_retention_rate", "by_segment": [{"segment", ...the same}]}``."""
    out: dict[str, Any] = {"format": ASSET_FORMAT}
    if source is not None:
        out["source"] = source
    out.update({"from": asset.first.isoformat(), "to": asset.last.isoformat()})
    out.update(figures_to_dict(asset.overall))
    out["by_segment"] = [{"segment": name, **figures_to_dict(f)} for name, f in asset.by_segment.items()]
    return out
