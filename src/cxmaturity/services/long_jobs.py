"""Long jobs: work too long for a web request (a large answers import, a report file), done by the job queue.

A request only records the job (a ``long_job`` row, state ``queued``) and asks the queue to run it
(services/jobs.py: procrastinate's worker on PostgreSQL, a thread of the web process on SQLite); it answers at once
with the job, whose page and API resource show its progress until it is ``done`` or ``failed``. The row is the
truth and the queue's job only a nudge, as for e-mail: a job queued while no worker ran is found by the next sweep,
and a running job whose worker died (no progress for ``CXM_QUEUE_LEASE_SECONDS``) is queued again by it and taken
over by the next worker, up to ``MAX_ATTEMPTS`` attempts in all (then it fails).

Taken over exactly once: each attempt holds a random ``claim``; only the attempt holding it moves the job on or
finishes it, so a worker thought dead that wakes up changes nothing (its next step finds the claim gone, and it
deletes what it wrote). An import records the respondents it wrote in the same transaction as each batch; the next
attempt first deletes exactly those, and the job is marked done in the same transaction that makes the import
visible, so an import is complete once, or not at all.

- An import is the same all-or-nothing import as a small one (services/imports.py), with its progress counted in
  respondents written; when it fails, nothing was imported and the error names the file, row and column.
- A report is read from the database as the member who asked sees it (a short read-only transaction), then completed,
  drawn and written in a child process (services/cpu_pool.py), which tells the job's thread how far it got: each unit
  of a campaign scored (its intervals: a scoring per unit, most of the time of a report over many units), the charts
  (a deck's one by one), each page laid out (a deck: each slide built), the file written. That thread writes the
  progress (``done``/``total`` and the ``stage``) in short transactions of its own, at most every
  ``PROGRESS_SECONDS``, so no transaction is open while the child works and the job's lease is kept alive by a long
  report. Its file is kept on the job for download.

Only members of the job's organization see it: a report job as any member may see the report (viewer and up), an
import job as facilitators (who may import). Anyone else gets 404, as for any id of another organization.
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from cxmaturity.i18n import N_
from cxmaturity.i18n.phrase import Phrase, phrase
from cxmaturity.reporting.render_html import PaperName
from cxmaturity.services import access, imports, reports
from cxmaturity.services.access import Actor
from cxmaturity.services.cpu_pool import CpuPool
from cxmaturity.services.errors import Conflict, NotFound, ServiceError
from cxmaturity.settings import Settings
from cxmaturity.storage.database import reading, transaction
from cxmaturity.storage.tables import LongJob

log = logging.getLogger(__name__)

IMPORT = "answers.import"
REPORT = "report"
#: The role a kind of job needs, to start it and to see it.
ROLE = {IMPORT: "facilitator", REPORT: "viewer"}
#: A report's steps besides one per unit of a campaign: the results read, the charts drawn, the pages laid out (a
#: deck's slides built), the file written.
REPORT_STEPS = 4
#: A report's progress is written at most this often (a step to the next stage always is).
PROGRESS_SECONDS = 0.5
#: The report's steps that need no number, as their page says them.
STEPS = {
    "reading": N_("Reading the results"),
    "charts": N_("Drawing the charts"),
    "writing": N_("Writing the file"),
}
#: Attempts a job gets when its workers die under it (a job that kills its worker each time must stop somewhere).
MAX_ATTEMPTS = 3
#: Finished jobs (their files) are deleted after this long.
KEPT_FOR = timedelta(days=1)


@dataclass(frozen=True)
class JobView:
    """What a member sees of a job."""

    id: int
    kind: str
    state: str
    assessment_id: int
    done: int
    total: int
    #: Where a report job is (``LongJob.stage``): {"step": ..., "n": ..., "of": ...}; None for an import.
    stage: dict[str, Any] | None
    result: dict[str, Any] | None
    error: dict[str, Any] | None
    created_at: datetime
    finished_at: datetime | None

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")

    @property
    def stage_text(self) -> Phrase | None:
        """Where a report job is, as a sentence (English as a string; in the reader's language through the pages'
        ``tr`` filter): "Scoring unit 12 of 200"; None when the job has no stage (an import, a finished report)."""
        stage = self.stage or {}
        step = stage.get("step")
        if step == "unit":
            return phrase(N_("Scoring unit %(n)d of %(of)d"), n=int(stage["n"]), of=int(stage["of"]))
        if step == "chart":
            return phrase(N_("Drawing chart %(n)d of %(of)d"), n=int(stage["n"]), of=int(stage["of"]))
        if step == "page":
            return phrase(N_("Laying out page %(n)d"), n=int(stage["n"]))
        if step == "slide":
            return phrase(N_("Building slide %(n)d"), n=int(stage["n"]))
        if step in STEPS:
            return phrase(STEPS[step])
        return None

    @property
    def percent(self) -> int:
        if self.state == "done":
            return 100
        return int(100 * self.done / self.total) if self.total else 0

    @classmethod
    def of(cls, job: LongJob) -> JobView:
        return cls(
            job.id,
            job.kind,
            job.state,
            job.assessment_id,
            job.done,
            job.total,
            job.stage,
            job.result,
            job.error,
            job.created_at,
            job.finished_at,
        )


def start_import(
    db: Session, actor: Actor, assessment_id: int, filename: str, text: str, *, allow_duplicate: bool = False
) -> int:
    """Record an import of ``text`` into the assessment (facilitator and up) as a queued job; return its id.

    A file the assessment already holds is refused here, before it is queued (and again when the job runs)."""
    assessment = access.assessment(db, actor, assessment_id, ROLE[IMPORT])
    if assessment.status == "closed":
        raise Conflict(N_("the assessment is closed; reopen it to import answers"))
    name = Path(filename or "answers.csv").name
    if not allow_duplicate:
        imports.refuse_repeat(db, assessment.organization_id, assessment_id, name, imports.fingerprint(text))
    job = LongJob(
        organization_id=assessment.organization_id,
        assessment_id=assessment_id,
        kind=IMPORT,
        params={"filename": name, **({"allow_duplicate": True} if allow_duplicate else {})},
        input=text,
        created_by=actor.user_id,
    )
    db.add(job)
    db.flush()
    return job.id


def start_report(
    db: Session, actor: Actor, assessment_id: int, fmt: str, paper: str = "a4", language: str | None = None
) -> int:
    """Record a report file of the assessment (viewer and up) as a queued job; return its id."""
    chosen, size = reports.check_format(fmt, paper)
    assessment = access.assessment(db, actor, assessment_id, ROLE[REPORT])
    job = LongJob(
        organization_id=assessment.organization_id,
        assessment_id=assessment_id,
        kind=REPORT,
        params={"format": chosen, "paper": size, "language": reports.check_language(language)},
        total=REPORT_STEPS,
        created_by=actor.user_id,
    )
    db.add(job)
    db.flush()
    return job.id


def _visible(db: Session, actor: Actor, job_id: int) -> LongJob:
    job = db.get(LongJob, job_id)
    if job is None:
        raise NotFound(N_("no such job"))
    try:
        access.assessment(db, actor, job.assessment_id, ROLE.get(job.kind, "facilitator"))
    except NotFound:
        raise NotFound(N_("no such job")) from None
    return job


def get(db: Session, actor: Actor, job_id: int) -> JobView:
    """Return the job if the actor is a member of its organization with the role its kind needs."""
    return JobView.of(_visible(db, actor, job_id))


def report_file(db: Session, actor: Actor, job_id: int) -> reports.ReportFile:
    """Return the file a finished report job made."""
    job = _visible(db, actor, job_id)
    if job.kind != REPORT:
        raise NotFound(N_("this job made no file"))
    if job.state != "done" or job.output is None or job.result is None:
        raise Conflict(
            phrase(N_("the report is not ready yet (%(state)s); try again when the job is done"), state=job.state)
        )
    return reports.ReportFile(job.output, str(job.result["media_type"]), str(job.result["filename"]))


# --- running --------------------------------------------------------------------------------------------------


class TakenOver(Conflict):
    """This attempt no longer holds the job: its worker was taken for dead and another attempt runs it."""


def _claim(sessions: sessionmaker[Session], job_id: int) -> LongJob | None:
    """Take a queued job (only one worker can); return it, or None when it is not queued (taken, done, gone).
    What an earlier attempt of an import wrote before its worker died is deleted first."""
    claim = secrets.token_hex(8)
    with transaction(sessions) as db:
        taken = db.execute(
            update(LongJob)
            .where(LongJob.id == job_id, LongJob.state == "queued")
            .values(state="running", updated_at=datetime.now(UTC), claim=claim, attempts=LongJob.attempts + 1)
        )
        if cast(Any, taken).rowcount != 1:
            return None
        job = db.get(LongJob, job_id)
        assert job is not None
        _ = job.input  # loaded before the session ends (deferred)
        db.expunge(job)
    if job.written:
        gone = imports.discard_runs(sessions, job.assessment_id, job.written)
        log.warning("long job %d: deleted the %d respondents its stopped attempt had written", job_id, gone)
        _held(sessions, job, written=None)
    return job


def _held(sessions: sessionmaker[Session], job: LongJob, db: Session | None = None, **values: Any) -> None:
    """Change the job if this attempt still holds it; raise :class:`TakenOver` if not."""
    statement = (
        update(LongJob)
        .where(LongJob.id == job.id, LongJob.claim == job.claim, LongJob.state == "running")
        .values(updated_at=datetime.now(UTC), **values)
    )
    if db is not None:
        changed = db.execute(statement)
    else:
        with transaction(sessions) as own:
            changed = own.execute(statement)
    if cast(Any, changed).rowcount != 1:
        raise TakenOver("the job was taken over by another worker; this attempt stops")


def _progress(
    sessions: sessionmaker[Session], job: LongJob, done: int, total: int, stage: dict[str, Any] | None = None
) -> None:
    _held(sessions, job, done=done, total=total, stage=stage)


def _finish(sessions: sessionmaker[Session], job: LongJob, db: Session | None = None, **values: Any) -> None:
    _held(sessions, job, db, input=None, finished_at=datetime.now(UTC), written=None, claim=None, **values)


def run(sessions: sessionmaker[Session], settings: Settings, pool: CpuPool, job_id: int) -> str | None:
    """Run a queued job to its end; return its final state (None: it was not queued, someone else runs it)."""
    job = _claim(sessions, job_id)
    if job is None:
        return None
    try:
        if job.created_by is None:
            raise Conflict(N_("the account that started this job was deleted; nothing was done"))
        actor = Actor(job.created_by)
        if job.kind == IMPORT:
            held = job
            written: list[int] = []

            def journal(db: Session, ids: list[int]) -> None:
                written.extend(ids)
                _held(sessions, held, db, written=imports.runs(written))

            imports.import_answers(
                sessions,
                actor,
                job.assessment_id,
                str(job.params.get("filename", "answers.csv")),
                job.input or "",
                max_values=settings.max_import_values,
                progress=lambda done, total: _progress(sessions, held, done, total),
                journal=journal,
                finishing=lambda db, count: _finish(sessions, held, db, state="done", result={"imported": count}),
                allow_duplicate=bool(job.params.get("allow_duplicate")),
            )
        else:
            file = _report(sessions, settings, pool, actor, job)
            _finish(
                sessions,
                job,
                state="done",
                done=job.total,
                stage=None,
                output=file.content,
                result={"filename": file.filename, "media_type": file.media_type, "bytes": len(file.content)},
            )
        return "done"
    except TakenOver:
        log.warning("long job %d was taken over by another worker; this attempt stopped", job_id)
        return None
    except ServiceError as exc:
        error = {"message": exc.message, "field": exc.field, "details": exc.details[:100]}
    except Exception:
        log.exception("long job %d (%s) failed", job_id, job.kind)
        error = {"message": "the job failed on the server (see its log); nothing was imported or saved"}
    try:
        _finish(sessions, job, state="failed", error=error)
    except TakenOver:
        return None
    return "failed"


def _report(
    sessions: sessionmaker[Session], settings: Settings, pool: CpuPool, actor: Actor, job: LongJob
) -> reports.ReportFile:
    params = job.params
    with reading(sessions) as db:
        draft = reports.draft(db, actor, job.assessment_id, settings.benchmark_min_cohort, params.get("language"))
    # Steps: reading, each unit, the charts, the layout, the file; ``job.total`` is their sum once units are known.
    units = draft.unit_count
    job.total = REPORT_STEPS + units
    _progress(sessions, job, 1, job.total, {"step": "reading"})
    last_step, last_at = "reading", time.monotonic()

    def progress(stage: reports.Stage, n: int, of: int) -> None:
        nonlocal last_step, last_at
        if stage == "unit":
            done, where = 1 + n, {"step": "unit", "n": n, "of": of}
        elif stage == "charts":
            done, where = 1 + units, {"step": "charts"}
        elif stage == "chart":  # a deck draws its charts one by one: the same step, told chart by chart
            done, where = 1 + units, {"step": "chart", "n": n, "of": of}
        elif stage in ("page", "slide"):  # a PDF's pages laid out, a deck's slides built: the same step
            done, where = 2 + units, {"step": stage, "n": n}
        else:
            done, where = 3 + units, {"step": "writing"}
        now = time.monotonic()
        # Every step to a new stage is written; within one (units, pages) at most every PROGRESS_SECONDS.
        last_of_many = stage in ("unit", "chart") and n == of
        if where["step"] == last_step and now - last_at < PROGRESS_SECONDS and not last_of_many:
            return
        last_step, last_at = str(where["step"]), now
        _progress(sessions, job, done, job.total, where)

    paper = cast(PaperName, params.get("paper", "a4"))
    return reports.render_draft_in(pool, draft, cast(reports.ReportFormat, params["format"]), paper, progress)


def recover(sessions: sessionmaker[Session], now: datetime, lease: timedelta) -> list[int]:
    """Queue again running jobs whose worker stopped (no progress for ``lease``), or fail them after
    ``MAX_ATTEMPTS``; delete old finished ones; return the ids of queued jobs (to run: their nudge may have been lost
    with a process, and a job queued again here has none)."""
    stale = (LongJob.state == "running", LongJob.updated_at < now - lease)
    with transaction(sessions) as db:
        again = db.execute(
            update(LongJob)
            .where(*stale, LongJob.attempts < MAX_ATTEMPTS)
            .values(state="queued", claim=None, updated_at=now)
        )
        if cast(Any, again).rowcount:
            log.warning("%d long jobs whose worker stopped are queued again", cast(Any, again).rowcount)
        leftovers: list[tuple[int, list[list[int]]]] = []
        for job in db.scalars(select(LongJob).where(*stale)):
            if job.written:
                leftovers.append((job.assessment_id, job.written))
            job.written = None
            job.state, job.input, job.finished_at, job.claim = "failed", None, now, None
            job.error = {
                "message": f"the workers running this job stopped {job.attempts} times; nothing was imported or "
                "saved: start it again"
            }
        old = list(db.scalars(select(LongJob.id).where(LongJob.finished_at < now - KEPT_FOR)))
        for job_id in old:
            found = db.get(LongJob, job_id)
            if found is not None:
                db.delete(found)
    # After the commit, in batches of their own: what the last attempt wrote (pending, seen by no reader).
    for assessment_id, written in leftovers:
        imports.discard_runs(sessions, assessment_id, written)
    with sessions() as db:
        return list(db.scalars(select(LongJob.id).where(LongJob.state == "queued").order_by(LongJob.id)))
