"""Peer benchmarks: stored results, released pools, cohorts aggregated in SQL, opt-out, datasets and references.

How it fits together (docs/benchmarks.md has the rules and their reasons):

- When an assessment closes, its result (overall and per competency: stage number and score) is stored in
  ``assessment_result``; reopening removes it. ``refresh`` stores them again for every closed assessment.
- A pool is every stored result of one framework (same id, version and questions), real and SYNTHETIC apart. What
  benchmarks read is the pool's latest *release*: the newest closed assessment of each organization that has not
  opted out, as it was when released. A release is made when someone looks (or on refresh) and holds only changes
  that the privacy rules let through (``benchmarks.privacy.releasable``).
- A cohort is the release's rows filtered by whole attribute values; whether it may be shown is decided by
  ``benchmarks.privacy.decide`` on counts per cell, and its figures are computed by the database: quartiles with
  percentile_cont on PostgreSQL and with row_number over ordered scores on SQLite, stage counts and the asking
  organization's percentile with GROUP BY. The asking organization is never part of its own cohort.

Functions whose first argument after ``db`` is an ``actor`` check permissions; the others are the operator's (the
command line) or are called by services that checked already.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Integer, Select, and_, case, cast, delete, except_, func, insert, literal, or_, select, union
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from cxmaturity.benchmarks.dataset import FORMAT, Dataset, figures, parse_dataset
from cxmaturity.benchmarks.keys import framework_key
from cxmaturity.benchmarks.limits import check_min_cohort
from cxmaturity.benchmarks.model import OVERALL, Aggregate, Standing
from cxmaturity.benchmarks.privacy import CellKey, Change, CohortFilter, Decision, decide, published_cohorts, releasable
from cxmaturity.benchmarks.problems import BenchmarkFileError
from cxmaturity.benchmarks.reference import Reference, builtin_references, parse_reference
from cxmaturity.benchmarks.statistics import QUARTILES, interpolate, percentile_rank, quantile_positions
from cxmaturity.frameworks import Framework, builtin_ids, load_builtin
from cxmaturity.scoring import ScoringOptions, score
from cxmaturity.services import access, audit
from cxmaturity.services.access import Actor
from cxmaturity.services.assessments import framework_of
from cxmaturity.services.errors import Conflict, Invalid, NotFound
from cxmaturity.services.results import load_responses
from cxmaturity.storage.tables import (
    Assessment,
    AssessmentResult,
    BenchmarkDataset,
    BenchmarkRelease,
    BenchmarkReleaseResult,
    Organization,
    ReferenceDistribution,
)

RESULT = AssessmentResult.__table__.c
RELEASED = BenchmarkReleaseResult.__table__.c
ORG = Organization.__table__.c


# --- stored per-assessment results ------------------------------------------------------------------------------


def store_result(db: Session, assessment: Assessment) -> int:
    """Score the closed assessment's answers and store its result (replacing an earlier one); return the rows
    stored, 0 when nobody answered. No permission check: closing and ``refresh`` call it."""
    forget_result(db, assessment.id)
    fw = framework_of(assessment)
    matrix, _ = load_responses(db, assessment, fw)
    if matrix.size == 0:
        return 0
    result = score(
        matrix,
        ScoringOptions(min_group_size=assessment.min_group_size, bootstrap=0, targets=dict(assessment.targets or {})),
    )
    common = {
        "assessment_id": assessment.id,
        "organization_id": assessment.organization_id,
        "framework_id": fw.id,
        "framework_version": fw.version,
        "framework_key": framework_key(fw),
        "synthetic": assessment.synthetic,
        "closed_at": assessment.closed_at or datetime.now(UTC),
        "respondents": result.respondents,
        "computed_at": datetime.now(UTC),
    }
    rows = [
        {**common, "competency": OVERALL, "stage_number": result.overall.stage_number, "score": result.overall.score}
    ]
    rows += [
        {**common, "competency": c.key, "stage_number": c.stage_number, "score": c.score} for c in result.competencies
    ]
    db.execute(insert(AssessmentResult), rows)
    return len(rows)


def forget_result(db: Session, assessment_id: int) -> None:
    db.execute(delete(AssessmentResult).where(RESULT.assessment_id == assessment_id))


def on_status_change(db: Session, assessment: Assessment) -> None:
    """Store the result of an assessment that closed; drop it when the assessment is reopened."""
    db.flush()
    if assessment.status == "closed":
        store_result(db, assessment)
    else:
        forget_result(db, assessment.id)


@dataclass(frozen=True)
class Refreshed:
    stored: int
    releases: list[tuple[str, int]]


def refresh(db: Session, k: int, framework_id: str | None = None) -> Refreshed:
    """Store the results of every closed assessment again (of one framework, or all), then release what may be
    released. For the operator (``cxm benchmark refresh``): after an upgrade that changes scoring, for instance."""
    check_min_cohort(k)
    query = select(Assessment).where(Assessment.status == "closed").order_by(Assessment.id)
    if framework_id:
        query = query.where(Assessment.framework_id == framework_id)
    stored = 0
    for assessment in db.scalars(query):
        stored += 1 if store_result(db, assessment) else 0
    db.flush()
    releases = []
    for pool in pools(db, framework_id):
        made = release_if_due(db, pool, k)
        if made is not None:
            releases.append((pool.key, made.number))
    return Refreshed(stored, releases)


# --- pools and releases -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pool:
    """The results that may be compared: one framework (id, version and questions), real or SYNTHETIC."""

    key: str
    synthetic: bool


def pools(db: Session, framework_id: str | None = None) -> list[Pool]:
    """Return the pools that have stored results or releases (of one framework id, or all)."""
    found = select(RESULT.framework_key, RESULT.synthetic).distinct()
    released = select(BenchmarkRelease.framework_key, BenchmarkRelease.synthetic).distinct()
    if framework_id:
        found = found.where(RESULT.framework_id == framework_id)
        released = released.where(BenchmarkRelease.framework_id == framework_id)
    rows = db.execute(union(found, released)).all()
    return sorted({Pool(key, bool(synthetic)) for key, synthetic in rows}, key=lambda p: (p.key, p.synthetic))


def current_release(db: Session, pool: Pool) -> BenchmarkRelease | None:
    return db.scalar(
        select(BenchmarkRelease)
        .where(BenchmarkRelease.framework_key == pool.key, BenchmarkRelease.synthetic == pool.synthetic)
        .order_by(BenchmarkRelease.number.desc())
        .limit(1)
    )


def _wanted(pool: Pool) -> Select[Any]:
    """Rows a release would hold now: the newest stored result of every organization that contributes."""
    newest = func.rank().over(
        partition_by=RESULT.organization_id, order_by=(RESULT.closed_at.desc(), RESULT.assessment_id.desc())
    )
    ranked = (
        select(
            RESULT.organization_id,
            ORG.industry,
            ORG.size_band,
            ORG.region,
            RESULT.competency,
            RESULT.stage_number,
            RESULT.score,
            RESULT.framework_id,
            RESULT.framework_version,
            newest.label("newest"),
        )
        .join(Organization, ORG.id == RESULT.organization_id)
        .where(
            RESULT.framework_key == pool.key,
            RESULT.synthetic == pool.synthetic,
            ORG.benchmark_opt_out.is_(False),
        )
        .subquery("ranked")
    )
    return select(
        ranked.c.organization_id,
        ranked.c.industry,
        ranked.c.size_band,
        ranked.c.region,
        ranked.c.competency,
        ranked.c.stage_number,
        ranked.c.score,
    ).where(ranked.c.newest == 1)


def _released(release_id: int | None) -> Select[Any]:
    return select(
        RELEASED.organization_id,
        RELEASED.industry,
        RELEASED.size_band,
        RELEASED.region,
        RELEASED.competency,
        RELEASED.stage_number,
        RELEASED.score,
    ).where(RELEASED.release_id == (release_id if release_id is not None else -1))


def _cells_of(db: Session, rows: Select[Any], organizations: set[int]) -> dict[int, CellKey]:
    """Return the (industry, size band, region) of each of ``organizations`` among ``rows``."""
    sub = rows.subquery()
    found = db.execute(
        select(sub.c.organization_id, sub.c.industry, sub.c.size_band, sub.c.region).where(
            sub.c.competency == OVERALL, sub.c.organization_id.in_(sorted(organizations))
        )
    ).all()
    return {int(o): (i, s, r) for o, i, s, r in found}


def release_if_due(db: Session, pool: Pool, k: int) -> BenchmarkRelease | None:
    """Release the pool's changes that the privacy rules let through together; return the new release, or None."""
    check_min_cohort(k)
    db.flush()
    current = current_release(db, pool)
    current_id = current.id if current is not None else None
    wanted, released = _wanted(pool), _released(current_id)
    differing = union(
        select(except_(wanted, released).subquery().c.organization_id),
        select(except_(released, wanted).subquery().c.organization_id),
    ).subquery()
    changed = {int(o) for (o,) in db.execute(select(differing.c.organization_id))}
    if not changed:
        return None
    before = _cells_of(db, released, changed)
    after = _cells_of(db, wanted, changed)
    previous: dict[CellKey, int] = defaultdict(int)
    for i, s, r, n in db.execute(
        select(RELEASED.industry, RELEASED.size_band, RELEASED.region, func.count())
        .where(RELEASED.release_id == (current_id or -1), RELEASED.competency == OVERALL)
        .group_by(RELEASED.industry, RELEASED.size_band, RELEASED.region)
    ):
        previous[(i, s, r)] += int(n)
    changes = [Change(o, before.get(o), after.get(o)) for o in sorted(changed)]
    ready = releasable(previous, changes, k)
    if not ready:
        return None
    return _make_release(db, pool, current, wanted, ready)


def _make_release(
    db: Session,
    pool: Pool,
    current: BenchmarkRelease | None,
    wanted: Select[Any],
    ready: frozenset[int],
) -> BenchmarkRelease | None:
    fw_id, _, rest = pool.key.partition("@")
    version = rest.partition("#")[0]
    try:
        with db.begin_nested():
            release = BenchmarkRelease(
                framework_key=pool.key,
                framework_id=fw_id,
                framework_version=version,
                synthetic=pool.synthetic,
                number=(current.number + 1) if current is not None else 1,
                organizations=0,
            )
            db.add(release)
            db.flush()
            columns = ["organization_id", "industry", "size_band", "region", "competency", "stage_number", "score"]
            target = [BenchmarkReleaseResult.__table__.c[name] for name in ["release_id", *columns]]
            if current is not None:
                # Unchanged organizations, and those whose changes wait, keep their released rows.
                keep_sub = _released(current.id).where(RELEASED.organization_id.not_in(sorted(ready))).subquery()
                db.execute(
                    insert(BenchmarkReleaseResult).from_select(
                        target, select(literal(release.id), *(keep_sub.c[name] for name in columns))
                    )
                )
            new_sub = wanted.subquery()
            db.execute(
                insert(BenchmarkReleaseResult).from_select(
                    target,
                    select(literal(release.id), *(new_sub.c[name] for name in columns)).where(
                        new_sub.c.organization_id.in_(sorted(ready))
                    ),
                )
            )
            count = select(func.count()).where(RELEASED.release_id == release.id, RELEASED.competency == OVERALL)
            release.organizations = int(db.scalar(count) or 0)
            db.flush()
    except IntegrityError:
        return None  # another request released the same changes a moment ago
    return release


# --- cohorts: what may be shown, computed in SQL ----------------------------------------------------------------


def release_cells(db: Session, release_id: int) -> dict[CellKey, int]:
    """Return the released organizations counted by (industry, size band, region)."""
    rows = db.execute(
        select(RELEASED.industry, RELEASED.size_band, RELEASED.region, func.count())
        .where(RELEASED.release_id == release_id, RELEASED.competency == OVERALL)
        .group_by(RELEASED.industry, RELEASED.size_band, RELEASED.region)
    )
    return {(i, s, r): int(n) for i, s, r, n in rows}


def _cohort_where(release_id: int, cohort: CohortFilter, exclude: int | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [RELEASED.release_id == release_id]
    for dimension, value in cohort.pairs():
        conditions.append(RELEASED[dimension] == value)
    if exclude is not None:
        conditions.append(RELEASED.organization_id != exclude)
    return conditions


def cohort_aggregates(db: Session, release_id: int, cohort: CohortFilter, exclude: int | None) -> list[Aggregate]:
    """Return the cohort's n, quartiles and stage counts per competency (overall first), all computed in SQL.

    No privacy check here: callers decide first (``benchmark_of``, ``export``)."""
    where = _cohort_where(release_id, cohort, exclude)
    stages: dict[str, dict[int, int]] = defaultdict(dict)
    for competency, stage, n in db.execute(
        select(RELEASED.competency, RELEASED.stage_number, func.count())
        .where(*where)
        .group_by(RELEASED.competency, RELEASED.stage_number)
    ):
        stages[competency][int(stage)] = int(n)
    if db.get_bind().dialect.name == "postgresql":
        quartiles = _quartiles_postgresql(db, where)
    else:
        quartiles = _quartiles_by_rank(db, where)
    found = [
        Aggregate(c, sum(stages[c].values()), *quartiles[c], dict(sorted(stages[c].items())))
        for c in stages
        if c in quartiles
    ]
    return sorted(found, key=lambda a: (a.competency != OVERALL, a.competency))


def _quartiles_postgresql(db: Session, where: list[ColumnElement[bool]]) -> dict[str, tuple[float, float, float]]:
    from sqlalchemy.dialects.postgresql import array

    cont = func.percentile_cont(array([literal(p) for p in QUARTILES])).within_group(RELEASED.score)
    rows = db.execute(select(RELEASED.competency, cont).where(*where).group_by(RELEASED.competency))
    return {c: (float(q[0]), float(q[1]), float(q[2])) for c, q in rows}


def _quartiles_by_rank(db: Session, where: list[ColumnElement[bool]]) -> dict[str, tuple[float, float, float]]:
    """Quartiles without percentile_cont (SQLite): the database numbers the ordered scores and returns only the
    order statistics around each quartile; they are interpolated as percentile_cont does."""
    ranked = select(
        RELEASED.competency,
        RELEASED.score,
        (func.row_number().over(partition_by=RELEASED.competency, order_by=RELEASED.score) - 1).label("rank"),
        func.count().over(partition_by=RELEASED.competency).label("n"),
    ).where(*where)
    sub = ranked.subquery()
    # CAST(p * (n - 1) AS INTEGER) is the floor of a non-negative position, as in quantile_positions.
    near = or_(
        *(sub.c.rank.in_([cast(p * (sub.c.n - 1), Integer), cast(p * (sub.c.n - 1), Integer) + 1]) for p in QUARTILES)
    )
    order: dict[str, dict[int, float]] = defaultdict(dict)
    sizes: dict[str, int] = {}
    for competency, value, rank, n in db.execute(
        select(sub.c.competency, sub.c.score, sub.c.rank, sub.c.n).where(near)
    ):
        order[competency][int(rank)] = float(value)
        sizes[competency] = int(n)
    found = {}
    for competency, values in order.items():
        qs = []
        for p in QUARTILES:
            lower, upper, fraction = quantile_positions(p, sizes[competency])
            qs.append(interpolate(values[lower], values[upper], fraction))
        found[competency] = (qs[0], qs[1], qs[2])
    return found


def cohort_standings(
    db: Session, release_id: int, cohort: CohortFilter, exclude: int | None, assessment_id: int
) -> list[Standing]:
    """Return the assessment's stored result per competency and its percentile in the cohort (counted in SQL)."""
    mine = AssessmentResult.__table__.alias("mine")
    where = _cohort_where(release_id, cohort, exclude)
    rows = db.execute(
        select(
            mine.c.competency,
            mine.c.score,
            mine.c.stage_number,
            func.count(RELEASED.id),
            func.coalesce(func.sum(case((RELEASED.score < mine.c.score, 1), else_=0)), 0),
            func.coalesce(func.sum(case((RELEASED.score == mine.c.score, 1), else_=0)), 0),
        )
        .select_from(mine)
        .join(BenchmarkReleaseResult, and_(RELEASED.competency == mine.c.competency, *where))
        .where(mine.c.assessment_id == assessment_id)
        .group_by(mine.c.competency, mine.c.score, mine.c.stage_number)
    )
    found = [
        Standing(c, float(s), int(st), percentile_rank(int(below), int(equal), int(n)))
        for c, s, st, n, below, equal in rows
        if n
    ]
    return sorted(found, key=lambda s: (s.competency != OVERALL, s.competency))


def own_result(db: Session, assessment_id: int) -> dict[str, tuple[float, int]]:
    """Return the assessment's stored score and stage number per competency ("" overall)."""
    rows = db.execute(
        select(RESULT.competency, RESULT.score, RESULT.stage_number).where(RESULT.assessment_id == assessment_id)
    )
    return {c: (float(s), int(n)) for c, s, n in rows}


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
    #: The assessment's own result and percentiles (empty unless shown and the assessment is closed).
    standings: tuple[Standing, ...]
    #: The assessment's own stored result per competency, shown even when the cohort is not.
    own: dict[str, tuple[float, int]]
    datasets: tuple[ImportedDataset, ...]
    references: tuple[Reference, ...]
    #: Values offered for each filter: those of the cohorts that may be shown, and the organization's own.
    choices: dict[str, list[str]]
    contributes: bool

    @property
    def message(self) -> str:
        if self.release is None:
            return f"No benchmark yet: fewer than {self.k} organizations have shared results for this framework."
        return self.decision.message(self.k)


def benchmark(db: Session, actor: Actor, assessment_id: int, cohort: CohortFilter, k: int) -> Benchmark:
    """Return the assessment's benchmark against ``cohort`` (any member of its organization may see it)."""
    assessment = access.assessment(db, actor, assessment_id, "viewer")
    return benchmark_of(db, assessment, cohort, k)


def benchmark_of(db: Session, assessment: Assessment, cohort: CohortFilter, k: int) -> Benchmark:
    """Return the benchmark without a permission check (the operator's command line, and ``benchmark``)."""
    check_min_cohort(k)
    fw = framework_of(assessment)
    pool = Pool(framework_key(fw), assessment.synthetic)
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
        published = published_cohorts(cells, k)
        asker = _cell_in_release(db, release.id, assessment.organization_id)
        decision = decide(cohort, cells, k, published, asker)
        for shown in published:
            for dimension, value in shown.pairs():
                if len(shown.pairs()) == 1:
                    choices[dimension].append(value)
        if decision.shown:
            aggregates = cohort_aggregates(db, release.id, cohort, assessment.organization_id)
            if own:
                standings = cohort_standings(db, release.id, cohort, assessment.organization_id, assessment.id)
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
    )


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
        raise NotFound(f"no {kind}results of framework {framework_id}{' ' + version if version else ''} are stored")
    if len(candidates) > 1:
        raise Invalid(
            f"framework {framework_id} has results of several versions or variants: "
            + ", ".join(p.key for p in candidates),
            field="version",
        )
    pool = candidates[0]
    release_if_due(db, pool, k)
    release = current_release(db, pool)
    if release is None:
        raise Conflict(f"nothing is released for {pool.key} yet: fewer than {k} organizations share results")
    cells = release_cells(db, release.id)
    decision = decide(cohort, cells, k, published_cohorts(cells, k), None)
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
    raise NotFound(f"the framework of {pool.key} is no longer stored")


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
    # What leaves the installation is exactly what an import accepts.
    return Dataset.model_validate(data).model_dump(mode="json")


def dataset_json(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def import_dataset(
    db: Session, actor: Actor | None, organization_id: int | None, filename: str, text: str
) -> BenchmarkDataset:
    """Validate and store a dataset: for an organization (its owner imports it), or, without an actor, for the
    whole installation (the operator's command line). All or nothing; problems name the file and the field."""
    if actor is not None:
        if organization_id is None:
            raise Invalid("choose the organization to import the dataset for", field="organization")
        access.require_role(db, actor, organization_id, "owner")
    elif organization_id is not None and db.get(Organization, organization_id) is None:
        raise NotFound(f"no organization {organization_id}", field="organization")
    name = (filename or "dataset.json").rsplit("/", 1)[-1]
    try:
        parsed = parse_dataset(text, name)
    except BenchmarkFileError as exc:
        raise Invalid(
            f"{name} is not a benchmark dataset; nothing was imported", field="file", details=exc.problems
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
            f"this dataset ({parsed.source}, {parsed.date.isoformat()}, {parsed.cohort.description}) is already "
            "imported",
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
        raise NotFound("no such dataset")
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
        raise Invalid(f"{name} is not a reference distribution", field="file", details=exc.problems) from None
    if reference.framework in builtin_ids():
        problems = reference.check_stages(list(load_builtin(reference.framework).stage_keys))
        if problems:
            details = [f"{name}: {problem}" for problem in problems]
            raise Invalid(f"{name} does not fit {reference.framework}", field="file", details=details)
    clash = db.scalar(
        select(ReferenceDistribution.id).where(
            ReferenceDistribution.framework_id == reference.framework, ReferenceDistribution.title == reference.title
        )
    )
    if clash is not None or any(
        r.framework == reference.framework and r.title == reference.title for r in builtin_references()
    ):
        raise Conflict(f"{reference.framework} already has a reference titled {reference.title!r}", field="file")
    row = ReferenceDistribution(
        framework_id=reference.framework,
        title=reference.title,
        citation=reference.citation,
        data=reference.model_dump(mode="json", exclude_none=True),
    )
    db.add(row)
    db.flush()
    return row
