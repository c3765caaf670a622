"""An organization's customer outcomes: what the pages, the API and the command line call alike.

Imports of survey exports, customer lists and operational metrics (O-data), saved column mappings, outcome metrics by
period and segment with their intervals (``outcomes.metrics``, from counts made in SQL), the customer asset, key
drivers, and the metrics an organization watches. Every function checks the actor's role first; rules live in the
``outcomes`` package, storage in ``services/outcomes_store.py`` and ``services/outcomes_import.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from cxmaturity.i18n import N_
from cxmaturity.i18n.phrase import phrase
from cxmaturity.outcomes import (
    ColumnMapping,
    CustomerAsset,
    DriverAnalysis,
    DriversError,
    MappingError,
    MetricSummary,
    OutcomesError,
    OutcomeSummary,
    Scales,
    SummaryOptions,
    SurveyReader,
    Tallies,
    analyze,
    customer_asset,
    summarize_tallies,
)
from cxmaturity.outcomes import Customer as CustomerRecord
from cxmaturity.outcomes.problems import ProblemLog
from cxmaturity.outcomes.records import CustomerColumns, ODataColumns, iter_customers, iter_odata
from cxmaturity.outcomes.sources import Suggestion, suggest_mapping
from cxmaturity.services import access, audit
from cxmaturity.services.access import Actor
from cxmaturity.services.errors import Conflict, Invalid, NotFound
from cxmaturity.services.outcomes_import import (
    ImportSummary,
    SurveyFile,
    prepare_survey,
    problem_lines,
    refuse,
    store_survey,
)
from cxmaturity.services.outcomes_store import (
    Period,
    answer_counts,
    count_responses,
    remove_source_responses,
    scales_in_use,
)
from cxmaturity.services.tokens import digest, new_token
from cxmaturity.storage.database import reading, transaction
from cxmaturity.storage.tables import (
    Customer,
    OperationalValue,
    OutcomeMapping,
    OutcomeSource,
    OutcomeUpload,
    SurveyResponse,
    WatchedMetric,
)

KINDS = ("survey", "customers", "operational")
#: Metric keys an organization may watch besides ``operational:NAME``.
METRIC_KEYS = ("nps", "csat", "ces", "customers", "customer_value", "retention", "churn")
#: Rows per statement when customers and O-data are written.
_CHUNK = 2_000


def _invalid(exc: OutcomesError, path: Path, file_name: str) -> Invalid:
    log = ProblemLog()
    for problem in exc.problems:
        log.add(problem.where, problem.message)
    return Invalid(
        phrase(N_("%(file_name)s cannot be read; nothing was imported"), file_name=file_name),
        field="file",
        details=problem_lines(log, path, file_name),
    )


# --- survey files -------------------------------------------------------------------------------------------------


def suggest(path: Path, file_name: str | None = None) -> Suggestion:
    """The tool a survey file comes from, its columns, and the mapping suggested for it (for the user to confirm)."""
    try:
        return suggest_mapping(path)
    except OutcomesError as exc:
        raise _invalid(exc, path, file_name or path.name) from None


def mapping_from(data: object) -> ColumnMapping:
    """A column mapping from JSON-ready data; Invalid naming the wrong key otherwise."""
    if not isinstance(data, dict):
        raise Invalid(N_("a column mapping is a JSON object"), field="mapping")
    try:
        return ColumnMapping.from_dict(data)
    except MappingError as exc:
        raise Invalid(phrase(N_("column mapping: %(problem)s"), problem=str(exc)), field="mapping") from None


def import_survey_file(
    sessions: sessionmaker[Session],
    actor: Actor,
    organization_id: int,
    path: Path,
    mapping: ColumnMapping,
    *,
    file_name: str | None = None,
    synthetic: bool = False,
) -> ImportSummary:
    """Import a survey export: checked in full with no transaction open, then stored in one; all or nothing.

    A response id already stored for the organization is replaced by the file's (a re-imported file counts once).
    """
    name = file_name or path.name
    with reading(sessions) as db:  # the check never takes SQLite's writer lock
        access.require_role(db, actor, organization_id, "facilitator")
    try:
        reader = SurveyReader(path, mapping)
    except OutcomesError as exc:
        raise _invalid(exc, path, name) from None
    if not mapping.metric_columns():
        raise Invalid(N_("map at least one of the NPS, CSAT and CES questions"), field="mapping")
    source = SurveyFile(
        name,
        reader.layout.tool,
        mapping.to_dict(),
        mapping.response_id,
        mapping.csat_scale if mapping.csat else None,
        mapping.ces_scale if mapping.ces else None,
    )
    # Without a response id column the reader identifies a response by a hash of its cells, so a cumulative export
    # (Google Forms) imported again adds only its new rows.
    prepared = prepare_survey(reader, source, reader.problems, path)
    try:
        with transaction(sessions) as db:
            summary = store_survey(db, actor, organization_id, prepared, synthetic=synthetic)
    finally:
        prepared.close()
    return replace(summary, partial=reader.partial)


# --- customers and O-data ---------------------------------------------------------------------------------------------


def _upsert(db: Session, table: Any, rows: list[dict[str, Any]], keys: Sequence[str]) -> None:
    """Insert rows, replacing those with the same key (one statement per chunk, on either database)."""
    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    for first in range(0, len(rows), _CHUNK):
        chunk = rows[first : first + _CHUNK]
        statement = dialect.insert(table)
        statement = statement.on_conflict_do_update(
            index_elements=list(keys),
            set_={c: statement.excluded[c] for c in chunk[0] if c not in keys},
        )
        db.execute(statement, chunk)


def _count(db: Session, table: Any, organization_id: int) -> int:
    return int(db.scalar(select(func.count()).select_from(table).where(table.organization_id == organization_id)) or 0)


def _store_records(
    sessions: sessionmaker[Session],
    actor: Actor,
    organization_id: int,
    kind: str,
    file_name: str,
    mapping: dict[str, Any],
    rows: list[dict[str, Any]],
    synthetic: bool,
) -> ImportSummary:
    table, keys = (
        (Customer, ("organization_id", "customer_key"))
        if kind == "customers"
        else (OperationalValue, ("organization_id", "metric", "on_date", "segment"))
    )
    with transaction(sessions) as db:
        access.require_role(db, actor, organization_id, "facilitator")
        source = OutcomeSource(
            organization_id=organization_id,
            kind=kind,
            file_name=file_name[:300],
            tool="xlsx" if file_name.lower().endswith(".xlsx") else "csv",
            mapping=mapping,
            rows=len(rows),
            synthetic=synthetic,
            imported_by=actor.user_id,
        )
        db.add(source)
        db.flush()
        before = _count(db, table, organization_id)
        for row in rows:
            row["organization_id"], row["source_id"] = organization_id, source.id
        if rows:
            _upsert(db, table, rows, keys)
        added = _count(db, table, organization_id) - before
        source.added, source.replaced = added, len(rows) - added
        audit.record(
            db, "outcomes.import", organization_id=organization_id, user_id=actor.user_id, target=file_name, kind=kind
        )
        return ImportSummary(source.id, source.file_name, source.tool, len(rows), added, source.replaced)


def import_customers_file(
    sessions: sessionmaker[Session],
    actor: Actor,
    organization_id: int,
    path: Path,
    columns: CustomerColumns | None = None,
    *,
    file_name: str | None = None,
    synthetic: bool = False,
) -> ImportSummary:
    """Import a CRM customer list; a customer id already stored is replaced (its end date or value may have moved)."""
    name = file_name or path.name
    columns = columns or CustomerColumns()
    with reading(sessions) as db:  # the check never takes SQLite's writer lock
        access.require_role(db, actor, organization_id, "facilitator")
    log = ProblemLog()
    try:
        rows = [
            {
                "customer_key": c.customer_id[:200],
                "segment": (c.segment or "")[:100],
                "start_date": c.start,
                "end_date": c.end,
                "value": c.value,
            }
            for c in iter_customers(path, columns, log)
        ]
    except OutcomesError as exc:
        raise _invalid(exc, path, name) from None
    if log:
        raise refuse(log, path, name)
    return _store_records(sessions, actor, organization_id, "customers", name, vars(columns).copy(), rows, synthetic)


def import_odata_file(
    sessions: sessionmaker[Session],
    actor: Actor,
    organization_id: int,
    path: Path,
    columns: ODataColumns | None = None,
    *,
    file_name: str | None = None,
    synthetic: bool = False,
) -> ImportSummary:
    """Import operational metrics (metric, date, value[, segment]); a value already stored for the same metric,
    date and segment is replaced."""
    name = file_name or path.name
    columns = columns or ODataColumns()
    with reading(sessions) as db:  # the check never takes SQLite's writer lock
        access.require_role(db, actor, organization_id, "facilitator")
    log = ProblemLog()
    try:
        rows = [
            {"metric": p.metric[:200], "on_date": p.day, "segment": (p.segment or "")[:100], "value": p.value}
            for p in iter_odata(path, columns, log)
        ]
    except OutcomesError as exc:
        raise _invalid(exc, path, name) from None
    if log:
        raise refuse(log, path, name)
    return _store_records(sessions, actor, organization_id, "operational", name, vars(columns).copy(), rows, synthetic)


# --- sources and saved mappings -----------------------------------------------------------------------------------


def sources(db: Session, actor: Actor, organization_id: int) -> list[OutcomeSource]:
    """The organization's imports, newest first."""
    access.require_role(db, actor, organization_id, "viewer")
    return list(
        db.scalars(
            select(OutcomeSource)
            .where(OutcomeSource.organization_id == organization_id)
            .order_by(OutcomeSource.imported_at.desc(), OutcomeSource.id.desc())
        )
    )


def delete_source(db: Session, actor: Actor, organization_id: int, source_id: int) -> None:
    """Remove an import and everything it (last) wrote."""
    access.require_role(db, actor, organization_id, "facilitator")
    source = db.get(OutcomeSource, source_id)
    if source is None or source.organization_id != organization_id:
        raise NotFound(N_("no such import"))
    # Explicit deletes, so SQLite removes the rows whether or not its foreign keys are enforced on this connection.
    remove_source_responses(db, organization_id, source_id)  # and their answers from the counts
    for table in (Customer, OperationalValue):
        db.execute(delete(table).where(table.organization_id == organization_id, table.source_id == source_id))
    db.delete(source)
    audit.record(db, "outcomes.delete", organization_id=organization_id, user_id=actor.user_id, target=source.file_name)


def save_mapping(
    db: Session, actor: Actor, organization_id: int, name: str, mapping: ColumnMapping, kind: str = "survey"
) -> OutcomeMapping:
    """Save (or replace) a named column mapping to reuse with the next export of the same survey."""
    access.require_role(db, actor, organization_id, "facilitator")
    name = " ".join(name.split())[:100]
    if not name:
        raise Invalid(N_("give the mapping a name"), field="name")
    if kind not in KINDS:
        raise Invalid(phrase(N_("kind must be one of %(value)s"), value=", ".join(KINDS)), field="kind")
    found = db.scalar(
        select(OutcomeMapping).where(OutcomeMapping.organization_id == organization_id, OutcomeMapping.name == name)
    )
    if found is None:
        found = OutcomeMapping(organization_id=organization_id, name=name, kind=kind, mapping={})
        db.add(found)
    found.kind, found.mapping, found.created_by = kind, mapping.to_dict(), actor.user_id
    db.flush()
    return found


def mappings(db: Session, actor: Actor, organization_id: int) -> list[OutcomeMapping]:
    access.require_role(db, actor, organization_id, "viewer")
    return list(
        db.scalars(
            select(OutcomeMapping)
            .where(OutcomeMapping.organization_id == organization_id)
            .order_by(OutcomeMapping.name)
        )
    )


def saved_mapping(db: Session, actor: Actor, organization_id: int, mapping_id: int) -> ColumnMapping:
    access.require_role(db, actor, organization_id, "viewer")
    found = db.get(OutcomeMapping, mapping_id)
    if found is None or found.organization_id != organization_id:
        raise NotFound(N_("no such mapping"))
    return mapping_from(found.mapping)


def delete_mapping(db: Session, actor: Actor, organization_id: int, mapping_id: int) -> None:
    access.require_role(db, actor, organization_id, "facilitator")
    found = db.get(OutcomeMapping, mapping_id)
    if found is None or found.organization_id != organization_id:
        raise NotFound(N_("no such mapping"))
    db.delete(found)


# --- metrics ------------------------------------------------------------------------------------------------------


def _latest_survey_mapping(db: Session, organization_id: int) -> dict[str, Any]:
    found = db.scalar(
        select(OutcomeSource.mapping)
        .where(OutcomeSource.organization_id == organization_id, OutcomeSource.kind == "survey")
        .order_by(OutcomeSource.imported_at.desc(), OutcomeSource.id.desc())
        .limit(1)
    )
    return dict(found or {})


def _scales(db: Session, organization_id: int) -> Scales:
    """The CSAT and CES scales most responses were asked on; CES's direction from the latest survey import."""
    csat = scales_in_use(db, organization_id, "csat")
    ces = scales_in_use(db, organization_id, "ces")
    latest = _latest_survey_mapping(db, organization_id)
    return Scales(csat[0][0] if csat else 5, ces[0][0] if ces else 7, bool(latest.get("ces_high_is_easy", True)))


def summary(
    db: Session,
    actor: Actor,
    organization_id: int,
    period: Period = "month",
    *,
    metrics: Sequence[str] = ("nps", "csat", "ces"),
    since: str | None = None,
    until: str | None = None,
) -> OutcomeSummary:
    """NPS, CSAT and CES of the organization's stored responses, overall, by period, by segment and both, with
    intervals and the change between consecutive periods; segments below the organization's minimum withheld.

    The database counts the answers (``GROUP BY month, segment, answer``); the ``outcomes`` package computes the rest.
    CSAT and CES use the scale most of their answers were asked on (answers on another scale are left out).
    """
    org = access.organization(db, actor, organization_id, "viewer")
    scales = _scales(db, organization_id)
    tallies = Tallies(scales)
    for metric in ("nps", "csat", "ces"):
        if metric not in metrics:
            continue
        scale = {"nps": None, "csat": scales.csat_scale, "ces": scales.ces_scale}[metric]
        for c in answer_counts(db, organization_id, metric, period, scale=scale, since=since, until=until):
            tallies.add_counts(metric, (c.period, c.segment or None), {c.answer: c.count})
    tallies.responses = count_responses(db, organization_id)
    return summarize_tallies(tallies, SummaryOptions(min_segment_size=org.min_segment_size))


def nps_summary(db: Session, actor: Actor, organization_id: int, period: Period = "month") -> MetricSummary | None:
    """NPS alone by period and segment (None without any NPS answer)."""
    return summary(db, actor, organization_id, period, metrics=("nps",)).metrics.get("nps")


def set_min_segment_size(db: Session, actor: Actor, organization_id: int, size: int) -> None:
    org = access.organization(db, actor, organization_id, "owner")
    if not 1 <= size <= 1000:
        raise Invalid(N_("the minimum segment size must be between 1 and 1000"), field="min_segment_size")
    org.min_segment_size = size


# --- customer asset -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssetView:
    """The customer asset over a period, with the segments too small to show taken out (counted in ``withheld``)."""

    asset: CustomerAsset
    withheld: int
    customers: int


def customers_of(db: Session, organization_id: int) -> Iterator[CustomerRecord]:
    """The organization's customers as the outcomes package reads them (no permission check: callers check)."""
    rows = db.execute(
        select(Customer.customer_key, Customer.start_date, Customer.end_date, Customer.value, Customer.segment).where(
            Customer.organization_id == organization_id
        )
    ).yield_per(10_000)
    for key, start, end, value, segment in rows:
        yield CustomerRecord(key, start, end, float(value), segment or None)


def asset(db: Session, actor: Actor, organization_id: int, first: date, last: date) -> AssetView:
    """The customer asset from ``first`` to ``last`` (customers and value at start and end, gained, lost, retention
    and churn), overall and by segment; a segment with fewer customers than the organization's minimum segment size
    (at the start plus gained) is withheld."""
    org = access.organization(db, actor, organization_id, "viewer")
    try:
        found = customer_asset(customers_of(db, organization_id), first, last)
    except ValueError as exc:
        raise Invalid(str(exc), field="to") from None
    shown = {
        name: figures
        for name, figures in found.by_segment.items()
        if figures.start.customers + figures.gained.customers >= org.min_segment_size
    }
    total = _count(db, Customer, organization_id)
    return AssetView(replace(found, by_segment=shown), len(found.by_segment) - len(shown), total)


# --- key drivers --------------------------------------------------------------------------------------------------


def driver_columns(db: Session, actor: Actor, organization_id: int) -> list[str]:
    """The driver columns of the latest survey import (what the key-driver page offers by default)."""
    access.require_role(db, actor, organization_id, "viewer")
    return [str(d) for d in _latest_survey_mapping(db, organization_id).get("drivers", [])]


def drivers(
    db: Session,
    actor: Actor,
    organization_id: int,
    outcome: str = "nps",
    names: Sequence[str] | None = None,
    *,
    resamples: int = 1000,
    seed: int = 0,
) -> DriverAnalysis:
    """Johnson's relative weights of the driver answers on an outcome (nps, csat or ces) over the stored responses,
    with bootstrap intervals and the importance x performance view."""
    access.require_role(db, actor, organization_id, "viewer")
    if outcome not in ("nps", "csat", "ces"):
        raise Invalid(N_("the outcome is nps, csat or ces"), field="outcome")
    wanted = list(names) if names else driver_columns(db, actor, organization_id)
    if not wanted:
        raise Invalid(N_("name the driver questions (the survey import mapped none)"), field="drivers")
    column = getattr(SurveyResponse, outcome)
    rows = db.execute(
        select(column, SurveyResponse.answers).where(
            SurveyResponse.organization_id == organization_id, column.is_not(None)
        )
    ).yield_per(20_000)
    y: list[float] = []
    x: list[list[float]] = []
    nan = float("nan")
    for value, answers in rows:
        found = answers or {}
        y.append(float(value))
        x.append([float(found[d]) if found.get(d) is not None else nan for d in wanted])
    try:
        return analyze(
            np.asarray(y, dtype=np.float64),
            np.asarray(x, dtype=np.float64).reshape(len(y), len(wanted)),
            wanted,
            outcome,
            resamples=resamples,
            seed=seed,
        )
    except DriversError as exc:
        raise Invalid(str(exc), field="drivers") from None


# --- watched metrics and operational series -----------------------------------------------------------------------


def operational_metrics(db: Session, actor: Actor, organization_id: int) -> list[str]:
    access.require_role(db, actor, organization_id, "viewer")
    return list(
        db.scalars(
            select(OperationalValue.metric)
            .where(OperationalValue.organization_id == organization_id)
            .distinct()
            .order_by(OperationalValue.metric)
        )
    )


def operational_series(
    db: Session, actor: Actor, organization_id: int, metric: str, period: Period = "quarter"
) -> list[tuple[str, float, int]]:
    """(period, mean value, values) of an O-data metric for the whole organization (rows without a segment)."""
    from cxmaturity.services.outcomes_store import period_of

    access.require_role(db, actor, organization_id, "viewer")
    sums: dict[str, tuple[float, int]] = {}
    for day, value in db.execute(
        select(OperationalValue.on_date, OperationalValue.value).where(
            OperationalValue.organization_id == organization_id,
            OperationalValue.metric == metric,
            OperationalValue.segment == "",
        )
    ):
        key = period_of(f"{day:%Y-%m}", period) or ""
        total, n = sums.get(key, (0.0, 0))
        sums[key] = (total + float(value), n + 1)
    return [(p, total / n, n) for p, (total, n) in sorted(sums.items())]


def check_metric(key: str) -> str:
    if key in METRIC_KEYS or (key.startswith("operational:") and len(key) > len("operational:")):
        return key[:220]
    raise Invalid(
        phrase(N_("a metric is one of %(value)s or operational:NAME"), value=", ".join(METRIC_KEYS)), field="metric"
    )


def watch(
    db: Session,
    actor: Actor,
    organization_id: int,
    metric: str,
    label: str = "",
    higher_is_better: bool = True,
) -> WatchedMetric:
    """Add a metric to the organization's "key customer behaviors to watch" (shown on its scorecard)."""
    access.require_role(db, actor, organization_id, "facilitator")
    key = check_metric(metric.strip())
    found = db.scalar(
        select(WatchedMetric).where(WatchedMetric.organization_id == organization_id, WatchedMetric.metric == key)
    )
    if found is not None:
        raise Conflict(phrase(N_("%(key)s is already watched"), key=key), field="metric")
    position = db.scalar(
        select(func.coalesce(func.max(WatchedMetric.position), 0)).where(
            WatchedMetric.organization_id == organization_id
        )
    )
    found = WatchedMetric(
        organization_id=organization_id,
        metric=key,
        label=" ".join(label.split())[:200],
        higher_is_better=higher_is_better,
        position=int(position or 0) + 1,
    )
    db.add(found)
    db.flush()
    return found


def unwatch(db: Session, actor: Actor, organization_id: int, metric: str) -> None:
    access.require_role(db, actor, organization_id, "facilitator")
    db.execute(
        delete(WatchedMetric).where(WatchedMetric.organization_id == organization_id, WatchedMetric.metric == metric)
    )


def watched(db: Session, actor: Actor, organization_id: int) -> list[WatchedMetric]:
    access.require_role(db, actor, organization_id, "viewer")
    return list(
        db.scalars(
            select(WatchedMetric)
            .where(WatchedMetric.organization_id == organization_id)
            .order_by(WatchedMetric.position, WatchedMetric.id)
        )
    )


def has_data(db: Session, organization_id: int) -> bool:
    """Whether the organization holds any outcome data (no permission check: callers have made theirs)."""
    return (
        db.scalar(select(OutcomeSource.id).where(OutcomeSource.organization_id == organization_id).limit(1)) is not None
    )


def sources_of(items: Iterable[OutcomeSource], kind: str) -> list[OutcomeSource]:
    return [s for s in items if s.kind == kind]


# --- uploads waiting for their import -------------------------------------------------------------------------------

#: Hours an upload waits for its import before it is removed.
UPLOAD_HOURS = 24
_UNSAFE_NAME = re.compile(r"[^\w.\- ]")


def safe_file_name(name: str, default: str = "export.csv") -> str:
    """The name a file is known by in messages, safe to use as a file name (any folder or odd character gone)."""
    found = _UNSAFE_NAME.sub("_", Path(name.replace("\\", "/")).name).strip("._ ")
    return found[:200] or default


def keep_upload(db: Session, actor: Actor, organization_id: int, file_name: str, data: bytes) -> str:
    """Keep an uploaded file for its preview and import; return the token that names it (shown to the uploader)."""
    access.require_role(db, actor, organization_id, "facilitator")
    cutoff = datetime.now(UTC) - timedelta(hours=UPLOAD_HOURS)
    db.execute(delete(OutcomeUpload).where(OutcomeUpload.created_at < cutoff))
    token = new_token()
    db.add(
        OutcomeUpload(
            organization_id=organization_id,
            token_hash=digest(token),
            file_name=safe_file_name(file_name),
            data=data,
            created_by=actor.user_id,
        )
    )
    return token


def _upload(db: Session, organization_id: int, token: str) -> OutcomeUpload:
    found = db.scalar(
        select(OutcomeUpload).where(
            OutcomeUpload.token_hash == digest(token), OutcomeUpload.organization_id == organization_id
        )
    )
    if found is None:
        raise NotFound(N_("no such upload (it was imported or has expired); upload the file again"), field="file")
    return found


def fetch_upload(db: Session, actor: Actor, organization_id: int, token: str, folder: Path) -> tuple[Path, str]:
    """Write a waiting upload into ``folder`` (the caller's temporary folder); return its path and name.

    The caller reads it after its transaction has ended: an import takes transactions of its own.
    """
    access.require_role(db, actor, organization_id, "facilitator")
    found = _upload(db, organization_id, token)
    path = folder / found.file_name
    path.write_bytes(found.data)
    return path, found.file_name


def drop_upload(db: Session, actor: Actor, organization_id: int, token: str) -> None:
    access.require_role(db, actor, organization_id, "facilitator")
    db.delete(_upload(db, organization_id, token))
