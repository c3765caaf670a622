"""Results of a stored assessment: answers from the database into the scoring engine."""

from __future__ import annotations

import math
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


def load_responses(
    db: Session, assessment: Assessment, fw: Framework
) -> tuple[ResponseMatrix, list[tuple[int, str, str]]]:
    """Return the answer matrix (respondents in invitation order) and the comments as (row, indicator, text)."""
    groups = {
        g.id: g.name for g in db.scalars(select(RespondentGroup).where(RespondentGroup.assessment_id == assessment.id))
    }
    rows = db.execute(
        select(
            Answer.invitation_id,
            Invitation.group_id,
            Answer.indicator_key,
            Answer.option_key,
            Answer.importance,
            Answer.comment,
        )
        .join(Invitation, Invitation.id == Answer.invitation_id)
        .where(Answer.assessment_id == assessment.id)
        .order_by(Answer.invitation_id)
    ).all()
    column = {key: i for i, key in enumerate(fw.indicator_keys)}
    codes = [
        {**{k: n for n, k in enumerate(fw.answer_keys(ind))}, "dk": DONT_KNOW_CODE, "na": NOT_APPLICABLE_CODE}
        for _, ind in fw.indicators
    ]
    respondent: dict[int, int] = {}
    group_of: list[str] = []
    cells: list[tuple[int, int, int, float]] = []
    comments: list[tuple[int, str, str]] = []
    for invitation_id, group_id, indicator, option, importance, comment in rows:
        i = column.get(indicator)
        if i is None:
            continue  # an answer to an indicator the snapshot does not have cannot be scored
        r = respondent.get(invitation_id)
        if r is None:
            r = respondent[invitation_id] = len(group_of)
            group_of.append(groups.get(group_id, "") if group_id else "")
        code = codes[i].get(option, MISSING)
        cells.append((r, i, code, math.nan if importance is None else float(importance)))
        if comment:
            comments.append((r, indicator, comment))
    answers = np.full((len(group_of), len(column)), MISSING, dtype=np.int16)
    importance_matrix = np.full(answers.shape, np.nan)
    if cells:
        arr = np.array(cells)
        rr, ii = arr[:, 0].astype(np.intp), arr[:, 1].astype(np.intp)
        answers[rr, ii] = arr[:, 2].astype(np.int16)
        importance_matrix[rr, ii] = arr[:, 3]
    matrix = ResponseMatrix(
        fw, tuple(f"respondent-{n}" for n in range(len(group_of))), tuple(group_of), answers, importance_matrix
    )
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
