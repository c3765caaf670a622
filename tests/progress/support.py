"""Constructed teams for the progress tests: answers drawn around a level per competency, scored for real."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import numpy as np

from cxmaturity.frameworks import Framework, load_builtin, parse_framework
from cxmaturity.progress import Snapshot
from cxmaturity.scoring import ResponseMatrix, ScoringOptions, score

FW = load_builtin("xm-six-competencies")


def team(
    fw: Framework, n: int, level: float | Mapping[str, float], *, seed: int = 0, spread: float = 0.15
) -> ResponseMatrix:
    """``n`` respondents answering each indicator around ``level`` (0 = lowest option, 1 = highest), per competency
    when ``level`` is a mapping, with normal noise of ``spread`` (as a share of the scale)."""
    rng = np.random.default_rng(seed)
    answers = np.zeros((n, len(fw.indicator_keys)), dtype=np.int16)
    for i, (comp, ind) in enumerate(fw.indicators):
        top = len(fw.answer_keys(ind)) - 1
        centre = level if isinstance(level, float | int) else level.get(comp.key, 0.5)
        drawn = np.rint(centre * top + rng.normal(0.0, spread * top, size=n))
        answers[:, i] = np.clip(drawn, 0, top).astype(np.int16)
    return ResponseMatrix(fw, tuple(f"r{k}" for k in range(n)), ("",) * n, answers, np.full(answers.shape, np.nan))


def snap(
    fw: Framework,
    n: int,
    level: float | Mapping[str, float],
    *,
    seed: int = 0,
    spread: float = 0.15,
    day: date | None = None,
    targets: dict[str, str] | None = None,
    label: str = "",
    bootstrap: int = 400,
) -> Snapshot:
    result = score(
        team(fw, n, level, seed=seed, spread=spread),
        ScoringOptions(bootstrap=bootstrap, seed=seed, targets=targets or {}),
    )
    return Snapshot(fw, result, label, day)


def edited(fw: Framework, change: Any) -> Framework:
    """A new version of ``fw``: ``change`` edits the framework's data (a dict) in place."""
    data = fw.model_dump(mode="json", exclude_none=True)
    change(data)
    return parse_framework(data)
