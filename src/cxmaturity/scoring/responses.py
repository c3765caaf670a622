"""Answers as a dense matrix: respondents × indicators, the input of every scoring function."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from cxmaturity.frameworks.model import Framework

#: Codes stored in :attr:`ResponseMatrix.answers` besides option indices (0, 1, ...).
MISSING = -1
DONT_KNOW_CODE = -2
NOT_APPLICABLE_CODE = -3

#: Importance answers run from 1 (not important) to 5 (critical); 3 is neutral.
IMPORTANCE_MIN = 1.0
IMPORTANCE_MAX = 5.0
IMPORTANCE_NEUTRAL = 3.0


@dataclass(frozen=True)
class Comment:
    indicator: str
    group: str
    text: str
    #: Row of the respondent in the matrix; used to store the comment with its answer, never shown.
    respondent: int = -1


@dataclass(frozen=True)
class ResponseMatrix:
    """Every answer of an assessment in framework indicator order.

    ``answers[r, i]`` is the index of respondent r's option for indicator i, counted from the lowest option (for a
    rubric: the stage number minus one), or one of MISSING, DONT_KNOW_CODE, NOT_APPLICABLE_CODE.
    ``importance[r, i]`` is the respondent's importance answer (1..5) or NaN.
    """

    framework: Framework
    respondents: tuple[str, ...]
    groups: tuple[str, ...]
    answers: npt.NDArray[np.int16]
    importance: npt.NDArray[np.float64]
    comments: tuple[Comment, ...] = field(default=())

    def __post_init__(self) -> None:
        n, m = len(self.respondents), len(self.framework.indicator_keys)
        if self.answers.shape != (n, m) or self.importance.shape != (n, m) or len(self.groups) != n:
            raise ValueError(f"answers must be {n} respondents x {m} indicators, got {self.answers.shape}")

    @property
    def size(self) -> int:
        return len(self.respondents)

    @classmethod
    def empty(cls, framework: Framework) -> ResponseMatrix:
        m = len(framework.indicator_keys)
        return cls(framework, (), (), np.full((0, m), MISSING, np.int16), np.full((0, m), np.nan))
