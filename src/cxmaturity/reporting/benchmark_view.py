"""The benchmark page's view model: the table of where the organization stands, the charts (with "you are here" on
the stage distribution) and the stage table beside them, from one ``services.benchmarks.Benchmark``.

It lives here, beside the other view models, so that the page and the report read the same figures and sentences.
Its words (the cohort's name, positions, the privacy rule's refusal, the charts) are written in the language given
to ``build`` or ``peers_section``: the benchmark domain keeps its English words (``CohortFilter.describe``,
``Decision.message``) for the API and the files it exports, and they are translated here, where they are shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from cxmaturity.benchmarks.model import OVERALL, Aggregate, Standing
from cxmaturity.benchmarks.privacy import CohortFilter, Decision
from cxmaturity.benchmarks.reference import Reference
from cxmaturity.benchmarks.statistics import quartile_band
from cxmaturity.frameworks.model import Framework
from cxmaturity.i18n import N_, ngettext, use_locale
from cxmaturity.i18n import gettext as _
from cxmaturity.reporting.benchmark_charts import (
    Series,
    YouAreHere,
    band_text,
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
    @property
    def k(self) -> int: ...


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
    #: Why the cohort is not shown, when it is not ("" when it is).
    message: str = ""


#: The cohort's attributes as a cohort's name says them (``benchmarks.privacy.DIMENSIONS``).
DIMENSION_TEXTS = {
    "industry": N_("industry %(value)s"),
    "size_band": N_("size band %(value)s"),
    "region": N_("region %(value)s"),
}


def cohort_words(cohort: CohortFilter) -> str:
    """The cohort in words in the active locale, e.g. "industry Retail, region Europe" (``CohortFilter.describe``
    says it in English for the API and exported files)."""
    if not cohort.pairs():
        return _("all organizations")
    return ", ".join(_(DIMENSION_TEXTS[d]) % {"value": v} for d, v in cohort.pairs())


def decision_message(decision: Decision, k: int) -> str:
    """Why a cohort is not shown, in the active locale (``Decision.message`` in English); "" when it is shown."""
    if decision.reason == "too-small":
        return _("Fewer than %(k)s other organizations are in this cohort, so nothing is shown.") % {"k": k}
    if decision.reason == "difference":
        return _(
            "This cohort differs from other cohorts by fewer than %(k)s organizations, so comparing them could "
            "reveal those organizations: nothing is shown. Choose fewer filters."
        ) % {"k": k}
    return ""


def cohort_label(shown: BenchmarkSource) -> str:
    """E.g. "This installation: all organizations (12 organizations)", in the active locale; SYNTHETIC pools say
    so."""
    n = shown.decision.others
    values = {"cohort": cohort_words(shown.cohort), "num": n}
    if shown.assessment.synthetic:
        return (
            ngettext(
                "SYNTHETIC demo organizations of this installation: %(cohort)s (%(num)s organization)",
                "SYNTHETIC demo organizations of this installation: %(cohort)s (%(num)s organizations)",
                n,
            )
            % values
        )
    return (
        ngettext(
            "This installation: %(cohort)s (%(num)s organization)",
            "This installation: %(cohort)s (%(num)s organizations)",
            n,
        )
        % values
    )


def build(shown: BenchmarkSource, language: str | None = None) -> BenchmarkView:
    """Return the page's view of ``shown``: its words in ``language`` (the framework's texts too where the framework
    offers it), else in the framework's."""
    fw = shown.framework.in_language(language)
    with use_locale(language or fw.language):
        return _build(shown, fw)


def _build(shown: BenchmarkSource, fw: Framework) -> BenchmarkView:
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
            imported.append((figures, band_text(band)))
        rows.append(
            Row(
                name=name,
                score=own[0] if own else None,
                interval=intervals.get(key) if own else None,
                stage=stage_names[own[1] - 1] if own else "",
                position=band_text(position_of.get(key, "")),
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
        message=decision_message(shown.decision, shown.k),
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


def peers_section(shown: BenchmarkSource, language: str | None = None) -> PeersSection | None:
    """Return the report's peers section from the benchmark of all organizations, written in ``language`` (the
    report's; None: the framework's own); None when there is nothing to compare with (no published reference for the
    framework and no cohort shown)."""
    if not shown.references and not shown.aggregates:
        return None
    fw = shown.framework.in_language(language)
    with use_locale(language or fw.language):
        label = cohort_label(shown) if shown.aggregates else ""
        series = [Series(label, shown.aggregates)] if shown.aggregates else []
        you = you_are_here(fw, shown.result)
        return PeersSection(
            you=you,
            cohort=label,
            references=shown.references,
            charts=(stage_distribution(fw, series, shown.references, you),),
            note="" if shown.aggregates else decision_message(shown.decision, shown.k),
        )
