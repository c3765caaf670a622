"""Results of a stored assessment: answers from the database into the scoring engine."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from cxmaturity.frameworks import Framework
from cxmaturity.scoring import ResponseMatrix, Result, ScoringOptions, score
from cxmaturity.scoring.responses import DONT_KNOW_CODE, MISSING, NOT_APPLICABLE_CODE
from cxmaturity.scoring.result import NotScorable, require_scorable
from cxmaturity.services import access
from cxmaturity.services.access import Actor
from cxmaturity.services.assessments import framework_of
from cxmaturity.services.errors import Invalid
from cxmaturity.storage.tables import Answer, Assessment, Invitation, RespondentGroup

BOOTSTRAP = 1000


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
) -> tuple[ResponseMatrix, list[tuple[int, str, str]]]:
    answer = Answer.__table__.c
    result = conn.execute(
        select(answer.invitation_id, answer.indicator_key, answer.option_key, answer.importance).where(
            answer.assessment_id == assessment.id
        )
    )
    raw = result.cursor.fetchall() if result.cursor is not None else []
    result.close()
    if not raw:
        return ResponseMatrix.empty(fw), []
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
    group_of_invitation: dict[int, int | None] = dict(
        conn.execute(select(Invitation.id, Invitation.group_id).where(Invitation.assessment_id == assessment.id)).all()
    )
    groups = tuple(group_names.get(group_of_invitation.get(int(i)) or 0, "") for i in ids)
    row_of_invitation = {int(i): r for r, i in enumerate(ids)}
    known = set(fw.indicator_keys)
    comments = [
        (row_of_invitation[invitation_id], indicator, text)
        for invitation_id, indicator, text in conn.execute(
            select(answer.invitation_id, answer.indicator_key, answer.comment).where(
                answer.assessment_id == assessment.id, answer.comment.is_not(None), answer.comment != ""
            )
        )
        if indicator in known
    ]
    matrix = ResponseMatrix(fw, tuple(f"respondent-{n}" for n in range(len(ids))), groups, answers, importance_matrix)
    return matrix, comments


def options_for(assessment: Assessment, bootstrap: int = BOOTSTRAP) -> ScoringOptions:
    return ScoringOptions(
        min_group_size=assessment.min_group_size,
        bootstrap=bootstrap,
        seed=assessment.id,
        targets=dict(assessment.targets or {}),
    )


def results(db: Session, actor: Actor, assessment_id: int, *, bootstrap: int = BOOTSTRAP) -> AssessmentResults:
    """Score the assessment's answers as they are now."""
    assessment = access.assessment(db, actor, assessment_id, "viewer")
    return scored(db, assessment, bootstrap=bootstrap)[0]


def scorable_results(db: Session, actor: Actor, assessment_id: int, *, bootstrap: int = BOOTSTRAP) -> AssessmentResults:
    """Score the assessment's answers where a result itself is asked for (the JSON of the API and the results page);
    raise Invalid (422) when there is no usable answer at all, so that nothing is shown as a stage without evidence.

    Pages that show the results read ``results`` instead and say "no usable answers yet" (``ResultsView.has_answers``).
    """
    found = results(db, actor, assessment_id, bootstrap=bootstrap)
    try:
        require_scorable(found.result, f"assessment {assessment_id} ({found.assessment.title})")
    except NotScorable as exc:
        raise Invalid(str(exc)) from exc
    return found


def scored(
    db: Session, assessment: Assessment, *, bootstrap: int = BOOTSTRAP
) -> tuple[AssessmentResults, ResponseMatrix]:
    """Score an assessment the caller has already been allowed to see; also return the answers that were scored."""
    fw = framework_of(assessment)
    matrix, raw_comments = load_responses(db, assessment, fw)
    result = score(matrix, options_for(assessment, bootstrap))
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
