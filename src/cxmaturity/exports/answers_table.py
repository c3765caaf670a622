"""The answers table (the CLI's wide answers format, so that it can be scored or imported again) and the comments.

Wide form: ``respondent``, ``group``, one column per indicator key with the answer's option key (``dk``, ``na``, or
empty when skipped), then ``K:importance`` per indicator (1-5 or empty). Comments are not in it: a comment next to a
respondent's answers could tell who wrote it, so comments get their own table, as the dashboard shows them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from cxmaturity.answers.csv_reader import GROUP, IMPORTANCE, RESPONDENT
from cxmaturity.exports.anonymity import GroupLabels, pseudonym
from cxmaturity.exports.model import Cell, Column, CommentSource, Table
from cxmaturity.frameworks.model import DONT_KNOW, NOT_APPLICABLE, Framework
from cxmaturity.scoring.responses import DONT_KNOW_CODE, MISSING, NOT_APPLICABLE_CODE, ResponseMatrix
from cxmaturity.scoring.result import Result


def answers_columns(fw: Framework) -> tuple[Column, ...]:
    keys = fw.indicator_keys
    return (
        Column(RESPONDENT, "text", "A pseudonym (R0001, ...) drawn at random for this export."),
        Column(GROUP, "text", "The respondent's group when the results show it; empty otherwise."),
        *(Column(key, "key", "The answer's option key, dk, na, or empty when skipped.") for key in keys),
        *(Column(f"{key}:{IMPORTANCE}", "number", "Importance from 1 to 5, or empty.") for key in keys),
    )


def _importance_cells(importance: npt.NDArray[np.float64]) -> npt.NDArray[np.object_]:
    """Return importance answers as cells: whole numbers as int (typed ``4``, not ``4.0``), others as float, NaN as
    None; done on the whole matrix at once, as a 2,000-respondent export has 100,000s of them."""
    cells = importance.astype(object)
    missing = np.isnan(importance)
    whole = ~missing & (importance == np.round(importance))
    cells[missing] = None
    cells[whole] = importance[whole].astype(np.int64).astype(object)
    return cells


def answers_table(fw: Framework, responses: ResponseMatrix, labels: GroupLabels, order: Sequence[int]) -> Table:
    """Return one row per respondent; row ``k`` is respondent ``order[k]`` under the pseudonym of ``k``."""
    count = len(order)
    rows_of = np.asarray(order, dtype=np.intp)
    answers = responses.answers[rows_of]
    # The answer codes run from NOT_APPLICABLE_CODE (-3) up: shifted by 3 they index a table of cell values.
    shift = -NOT_APPLICABLE_CODE
    special: dict[int, Cell] = {NOT_APPLICABLE_CODE: NOT_APPLICABLE, DONT_KNOW_CODE: DONT_KNOW, MISSING: None}
    answer_columns: list[list[Cell]] = []
    for i, (_, indicator) in enumerate(fw.indicators):
        lookup = np.array([special[c - shift] for c in range(shift)] + list(fw.answer_keys(indicator)), dtype=object)
        answer_columns.append(lookup[answers[:, i].astype(np.intp) + shift].tolist())
    importance = _importance_cells(responses.importance[rows_of])
    importance_columns: list[list[Cell]] = [importance[:, i].tolist() for i in range(len(fw.indicator_keys))]
    rows = list(
        zip(
            [pseudonym(k, count) for k in range(count)],
            [labels.labels[r] for r in order],
            *answer_columns,
            *importance_columns,
            strict=True,
        )
    )
    return Table("answers", answers_columns(fw), rows)


COMMENT_COLUMNS = (
    Column("competency", "text", "The competency's key."),
    Column("indicator", "text", "The indicator's key."),
    Column("indicator_text", "text", "The question, in the framework's language."),
    Column("group", "text", "The writer's group when the results show it; empty otherwise."),
    Column("comment", "text", "The comment as written."),
)


def comments_table(fw: Framework, comments: Sequence[CommentSource], result: Result) -> Table:
    """Return the comments in questionnaire order, then by text: never in the order people wrote them."""
    competency_of = {ind.key: comp.key for comp, ind in fw.indicators}
    position = {key: n for n, key in enumerate(fw.indicator_keys)}
    shown = {g.group for g in result.groups}
    ordered = sorted(
        (c for c in comments if c.indicator in competency_of), key=lambda c: (position[c.indicator], c.text)
    )
    rows = [
        (
            competency_of[c.indicator],
            c.indicator,
            fw.text(fw.indicator(c.indicator).text),
            # As on the dashboard: a group is named only when the scoring itself shows it.
            c.group if c.group in shown else None,
            c.text,
        )
        for c in ordered
    ]
    return Table("comments", COMMENT_COLUMNS, rows)
