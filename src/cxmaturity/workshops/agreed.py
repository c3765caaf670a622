"""The "as agreed" answers: the surveyed answers with the workshop's agreed answers in place.

The rule (docs/workshops.md, "As surveyed and as agreed"): for an indicator with an agreed answer, every respondent
who is evidence at all (at least one usable answer anywhere: the respondents the result counts) is taken to give the
agreed answer, whatever they answered before (don't know, not applicable and missing included). The team agreed on
it, so the indicator's distribution becomes the agreed option for the whole counted team: it is fully answered and in
full agreement, and it leaves the discussion items. Every other indicator, the groups, importance and comments stay as
surveyed. The result is then scored by the same engine, so stages, intervals and gaps follow from the usual rules.
Respondents without any usable answer stay out, as they are in the surveyed result.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from cxmaturity.scoring.responses import ResponseMatrix


def apply_agreed(matrix: ResponseMatrix, agreed: Mapping[str, str]) -> ResponseMatrix:
    """Return ``matrix`` with each agreed indicator's answers replaced by the agreed option (the rule above).

    ``agreed`` maps indicator keys to option keys; keys the framework does not have are refused with ValueError.
    """
    fw = matrix.framework
    if not agreed:
        return matrix
    answers = matrix.answers.copy()
    counted = (matrix.answers >= 0).any(axis=1)
    for indicator, option in agreed.items():
        column = fw.indicator_keys.index(indicator)  # ValueError for an unknown indicator
        keys = fw.answer_keys(fw.indicator(indicator))
        if option not in keys:
            raise ValueError(f"'{option}' is not an option of {indicator} ({', '.join(keys)})")
        answers[counted, column] = np.int16(keys.index(option))
    return ResponseMatrix(
        fw,
        matrix.respondents,
        matrix.groups,
        answers,
        matrix.importance,
        matrix.comments,
        matrix.provenance,
    )
