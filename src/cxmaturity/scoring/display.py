"""How a score is written down: one rule for every page, report, table, chart description and JSON document.

A score's whole part is the stage, so a displayed score must never round up into the next stage: 2.9955 is stage 2
and reads 2.99, not 3.00. Scores are therefore cut toward the stage (floored) at the shown number of digits.
Differences and interval bounds are not stages and keep ordinary rounding.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import ROUND_FLOOR, Decimal

#: What a competency without any usable answer shows instead of a stage or a score.
NOT_ASSESSED = "not assessed"


def floor_score(value: float, digits: int) -> float:
    """Return ``value`` cut down (never rounded up) to ``digits`` decimals; NaN stays NaN."""
    if math.isnan(value) or math.isinf(value):
        return value
    # Through the shortest decimal that reads back as the float (repr), so 2.3 stays 2.3 instead of becoming
    # 2.29 from its binary neighbour 2.2999999999999998.
    step = Decimal(1).scaleb(-digits)
    return float(Decimal(repr(float(value))).quantize(step, rounding=ROUND_FLOOR))


def score_text(value: float | None, digits: int = 2, *, missing: str = "-") -> str:
    """Return a score as text, floored at ``digits`` decimals; ``missing`` for a score that does not exist."""
    if value is None or math.isnan(value):
        return missing
    return f"{floor_score(value, digits):.{digits}f}"


def not_assessed_note(names: Iterable[str]) -> str | None:
    """Return the note shown beside an overall result that leaves competencies out; None when none is left out."""
    listed = ", ".join(names)
    if not listed:
        return None
    return f"Not assessed (no usable answers): {listed}; left out of the overall."
