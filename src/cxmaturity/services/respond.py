"""What a respondent does through an invitation link: answer one competency per page, resume, finish.

Answers are saved page by page in one transaction each, so closing the browser loses at most the page on screen.
Saving a page again replaces that page's answers with the same values: a double submit changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import cast

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session, defer

from cxmaturity.frameworks import DONT_KNOW, NOT_APPLICABLE, Competency, Framework
from cxmaturity.i18n import N_
from cxmaturity.i18n.phrase import phrase
from cxmaturity.services import revisions
from cxmaturity.services.assessments import framework_from_snapshot
from cxmaturity.services.errors import Conflict, Invalid, NotFound
from cxmaturity.services.tokens import digest
from cxmaturity.storage.tables import Answer, Assessment, Invitation, Organization, RespondentGroup

MAX_COMMENT = 2000
#: Longest token accepted from a URL; real tokens are far shorter, so longer ones skip the database.
MAX_TOKEN = 200

NOT_FOUND_MESSAGE = "this link is not valid; check that you copied all of it"
NOT_OPEN_MESSAGE = "this assessment is not open yet; try the link again later"
CLOSED_MESSAGE = "this assessment is closed; what you saved before is kept"
COMPLETED_MESSAGE = "you have already submitted your answers; thank you"


@dataclass(frozen=True)
class Visit:
    """An invitation with everything its pages need."""

    invitation: Invitation
    assessment: Assessment
    organization: Organization
    group: str | None
    framework: Framework
    #: Competency keys that have at least one saved answer (or were saved empty). A locked visit (the start of a
    #: write) does not read them: ``saved_known`` is then False.
    saved: frozenset[str]
    saved_known: bool = True

    @property
    def completed(self) -> bool:
        return self.invitation.completed_at is not None

    @property
    def closed(self) -> bool:
        """True when answers cannot be saved: the assessment is a draft (not open yet) or closed."""
        return self.assessment.status != "open"

    @property
    def not_open_yet(self) -> bool:
        return self.assessment.status == "draft"

    @property
    def pages(self) -> int:
        return len(self.framework.competencies)

    def resume_page(self) -> int:
        """Return the first page not saved yet (the last page when all are)."""
        assert self.saved_known, "a locked visit does not read which pages were saved"
        for number, comp in enumerate(self.framework.competencies):
            if comp.key not in self.saved:
                return number
        return len(self.framework.competencies) - 1


@dataclass
class PageInput:
    """What a page's form sent: per indicator an answer key (empty = skipped), an importance and a comment."""

    answers: dict[str, str] = field(default_factory=dict)
    importance: dict[str, str] = field(default_factory=dict)
    comments: dict[str, str] = field(default_factory=dict)


def visit(db: Session, token: str, *, lock: bool = False) -> Visit:
    """Return the invitation's state, or NotFound for a token that does not exist (or an imported respondent).

    ``lock``: hold the invitation (exclusive) and its assessment (shared) until the transaction ends, as
    ``save_page`` and ``finish`` do; pass such a visit to them as ``current`` to save reading it twice.
    """
    return _visit(db, token, lock=lock)


def _visit(db: Session, token: str, *, lock: bool) -> Visit:
    """Read an invitation's state in one query (two when the saved pages are wanted).

    With ``lock``, PostgreSQL serializes two submits of the same invitation (both would otherwise delete nothing and
    insert twice, hitting the unique constraint). The assessment row is not locked, so respondents of one assessment
    save in parallel; a save racing a close may land just after it, as if it had arrived a moment earlier. SQLite
    ignores the lock; it serializes writers anyway.
    """
    if not token or len(token) > MAX_TOKEN:
        raise NotFound(NOT_FOUND_MESSAGE)
    if lock:
        return _locked_visit(db, token)
    # The snapshot is large and never changes: it is loaded only when the framework is not cached yet.
    query = (
        select(Invitation, Assessment, Organization, RespondentGroup.name)
        .join(Assessment, Assessment.id == Invitation.assessment_id)
        .join(Organization, Organization.id == Assessment.organization_id)
        .outerjoin(RespondentGroup, RespondentGroup.id == Invitation.group_id)
        .where(Invitation.token_hash == digest(token), Invitation.source == "link")
        .options(defer(Assessment.framework_snapshot))
    )
    found = db.execute(query).one_or_none()
    if found is None:
        raise NotFound(NOT_FOUND_MESSAGE)
    invitation, assessment, organization, group = found
    fw = _framework(db, assessment)
    saved = _saved_competencies(db, invitation, fw)
    return Visit(invitation, assessment, organization, group, fw, frozenset(saved))


_INVITATION = ("id", "assessment_id", "group_id", "started_at", "completed_at", "language")
_ASSESSMENT = (
    "id",
    "organization_id",
    "title",
    "status",
    "framework_id",
    "framework_version",
    "created_at",
    "min_group_size",
    "synthetic",
)
_ORGANIZATION = ("id", "name")


def _table(model: type[object]) -> Table:
    table: Table = model.__table__  # type: ignore[attr-defined]  # declarative models carry their Table
    return table


_INVITATIONS, _ASSESSMENTS, _ORGANIZATIONS, _GROUPS, _ANSWERS = (
    _table(Invitation),
    _table(Assessment),
    _table(Organization),
    _table(RespondentGroup),
    _table(Answer),
)

# The statements of a page save, built once: constructing a statement costs more than SQLAlchemy's compiled-SQL
# cache saves, and a page save is the busiest write of the app. Values are bound at execution.
_LOCKED_VISIT = (
    select(
        *(_INVITATIONS.c[name] for name in _INVITATION),
        *(_ASSESSMENTS.c[name] for name in _ASSESSMENT),
        *(_ORGANIZATIONS.c[name] for name in _ORGANIZATION),
        _GROUPS.c.name,
    )
    .select_from(_INVITATIONS)
    .join(_ASSESSMENTS, _ASSESSMENTS.c.id == _INVITATIONS.c.assessment_id)
    .join(_ORGANIZATIONS, _ORGANIZATIONS.c.id == _ASSESSMENTS.c.organization_id)
    .outerjoin(_GROUPS, _GROUPS.c.id == _INVITATIONS.c.group_id)
    .where(_INVITATIONS.c.token_hash == bindparam("token_hash"), _INVITATIONS.c.source == "link")
    .with_for_update(of=_INVITATIONS)
)
_DELETE_PAGE = delete(_ANSWERS).where(
    _ANSWERS.c.invitation_id == bindparam("invitation_id"),
    _ANSWERS.c.indicator_key.in_(bindparam("keys", expanding=True)),
)
_INSERT_ANSWERS = insert(_ANSWERS)


def _locked_visit(db: Session, token: str) -> Visit:
    """The visit that starts a write, read as plain columns in one statement.

    Loading three ORM entities costs more than the rest of a page save together; a write needs only these columns.
    The objects in the returned visit are not attached to the session: writes go through explicit statements.
    """
    db.flush()  # the statement below bypasses the session, which would otherwise flush pending rows first
    row = db.connection().execute(_LOCKED_VISIT, {"token_hash": digest(token)}).one_or_none()
    if row is None:
        raise NotFound(NOT_FOUND_MESSAGE)
    values = list(row)
    a, b = len(_INVITATION), len(_INVITATION) + len(_ASSESSMENT)
    # Plain attribute holders rather than ORM instances: building instrumented objects would cost more than the
    # query. They carry exactly the attributes a write and its error pages read.
    invitation = cast(Invitation, SimpleNamespace(**dict(zip(_INVITATION, values[:a], strict=True)), source="link"))
    assessment = cast(Assessment, SimpleNamespace(**dict(zip(_ASSESSMENT, values[a:b], strict=True))))
    organization = cast(Organization, SimpleNamespace(**dict(zip(_ORGANIZATION, values[b:-1], strict=True))))
    fw = _framework(db, assessment)
    return Visit(invitation, assessment, organization, values[-1], fw, frozenset(), saved_known=False)


_FRAMEWORKS: dict[tuple[int, int, str, str, datetime], Framework] = {}
_FRAMEWORKS_MAX = 256


def _framework(db: Session, assessment: Assessment) -> Framework:
    """Return the assessment's framework; snapshots never change, so it is parsed once per assessment."""
    key = (
        assessment.id,
        assessment.organization_id,
        assessment.framework_id,
        assessment.framework_version,
        assessment.created_at,
    )
    fw = _FRAMEWORKS.get(key)
    if fw is None:
        if len(_FRAMEWORKS) >= _FRAMEWORKS_MAX:
            _FRAMEWORKS.clear()
        snapshot = db.scalar(select(Assessment.framework_snapshot).where(Assessment.id == assessment.id))
        fw = _FRAMEWORKS[key] = framework_from_snapshot(snapshot or {})
    return fw


def _saved_competencies(db: Session, invitation: Invitation, fw: Framework) -> set[str]:
    keys = set(db.scalars(select(Answer.indicator_key).where(Answer.invitation_id == invitation.id)))
    return {c.key for c in fw.competencies if any(i.key in keys for i in c.indicators)}


def saved_answers(db: Session, v: Visit, competency: Competency) -> dict[str, Answer]:
    keys = [i.key for i in competency.indicators]
    rows = db.scalars(select(Answer).where(Answer.invitation_id == v.invitation.id, Answer.indicator_key.in_(keys)))
    return {row.indicator_key: row for row in rows}


def _check(v: Visit, competency: Competency, data: PageInput) -> list[tuple[str, str, int | None, str | None]]:
    """Return (indicator, answer, importance, comment) rows; raise Invalid naming the first bad field."""
    rows = []
    for ind in competency.indicators:
        answer = data.answers.get(ind.key, "").strip()
        allowed = {*v.framework.answer_keys(ind), DONT_KNOW, NOT_APPLICABLE}
        if answer and answer not in allowed:
            raise Invalid(
                phrase(N_("'%(answer)s' is not an answer to this question"), answer=answer[:40]), field=ind.key
            )
        raw_importance = data.importance.get(ind.key, "").strip()
        importance = None
        if raw_importance:
            if raw_importance not in {"1", "2", "3", "4", "5"}:
                raise Invalid(N_("importance is a number from 1 to 5"), field=f"{ind.key}:importance")
            importance = int(raw_importance)
        comment = data.comments.get(ind.key, "").strip()[:MAX_COMMENT] or None
        if answer or importance is not None or comment:
            rows.append((ind.key, answer, importance, comment))
    return rows


def _require_answerable(v: Visit) -> None:
    if v.completed:
        raise Conflict(COMPLETED_MESSAGE)
    if v.not_open_yet:
        raise Conflict(NOT_OPEN_MESSAGE)
    if v.closed:
        raise Conflict(CLOSED_MESSAGE)


def save_page(
    db: Session,
    token: str,
    competency_key: str,
    data: PageInput,
    *,
    current: Visit | None = None,
    language: str | None = None,
) -> Visit:
    """Save one page (replacing what it held) and return the new state; ``finish`` marks the invitation completed.

    ``language``: the language the page was shown in, kept so that the next page (on any device) uses it and reports
    can count answers per language; it changes no score.

    Raises NotFound (token or page), Conflict (not open, closed, already completed) or Invalid (a bad answer); it
    writes nothing before every check has passed. ``current``: this token's ``visit(db, token, lock=True)`` taken in
    the same transaction, if the caller has one.
    """
    v = current if current is not None else _visit(db, token, lock=True)
    _require_answerable(v)
    try:
        competency = v.framework.competency(competency_key)
    except KeyError:
        raise NotFound(N_("no such page")) from None
    rows = _check(v, competency, data)
    keys = [i.key for i in competency.indicators]
    now = datetime.now(UTC)
    # An empty page still counts as seen, so that resuming moves past it: keep a placeholder row.
    stored = rows or [(keys[0], "", None, None)]
    # Plain SQL statements on the session's connection, not the ORM's unit of work: a page save is the busiest
    # write of the app, and these three statements are all it needs.
    connection = db.connection()
    connection.execute(_DELETE_PAGE, {"invitation_id": v.invitation.id, "keys": keys})
    connection.execute(
        _INSERT_ANSWERS,
        [
            {
                "assessment_id": v.assessment.id,
                "invitation_id": v.invitation.id,
                "indicator_key": key,
                "option_key": answer,
                "importance": importance,
                "comment": comment,
                "answered_at": now,
            }
            for key, answer, importance, comment in stored
        ],
    )
    changes: dict[str, object] = {}
    if v.invitation.started_at is None:
        changes["started_at"] = now
    if language is not None and language != v.invitation.language:
        changes["language"] = language
    if changes:
        _mark(db, v, **changes)
    # Last, just before the commit: on PostgreSQL the counter's row stays locked until then (services/revisions.py).
    revisions.bump(connection, v.assessment.id)
    return replace(v, saved=v.saved | {competency.key})


def finish(db: Session, token: str, *, current: Visit | None = None) -> Visit:
    """Mark the invitation completed (used); its answers stay as saved. Finishing twice changes nothing.

    ``current``: as for ``save_page``.
    """
    v = current if current is not None else _visit(db, token, lock=True)
    if v.completed:
        return v
    _require_answerable(v)
    now = datetime.now(UTC)
    _mark(db, v, started_at=v.invitation.started_at or now, completed_at=now)
    revisions.bump(db, v.assessment.id)
    return v


def _mark(db: Session, v: Visit, **values: object) -> None:
    """Set the invitation's progress times (or language), in the database and on the visit's copy of it."""
    db.connection().execute(update(_INVITATIONS).where(_INVITATIONS.c.id == v.invitation.id).values(**values))
    for name, value in values.items():
        setattr(v.invitation, name, value)
