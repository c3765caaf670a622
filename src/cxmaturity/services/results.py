"""Results of a stored assessment: answers from the database into the scoring engine."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from cxmaturity.frameworks import Framework
from cxmaturity.scoring import ResponseMatrix, Result, ScoringOptions, score
from cxmaturity.scoring.responses import DONT_KNOW_CODE, MISSING, NOT_APPLICABLE_CODE
from cxmaturity.services import access
from cxmaturity.services.access import Actor
from cxmaturity.services.assessments import framework_of
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


def _cell_codes(fw: Framework) -> dict[tuple[str, str], tuple[int, int]]:
    """Map (indicator key, answer key) to (column, answer code) for every answer the snapshot accepts."""
    cells: dict[tuple[str, str], tuple[int, int]] = {}
    for column, (_, ind) in enumerate(fw.indicators):
        for code, key in enumerate(fw.answer_keys(ind)):
            cells[ind.key, key] = (column, code)
        cells[ind.key, "dk"] = (column, DONT_KNOW_CODE)
        cells[ind.key, "na"] = (column, NOT_APPLICABLE_CODE)
        cells[ind.key, ""] = (column, MISSING)  # a page saved empty, or an importance/comment without an answer
    return cells


def load_responses(
    db: Session, assessment: Assessment, fw: Framework
) -> tuple[ResponseMatrix, list[tuple[int, str, str]]]:
    """Return the answer matrix (respondents in invitation order) and the comments as (row, indicator, text).

    The matrix is built column-wise with numpy from plain Core rows (no ORM objects, no per-answer Python work
    beyond one dictionary lookup): 2,000 respondents load in tens of milliseconds, which keeps the results page fast
    with the bootstrap included. Every invitation with at least one stored row is a respondent.
    """
    conn = db.connection()
    answer = Answer.__table__.c
    rows = conn.execute(
        select(answer.invitation_id, answer.indicator_key, answer.option_key, answer.importance).where(
            answer.assessment_id == assessment.id
        )
    ).all()
    if not rows:
        return ResponseMatrix.empty(fw), []
    invitation_ids, indicators, options, importances = zip(*rows, strict=True)
    cells = _cell_codes(fw)
    columns_of = {ind.key: column for column, (_, ind) in enumerate(fw.indicators)}
    # An answer to an indicator the snapshot does not have cannot be scored (column -1 is dropped below); an option
    # the indicator does not have counts as missing.
    found = [
        cells.get(pair) or (columns_of.get(pair[0], -1), MISSING) for pair in zip(indicators, options, strict=True)
    ]
    columns = np.fromiter((c for c, _ in found), dtype=np.intp, count=len(found))
    codes = np.fromiter((k for _, k in found), dtype=np.int16, count=len(found))
    ids, row_of = np.unique(np.array(invitation_ids, dtype=np.int64), return_inverse=True)
    row_of = row_of.reshape(-1)
    answers = np.full((len(ids), len(columns_of)), MISSING, dtype=np.int16)
    importance_matrix = np.full(answers.shape, np.nan)
    keep = columns >= 0
    answers[row_of[keep], columns[keep]] = codes[keep]
    importance_matrix[row_of[keep], columns[keep]] = np.array(importances, dtype=np.float64)[keep]

    group_names = dict(
        conn.execute(
            select(RespondentGroup.id, RespondentGroup.name).where(RespondentGroup.assessment_id == assessment.id)
        )
        .tuples()
        .all()
    )
    group_of_invitation = dict(
        conn.execute(select(Invitation.id, Invitation.group_id).where(Invitation.assessment_id == assessment.id))
        .tuples()
        .all()
    )
    groups = tuple(group_names.get(group_of_invitation.get(int(i)) or 0, "") for i in ids)
    row_of_invitation = {int(i): r for r, i in enumerate(ids)}
    comments = [
        (row_of_invitation[invitation_id], indicator, text)
        for invitation_id, indicator, text in conn.execute(
            select(answer.invitation_id, answer.indicator_key, answer.comment).where(
                answer.assessment_id == assessment.id, answer.comment.is_not(None), answer.comment != ""
            )
        ).tuples()
        if indicator in columns_of
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
    fw = framework_of(assessment)
    matrix, raw_comments = load_responses(db, assessment, fw)
    result = score(matrix, options_for(assessment, bootstrap))
    sizes: dict[str, int] = {}
    for g in matrix.groups:
        sizes[g] = sizes.get(g, 0) + 1
    competency_of = {ind.key: comp.key for comp, ind in fw.indicators}
    comments = sorted(
        (
            Comment(
                indicator, competency_of[indicator], g if g and sizes[g] >= assessment.min_group_size else None, text
            )
            for r, indicator, text in raw_comments
            for g in [matrix.groups[r]]
        ),
        # Sorted by content, not by respondent, so the order reveals nothing about who wrote what.
        key=lambda c: (c.competency, c.indicator, c.text),
    )
    return AssessmentResults(assessment, fw, result, tuple(comments))
