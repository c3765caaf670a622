"""E-mails through the SMTP server in the settings (``CXM_SMTP_*``): respondents' invitations, reminders and
closing notices, and invitations to join an organization, all composed here and sent by the queue's worker
(services/delivery.py, over services/smtp_session.py), never inside a web request.

Respondents' addresses are kept in the outbox (services/outbox.py) for reminders and delivery reports, never beside
answers; an invitation to join keeps its address in its own row (services/member_invitations.py) and, while it
is e-mailed, in the outbox too.
Port 465 means TLS from the start (SMTPS); any other port speaks plain SMTP, upgraded with STARTTLS when
``smtp_starttls`` is set. A user name in the settings means the server wants a login.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from babel import dates

from cxmaturity.i18n import N_, ngettext, use_locale
from cxmaturity.i18n import gettext as _
from cxmaturity.i18n.catalogs import active_locale
from cxmaturity.settings import Settings

#: Seconds to wait for the mail server before giving up on it.
TIMEOUT = 15
SMTPS_PORT = 465
MAX_ADDRESS = 254
_ADDRESS = re.compile(r"^[^@\s<>()\[\],;:\"\\]+@[^@\s<>()\[\],;:\"\\]+\.[^@\s<>()\[\],;:\"\\]+$")


def configured(settings: Settings) -> bool:
    return bool(settings.smtp_host.strip())


def valid_address(address: str) -> bool:
    """A plausible plain ASCII address: no display name, spaces or list separators (headers stay injection-free)."""
    return len(address) <= MAX_ADDRESS and address.isascii() and _ADDRESS.match(address) is not None


def _one_line(text: str) -> str:
    return " ".join(text.split())


def invitation_message(
    settings: Settings,
    address: str,
    link: str,
    *,
    inviter: str = "",
    organization: str = "",
    title: str = "",
    minutes: int | None = None,
    language: str | None = None,
) -> EmailMessage:
    """Return one respondent's invitation: who invites, the link, that answers are anonymous, how long it takes.

    ``language``: the message's language (English without a catalog for it); the link opens the pages in it too.
    """
    with use_locale(language) as chosen:
        who = _one_line(inviter) or _("A colleague")
        org = _one_line(organization)
        about = _one_line(title) or _("a customer-experience maturity assessment")
        message = _new_message(settings, address, (_("Your view, please: %(title)s") % {"title": about})[:200])
        invites = (
            _("%(who)s at %(org)s invites you to answer the assessment “%(title)s”:")
            if org
            else _("%(who)s invites you to answer the assessment “%(title)s”:")
        ) % {"who": who, "org": org, "title": about}
        lines = [
            _("Hello,"),
            "",
            invites + " " + _("a short set of statements about how the organization works for its customers."),
            "",
            _("Open your personal link to start:"),
            "",
            f"    {_with_language(link, chosen) if language else link}",
            "",
            _(
                "Your answers are anonymous: results are only shown for groups large enough that no one can be "
                "singled out, and this e-mail address is not stored."
            ),
            ngettext(
                "It takes about %(num)d minute; you can stop and come back later with the same link.",
                "It takes about %(num)d minutes; you can stop and come back later with the same link.",
                minutes,
            )
            % {"num": minutes}
            if minutes
            else _("You can stop and come back later with the same link."),
            "",
            _("The link is personal: please do not forward it."),
        ]
    message.set_content("\n".join(lines) + "\n")
    message["Content-Language"] = chosen
    return message


def reminder_message(
    settings: Settings,
    address: str,
    link: str,
    *,
    organization: str = "",
    title: str = "",
    closes: datetime | None = None,
    language: str | None = None,
) -> EmailMessage:
    """Return a reminder to someone who has not finished: the same personal link, and when the assessment closes;
    in ``language`` (the invitation's), the link opening the pages in it too."""
    with use_locale(language) as chosen:
        org = _one_line(organization)
        about = _one_line(title) or _("a customer-experience maturity assessment")
        message = _new_message(settings, address, (_("Reminder: %(title)s") % {"title": about})[:200])
        # Whole sentences per case, so that each language can order its words as it needs.
        values = {"org": org, "title": about, "closes": _closing_time(closes)}
        if org and closes:
            welcome = _("A reminder from %(org)s: your view on “%(title)s” is still welcome until %(closes)s.")
        elif org:
            welcome = _("A reminder from %(org)s: your view on “%(title)s” is still welcome.")
        elif closes:
            welcome = _("A reminder: your view on “%(title)s” is still welcome until %(closes)s.")
        else:
            welcome = _("A reminder: your view on “%(title)s” is still welcome.")
        lines = [
            _("Hello,"),
            "",
            welcome % values,
            "",
            _("Your personal link (answers you already gave are kept):"),
            "",
            f"    {_with_language(link, chosen) if language else link}",
            "",
            _(
                "Your answers are anonymous. If you have finished in the meantime, thank you, and please ignore this "
                "message."
            ),
        ]
    message.set_content("\n".join(lines) + "\n")
    message["Content-Language"] = chosen
    return message


def closing_message(
    settings: Settings, address: str, *, organization: str = "", title: str = "", language: str | None = None
) -> EmailMessage:
    """Return the closing notice: the assessment has closed. The same text for everyone, whether they answered or
    not, so that the message itself tells no one who answered."""
    with use_locale(language) as chosen:
        org = _one_line(organization)
        about = _one_line(title) or _("a customer-experience maturity assessment")
        message = _new_message(settings, address, (_("Closed: %(title)s") % {"title": about})[:200])
        closed = (
            _("The assessment “%(title)s” of %(org)s has closed: no more answers can be given.")
            if org
            else _("The assessment “%(title)s” has closed: no more answers can be given.")
        ) % {"title": about, "org": org}
        lines = [
            _("Hello,"),
            "",
            closed,
            "",
            _(
                "Thank you to everyone who took part. The results are shared by the people who ran it, for groups "
                "large enough that no one can be singled out."
            ),
        ]
    message.set_content("\n".join(lines) + "\n")
    message["Content-Language"] = chosen
    return message


def _closing_time(closes: datetime | None) -> str:
    """When the assessment closes: the date as the active locale writes it ("14 March 2031", "14. März 2031"), the
    time in 24 hours and UTC, as the schedule keeps it (whatever the server's own time zone)."""
    if closes is None:
        return ""
    utc = closes.astimezone(UTC) if closes.tzinfo is not None else closes
    return f"{dates.format_date(utc.date(), 'long', locale=active_locale())}, {utc:%H:%M} UTC"


def _with_language(link: str, language: str) -> str:
    """The respondent's link opening its pages in ``language`` (they fall back to another one it does not offer)."""
    return f"{link}{'&' if '?' in link else '?'}lang={language}"


#: The roles as an invitation to join names them (the English words are the roles' keys; storage/tables.py ROLES).
ROLE_NAMES = {"owner": N_("owner"), "facilitator": N_("facilitator"), "viewer": N_("viewer")}


def member_invitation_message(
    settings: Settings,
    address: str,
    link: str,
    *,
    inviter: str,
    organization: str,
    role: str,
    days: int,
    language: str | None = None,
) -> EmailMessage:
    """Return the invitation to join an organization: who invites, as what, the link, and when it expires.

    ``language``: the invitation's (English without a catalog for it), the role named in it too; ``link`` comes from
    ``member_invitations.join_link``, which carries the language for the pages it opens.
    """
    with use_locale(language) as chosen:
        who = _one_line(inviter) or _("A colleague")
        org = _one_line(organization)
        message = _new_message(settings, address, (_("Join %(org)s on cx-maturity") % {"org": org})[:200])
        lines = [
            _("Hello,"),
            "",
            _("%(who)s invites you to join %(org)s on cx-maturity as %(role)s.")
            % {"who": who, "org": org, "role": _(ROLE_NAMES[role]) if role in ROLE_NAMES else _one_line(role)},
            "",
            _("Open this link, sign in (or create an account with any address), and accept or decline:"),
            "",
            f"    {link}",
            "",
            ngettext(
                "The link works once and expires in %(num)d day. If you did not expect this, ignore this message: "
                "nothing happens unless you accept.",
                "The link works once and expires in %(num)d days. If you did not expect this, ignore this message: "
                "nothing happens unless you accept.",
                days,
            )
            % {"num": days},
        ]
    message.set_content("\n".join(lines) + "\n")
    message["Content-Language"] = chosen
    return message


def _new_message(settings: Settings, address: str, subject: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = address
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=settings.mail_from.rpartition("@")[2] or None)
    return message
