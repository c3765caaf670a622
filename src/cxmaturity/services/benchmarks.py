"""Peer benchmarks, as people use them: an assessment's benchmark against a cohort, contributing or not, datasets
exported and imported, published reference distributions.

What may be shown is decided by ``benchmarks.privacy`` (docs/benchmarks.md has the rules and their reasons); the
figures come from ``services.benchmark_pool``, which stores results, makes releases and aggregates in SQL. The
asking organization is never part of its own cohort. Functions that take an ``actor`` check permissions; the others
are the operator's (the command line).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from cxmaturity.benchmarks.dataset import FORMAT, Dataset, figures, parse_dataset
from cxmaturity.benchmarks.keys import framework_key
from cxmaturity.benchmarks.limits import check_min_cohort
from cxmaturity.benchmarks.model import OVERALL, Aggregate, Standing
from cxmaturity.benchmarks.model import standings as places
from cxmaturity.benchmarks.privacy import CellKey, CohortFilter, Decision, decide
from cxmaturity.benchmarks.problems import BenchmarkFileError
from cxmaturity.benchmarks.reference import Reference, builtin_references, parse_reference
from cxmaturity.frameworks import Framework, builtin_ids, load_builtin
from cxmaturity.i18n import N_
from cxmaturity.i18n.phrase import phrase
from cxmaturity.scoring.result import Result
from cxmaturity.services import access, audit
from cxmaturity.services.access import Actor
from cxmaturity.services.assessments import framework_of
from cxmaturity.services.benchmark_pool import (
    RELEASED,
    RESULT,
    Pool,
    cohort_aggregates,
    current_release,
    organization_changed,
    own_result,
    pools,
    release_cells,
    release_if_due,
    shown_cohorts,
)
from cxmaturity.services.errors import Conflict, Invalid, NotFound
from cxmaturity.services.results import results_of
from cxmaturity.storage.tables import (
    Assessment,
    AssessmentResult,
    BenchmarkDataset,
    Organization,
    ReferenceDistribution,
)

# --- the benchmark of one assessment ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReleaseInfo:
    number: int
    released_at: datetime


@dataclass(frozen=True)
class ImportedDataset:
    """An imported dataset as shown: always with its source and date."""

    id: int
    source: str
    source_date: date
    description: str
    organizations: int
    framework_version: str
    #: Whether it was exported from the same framework version and questions as the one compared with.
    same_framework: bool
    synthetic: bool
    #: "installation" (imported with the command line for everyone) or "organization".
    scope: str
    aggregates: tuple[Aggregate, ...]
    #: The dataset's own stage keys, first stage first (its figures count organizations by stage number).
    stage_keys: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"Imported: {self.source}, {self.source_date.isoformat()}"


@dataclass(frozen=True)
class Benchmark:
    """Everything a benchmark page, the API and the command line show for one assessment."""

    assessment: Assessment
    framework: Framework
    cohort: CohortFilter
    k: int
    decision: Decision
    release: ReleaseInfo | None
    #: The cohort's figures (empty unless shown), overall first.
    aggregates: tuple[Aggregate, ...]
    #: The assessment's own result and its position among the published quartiles (empty unless shown and the
    #: assessment is closed).
    standings: tuple[Standing, ...]
    #: The assessment's own stored result per competency, shown even when the cohort is not.
    own: dict[str, tuple[float, int]]
    datasets: tuple[ImportedDataset, ...]
    references: tuple[Reference, ...]
    #: Values offered for each filter: those of the cohorts that may be shown, and the organization's own.
    choices: dict[str, list[str]]
    contributes: bool
    #: The assessment's own result as scored now (intervals and stage probabilities for "you are here"); None when it
    #: has no usable answer.
    result: Result | None = None

    @property
    def message(self) -> str:
        if self.release is None:
            return f"No benchmark yet: fewer than {self.k} organizations have shared results for this framework."
        return self.decision.message(self.k)


def benchmark(db: Session, actor: Actor, assessment_id: int, cohort: CohortFilter, k: int) -> Benchmark:
    """Return the assessment's benchmark against ``cohort`` (any member of its organization may see it)."""
    assessment = access.assessment(db, actor, assessment_id, "viewer")
    return benchmark_of(db, assessment, cohort, k)


def benchmark_of(
    db: Session, assessment: Assessment, cohort: CohortFilter, k: int, *, release_changes: bool = True
) -> Benchmark:
    """Return the benchmark without a permission check (the operator's command line, and ``benchmark``).

    ``release_changes=False`` reads the current release as it is, for readers in a read-only transaction (the
    report); the next look through the page or the API releases what is waiting.
    """
    check_min_cohort(k)
    fw = framework_of(assessment)
    pool = Pool(framework_key(fw), assessment.synthetic)
    if release_changes:
        release_if_due(db, pool, k)
    release = current_release(db, pool)
    organization = db.get(Organization, assessment.organization_id)
    assert organization is not None
    own = own_result(db, assessment.id)
    decision = Decision(False, "too-small", 0)
    aggregates: list[Aggregate] = []
    standings: list[Standing] = []
    choices: dict[str, list[str]] = {d: [] for d in ("industry", "size_band", "region")}
    if release is not None:
        cells = release_cells(db, release.id)
        published = shown_cohorts(release, cells, k)
        asker = _cell_in_release(db, release.id, assessment.organization_id)
        decision = decide(cohort, cells, k, published, asker)
        for shown in published:
            for dimension, value in shown.pairs():
                if len(shown.pairs()) == 1:
                    choices[dimension].append(value)
        if decision.shown:
            aggregates = cohort_aggregates(db, release.id, cohort, assessment.organization_id)
            standings = places(own, aggregates)
    for dimension in choices:
        value = getattr(organization, dimension)
        if value and value not in choices[dimension]:
            choices[dimension].append(value)
        choices[dimension].sort(key=str.lower)
    return Benchmark(
        assessment=assessment,
        framework=fw,
        cohort=cohort,
        k=k,
        decision=decision,
        release=ReleaseInfo(release.number, release.released_at) if release is not None else None,
        aggregates=tuple(aggregates),
        standings=tuple(standings),
        own=own,
        datasets=tuple(datasets_for(db, assessment.organization_id, fw)),
        references=tuple(references_for(db, fw.id)),
        choices=choices,
        contributes=not organization.benchmark_opt_out,
        result=_own_result(db, assessment),
    )


def _own_result(db: Session, assessment: Assessment) -> Result | None:
    """The assessment's result with its uncertainty (the stored one when its answers have not changed)."""
    found = results_of(db, assessment).result
    return found if found.scorable else None


def _cell_in_release(db: Session, release_id: int, organization_id: int) -> CellKey | None:
    row = db.execute(
        select(RELEASED.industry, RELEASED.size_band, RELEASED.region).where(
            RELEASED.release_id == release_id,
            RELEASED.organization_id == organization_id,
            RELEASED.competency == OVERALL,
        )
    ).first()
    return (row[0], row[1], row[2]) if row is not None else None


# --- contributing or not ----------------------------------------------------------------------------------------


def set_opt_out(db: Session, actor: Actor, organization_id: int, opt_out: bool) -> Organization:
    """Let an owner keep the organization's results out of benchmarks, or share them (from the next release)."""
    org = access.organization(db, actor, organization_id, "owner")
    if org.benchmark_opt_out != opt_out:
        org.benchmark_opt_out = opt_out
        organization_changed(db, organization_id)
        audit.record(
            db,
            "benchmark.opt_out" if opt_out else "benchmark.opt_in",
            organization_id=organization_id,
            user_id=actor.user_id,
            target=str(organization_id),
        )
    return org


# --- datasets: export and import --------------------------------------------------------------------------------


def export_for_assessment(
    db: Session, actor: Actor, assessment_id: int, cohort: CohortFilter, k: int, source: str, today: date
) -> dict[str, Any]:
    """Return the cohort an owner sees on the assessment's benchmark page as a dataset (aggregates only)."""
    assessment = access.assessment(db, actor, assessment_id, "viewer")
    access.require_role(db, actor, assessment.organization_id, "owner")
    shown = benchmark_of(db, assessment, cohort, k)
    if not shown.decision.shown or shown.release is None:
        raise Conflict(shown.message or "this cohort cannot be shown, so it cannot be exported")
    others = shown.decision.others
    data = _dataset(shown.framework, cohort, shown.aggregates, others, k, source, today, assessment.synthetic)
    audit.record(
        db,
        "benchmark.export",
        organization_id=assessment.organization_id,
        user_id=actor.user_id,
        target=str(assessment.id),
        cohort=cohort.as_dict(),
    )
    return data


def export_pool(
    db: Session,
    framework_id: str,
    version: str | None,
    cohort: CohortFilter,
    k: int,
    source: str,
    today: date,
    synthetic: bool = False,
) -> dict[str, Any]:
    """Return a cohort of the installation's latest release of a framework as a dataset (the operator's export)."""
    check_min_cohort(k)
    candidates = [p for p in pools(db, framework_id) if p.synthetic == synthetic]
    if version:
        candidates = [p for p in candidates if p.key.partition("@")[2].partition("#")[0] == version]
    if not candidates:
        kind = "SYNTHETIC " if synthetic else ""
        raise NotFound(
            phrase(
                N_("no %(kind)sresults of framework %(framework_id)s%(value)s are stored"),
                kind=kind,
                framework_id=framework_id,
                value=" " + version if version else "",
            )
        )
    if len(candidates) > 1:
        raise Invalid(
            phrase(
                N_("framework %(framework_id)s has results of several versions or variants: %(keys)s"),
                framework_id=framework_id,
                keys=", ".join(p.key for p in candidates),
            ),
            field="version",
        )
    pool = candidates[0]
    release_if_due(db, pool, k)
    release = current_release(db, pool)
    if release is None:
        raise Conflict(
            phrase(
                N_("nothing is released for %(key)s yet: fewer than %(k)s organizations share results"),
                key=pool.key,
                k=k,
            )
        )
    cells = release_cells(db, release.id)
    decision = decide(cohort, cells, k, shown_cohorts(release, cells, k), None)
    if not decision.shown:
        raise Conflict(decision.message(k))
    fw = _framework_for_pool(db, pool)
    aggregates = cohort_aggregates(db, release.id, cohort, None)
    return _dataset(fw, cohort, tuple(aggregates), decision.others, k, source, today, synthetic)


def _framework_for_pool(db: Session, pool: Pool) -> Framework:
    assessment = db.scalar(
        select(Assessment)
        .join(AssessmentResult, RESULT.assessment_id == Assessment.id)
        .where(RESULT.framework_key == pool.key)
        .limit(1)
    )
    if assessment is not None:
        return framework_of(assessment)
    fw_id = pool.key.partition("@")[0]
    if fw_id in builtin_ids() and framework_key(load_builtin(fw_id)) == pool.key:
        return load_builtin(fw_id)
    raise NotFound(phrase(N_("the framework of %(key)s is no longer stored"), key=pool.key))


def _dataset(
    fw: Framework,
    cohort: CohortFilter,
    aggregates: tuple[Aggregate, ...] | list[Aggregate],
    organizations: int,
    k: int,
    source: str,
    today: date,
    synthetic: bool,
) -> dict[str, Any]:
    by_key = {a.competency: a for a in aggregates}
    stage_keys = list(fw.stage_keys)
    data = {
        "format": FORMAT,
        "source": source[:200],
        "date": today.isoformat(),
        "synthetic": synthetic,
        "framework": {"id": fw.id, "version": fw.version, "key": framework_key(fw), "stages": stage_keys},
        "cohort": {**cohort.as_dict(), "description": cohort.describe()},
        "organizations": organizations,
        "min_cohort": k,
        "overall": figures(by_key[OVERALL], stage_keys),
        "competencies": [
            {"key": c.key, **figures(by_key[c.key], stage_keys)} for c in fw.competencies if c.key in by_key
        ],
    }
    Dataset.model_validate(data)  # what leaves the installation is exactly what an import accepts
    return data


def dataset_json(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def import_dataset(
    db: Session, actor: Actor | None, organization_id: int | None, filename: str, text: str
) -> BenchmarkDataset:
    """Validate and store a dataset: for an organization (its owner imports it), or, without an actor, for the
    whole installation (the operator's command line). All or nothing; problems name the file and the field."""
    if actor is not None:
        if organization_id is None:
            raise Invalid(N_("choose the organization to import the dataset for"), field="organization")
        access.require_role(db, actor, organization_id, "owner")
    elif organization_id is not None and db.get(Organization, organization_id) is None:
        raise NotFound(
            phrase(N_("no organization %(organization_id)s"), organization_id=organization_id), field="organization"
        )
    name = (filename or "dataset.json").rsplit("/", 1)[-1]
    try:
        parsed = parse_dataset(text, name)
    except BenchmarkFileError as exc:
        raise Invalid(
            phrase(N_("%(name)s is not a benchmark dataset; nothing was imported"), name=name),
            field="file",
            details=exc.problems,
        ) from None
    same = db.scalar(
        select(BenchmarkDataset.id).where(
            BenchmarkDataset.organization_id.is_(None)
            if organization_id is None
            else BenchmarkDataset.organization_id == organization_id,
            BenchmarkDataset.source == parsed.source,
            BenchmarkDataset.source_date == parsed.date,
            BenchmarkDataset.framework_key == parsed.framework.key,
            BenchmarkDataset.description == parsed.cohort.description,
        )
    )
    if same is not None:
        raise Conflict(
            phrase(
                N_("this dataset (%(source)s, %(date)s, %(description)s) is already imported"),
                source=parsed.source,
                date=parsed.date.isoformat(),
                description=parsed.cohort.description,
            ),
            field="file",
        )
    row = BenchmarkDataset(
        organization_id=organization_id,
        source=parsed.source,
        source_date=parsed.date,
        framework_id=parsed.framework.id,
        framework_version=parsed.framework.version,
        framework_key=parsed.framework.key,
        cohort=parsed.cohort.filter().as_dict(),
        description=parsed.cohort.description,
        organizations=parsed.organizations,
        data=parsed.model_dump(mode="json"),
        imported_by=actor.user_id if actor is not None else None,
    )
    db.add(row)
    db.flush()
    if organization_id is not None:
        audit.record(
            db,
            "benchmark.import",
            organization_id=organization_id,
            user_id=actor.user_id if actor is not None else None,
            target=str(row.id),
            source=parsed.source,
            date=parsed.date.isoformat(),
        )
    return row


def _imported(row: BenchmarkDataset, fw: Framework | None) -> ImportedDataset:
    parsed = Dataset.model_validate(row.data)
    return ImportedDataset(
        id=row.id,
        source=row.source,
        source_date=row.source_date,
        description=row.description,
        organizations=row.organizations,
        framework_version=row.framework_version,
        same_framework=fw is not None and row.framework_key == framework_key(fw),
        synthetic=parsed.synthetic,
        scope="installation" if row.organization_id is None else "organization",
        aggregates=tuple(parsed.aggregates()),
        stage_keys=tuple(parsed.framework.stages),
    )


def datasets_for(db: Session, organization_id: int, fw: Framework | None = None) -> list[ImportedDataset]:
    """Return the datasets an organization sees (its own imports and the installation's), of one framework id."""
    query = select(BenchmarkDataset).where(
        or_(BenchmarkDataset.organization_id == organization_id, BenchmarkDataset.organization_id.is_(None))
    )
    if fw is not None:
        query = query.where(BenchmarkDataset.framework_id == fw.id)
    rows = db.scalars(query.order_by(BenchmarkDataset.source_date.desc(), BenchmarkDataset.id.desc()))
    return [_imported(row, fw) for row in rows]


def delete_dataset(db: Session, actor: Actor, organization_id: int, dataset_id: int) -> None:
    """Remove a dataset the organization imported (the installation's are the operator's to remove)."""
    access.require_role(db, actor, organization_id, "owner")
    row = db.get(BenchmarkDataset, dataset_id)
    if row is None or row.organization_id != organization_id:
        raise NotFound(N_("no such dataset"))
    db.delete(row)
    audit.record(
        db,
        "benchmark.dataset_delete",
        organization_id=organization_id,
        user_id=actor.user_id,
        target=str(dataset_id),
        source=row.source,
    )


# --- settings page of an organization ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OrganizationBenchmarks:
    organization: Organization
    role: str
    contributes: bool
    datasets: list[ImportedDataset]
    #: Closed assessments, newest first: each links to its benchmark.
    closed: list[Assessment] = field(default_factory=list)


def organization_benchmarks(db: Session, actor: Actor, organization_id: int) -> OrganizationBenchmarks:
    org = access.organization(db, actor, organization_id, "viewer")
    role = access.require_role(db, actor, organization_id, "viewer")
    closed = list(
        db.scalars(
            select(Assessment)
            .where(Assessment.organization_id == organization_id, Assessment.status == "closed")
            .order_by(Assessment.closed_at.desc(), Assessment.id.desc())
        )
    )
    return OrganizationBenchmarks(org, role, not org.benchmark_opt_out, datasets_for(db, organization_id), closed)


# --- reference distributions ------------------------------------------------------------------------------------


def references_for(db: Session, framework_id: str) -> list[Reference]:
    """Return the published distributions for a framework: the built-in ones, then the installation's."""
    found = [r for r in builtin_references() if r.framework == framework_id]
    rows = db.scalars(
        select(ReferenceDistribution)
        .where(ReferenceDistribution.framework_id == framework_id)
        .order_by(ReferenceDistribution.title)
    )
    found += [Reference.model_validate(row.data) for row in rows]
    return found


def add_reference(db: Session, filename: str, text: str) -> ReferenceDistribution:
    """Attach a published distribution to a framework (the operator's command line); problems name the field."""
    name = (filename or "reference.yaml").rsplit("/", 1)[-1]
    try:
        reference = parse_reference(text, name)
    except BenchmarkFileError as exc:
        raise Invalid(
            phrase(N_("%(name)s is not a reference distribution"), name=name), field="file", details=exc.problems
        ) from None
    if reference.framework in builtin_ids():
        problems = reference.check_stages(list(load_builtin(reference.framework).stage_keys))
        if problems:
            details = [f"{name}: {problem}" for problem in problems]
            raise Invalid(
                phrase(N_("%(name)s does not fit %(framework)s"), name=name, framework=reference.framework),
                field="file",
                details=details,
            )
    clash = db.scalar(
        select(ReferenceDistribution.id).where(
            ReferenceDistribution.framework_id == reference.framework, ReferenceDistribution.title == reference.title
        )
    )
    if clash is not None or any(
        r.framework == reference.framework and r.title == reference.title for r in builtin_references()
    ):
        raise Conflict(
            phrase(
                N_("%(framework)s already has a reference titled %(title)s"),
                framework=reference.framework,
                title=repr(reference.title),
            ),
            field="file",
        )
    row = ReferenceDistribution(
        framework_id=reference.framework,
        title=reference.title,
        citation=reference.citation,
        data=reference.model_dump(mode="json", exclude_none=True),
    )
    db.add(row)
    db.flush()
    return row
