"""The live workshop's rules: the agenda built from a result, anonymous votes, agreed answers, commitments and next
steps, and the "as agreed" answers the assessment is scored with afterwards (docs/workshops.md).

Pure: no web or database imports. ``services/workshops.py`` stores what these functions decide.
"""

from cxmaturity.workshops.agenda import AgendaSeed, build_agenda
from cxmaturity.workshops.agreed import apply_agreed
from cxmaturity.workshops.rules import (
    WorkshopError,
    check_agreed,
    check_commitment,
    check_definition,
    check_evidence,
    check_next_step,
    check_title,
    check_vote,
    distribution,
    new_join_code,
    normalize_join_code,
    vote_options,
)

__all__ = [
    "AgendaSeed",
    "WorkshopError",
    "apply_agreed",
    "build_agenda",
    "check_agreed",
    "check_commitment",
    "check_definition",
    "check_evidence",
    "check_next_step",
    "check_title",
    "check_vote",
    "distribution",
    "new_join_code",
    "normalize_join_code",
    "vote_options",
]
