"""A large answers import, and reads of its results, while another organization's respondent saves pages.

Issue 12, finding 2: on SQLite one import of 18,000 respondents froze every respondent of the installation. Per
database (SQLite, PostgreSQL), against ``cxm``'s app on one uvicorn worker:

1. **Baseline:** a bare bulk insert of the same rows (18,000 invitations, 666,000 answers with importance) from this
   process: ``executemany`` on SQLite, ``COPY`` on PostgreSQL, no validation, one transaction.
2. A respondent of another organization saves pages one after another (20 ms apart) for the whole run; each save's
   latency is kept with the phase it fell in. Alone first, for 3 s: the latency baseline.
3. A file that fails validation (one bad answer in its last row) is refused: target under 2 s.
4. ``POST /api/v1/assessments/{id}/answers/import`` of the whole file (4.9 MB of SYNTHETIC answers): target under
   10 s; its ratio to the bare insert is printed.
5. The results of the imported assessment (API JSON) three times, then its answers as XLSX.

Targets: the respondent's p99 under 300 ms during the import and during the reads. All data are SYNTHETIC.
"""

from __future__ import annotations

import csv
import io
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import sqlalchemy as sa

from bench.bench_web import _database, _serve, respondent_csrf_for
from bench.row import Row
from cxmaturity.frameworks import Framework, load_builtin
from cxmaturity.services import accounts, assessments, organizations
from cxmaturity.services.access import Actor
from cxmaturity.services.tokens import digest, new_token
from cxmaturity.storage.database import make_engine, make_sessionmaker, transaction, upgrade

FRAMEWORK = "xm-six-competencies"
RESPONDENTS = int(os.environ.get("CXM_BENCH_IMPORT_RESPONDENTS", "18000"))
SECRET = secrets.token_hex(32)
#: The respondent's pause between two saves.
THINK = 0.02
#: The client's timeout: a save not answered by then counts as failed.
TIMEOUT = 60.0


def answers_csv(fw: Framework, respondents: int, seed: int = 12) -> str:
    """Return a SYNTHETIC answers file in wide form: every indicator answered with an importance (1 to 5), in three
    groups."""
    rng = np.random.default_rng(seed)
    keys = list(fw.indicator_keys)
    options = [fw.answer_keys(ind) for _, ind in fw.indicators]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["respondent", "group", *(c for k in keys for c in (k, f"{k}:importance"))])
    codes = rng.integers(0, 5, size=(respondents, len(keys)))
    importance = rng.integers(1, 6, size=(respondents, len(keys)))
    groups = ("Sales", "Service", "Operations")
    for r in range(respondents):
        cells = []
        for i in range(len(keys)):
            cells += [options[i][codes[r, i] % len(options[i])], str(importance[r, i])]
        writer.writerow([f"synthetic-{r + 1}", groups[r % 3], *cells])
    return out.getvalue()


@dataclass
class Respondent:
    """A respondent of another organization saving pages one after another on its own thread."""

    url: str
    tokens: list[str]
    pages: list[tuple[int, dict[str, str]]]
    phase: str = "alone"
    saves: list[tuple[str, float, int]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=TIMEOUT) as client:
            jobs = ((t, n, f) for t in self.tokens for n, f in self.pages)
            for token, number, form in jobs:
                if self.stop.is_set():
                    return
                phase = self.phase
                body = {**form, "csrf_token": respondent_csrf_for(SECRET, token), "action": "next"}
                start = time.perf_counter()
                try:
                    status = client.post(f"/r/{token}/p/{number}", data=body).status_code
                except httpx.HTTPError:
                    status = 0
                self.saves.append((phase, time.perf_counter() - start, status))
                time.sleep(THINK)

    def p99_ms(self, phase: str) -> tuple[float, int, int]:
        """The p99 of the phase's saves in ms, their number, and how many failed (anything but 303)."""
        times = [s for p, s, _ in self.saves if p == phase]
        failed = sum(1 for p, _, status in self.saves if p == phase and status != 303)
        return (float(np.percentile(times, 99)) * 1000 if times else float("nan")), len(times), failed


@contextmanager
def respondent_running(url: str, tokens: list[str]) -> Iterator[Respondent]:
    fw = load_builtin(FRAMEWORK)
    pages = [
        (n, {f"answer:{ind.key}": fw.answer_keys(ind)[-1] for ind in comp.indicators})
        for n, comp in enumerate(fw.competencies, start=1)
    ]
    respondent = Respondent(url, tokens, pages)
    thread = threading.Thread(target=respondent.run, name="respondent", daemon=True)
    thread.start()
    try:
        yield respondent
    finally:
        respondent.stop.set()
        thread.join(TIMEOUT + 5)


@dataclass(frozen=True)
class Seeded:
    api_token: str
    target: int  # the assessment the import goes to
    scratch: int  # the assessment the bare insert goes to
    tokens: list[str]  # the other organization's invitation links


def _seed(url: str, engine: sa.Engine) -> Seeded:
    upgrade(url, engine)
    sessions = make_sessionmaker(engine)
    with transaction(sessions) as db:
        owner = accounts.sign_up(db, f"importer-{secrets.token_hex(4)}@example.com", "bench password 1234")
        actor = Actor(owner.id)
        org = organizations.create(db, actor, "Importing organization (synthetic)")
        target = assessments.create(db, actor, org.id, "Big import (synthetic)", f"builtin:{FRAMEWORK}")
        scratch = assessments.create(db, actor, org.id, "Bare insert (synthetic)", f"builtin:{FRAMEWORK}")
        db.flush()
        assessments.set_status(db, actor, target.id, "open")
        api_token = accounts.create_api_token(db, owner.id, "bench")
        other = accounts.sign_up(db, f"other-{secrets.token_hex(4)}@example.com", "bench password 1234")
        other_org = organizations.create(db, Actor(other.id), "Another organization (synthetic)")
        survey = assessments.create(db, Actor(other.id), other_org.id, "Survey (synthetic)", f"builtin:{FRAMEWORK}")
        db.flush()
        assessments.set_status(db, Actor(other.id), survey.id, "open")
        tokens = assessments.create_invitations(db, Actor(other.id), survey.id, None, 2000, limit=2000)
    return Seeded(api_token, target.id, scratch.id, tokens)


def _rows(fw: Framework, respondents: int, seed: int = 12) -> tuple[list[str], list[tuple[int, str, str, int]]]:
    """The bare insert's rows: invitation token hashes, and (respondent, indicator, option, importance)."""
    rng = np.random.default_rng(seed)
    keys = list(fw.indicator_keys)
    options = [fw.answer_keys(ind) for _, ind in fw.indicators]
    codes = rng.integers(0, 5, size=(respondents, len(keys)))
    importance = rng.integers(1, 6, size=(respondents, len(keys)))
    answers = [
        (r, keys[i], options[i][codes[r, i] % len(options[i])], int(importance[r, i]))
        for r in range(respondents)
        for i in range(len(keys))
    ]
    return [digest(new_token()) for _ in range(respondents)], answers


def bare_insert(engine: sa.Engine, assessment_id: int, fw: Framework, respondents: int) -> tuple[float, float]:
    """Insert the rows of an import without the app, in one transaction; return the seconds it took and, on
    PostgreSQL, the CPU seconds its server process spent (the work this process does not see).

    As fast as each database takes them: ``executemany`` on SQLite; on PostgreSQL the invitations' ids taken from
    their sequence up front and both tables sent as COPY's text format in one piece (no Python call per row). Into
    the tables as migrated, the shape the import writes to (since migration 0021 an answer has no id of its own and
    one foreign key): the ratio compares the app with the database's own cost of the same rows.
    """
    hashes, answers = _rows(fw, respondents)
    now = datetime.now(UTC).replace(tzinfo=None)
    raw: Any = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "sqlite":
            start = time.perf_counter()
            cursor.execute("BEGIN IMMEDIATE")
            cursor.executemany(
                "INSERT INTO invitation (assessment_id, token_hash, source, held, created_at, started_at, "
                "completed_at) VALUES (?, ?, 'import', 1, ?, ?, ?)",
                [(assessment_id, h, now, now, now) for h in hashes],
            )
            cursor.execute("SELECT id FROM invitation WHERE assessment_id = ? ORDER BY id", (assessment_id,))
            ids = [row[0] for row in cursor.fetchall()]
            cursor.executemany(
                "INSERT INTO answer (assessment_id, invitation_id, indicator_key, option_key, importance, "
                "answered_at) VALUES (?, ?, ?, ?, ?, ?)",
                [(assessment_id, ids[r], key, option, imp, now) for r, key, option, imp in answers],
            )
            raw.commit()
            return time.perf_counter() - start, 0.0
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
        server = _cpu(backend)
        start = time.perf_counter()
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('invitation', 'id')) FROM generate_series(1, %s)", (respondents,)
        )
        ids = [row[0] for row in cursor.fetchall()]
        stamp = now.isoformat()
        with cursor.copy(
            "COPY invitation (id, assessment_id, token_hash, source, held, created_at, started_at, completed_at) "
            "FROM STDIN"
        ) as copy:
            copy.write(
                "".join(
                    f"{i}\t{assessment_id}\t{h}\timport\tt\t{stamp}\t{stamp}\t{stamp}\n"
                    for i, h in zip(ids, hashes, strict=True)
                )
            )
        with cursor.copy(
            "COPY answer (assessment_id, invitation_id, indicator_key, option_key, importance, answered_at) FROM STDIN"
        ) as copy:
            copy.write(
                "".join(
                    f"{assessment_id}\t{ids[r]}\t{key}\t{option}\t{imp}\t{stamp}\n" for r, key, option, imp in answers
                )
            )
        raw.commit()
        return time.perf_counter() - start, _cpu(backend) - server
    finally:
        raw.close()


def _cpu(pid: int) -> float:
    """CPU seconds a process has used (user and system): what a run costs whatever else the machine is doing."""
    fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _timed(fn: Callable[[], httpx.Response], pid: int) -> tuple[float, httpx.Response, float]:
    """Wall seconds, the response, and the server's CPU seconds meanwhile."""
    cpu = _cpu(pid)
    start = time.perf_counter()
    response = fn()
    return time.perf_counter() - start, response, _cpu(pid) - cpu


def _backends(engine: sa.Engine, application: str) -> dict[int, float]:
    """The CPU seconds of each PostgreSQL server process serving the app (found by its application name)."""
    with engine.connect() as conn:
        pids = conn.execute(
            sa.text("SELECT pid FROM pg_stat_activity WHERE application_name = :name"), {"name": application}
        ).scalars()
        found = {}
        for pid in pids:
            with suppress(OSError):  # a connection closed meanwhile
                found[int(pid)] = _cpu(int(pid))
    return found


def one_database(backend: str) -> list[Row]:
    fw = load_builtin(FRAMEWORK)
    text = answers_csv(fw, RESPONDENTS)
    lines = text.rstrip("\n").split("\n")
    last = lines[-1].split(",")
    last[-2] = "seven"  # the last row's last answer is not an option: the whole file must be read to find it
    bad = "\n".join([*lines[:-1], ",".join(last)]) + "\n"
    url, remove = _database(backend, "import")
    engine = make_engine(url)
    notes: dict[str, str] = {}
    try:
        seeded = _seed(url, engine)
        cpu = time.process_time()
        bare, bare_server_cpu = bare_insert(engine, seeded.scratch, fw, RESPONDENTS)
        bare_cpu = time.process_time() - cpu  # SQLite works in this process; PostgreSQL's server apart
        # The app's connections are named, so that the PostgreSQL server's CPU for the import can be read: the
        # wall time of the import moves with whatever else the machine runs, the CPU seconds do not.
        application = f"cxm-bench-import-{secrets.token_hex(4)}"
        app_url = f"{url}&application_name={application}" if backend == "postgresql" else url
        env = {
            "CXM_DATABASE_URL": app_url,
            "CXM_SECRET_KEY": SECRET,
            # The file: 18,000 x 37 = 666,000 values, above the default of 200,000.
            "CXM_MAX_IMPORT_VALUES": str(RESPONDENTS * len(fw.indicator_keys)),
            "CXM_MAX_UPLOAD_BYTES": str(max(5 * 1024 * 1024, len(text.encode()) + 1024)),
            # Timed here is the import itself, in the request that answers when the respondents are stored; above
            # CXM_IMPORT_JOB_BYTES the same import runs as a queue job instead (tests/queue/test_long_jobs.py), and
            # its 202 would say nothing about how long the import takes.
            "CXM_IMPORT_JOB_BYTES": str(len(text.encode()) * 2),
        }
        process, address = _serve("cxmaturity.web.asgi:app", env)
        headers = {"Authorization": f"Bearer {seeded.api_token}"}
        api = f"{address}/api/v1/assessments/{seeded.target}"
        try:
            with (
                httpx.Client(timeout=600, headers=headers) as client,
                respondent_running(address, seeded.tokens) as respondent,
            ):
                time.sleep(3)
                respondent.phase = "refused"
                refused, answer, cpu = _timed(
                    lambda: client.post(f"{api}/answers/import", json={"filename": "bad.csv", "text": bad}),
                    process.pid,
                )
                notes["refused"] = f"HTTP {answer.status_code}, server CPU {cpu:.1f} s"
                respondent.phase = "import"
                backends = _backends(engine, application) if backend == "postgresql" else {}
                imported, answer, cpu = _timed(
                    lambda: client.post(f"{api}/answers/import", json={"filename": "big.csv", "text": text}),
                    process.pid,
                )
                notes["import"] = f"HTTP {answer.status_code} {answer.text[:40]}, server CPU {cpu:.1f} s"
                if backend == "postgresql":
                    # Server processes that served the respondent too count: the import's own share is at most this.
                    spent = sum(s - backends.get(pid, 0.0) for pid, s in _backends(engine, application).items())
                    notes["import"] += f", the PostgreSQL server's {spent:.1f} s"
                respondent.phase = "reads"
                reads = []
                for _ in range(3):
                    seconds, answer, _ = _timed(lambda: client.get(f"{api}/results"), process.pid)
                    reads.append(f"results {seconds:.1f} s ({answer.status_code})")
                seconds, answer, _ = _timed(lambda: client.get(f"{api}/export/answers.xlsx"), process.pid)
                reads.append(f"answers.xlsx {seconds:.1f} s ({answer.status_code}, {len(answer.content) >> 10} KiB)")
                notes["reads"] = "; ".join(reads)
                respondent.phase = "after"
        finally:
            process.terminate()
            process.wait(timeout=30)
        with engine.connect() as conn:
            stored = conn.execute(
                sa.text("SELECT count(*) FROM invitation WHERE assessment_id = :a"), {"a": seeded.target}
            ).scalar_one()
    finally:
        engine.dispose()
        remove()
    size = len(text.encode()) / 1e6
    alone, n_alone, f_alone = respondent.p99_ms("alone")
    rows = [
        Row(
            f"bare bulk insert {RESPONDENTS:,} x 37 ({backend})",
            bare,
            1.0,
            f"{'executemany' if backend == 'sqlite' else 'COPY text'}, one transaction, "
            f"this process's CPU {bare_cpu:.1f} s"
            + (f", the PostgreSQL server's {bare_server_cpu:.1f} s" if backend == "postgresql" else "")
            + "; "
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
        ),
        Row(
            f"import {size:.1f} MB via the API ({backend})",
            imported,
            imported / bare,
            f"target < 10 s; {notes['import']}; {stored:,} respondents stored",
            imported < 10 and stored == RESPONDENTS,
        ),
        Row(
            f"refuse a file failing validation ({backend})",
            refused,
            refused / bare,
            f"target < 2 s; {notes['refused']}",
            refused < 2 and notes["refused"].startswith("HTTP 422,"),
        ),
        Row(
            f"respondent saves alone, p99 ({backend})",
            alone / 1000,
            1.0,
            f"{n_alone} saves, {f_alone} failed",
        ),
    ]
    for phase, label in (("import", "during the import"), ("reads", "during results/XLSX reads")):
        p99, n, failed = respondent.p99_ms(phase)
        rows.append(
            Row(
                f"respondent saves {label}, p99 ({backend})",
                p99 / 1000,
                p99 / alone,
                f"target < 300 ms; {n} saves, {failed} failed" + (f"; {notes['reads']}" if phase == "reads" else ""),
                p99 < 300 and failed == 0,
            )
        )
    return rows


def run() -> list[Row]:
    rows: list[Row] = []
    for backend in os.environ.get("CXM_BENCH_IMPORT_BACKENDS", "sqlite,postgresql").split(","):
        rows += one_database(backend)
    return rows
