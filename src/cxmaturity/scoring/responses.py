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

#: Where a respondent's answers came from (docs/security.md, "Respondents' anonymity"). Only independent respondents
#: count towards the size that lets a group be shown; the others are scored like everyone (``counts_for_groups``).
#: A link the app e-mailed itself: the facilitator never saw it.
INDEPENDENT = "independent"
#: A link shown to or downloaded by the facilitator (or given out through the API): he could have answered it.
HELD = "held"
#: A respondent of an answers import: the facilitator supplied the answers.
IMPORTED = "imported"
PROVENANCES = (INDEPENDENT, HELD, IMPORTED)

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
    #: Each respondent's provenance (INDEPENDENT, HELD or IMPORTED); empty: every respondent is independent, as in a
    #: file scored by the command line, where no facilitator stands between the respondents and the reader.
    provenance: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        n, m = len(self.respondents), len(self.framework.indicator_keys)
        if self.answers.shape != (n, m) or self.importance.shape != (n, m) or len(self.groups) != n:
            raise ValueError(f"answers must be {n} respondents x {m} indicators, got {self.answers.shape}")
        if self.provenance and len(self.provenance) != n:
            raise ValueError(f"provenance must name {n} respondents, got {len(self.provenance)}")
        if unknown := set(self.provenance) - set(PROVENANCES):
            raise ValueError(f"unknown provenance {sorted(unknown)}; known: {', '.join(PROVENANCES)}")

    @property
    def imports_only(self) -> bool:
        """Whether every respondent was imported: the facilitator supplied every answer there is."""
        return bool(self.provenance) and all(p == IMPORTED for p in self.provenance)

    def counts_for_groups(self) -> npt.NDArray[np.bool_]:
        """Return which respondents count towards the size that lets a group be shown (the no-padding rule).

        Answers the facilitator entered, imported or could have entered through a link he held would let him lift a
        small group over the minimum size and then read the few real respondents' answers under its name: such
        respondents are scored, in the team and in their group, but never count towards its size. One exception: when
        every respondent was imported, the facilitator already holds every answer, and the groups are counted by the
        imported rows (the result says so; anonymity is then whatever the imported survey gave).
        """
        if not self.provenance or self.imports_only:
            return np.ones(self.size, dtype=np.bool_)
        return np.array([p == INDEPENDENT for p in self.provenance], dtype=np.bool_)

    @property
    def size(self) -> int:
        return len(self.respondents)

    @classmethod
    def empty(cls, framework: Framework) -> ResponseMatrix:
        m = len(framework.indicator_keys)
        return cls(framework, (), (), np.full((0, m), MISSING, np.int16), np.full((0, m), np.nan))
