"""Collect answers one by one, check each against the framework, and build a :class:`ResponseMatrix`.

Every problem names where the answer came from (file, row, column), and nothing is built while any problem remains,
so a half-valid file is never scored.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from cxmaturity.frameworks.model import DONT_KNOW, NOT_APPLICABLE, Framework
from cxmaturity.scoring.responses import (
    DONT_KNOW_CODE,
    IMPORTANCE_MAX,
    IMPORTANCE_MIN,
    MISSING,
    NOT_APPLICABLE_CODE,
    Comment,
    ResponseMatrix,
)

MAX_PROBLEMS = 50

#: Importance cells as most files write them: whole numbers of the range (and none), read without parsing.
_WHOLE: dict[str, float] = {
    "": math.nan,
    **{str(v): float(v) for v in range(int(IMPORTANCE_MIN), int(IMPORTANCE_MAX) + 1)},
}

#: Per indicator of a wide file: its key, the indexes of its answer, importance and comment cells (-1: none), the
#: names of its answer and importance columns, and how an answer cell becomes an option key.
WidePlan = tuple[tuple[str, int, int, int, str, str, Callable[[str], str]], ...]


class Where(NamedTuple):
    """Where an answer came from: a file, a 1-based row (the header is row 1) and a column name.

    A named tuple, not a dataclass: a large file makes one per answer (666,000 for 18,000 respondents x 37), and a
    tuple is made several times faster.
    """

    file: str = "<answers>"
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        out = self.file
        if self.row is not None:
            out += f":{self.row}"
        if self.column is not None:
            out += f" column '{self.column}'"
        return out


@dataclass(frozen=True)
class AnswerProblem:
    where: Where
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class AnswersError(ValueError):
    """Answers that cannot be scored; ``problems`` lists each with its row and column."""

    def __init__(self, problems: list[AnswerProblem]) -> None:
        self.problems = problems
        more = "" if len(problems) < MAX_PROBLEMS else f"\n(stopped after {MAX_PROBLEMS} problems)"
        super().__init__("\n".join(str(p) for p in problems) + more)


class ResponseBuilder:
    """Accumulates answers; :meth:`build` returns the matrix or raises :class:`AnswersError`."""

    def __init__(self, framework: Framework) -> None:
        self.framework = framework
        self._column = {key: i for i, key in enumerate(framework.indicator_keys)}
        self._codes = {
            key: {k: n for n, k in enumerate(framework.answer_keys(framework.indicator(key)))}
            for key in framework.indicator_keys
        }
        self._respondents: dict[str, int] = {}
        self._groups: list[str] = []
        self._group_where: list[Where] = []
        #: The row each (respondent, indicator) was answered on, to name it when a second answer comes.
        self._cells: dict[tuple[int, int], int | None] = {}
        self._rows: list[int] = []
        self._cols: list[int] = []
        self._values: list[int] = []
        self._importance: list[float] = []
        self._comments: list[Comment] = []
        self.problems: list[AnswerProblem] = []

    def error(self, where: Where, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(AnswerProblem(where, message))

    def respondent(self, respondent: str, group: str, where: Where) -> int | None:
        """Register a respondent (and check it stays in one group); return its row index."""
        respondent = respondent.strip()
        group = group.strip()
        if not respondent:
            self.error(where, "respondent id is empty")
            return None
        index = self._respondents.get(respondent)
        if index is None:
            index = len(self._groups)
            self._respondents[respondent] = index
            self._groups.append(group)
            self._group_where.append(where)
        elif self._groups[index] != group:
            first = self._group_where[index]
            self.error(
                where,
                f"respondent '{respondent}' is in group '{group}' here but in group "
                f"'{self._groups[index]}' on row {first.row}",
            )
        return index

    def add(
        self,
        respondent: str,
        group: str,
        indicator: str,
        answer: str,
        where: Where,
        *,
        importance: str | None = None,
        comment: str | None = None,
        importance_where: Where | None = None,
    ) -> None:
        """Check and record one answer. An empty answer means the respondent skipped the indicator."""
        r = self.respondent(respondent, group, where)
        self.add_for(
            r,
            respondent,
            indicator,
            answer,
            where,
            importance=importance,
            comment=comment,
            importance_where=importance_where,
        )

    def row_of(self, respondent: str) -> int | None:
        """Return the row index of a respondent registered before (None when it was not)."""
        return self._respondents.get(respondent.strip())

    def add_for(
        self,
        r: int | None,
        respondent: str,
        indicator: str,
        answer: str,
        where: Where,
        *,
        importance: str | None = None,
        comment: str | None = None,
        importance_where: Where | None = None,
    ) -> None:
        """Check and record one answer of the respondent registered at row ``r`` (None: not registered, its problem
        already reported); readers of one row per respondent call it to register the respondent only once."""
        indicator = indicator.strip()
        column = self._column.get(indicator)
        if column is None:
            self.error(where, f"unknown indicator '{indicator}' in framework {self.framework.id}")
            return
        if r is None:
            return
        if (r, column) in self._cells:
            previous = self._cells[(r, column)]
            self.error(
                where,
                f"second answer of respondent '{respondent.strip()}' to '{indicator}' (first on row {previous})",
            )
            return
        self._cells[(r, column)] = where.row
        code = self._code(indicator, answer.strip(), where)
        if code is None:
            return
        weight = self._importance_value(importance, importance_where or where)
        if code == MISSING and math.isnan(weight) and not comment:
            return
        self._rows.append(r)
        self._cols.append(column)
        self._values.append(code)
        self._importance.append(weight)
        if comment and comment.strip():
            self._comments.append(Comment(indicator, self._groups[r], comment.strip(), r))

    def add_row(
        self, r: int, respondent: str, file: str, row: int, cells: Sequence[str], plan: WidePlan, *, exact: bool
    ) -> None:
        """Check and record a wide row's answers (``plan``: where each indicator's cells are), as ``add_for`` would
        one by one. The common case (an option key as it stands, when ``exact``: no column map renames answers;
        an importance that is a whole number) takes no detour."""
        codes_of, column_of = self._codes, self._column
        for indicator, answer_at, importance_at, comment_at, answer_name, importance_name, mapped in plan:
            answer = cells[answer_at] if answer_at >= 0 else ""
            importance = cells[importance_at] if importance_at >= 0 else ""
            comment = cells[comment_at] if comment_at >= 0 else ""
            if not (answer.strip() or importance.strip() or comment.strip()):
                continue  # an empty cell is a question the respondent skipped, not an error
            column = column_of[indicator]
            key = (r, column)
            if key in self._cells:
                self.add_for(r, respondent, indicator, mapped(answer), Where(file, row, answer_name))
                continue
            code = codes_of[indicator].get(answer) if exact else None
            weight = _WHOLE.get(importance)
            if code is None or weight is None or comment:
                where = Where(file, row, answer_name)
                importance_where = Where(file, row, importance_name) if importance_at >= 0 else None
                self.add_for(
                    r,
                    respondent,
                    indicator,
                    mapped(answer),
                    where,
                    importance=importance if importance_at >= 0 else None,
                    comment=comment if comment_at >= 0 else None,
                    importance_where=importance_where,
                )
                continue
            self._cells[key] = row
            self._rows.append(r)
            self._cols.append(column)
            self._values.append(code)
            self._importance.append(weight)

    def _code(self, indicator: str, answer: str, where: Where) -> int | None:
        if answer == "":
            return MISSING
        lowered = answer.lower()
        if lowered == DONT_KNOW:
            return DONT_KNOW_CODE
        if lowered == NOT_APPLICABLE:
            return NOT_APPLICABLE_CODE
        codes = self._codes[indicator]
        if answer in codes:
            return codes[answer]
        allowed = ", ".join([*codes, DONT_KNOW, NOT_APPLICABLE])
        self.error(where, f"'{answer}' is not an answer to '{indicator}' (allowed: {allowed})")
        return None

    def _importance_value(self, importance: str | None, where: Where) -> float:
        if importance is None or importance.strip() == "":
            return math.nan
        try:
            value = float(importance)
        except ValueError:
            value = math.nan
        if not (IMPORTANCE_MIN <= value <= IMPORTANCE_MAX):
            self.error(
                where,
                f"importance must be a number from {IMPORTANCE_MIN:g} to {IMPORTANCE_MAX:g}, "
                f"got '{importance.strip()}'",
            )
            return math.nan
        return value

    def build(self) -> ResponseMatrix:
        if self.problems:
            raise AnswersError(self.problems)
        n, m = len(self._groups), len(self._column)
        answers = np.full((n, m), MISSING, dtype=np.int16)
        importance = np.full((n, m), np.nan)
        if self._rows:
            rows, cols = np.array(self._rows), np.array(self._cols)
            answers[rows, cols] = np.array(self._values, dtype=np.int16)
            importance[rows, cols] = np.array(self._importance)
        return ResponseMatrix(
            framework=self.framework,
            respondents=tuple(self._respondents),
            groups=tuple(self._groups),
            answers=answers,
            importance=importance,
            comments=tuple(self._comments),
        )
