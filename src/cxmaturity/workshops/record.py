"""A workshop's record, as the record page, the report and the exports show it: plain values, nothing that links a
vote to a person, private commitments only counted."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RecordItem:
    title: str
    kind: str
    indicator: str | None
    skipped: bool
    #: Revealed rounds only, each a distribution over the options (an unrevealed round is never shown).
    rounds: tuple[dict[str, int], ...]


@dataclass(frozen=True)
class RecordAgreed:
    indicator: str
    question: str
    option: str
    label: str
    rationale: str
    evidence: str


@dataclass(frozen=True)
class RecordCommitment:
    who: str
    what: str
    by_when: str


@dataclass(frozen=True)
class RecordStep:
    title: str
    competency: str
    owner: str
    in_plan: bool


@dataclass(frozen=True)
class Record:
    """A workshop as the report and the exports show it. Private commitments are counted, never shown."""

    workshop_id: int
    status: str
    started_at: str
    finished_at: str | None
    participants: int
    items: tuple[RecordItem, ...]
    agreed: tuple[RecordAgreed, ...]
    definition: str
    commitments: tuple[RecordCommitment, ...]
    private_commitments: int
    next_steps: tuple[RecordStep, ...]
