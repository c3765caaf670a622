"""A workshop's record, as the record page, the report and the exports show it: plain values, nothing that links a
vote to a person, private commitments only counted."""

from __future__ import annotations

from dataclasses import dataclass

from cxmaturity.i18n.phrase import Phrase, Text


@dataclass(frozen=True)
class RecordItem:
    #: In English (or as the facilitator typed it): the JSON's words.
    title: str
    kind: str
    indicator: str | None
    skipped: bool
    #: Revealed rounds only, each a distribution over the options (an unrevealed round is never shown).
    rounds: tuple[dict[str, int], ...]
    #: ``title`` as a phrase, for pages and the report in their reader's language (None: shown as written).
    title_phrase: Phrase | None = None

    @property
    def shown_title(self) -> Text:
        return self.title if self.title_phrase is None else self.title_phrase


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
    #: Whether it was kept, as the facilitator recorded at the next re-assessment (True kept, False not kept);
    #: None until someone has said.
    kept: bool | None = None

    @property
    def outcome(self) -> str:
        """ "kept", "not kept" or "not reviewed yet": the words every rendering uses."""
        return KEPT_WORDS[self.kept]


#: How a commitment's ``kept`` reads on the record page, in the report, the slides and the exports.
KEPT_WORDS: dict[bool | None, str] = {True: "kept", False: "not kept", None: "not reviewed yet"}


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
    #: Which of the assessment's workshops it is (1 for the first): what pages, the report and slides call it.
    number: int
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
    #: The re-assessment at which the commitments are reviewed (kept or not), by title; None before there is one.
    reviewed_in: str | None = None
