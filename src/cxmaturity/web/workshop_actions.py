"""One place that turns a workshop action (a page's form or the API's JSON) into a call of the workshop service.

Fields arrive as text (form fields) or JSON values; each is checked here for its type and named when it is wrong,
then the service checks the rest. Pages and the API accept exactly the same actions. The refusals are phrases: the
API answers them in English, the workshop's pages (and their live script) in the page's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from cxmaturity.i18n import N_
from cxmaturity.i18n.phrase import Phrase, phrase
from cxmaturity.services import workshops
from cxmaturity.services.access import Actor
from cxmaturity.services.errors import Invalid

FACILITATOR_ACTIONS = (
    "show",
    "hide",
    "open_vote",
    "reveal",
    "skip",
    "unskip",
    "move",
    "add_item",
    "agree",
    "define",
    "commit",
    "next_step",
    "plan",
    "finish",
)
PARTICIPANT_ACTIONS = ("vote", "commit", "define")


def _unknown(action: str, known: tuple[str, ...]) -> Phrase:
    return phrase(N_("unknown action '%(action)s'; one of: %(known)s"), action=action[:100], known=", ".join(known))


def _text(fields: Mapping[str, Any], name: str, default: str = "") -> str:
    value = fields.get(name, default)
    if value is None:
        return default
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise Invalid(phrase(N_("%(name)s must be text"), name=name), field=name)
    return str(value)[:10_000]


def _int(fields: Mapping[str, Any], name: str, default: int | None = None) -> int:
    value = fields.get(name, default)
    if isinstance(value, bool) or value is None or value == "":
        if default is not None:
            return default
        raise Invalid(phrase(N_("%(name)s is missing: give a whole number"), name=name), field=name)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Invalid(
            phrase(N_("%(name)s must be a whole number, not '%(value)s'"), name=name, value=str(value)[:100]),
            field=name,
        ) from None
    if not -(2**31) < number < 2**31:
        raise Invalid(phrase(N_("%(name)s is out of range"), name=name), field=name)
    return number


def facilitate(db: Session, actor: Actor, workshop_id: int, action: str, fields: Mapping[str, Any]) -> None:
    """Do one facilitator action on the workshop (``FACILITATOR_ACTIONS``)."""
    match action:
        case "show":
            workshops.show_item(db, actor, workshop_id, _int(fields, "item_id"))
        case "hide":
            workshops.show_item(db, actor, workshop_id, None)
        case "open_vote":
            workshops.open_vote(db, actor, workshop_id, _int(fields, "item_id"))
        case "reveal":
            workshops.reveal(db, actor, workshop_id, _int(fields, "item_id"))
        case "skip" | "unskip":
            workshops.skip_item(db, actor, workshop_id, _int(fields, "item_id"), action == "skip")
        case "move":
            workshops.move_item(db, actor, workshop_id, _int(fields, "item_id"), _int(fields, "position"))
        case "add_item":
            workshops.add_item(db, actor, workshop_id, _text(fields, "title"), _text(fields, "indicator") or None)
        case "agree":
            workshops.agree(
                db,
                actor,
                workshop_id,
                _text(fields, "indicator"),
                _text(fields, "option"),
                _text(fields, "rationale"),
                _text(fields, "evidence"),
            )
        case "define":
            base = fields.get("base")
            workshops.define(
                db, actor, workshop_id, _text(fields, "text"), None if base is None else _text(fields, "base")
            )
        case "commit":
            workshops.commit(
                db,
                actor,
                workshop_id,
                _text(fields, "who"),
                _text(fields, "what"),
                _text(fields, "by_when"),
                _text(fields, "visibility", "public"),
            )
        case "next_step":
            workshops.add_next_step(
                db,
                actor,
                workshop_id,
                _text(fields, "title"),
                _text(fields, "competency"),
                _text(fields, "owner"),
                _int(fields, "duration", 1),
            )
        case "plan":
            workshops.steps_to_plan(db, actor, workshop_id)
        case "finish":
            workshops.finish(db, actor, workshop_id)
        case _:
            raise Invalid(_unknown(action, FACILITATOR_ACTIONS), field="action")


def participate(db: Session, token: str | None, action: str, fields: Mapping[str, Any]) -> None:
    """Do one participant action (``PARTICIPANT_ACTIONS``) as the phone holding ``token``."""
    match action:
        case "vote":
            workshops.vote(db, token, _int(fields, "item_id"), _int(fields, "round"), _text(fields, "option"))
        case "commit":
            workshops.commit_as_participant(
                db,
                token,
                _text(fields, "who"),
                _text(fields, "what"),
                _text(fields, "by_when"),
                _text(fields, "visibility", "public"),
            )
        case "define":
            base = fields.get("base")
            workshops.define_as_participant(
                db, token, _text(fields, "text"), None if base is None else _text(fields, "base")
            )
        case _:
            raise Invalid(_unknown(action, PARTICIPANT_ACTIONS), field="action")
