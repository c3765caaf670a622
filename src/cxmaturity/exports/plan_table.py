"""The saved plan as a table: the columns of the plan's CSV download (``planning.export``) plus calendar dates."""

from __future__ import annotations

from datetime import timedelta

from cxmaturity.exports.model import Cell, Column, Kind, PlanSource, Table
from cxmaturity.planning.export import CSV_COLUMNS, period_start
from cxmaturity.planning.serialize import initiative_to_dict

_KINDS: dict[str, Kind] = {
    "start": "integer",
    "end": "integer",
    "cost": "number",
    "effort": "number",
    "quick_win": "boolean",
    "locked": "boolean",
    "custom": "boolean",
}
_DESCRIPTIONS = {
    "key": "The action's key (the framework's, or the team's own).",
    "title": "What to do.",
    "competency": "The competency it develops.",
    "from_stage": "The stage it starts from.",
    "start": "First period (quarter) of the initiative, from 1.",
    "end": "The first period after it.",
    "cost": "Cost, in the plan's money unit.",
    "effort": "Effort in person-months.",
    "quick_win": "Whether it is a quick win: at most one person-month, one period, from the current stage.",
    "owner": "Who owns it, as the team wrote it.",
    "locked": "Whether the team fixed it in the plan.",
    "custom": "Whether it is the team's own initiative rather than the framework's.",
    "expected_from": "The competency's stage before it.",
    "expected_to": "The stage it is expected to reach.",
    "indicators": "Indicator keys it improves, separated by spaces.",
    "discussion_items": "Discussion items (indicator keys) it addresses, separated by spaces.",
    "measure": "How to tell that it worked.",
    "reason": "Why the plan chose it.",
}

PLAN_COLUMNS = (
    *(Column(name, _KINDS.get(name, "text"), _DESCRIPTIONS[name]) for name in CSV_COLUMNS),
    Column("start_date", "date", "The first day of its first period."),
    Column("end_date", "date", "The last day of its last period."),
)


def plan_table(source: PlanSource) -> Table:
    rows = []
    for item in source.plan.initiatives:
        data = initiative_to_dict(item)
        cells: list[Cell] = [
            " ".join(data[name]) if isinstance(data[name], list) else data[name] for name in CSV_COLUMNS
        ]
        first = period_start(source.start_date, item.start)
        last = period_start(source.start_date, item.end) - timedelta(days=1)
        rows.append((*cells, first, last))
    return Table("plan", PLAN_COLUMNS, rows)
