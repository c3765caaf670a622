"""One worker's connection to the SMTP server, kept open between messages, sending each message in steps so that
the caller can record "handed over" at the one moment that matters: just before the final dot.

Why the steps: a mail server takes responsibility for a message when it reads the line with the single dot that ends
it. Everything before that can be cut off (a killed worker, a lost connection) and the server throws the partial
message away; everything after it is the server's. services/delivery.py records the hand-over right there.
"""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
import time
from collections.abc import Callable
from contextlib import suppress
from email.message import EmailMessage

from cxmaturity.services.mail import SMTPS_PORT, TIMEOUT
from cxmaturity.settings import Settings

#: A connection idle longer than this (seconds) is checked with NOOP before use; a busy one is not.
IDLE_CHECK = 2.0
_EOL = re.compile(rb"\r\n|\n|\r")
_LEADING_DOT = re.compile(rb"(?m)^\.")


class Refusal(Exception):
    """The server refused the message: ``permanent`` for a 5xx answer (the address or message will never work)."""

    def __init__(self, permanent: bool, reason: str) -> None:
        super().__init__(reason)
        self.permanent = permanent
        self.reason = reason


class AnswerLost(Exception):
    """The whole message, final dot included, was written, and then the connection broke before the server's
    answer: the server has the message (or threw it away for a reason it could not tell). Never sent again."""


def _reason(code: int, text: bytes | str) -> str:
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {' '.join(words.split())}"[:500]


def _no_delay(smtp: smtplib.SMTP) -> None:
    """Turn Nagle's algorithm off on the connection. The final dot is written on its own, just after the message
    (see the module's docstring): with Nagle on, the kernel holds that small write back until the server acknowledges
    the message's last segment, which a server with nothing to answer yet delays (40 ms on Linux), once per message.
    That wait was most of a message's time in the queue bench."""
    if smtp.sock is None:
        return
    with suppress(OSError):
        smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class SmtpSession:
    """A connection that reconnects when needed; one per worker thread, never shared."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None
        self._target: tuple[str, int, str] = ("", 0, "")
        self._used_at = 0.0

    def _where(self) -> tuple[str, int, str]:
        return (self.settings.smtp_host.strip(), self.settings.smtp_port, self.settings.smtp_user)

    def _connect(self) -> smtplib.SMTP:
        host, port = self.settings.smtp_host.strip(), self.settings.smtp_port
        where = f"{host}:{port}"
        context = ssl.create_default_context()
        try:
            smtp = (
                smtplib.SMTP_SSL(host, port, timeout=TIMEOUT, context=context)
                if port == SMTPS_PORT
                else smtplib.SMTP(host, port, timeout=TIMEOUT)
            )
        except OSError as exc:
            raise Refusal(False, f"could not reach the mail server at {where} ({exc.strerror or exc})") from None
        _no_delay(smtp)
        try:
            smtp.ehlo_or_helo_if_needed()
            if self.settings.smtp_starttls and port != SMTPS_PORT:
                smtp.starttls(context=context)
                smtp.ehlo()
            if self.settings.smtp_user:
                smtp.login(self.settings.smtp_user, self.settings.smtp_password)
        except smtplib.SMTPAuthenticationError:
            smtp.close()
            # Transient for the message: the facilitator's settings are wrong, not the address.
            raise Refusal(False, f"the mail server at {where} refused the user name or password") from None
        except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:
            smtp.close()
            raise Refusal(False, f"the mail server at {where} did not accept the connection: {exc}"[:500]) from None
        return smtp

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None

    def send(self, message: EmailMessage, hand_over: Callable[[Callable[[], None]], None]) -> str:
        """Send ``message`` to its ``To`` address; return the server's answer to the final dot.

        ``hand_over(write_dot)`` is called once the whole message but its final dot is written; it must call
        ``write_dot`` (and record the hand-over around it). Raises :class:`Refusal`.
        """
        if self._smtp is not None and self._target != self._where():
            self.close()  # the settings changed: a connection to the server they name now
        if self._smtp is None:
            self._smtp = self._connect()
            self._target = self._where()
        elif time.monotonic() - self._used_at > IDLE_CHECK and not self._alive(self._smtp):
            # A kept connection the server has closed meanwhile (idle timeout): nothing of this message was sent.
            self._drop()
            self._smtp = self._connect()
            self._target = self._where()
        smtp = self._smtp
        self._used_at = time.monotonic()
        try:
            return self._transaction(smtp, message, hand_over)
        except Refusal:
            self._reset()
            raise
        except AnswerLost:
            self._drop()
            raise
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            raise Refusal(False, f"lost the connection to the mail server ({exc})"[:500]) from None

    def _transaction(
        self, smtp: smtplib.SMTP, message: EmailMessage, hand_over: Callable[[Callable[[], None]], None]
    ) -> str:
        sender, address = self.settings.mail_from, str(message["To"])
        code, text = smtp.mail(sender)
        if code != 250:
            raise Refusal(code >= 500, _reason(code, text))
        code, text = smtp.rcpt(address)
        if code not in (250, 251):
            raise Refusal(code >= 500, _reason(code, text))
        code, text = smtp.docmd("data")
        if code != 354:
            raise Refusal(code >= 500, _reason(code, text))
        body = _EOL.sub(b"\r\n", message.as_bytes(policy=message.policy.clone(linesep="\r\n")))
        body = _LEADING_DOT.sub(b"..", body)
        if not body.endswith(b"\r\n"):
            body += b"\r\n"
        smtp.send(body)
        hand_over(lambda: smtp.send(b".\r\n"))
        try:
            code, text = smtp.getreply()
        except (smtplib.SMTPException, OSError) as exc:
            raise AnswerLost(str(exc)) from None
        if code != 250:
            raise Refusal(code >= 500, _reason(code, text))
        return _reason(code, text)

    @staticmethod
    def _alive(smtp: smtplib.SMTP) -> bool:
        try:
            return smtp.noop()[0] == 250
        except (smtplib.SMTPException, OSError):
            return False

    def _reset(self) -> None:
        if self._smtp is None:
            return
        try:
            self._smtp.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def _drop(self) -> None:
        if self._smtp is not None:
            self._smtp.close()
            self._smtp = None
