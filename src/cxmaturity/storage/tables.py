"""Database tables (SQLAlchemy 2 ORM). Changes here need a migration in ``storage/migrations/versions``."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

ROLES = ("viewer", "facilitator", "owner")  # each role can do everything the roles before it can
ASSESSMENT_STATUSES = ("draft", "open", "closed")


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    # Named constraints let later migrations alter them on SQLite too (Alembic's batch mode needs the names).
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map = {datetime: DateTime(timezone=True), dict[str, Any]: JSON}  # noqa: RUF012


class Organization(Base):
    __tablename__ = "organization"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    industry: Mapped[str] = mapped_column(String(100), default="")
    size_band: Mapped[str] = mapped_column(String(50), default="")
    region: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: An optional logo for reports: PNG or JPEG bytes, checked by services/branding.py. Deferred: loading an
    #: organization (every page does) never loads its logo.
    logo: Mapped[bytes | None] = mapped_column(LargeBinary, default=None, deferred=True)
    logo_type: Mapped[str | None] = mapped_column(String(20), default=None)
    #: Whether the organization keeps its results out of the installation's peer benchmarks. Out unless an owner
    #: opts in (docs/benchmarks.md says why).
    benchmark_opt_out: Mapped[bool] = mapped_column(default=True, server_default=true())
    #: The smallest segment whose outcome metrics are shown (customers, survey responses), as for groups.
    min_segment_size: Mapped[int] = mapped_column(Integer, default=5, server_default="5")


class User(Base):
    __tablename__ = "user_account"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Membership(Base):
    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("user_id", "organization_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    user: Mapped[User] = relationship()
    organization: Mapped[Organization] = relationship()


class MemberInvitation(Base):
    """An owner's invitation of an e-mail address to join the organization with a role, until it is accepted.

    Membership exists only once the invited person, signed in, accepts: nothing is granted without consent, and the
    invitation looks the same whether or not the address has an account. Only the token's SHA-256 is stored; the row
    is deleted when the invitation is accepted, declined or revoked (single use).
    """

    __tablename__ = "member_invitation"
    __table_args__ = (UniqueConstraint("organization_id", "email"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    #: The address invited, kept so that owners can see and revoke pending invitations.
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    #: The language the owner chose for the e-mail (a code of ``LOCALES``); the join page falls back to it too.
    #: Invitations made before it was stored are English, as their e-mails were.
    language: Mapped[str] = mapped_column(String(16), default="en", server_default="en")


class UserSession(Base):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "user_session"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    #: How the session was started: "password", or "sso:" and the provider's key (services/sso.py). Turning password
    #: sign-in off for an organization ends its members' password sessions.
    method: Mapped[str] = mapped_column(String(40), default="password", server_default="password")


class SsoProvider(Base):
    """An organization's own OpenID Connect provider (docs/sso.md); the installation's comes from the environment.

    The client secret is stored to exchange codes with the provider and is never shown back (forms say only whether
    one is set).
    """

    __tablename__ = "sso_provider"
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(200))
    client_secret: Mapped[str] = mapped_column(String(500), default="")
    #: Scopes asked for, space-separated ("openid" first; some providers need "groups" to send the groups claim).
    scopes: Mapped[str] = mapped_column(String(300), default="openid email profile")
    groups_claim: Mapped[str] = mapped_column(String(100), default="groups")
    #: IdP group -> role in the organization; a person in none of them is not signed in.
    group_roles: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: False: members must sign in with single sign-on (the installation's break-glass owners excepted).
    password_signin: Mapped[bool] = mapped_column(default=True, server_default=true())
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SsoIdentity(Base):
    """An account's identity at an OpenID provider: the issuer and the provider's stable subject id (``sub``)."""

    __tablename__ = "sso_identity"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)


class ApiToken(Base):
    """A facilitator's token for the JSON API; it acts with the user's memberships. Only its SHA-256 is stored."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(100), default="")
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)


class UploadedFramework(Base):
    __tablename__ = "uploaded_framework"
    __table_args__ = (UniqueConstraint("organization_id", "framework_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    framework_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(300))
    source_yaml: Mapped[str] = mapped_column(Text)
    snapshot: Mapped[dict[str, Any]] = mapped_column()
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Assessment(Base):
    __tablename__ = "assessment"
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    framework_id: Mapped[str] = mapped_column(String(64))
    framework_version: Mapped[str] = mapped_column(String(32))
    #: The framework as it was when the assessment was created, so later edits never change past results.
    framework_snapshot: Mapped[dict[str, Any]] = mapped_column()
    status: Mapped[str] = mapped_column(String(10), default="draft")
    #: Target stage key per competency key.
    targets: Mapped[dict[str, Any]] = mapped_column(default=dict)
    min_group_size: Mapped[int] = mapped_column(Integer, default=3)
    #: SYNTHETIC data (demo) is labelled wherever the assessment is shown.
    synthetic: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    #: The assessment this one was started from ("re-assess"); its series is the organization's assessments on the
    #: same framework id (services/progress.py). No ON DELETE action: SQLite adds this column in place (migration
    #: 0004), and an in-place foreign key can have none that the schema check could see. Deleting an organization
    #: removes the whole series in one statement, which the key allows.
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("assessment.id"), default=None)
    #: In a campaign, whether viewers and unit leaders see units as "Unit A", "Unit B", … (docs/units.md).
    hide_unit_names: Mapped[bool] = mapped_column(default=False, server_default=false())
    organization: Mapped[Organization] = relationship()
    groups: Mapped[list[RespondentGroup]] = relationship(order_by="RespondentGroup.name", viewonly=True)


class Unit(Base):
    """A part of an organization (a region, a store, a function) in its tree of units (docs/units.md)."""

    __tablename__ = "unit"
    __table_args__ = (UniqueConstraint("organization_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), default=None, index=True)
    name: Mapped[str] = mapped_column(String(100))
    #: The organization's own code for the unit (a store number), used by tree imports; optional.
    key: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class UnitLeader(Base):
    """A person who leads a unit: they see its campaigns' results for it and every unit below it, nothing else."""

    __tablename__ = "unit_leader"
    __table_args__ = (UniqueConstraint("unit_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CampaignUnit(Base):
    """A unit an assessment runs in as a campaign, with its response-rate goal (percent of invitations finished)."""

    __tablename__ = "campaign_unit"
    __table_args__ = (UniqueConstraint("assessment_id", "unit_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    goal: Mapped[int | None] = mapped_column(Integer, default=None)


class RespondentGroup(Base):
    __tablename__ = "respondent_group"
    __table_args__ = (UniqueConstraint("assessment_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))


#: The source of an imported respondent's invitation until its whole import is written.
PENDING_IMPORT = "importing"
#: The source of a respondent who answered a quick evaluation's public link (services/quick_links.py).
PUBLIC_LINK = "public"


class Invitation(Base):
    """One respondent's access. Only the token's SHA-256 is stored; the link is shown (or sent) once."""

    __tablename__ = "invitation"
    __table_args__ = (
        # The key an answer points to (``Answer``): its respondent and, with it, the assessment the answer belongs
        # to. A unique index rather than a constraint, so that SQLite adds it without rebuilding the table; it
        # serves every look-up by assessment as the plain index it replaced.
        Index("uq_invitation_assessment_id", "assessment_id", "id", unique=True),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("respondent_group.id", ondelete="SET NULL"))
    #: The unit the respondent answers for in a campaign (docs/units.md); a unit with invitations cannot be deleted.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), default=None, index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: "link" for invitations, "import" for respondents whose answers came from a CSV file, PENDING_IMPORT while
    #: such an import is being written (services/imports.py): no reader counts those.
    source: Mapped[str] = mapped_column(String(10), default="link")
    #: False only for a link the app e-mailed itself. True when the facilitator saw the link (shown on a page,
    #: downloaded as CSV, returned by the API) or supplied the answers (an import): he could have answered it himself,
    #: so it never counts towards the size that lets a group be shown (services/results.py ``provenance_of``).
    held: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
    #: The language the respondent answered in (a code such as "de"), for reports only: answers score alike in any
    #: language. None until a page is saved.
    language: Mapped[str | None] = mapped_column(String(16), default=None)


class QuickLink(Base):
    """A quick evaluation published as a public link: anyone with it answers, anonymously, without an invitation.

    The token is kept in clear (unlike an invitation's digest) because the link is published on purpose and shown
    to the facilitators again; it opens nothing but the quick form, and withdrawing it stops it working.
    """

    __tablename__ = "quick_link"
    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"), index=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(default=None)


class Answer(Base):
    """One respondent's answer to one indicator.

    Keyed by (respondent, indicator), which also keeps it unique, with no surrogate id; its one foreign key is
    (assessment, respondent) to the invitation's (assessment_id, id): the answer belongs to the assessment of its
    respondent, whatever wrote it, and goes with the invitation (which goes with its assessment). An import writes
    hundreds of thousands of rows, and on PostgreSQL each costs every index and every foreign-key check it has: the
    id's sequence and index and a second check against ``assessment`` had made a bare COPY of 666,000 answers twice
    as slow (migration 0021).
    """

    __tablename__ = "answer"
    __table_args__ = (
        ForeignKeyConstraint(
            ["assessment_id", "invitation_id"], ["invitation.assessment_id", "invitation.id"], ondelete="CASCADE"
        ),
        # The readers of a whole assessment's answers use it, and so does deleting an invitation: the key's
        # cascade looks its answers up by (assessment, respondent), and on an index of the assessment alone it read
        # every answer of the assessment for each respondent wherever the planner had no statistics yet (a large
        # import failing and deleting what it wrote). As wide as an index of one integer on PostgreSQL (alignment).
        Index("ix_answer_assessment", "assessment_id", "invitation_id"),
    )
    #: The invitation's assessment, kept on the answer for the readers of a whole assessment's answers.
    assessment_id: Mapped[int] = mapped_column()
    invitation_id: Mapped[int] = mapped_column(primary_key=True)
    indicator_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: The option key, a rubric's stage key, or dk / na.
    option_key: Mapped[str] = mapped_column(String(64))
    importance: Mapped[int | None] = mapped_column(default=None)
    comment: Mapped[str | None] = mapped_column(Text, default=None)
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEvent(Base):
    __tablename__ = "audit_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str] = mapped_column(String(100), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class ThrottleEvent(Base):
    """One failed attempt (a wrong password, an unknown invitation link), counted to slow down guessing.

    ``key_hash`` is a digest of what was tried from where (an account's e-mail, a client address): the table never
    holds an address or an e-mail in clear. Rows older than the longest window are pruned as new ones arrive.
    """

    __tablename__ = "throttle_event"
    __table_args__ = (Index("ix_throttle_event_scope_key_at", "scope", "key_hash", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(20))
    key_hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class PlanSettings(Base):
    """What a team asks of the roadmap optimizer for one assessment (the targets are the assessment's own)."""

    __tablename__ = "plan_settings"
    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"), unique=True)
    #: Number of periods (quarters by default) the plan covers.
    horizon: Mapped[int] = mapped_column(Integer, default=8)
    #: Budget and capacity (person-months) per period; None is unlimited.
    budget: Mapped[float | None] = mapped_column(Float, default=None)
    capacity: Mapped[float | None] = mapped_column(Float, default=None)
    max_concurrent: Mapped[int] = mapped_column(Integer, default=3)
    #: Action keys the plan must include / must leave out.
    must: Mapped[list[str]] = mapped_column(JSON, default=list)
    must_not: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: The team's own initiatives: objects with the fields of a framework action (see services/plans.py).
    custom: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    #: The first day of period 1, for the calendar export; None: the first day of the quarter after the plan.
    start_date: Mapped[date | None] = mapped_column(Date, default=None)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PlanVersion(Base):
    """One saved plan of an assessment. Every save adds a version; versions are never changed."""

    __tablename__ = "plan_version"
    #: The unique constraint's index also serves lookups by assessment.
    __table_args__ = (UniqueConstraint("assessment_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"))
    #: 1, 2, 3, … per assessment.
    number: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Who changed what, in a sentence (English: the API, the command line and the audit log).
    note: Mapped[str] = mapped_column(String(500), default="")
    #: ``note`` as a phrase (i18n/phrase.py ``to_data``), rendered in the reader's language; None for a version saved
    #: before phrases were kept (its note is shown as written).
    note_phrase: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    #: "optimal", "feasible", "infeasible" or "empty" (the plan's status, for listings).
    status: Mapped[str] = mapped_column(String(20))
    #: The PlanRequest that was solved, as JSON (planning/serialize.py request_to_dict).
    request: Mapped[dict[str, Any]] = mapped_column()
    #: The resulting plan as JSON (planning/serialize.py plan_to_dict).
    plan: Mapped[dict[str, Any]] = mapped_column()


class InitiativeStatus(Base):
    """How an initiative of an assessment's saved plan is going: planned, in progress, done or dropped.

    Keyed by initiative key, not by plan version, so a status survives re-plans that keep the initiative.
    """

    __tablename__ = "initiative_status"
    __table_args__ = (UniqueConstraint("assessment_id", "initiative_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"))
    initiative_key: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))
    changed_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- live workshops (services/workshops.py, docs/workshops.md) -------------------------------------------------------


class Workshop(Base):
    """A live, facilitated session on one assessment's results. Running until the facilitator ends it or it expires.

    ``join_code`` is kept in clear because the presenter view shows it again after a reload; it opens nothing but
    joining this running workshop and is cleared (NULL) when the workshop ends, so a code never outlives it.
    ``version`` rises with every change: live events carry it, and a screen that reconnects gets the state at the
    current version.
    """

    __tablename__ = "workshop"
    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"), index=True)
    #: "running" or "finished".
    status: Mapped[str] = mapped_column(String(10), default="running")
    join_code: Mapped[str | None] = mapped_column(String(12), unique=True, default=None)
    expires_at: Mapped[datetime] = mapped_column()
    #: The agenda item on screen (no foreign key: an item belongs to the workshop, the two would form a cycle).
    current_item_id: Mapped[int | None] = mapped_column(Integer, default=None)
    version: Mapped[int] = mapped_column(Integer, default=1)
    #: The organization's own definition of a good customer experience, as the room wrote it.
    definition: Mapped[str] = mapped_column(Text, default="")
    started_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class WorkshopParticipant(Base):
    """A phone that joined: anonymous. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "workshop_participant"
    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)


class WorkshopItem(Base):
    """One agenda item: built from the results (``workshops.agenda``) or added by the facilitator."""

    __tablename__ = "workshop_item"
    __table_args__ = (Index("ix_workshop_item_workshop", "workshop_id", "position"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(500))
    reason: Mapped[str] = mapped_column(Text, default="")
    #: ``title`` and ``reason`` as phrases (i18n/phrase.py ``to_data``) for an item built from the results, rendered
    #: in the reader's language; None for an item the facilitator typed and for agendas stored before phrases.
    title_phrase: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    reason_phrase: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    competency: Mapped[str | None] = mapped_column(String(64), default=None)
    indicator: Mapped[str | None] = mapped_column(String(64), default=None)
    skipped: Mapped[bool] = mapped_column(default=False)
    #: The latest vote round (0: none yet) and its state: "none", "open" (hidden) or "revealed".
    round: Mapped[int] = mapped_column(Integer, default=0)
    vote_state: Mapped[str] = mapped_column(String(10), default="none")


class WorkshopVote(Base):
    """One participant's anonymous vote in one round of one item; the unique constraint counts it at most once."""

    __tablename__ = "workshop_vote"
    __table_args__ = (UniqueConstraint("item_id", "participant_id", "round"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("workshop_item.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(ForeignKey("workshop_participant.id", ondelete="CASCADE"))
    round: Mapped[int] = mapped_column(Integer)
    option_key: Mapped[str] = mapped_column(String(64))


class AgreedAnswer(Base):
    """The answer the team agreed on for one indicator of an assessment, with why and the evidence (the "as agreed"
    result scores it in place of the surveyed answers, ``workshops.agreed``)."""

    __tablename__ = "agreed_answer"
    __table_args__ = (UniqueConstraint("assessment_id", "indicator_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"))
    workshop_id: Mapped[int | None] = mapped_column(ForeignKey("workshop.id", ondelete="SET NULL"))
    indicator_key: Mapped[str] = mapped_column(String(64))
    option_key: Mapped[str] = mapped_column(String(64))
    rationale: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(String(500), default="")
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class WorkshopCommitment(Base):
    """A leader's personal commitment: what, by when; public (the room sees it) or private (the facilitator only)."""

    __tablename__ = "workshop_commitment"
    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("workshop_participant.id", ondelete="SET NULL"), default=None
    )
    who: Mapped[str] = mapped_column(String(100), default="")
    what: Mapped[str] = mapped_column(String(500))
    by_when: Mapped[date] = mapped_column(Date)
    public: Mapped[bool] = mapped_column(default=True)
    #: Whether it was kept, as the facilitator recorded at the next re-assessment (None: not yet known).
    kept: Mapped[bool | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WorkshopNextStep(Base):
    """A next step with an owner; ``initiative_key`` is set once it became an initiative of the plan."""

    __tablename__ = "workshop_next_step"
    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    competency: Mapped[str] = mapped_column(String(64))
    owner: Mapped[str] = mapped_column(String(100))
    duration: Mapped[int] = mapped_column(Integer, default=1)
    initiative_key: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- peer benchmarks (docs/benchmarks.md) ----------------------------------------------------------------------------


class AssessmentResult(Base):
    """The stored result of a closed assessment: one row overall (competency "") and one per competency.

    Written when the assessment closes (and by ``cxm benchmark refresh``), removed when it is reopened; benchmarks
    aggregate these rows in SQL instead of scoring every organization's answers again.
    """

    __tablename__ = "assessment_result"
    __table_args__ = (
        UniqueConstraint("assessment_id", "competency"),
        Index("ix_assessment_result_pool", "framework_key", "synthetic", "organization_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    framework_id: Mapped[str] = mapped_column(String(64))
    framework_version: Mapped[str] = mapped_column(String(32))
    #: Framework id, version and a digest of its structure: results are pooled only with the same questions.
    framework_key: Mapped[str] = mapped_column(String(120))
    synthetic: Mapped[bool] = mapped_column(default=False)
    closed_at: Mapped[datetime] = mapped_column()
    #: A competency key, or "" for the overall result.
    competency: Mapped[str] = mapped_column(String(64))
    stage_number: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    respondents: Mapped[int] = mapped_column(Integer)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class BenchmarkPool(Base):
    """A change counter per benchmark pool (a framework, real or synthetic results): every stored or removed result
    and every opt-in or opt-out counts, so looking at a benchmark checks for releasable changes only after one."""

    __tablename__ = "benchmark_pool"
    __table_args__ = (UniqueConstraint("framework_key", "synthetic"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    framework_key: Mapped[str] = mapped_column(String(120))
    synthetic: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    #: The version and minimum cohort of the last check for releasable changes (0: never checked).
    checked_version: Mapped[int] = mapped_column(Integer, default=0)
    checked_k: Mapped[int] = mapped_column(Integer, default=0)


class BenchmarkRelease(Base):
    """One published state of a benchmark pool (a framework, real or synthetic results).

    Benchmarks read only released results, and a release is made only when enough organizations changed since the
    previous one, so that comparing two releases never isolates one organization (docs/benchmarks.md).
    """

    __tablename__ = "benchmark_release"
    __table_args__ = (UniqueConstraint("framework_key", "synthetic", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    framework_key: Mapped[str] = mapped_column(String(120))
    framework_id: Mapped[str] = mapped_column(String(64))
    framework_version: Mapped[str] = mapped_column(String(32))
    synthetic: Mapped[bool] = mapped_column(default=False)
    #: 1, 2, 3, … per pool.
    number: Mapped[int] = mapped_column(Integer)
    organizations: Mapped[int] = mapped_column(Integer)
    #: The cohorts this release may show (industry, size band, region; null: any), chosen when it was made, and k.
    cohorts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    min_cohort: Mapped[int] = mapped_column(Integer)
    released_at: Mapped[datetime] = mapped_column(default=utcnow)


class BenchmarkReleaseResult(Base):
    """A released result: the organization's attributes and result as they were at the release."""

    __tablename__ = "benchmark_release_result"
    __table_args__ = (Index("ix_benchmark_release_result_release", "release_id", "competency", "score"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("benchmark_release.id", ondelete="CASCADE"))
    #: No foreign key on purpose: removing one organization's rows between releases would reveal them by difference.
    organization_id: Mapped[int] = mapped_column(Integer)
    industry: Mapped[str] = mapped_column(String(100))
    size_band: Mapped[str] = mapped_column(String(50))
    region: Mapped[str] = mapped_column(String(100))
    competency: Mapped[str] = mapped_column(String(64))
    stage_number: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)


class BenchmarkDataset(Base):
    """Aggregates imported from another installation's export (never answers, never organization names)."""

    __tablename__ = "benchmark_dataset"
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The organization that imported it and sees it; None: imported for the whole installation (``cxm benchmark
    #: import``).
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True, default=None
    )
    #: The exporting installation's name and the day of the export: shown wherever the dataset is.
    source: Mapped[str] = mapped_column(String(200))
    source_date: Mapped[date] = mapped_column(Date)
    framework_id: Mapped[str] = mapped_column(String(64))
    framework_version: Mapped[str] = mapped_column(String(32))
    framework_key: Mapped[str] = mapped_column(String(120))
    #: The cohort's definition (industry, size band, region) and its description in words.
    cohort: Mapped[dict[str, Any]] = mapped_column()
    description: Mapped[str] = mapped_column(String(500))
    organizations: Mapped[int] = mapped_column(Integer)
    #: The file as validated (benchmarks/dataset.py), aggregates per competency and overall.
    data: Mapped[dict[str, Any]] = mapped_column()
    imported_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReferenceDistribution(Base):
    """A published share of organizations per stage for a framework, with its citation (``cxm benchmark
    reference``); the built-in ones ship as data files in ``cxmaturity/benchmarks/references``."""

    __tablename__ = "reference_distribution"
    __table_args__ = (UniqueConstraint("framework_id", "title"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    citation: Mapped[str] = mapped_column(Text)
    #: The file as validated (benchmarks/reference.py): sample, year, url, share per stage key.
    data: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- stored results (services/results.py) ----------------------------------------------------------------------------


class AnswersRevision(Base):
    """A change counter per assessment: every write that can change its result adds one (answers saved, imported or
    removed, targets, groups). No row: nothing has changed since the assessment was created (revision 0).

    A table of its own, two integers wide, because a page save bumps it: SQLite rewrites a whole row on update, and
    the assessment's row holds the framework snapshot and the stored result's row a large JSON document.
    """

    __tablename__ = "answers_revision"
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)


class StoredResult(Base):
    """An assessment's scored result as it was at one answers revision, so that looking at it does not score again.

    Served only while ``revision`` is the assessment's current one and ``method`` the code's scoring method
    (``services.results.METHOD``); otherwise it is computed again and replaced.
    """

    __tablename__ = "stored_result"
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer)
    #: The scoring method that computed it (``services.results.METHOD``).
    method: Mapped[str] = mapped_column(String(40))
    #: The result at full precision (scoring/serialize.py ``result_to_full_dict``) and the comments it shows.
    data: Mapped[dict[str, Any]] = mapped_column()
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class StoredUnitTallies(Base):
    """A campaign's answers counted per unit, indicator and option as they were at one answers revision
    (``services.campaigns``), so that a roll-up read does not count some 200,000 answers again.

    Served only while ``revision`` is the assessment's current one and ``method`` the code's
    (``services.campaigns.TALLIES_METHOD``). Counts by unit id, not by tree position: moving or renaming units does
    not change them, and every write that changes an invitation's unit, source or answers bumps the revision.
    """

    __tablename__ = "stored_unit_tallies"
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(40))
    #: numpy arrays (``numpy.savez``, read back without pickle): unit ids, option counts, respondents per provenance.
    data: Mapped[bytes] = mapped_column(LargeBinary)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- customer outcomes (services/outcomes*.py, docs/outcomes.md) -----------------------------------------------------


class OutcomeSource(Base):
    """One imported file of outcome data: survey responses, a customer list or operational metrics (O-data).

    Every stored survey response, customer and operational value points to the import that last wrote it; removing
    an import removes what it wrote.
    """

    __tablename__ = "outcome_source"
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    #: "survey", "customers" or "operational".
    kind: Mapped[str] = mapped_column(String(20))
    file_name: Mapped[str] = mapped_column(String(300))
    #: The tool the file came from as recognized (or stated): qualtrics, surveymonkey, google_forms, csv, xlsx.
    tool: Mapped[str] = mapped_column(String(30))
    #: The column mapping the import used, as JSON (the outcomes package's mapping, with the scales chosen).
    mapping: Mapped[dict[str, Any]] = mapped_column()
    #: Data rows read from the file, rows stored new, rows that replaced an earlier import's row with the same key.
    rows: Mapped[int] = mapped_column(Integer, default=0)
    added: Mapped[int] = mapped_column(Integer, default=0)
    replaced: Mapped[int] = mapped_column(Integer, default=0)
    #: SYNTHETIC data (the demo) is labelled wherever it is shown.
    synthetic: Mapped[bool] = mapped_column(default=False)
    imported_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)


class SurveyResponse(Base):
    """One survey response, normalized: the outcome questions on their scales and the other numeric answers.

    Keyed by organization and the survey tool's response id, so a file imported twice is counted once (the later
    import replaces the row). Metrics are not read from these rows but from ``outcome_count``, kept in step by every
    write (services/outcomes_store.py); the only other index is the source's, which removing an import uses.
    """

    __tablename__ = "survey_response"
    __table_args__ = (Index("ix_survey_response_source", "source_id"),)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), primary_key=True)
    response_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("outcome_source.id", ondelete="CASCADE"))
    #: As the file gave it, without a time zone: survey tools export local times, and a month is the file's month.
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=False), default=None)
    #: ``submitted_at``'s month (``2026-03``), written with it. Stored rather than computed in the query: SQLite
    #: sorts every row to group by an expression (1.7 s for a million responses here) but groups a stored column
    #: in index order (0.1 s); quarters and years are sums of months.
    month: Mapped[str | None] = mapped_column(String(7), default=None)
    #: "" when the file has no segment column or the row leaves it empty.
    segment: Mapped[str] = mapped_column(String(100), default="")
    #: Likelihood to recommend, 0-10.
    nps: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    csat: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    #: The CSAT question's number of points (5 or 7).
    csat_scale: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    ces: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    ces_scale: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    #: The other numeric answers (driver questions such as touchpoint ratings) by the mapping's name for them.
    answers: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)


class OutcomeCount(Base):
    """How many of an organization's stored responses gave ``answer`` to a metric's question in a month and segment.

    Kept in step with ``survey_response`` in the transaction that writes or removes responses (an import adds the
    counts of its new rows and takes off those of the rows it replaced), so NPS, CSAT and CES by period and segment
    read a few thousand of these instead of every response, and stay exact: the metrics are functions of the counts.
    """

    __tablename__ = "outcome_count"
    __table_args__ = (UniqueConstraint("organization_id", "metric", "scale", "month", "segment", "answer"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    #: "nps", "csat" or "ces"; "responses" counts every response (scale and answer 0), answered or not.
    metric: Mapped[str] = mapped_column(String(10))
    #: The question's highest answer: 10 for NPS, 5 or 7 for CSAT and CES (an organization may hold both).
    scale: Mapped[int] = mapped_column(SmallInteger)
    #: ``2026-03``; "" for responses without a date (a key column, and NULLs never match in a unique key).
    month: Mapped[str] = mapped_column(String(7))
    segment: Mapped[str] = mapped_column(String(100))
    answer: Mapped[int] = mapped_column(SmallInteger)
    count: Mapped[int] = mapped_column(Integer)


class OutcomeUpload(Base):
    """An uploaded outcome file waiting between its preview and its import (removed by the import, or after a day).

    In the database rather than on a worker's disk: the preview and the import may be served by different workers.
    Only the SHA-256 of the random token that names it is stored.
    """

    __tablename__ = "outcome_upload"
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    file_name: Mapped[str] = mapped_column(String(300))
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutcomeMapping(Base):
    """A named column mapping an organization saved to reuse with the next export of the same survey."""

    __tablename__ = "outcome_mapping"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    #: "survey", "customers" or "operational".
    kind: Mapped[str] = mapped_column(String(20))
    mapping: Mapped[dict[str, Any]] = mapped_column()
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Customer(Base):
    """A customer from a CRM export, for the customer asset: when they came, when they left, what they are worth."""

    __tablename__ = "customer"
    __table_args__ = (
        UniqueConstraint("organization_id", "customer_key"),
        Index("ix_customer_source", "source_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    source_id: Mapped[int] = mapped_column(ForeignKey("outcome_source.id", ondelete="CASCADE"))
    #: The CRM's customer id.
    customer_key: Mapped[str] = mapped_column(String(200))
    segment: Mapped[str] = mapped_column(String(100), default="")
    start_date: Mapped[date] = mapped_column(Date)
    #: None while the customer stays.
    end_date: Mapped[date | None] = mapped_column(Date, default=None)
    #: Value per year (revenue or margin, in the organization's currency).
    value: Mapped[float] = mapped_column(Float, default=0.0)


class OperationalValue(Base):
    """One dated value of an operational metric (O-data), e.g. complaints per 1,000 orders in a month."""

    __tablename__ = "operational_value"
    __table_args__ = (
        UniqueConstraint("organization_id", "metric", "on_date", "segment"),
        Index("ix_operational_value_source", "source_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    source_id: Mapped[int] = mapped_column(ForeignKey("outcome_source.id", ondelete="CASCADE"))
    metric: Mapped[str] = mapped_column(String(200))
    on_date: Mapped[date] = mapped_column(Date)
    #: "" for the whole organization.
    segment: Mapped[str] = mapped_column(String(100), default="")
    value: Mapped[float] = mapped_column(Float)


class WatchedMetric(Base):
    """A metric an organization chose to watch ("key customer behaviors to watch"), shown on its scorecard.

    ``metric`` is a metric key: ``nps``, ``csat``, ``ces``, ``customers``, ``customer_value``, ``retention``,
    ``churn``, or ``operational:NAME`` for an O-data series.
    """

    __tablename__ = "watched_metric"
    __table_args__ = (UniqueConstraint("organization_id", "metric"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    metric: Mapped[str] = mapped_column(String(220))
    label: Mapped[str] = mapped_column(String(200), default="")
    #: Whether a rise is good news (False for complaints, effort, churn).
    higher_is_better: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class InitiativeMetric(Base):
    """A plan initiative's success measure tied to a metric, with the value it starts from and the one it aims at.

    Keyed by initiative key like ``InitiativeStatus``, so the link survives re-plans that keep the initiative.
    """

    __tablename__ = "initiative_metric"
    __table_args__ = (UniqueConstraint("assessment_id", "initiative_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"))
    initiative_key: Mapped[str] = mapped_column(String(64))
    #: A metric key, as in ``WatchedMetric``.
    metric: Mapped[str] = mapped_column(String(220))
    #: None: the metric's value over the period before the plan starts, computed when shown.
    baseline: Mapped[float | None] = mapped_column(Float, default=None)
    target: Mapped[float] = mapped_column(Float)
    changed_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class AssessmentSchedule(Base):
    """When an assessment opens and closes by itself, and how its e-mailed respondents are followed up.

    The worker acts on behalf of ``set_by`` (services/schedule.py): a schedule whose author lost the facilitator
    role does nothing and says so in ``problem``.
    """

    __tablename__ = "assessment_schedule"
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"), primary_key=True)
    opens_at: Mapped[datetime | None] = mapped_column(default=None)
    closes_at: Mapped[datetime | None] = mapped_column(default=None)
    #: Days before ``closes_at`` on which those who have not finished get a reminder, e.g. [7, 2].
    reminder_days: Mapped[list[int]] = mapped_column(JSON, default=list)
    #: At most this many reminders per person, however many reminder days there are.
    max_reminders: Mapped[int] = mapped_column(Integer, default=2)
    closing_notice: Mapped[bool] = mapped_column(default=True)
    set_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Why the worker could not act on this schedule (shown to the facilitator), or "".
    problem: Mapped[str] = mapped_column(String(500), default="")


class MailRecipient(Base):
    """One person invited by e-mail: the address (kept for reminders and the outbox) and their link, sealed.

    Either a respondent of an assessment (``assessment_id`` and ``invitation_id``) or someone invited to join an
    organization (``member_invitation_id`` only; deleted with that invitation when it is accepted, declined, revoked
    or replaced). The link's token is sealed with a key derived from CXM_SECRET_KEY (services/sealing.py) so that
    the worker can write it into the message at send time, and reminders can carry the same link; the facilitator
    never sees it (the invitation stays ``held=False``).
    """

    __tablename__ = "mail_recipient"
    __table_args__ = (
        Index("ix_mail_recipient_assessment", "assessment_id"),
        # Exactly one of the two kinds of invitation: the worker renders the message from the one that is set.
        CheckConstraint(
            "(assessment_id IS NOT NULL AND invitation_id IS NOT NULL AND member_invitation_id IS NULL)"
            " OR (assessment_id IS NULL AND invitation_id IS NULL AND member_invitation_id IS NOT NULL)",
            name="ck_mail_recipient_one_invitation",
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"))
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitation.id", ondelete="CASCADE"), unique=True)
    member_invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("member_invitation.id", ondelete="CASCADE"), unique=True, default=None
    )
    address: Mapped[str] = mapped_column(String(254))
    sealed_token: Mapped[str] = mapped_column(String(300))
    #: Set when the server refused the address for good (5xx): nothing more is sent to it.
    bounced_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


#: Outbox states. ``sending``: claimed by a worker, the message not yet handed over; ``handed``: the whole message
#: and its final dot were written to the server (services/delivery.py explains why this state exists).
OUTBOX_STATUSES = ("queued", "sending", "handed", "retrying", "sent", "bounced", "failed", "cancelled")


class OutboxMessage(Base):
    """One e-mail to one recipient: an invitation, a reminder (``round`` = days before close) or a closing notice to
    a respondent, or (``kind`` "join", no assessment) an invitation to join an organization."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        UniqueConstraint("recipient_id", "kind", "round", name="uq_outbox_message_recipient_kind_round"),
        Index("ix_outbox_message_assessment", "assessment_id"),
        Index("ix_outbox_message_due", "status", "due_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    #: None for an invitation to join an organization (its recipient names the organization's invitation).
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("mail_recipient.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(12))
    round: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    #: Not sent before this time (an invitation to an assessment that opens later; a retry's back-off).
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    #: A random value per claim: a worker only finishes the message it claimed itself.
    claim: Mapped[str | None] = mapped_column(String(32), default=None)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    #: The server's last answer (e.g. "550 No such user here"), or what went wrong reaching it.
    last_error: Mapped[str] = mapped_column(String(500), default="")
    #: The message's Message-ID header, fixed at first attempt so a retried message is the same message.
    message_id: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


#: Long-job states (services/long_jobs.py): ``queued`` until a worker takes it, ``running``, then ``done`` or
#: ``failed``.
LONG_JOB_STATES = ("queued", "running", "done", "failed")


class LongJob(Base):
    """A long piece of work the queue does for a member (a large answers import, a report file), with its progress.

    Only members of its organization see it (services/long_jobs.py). Its input (an import's file) is dropped when
    it ends; a report's file is kept in ``output`` for download until the job is older than a day.
    """

    __tablename__ = "long_job"
    __table_args__ = (Index("ix_long_job_state", "state", "updated_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"), index=True)
    #: "answers.import" or "report".
    kind: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(10), default="queued")
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    #: Where a report job is: {"step": "reading" | "unit" | "charts" | "page" | "writing", "n": ..., "of": ...}
    #: (unit n of "of"; page n); words, not text, so that each page says it in its own language. None for an import.
    stage: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    #: What to do: the import's file name; the report's format, paper and language.
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: The import's file, until the job ends.
    input: Mapped[str | None] = mapped_column(Text, default=None, deferred=True)
    #: What it made: {"imported": n}, or the report file's name, media type and size.
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    #: The report file, for download.
    output: Mapped[bytes | None] = mapped_column(LargeBinary, default=None, deferred=True)
    #: Why it failed: {"message": ..., "field": ..., "details": [...]} (the details name file, row and column).
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Moved on with every step of progress: a running job not moved on for a while lost its worker.
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    #: Attempts started: a job whose worker died runs again, up to services/long_jobs.py ``MAX_ATTEMPTS``.
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: A random value per attempt: only the attempt holding the job moves it on or finishes it.
    claim: Mapped[str | None] = mapped_column(String(32), default=None)
    #: The respondents the running import attempt has written so far, as runs of ids ([[first, last], ...]),
    #: recorded with each batch: the next attempt deletes exactly these when this one died.
    written: Mapped[list[list[int]] | None] = mapped_column(JSON, default=None)
