"""Data exports of an assessment: anonymized answers, comments, results and the saved plan as CSV, XLSX or JSON.

Any member of the assessment's organization may download them (viewer role and up, as for the results); outsiders
get "not found". The data are read and scored in the caller's transaction; the file is written afterwards
(:meth:`Download.file`), without the database, since a workbook of thousands of respondents takes a moment: the web
writes it in a child process of its CPU pool (:func:`file_in`), as it draws reports.
The anonymity rules (pseudonyms, group names only for groups the results show) are the domain's:
``cxmaturity.exports``.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from cxmaturity.exports import (
    EXPORTS,
    MEDIA_TYPES,
    ExportError,
    PlanSource,
    Source,
    Wanted,
    build,
    parse_filename,
    wanted,
    write,
)
from cxmaturity.i18n import N_
from cxmaturity.i18n.catalogs import LOCALES
from cxmaturity.i18n.phrase import phrase
from cxmaturity.services import access, audit, plans, results, workshop_state
from cxmaturity.services.access import Actor
from cxmaturity.services.cpu_pool import CpuPool
from cxmaturity.services.errors import NotFound
from cxmaturity.storage.tables import Assessment


@dataclass(frozen=True)
class ExportFile:
    filename: str
    media_type: str
    body: bytes


@dataclass(frozen=True)
class Headers:
    """In which language a file's headers (and a workbook's sheet names) are written (docs/exports.md, "Headers and
    languages"): the stable names unless a language is asked for (``?lang=``), except that a workbook, which people
    open, is in its reader's language (the page's, or the API caller's ``Accept-Language``) unless ``stable``
    (``?headers=keys``). JSON always keeps the stable names. The same rule for the web page and the API."""

    #: A language asked for explicitly (``?lang=``); ignored when not one of the catalogs'.
    asked: str | None = None
    #: The requester's language (the page's, or negotiated from ``Accept-Language``); only workbooks follow it.
    reader: str | None = None
    #: The stable, machine-readable names whatever else is asked (``?headers=keys``).
    stable: bool = False

    def language(self, fmt: str) -> str | None:
        if self.stable or fmt == "json":
            return None
        if self.asked in LOCALES:
            return self.asked
        return self.reader if fmt == "xlsx" and self.reader in LOCALES else None


@dataclass(frozen=True)
class Download:
    """An export's data, read and checked; :meth:`file` writes it."""

    assessment_id: int
    wanted: Wanted
    source: Source
    #: The headers' language (``Headers.language``); None: the stable names.
    language: str | None = None

    @property
    def filename(self) -> str:
        synthetic = "-synthetic" if self.source.synthetic else ""
        return f"assessment-{self.assessment_id}-{self.wanted.name}{synthetic}.{self.wanted.format}"

    def file(self, rng: random.Random | None = None) -> ExportFile:
        """Write the file; ``rng`` draws the order of the pseudonyms (by default from the operating system)."""
        export = build(self.source, self.wanted.name, rng)
        body = write(export, self.wanted.format, self.language)
        return ExportFile(self.filename, MEDIA_TYPES[self.wanted.format], body)


def file_in(pool: CpuPool, found: Download) -> ExportFile:
    """``found.file()`` in a child process of ``pool``: a workbook of thousands of respondents is a second or more of
    pure Python, which in the web worker would hold the interpreter that respondents' saves and page views share."""
    return pool.run(write_file, found)


def write_file(found: Download) -> ExportFile:
    """Write a download's file (module-level, so that a child process of the CPU pool can run it)."""
    return found.file()


def parse(name: str, fmt: str) -> Wanted:
    """Return the export and format asked for; NotFound, with what exists, for anything else."""
    try:
        return wanted(name, fmt)
    except ExportError as exc:
        raise NotFound(str(exc)) from None


def parse_file(filename: str) -> Wanted:
    """Return what a download name such as ``answers.csv`` asks for; NotFound, with what exists, for anything else."""
    try:
        return parse_filename(filename)
    except ExportError as exc:
        raise NotFound(str(exc)) from None


def download(
    db: Session, actor: Actor, assessment_id: int, name: str, fmt: str, headers: Headers = Headers()
) -> Download:
    """Read the export ``name`` in format ``fmt`` of an assessment the actor may see (viewer and up)."""
    return _for(db, actor, assessment_id, lambda: parse(name, fmt), headers)


def download_file(
    db: Session, actor: Actor, assessment_id: int, filename: str, headers: Headers = Headers()
) -> Download:
    """Read the export a download name (``answers.csv``, ``all.xlsx``) asks for, as :func:`download` does."""
    return _for(db, actor, assessment_id, lambda: parse_file(filename), headers)


def _for(db: Session, actor: Actor, assessment_id: int, asked: Callable[[], Wanted], headers: Headers) -> Download:
    # The assessment is checked before the name, so that a wrong name tells an outsider nothing either.
    assessment = access.assessment(db, actor, assessment_id, "viewer")
    chosen = asked()
    found = replace(_download(db, assessment, chosen), language=headers.language(chosen.format))
    audit.record(
        db,
        "assessment.export",
        organization_id=assessment.organization_id,
        user_id=actor.user_id,
        target=str(assessment.id),
        file=chosen.filename,
    )
    return found


def download_as_operator(
    db: Session, assessment_id: int, name: str, fmt: str, headers: Headers = Headers()
) -> Download:
    """The same export for ``cxm export``, which reads the database with the server's own credentials (whoever can
    run it can read the database anyway); the anonymity rules are the same."""
    chosen = parse(name, fmt)
    assessment = db.get(Assessment, assessment_id)
    if assessment is None:
        raise NotFound(
            phrase(N_("there is no assessment %(assessment_id)s in this database"), assessment_id=assessment_id)
        )
    return replace(_download(db, assessment, chosen), language=headers.language(chosen.format))


def _download(db: Session, assessment: Assessment, chosen: Wanted) -> Download:
    plan: PlanSource | None = None
    if "plan" in EXPORTS[chosen.name]:
        saved = plans.latest_of(db, assessment)
        if saved is None and chosen.name == "plan":
            raise NotFound(N_("this assessment has no saved plan yet: make one on its plan page first"))
        if saved is not None:
            plan = PlanSource(saved.plan, saved.start_date, plan_document(saved))
    scored, matrix = results.with_answers(db, assessment)
    source = Source(
        title=assessment.title,
        framework=scored.framework,
        responses=matrix,
        result=scored.result,
        exported_at=datetime.now(UTC),
        comments=scored.comments,
        plan=plan,
        synthetic=bool(assessment.synthetic),
        workshop=workshop_state.record_of(db, assessment) if chosen.name == "all" else None,
    )
    return Download(assessment.id, chosen, source)


def plan_document(saved: plans.SavedPlan) -> dict[str, Any]:
    """The plan's JSON as the API returns it: ``cxm plan --format json`` plus the version it was saved as."""
    info = saved.info
    created = info.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    version = {
        "number": info.number,
        "created_at": created,
        "created_by": info.author,
        "note": info.note,
        "status": info.status,
    }
    return {**saved.data, "saved": version}
