"""Exports of SYNTHETIC demo answers on a built-in framework: sources with and without small groups and a plan."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from datetime import UTC, date, datetime

import numpy as np
import pytest

from cxmaturity.demo import demo_responses
from cxmaturity.exports import PlanSource, Source
from cxmaturity.frameworks import Framework, load_builtin
from cxmaturity.planning import PlanRequest
from cxmaturity.planning.optimizer import make_plan
from cxmaturity.planning.serialize import plan_to_dict
from cxmaturity.scoring import ResponseMatrix, ScoringOptions, score
from cxmaturity.scoring.responses import MISSING, NOT_APPLICABLE_CODE

EXPORTED_AT = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
POINT = ScoringOptions(bootstrap=0)


@dataclasses.dataclass(frozen=True)
class Note:
    """A comment as the results service hands it over (its group only when the group is shown)."""

    indicator: str
    group: str | None
    text: str


@pytest.fixture(scope="session")
def xm() -> Framework:
    return load_builtin("xm-six-competencies")


def regroup(responses: ResponseMatrix, groups: list[str]) -> ResponseMatrix:
    """The same answers with other group names (one per respondent)."""
    return dataclasses.replace(responses, groups=tuple(groups))


def source_of(
    fw: Framework,
    responses: ResponseMatrix,
    options: ScoringOptions = POINT,
    comments: tuple[Note, ...] = (),
    plan: bool = False,
    synthetic: bool = True,
) -> Source:
    result = score(responses, options)
    plan_source = None
    if plan:
        made = make_plan(fw, result, PlanRequest(horizon=6))
        plan_source = PlanSource(made, date(2026, 4, 1), {**plan_to_dict(made), "saved": {"number": 1}})
    return Source("Demo team", fw, responses, result, EXPORTED_AT, comments, plan_source, synthetic)


@pytest.fixture(scope="session")
def demo(xm: Framework) -> ResponseMatrix:
    """18 synthetic respondents (Leadership team 5, Operations 6, Front line 7), with every kind of cell: skipped
    answers, not applicable, an importance without an answer, a half-point importance, and one respondent who
    answered nothing."""
    base = demo_responses(xm)
    answers, importance = base.answers.copy(), base.importance.copy()
    answers[0, :3] = MISSING
    importance[0, :3] = np.nan
    answers[1, 4] = NOT_APPLICABLE_CODE
    answers[2, 5] = MISSING
    importance[2, 5] = 4.0
    importance[3, 6] = 3.5
    answers[4, :] = MISSING
    importance[4, :] = np.nan
    return dataclasses.replace(base, answers=answers, importance=importance)


@pytest.fixture(scope="session")
def small_groups(demo: ResponseMatrix) -> ResponseMatrix:
    """The demo with Front line split: Front line 4, Legal 2, Audit 1 (3 respondents in groups below 3)."""
    groups = list(demo.groups)
    front = [r for r, g in enumerate(groups) if g == "Front line"]
    groups[front[0]] = groups[front[1]] = "Legal"
    groups[front[2]] = "Audit"
    return regroup(demo, groups)


@pytest.fixture(scope="session")
def one_alone(demo: ResponseMatrix) -> ResponseMatrix:
    """The demo with one respondent of Front line moved to a group of their own (Audit 1)."""
    groups = list(demo.groups)
    groups[groups.index("Front line")] = "Audit"
    return regroup(demo, groups)


@pytest.fixture
def rng() -> Callable[[], random.Random]:
    return lambda: random.Random(20260304)
