"""The words the product stores as keys (a member's role, an assessment's status, an e-mail's state, how an
initiative is going) in the reader's language: one table each, used by every page and the report, so that no page
shows the stored key (``viewer``, ``closed``) and no template keeps a copy of its own. The JSON API, the exports and
the command line keep the keys.

A key this module does not know (a state added later) reads as stored rather than failing the page.
"""

from __future__ import annotations

from collections.abc import Mapping

from cxmaturity.i18n.catalogs import N_, gettext

ROLES: Mapping[str, str] = {"owner": N_("owner"), "facilitator": N_("facilitator"), "viewer": N_("viewer")}
ASSESSMENT_STATUSES: Mapping[str, str] = {"draft": N_("draft"), "open": N_("open"), "closed": N_("closed")}
MAIL_STATES: Mapping[str, str] = {
    "queued": N_("queued"),
    "sending": N_("sending"),
    "handed": N_("handed"),
    "retrying": N_("retrying"),
    "sent": N_("sent"),
    "bounced": N_("bounced"),
    "failed": N_("failed"),
    "cancelled": N_("cancelled"),
}
#: How an initiative is going (services/progress.py), in lower-case words for sentences and lists ("3 planned").
INITIATIVE_STATUSES: Mapping[str, str] = {
    "planned": N_("planned"),
    "in progress": N_("in progress"),
    "done": N_("done"),
    "dropped": N_("dropped"),
}


def _word(table: Mapping[str, str], key: str) -> str:
    found = table.get(key)
    return gettext(found) if found else key


def role(key: str) -> str:
    """``viewer`` → ``Lesend`` in German."""
    return _word(ROLES, key)


def assessment_status(key: str) -> str:
    """``closed`` → ``geschlossen`` in German."""
    return _word(ASSESSMENT_STATUSES, key)


def mail_state(key: str) -> str:
    """``bounced`` → the locale's word for an e-mail that came back."""
    return _word(MAIL_STATES, key)


def initiative_status(key: str) -> str:
    """``in progress`` → ``in Arbeit`` in German (as the catalog has it)."""
    return _word(INITIATIVE_STATUSES, key)
