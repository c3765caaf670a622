"""E-mails through the SMTP server in the settings (``CXM_SMTP_*``): respondents' invitations, reminders and
closing notices (composed here, sent by the queue's worker: services/delivery.py), and invitations to join an
organization (sent here, at once).

Respondents' addresses are kept in the outbox (services/outbox.py) for reminders and delivery reports, never beside
answers; an invitation to join keeps its address in its own row, services/member_invitations.py.
Port 465 means TLS from the start (SMTPS); any other port speaks plain SMTP, upgraded with STARTTLS when
``smtp_starttls`` is set. A user name in the settings means the server wants a login.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from babel import dates

from cxmaturity.i18n import gettext as _
from cxmaturity.i18n import ngettext, use_locale
from cxmaturity.i18n.catalogs import active_locale
from cxmaturity.services.errors import ServiceError
from cxmaturity.settings import Settings

#: Seconds to wait for the mail server before giving up on it.
TIMEOUT = 15
SMTPS_PORT = 465
MAX_ADDRESS = 254
_ADDRESS = re.compile(r"^[^@\s<>()\[\],;:\"\\]+@[^@\s<>()\[\],;:\"\\]+\.[^@\s<>()\[\],;:\"\\]+$")


class MailError(ServiceError):
    """The mail server could not be used; ``sent`` messages went out before the failure (in recipient order)."""

    status = 502

    def __init__(self, message: str, sent: int = 0) -> None:
        super().__init__(message, field="emails")
        self.sent = sent


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


def _connect(settings: Settings) -> smtplib.SMTP:
    host, port = settings.smtp_host.strip(), settings.smtp_port
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if port == SMTPS_PORT:
        smtp = smtplib.SMTP_SSL(host, port, timeout=TIMEOUT, context=context)
    else:
        smtp = smtplib.SMTP(host, port, timeout=TIMEOUT)
    try:
        smtp.ehlo_or_helo_if_needed()
        if settings.smtp_starttls and port != SMTPS_PORT:
            smtp.starttls(context=context)
            smtp.ehlo()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
    except BaseException:
        smtp.close()
        raise
    return smtp


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
    """Return the invitation to join an organization: who invites, as what, the link, and when it expires."""
    with use_locale(language) as chosen:
        who = _one_line(inviter) or _("A colleague")
        org = _one_line(organization)
        message = _new_message(settings, address, (_("Join %(org)s on cx-maturity") % {"org": org})[:200])
        lines = [
            _("Hello,"),
            "",
            _("%(who)s invites you to join %(org)s on cx-maturity as %(role)s.")
            % {"who": who, "org": org, "role": _one_line(role)},
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


def send(settings: Settings, messages: list[EmailMessage]) -> int:
    """Send each message to its ``To`` address; return how many were sent, or raise :class:`MailError`."""
    if not configured(settings):
        raise MailError("e-mail is not set up on this server (CXM_SMTP_HOST is empty)")
    where = f"{settings.smtp_host.strip()}:{settings.smtp_port}"
    sent = 0

    def failed(reason: str) -> MailError:
        done = f" ({sent} of {len(messages)} invitations were sent before that)" if sent else ""
        return MailError(f"{reason}{done}", sent)

    try:
        smtp = _connect(settings)
    except smtplib.SMTPAuthenticationError:
        raise failed(
            f"the mail server at {where} refused the user name or password (CXM_SMTP_USER, CXM_SMTP_PASSWORD)"
        ) from None
    except smtplib.SMTPNotSupportedError:
        raise failed(f"the mail server at {where} does not offer STARTTLS or login") from None
    except ssl.SSLError as exc:
        raise failed(f"could not set up TLS with the mail server at {where}: {exc.reason or exc}") from None
    except smtplib.SMTPException as exc:
        raise failed(f"the mail server at {where} did not accept the connection: {_reason(exc)}") from None
    except OSError as exc:
        raise failed(f"could not reach the mail server at {where} ({exc.strerror or exc})") from None
    try:
        for message in messages:
            address = str(message["To"])
            try:
                smtp.send_message(message, from_addr=settings.mail_from, to_addrs=[address])
            except smtplib.SMTPRecipientsRefused:
                raise failed(f"the mail server at {where} refused the address {address}") from None
            except smtplib.SMTPSenderRefused:
                raise failed(
                    f"the mail server at {where} refused the sender address {settings.mail_from} (CXM_MAIL_FROM)"
                ) from None
            except smtplib.SMTPException as exc:
                raise failed(f"the mail server at {where} reported an error: {_reason(exc)}") from None
            except OSError as exc:
                raise failed(f"lost the connection to the mail server at {where} ({exc.strerror or exc})") from None
            sent += 1
    finally:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()
    return sent


def _reason(exc: smtplib.SMTPException) -> str:
    error = getattr(exc, "smtp_error", None)
    if isinstance(error, bytes):
        return f"{getattr(exc, 'smtp_code', '')} {error.decode('utf-8', 'replace')}".strip()
    return str(exc) or type(exc).__name__
