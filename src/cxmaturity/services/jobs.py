"""The job queue: the one place that knows how background work is queued and run.

On PostgreSQL the queue is procrastinate's, in the same database (its tables come with migration 0013): web
requests and the CLI only add jobs; ``cxm worker`` processes, on as many hosts as wanted, run them (procrastinate
hands each job to one worker, row locks decide). On SQLite the same jobs run in process: a thread of the web
process (or of ``cxm worker``) that sends what is due. Either way the outbox rows (services/outbox.py) are the
truth and a job is only a nudge: a job lost with a process is found again by the next sweep.

Jobs:
- ``cxm.deliver_batch(message_ids)``: send up to ``BATCH`` outbox messages one after another over the worker
  thread's SMTP connection (services/delivery.py), each exactly once: claimed, handed over and finished on its
  own, so a worker killed midway leaves each message of the batch in a state the sweep resolves. One job per message
  cost the queue's own round trips and commits (fetch, finish) per message: a tenth of the time or more.
- ``cxm.deliver(message_id)``: the same for one message (a retry after its back-off; jobs queued before batches).
- ``cxm.sweep``: every CXM_QUEUE_POLL_SECONDS on one worker: take back messages of stopped workers, run the
  schedules (services/schedule.py), and queue what is due without a job (retries after their back-off among them);
  queue again long jobs whose worker stopped (taken over by the next worker; failed after 3 attempts) and run the
  queued ones.
- ``cxm.long_job(job_id)``: a large import or a report file (services/long_jobs.py), on a queue of its own
  (``cxm-jobs``) so that a long one never holds up e-mail; on SQLite, a small pool of threads of its own. The
  CPU-heavy part of a report runs in a child process (services/cpu_pool.py) either way.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from procrastinate.types import JSONValue
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from cxmaturity.services import long_jobs, outbox, schedule
from cxmaturity.services.cpu_pool import CpuPool
from cxmaturity.services.delivery import Delivered, Deliverer, PipelinedHandOver
from cxmaturity.settings import Settings
from cxmaturity.storage.database import transaction

log = logging.getLogger(__name__)

DELIVER = "cxm.deliver"
DELIVER_BATCH = "cxm.deliver_batch"
#: Messages per batch job at most; fewer when there are few, so that every worker thread gets some (``SPREAD``).
BATCH = 100
SPREAD = 8
SWEEP = "cxm.sweep"
QUEUE = "cxm-mail"
LONG_JOB = "cxm.long_job"
LONG_QUEUE = "cxm-jobs"
#: Messages a sweep queues at most at once (the rest in the next sweep).
SWEEP_BATCH = 5000


class JobQueue(Protocol):
    def start(self) -> None: ...

    def enqueue(self, message_ids: list[int]) -> None: ...

    def run_long(self, job_id: int) -> None: ...

    def close(self) -> None: ...


def batches(message_ids: list[int]) -> list[list[int]]:
    """Split messages into batch jobs: at most ``BATCH`` each, and at least ``SPREAD`` jobs when there are enough
    messages, so that a few hundred messages still keep every worker's threads busy."""
    if not message_ids:
        return []
    size = max(1, min(BATCH, -(-len(message_ids) // SPREAD)))
    return [message_ids[start : start + size] for start in range(0, len(message_ids), size)]


def _batch_args(message_ids: list[int]) -> dict[str, JSONValue]:
    return {"message_ids": list(message_ids)}


def sweep(
    sessions: sessionmaker[Session], settings: Settings, now: datetime | None = None
) -> tuple[list[int], list[int]]:
    """Take back stopped workers' messages and run the schedules; return (ids queued by this sweep, ids due)."""
    now = now or datetime.now(UTC)
    with transaction(sessions) as db:
        again, counted = outbox.recover(db, now, timedelta(seconds=settings.queue_lease_seconds))
    if again or counted:
        log.warning("taken back from stopped workers: %d to send again, %d counted as sent", len(again), counted)
    queued = schedule.follow_up(sessions, now)
    with sessions() as db:
        due = outbox.due(db, now, SWEEP_BATCH)
    return again + queued, due


# --- SQLite: in process ----------------------------------------------------------------------------------------


class InProcessQueue:
    """Runs the jobs on a thread of this process: for SQLite, where one process writes at a time anyway."""

    def __init__(self, settings: Settings, sessions: sessionmaker[Session], cpu: CpuPool | None = None) -> None:
        self.settings = settings
        self.sessions = sessions
        self.deliverer = Deliverer(settings, sessions)
        self._own_cpu = cpu is None
        self.cpu = cpu or CpuPool(settings.heavy_threads)
        #: Long jobs on threads of their own (as many as heavy requests), never on the e-mail thread; made by
        #: ``start`` so that a queue closed with its app (the end of a lifespan) serves again when the app restarts.
        self._long: ThreadPoolExecutor | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        #: One round at a time in this process: a round started elsewhere (``cxm worker --until-idle``, a test)
        #: waits for the thread's round to end, and then finds what it left.
        self._round = threading.Lock()
        self._last_sweep = 0.0

    def enqueue(self, message_ids: list[int]) -> None:
        self.start()
        self._wake.set()

    def run_long(self, job_id: int) -> None:
        self._long_pool().submit(self._run_long, job_id)

    def _long_pool(self) -> ThreadPoolExecutor:
        self.start()
        assert self._long is not None  # made by start()
        return self._long

    def _run_long(self, job_id: int) -> None:
        try:
            long_jobs.run(self.sessions, self.settings, self.cpu, job_id)
        except Exception:  # the job's row says failed; a thread of the pool must not end for it
            log.exception("long job %d could not be run", job_id)

    def start(self) -> None:
        with self._lock:
            if self._long is None:
                self._long = ThreadPoolExecutor(
                    max_workers=self.settings.heavy_threads, thread_name_prefix="cxm-long-job"
                )
            if self._thread is None or not self._thread.is_alive():
                self._stop.clear()
                self._thread = threading.Thread(target=self._run, name="cxm-jobs", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        import time

        while not self._stop.is_set():
            # Cleared before the round, so that a message queued during it wakes the next one at once.
            self._wake.clear()
            try:
                self.run_once(sweep_schedules=time.monotonic() - self._last_sweep >= self.settings.queue_poll_seconds)
            except Exception:  # a failed round must not end the thread; the next one tries again
                log.exception("the in-process job runner failed; trying again")
            self._wake.wait(self.settings.queue_poll_seconds)

    def run_once(self, *, sweep_schedules: bool = True) -> int:
        """Run the sweep (when asked) and send every message due; return how many were handled."""
        with self._round:
            return self._round_once(sweep_schedules=sweep_schedules)

    def _round_once(self, *, sweep_schedules: bool) -> int:
        import time

        now = datetime.now(UTC)
        if sweep_schedules:
            self._last_sweep = time.monotonic()
            sweep(self.sessions, self.settings, now)
            for job_id in long_jobs.recover(self.sessions, now, timedelta(seconds=self.settings.queue_lease_seconds)):
                self._long_pool().submit(self._run_long, job_id)
        handled = 0
        while not self._stop.is_set():
            with self.sessions() as db:
                ids = outbox.due(db, datetime.now(UTC), 200)
            if not ids:
                break
            for message_id in ids:
                if self._stop.is_set():
                    break
                self.deliverer.deliver(message_id)
                handled += 1
        return handled

    def run_forever(self) -> None:
        """``cxm worker`` on SQLite: run in the foreground until interrupted."""
        self._thread = threading.current_thread()
        try:
            self._run()
        finally:
            self.deliverer.close()

    def close(self, *, drain: bool = False) -> None:
        """Stop; long jobs not started yet stay queued for the next start (all of them run first when ``drain``)."""
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=30)
        with self._lock:
            pool, self._long = self._long, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=not drain)
        self.deliverer.close()
        if self._own_cpu:
            self.cpu.close()


# --- PostgreSQL: procrastinate ---------------------------------------------------------------------------------


def _conninfo(engine: Engine) -> dict[str, Any]:
    from cxmaturity.storage.database import libpq_conninfo

    conninfo, options = libpq_conninfo(engine)
    return {"conninfo": conninfo, "kwargs": {"options": options}}


class ProcrastinateQueue:
    """Adds jobs to procrastinate's queue from web requests and the CLI (a synchronous connection pool)."""

    def __init__(self, engine: Engine) -> None:
        import procrastinate

        self.app = procrastinate.App(
            connector=procrastinate.SyncPsycopgConnector(**_conninfo(engine), min_size=1, max_size=4)
        )
        self._opened = False
        self._lock = threading.Lock()

    def start(self) -> None:
        """Nothing to start: ``cxm worker`` processes run the jobs."""

    def _open(self) -> None:
        with self._lock:
            if not self._opened:
                self.app.open()
                self._opened = True

    def run_long(self, job_id: int) -> None:
        try:
            self._open()
            self.app.configure_task(name=LONG_JOB, queue=LONG_QUEUE).defer(job_id=job_id)
        except Exception:
            # The job's row is committed (queued): a worker's next sweep runs it.
            log.exception("could not add long job %d to the queue; the next sweep will", job_id)

    def enqueue(self, message_ids: list[int]) -> None:
        if not message_ids:
            return
        try:
            self._open()
            self.app.configure_task(name=DELIVER_BATCH, queue=QUEUE).batch_defer(
                *(_batch_args(b) for b in batches(message_ids))
            )
        except Exception:
            # The messages are in the outbox already (committed): a worker's next sweep queues them. The request
            # that asked for them must not fail for a nudge that did not go out.
            log.exception("could not add %d deliver jobs; the next sweep will", len(message_ids))

    def close(self) -> None:
        with self._lock:
            if self._opened:
                self.app.close()
                self._opened = False


def worker_app(settings: Settings, engine: Engine, sessions: sessionmaker[Session]) -> Any:
    """Return the procrastinate app a worker runs: the deliver and sweep tasks, on an async connection pool."""
    import procrastinate

    app = procrastinate.App(connector=procrastinate.PsycopgConnector(**_conninfo(engine)))
    hand_over = PipelinedHandOver(engine)
    deliverer = Deliverer(settings, sessions, hand_over)
    cpu = CpuPool(settings.heavy_threads)

    @app.task(name=LONG_JOB, queue=LONG_QUEUE)
    def long_job(job_id: int) -> None:
        long_jobs.run(sessions, settings, cpu, job_id)

    def retry_later(message_id: int, outcome: Delivered) -> None:
        if outcome.retry_at is not None:
            app.configure_task(name=DELIVER, queue=QUEUE, schedule_at=outcome.retry_at).defer(message_id=message_id)

    @app.task(name=DELIVER, queue=QUEUE)
    def deliver(message_id: int) -> None:
        retry_later(message_id, deliverer.deliver(message_id))

    @app.task(name=DELIVER_BATCH, queue=QUEUE)
    def deliver_batch(message_ids: list[int]) -> None:
        for message_id, outcome in deliverer.deliver_many(message_ids).items():
            retry_later(message_id, outcome)

    seconds = max(1, round(settings.queue_poll_seconds))
    cron = f"* * * * * */{seconds}" if seconds < 60 else f"*/{max(1, seconds // 60)} * * * *"

    @app.periodic(cron=cron)
    @app.task(name=SWEEP, queue=QUEUE, queueing_lock=SWEEP)
    def sweep_task(timestamp: int) -> None:
        _queued, due = sweep(sessions, settings)
        waiting = _waiting_jobs(sessions)
        missing = [i for i in due if i not in waiting]
        if missing:
            app.configure_task(name=DELIVER_BATCH, queue=QUEUE).batch_defer(*(_batch_args(b) for b in batches(missing)))
        for job_id in _long_jobs_without_a_job(sessions, settings):
            app.configure_task(name=LONG_JOB, queue=LONG_QUEUE).defer(job_id=job_id)

    def close() -> None:
        deliverer.close()
        hand_over.close()
        cpu.close()

    app.close_delivery = close  # type: ignore[attr-defined]
    return app


#: A worker whose heartbeat (procrastinate's, every 10 s) is older than this is taken for dead.
HEARTBEAT_SECONDS = 30


def _waiting_jobs(sessions: sessionmaker[Session], task: str = DELIVER, key: str = "message_id") -> set[int]:
    """The messages (or long jobs) that already have a job waiting in procrastinate's table, to run now (a job
    scheduled for later, a retry whose message was queued again meanwhile, does not count); for messages, those in
    batch jobs too, and in batch jobs a live worker is running (its messages not sent yet are still ``queued``:
    without this, every sweep during a large send would queue them again). A dead worker's running job does not
    count: its messages are queued again."""
    waiting = (
        "(status = 'todo' AND (scheduled_at IS NULL OR scheduled_at <= now()))"
        " OR (status = 'doing' AND worker_id IN (SELECT id FROM procrastinate_workers"
        f" WHERE last_heartbeat > now() - interval '{HEARTBEAT_SECONDS} seconds'))"
    )
    with sessions() as db:
        rows = set(
            db.execute(
                text(f"SELECT (args->>:key)::int FROM procrastinate_jobs WHERE task_name = :task AND ({waiting})"),
                {"task": task, "key": key},
            ).scalars()
        )
        if task == DELIVER:
            rows |= set(
                db.execute(
                    text(
                        "SELECT jsonb_array_elements_text(args->'message_ids')::int FROM procrastinate_jobs"
                        f" WHERE task_name = :task AND ({waiting})"
                    ),
                    {"task": DELIVER_BATCH},
                ).scalars()
            )
        return rows


def _long_jobs_without_a_job(sessions: sessionmaker[Session], settings: Settings) -> list[int]:
    """Fail long jobs whose worker stopped; return the queued ones that have no procrastinate job waiting."""
    lease = timedelta(seconds=settings.queue_lease_seconds)
    waiting = _waiting_jobs(sessions, LONG_JOB, "job_id")
    return [i for i in long_jobs.recover(sessions, datetime.now(UTC), lease) if i not in waiting]


def run_worker(
    settings: Settings,
    engine: Engine,
    *,
    concurrency: int = 4,
    until_idle: bool = False,
    on_start: Callable[[], None] | None = None,
) -> None:
    """Run a worker in the foreground until stopped (SIGINT/SIGTERM), or until no job is left (``until_idle``)."""
    from cxmaturity.storage.database import make_sessionmaker

    sessions = make_sessionmaker(engine)
    if engine.dialect.name != "postgresql":
        runner = InProcessQueue(settings, sessions)
        if on_start:
            on_start()
        if until_idle:
            runner.run_once()
            runner.close(drain=True)
        else:
            runner.run_forever()
        return
    app = worker_app(settings, engine, sessions)
    if on_start:
        on_start()
    try:
        # The first sweep at once: messages queued while no worker ran are due now. A failed sweep is logged and
        # left to the periodic one: the worker must start all the same.
        try:
            _queued, due = sweep(sessions, settings)
            waiting = _waiting_jobs(sessions)
            missing = [i for i in due if i not in waiting]
            long_missing = _long_jobs_without_a_job(sessions, settings)
        except Exception:
            log.exception("the first sweep failed; the periodic sweep will try again")
            missing, long_missing = [], []
        if missing or long_missing:
            adder = ProcrastinateQueue(engine)
            try:
                adder.enqueue(missing)
                for job_id in long_missing:
                    adder.run_long(job_id)
            finally:
                adder.close()
        # Signal handlers (a clean stop on SIGTERM) only where they can be: in a process's main thread.
        app.run_worker(
            queues=[QUEUE, LONG_QUEUE],
            concurrency=concurrency,
            wait=not until_idle,
            install_signal_handlers=threading.current_thread() is threading.main_thread(),
        )
    finally:
        app.close_delivery()


def for_app(
    settings: Settings, engine: Engine, sessions: sessionmaker[Session], cpu: CpuPool | None = None
) -> JobQueue:
    """Return the queue the web app adds jobs to: procrastinate's on PostgreSQL, an in-process one on SQLite (whose
    long jobs use the app's pool of child processes, ``cpu``)."""
    if engine.dialect.name == "postgresql":
        return ProcrastinateQueue(engine)
    return InProcessQueue(settings, sessions, cpu)
