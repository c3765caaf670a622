"""Stored customer outcomes: importing 1,000,000 survey responses, and NPS by month x segment over them.

The data are SYNTHETIC: a plain CSV survey export written to a scratch folder (response id, date over 24 months,
one of 8 segments, NPS 0-10, CSAT 1-5, CES 1-7 and three driver ratings), imported into a fresh database on SQLite
and on PostgreSQL (a scratch schema, dropped afterwards).

Measured, each import in a fresh process (its resident high-water mark is the memory it took):

- the import through the service every entry point calls (``services.outcomes_import``): the file read and
  checked by the outcomes reader in a streaming pass with no transaction open, the rows parked, then written in one
  transaction with upserts on the response id; targets: under 60 s on SQLite, under 30 s on PostgreSQL, with flat
  memory (the peak at 1,000,000 responses against the peak at 100,000; on SQLite the import raises the page cache to
  a fixed 128 MB while it writes, which a million responses fill and a hundred thousand do not); wall time is
  shared with whatever else runs, so each import's CPU seconds are given too, and on PostgreSQL the server's (its
  processes' CPU seconds from /proc, when the server runs on this machine);
- the baseline, in the same run: a bare bulk insert of the same rows into the same table (``executemany`` of tuples
  on SQLite, ``COPY`` on PostgreSQL), with no reading, checking or upserting;
- NPS by month x segment over the 1,000,000 stored responses (``services.outcomes.nps_summary``: the answer counts
  per month, segment and answer kept at import in ``outcome_count``, then the intervals); target: under 1 s;
  baseline: a plain SQL read of the three columns counted with numpy (``np.unique`` on month x segment x answer).
  The kept counts must equal the baseline's, cell for cell.

``CXM_BENCH_POSTGRES_URL`` chooses the server; ``CXM_BENCH_OUTCOME_RESPONSES`` runs a smaller load, held to the
targets scaled by its size (200,000 responses: 12 s on SQLite, 6 s on PostgreSQL, 0.2 s for the count).
"""

from __future__ import annotations

import csv
import multiprocessing
import os
import resource
import secrets
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

from bench.row import Row
from cxmaturity.outcomes import ColumnMapping
from cxmaturity.services import accounts, organizations
from cxmaturity.services.access import Actor
from cxmaturity.storage.database import make_engine, make_sessionmaker, transaction, upgrade

POSTGRES = os.environ.get("CXM_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
RESPONSES = int(os.environ.get("CXM_BENCH_OUTCOME_RESPONSES", "1000000"))
SMALL = max(RESPONSES // 10, 1000)
SEGMENTS = ("Retail", "SMB", "Enterprise", "Public", "Online", "Partner", "North", "South")
START = datetime(2025, 1, 1)
DRIVERS = ("Delivery", "Support", "Price")
HEADER = ("ResponseId", "Date", "Segment", "Recommend", "Satisfaction", "Effort", *DRIVERS)
REPEAT = 5


def write_file(path: Path, count: int, seed: int = 13) -> None:
    """Write ``count`` SYNTHETIC responses as a plain CSV survey export, 100,000 rows at a time."""
    rng = np.random.default_rng(seed)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for first in range(0, count, 100_000):
            n = min(100_000, count - first)
            seconds = rng.integers(0, 730 * 86_400, n)
            segment = rng.integers(0, len(SEGMENTS), n)
            nps = np.clip(np.rint(rng.normal(7.5 + 0.2 * segment, 2.2)), 0, 10).astype(int)
            csat = np.clip(np.rint(rng.normal(3.9, 0.9, n)), 1, 5).astype(int)
            ces = np.clip(np.rint(rng.normal(5.2, 1.3, n)), 1, 7).astype(int)
            drivers = np.clip(np.rint(rng.normal(3.6, 1.0, (n, len(DRIVERS)))), 1, 5).astype(int)
            writer.writerows(
                (
                    f"R_{first + i:08d}",
                    (START + timedelta(seconds=int(seconds[i]))).strftime("%Y-%m-%d %H:%M:%S"),
                    SEGMENTS[segment[i]],
                    nps[i],
                    csat[i],
                    ces[i],
                    *drivers[i],
                )
                for i in range(n)
            )


def mapping() -> dict[str, Any]:
    return {
        "response_id": "ResponseId",
        "submitted_at": "Date",
        "segment": "Segment",
        "nps": "Recommend",
        "csat": "Satisfaction",
        "csat_scale": 5,
        "ces": "Effort",
        "ces_scale": 7,
        "drivers": list(DRIVERS),
    }


def _resident_peak_mb() -> float:
    """This process's resident high-water mark (VmHWM: ru_maxrss would carry over the parent's peak)."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _engine(url: str, schema: str | None) -> sa.Engine:
    if schema is None:
        return make_engine(url)
    return make_engine(url, connect_args={"options": f"-csearch_path={schema}"})


def _server_processes(engine: sa.Engine) -> list[int]:
    """The PostgreSQL server processes of the engine's connections, as they are opened (filled in later)."""
    pids: list[int] = []

    @sa.event.listens_for(engine, "connect")
    def _connected(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("SELECT pg_backend_pid()")
        pids.append(int(cursor.fetchone()[0]))
        cursor.close()

    return pids


def _server_cpu(pids: list[int]) -> float | None:
    """CPU seconds the server processes have used (a local server's /proc; None where it cannot be read).

    The server's work is most of a PostgreSQL import, and the client's CPU seconds do not show it; on a shared
    machine its wall time shows mostly the others' work."""
    total = 0.0
    try:
        for pid in pids:
            fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None
    return total


def _fresh_database(url: str, schema: str | None) -> tuple[int, int]:
    """Migrate and create a user and an organization; return their ids."""
    engine = _engine(url, schema)
    upgrade(url, engine)
    with transaction(make_sessionmaker(engine)) as db:
        user = accounts.sign_up(db, f"bench-{secrets.token_hex(4)}@example.com", "bench password 1234", "Bench")
        org = organizations.create(db, Actor(user.id), "Synthetic outcomes")
        ids = user.id, org.id
    engine.dispose()
    return ids


def _import(
    url: str, schema: str | None, user_id: int, organization_id: int, path: str
) -> tuple[float, float, int, float, float | None]:
    """Import the file through the service in this (fresh) process; return seconds, peak RSS MB, new responses,
    this process's CPU seconds (what the import costs where other work shares the processors) and, on PostgreSQL,
    the server's CPU seconds for it."""
    from cxmaturity.services import outcomes

    engine = _engine(url, schema)
    pids = _server_processes(engine) if schema is not None else []
    sessions = make_sessionmaker(engine)
    start, cpu = time.perf_counter(), time.process_time()
    summary = outcomes.import_survey_file(
        sessions, Actor(user_id), organization_id, Path(path), ColumnMapping.from_dict(mapping())
    )
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    server = _server_cpu(pids) if schema is not None else None
    engine.dispose()
    return seconds, _resident_peak_mb(), summary.added, cpu, server


def _bare_rows(path: Path) -> Iterator[tuple[Any, ...]]:
    """The file's rows as the table's tuples, converted with nothing but int() and strptime."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        for rid, day, segment, nps, csat, ces, *drivers in reader:
            answers = '{"Delivery": %s, "Support": %s, "Price": %s}' % tuple(drivers)  # noqa: UP031
            yield (rid, day, segment, int(nps), int(csat), 5, int(ces), 7, answers)


def _bare_insert(url: str, schema: str | None, organization_id: int, path: str) -> tuple[float, float, float | None]:
    """The baseline: the same rows into the same table by the driver's own bulk path, in one transaction; return
    wall and CPU seconds and, on PostgreSQL, the server's CPU seconds."""
    from cxmaturity.storage.tables import OutcomeSource

    engine = _engine(url, schema)
    with transaction(make_sessionmaker(engine)) as db:
        source = OutcomeSource(organization_id=organization_id, kind="survey", file_name="bare", tool="csv", mapping={})
        db.add(source)
        db.flush()
        source_id = source.id
    columns = "organization_id, source_id, response_id, submitted_at, segment, nps, csat, csat_scale, ces, ces_scale"
    server: float | None = None
    start, cpu = time.perf_counter(), time.process_time()
    if schema is None:
        connection = sqlite3.connect(engine.url.database or "")
        connection.execute("BEGIN")
        connection.executemany(
            f"INSERT INTO survey_response ({columns}, answers) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ((organization_id, source_id, *row) for row in _bare_rows(Path(path))),
        )
        connection.commit()
        connection.close()
    else:
        raw = engine.raw_connection()
        cursor = raw.cursor()
        pid = int(cursor.execute("SELECT pg_backend_pid()").fetchone()[0])
        before = _server_cpu([pid])
        with cursor.copy(f"COPY survey_response ({columns}, answers) FROM STDIN") as copy:
            for row in _bare_rows(Path(path)):
                copy.write_row((organization_id, source_id, *row))
        raw.commit()
        after = _server_cpu([pid])
        server = after - before if after is not None and before is not None else None
        raw.close()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    engine.dispose()
    return seconds, cpu, server


def _median_time(fn: Callable[[], object], repeat: int = REPEAT) -> tuple[float, float]:
    """Median wall and CPU seconds of this process over ``repeat`` runs after one warm-up run."""
    fn()
    times, cpu = [], []
    for _ in range(repeat):
        start, used = time.perf_counter(), time.process_time()
        fn()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - used)
    return statistics.median(times), statistics.median(cpu)


def _aggregation(
    url: str, schema: str | None, user_id: int, organization_id: int
) -> tuple[tuple[float, float], tuple[float, float], int, bool]:
    """(Wall, CPU) seconds of NPS by month x segment through the service and of the numpy baseline; cells shown; and
    whether the counts kept at import equal the baseline's counts of the stored rows, cell for cell.
    On SQLite the CPU seconds include the database's own work (it runs in this process); on PostgreSQL they do not."""
    from cxmaturity.services import outcomes
    from cxmaturity.services.outcomes_store import answer_counts

    engine = _engine(url, schema)
    sessions = make_sessionmaker(engine)
    cells: list[int] = []

    def service() -> None:
        with sessions() as db:
            found = outcomes.nps_summary(db, Actor(user_id), organization_id, "month")
        cells.append(len(found.by_period_segment) if found else 0)

    month = "strftime('%Y-%m', submitted_at)" if schema is None else "to_char(submitted_at, 'YYYY-MM')"

    def baseline() -> dict[tuple[str, str, int], int]:
        with engine.connect() as connection:
            rows = connection.exec_driver_sql(
                f"SELECT {month}, segment, nps FROM survey_response WHERE organization_id = {organization_id} "
                "AND nps IS NOT NULL"
            ).fetchall()
        months = np.array([r[0] for r in rows])
        segments = np.array([r[1] for r in rows])
        nps = np.array([r[2] for r in rows], dtype=np.int16)
        month_names, m = np.unique(months, return_inverse=True)
        segment_names, s = np.unique(segments, return_inverse=True)
        keys, counts = np.unique((m * 100 + s) * 16 + nps, return_counts=True)
        return {
            (str(month_names[k // 1600]), str(segment_names[k // 16 % 100]), int(k % 16)): int(n)
            for k, n in zip(keys, counts, strict=True)
        }

    measured = _median_time(service), _median_time(baseline, 3)
    # The counts kept at import against the counts of the stored rows: the same, cell for cell.
    with sessions() as db:
        kept = {(c.period, c.segment, c.answer): c.count for c in answer_counts(db, organization_id, "nps")}
    exact = kept == baseline()
    engine.dispose()
    return measured[0], measured[1], cells[-1], exact


@contextmanager
def _database(backend: str, folder: Path) -> Iterator[tuple[str, str | None]]:
    if backend == "sqlite":
        yield f"sqlite:///{folder / f'outcomes-{secrets.token_hex(3)}.db'}", None
        return
    schema = f"cxm_bench_outcomes_{secrets.token_hex(4)}"
    admin = make_engine(POSTGRES)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield POSTGRES, schema
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _postgres_reachable() -> bool:
    try:
        engine = make_engine(POSTGRES)
        with engine.connect():
            pass
        engine.dispose()
        return True
    except sa.exc.OperationalError:
        return False


def _server_note(server: float | None, baseline: float | None) -> str:
    if server is None:
        return ""
    ratio = f" ({server / baseline:.2f}x the baseline's)" if baseline else ""
    return f"; server CPU {server:.1f} s{ratio}"


def run() -> list[Row]:
    rows: list[Row] = []
    backends = ["sqlite"] + (["postgresql"] if _postgres_reachable() else [])
    # The targets are for 1,000,000 responses; a smaller run (CXM_BENCH_OUTCOME_RESPONSES) is held to the same
    # rate, so that its "ok" says something about the full target rather than passing a tenth of the load.
    scale = RESPONSES / 1_000_000
    targets = {"sqlite": 60.0 * scale, "postgresql": 30.0 * scale}
    aggregation_target = 1.0 * scale
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        big, small = folder / "responses.csv", folder / "responses-small.csv"
        write_file(big, RESPONSES)
        write_file(small, SMALL)
        spawn = multiprocessing.get_context("spawn")
        for backend in backends:
            with _database(backend, folder) as (url, schema):
                user_id, org_id = _fresh_database(url, schema)
                with spawn.Pool(1, maxtasksperchild=1) as pool:
                    small_run = pool.apply(_import, (url, schema, user_id, org_id, str(small)))
                with _database(backend, folder) as (bare_url, bare_schema):
                    _, bare_org = _fresh_database(bare_url, bare_schema)
                    bare, bare_cpu, bare_server = _bare_insert(bare_url, bare_schema, bare_org, str(big))
                with spawn.Pool(1, maxtasksperchild=1) as pool:
                    seconds, peak, added, cpu, server = pool.apply(_import, (url, schema, user_id, org_id, str(big)))
                with spawn.Pool(1, maxtasksperchild=1) as pool:
                    again = pool.apply(_import, (url, schema, user_id, org_id, str(big)))
                measured = _aggregation(url, schema, user_id, org_id)
                (service, service_cpu), (numpy_base, numpy_cpu), cells, exact = measured
            name = "SQLite" if backend == "sqlite" else "PostgreSQL"
            rows.append(
                Row(
                    f"{name}: bare bulk insert (baseline)",
                    bare,
                    1.0,
                    f"{RESPONSES:,} rows, same table; CPU {bare_cpu:.1f} s" + _server_note(bare_server, None),
                )
            )
            rows.append(
                Row(
                    f"{name}: import {RESPONSES:,} responses",
                    seconds,
                    seconds / bare,
                    f"target: under {targets[backend]:.1f} s; {added:,} new (of which {SMALL:,} were there: "
                    f"re-imported); RSS peak {peak:.0f} MB, {small_run[1]:.0f} MB at {SMALL:,} "
                    f"({peak / small_run[1]:.2f}x); CPU {cpu:.1f} s ({cpu / bare_cpu:.2f}x the baseline's)"
                    + _server_note(server, bare_server),
                    seconds < targets[backend] and added == (RESPONSES - SMALL),
                )
            )
            rows.append(
                Row(
                    f"{name}: same file again (all replaced)",
                    again[0],
                    again[0] / bare,
                    f"{again[2]} new responses (counted once); CPU {again[3]:.1f} s"
                    + _server_note(again[4], bare_server),
                    again[2] == 0,
                )
            )
            rows.append(
                Row(
                    f"{name}: SQL read + numpy counts (baseline)",
                    numpy_base,
                    1.0,
                    f"month x segment x NPS; CPU {numpy_cpu * 1000:.0f} ms",
                )
            )
            rows.append(
                Row(
                    f"{name}: NPS by month x segment",
                    service,
                    service / numpy_base,
                    f"target: under {aggregation_target:.2f} s; {cells} cells with 90% intervals; "
                    f"CPU {service_cpu * 1000:.0f} ms; kept counts "
                    + ("equal the rows' counts" if exact else "DIFFER from the rows' counts"),
                    service < aggregation_target and exact,
                )
            )
    return rows
