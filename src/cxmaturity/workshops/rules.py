"""Rules for what a workshop accepts: join codes, votes, agreed answers, commitments, next steps and the definition.

Every check raises ``WorkshopError`` naming the field and saying what would be accepted, so the service can refuse
the input before anything changes.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

from cxmaturity.frameworks.model import Framework, Statement
from cxmaturity.i18n.catalogs import N_

#: Join codes use letters and digits that cannot be mistaken for one another when read off a projector (no 0/O,
#: 1/I/L): 30 symbols, so six of them give 30^6 ≈ 729 million codes; guessing is rate limited on top.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ2345679"
CODE_LENGTH = 6

MAX_TITLE = 200
MAX_RATIONALE = 2000
MAX_EVIDENCE = 500
MAX_WHAT = 500
MAX_WHO = 100
MAX_OWNER = 100
MAX_DEFINITION = 4000
MAX_DURATION = 40

VISIBILITIES = ("public", "private")
#: What a next step made an initiative of the plan is described as (services/workshops.py ``steps_to_plan``). Stored
#: in English with the plan's settings; the plan page shows it in its reader's language (reporting/plan_view.py).
NEXT_STEP_DESCRIPTION = N_("A next step agreed in the workshop.")


class WorkshopError(ValueError):
    """Input a workshop cannot take; ``field`` names the field. Nothing has been changed."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def new_join_code() -> str:
    """Return a fresh random join code (``CODE_LENGTH`` symbols of ``CODE_ALPHABET``)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_join_code(typed: str) -> str | None:
    """Return the code as stored (upper case, spaces and dashes dropped), or None when it cannot be a code."""
    code = re.sub(r"[\s-]", "", typed).upper()
    if len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
        return None
    return code


def vote_options(fw: Framework, indicator_key: str) -> tuple[tuple[str, str], ...]:
    """Return (key, label) of every option of the indicator, lowest first: what a vote and an agreed answer may be.

    "Don't know" and "not applicable" are not offered: the room votes to reach an answer.
    """
    ind = fw.indicator(indicator_key)
    if isinstance(ind, Statement):
        return tuple((o.key, fw.text(o.label)) for o in fw.scales[ind.scale].options)
    texts = {o.stage: fw.text(o.text) for o in ind.options}
    return tuple((s.key, texts.get(s.key, fw.text(s.name))) for s in fw.stages if s.key in texts)


def distribution(options: Iterable[str], votes: Iterable[str]) -> dict[str, int]:
    """Return the number of votes per option, every option present, in option order (votes for others ignored)."""
    counts = dict.fromkeys(options, 0)
    for vote in votes:
        if vote in counts:
            counts[vote] += 1
    return counts


def check_vote(options: Iterable[str], option: str) -> str:
    keys = list(options)
    if option not in keys:
        raise WorkshopError(f"'{option}' is not one of this item's options ({', '.join(keys)})", field="option")
    return option


def _text(value: str, limit: int, field: str, what: str, *, required: bool) -> str:
    cleaned = value.strip()
    if required and not cleaned:
        raise WorkshopError(f"{what} is empty; write one", field=field)
    if len(cleaned) > limit:
        raise WorkshopError(f"{what} has {len(cleaned)} characters; at most {limit} are allowed", field=field)
    if "\x00" in cleaned:
        raise WorkshopError(f"{what} holds a NUL character", field=field)
    return cleaned


def check_evidence(evidence: str) -> str:
    """Return the evidence link (an http(s) URL) or document name; "" for none."""
    cleaned = _text(evidence, MAX_EVIDENCE, "evidence", "the evidence", required=False)
    if cleaned.lower().startswith(("javascript:", "data:", "vbscript:")):
        raise WorkshopError("the evidence must be an http(s) link or a document's name", field="evidence")
    if "://" in cleaned and urlsplit(cleaned).scheme not in ("http", "https"):
        raise WorkshopError("the evidence must be an http(s) link or a document's name", field="evidence")
    return cleaned


@dataclass(frozen=True)
class AgreedInput:
    indicator: str
    option: str
    rationale: str
    evidence: str


def check_agreed(fw: Framework, indicator: str, option: str, rationale: str, evidence: str) -> AgreedInput:
    """Return the agreed answer checked against the indicator's options (dk and na are not answers to agree on)."""
    if indicator not in fw.indicator_keys:
        raise WorkshopError(f"there is no indicator '{indicator}' in this assessment's framework", field="indicator")
    keys = [key for key, _ in vote_options(fw, indicator)]
    if option not in keys:
        raise WorkshopError(
            f"'{option}' is not an option of {indicator}; choose one of: {', '.join(keys)}", field="option"
        )
    return AgreedInput(
        indicator,
        option,
        _text(rationale, MAX_RATIONALE, "rationale", "the rationale", required=True),
        check_evidence(evidence),
    )


@dataclass(frozen=True)
class CommitmentInput:
    who: str
    what: str
    by_when: date
    visibility: str


def check_commitment(who: str, what: str, by_when: str | date, visibility: str, today: date) -> CommitmentInput:
    """Return a leader's commitment: what, by when (today or later), public or private (seen by the facilitator)."""
    if isinstance(by_when, str):
        try:
            day = date.fromisoformat(by_when.strip())
        except ValueError:
            raise WorkshopError(f"'{by_when}' is not a date (YYYY-MM-DD)", field="by_when") from None
    else:
        day = by_when
    if day < today:
        raise WorkshopError(f"{day.isoformat()} is in the past; commit to a day from today on", field="by_when")
    if visibility not in VISIBILITIES:
        raise WorkshopError("a commitment is public or private", field="visibility")
    return CommitmentInput(
        _text(who, MAX_WHO, "who", "the name", required=False),
        _text(what, MAX_WHAT, "what", "the commitment", required=True),
        day,
        visibility,
    )


@dataclass(frozen=True)
class NextStepInput:
    title: str
    competency: str
    owner: str
    duration: int


def check_next_step(fw: Framework, title: str, competency: str, owner: str, duration: int) -> NextStepInput:
    """Return a next step: a title, the competency it raises, its owner and its duration in plan periods."""
    if competency not in {c.key for c in fw.competencies}:
        known = ", ".join(c.key for c in fw.competencies)
        raise WorkshopError(f"there is no competency '{competency}' (known: {known})", field="competency")
    if not 1 <= duration <= MAX_DURATION:
        raise WorkshopError(f"the duration is a whole number of periods from 1 to {MAX_DURATION}", field="duration")
    return NextStepInput(
        _text(title, MAX_TITLE, "title", "the next step's title", required=True),
        competency,
        _text(owner, MAX_OWNER, "owner", "the owner", required=True),
        duration,
    )


def check_definition(text: str) -> str:
    """Return the organization's definition of a good customer experience ("" clears it)."""
    return _text(text, MAX_DEFINITION, "definition", "the definition", required=False)


def check_title(title: str) -> str:
    return _text(title, MAX_TITLE, "title", "the item's title", required=True)
