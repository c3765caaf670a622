"""Results of a stored assessment: answers from the database into the scoring engine, and the stored result.

An assessment's result is computed once per change of its answers (``services.revisions``), not once per look: the
first reader after a change scores and stores it (``stored_result``), later readers rebuild it from there, and
closing an assessment stores it at once. docs/architecture.md, "Stored results".
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import numpy as np
from sqlalchemy import Connection, Table, bindparam, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.dml import Insert

from cxmaturity.frameworks import Framework
from cxmaturity.scoring import ResponseMatrix, Result, ScoringOptions, score
from cxmaturity.scoring.responses import (
    DONT_KNOW_CODE,
    HELD,
    IMPORTED,
    INDEPENDENT,
    MISSING,
    NOT_APPLICABLE_CODE,
)
from cxmaturity.scoring.result import NotScorable, require_scorable
from cxmaturity.scoring.serialize import from_full_data, result_from_dict, result_to_full_dict, to_full_data
from cxmaturity.services import access, revisions
from cxmaturity.services.access import Actor
from cxmaturity.services.assessments import framework_of
from cxmaturity.services.errors import Invalid, ServiceError
from cxmaturity.storage.database import apart, read_only, reading
from cxmaturity.storage.tables import (
    PENDING_IMPORT,
    PUBLIC_LINK,
    Answer,
    Assessment,
    Invitation,
    RespondentGroup,
    StoredResult,
)

BOOTSTRAP = 1000
#: The scoring method's version. Raise it with any change that moves a number of a result (the engine, its defaults,
#: the comments' rules here); stored results of another method are scored again. Changes to the shape of Result and
#: to the scoring package's code are caught without it (``_method``).
SCORING_METHOD = 3


def _method() -> str:
    """Name the method by the version above and a digest of the scoring package's code (the engine and the shape of
    Result), so that a release that scores in any way differently never serves a result stored by another."""
    digest = hashlib.sha256(str(SCORING_METHOD).encode())
    package = resources.files("cxmaturity.scoring")
    for name in sorted(p.name for p in package.iterdir() if p.name.endswith(".py")):
        digest.update(name.encode() + b"\0" + package.joinpath(name).read_bytes())
    return f"{SCORING_METHOD}-{digest.hexdigest()[:16]}"


METHOD = _method()


@dataclass(frozen=True)
class Comment:
    """A respondent's comment: shown with its group only when the group is large enough to hide the person."""

    indicator: str
    competency: str
    group: str | None
    text: str


@dataclass(frozen=True)
class AssessmentResults:
    assessment: Assessment
    framework: Framework
    result: Result
    comments: tuple[Comment, ...]


#: An answer is looked up as one integer: column << 8 | (code + CODE_OFFSET); codes run from -3 to a few dozen.
CODE_OFFSET = 8
UNSCORED = -1


def _cell_codes(fw: Framework) -> dict[tuple[str, str], int]:
    """Map (indicator key, answer key) to the packed column and code of every answer the snapshot accepts."""
    cells: dict[tuple[str, str], int] = {}
    for column, (_, ind) in enumerate(fw.indicators):
        packed = column << 8
        for code, key in enumerate(fw.answer_keys(ind)):
            cells[ind.key, key] = packed | (code + CODE_OFFSET)
        cells[ind.key, "dk"] = packed | (DONT_KNOW_CODE + CODE_OFFSET)
        cells[ind.key, "na"] = packed | (NOT_APPLICABLE_CODE + CODE_OFFSET)
    return cells


def load_responses(
    db: Session, assessment: Assessment, fw: Framework
) -> tuple[ResponseMatrix, list[tuple[int, str, str]]]:
    """Return the answer matrix (respondents in invitation order) and the comments as (row, indicator, text).

    Every invitation with at least one stored row is a respondent. The matrix is built column-wise with numpy from
    the driver's plain tuples (no ORM objects or result rows, one dictionary lookup per answer): 2,000 respondents
    load in well under 100 ms, which keeps the results page fast with the bootstrap included.
    """
    matrix, comments, _ = load_rows(db, assessment, fw)
    return matrix, comments


def load_rows(
    db: Session, assessment: Assessment, fw: Framework
) -> tuple[ResponseMatrix, list[tuple[int, str, str]], tuple[int, ...]]:
    """Return ``load_responses`` and each matrix row's invitation id (for a campaign's units, services/units.py)."""
    conn = db.connection()
    with _no_gc_pauses():
        return _build(conn, assessment, fw)


@contextmanager
def _no_gc_pauses() -> Iterator[None]:
    """Hold off the cyclic garbage collector while tens of thousands of acyclic tuples are created.

    Without this, the collector's full passes over a large heap take as long as the load itself. Only the caller
    that switched it off switches it back on, so concurrent loads never leave it off.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _build(
    conn: Connection, assessment: Assessment, fw: Framework
) -> tuple[ResponseMatrix, list[tuple[int, str, str]], tuple[int, ...]]:
    answer = Answer.__table__.c
    result = conn.execute(
        select(answer.invitation_id, answer.indicator_key, answer.option_key, answer.importance).where(
            answer.assessment_id == assessment.id
        )
    )
    raw = result.cursor.fetchall() if result.cursor is not None else []
    result.close()
    if not raw:
        return ResponseMatrix.empty(fw), [], ()
    group_of_invitation: dict[int, int | None] = {}
    provenance_of_invitation: dict[int, str] = {}
    pending: set[int] = set()
    public: set[int] = set()
    for invitation_id, group_id, source, held in conn.execute(
        select(Invitation.id, Invitation.group_id, Invitation.source, Invitation.held).where(
            Invitation.assessment_id == assessment.id
        )
    ):
        if source == PENDING_IMPORT:
            pending.add(invitation_id)
        elif source == PUBLIC_LINK:
            public.add(invitation_id)
        group_of_invitation[invitation_id] = group_id
        provenance_of_invitation[invitation_id] = provenance_of(source, held)
    if 0 < len(public) < assessment.min_group_size:
        # A public quick link's respondents join the results together, once at least the minimum group size of them
        # have answered: before, the few who answered could be read on their own (services/quick_links.py).
        pending |= public
    if pending:
        # Respondents of an import still being written (services/imports.py): all of it appears at once, or none.
        raw = [row for row in raw if row[0] not in pending]
        if not raw:
            return ResponseMatrix.empty(fw), [], ()
    invitation_ids, indicators, options, importances = zip(*raw, strict=True)
    cells = _cell_codes(fw)
    packed = list(map(cells.get, zip(indicators, options, strict=True)))
    if None in packed:
        # An option the indicator does not have (or "", a page saved empty) counts as missing; an answer to an
        # indicator the snapshot does not have cannot be scored at all.
        columns_of = {ind.key: column for column, (_, ind) in enumerate(fw.indicators)}
        packed = [
            p if p is not None else (columns_of.get(ind, UNSCORED) << 8 | (MISSING + CODE_OFFSET))
            for p, ind in zip(packed, indicators, strict=True)
        ]
    cell = np.fromiter(packed, dtype=np.int64, count=len(packed))
    columns = cell >> 8
    codes = ((cell & 0xFF) - CODE_OFFSET).astype(np.int16)
    ids, row_of = np.unique(np.array(invitation_ids, dtype=np.int64), return_inverse=True)
    row_of = row_of.reshape(-1)
    answers = np.full((len(ids), len(fw.indicator_keys)), MISSING, dtype=np.int16)
    importance_matrix = np.full(answers.shape, np.nan)
    keep = columns >= 0
    answers[row_of[keep], columns[keep]] = codes[keep]
    importance_matrix[row_of[keep], columns[keep]] = np.array(importances, dtype=np.float64)[keep]

    group_names: dict[int, str] = dict(
        conn.execute(
            select(RespondentGroup.id, RespondentGroup.name).where(RespondentGroup.assessment_id == assessment.id)
        ).all()
    )
    groups = tuple(group_names.get(group_of_invitation.get(int(i)) or 0, "") for i in ids)
    provenance = tuple(provenance_of_invitation[int(i)] for i in ids)
    row_of_invitation = {int(i): r for r, i in enumerate(ids)}
    known = set(fw.indicator_keys)
    # Each statement reads the database as it is when it runs (PostgreSQL's READ COMMITTED): a respondent who saved
    # a first page since the answers were read has comments but no row in the matrix yet. Such comments wait for the
    # next read, as their answers do (a report under load answered 500 with a KeyError before).
    comments = [
        (row_of_invitation[invitation_id], indicator, text)
        for invitation_id, indicator, text in conn.execute(
            select(answer.invitation_id, answer.indicator_key, answer.comment).where(
                answer.assessment_id == assessment.id, answer.comment.is_not(None), answer.comment != ""
            )
        )
        if indicator in known and invitation_id in row_of_invitation
    ]
    respondents = tuple(f"respondent-{n}" for n in range(len(ids)))
    matrix = ResponseMatrix(fw, respondents, groups, answers, importance_matrix, provenance=provenance)
    return matrix, comments, tuple(int(i) for i in ids)


def provenance_of(source: str, held: bool) -> str:
    """Return the provenance of an invitation's answers (scoring.responses): imported, held or independent."""
    if source in ("import", PENDING_IMPORT):
        return IMPORTED
    return HELD if held else INDEPENDENT


def options_for(assessment: Assessment) -> ScoringOptions:
    return ScoringOptions(
        min_group_size=assessment.min_group_size,
        bootstrap=BOOTSTRAP,
        seed=assessment.id,
        targets=dict(assessment.targets or {}),
    )


def results(db: Session, actor: Actor, assessment_id: int) -> AssessmentResults:
    """Return the results of the assessment's answers as they are now (viewer and up; others get NotFound)."""
    assessment = access.assessment(db, actor, assessment_id, "viewer")
    return results_of(db, assessment)


def scorable_results(db: Session, actor: Actor, assessment_id: int) -> AssessmentResults:
    """Return the results where a result itself is asked for (the JSON of the API and the results page); raise
    Invalid (422) when there is no usable answer at all, so that nothing is shown as a stage without evidence.

    Pages that show the results read ``results`` instead and say "no usable answers yet" (``ResultsView.has_answers``).
    """
    found = results(db, actor, assessment_id)
    try:
        require_scorable(found.result, f"assessment {assessment_id} ({found.assessment.title})")
    except NotScorable as exc:
        raise Invalid(str(exc)) from exc
    return found


def results_of(db: Session, assessment: Assessment) -> AssessmentResults:
    """Return the results of an assessment the caller has already been allowed to see, as its answers are now.

    Every reader of results comes here (pages, API, reports, exports, progress, plans, benchmarks, the command
    line): the stored result when it was computed at the current answers revision by this scoring method, else the
    answers scored now and stored for the next reader.
    """
    db.flush()  # pending rows of this session (an import, say) are part of "now"
    # The revision is read before the answers. PostgreSQL's statements each see the latest commits, so a save that
    # lands in between is scored but labelled with the older revision: the next view scores again, never the reverse.
    revision = revisions.current(db, assessment.id)
    row = db.connection().execute(_STORED, {"assessment_id": assessment.id}).one_or_none()
    if row is not None and row.revision == revision and row.method == METHOD:
        found = _from_stored(assessment, row.data)
        if found is not None:
            return found
    fresh = _score(db, assessment, BOOTSTRAP)[0]
    store(db, assessment.id, revision, fresh)
    return fresh


def warm(sessions: sessionmaker[Session], actor: Actor, assessment_id: int) -> None:
    """Score and store the assessment's result holding no writer lock (a reading transaction, then a short write),
    so that a change that needs it next (closing) finds it stored rather than scoring while it holds the lock.
    Errors are left to that change to report."""
    with suppress(ServiceError), reading(sessions) as db:
        results(db, actor, assessment_id)


def refresh(db: Session, assessment: Assessment) -> AssessmentResults:
    """Score the assessment now and store the result (closing calls it, so the first view after is fast)."""
    db.flush()
    revision = revisions.current(db, assessment.id)
    fresh = _score(db, assessment, BOOTSTRAP)[0]
    store(db, assessment.id, revision, fresh)
    return fresh


def with_answers(db: Session, assessment: Assessment) -> tuple[AssessmentResults, ResponseMatrix]:
    """Return the results (as ``results_of``) and the answer matrix they come from, for exports of the answers."""
    found = results_of(db, assessment)
    matrix, _ = load_responses(db, assessment, found.framework)
    return found, matrix


_STORED_TABLE: Table = StoredResult.__table__  # type: ignore[assignment]  # declarative models carry their Table
_STORED = select(_STORED_TABLE.c.revision, _STORED_TABLE.c.method, _STORED_TABLE.c.data).where(
    _STORED_TABLE.c.assessment_id == bindparam("assessment_id")
)


def _stored_data(found: AssessmentResults) -> dict[str, Any]:
    return {
        "result": result_to_full_dict(found.result),
        "comments": [to_full_data(c) for c in found.comments],
    }


def _from_stored(assessment: Assessment, data: dict[str, Any]) -> AssessmentResults | None:
    """Rebuild stored results; None when they cannot be trusted, so that they are scored again."""
    try:
        result = result_from_dict(data["result"])
        comments = tuple(from_full_data(Comment, c) for c in data["comments"])
    except (KeyError, TypeError, ValueError):
        return None  # written by a release whose shape this one does not know
    # Settings that change a result are part of it: a change that did not move the revision is still never served.
    if result.options != options_for(assessment):
        return None
    return AssessmentResults(assessment, framework_of(assessment), result, comments)


def store(db: Session, assessment_id: int, revision: int, found: AssessmentResults) -> None:
    """Store results computed at ``revision``, unless a newer revision's are stored already.

    One statement (an upsert), so two first views at once leave one row: on PostgreSQL the second waits for the
    first's commit and then replaces its row with the same result; SQLite runs one writer at a time anyway.
    """
    values = {
        "assessment_id": assessment_id,
        "revision": revision,
        "method": METHOD,
        "data": _stored_data(found),
        "computed_at": datetime.now(UTC),
    }
    if read_only(db):
        # A reader scored the answers of its snapshot with no writer lock held; storing them is a short write of its
        # own. Should a newer revision's result be stored meanwhile, the upsert leaves it.
        with apart(db) as connection:
            connection.execute(_UPSERT[connection.dialect.name], values)
        return
    connection = db.connection()
    connection.execute(_UPSERT[connection.dialect.name], values)


def _upsert(statement: postgresql.Insert | sqlite.Insert) -> Insert:
    table = _STORED_TABLE
    new = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[table.c.assessment_id],
        set_={"revision": new.revision, "method": new.method, "data": new.data, "computed_at": new.computed_at},
        where=or_(table.c.revision <= new.revision, table.c.method != new.method),
    )


_UPSERT = {
    "postgresql": _upsert(postgresql.insert(_STORED_TABLE)),
    "sqlite": _upsert(sqlite.insert(_STORED_TABLE)),
}


def score_now(db: Session, assessment: Assessment, *, bootstrap: int) -> AssessmentResults:
    """Score the answers as they are now with another number of posterior draws, storing nothing (for checks that
    compare the stored result with a fresh one)."""
    return _score(db, assessment, bootstrap)[0]


def _score(db: Session, assessment: Assessment, bootstrap: int) -> tuple[AssessmentResults, ResponseMatrix]:
    fw = framework_of(assessment)
    matrix, raw_comments = load_responses(db, assessment, fw)
    options = replace(options_for(assessment), bootstrap=bootstrap)
    result = score(matrix, options)
    # A comment names its group only when the results show that group (large enough, and not withheld to protect
    # the few left over).
    shown = {g.group for g in result.groups}
    competency_of = {ind.key: comp.key for comp, ind in fw.indicators}
    comments = sorted(
        (
            Comment(indicator, competency_of[indicator], g if g in shown else None, text)
            for r, indicator, text in raw_comments
            for g in [matrix.groups[r]]
        ),
        # Sorted by content, not by respondent, so the order reveals nothing about who wrote what.
        key=lambda c: (c.competency, c.indicator, c.text),
    )
    return AssessmentResults(assessment, fw, result, tuple(comments)), matrix
