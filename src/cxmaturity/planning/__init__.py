"""Results + targets + the action catalog + constraints → a plan of initiatives over time (no I/O)."""

from cxmaturity.planning.model import Candidate, Initiative, Lock, PeriodTotals, Plan, PlanRequest

__all__ = ["Candidate", "Initiative", "Lock", "PeriodTotals", "Plan", "PlanRequest"]
