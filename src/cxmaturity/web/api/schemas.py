"""Request and response bodies of the JSON API.

``…Create`` / ``…Update`` models are what a client may send (every string and list has a bound); ``…Public`` models
are what the API returns. Responses are always built from these models, never from database rows, so a new column
never leaks into the API by accident.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from cxmaturity.frameworks import DONT_KNOW, NOT_APPLICABLE, Framework, Rubric, Statement
from cxmaturity.services.assessments import MAX_GROUPS, MAX_TITLE, FrameworkChoice, GroupRate, framework_of
from cxmaturity.services.respond import MAX_COMMENT, Visit
from cxmaturity.storage.tables import Answer, Assessment, Organization, RespondentGroup

#: A hard bound on CSV and YAML text in a request, whatever the settings say; the configured limit
#: (``CXM_MAX_UPLOAD_BYTES``, 5 MiB by default) is checked as well, in bytes of UTF-8.
MAX_TEXT_CHARS = 50 * 1024 * 1024
#: Indicator keys per page, answers per request: far above any real framework, far below a memory problem.
MAX_PAGE_ENTRIES = 500

Name = Annotated[str, StringConstraints(max_length=100)]
Key = Annotated[str, StringConstraints(min_length=1, max_length=64)]
AnswerKey = Annotated[str, StringConstraints(max_length=64)]


def _utc(value: datetime) -> datetime:
    """SQLite hands back times without a zone; every time stored is UTC, so say so."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


#: A moment in time, always with its zone (UTC): ``2026-03-01T09:30:00Z``.
Utc = Annotated[datetime, AfterValidator(_utc)]


class _In(BaseModel):
    """A request body: unknown fields are an error, so a typo in a field name is never silently ignored."""

    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


# --- organizations ----------------------------------------------------------------------------------------------


class OrganizationCreate(_In):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    industry: Annotated[str, StringConstraints(max_length=100)] = ""
    size_band: Annotated[str, Field(max_length=20, description="One of 1-49, 50-249, 250-999, 1000-4999, 5000+.")] = ""
    region: Annotated[str, StringConstraints(max_length=100)] = ""


class MemberInvitationCreate(_In):
    email: Annotated[str, StringConstraints(min_length=3, max_length=320)]
    role: Literal["viewer", "facilitator", "owner"] = Field(description="The role the person gets on accepting.")
    language: Annotated[str, StringConstraints(max_length=16)] = Field(
        "en",
        description="The language of the e-mail and of the pages its link opens: en, de, fr or es (default en).",
    )


class MemberInvitationSent(_Out):
    """The same answer whether or not the address has an account."""

    email: str
    role: str
    language: str = Field(description="The language of the e-mail and of the pages the link opens.")
    expires_at: Utc
    delivery: Literal["email", "link"] = Field(
        description="`email`: the link is queued to be e-mailed to the address by the queue's worker (its state is "
        "in the list of pending invitations, `mail`). `link`: this server sends no e-mail; hand over `link` "
        "yourself (shown only in this response)."
    )
    link: str | None = None


class MemberInvitationMail(_Out):
    """What became of an invitation's e-mail (the outbox's states: docs/mail.md)."""

    status: Literal["queued", "sending", "handed", "retrying", "sent", "bounced", "failed", "cancelled"]
    attempts: int
    due_at: Utc = Field(description="Not sent before this time (a retry's back-off).")
    sent_at: Utc | None
    last_error: str = Field(
        description="The mail server's last answer (e.g. `550 No such user here`), or what went wrong reaching it."
    )


class MemberInvitationPublic(_Out):
    id: int
    email: str
    role: str
    language: str = Field(description="The language of its e-mail: en, de, fr or es.")
    created_at: Utc
    expires_at: Utc
    mail: MemberInvitationMail | None = Field(
        description="Its e-mail's delivery; null when this server sends no e-mail (the link was handed to the owner)."
    )


class MemberInvitationOffer(_Out):
    """What an invitation link offers the signed-in person."""

    organization_id: int
    organization: str
    role: str
    invited_by: str = Field(description="The owner who invited (name and e-mail).")
    email: str = Field(description="The address invited.")
    language: str = Field(description="The invitation's language (en, de, fr or es): its e-mail's and its pages'.")
    expires_at: Utc


class AuditEventPublic(_Out):
    id: int
    at: Utc
    action: str = Field(description="What was done, e.g. `assessment.status` or `membership.add`.")
    who: str = Field(description="The account that did it (name and e-mail); empty for the system.")
    target: str
    detail: dict[str, Any]


class OrganizationPublic(_Out):
    id: int
    name: str
    industry: str
    size_band: str
    region: str
    role: Literal["viewer", "facilitator", "owner"] = Field(description="Your role in this organization.")
    created_at: Utc

    @classmethod
    def of(cls, org: Organization, role: str) -> OrganizationPublic:
        return cls(
            id=org.id,
            name=org.name,
            industry=org.industry,
            size_band=org.size_band,
            region=org.region,
            role=role,
            created_at=org.created_at,
        )


# --- frameworks -------------------------------------------------------------------------------------------------


class FrameworkUpload(_In):
    text: Annotated[str, Field(min_length=1, max_length=MAX_TEXT_CHARS, description="The framework's YAML.")]
    filename: Annotated[str, Field(max_length=255, description="Named in error messages, e.g. my-model.yaml:3:5 …")] = (
        "framework.yaml"
    )


class FrameworkChoicePublic(_Out):
    ref: str = Field(description='What POST …/assessments takes as "framework": builtin:ID or uploaded:N.')
    id: str
    name: str
    version: str
    uploaded: bool

    @classmethod
    def of(cls, choice: FrameworkChoice) -> FrameworkChoicePublic:
        return cls(ref=choice.ref, id=choice.id, name=choice.name, version=choice.version, uploaded=choice.uploaded)


# --- assessments ------------------------------------------------------------------------------------------------


class AssessmentCreate(_In):
    title: Annotated[str, StringConstraints(min_length=1, max_length=MAX_TITLE)]
    framework: Annotated[
        str, Field(max_length=100, description="A ref from GET /api/v1/frameworks: builtin:ID or uploaded:N.")
    ]
    groups: Annotated[list[Name], Field(default_factory=list, max_length=MAX_GROUPS)]
    min_group_size: Annotated[
        int | None,
        Field(ge=1, le=100, description="Smallest group whose results are shown; default CXM_DEFAULT_MIN_GROUP_SIZE."),
    ] = None


class AssessmentUpdate(_In):
    status: Literal["open", "closed"] | None = Field(
        default=None, description="open: draft or closed → open; closed: open → closed."
    )
    targets: Annotated[
        dict[Key, AnswerKey] | None,
        Field(
            max_length=MAX_PAGE_ENTRIES,
            description="Target stage per competency key; replaces all targets. An empty value means the next stage.",
        ),
    ] = None


class GroupsCreate(_In):
    names: Annotated[list[Name], Field(min_length=1, max_length=MAX_GROUPS)]


class GroupPublic(_Out):
    id: int
    name: str

    @classmethod
    def of(cls, group: RespondentGroup) -> GroupPublic:
        return cls(id=group.id, name=group.name)


class GroupsPublic(_Out):
    added: list[GroupPublic] = Field(description="The groups this request created (existing names are skipped).")
    groups: list[GroupPublic] = Field(description="All groups of the assessment.")


class FrameworkRefPublic(_Out):
    id: str
    version: str
    name: str


class AssessmentPublic(_Out):
    id: int
    organization_id: int
    title: str
    status: Literal["draft", "open", "closed"]
    framework: FrameworkRefPublic
    targets: dict[str, str]
    min_group_size: int
    synthetic: bool = Field(description="True for invented demo data, which must be labelled wherever it is shown.")
    groups: list[GroupPublic]
    created_at: Utc
    opened_at: Utc | None
    closed_at: Utc | None

    @classmethod
    def of(cls, assessment: Assessment, groups: list[RespondentGroup]) -> AssessmentPublic:
        fw = framework_of(assessment)
        return cls(
            id=assessment.id,
            organization_id=assessment.organization_id,
            title=assessment.title,
            status=assessment.status,
            framework=FrameworkRefPublic(id=fw.id, version=fw.version, name=fw.text(fw.name)),
            targets={str(k): str(v) for k, v in (assessment.targets or {}).items()},
            min_group_size=assessment.min_group_size,
            synthetic=assessment.synthetic,
            groups=[GroupPublic.of(g) for g in groups],
            created_at=assessment.created_at,
            opened_at=assessment.opened_at,
            closed_at=assessment.closed_at,
        )


# --- invitations and response rates -----------------------------------------------------------------------------


class InvitationsCreate(_In):
    group_id: int | None = Field(default=None, description="A group of this assessment, or null for no group.")
    unit_id: int | None = Field(default=None, description="In a campaign, the unit these invitations are for.")
    count: Annotated[int, Field(ge=1, description="How many links; at most CXM_MAX_INVITATIONS_PER_REQUEST.")] = 1


class InvitationPublic(_Out):
    token: str = Field(description="The respondent's secret; shown only in this response.")
    link: str = Field(description="The page where the respondent answers.")
    api: str = Field(description="The respondent API's address for this invitation.")


class InvitationsPublic(_Out):
    assessment_id: int
    group_id: int | None
    invitations: list[InvitationPublic]


class ResponseRatePublic(_Out):
    group: str
    invited: int
    started: int
    completed: int
    rate: float = Field(description="completed / invited (0 when none invited).")

    @classmethod
    def of(cls, rate: GroupRate) -> ResponseRatePublic:
        return cls(
            group=rate.group,
            invited=rate.invited,
            started=rate.started,
            completed=rate.completed,
            rate=round(rate.rate, 4),
        )


# --- answers and results ----------------------------------------------------------------------------------------


class AnswersImport(_In):
    text: Annotated[
        str, Field(min_length=1, max_length=MAX_TEXT_CHARS, description="The CSV: long or wide form, as for cxm score.")
    ]
    filename: Annotated[str, Field(max_length=255, description="Named in error messages.")] = "answers.csv"
    allow_duplicate: bool = Field(
        default=False,
        description="Import even a file the assessment already holds (refused with 409 otherwise): its respondents "
        "then count twice.",
    )


class ImportPublic(_Out):
    imported: int = Field(description="Respondents added.")


class JobErrorPublic(_Out):
    message: str = Field(description="What went wrong; nothing was imported or saved.")
    field: str | None = Field(default=None, description="The input it concerns (`file`).")
    details: list[str] = Field(default_factory=list, description="Each problem, naming file, row and column.")


class JobStagePublic(_Out):
    """Where a report job is: a unit of the campaign scored, a chart drawn, a page laid out or a slide built
    (docs/reports.md)."""

    step: Literal["reading", "unit", "charts", "chart", "page", "slide", "writing"]
    n: int | None = Field(
        description="The unit scored or the chart drawn (of `of`), the page laid out, the slide built."
    )
    of: int | None = Field(description="The units to score (step `unit`) or the charts to draw (step `chart`).")
    label: str = Field(description="The stage in words, in the request's language (Accept-Language).")


class JobPublic(_Out):
    """A long job (a large answers import, a report file) done by the job queue (docs/api.md)."""

    id: int
    kind: Literal["answers.import", "report"]
    state: Literal["queued", "running", "done", "failed"]
    assessment_id: int
    done: int = Field(
        description="Steps done: respondents written for an import; for a report, one per unit of a campaign scored, "
        "besides reading, charts, layout and writing."
    )
    total: int = Field(description="Steps in all (0 while an import's file is being checked).")
    stage: JobStagePublic | None = Field(
        description="Where a running report is (kept when it failed, to say where); none for an import."
    )
    result: dict[str, int | str] | None = Field(
        description="When done: `imported` (respondents added), or the report file's `filename`, `media_type`, `bytes`."
    )
    error: JobErrorPublic | None = Field(description="When failed.")
    url: str = Field(description="This resource.")
    file_url: str | None = Field(description="The report file, once done.")
    created_at: Utc
    finished_at: Utc | None


class ReportJobCreate(_In):
    format: Literal["html", "pdf", "pptx"] = "pdf"
    paper: Literal["a4", "letter"] = "a4"
    language: Annotated[str | None, Field(max_length=10, description="en, de, fr or es; none: the framework's.")] = None


class ResultPublic(BaseModel):
    """The shape of ``cxm score --format json`` (docs/cli.md); the API returns it unchanged."""

    model_config = ConfigDict(extra="allow")

    format: Literal["cx-maturity/result@1"]
    framework: str
    framework_version: str
    respondents: int
    overall: dict[str, Any]
    competencies: list[dict[str, Any]]
    weakest: list[str]
    strongest: list[str]
    coverage: float | None
    low_coverage: bool
    indicators: list[dict[str, Any]]
    discussion_items: list[dict[str, Any]]
    groups: list[dict[str, Any]]
    withheld_groups: int
    blind_spots: list[dict[str, Any]]
    gaps: list[dict[str, Any]]
    settings: dict[str, Any]
    #: Competencies without any usable answer: their stage, stage_number, score and interval are null, and they are
    #: left out of the overall and the gaps (docs/scoring.md, "Not assessed").
    not_assessed: list[str] = Field(
        default_factory=list, description="Keys of the competencies without a usable answer (stage and score null)."
    )
    excluded_respondents: int = Field(
        0, description="Respondents who answered only don't know or not applicable; not counted in respondents."
    )


# --- the respondent's side --------------------------------------------------------------------------------------


class OptionPublic(_Out):
    key: str = Field(description="What to send as the answer: a scale option, a stage key (rubric), dk or na.")
    label: str


class SavedAnswerPublic(_Out):
    answer: str | None
    importance: int | None
    comment: str | None


class IndicatorPublic(_Out):
    key: str
    kind: Literal["statement", "rubric"]
    text: str
    help: str | None
    options: list[OptionPublic]
    saved: SavedAnswerPublic | None


class PagePublic(_Out):
    key: str = Field(description="The competency key: PUT …/pages/{key} saves this page.")
    name: str
    description: str | None
    saved: bool
    indicators: list[IndicatorPublic]


class RespondentPublic(_Out):
    assessment: str = Field(description="The assessment's title.")
    organization: str
    group: str | None
    status: Literal["open", "completed", "closed"] = Field(
        description="open: answers can be saved; completed: submitted; closed: the assessment takes no answers."
    )
    resume_page: str = Field(description="The key of the first page not saved yet (the last page when all are).")
    pages: list[PagePublic]


DONT_KNOW_LABEL = "Don't know"
NOT_APPLICABLE_LABEL = "Not applicable"


def _options(fw: Framework, indicator: Statement | Rubric) -> list[OptionPublic]:
    if isinstance(indicator, Statement):
        found = [OptionPublic(key=o.key, label=fw.text(o.label)) for o in fw.scales[indicator.scale].options]
    else:
        found = [OptionPublic(key=o.stage, label=fw.text(o.text)) for o in indicator.options]
    return [
        *found,
        OptionPublic(key=DONT_KNOW, label=DONT_KNOW_LABEL),
        OptionPublic(key=NOT_APPLICABLE, label=NOT_APPLICABLE_LABEL),
    ]


def _saved(row: Answer | None) -> SavedAnswerPublic | None:
    if row is None or (not row.option_key and row.importance is None and not row.comment):
        return None
    return SavedAnswerPublic(answer=row.option_key or None, importance=row.importance, comment=row.comment)


def respondent_view(v: Visit, saved: dict[str, dict[str, Answer]]) -> RespondentPublic:
    """Build the respondent's view; ``saved`` holds the saved answers per competency key (see respond.saved_answers)."""
    fw = v.framework
    status: Literal["open", "completed", "closed"] = "completed" if v.completed else "closed" if v.closed else "open"
    pages = []
    for comp in fw.competencies:
        answers = saved.get(comp.key, {})
        pages.append(
            PagePublic(
                key=comp.key,
                name=fw.text(comp.name),
                description=fw.text(comp.description) if comp.description else None,
                saved=comp.key in v.saved,
                indicators=[
                    IndicatorPublic(
                        key=ind.key,
                        kind=ind.kind,
                        text=fw.text(ind.text),
                        help=fw.text(ind.help) if ind.help else None,
                        options=_options(fw, ind),
                        saved=_saved(answers.get(ind.key)),
                    )
                    for ind in comp.indicators
                ],
            )
        )
    return RespondentPublic(
        assessment=v.assessment.title,
        organization=v.organization.name,
        group=v.group,
        status=status,
        resume_page=fw.competencies[v.resume_page()].key,
        pages=pages,
    )


class PageSave(_In):
    answers: Annotated[
        dict[Key, AnswerKey],
        Field(
            default_factory=dict,
            max_length=MAX_PAGE_ENTRIES,
            description="Answer per indicator key; an empty string skips it.",
        ),
    ]
    importance: Annotated[
        dict[Key, Annotated[int, Field(ge=1, le=5)] | None],
        Field(default_factory=dict, max_length=MAX_PAGE_ENTRIES, description="Importance 1 to 5 per indicator key."),
    ]
    comments: Annotated[
        dict[Key, Annotated[str, StringConstraints(max_length=MAX_COMMENT)]],
        Field(
            default_factory=dict,
            max_length=MAX_PAGE_ENTRIES,
            description=f"Comment per indicator key, at most {MAX_COMMENT} characters.",
        ),
    ]


# --- errors -----------------------------------------------------------------------------------------------------


class ErrorPublic(BaseModel):
    """What every failed request returns (validation errors of the request's shape excepted, see docs/api.md)."""

    detail: str
    field: str | None = None
    problems: list[str] | None = None


# --- roadmap plans ----------------------------------------------------------------------------------------------

PlanKey = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
MAX_PLAN_KEYS = 500


class CustomInitiative(_In):
    """One of the team's own initiatives: the fields of a framework action."""

    key: PlanKey = Field(description="Unique: not a key of the framework's actions or of another own initiative.")
    title: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    competency: Key = Field(description="The competency key it works on.")
    from_stage: Key = Field(description="The stage key the competency must have reached for it to start.")
    effort: Annotated[float, Field(ge=0, le=1e12, allow_inf_nan=False, description="Person-months in all.")]
    cost: Annotated[float, Field(ge=0, le=1e12, allow_inf_nan=False, description="Money in all.")] = 0.0
    duration: Annotated[int, Field(ge=1, le=40, description="Periods it runs.")]
    requires: Annotated[list[PlanKey], Field(default_factory=list, max_length=50)]
    indicators: Annotated[list[Key], Field(default_factory=list, max_length=50)]
    description: Annotated[str, StringConstraints(max_length=2000)] = ""
    measure: Annotated[str, StringConstraints(max_length=2000)] = ""


class CustomInitiativePublic(_Out):
    key: str
    title: str
    competency: str
    from_stage: str
    effort: float
    cost: float
    duration: int
    requires: list[str]
    indicators: list[str]
    description: str
    measure: str


class PlanSettingsUpdate(_In):
    """All the settings at once (PUT replaces them); a field left out takes its default."""

    horizon: Annotated[int, Field(ge=1, le=40, description="Periods (quarters) the plan covers.")] = 8
    budget: Annotated[
        float | None, Field(ge=0, le=1e12, allow_inf_nan=False, description="Money per period; null: no limit.")
    ] = None
    capacity: Annotated[
        float | None,
        Field(ge=0, le=1e12, allow_inf_nan=False, description="Person-months per period; null: no limit."),
    ] = None
    max_concurrent: Annotated[int, Field(ge=1, le=100, description="Initiatives running at once, at most.")] = 3
    must: Annotated[list[PlanKey], Field(default_factory=list, max_length=MAX_PLAN_KEYS)]
    must_not: Annotated[list[PlanKey], Field(default_factory=list, max_length=MAX_PLAN_KEYS)]
    custom: Annotated[list[CustomInitiative], Field(default_factory=list, max_length=50)]
    start_date: date | None = Field(
        default=None, description="The first day of period 1 (calendar export); null: the next quarter."
    )


class PlanSettingsPublic(_Out):
    assessment_id: int
    targets: dict[str, str] = Field(description="The assessment's targets (PATCH /assessments/{id} sets them).")
    horizon: int
    budget: float | None
    capacity: float | None
    max_concurrent: int
    must: list[str]
    must_not: list[str]
    custom: list[CustomInitiativePublic]
    start_date: date | None


class PlanVersionPublic(_Out):
    number: int
    created_at: Utc
    created_by: str = Field(description="The name (or e-mail) of who saved it.")
    note: str = Field(description="Who changed what.")
    status: Literal["optimal", "feasible", "infeasible", "empty"]


class InitiativeUpdate(_In):
    owner: Annotated[str | None, StringConstraints(max_length=100)] = Field(
        default=None, description="Who owns it; an empty string clears it."
    )
    start: Annotated[int | None, Field(ge=1, le=40, description="Move it to start in this period; it is locked.")] = (
        None
    )
    locked: bool | None = Field(
        default=None, description="true: keep it where it is; false: let the optimizer move it."
    )


class PlanPublic(BaseModel):
    """A saved plan: the JSON of ``cxm plan --format json`` plus the version it was saved as."""

    model_config = ConfigDict(extra="allow")

    status: Literal["optimal", "feasible", "infeasible", "empty"]
    gap: float | None
    initiatives: list[dict[str, Any]]
    saved: PlanVersionPublic


class Document(BaseModel):
    """A JSON document whose shape a domain serializer owns and docs/api.md or docs/cli.md documents; the API returns
    it unchanged (every key kept), and the OpenAPI schema names it."""

    model_config = ConfigDict(extra="allow")
