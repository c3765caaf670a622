"""The benchmark page's view model: the table of where the organization stands, the charts (with "you are here" on
the stage distribution) and the stage table beside them, from one ``services.benchmarks.Benchmark``.

It lives here, beside the other view models, so that the page and the report read the same figures and sentences.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from cxmaturity.benchmarks.model import OVERALL, Aggregate, Standing
from cxmaturity.benchmarks.privacy import CohortFilter, Decision
from cxmaturity.benchmarks.reference import Reference
from cxmaturity.benchmarks.statistics import quartile_band
from cxmaturity.frameworks.model import Framework
from cxmaturity.reporting.benchmark_charts import (
    Series,
    YouAreHere,
    benchmark_charts,
    competency_names,
    reference_label,
    stage_distribution,
    you_are_here,
)
from cxmaturity.reporting.charts import Chart
from cxmaturity.scoring.result import Result


class DatasetSource(Protocol):
    """An imported dataset as ``services.benchmarks.ImportedDataset`` has it."""

    @property
    def label(self) -> str: ...
    @property
    def same_framework(self) -> bool: ...
    @property
    def aggregates(self) -> tuple[Aggregate, ...]: ...


class BenchmarkSource(Protocol):
    """What ``services.benchmarks.benchmark`` returns, as far as the view needs it."""

    @property
    def framework(self) -> Framework: ...
    @property
    def cohort(self) -> CohortFilter: ...
    @property
    def decision(self) -> Decision: ...
    @property
    def aggregates(self) -> tuple[Aggregate, ...]: ...
    @property
    def standings(self) -> tuple[Standing, ...]: ...
    @property
    def own(self) -> dict[str, tuple[float, int]]: ...
    @property
    def datasets(self) -> tuple[Any, ...]: ...
    @property
    def references(self) -> tuple[Reference, ...]: ...
    @property
    def result(self) -> Result | None: ...
    @property
    def assessment(self) -> Any: ...


@dataclass(frozen=True)
class Row:
    """One competency (or overall) as the table shows it."""

    name: str
    score: float | None
    #: The interval of the score (the organization's own uncertainty), when the result has one.
    interval: tuple[float, float] | None
    stage: str
    #: Where the score falls among the cohort's published quartiles ("" when not shown).
    position: str
    cohort: Aggregate | None
    #: Per imported dataset: its figures for this competency and where the score falls among its quartiles.
    imported: tuple[tuple[Aggregate | None, str], ...]


@dataclass(frozen=True)
class StageRow:
    stage: str
    #: Organizations of the installation's cohort at the stage (None when no cohort is shown).
    cohort: int | None
    datasets: tuple[int, ...]
    references: tuple[float, ...]
    #: How likely the stage is the organization's own overall stage (None without a result or draws).
    yours: float | None
    here: bool


@dataclass(frozen=True)
class BenchmarkView:
    rows: tuple[Row, ...]
    cohort_label: str
    charts: tuple[Chart, ...]
    distribution: tuple[StageRow, ...]
    reference_labels: tuple[str, ...]
    stage_names: tuple[str, ...]
    overall_n: int
    #: The organization's overall stage with its uncertainty, marked on the stage distribution.
    you: YouAreHere | None


def cohort_label(shown: BenchmarkSource) -> str:
    """E.g. "This installation: all organizations (12 organizations)"; SYNTHETIC pools say so."""
    kind = "SYNTHETIC demo organizations of this installation" if shown.assessment.synthetic else "This installation"
    return f"{kind}: {shown.cohort.describe()} ({shown.decision.others} organizations)"


def build(shown: BenchmarkSource) -> BenchmarkView:
    fw = shown.framework
    names = competency_names(fw)
    stage_names = [fw.text(s.name) for s in fw.stages]
    cohort_of = {a.competency: a for a in shown.aggregates}
    position_of = {s.competency: s.position for s in shown.standings}
    result = shown.result
    intervals: dict[str, tuple[float, float] | None] = {}
    if result is not None:
        intervals = {c.key: c.interval for c in result.competencies}
        intervals[OVERALL] = result.overall.interval
    rows = []
    for key, name in names.items():
        own = shown.own.get(key)
        imported = []
        for dataset in shown.datasets:
            figures = next((a for a in dataset.aggregates if a.competency == key), None)
            band = quartile_band(own[0], figures.q1, figures.median, figures.q3) if own and figures else ""
            imported.append((figures, band))
        rows.append(
            Row(
                name=name,
                score=own[0] if own else None,
                interval=intervals.get(key) if own else None,
                stage=stage_names[own[1] - 1] if own else "",
                position=position_of.get(key, ""),
                cohort=cohort_of.get(key),
                imported=tuple(imported),
            )
        )
    label = cohort_label(shown)
    series = [Series(label, shown.aggregates)] if shown.aggregates else []
    series += [Series(d.label, d.aggregates) for d in shown.datasets if d.same_framework]
    overall = cohort_of.get(OVERALL)
    you = you_are_here(fw, result)
    distribution = tuple(
        StageRow(
            stage=stage,
            cohort=overall.stages.get(number, 0) if overall else None,
            datasets=tuple(
                next((a.stages.get(number, 0) for a in d.aggregates if a.competency == OVERALL), 0)
                for d in shown.datasets
            ),
            references=tuple(r.shares.get(fw.stage_keys[number - 1], 0.0) for r in shown.references),
            yours=you.probabilities.get(number, 0.0) if you is not None and you.probabilities else None,
            here=you is not None and you.stage_number == number,
        )
        for number, stage in enumerate(stage_names, start=1)
    )
    return BenchmarkView(
        rows=tuple(rows),
        cohort_label=label,
        charts=benchmark_charts(fw, series, shown.standings, shown.references, result),
        distribution=distribution,
        reference_labels=tuple(reference_label(r) for r in shown.references),
        stage_names=tuple(stage_names),
        overall_n=overall.n if overall else 0,
        you=you,
    )


@dataclass(frozen=True)
class PeersSection:
    """The report's section on where the organization stands among published studies (and the installation's
    cohort, when one is shown): the stage distribution with "you are here" marked, and the citations."""

    #: The organization's overall stage with its uncertainty; None without a result.
    you: YouAreHere | None
    #: The installation's cohort of all organizations, as the benchmark page labels it; "" when it is not shown.
    cohort: str
    references: tuple[Reference, ...]
    charts: tuple[Chart, ...]
    #: Why the installation's cohort is not shown, when it is not (the benchmark's own message).
    note: str = ""


def peers_section(shown: BenchmarkSource, message: str) -> PeersSection | None:
    """Return the report's peers section from the benchmark of all organizations; None when there is nothing to
    compare with (no published reference for the framework and no cohort shown)."""
    if not shown.references and not shown.aggregates:
        return None
    fw = shown.framework
    label = cohort_label(shown) if shown.aggregates else ""
    series = [Series(label, shown.aggregates)] if shown.aggregates else []
    you = you_are_here(fw, shown.result)
    return PeersSection(
        you=you,
        cohort=label,
        references=shown.references,
        charts=(stage_distribution(fw, series, shown.references, you),),
        note="" if shown.aggregates else message,
    )
