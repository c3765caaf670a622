"""Benchmark pools: stored per-assessment results, releases, and cohorts aggregated in SQL.

- When an assessment closes, its result (overall and per competency: stage number and score) is stored in
  ``assessment_result``; reopening removes it. ``refresh`` stores them again for every closed assessment.
- A pool is every stored result of one framework (same id, version and questions), real and SYNTHETIC apart. What
  benchmarks read is the pool's latest *release*: the newest closed assessment of each organization that has not
  opted out, as it was when released. A release holds only the changes that the privacy rules let through
  (``benchmarks.privacy.plan_release``), with the cohorts it may show; the others wait for a later one.
- A cohort's figures are computed by the database: quartiles with percentile_cont on PostgreSQL and with row_number
  over ordered scores on SQLite (published coarsened), stage counts with GROUP BY. Nothing here checks permissions
  or privacy: ``services.benchmarks`` decides what may be shown before asking for figures.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    cast,
    delete,
    except_,
    func,
    insert,
    literal,
    or_,
    select,
    union,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from cxmaturity.benchmarks.keys import framework_key
from cxmaturity.benchmarks.limits import check_min_cohort
from cxmaturity.benchmarks.model import OVERALL, Aggregate
from cxmaturity.benchmarks.privacy import (
    CellKey,
    Change,
    CohortFilter,
    compatible,
    plan_release,
    published_cohorts,
    valid_cohorts,
)
from cxmaturity.benchmarks.statistics import QUARTILES, coarse_score, interpolate, quantile_positions
from cxmaturity.services.results import results_of
from cxmaturity.storage.tables import (
    Assessment,
    AssessmentResult,
    BenchmarkPool,
    BenchmarkRelease,
    BenchmarkReleaseResult,
    Organization,
)

RESULT = AssessmentResult.__table__.c
RELEASED = BenchmarkReleaseResult.__table__.c
ORG = Organization.__table__.c


# --- stored per-assessment results ------------------------------------------------------------------------------


def store_result(db: Session, assessment: Assessment) -> int:
    """Score the closed assessment's answers and store its result (replacing an earlier one); return the rows
    stored, 0 when nobody answered. No permission check: closing and ``refresh`` call it."""
    forget_result(db, assessment.id)
    found = results_of(db, assessment)
    fw, result = found.framework, found.result
    if result.respondents == 0:
        return 0
    pool = Pool(framework_key(fw), assessment.synthetic)
    common = {
        "assessment_id": assessment.id,
        "organization_id": assessment.organization_id,
        "framework_id": fw.id,
        "framework_version": fw.version,
        "framework_key": pool.key,
        "synthetic": pool.synthetic,
        "closed_at": assessment.closed_at or datetime.now(UTC),
        "respondents": result.respondents,
        "computed_at": datetime.now(UTC),
    }
    # Only what was assessed enters the pool: a competency (or overall) without a usable answer is no evidence and
    # must never be compared with peers as the first stage.
    rows = []
    if result.overall.stage_number is not None:
        rows.append(
            {
                **common,
                "competency": OVERALL,
                "stage_number": result.overall.stage_number,
                "score": result.overall.score,
            }
        )
    rows += [
        {**common, "competency": c.key, "stage_number": c.stage_number, "score": c.score}
        for c in result.competencies
        if c.stage_number is not None
    ]
    if rows:
        db.execute(insert(AssessmentResult), rows)
    changed(db, pool)
    return len(rows)


def forget_result(db: Session, assessment_id: int) -> None:
    for key, synthetic in db.execute(
        select(RESULT.framework_key, RESULT.synthetic).where(RESULT.assessment_id == assessment_id).distinct()
    ).all():
        db.execute(delete(AssessmentResult).where(RESULT.assessment_id == assessment_id))
        changed(db, Pool(key, bool(synthetic)))


def changed(db: Session, pool: Pool) -> None:
    """Count a change in the pool, so that the next look checks it for releasable changes."""
    counter = BenchmarkPool.__table__.c
    where = (counter.framework_key == pool.key, counter.synthetic == pool.synthetic)
    if db.scalar(select(counter.id).where(*where)) is None:
        try:
            with db.begin_nested():
                db.execute(insert(BenchmarkPool).values(framework_key=pool.key, synthetic=pool.synthetic, version=1))
            return
        except IntegrityError:
            pass  # another request counted the pool's first change a moment ago
    db.execute(update(BenchmarkPool).where(*where).values(version=counter.version + 1))


def organization_changed(db: Session, organization_id: int) -> None:
    """Count a change in every pool that holds the organization's results (it opted in or out)."""
    rows = db.execute(
        select(RESULT.framework_key, RESULT.synthetic).where(RESULT.organization_id == organization_id).distinct()
    ).all()
    for key, synthetic in rows:
        changed(db, Pool(key, bool(synthetic)))


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
        made = release_if_due(db, pool, k, force=True)
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
    # Every row of the organization's newest closed assessment, whichever row the window sees first.
    newest = func.first_value(RESULT.assessment_id).over(
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
            RESULT.assessment_id,
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
    ).where(ranked.c.assessment_id == ranked.c.newest)


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
    """Return the (industry, size band, region) of each of ``organizations`` among ``rows``.

    One row per organization comes back and is picked here: a long IN list would be compared with every row."""
    sub = rows.subquery()
    found = db.execute(
        select(sub.c.organization_id, sub.c.industry, sub.c.size_band, sub.c.region).where(sub.c.competency == OVERALL)
    ).all()
    return {int(o): (i, s, r) for o, i, s, r in found if int(o) in organizations}


def release_if_due(db: Session, pool: Pool, k: int, *, force: bool = False) -> BenchmarkRelease | None:
    """Release the pool's changes that the privacy rules let through together; return the new release, or None.

    Skipped when nothing changed since the last check with the same k (the pool's change counter), unless forced.
    """
    check_min_cohort(k)
    db.flush()
    counter = BenchmarkPool.__table__.c
    where = (counter.framework_key == pool.key, counter.synthetic == pool.synthetic)
    state = db.execute(select(counter.version, counter.checked_version, counter.checked_k).where(*where)).first()
    if state is not None and not force and state.checked_version == state.version and state.checked_k == k:
        return None
    release = _release_changes(db, pool, k)
    if state is not None:
        # The version seen at the start: a change counted meanwhile makes the next look check again.
        db.execute(update(BenchmarkPool).where(*where).values(checked_version=state.version, checked_k=k))
    return release


def _release_changes(db: Session, pool: Pool, k: int) -> BenchmarkRelease | None:
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
    shown_before = shown_cohorts(current, previous, k) if current is not None else frozenset()
    plan = plan_release(previous, shown_before, changes, k)
    if plan is None:
        return None
    cohorts: frozenset[CohortFilter] | None = plan.cohorts
    if current is not None:
        released_now = {c.organization_id: c for c in changes if c.organization_id in plan.organizations}
        new_cells: Counter[CellKey] = Counter(previous)
        for change in released_now.values():
            if change.before is not None:
                new_cells[change.before] -= 1
            if change.after is not None:
                new_cells[change.after] += 1
        new_cells = +new_cells
        options = [plan.cohorts]
        if shown_before != plan.cohorts and valid_cohorts(new_cells, shown_before, k):
            now = [c for c in changes if c.organization_id in plan.organizations]
            if compatible(previous, shown_before, now, shown_before, k):
                options.append(shown_before)
        cohorts = next((c for c in options if _fits_history(db, pool, current, released_now, c, k)), None)
    if cohorts is None:
        return None  # every choice would isolate someone against an earlier release: wait for more changes
    return _make_release(db, pool, current, wanted, sorted(changed - plan.organizations), cohorts, k)


def _fits_history(
    db: Session,
    pool: Pool,
    current: BenchmarkRelease,
    released_now: dict[int, Change],
    cohorts: frozenset[CohortFilter],
    k: int,
) -> bool:
    """Whether the new release (the current one plus ``released_now``, showing ``cohorts``) keeps rule 4 against every
    release before the current one (``plan_release`` checked the current one): any kept release, or a dataset file
    exported from it, can be combined with the new one."""
    older = db.scalars(
        select(BenchmarkRelease)
        .where(
            BenchmarkRelease.framework_key == pool.key,
            BenchmarkRelease.synthetic == pool.synthetic,
            BenchmarkRelease.number < current.number,
        )
        .order_by(BenchmarkRelease.number.desc())
    ).all()
    if not older:
        return True
    current_rows = _released(current.id)
    for earlier in older:
        earlier_rows = _released(earlier.id)
        differing = union(
            select(except_(earlier_rows, current_rows).subquery().c.organization_id),
            select(except_(current_rows, earlier_rows).subquery().c.organization_id),
        ).subquery()
        since = {int(o) for (o,) in db.execute(select(differing.c.organization_id))} | set(released_now)
        at_earlier = _cells_of(db, earlier_rows, since)
        at_current = _cells_of(db, current_rows, since)
        changes = [
            Change(o, at_earlier.get(o), released_now[o].after if o in released_now else at_current.get(o))
            for o in sorted(since)
        ]
        cells = release_cells(db, earlier.id)
        if not compatible(cells, shown_cohorts(earlier, cells, k), changes, cohorts, k):
            return False
    return True


def _make_release(
    db: Session,
    pool: Pool,
    current: BenchmarkRelease | None,
    wanted: Select[Any],
    held: list[int],
    cohorts: frozenset[CohortFilter],
    k: int,
) -> BenchmarkRelease | None:
    """Write the new release: what would be released now, except that organizations whose changes wait keep their
    released rows (unchanged organizations have the same rows in both)."""
    fw_id, _, rest = pool.key.partition("@")
    try:
        with db.begin_nested():
            release = BenchmarkRelease(
                framework_key=pool.key,
                framework_id=fw_id,
                framework_version=rest.partition("#")[0],
                synthetic=pool.synthetic,
                number=(current.number + 1) if current is not None else 1,
                organizations=0,
                cohorts=[c.as_dict() for c in sorted(cohorts, key=CohortFilter.sort_key)],
                min_cohort=k,
            )
            db.add(release)
            db.flush()
            columns = ["organization_id", "industry", "size_band", "region", "competency", "stage_number", "score"]
            target = [BenchmarkReleaseResult.__table__.c[name] for name in ["release_id", *columns]]
            new_sub = wanted.subquery()
            fresh = select(literal(release.id), *(new_sub.c[name] for name in columns))
            if held:
                fresh = fresh.where(new_sub.c.organization_id.not_in(held))
            db.execute(insert(BenchmarkReleaseResult).from_select(target, fresh))
            if held and current is not None:
                kept = select(literal(release.id), *(RELEASED[name] for name in columns)).where(
                    RELEASED.release_id == current.id, RELEASED.organization_id.in_(held)
                )
                db.execute(insert(BenchmarkReleaseResult).from_select(target, kept))
            count = select(func.count()).where(RELEASED.release_id == release.id, RELEASED.competency == OVERALL)
            release.organizations = int(db.scalar(count) or 0)
            db.flush()
    except IntegrityError:
        return None  # another request released the same changes a moment ago
    return release


def shown_cohorts(release: BenchmarkRelease, cells: dict[CellKey, int], k: int) -> frozenset[CohortFilter]:
    """Return the cohorts the release may show: those chosen when it was made (rule 4 keeps them consistent with
    the release before), or, should k have been raised since, those admitted on its cells for the new k."""
    chosen = frozenset(CohortFilter.of(**c) for c in release.cohorts)
    if release.min_cohort == k:
        return chosen  # checked when the release was made, on the same cells, which never change
    return chosen if valid_cohorts(cells, chosen, k) else published_cohorts(cells, k)


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
    # The quartiles leave the database only coarsened (docs/benchmarks.md, "Coarse figures"): every page, answer,
    # command and dataset file shows these, and the organization's position is computed from them.
    found = [
        Aggregate(
            c,
            sum(stages[c].values()),
            coarse_score(quartiles[c][0]),
            coarse_score(quartiles[c][1]),
            coarse_score(quartiles[c][2]),
            dict(sorted(stages[c].items())),
        )
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


def own_result(db: Session, assessment_id: int) -> dict[str, tuple[float, int]]:
    """Return the assessment's stored score and stage number per competency ("" overall)."""
    rows = db.execute(
        select(RESULT.competency, RESULT.score, RESULT.stage_number).where(RESULT.assessment_id == assessment_id)
    )
    return {c: (float(s), int(n)) for c, s, n in rows}
