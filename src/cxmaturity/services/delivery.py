"""Deliver one outbox message, exactly once: the job that the queue's workers run (services/jobs.py).

The guarantee and how it is reached. A mail server owns a message once it has read the final dot; nothing before
the dot counts (a cut connection discards the partial message). So each message moves through states recorded in
its outbox row, each change committed before the next step:

1. **claim** (``queued``/``retrying`` → ``sending``, with a random claim value): an atomic UPDATE, so two workers
   never both send it; a message that is no longer wanted (bounced address, finished respondent, closed
   assessment, an invitation to join that expired) is ``cancelled`` instead.
2. MAIL, RCPT, DATA and the whole message are written, **without** the final dot.
3. **hand-over** (``sending`` → ``handed``) and the final dot. On PostgreSQL the UPDATE is sent and then the dot,
   in two back-to-back system calls, before either answer is read; both then reach their servers even if the
   worker is killed at once (the kernel delivers what a dead process had written). On SQLite the UPDATE is
   committed, then the dot is written.
4. **finish** (``handed`` → ``sent``, or ``bounced``/``retrying``/``failed`` on the server's answer).

A worker killed during 1-2 leaves ``sending``: the server never had the message, so after the lease
(CXM_QUEUE_LEASE_SECONDS) it is queued again and sent once. Killed after 3 leaves ``handed``: the server had it,
so it is counted as sent and never sent again. The only moment left where a kill loses or repeats a message is the
few microseconds between the two system calls of step 3 on PostgreSQL (lost: recorded as sent), or between the
commit and the dot on SQLite. docs/mail.md states this.

What it costs. On PostgreSQL the three steps are three single statements on one autocommit connection per thread
(:class:`PipelinedHandOver`), not ORM transactions: the claim reads what the message needs in the same statement,
and the claim and the finish are committed without waiting for the disk (``synchronous_commit = off``): a database
crash can lose such a commit only together with every later one, and the hand-over (which waits for the disk)
comes after the claim and before the finish; a claim lost so is a message never handed over, a finish lost so
leaves ``handed``, counted as sent. One flush to disk per message, three round trips. The queue's jobs carry
many messages each (services/jobs.py), sent one after another over the thread's one SMTP connection.
"""

from __future__ import annotations

import secrets
import select as selectors
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session, aliased, sessionmaker

from cxmaturity.services import mail, member_invitations, sealing
from cxmaturity.services.smtp_session import AnswerLost, Refusal, SmtpSession
from cxmaturity.settings import Settings
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import (
    Assessment,
    AssessmentSchedule,
    Invitation,
    MailRecipient,
    MemberInvitation,
    Organization,
    OutboxMessage,
    User,
)

CLAIMABLE = ("queued", "retrying")
#: The kind of an invitation to join an organization (services/member_invitations.py): no assessment.
JOIN = "join"
#: The back-off grows four-fold per attempt, to at most this.
MAX_BACKOFF = timedelta(hours=6)


@dataclass(frozen=True)
class Delivered:
    """What became of one message: its status, and when to try again (``retrying`` only)."""

    status: str
    retry_at: datetime | None = None


def backoff(settings: Settings, attempts: int) -> timedelta:
    """Return the wait before attempt ``attempts + 1``: CXM_MAIL_RETRY_SECONDS x 4^(attempts - 1), capped."""
    seconds = settings.mail_retry_seconds * 4 ** max(attempts - 1, 0)
    return min(timedelta(seconds=seconds), MAX_BACKOFF)


#: Seconds an assessment's message context (title, inviter, closing time) is reused.
CONTEXT_SECONDS = 60.0


@dataclass(frozen=True)
class _Context:
    organization: str
    title: str
    inviter: str
    minutes: int | None
    closes: datetime | None
    read_at: float


@dataclass(frozen=True)
class _Claimed:
    claim: str
    message: EmailMessage
    attempts: int


@dataclass(frozen=True)
class Joining:
    """What an invitation to join an organization says, read with its claim (it belongs to no assessment)."""

    organization: str
    inviter: str
    role: str


@dataclass(frozen=True)
class Row:
    """What composing one claimed message needs, read with its claim."""

    kind: str
    assessment_id: int | None
    attempts: int
    message_id: str
    address: str
    sealed: str
    language: str | None
    #: Set for an invitation to join (kind ``join``), rendered from it rather than from an assessment.
    joining: Joining | None = None


def _inviter(name: str | None, email: str | None) -> str:
    if not email:
        return ""
    return f"{name} ({email})" if name else email


#: The hand-over: (outbox id, claim, Message-ID, write the dot) -> records ``handed`` around writing the dot.
HandOver = Callable[[int, str, str, Callable[[], None]], None]


class Deliverer:
    """Sends outbox messages for one worker process: an SMTP connection per thread, the database's hand-over."""

    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        hand_over: PipelinedHandOver | None = None,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        #: PostgreSQL's statements on a connection of their own (claim, hand-over, finish); None: ORM transactions.
        self._pg = hand_over
        self._hand_over: HandOver = hand_over or self._committed_hand_over
        self._smtp: dict[int, SmtpSession] = {}
        self._contexts: dict[int, _Context] = {}

    def close(self) -> None:
        for session in self._smtp.values():
            session.close()
        self._smtp.clear()

    def _session(self) -> SmtpSession:
        import threading

        key = threading.get_ident()
        if key not in self._smtp:
            self._smtp[key] = SmtpSession(self.settings)
        return self._smtp[key]

    def deliver_many(self, message_ids: list[int]) -> dict[int, Delivered]:
        """Send each message in turn over this thread's SMTP connection, each claimed, handed over and finished on
        its own (a worker killed midway leaves every message in a state the sweep resolves); return the outcomes."""
        return {message_id: self.deliver(message_id) for message_id in message_ids}

    def deliver(self, message_id: int, now: datetime | None = None) -> Delivered:
        """Send the message if it is still to be sent and due; return what became of it."""
        now = now or datetime.now(UTC)
        claimed = self._pg_claim(message_id, now) if self._pg is not None else self._claim(message_id, now)
        if isinstance(claimed, Delivered):
            return claimed
        header = str(claimed.message["Message-ID"])
        try:
            reply = self._session().send(
                claimed.message, lambda dot: self._hand_over(message_id, claimed.claim, header, dot)
            )
        except Refusal as refusal:
            return self._refused(message_id, claimed, refusal, datetime.now(UTC))
        except AnswerLost as lost:
            # Sending it again could deliver it twice: as after a worker killed past the hand-over, it counts as sent.
            note = f"the connection broke after the whole message was handed to the mail server ({lost}); not again"
            self._finish(message_id, claimed.claim, status="sent", last_error=note, sent_at=datetime.now(UTC))
            return Delivered("sent")
        self._finish(message_id, claimed.claim, status="sent", last_error=reply, sent_at=datetime.now(UTC))
        return Delivered("sent")

    def _claim(self, message_id: int, now: datetime) -> _Claimed | Delivered:
        claim = secrets.token_hex(8)
        with transaction(self.sessions) as db:
            taken = db.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id == message_id,
                    OutboxMessage.status.in_(CLAIMABLE),
                    OutboxMessage.due_at <= now,
                )
                .values(status="sending", claim=claim, claimed_at=now, attempts=OutboxMessage.attempts + 1)
                .execution_options(synchronize_session=False)
            ).rowcount  # type: ignore[attr-defined]
            # One query for everything the message needs (a worker sends many; each round trip counts). Outer
            # joins: a respondent's message has an assessment and an invitation, an invitation to join neither.
            inviter = aliased(User)
            found = db.execute(
                select(
                    OutboxMessage,
                    MailRecipient.address,
                    MailRecipient.sealed_token,
                    MailRecipient.bounced_at,
                    Assessment.status,
                    Invitation.completed_at,
                    # The respondent's language, or the invitation to join's (a message has one or the other).
                    func.coalesce(Invitation.language, MemberInvitation.language),
                    MemberInvitation.role,
                    MemberInvitation.expires_at,
                    Organization.name,
                    inviter.name,
                    inviter.email,
                )
                .join(MailRecipient, MailRecipient.id == OutboxMessage.recipient_id)
                .outerjoin(Assessment, Assessment.id == OutboxMessage.assessment_id)
                .outerjoin(Invitation, Invitation.id == MailRecipient.invitation_id)
                .outerjoin(MemberInvitation, MemberInvitation.id == MailRecipient.member_invitation_id)
                .outerjoin(Organization, Organization.id == MemberInvitation.organization_id)
                .outerjoin(inviter, inviter.id == MemberInvitation.invited_by)
                .where(OutboxMessage.id == message_id)
            ).one_or_none()
            if found is None:
                return Delivered("gone")
            row, address, sealed, bounced_at, status, completed_at, language = found[:7]
            role, expires_at, org, name, email = found[7:]  # an invitation to join's; None for the others
            if not taken:
                return Delivered(row.status)
            why_not = _not_wanted(row.kind, bounced_at, status, completed_at, expires_at)
            if why_not:
                row.status, row.last_error, row.claim = "cancelled", why_not, None
                return Delivered("cancelled")
            joining = Joining(org or "", _inviter(name, email), role or "") if row.kind == JOIN else None
            message = self._compose(
                Row(row.kind, row.assessment_id, row.attempts, row.message_id, address, sealed, language, joining), db
            )
            if isinstance(message, str):
                row.status, row.last_error, row.claim = "failed", message, None
                return Delivered("failed")
            row.message_id = str(message["Message-ID"])
            return _Claimed(claim, message, row.attempts)

    def _pg_claim(self, message_id: int, now: datetime) -> _Claimed | Delivered:
        """The claim on PostgreSQL: one statement that claims the message and reads what it needs."""
        assert self._pg is not None
        claim = secrets.token_hex(8)
        found = self._pg.claim(message_id, claim, now)
        if isinstance(found, str):
            return Delivered(found)
        row, bounced_at, status, completed_at, expires_at = found
        why_not = _not_wanted(row.kind, bounced_at, status, completed_at, expires_at)
        if why_not:
            self._pg.finish(message_id, claim, {"status": "cancelled", "last_error": why_not})
            return Delivered("cancelled")
        message = self._compose(row)
        if isinstance(message, str):
            self._pg.finish(message_id, claim, {"status": "failed", "last_error": message})
            return Delivered("failed")
        return _Claimed(claim, message, row.attempts)

    def _context(self, assessment_id: int, db: Session | None = None) -> _Context:
        """What every message of an assessment says, kept for a minute: a campaign's thousands of messages need it
        read once, and a change of title reaches later messages soon."""
        import time

        cached = self._contexts.get(assessment_id)
        if cached is not None and time.monotonic() - cached.read_at < CONTEXT_SECONDS:
            return cached
        if db is not None:
            # Inside the claim's transaction (SQLite): a second session would wait for the writer this one is.
            context = self._read_context(db, assessment_id)
        else:
            with self.sessions() as own:
                context = self._read_context(own, assessment_id)
        self._contexts[assessment_id] = context
        return context

    def _read_context(self, db: Session, assessment_id: int) -> _Context:
        import time

        from cxmaturity.services.assessments import estimated_minutes, framework_of

        assessment = db.get(Assessment, assessment_id)
        assert assessment is not None
        creator = db.get(User, assessment.created_by) if assessment.created_by else None
        inviter = (f"{creator.name} ({creator.email})" if creator.name else creator.email) if creator else ""
        schedule = db.get(AssessmentSchedule, assessment_id)
        closes = schedule.closes_at if schedule is not None else None
        return _Context(
            assessment.organization.name,
            assessment.title,
            inviter,
            estimated_minutes(framework_of(assessment)),
            closes,
            time.monotonic(),
        )

    def _compose(self, row: Row, db: Session | None = None) -> EmailMessage | str:
        settings = self.settings
        if row.joining is not None:
            message = self._compose_joining(row, row.joining)
            if isinstance(message, str):
                return message
            return _with_message_id(message, row.message_id)
        assert row.assessment_id is not None  # every message but an invitation to join belongs to an assessment
        context = self._context(row.assessment_id, db)
        org, title = context.organization, context.title
        # The language the person was invited in: their reminder and closing notice follow it.
        language, address, sealed = row.language, row.address, row.sealed
        if row.kind == "closing":
            message = mail.closing_message(settings, address, organization=org, title=title, language=language)
        else:
            token = sealing.unseal(settings.secret_key, sealed)
            if token is None:
                return "the link could not be unsealed: CXM_SECRET_KEY differs from the one it was sealed with"
            link = f"{settings.base_url.rstrip('/')}/r/{token}"
            if row.kind == "reminder":
                message = mail.reminder_message(
                    settings, address, link, organization=org, title=title, closes=context.closes, language=language
                )
            else:
                message = mail.invitation_message(
                    settings,
                    address,
                    link,
                    inviter=context.inviter,
                    organization=org,
                    title=title,
                    minutes=context.minutes,
                    language=language,
                )
        return _with_message_id(message, row.message_id)

    def _compose_joining(self, row: Row, joining: Joining) -> EmailMessage | str:
        """An invitation to join an organization, written at send time from the invitation as it is now."""
        token = sealing.unseal(self.settings.secret_key, row.sealed)
        if token is None:
            return "the link could not be unsealed: CXM_SECRET_KEY differs from the one it was sealed with"
        return mail.member_invitation_message(
            self.settings,
            row.address,
            member_invitations.join_link(self.settings, token, row.language),
            inviter=joining.inviter,
            organization=joining.organization,
            role=joining.role,
            days=member_invitations.VALID_DAYS,
            language=row.language,
        )

    def _committed_hand_over(self, message_id: int, claim: str, header: str, write_dot: Callable[[], None]) -> None:
        with transaction(self.sessions) as db:
            _mark_handed(db, message_id, claim)
        write_dot()

    def _refused(self, message_id: int, claimed: _Claimed, refusal: Refusal, now: datetime) -> Delivered:
        if refusal.permanent:
            self._finish(message_id, claimed.claim, status="bounced", last_error=refusal.reason, bounced=True)
            return Delivered("bounced")
        if claimed.attempts >= self.settings.mail_max_attempts:
            self._finish(message_id, claimed.claim, status="failed", last_error=refusal.reason)
            return Delivered("failed")
        retry_at = now + backoff(self.settings, claimed.attempts)
        # The Message-ID kept for the next attempt (on PostgreSQL the claim did not record it): the same message.
        self._finish(
            message_id,
            claimed.claim,
            status="retrying",
            last_error=refusal.reason,
            due_at=retry_at,
            header=str(claimed.message["Message-ID"]),
        )
        return Delivered("retrying", retry_at)

    def _finish(
        self,
        message_id: int,
        claim: str,
        *,
        status: str,
        last_error: str,
        sent_at: datetime | None = None,
        due_at: datetime | None = None,
        bounced: bool = False,
        header: str | None = None,
    ) -> None:
        values: dict[str, object] = {"status": status, "last_error": last_error[:500], "claim": None}
        if sent_at is not None:
            values["sent_at"] = sent_at
        if due_at is not None:
            values["due_at"] = due_at
        if header is not None:
            values["message_id"] = header
        if self._pg is not None and not bounced:
            self._pg.finish(message_id, claim, values)
            return
        with transaction(self.sessions) as db:
            done = db.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id, OutboxMessage.claim == claim)
                .values(**values)
                .execution_options(synchronize_session=False)
            ).rowcount  # type: ignore[attr-defined]
            if done and bounced:
                row = db.get(OutboxMessage, message_id)
                assert row is not None
                recipient = db.get(MailRecipient, row.recipient_id)
                if recipient is not None and recipient.bounced_at is None:
                    recipient.bounced_at = datetime.now(UTC)


def _with_message_id(message: EmailMessage, header: str) -> EmailMessage:
    if header:
        # The same message as any earlier attempt: a receiving system can tell a repeat by its Message-ID.
        if "Message-ID" in message:
            message.replace_header("Message-ID", header)
        else:
            message["Message-ID"] = header
    elif "Message-ID" not in message:
        message["Message-ID"] = make_msgid()
    return message


def _mark_handed(db: Session, message_id: int, claim: str) -> None:
    db.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.claim == claim)
        .values(status="handed")
        .execution_options(synchronize_session=False)
    )


def _not_wanted(
    kind: str,
    bounced_at: datetime | None,
    status: str | None,
    completed_at: datetime | None,
    expires_at: datetime | None = None,
) -> str:
    """Return why the message should no longer go out, or ""."""
    if bounced_at is not None:
        return "the address bounced earlier: nothing more is sent to it"
    if kind == JOIN and expires_at is not None:
        expiry = expires_at if expires_at.tzinfo else expires_at.replace(tzinfo=UTC)  # SQLite: naive UTC
        if expiry <= datetime.now(UTC):
            return "the invitation expired before it went out"
    if kind in ("invitation", "reminder") and status == "closed":
        return "the assessment closed before this message went out"
    if kind == "reminder" and completed_at is not None:
        return "finished before the reminder went out"
    return ""


#: The claim on PostgreSQL: claim and read in one statement (a CTE's RETURNING: the claimed row as it is now).
#: Outer joins: a respondent's message has an assessment and an invitation; an invitation to join has neither, but
#: a member invitation, its organization and (unless the account was deleted) the owner who invited.
_PG_CLAIM = b"""
WITH taken AS (
    UPDATE outbox_message
    SET status = 'sending', claim = %(claim)s, claimed_at = %(now)s, attempts = attempts + 1
    WHERE id = %(id)s AND status IN ('queued', 'retrying') AND due_at <= %(now)s
    RETURNING kind, assessment_id, attempts, message_id, recipient_id
)
SELECT t.kind, t.assessment_id, t.attempts, t.message_id, r.address, r.sealed_token, COALESCE(i.language, m.language),
       r.bounced_at, a.status, i.completed_at, m.role, m.expires_at, o.name, u.name, u.email
FROM taken t
JOIN mail_recipient r ON r.id = t.recipient_id
LEFT JOIN assessment a ON a.id = t.assessment_id
LEFT JOIN invitation i ON i.id = r.invitation_id
LEFT JOIN member_invitation m ON m.id = r.member_invitation_id
LEFT JOIN organization o ON o.id = m.organization_id
LEFT JOIN user_account u ON u.id = m.invited_by
"""
_FINISH_COLUMNS = ("status", "last_error", "sent_at", "due_at", "message_id")


class PipelinedHandOver:
    """PostgreSQL's statements for one worker: the claim, the hand-over and the finish (see the module's docstring).

    The hand-over sends the UPDATE, then the dot, then reads the answers. One autocommit connection per thread,
    outside SQLAlchemy's pool: the statement commits by itself as soon as the server has read it, whether or not
    this process lives to read the answer. The claim and the finish use a second one per thread, whose commits do
    not wait for the disk (``synchronous_commit = off``; why that loses nothing: the module's docstring).
    """

    def __init__(self, engine: Engine) -> None:
        from cxmaturity.storage.database import libpq_conninfo

        self._conninfo, self._options = libpq_conninfo(engine)
        self._connections: dict[tuple[int, bool], object] = {}

    def _connection(self, lazy: bool = False) -> object:
        import threading

        import psycopg

        key = (threading.get_ident(), lazy)
        connection = self._connections.get(key)
        if connection is None or connection.closed:  # type: ignore[attr-defined]
            options = f"{self._options} -c synchronous_commit=off" if lazy else self._options
            connection = psycopg.connect(self._conninfo, options=options, autocommit=True)
            self._connections[key] = connection
        return connection

    def _lazy(self) -> Any:
        import psycopg

        connection = self._connection(lazy=True)
        assert isinstance(connection, psycopg.Connection)
        return connection

    def claim(
        self, message_id: int, claim: str, now: datetime
    ) -> tuple[Row, datetime | None, str | None, datetime | None, datetime | None] | str:
        """Claim the message and read it; return it with (bounced at, assessment status, completed at, an invitation
        to join's expiry), or the message's status when it could not be claimed ("gone" when there is no such
        message)."""
        connection = self._lazy()
        found = connection.execute(_PG_CLAIM, {"id": message_id, "claim": claim, "now": now}).fetchone()
        if found is None:
            status = connection.execute("SELECT status FROM outbox_message WHERE id = %s", (message_id,)).fetchone()
            return "gone" if status is None else str(status[0])
        kind, assessment_id, attempts, header, address, sealed, language, bounced_at, status, completed_at = found[:10]
        role, expires_at, organization, name, email = found[10:]  # an invitation to join's; NULL for the others
        joining = Joining(organization or "", _inviter(name, email), role or "") if kind == JOIN else None
        row = Row(kind, assessment_id, attempts, header, address, sealed, language, joining)
        return row, bounced_at, status, completed_at, expires_at

    def finish(self, message_id: int, claim: str, values: dict[str, object]) -> None:
        """Record what became of a claimed message (only the worker that claimed it can)."""
        names = [name for name in _FINISH_COLUMNS if name in values]
        assignments = ", ".join(f"{name} = %({name})s" for name in names)
        self._lazy().execute(
            f"UPDATE outbox_message SET {assignments}, claim = NULL WHERE id = %(id)s AND claim = %(claim)s",
            {**{name: values[name] for name in names}, "id": message_id, "claim": claim},
        )

    def __call__(self, message_id: int, claim: str, header: str, write_dot: Callable[[], None]) -> None:
        import psycopg
        from psycopg import pq

        connection = self._connection()
        assert isinstance(connection, psycopg.Connection)
        pgconn = connection.pgconn
        # The Message-ID is recorded with the hand-over: from here on the message may exist at the server, and a
        # message sent again (after a lost answer) must carry the same one.
        pgconn.send_query_params(
            b"UPDATE outbox_message SET status = 'handed', message_id = $3 WHERE id = $1 AND claim = $2",
            [str(message_id).encode(), claim.encode(), header.encode()],
        )
        # libpq may keep part of the query in its buffer: push all of it into the socket before the dot.
        while pgconn.flush():
            selectors.select([], [pgconn.socket], [])
        write_dot()
        while True:
            pgconn.consume_input()
            if not pgconn.is_busy():
                break
            selectors.select([pgconn.socket], [], [])
        failed = None
        while (result := pgconn.get_result()) is not None:
            if result.status != pq.ExecStatus.COMMAND_OK:
                failed = (result.error_message or b"").decode("utf-8", "replace")
        if failed:
            # The dot is already written: the message was handed over; only the record of it failed.
            raise RuntimeError(f"could not record the hand-over of message {message_id}: {failed}")

    def close(self) -> None:
        for connection in self._connections.values():
            connection.close()  # type: ignore[attr-defined]
        self._connections.clear()
