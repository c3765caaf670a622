"""Request and response bodies of the benchmark endpoints (docs/api.md, "Peer benchmarks").

Built from the service's view only: figures of cohorts that may be shown, the asking organization's own result,
and imported datasets and published references with their labels. Never another organization's name or result.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from cxmaturity.benchmarks.dataset import DIGITS
from cxmaturity.benchmarks.model import OVERALL, Aggregate, Standing
from cxmaturity.benchmarks.reference import Reference
from cxmaturity.reporting.benchmark_charts import intervals_of, you_are_here
from cxmaturity.services.benchmarks import Benchmark, ImportedDataset, OrganizationBenchmarks


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


Utc = Annotated[datetime, AfterValidator(_utc)]


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class ContributionUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    opt_out: bool = Field(description="true: keep the organization's results out of the installation's benchmarks.")


class FiguresPublic(_Out):
    n: int = Field(description="Organizations in the cohort (without the asking one).")
    q1: float
    median: float
    q3: float
    stages: dict[str, int] = Field(description="Organizations per stage key (stages nobody is at are left out).")

    @classmethod
    def of(cls, aggregate: Aggregate | None, keys: Sequence[str]) -> FiguresPublic | None:
        if aggregate is None:
            return None
        return cls(
            n=aggregate.n,
            q1=round(aggregate.q1, DIGITS),
            median=round(aggregate.median, DIGITS),
            q3=round(aggregate.q3, DIGITS),
            stages={keys[s - 1]: count for s, count in aggregate.stages.items() if 0 < s <= len(keys)},
        )


class OwnPublic(_Out):
    score: float
    stage: str
    stage_number: int
    position: str | None = Field(
        description="Where the score falls among the cohort's published quartiles: lowest quarter, second quarter, "
        "third quarter or top quarter; null when not shown. Never an exact percentile (docs/benchmarks.md)."
    )


class CompetencyBenchmarkPublic(_Out):
    key: str = Field(description='A competency key, or "overall".')
    own: OwnPublic | None
    interval: tuple[float, float] | None = Field(
        default=None, description="The interval of your score (your own uncertainty), when it has one."
    )
    cohort: FiguresPublic | None


class YouAreHerePublic(_Out):
    """Your overall stage as the stage distributions mark it ("you are here"), with its uncertainty."""

    stage: str
    stage_number: int
    score: float
    interval: tuple[float, float] | None
    confidence: float
    stage_probabilities: dict[str, float] = Field(description="How likely each stage key is your overall stage.")
    sentence: str

    @classmethod
    def of(cls, shown: Benchmark) -> YouAreHerePublic | None:
        you = you_are_here(shown.framework, shown.result)
        if you is None:
            return None
        keys = shown.framework.stage_keys
        return cls(
            stage=keys[you.stage_number - 1],
            stage_number=you.stage_number,
            score=you.score,
            interval=you.interval,
            confidence=you.confidence,
            stage_probabilities={keys[n - 1]: p for n, p in you.probabilities.items()},
            sentence=you.sentence,
        )


class ReleasePublic(_Out):
    number: int
    released_at: Utc


class DatasetPublic(_Out):
    id: int
    label: str = Field(description='"Imported: SOURCE, DATE": show it wherever the figures are shown.')
    source: str
    date: date
    description: str
    organizations: int
    framework_version: str
    same_framework: bool = Field(description="Exported from the same framework version and questions.")
    synthetic: bool
    scope: Literal["organization", "installation"]
    competencies: list[CompetencyBenchmarkPublic]

    @classmethod
    def of(cls, dataset: ImportedDataset) -> DatasetPublic:
        figures = [
            CompetencyBenchmarkPublic(
                key=a.competency or "overall", own=None, cohort=FiguresPublic.of(a, dataset.stage_keys)
            )
            for a in dataset.aggregates
        ]
        return cls(
            id=dataset.id,
            label=dataset.label,
            source=dataset.source,
            date=dataset.source_date,
            description=dataset.description,
            organizations=dataset.organizations,
            framework_version=dataset.framework_version,
            same_framework=dataset.same_framework,
            synthetic=dataset.synthetic,
            scope="installation" if dataset.scope == "installation" else "organization",
            competencies=figures,
        )


class ReferencePublic(_Out):
    label: str = Field(description='"Published: TITLE".')
    title: str
    citation: str
    year: int
    sample: str
    url: str | None
    notes: str
    shares: dict[str, float] = Field(description="Share of organizations per stage key.")

    @classmethod
    def of(cls, reference: Reference) -> ReferencePublic:
        return cls(
            label=f"Published: {reference.title}",
            title=reference.title,
            citation=reference.citation,
            year=reference.year,
            sample=reference.sample,
            url=str(reference.url) if reference.url else None,
            notes=reference.notes,
            shares=dict(reference.shares),
        )


class CohortPublic(_Out):
    industry: str | None
    size_band: str | None
    region: str | None
    description: str


class BenchmarkPublic(_Out):
    assessment_id: int
    framework_id: str
    framework_version: str
    synthetic: bool
    cohort: CohortPublic
    min_cohort: int = Field(description="k: the fewest other organizations a shown cohort has.")
    shown: bool
    reason: Literal["too-small", "difference"] | None
    message: str
    release: ReleasePublic | None
    organizations: int = Field(description="Organizations in the cohort besides yours (0 when not shown).")
    contributes: bool = Field(description="Whether your organization shares its results.")
    competencies: list[CompetencyBenchmarkPublic] = Field(description='"overall" first, then each competency.')
    datasets: list[DatasetPublic]
    references: list[ReferencePublic]
    you_are_here: YouAreHerePublic | None = Field(
        default=None, description="Your overall stage with its uncertainty; null while the assessment has no result."
    )

    @classmethod
    def of(cls, shown: Benchmark) -> BenchmarkPublic:
        fw = shown.framework
        intervals = intervals_of(shown.result)
        cohort = {a.competency: a for a in shown.aggregates}
        standing: dict[str, Standing] = {s.competency: s for s in shown.standings}
        rows = []
        for key in [OVERALL, *(c.key for c in fw.competencies)]:
            own = shown.own.get(key)
            rows.append(
                CompetencyBenchmarkPublic(
                    key=key or "overall",
                    own=OwnPublic(
                        score=own[0],
                        stage=fw.stage_keys[own[1] - 1],
                        stage_number=own[1],
                        position=standing[key].position if key in standing else None,
                    )
                    if own
                    else None,
                    interval=intervals.get(key) if own else None,
                    cohort=FiguresPublic.of(cohort.get(key), fw.stage_keys),
                )
            )
        reason: Any = shown.decision.reason or None
        return cls(
            assessment_id=shown.assessment.id,
            framework_id=fw.id,
            framework_version=fw.version,
            synthetic=shown.assessment.synthetic,
            cohort=CohortPublic(**shown.cohort.as_dict(), description=shown.cohort.describe()),
            min_cohort=shown.k,
            shown=shown.decision.shown,
            reason=reason,
            message=shown.message,
            release=ReleasePublic(number=shown.release.number, released_at=shown.release.released_at)
            if shown.release
            else None,
            organizations=shown.decision.others,
            contributes=shown.contributes,
            competencies=rows,
            datasets=[DatasetPublic.of(d) for d in shown.datasets],
            references=[ReferencePublic.of(r) for r in shown.references],
            you_are_here=YouAreHerePublic.of(shown),
        )


class BenchmarkSettingsPublic(_Out):
    organization_id: int
    opt_out: bool
    datasets: list[DatasetPublic]

    @classmethod
    def of(cls, found: OrganizationBenchmarks) -> BenchmarkSettingsPublic:
        return cls(
            organization_id=found.organization.id,
            opt_out=not found.contributes,
            datasets=[DatasetPublic.of(d) for d in found.datasets],
        )
