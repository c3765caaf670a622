"""The roadmap optimizer (being written): ``make_plan(fw, result, request) -> Plan``."""

from __future__ import annotations

from cxmaturity.frameworks.model import Framework
from cxmaturity.planning.model import Plan, PlanRequest
from cxmaturity.scoring.result import Result


def make_plan(fw: Framework, result: Result, request: PlanRequest) -> Plan:
    """Return the best plan for ``request`` given the team's ``result``."""
    raise NotImplementedError("the optimizer is being written")
