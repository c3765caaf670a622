"""The latest workshop's record as export tables (the ``all`` export holds them once a workshop was run): agreed
answers, revealed votes as distributions, public commitments and next steps. No participant appears: votes are
counts per option, private commitments are left out (the about table counts them)."""

from __future__ import annotations

from cxmaturity.exports.model import Cell, Column, Table
from cxmaturity.frameworks.model import Framework
from cxmaturity.workshops.record import Record
from cxmaturity.workshops.rules import vote_options

TABLES = ("workshop_agreed", "workshop_votes", "workshop_commitments", "workshop_next_steps")

AGREED_COLUMNS = (
    Column("indicator", "text", "The indicator's key."),
    Column("statement", "text", "The indicator's text."),
    Column("agreed_option", "key", "The option the team agreed on."),
    Column("agreed_label", "text", "That option's label."),
    Column("rationale", "text", "Why the team agreed on it."),
    Column("evidence", "text", "A link or a document's name."),
)
VOTES_COLUMNS = (
    Column("item", "integer", "The agenda item's position, from 1."),
    Column("title", "text", "The agenda item."),
    Column("indicator", "text", "The indicator voted on."),
    Column("round", "integer", "The vote round, from 1 (revealed rounds only)."),
    Column("option", "key", "An option of the indicator."),
    Column("label", "text", "That option's label."),
    Column("votes", "integer", "Votes for that option in that round."),
)
COMMITMENT_COLUMNS = (
    Column("who", "text", "Who committed (as they wrote it; may be empty)."),
    Column("what", "text", "The commitment."),
    Column("by_when", "text", "The day it is due (YYYY-MM-DD)."),
    Column("kept", "boolean", "Kept (true) or not (false), as reviewed at the next re-assessment; empty until then."),
)
STEP_COLUMNS = (
    Column("title", "text", "The next step."),
    Column("competency", "text", "The competency it raises."),
    Column("owner", "text", "Who owns it."),
    Column("in_plan", "boolean", "Whether it became an initiative of the plan."),
)


def workshop_tables(fw: Framework, record: Record) -> list[Table]:
    agreed = [(a.indicator, a.question, a.option, a.label, a.rationale, a.evidence) for a in record.agreed]
    votes: list[tuple[Cell, ...]] = []
    for position, item in enumerate(record.items, start=1):
        labels = dict(vote_options(fw, item.indicator)) if item.indicator in fw.indicator_keys else {}
        for number, counts in enumerate(item.rounds, start=1):
            for option, n in counts.items():
                votes.append((position, item.title, item.indicator, number, option, labels.get(option, option), n))
    steps = [(s.title, s.competency, s.owner, s.in_plan) for s in record.next_steps]
    return [
        Table("workshop_agreed", AGREED_COLUMNS, agreed),
        Table("workshop_votes", VOTES_COLUMNS, votes),
        Table(
            "workshop_commitments", COMMITMENT_COLUMNS, [(c.who, c.what, c.by_when, c.kept) for c in record.commitments]
        ),
        Table("workshop_next_steps", STEP_COLUMNS, steps),
    ]
