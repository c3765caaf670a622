"""The planning language: what a team asks for (a PlanRequest) and what it gets (a Plan of initiatives).

Pure data, shared by the optimizer (``planning/optimizer.py``), the CLI, storage and the web app. Periods are counted
from 1; an initiative occupies periods ``start`` up to ``end - 1`` (``end`` is the first period after it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from cxmaturity.frameworks.model import Action, Framework
from cxmaturity.i18n.phrase import Phrase

PlanStatus = Literal["optimal", "feasible", "infeasible", "empty"]


@dataclass(frozen=True)
class Candidate:
    """An action the plan may choose: from the framework's catalog, or a team's own (``custom``)."""

    key: str
    title: str
    competency: str
    from_stage: str
    effort: float
    duration: int
    cost: float = 0.0
    requires: tuple[str, ...] = ()
    indicators: tuple[str, ...] = ()
    description: str = ""
    measure: str = ""
    custom: bool = False

    @classmethod
    def of(cls, fw: Framework, action: Action, language: str | None = None) -> Candidate:
        return cls(
            key=action.key,
            title=fw.text(action.title, language),
            competency=action.competency,
            from_stage=action.from_stage,
            effort=action.effort,
            duration=action.duration,
            cost=action.cost or 0.0,
            requires=action.requires,
            indicators=action.indicators,
            description=fw.text(action.description, language) if action.description else "",
            measure=fw.text(action.measure, language) if action.measure else "",
        )


@dataclass(frozen=True)
class Lock:
    """An initiative the team has fixed: it stays in the plan, starting in ``start``."""

    key: str
    start: int
    owner: str = ""


@dataclass(frozen=True)
class PlanRequest:
    """What a team asks of the optimizer. ``None`` limits are unlimited."""

    #: Target stage key per competency; a competency without one targets its next stage.
    targets: dict[str, str] = field(default_factory=dict)
    horizon: int = 8
    budget: float | None = None
    capacity: float | None = None
    max_concurrent: int = 3
    must: frozenset[str] = frozenset()
    must_not: frozenset[str] = frozenset()
    custom: tuple[Candidate, ...] = ()
    locks: tuple[Lock, ...] = ()
    #: Owners of initiatives by key (kept across re-plans).
    owners: dict[str, str] = field(default_factory=dict)
    time_limit: float = 2.0
    #: Relative optimality gap at which the solver may stop.
    mip_gap: float = 0.01


@dataclass(frozen=True)
class Initiative:
    """A chosen action, scheduled, with why it was chosen."""

    key: str
    title: str
    competency: str
    from_stage: str
    start: int
    end: int
    cost: float
    effort: float
    #: One or two sentences: which competency and gap, what it is expected to change.
    reason: str
    indicators: tuple[str, ...] = ()
    #: Discussion items (indicator keys the team disagrees on) that this initiative addresses.
    discussion_items: tuple[str, ...] = ()
    #: Stage keys: the competency is expected to move from ``expected_from`` to ``expected_to``.
    expected_from: str = ""
    expected_to: str = ""
    measure: str = ""
    description: str = ""
    quick_win: bool = False
    owner: str = ""
    locked: bool = False
    custom: bool = False
    #: ``reason`` as a phrase, shown in each reader's language (None for plans saved before phrases existed).
    reason_phrase: Phrase | None = None


@dataclass(frozen=True)
class PeriodTotals:
    period: int
    cost: float
    effort: float
    running: int


@dataclass(frozen=True)
class Plan:
    status: PlanStatus
    #: Relative optimality gap (0 when optimal); None when no plan was found.
    gap: float | None
    objective: float | None
    initiatives: tuple[Initiative, ...]
    #: Expected stage key per competency for each period 1..horizon (after the initiatives finishing by then).
    expected_stages: dict[str, tuple[str, ...]]
    totals: tuple[PeriodTotals, ...]
    #: Why the plan is infeasible or empty, and which competencies it leaves out as not assessed; one sentence each.
    explanation: tuple[str, ...] = ()
    request: PlanRequest = field(default_factory=PlanRequest)
    #: ``explanation`` as phrases, shown in each reader's language (empty for plans saved before phrases existed).
    explanation_phrases: tuple[Phrase, ...] = ()

    @property
    def summary(self) -> str:
        """Return "optimal", "within X% of optimal", "infeasible" or "nothing to plan"."""
        if self.status == "optimal":
            return "optimal"
        if self.status == "feasible" and self.gap is not None:
            return f"within {self.gap:.1%} of optimal"
        return "infeasible" if self.status == "infeasible" else "nothing to plan"
