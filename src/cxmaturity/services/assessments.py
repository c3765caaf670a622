"""Assessments: create from a framework, groups, targets, opening and closing, invitations, imports."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cxmaturity.frameworks import Framework, FrameworkError, builtin_ids, lint, load_builtin
from cxmaturity.frameworks.loading import parse_framework
from cxmaturity.frameworks.yaml_source import read_text
from cxmaturity.i18n import N_
from cxmaturity.i18n.phrase import phrase
from cxmaturity.scoring import ResponseMatrix, validate_targets
from cxmaturity.scoring.responses import MISSING
from cxmaturity.services import access, audit, revisions
from cxmaturity.services.access import Actor
from cxmaturity.services.errors import Conflict, Invalid
from cxmaturity.services.tokens import digest, new_token
from cxmaturity.storage.tables import Answer, Assessment, CampaignUnit, Invitation, RespondentGroup, UploadedFramework

MAX_GROUPS = 50
#: Defaults of CXM_MAX_FRAMEWORK_INDICATORS and CXM_MAX_IMPORT_VALUES (settings.py).
MAX_FRAMEWORK_INDICATORS = 500
MAX_IMPORT_VALUES = 200_000
MAX_TITLE = 300


@dataclass(frozen=True)
class FrameworkChoice:
    ref: str  # "builtin:ID" or "uploaded:ROW_ID"
    id: str
    name: str
    version: str
    uploaded: bool


def framework_choices(
    db: Session, actor: Actor, organization_id: int, language: str | None = None
) -> list[FrameworkChoice]:
    """Return the built-in frameworks and those uploaded to the organization; a built-in framework named in
    ``language`` where it offers it (a page's; the API keeps the framework's own)."""
    access.require_role(db, actor, organization_id, "viewer")
    choices = []
    for fid in builtin_ids():
        fw = load_builtin(fid)
        choices.append(
            FrameworkChoice(f"builtin:{fid}", fid, fw.in_language(language).text(fw.name), fw.version, False)
        )
    rows = db.scalars(
        select(UploadedFramework)
        .where(UploadedFramework.organization_id == organization_id)
        .order_by(UploadedFramework.framework_id, UploadedFramework.version)
    )
    for row in rows:
        choices.append(FrameworkChoice(f"uploaded:{row.id}", row.framework_id, row.name, row.version, True))
    return choices


def check_framework(filename: str, text: str, max_indicators: int = MAX_FRAMEWORK_INDICATORS) -> Framework:
    """Parse and validate a framework YAML, with no database; errors name the line and field, as the CLI's do.

    A framework of more than ``max_indicators`` indicators is refused before its fields are checked: every report,
    result and export of an assessment grows with them (8,000 indicators took a worker to 1.5 GB). The web runs this
    in a child process (services/cpu_pool.py): parsing a large file is seconds of the interpreter.
    """
    name = Path(filename or "framework.yaml").name
    try:
        data, source_map = read_text(text, name)
        if (count := count_indicators(data)) > max_indicators:
            raise Invalid(
                phrase(
                    N_(
                        "%(name)s has %(count)s indicators; a framework may have at most "
                        "%(max_indicators)s (CXM_MAX_FRAMEWORK_INDICATORS)"
                    ),
                    name=name,
                    count=count,
                    max_indicators=max_indicators,
                ),
                field="file",
            )
        return parse_framework(data, source_map)
    except FrameworkError as exc:
        raise Invalid(
            phrase(N_("%(name)s is not a valid framework"), name=name),
            field="file",
            details=[str(p) for p in exc.problems],
        ) from None


def upload_framework(
    db: Session,
    actor: Actor,
    organization_id: int,
    filename: str,
    text: str,
    *,
    max_indicators: int = MAX_FRAMEWORK_INDICATORS,
    checked: Framework | None = None,
) -> UploadedFramework:
    """Validate (unless ``checked`` is the framework ``check_framework`` made of ``text``) and store a framework."""
    access.require_role(db, actor, organization_id, "facilitator")
    fw = checked if checked is not None else check_framework(filename, text, max_indicators)
    clash = db.scalar(
        select(UploadedFramework.id).where(
            UploadedFramework.organization_id == organization_id,
            UploadedFramework.framework_id == fw.id,
            UploadedFramework.version == fw.version,
        )
    )
    if clash is not None:
        raise Conflict(
            phrase(
                N_("framework %(id)s version %(version)s is already uploaded; raise its version"),
                id=fw.id,
                version=fw.version,
            ),
            field="file",
        )
    row = UploadedFramework(
        organization_id=organization_id,
        framework_id=fw.id,
        version=fw.version,
        name=fw.text(fw.name)[:300],
        source_yaml=text,
        snapshot=fw.model_dump(mode="json"),
        uploaded_by=actor.user_id,
    )
    db.add(row)
    db.flush()
    audit.record(
        db, "framework.upload", organization_id=organization_id, user_id=actor.user_id, target=f"{fw.id} {fw.version}"
    )
    return row


def _resolve_choice(db: Session, organization_id: int, ref: str) -> Framework:
    kind, _, value = ref.partition(":")
    if kind == "builtin" and value in builtin_ids():
        return load_builtin(value)
    if kind == "quick" and value in builtin_ids():
        # The quick evaluation run as an assessment: invitations and pooled results as for any other.
        from cxmaturity.frameworks.quick import quick_form

        return quick_form(load_builtin(value)).framework
    if kind == "uploaded" and value.isdigit():
        row = db.get(UploadedFramework, int(value))
        if row is not None and row.organization_id == organization_id:
            return framework_from_snapshot(row.snapshot)
    raise Invalid(N_("choose a framework from the list"), field="framework")


def framework_from_snapshot(snapshot: dict[str, object]) -> Framework:
    """Return the framework stored with an assessment (parsed once per distinct snapshot)."""
    text = json.dumps(snapshot, sort_keys=True)
    return _parse_snapshot(hashlib.sha256(text.encode()).hexdigest(), text)


@lru_cache(maxsize=64)
def _parse_snapshot(_digest: str, text: str) -> Framework:
    return parse_framework(json.loads(text))


def framework_of(assessment: Assessment) -> Framework:
    return framework_from_snapshot(assessment.framework_snapshot)


def _clean_groups(names: list[str]) -> list[str]:
    cleaned: list[str] = []
    for name in names:
        name = name.strip()[:100]
        if name and name.lower() not in {c.lower() for c in cleaned}:
            cleaned.append(name)
    if len(cleaned) > MAX_GROUPS:
        raise Invalid(phrase(N_("at most %(max_groups)s groups"), max_groups=MAX_GROUPS), field="groups")
    return cleaned


def create(
    db: Session,
    actor: Actor,
    organization_id: int,
    title: str,
    framework_ref: str,
    *,
    groups: list[str] | None = None,
    min_group_size: int = 3,
    synthetic: bool = False,
) -> Assessment:
    access.require_role(db, actor, organization_id, "facilitator")
    title = title.strip()
    if not title:
        raise Invalid(N_("the assessment needs a title"), field="title")
    if not 1 <= min_group_size <= 100:
        raise Invalid(N_("the minimum group size must be between 1 and 100"), field="min_group_size")
    fw = _resolve_choice(db, organization_id, framework_ref)
    assessment = Assessment(
        organization_id=organization_id,
        title=title[:MAX_TITLE],
        framework_id=fw.id,
        framework_version=fw.version,
        framework_snapshot=fw.model_dump(mode="json"),
        status="draft",
        targets={},
        min_group_size=min_group_size,
        synthetic=synthetic,
        created_by=actor.user_id,
    )
    db.add(assessment)
    db.flush()
    for name in _clean_groups(groups or []):
        db.add(RespondentGroup(assessment_id=assessment.id, name=name))
    audit.record(
        db,
        "assessment.create",
        organization_id=organization_id,
        user_id=actor.user_id,
        target=str(assessment.id),
        framework=f"{fw.id} {fw.version}",
    )
    return assessment


def add_groups(db: Session, actor: Actor, assessment_id: int, names: list[str]) -> list[RespondentGroup]:
    assessment = access.assessment(db, actor, assessment_id, "facilitator")
    if names and campaign_units(db, assessment.id):
        # Groups and units cutting the same respondents two ways could be subtracted from each other (docs/units.md).
        raise Invalid(
            N_("a campaign across units has no respondent groups: its units group the respondents"), field="groups"
        )
    existing = {g.name.lower() for g in groups(db, assessment.id)}
    added = []
    for name in _clean_groups(names):
        if name.lower() in existing:
            continue
        group = RespondentGroup(assessment_id=assessment.id, name=name)
        db.add(group)
        added.append(group)
    if len(existing) + len(added) > MAX_GROUPS:
        raise Invalid(phrase(N_("at most %(max_groups)s groups"), max_groups=MAX_GROUPS), field="groups")
    db.flush()
    revisions.bump(db, assessment.id)
    audit.record(
        db,
        "assessment.groups",
        organization_id=assessment.organization_id,
        user_id=actor.user_id,
        target=str(assessment.id),
        added=[g.name for g in added],
    )
    return added


def groups(db: Session, assessment_id: int) -> list[RespondentGroup]:
    return list(
        db.scalars(
            select(RespondentGroup).where(RespondentGroup.assessment_id == assessment_id).order_by(RespondentGroup.name)
        )
    )


def set_targets(db: Session, actor: Actor, assessment_id: int, targets: dict[str, str]) -> None:
    """Set target stages; an empty value means the default (the next stage)."""
    assessment = access.assessment(db, actor, assessment_id, "facilitator")
    wanted = {k: v for k, v in targets.items() if v}
    problems = validate_targets(framework_of(assessment), wanted)
    if problems:
        raise Invalid("; ".join(problems), field="targets")
    assessment.targets = wanted
    revisions.bump(db, assessment.id)
    audit.record(
        db,
        "assessment.targets",
        organization_id=assessment.organization_id,
        user_id=actor.user_id,
        target=str(assessment.id),
        targets=wanted,
    )


def set_status(db: Session, actor: Actor, assessment_id: int, status: str) -> Assessment:
    """Open (draft or closed → open) or close (open → closed) an assessment."""
    assessment = access.assessment(db, actor, assessment_id, "facilitator")
    allowed = {"open": ("draft", "closed"), "closed": ("open",)}
    if status not in allowed:
        raise Invalid(N_("status must be open or closed"), field="status")
    if assessment.status not in allowed[status]:
        raise Conflict(
            phrase(
                N_("an assessment that is %(status)s cannot be set to %(status2)s"),
                status=assessment.status,
                status2=status,
            )
        )
    assessment.status = status
    now = datetime.now(UTC)
    if status == "open":
        assessment.opened_at = assessment.opened_at or now
    else:
        assessment.closed_at = now
    # Imported here: both build on this module.
    from cxmaturity.services import benchmark_pool, results

    if status == "closed":
        # Stored now, so that the first look at the results is as fast as any; callers that hold SQLite's writer
        # lock score it before (results.warm), and it is only read here.
        results.results_of(db, assessment)
    benchmark_pool.on_status_change(db, assessment)  # a closed assessment's result is stored for benchmarks
    audit.record(
        db,
        f"assessment.{'open' if status == 'open' else 'close'}",
        organization_id=assessment.organization_id,
        user_id=actor.user_id,
        target=str(assessment.id),
    )
    return assessment


def create_invitations(
    db: Session,
    actor: Actor,
    assessment_id: int,
    group_id: int | None,
    count: int,
    limit: int = 1000,
    *,
    emailed: bool = False,
    unit_id: int | None = None,
) -> list[str]:
    """Create ``count`` invitations and return their tokens (shown once: only digests are stored).

    ``emailed`` is for links the caller sends by e-mail itself and never shows the facilitator; any other link is
    held: the facilitator could answer it himself, so it never lifts a group into view (docs/security.md).
    """
    assessment = access.assessment(db, actor, assessment_id, "facilitator")
    if not 1 <= count <= limit:
        raise Invalid(phrase(N_("create between 1 and %(limit)s links at a time"), limit=limit), field="count")
    if group_id is not None and group_id not in {g.id for g in groups(db, assessment.id)}:
        raise Invalid(N_("choose a group of this assessment"), field="group")
    _check_unit(db, assessment, unit_id)
    tokens = [new_token() for _ in range(count)]
    db.add_all(
        Invitation(
            assessment_id=assessment.id, group_id=group_id, unit_id=unit_id, token_hash=digest(t), held=not emailed
        )
        for t in tokens
    )
    audit.record(
        db,
        "invitations.create",
        organization_id=assessment.organization_id,
        user_id=actor.user_id,
        target=str(assessment.id),
        count=count,
        group=group_id,
        unit=unit_id,
        delivery="email" if emailed else "held",
    )
    return tokens


def campaign_units(db: Session, assessment_id: int) -> set[int]:
    """Return the units a campaign runs in (empty: the assessment is not a campaign, docs/units.md)."""
    return set(db.scalars(select(CampaignUnit.unit_id).where(CampaignUnit.assessment_id == assessment_id)))


def _check_unit(db: Session, assessment: Assessment, unit_id: int | None) -> None:
    """A campaign's invitations each carry one of its units; other assessments' carry none."""
    chosen = campaign_units(db, assessment.id)
    if chosen and unit_id not in chosen:
        raise Invalid(N_("choose the campaign unit these invitations are for"), field="unit")
    if not chosen and unit_id is not None:
        raise Invalid(N_("this assessment does not run across units"), field="unit")


@dataclass(frozen=True)
class GroupRate:
    group: str
    invited: int
    started: int
    completed: int

    @property
    def rate(self) -> float:
        return self.completed / self.invited if self.invited else 0.0


def response_rates(db: Session, actor: Actor, assessment_id: int) -> list[GroupRate]:
    assessment = access.assessment(db, actor, assessment_id, "viewer")
    names = {g.id: g.name for g in groups(db, assessment.id)}
    rows = db.execute(
        select(
            Invitation.group_id, func.count(), func.count(Invitation.started_at), func.count(Invitation.completed_at)
        )
        .where(Invitation.assessment_id == assessment.id, Invitation.source == "link")
        .group_by(Invitation.group_id)
    ).all()
    by_group = {gid: (n, s, c) for gid, n, s, c in rows}
    rates = [GroupRate(name, *by_group.get(gid, (0, 0, 0))) for gid, name in names.items()]
    if None in by_group:
        rates.append(GroupRate("(no group)", *by_group[None]))
    return rates


def count_indicators(data: object) -> int:
    """The indicators of a framework's plain data, counted before its fields are checked (0 for other shapes)."""
    competencies = data.get("competencies") if isinstance(data, dict) else None
    if not isinstance(competencies, list):
        return 0
    return sum(
        len(c["indicators"]) for c in competencies if isinstance(c, dict) and isinstance(c.get("indicators"), list)
    )


def store_responses(
    db: Session,
    assessment: Assessment,
    responses: ResponseMatrix,
    group_ids: dict[str, int],
    source: str = "import",
    *,
    held: bool = True,
    unit_id: int | None = None,
) -> None:
    """Store each respondent of ``responses`` as a completed invitation with its answers (no permission check:
    callers check, e.g. import_answers, or seed their own data, e.g. the demo, whose synthetic respondents no
    facilitator held: ``held=False``)."""
    fw = responses.framework
    keys = [fw.answer_keys(ind) for _, ind in fw.indicators]
    special = {-2: "dk", -3: "na"}
    comments = {(c.respondent, c.indicator): c.text for c in responses.comments}
    now = datetime.now(UTC)
    for r in range(responses.size):
        invitation = Invitation(
            assessment_id=assessment.id,
            group_id=group_ids.get(responses.groups[r]),
            unit_id=unit_id,
            token_hash=digest(new_token()),
            source=source,
            held=held,
            started_at=now,
            completed_at=now,
        )
        db.add(invitation)
        db.flush()
        rows = []
        for i, ind_key in enumerate(fw.indicator_keys):
            code = int(responses.answers[r, i])
            comment = comments.get((r, ind_key))
            if code == MISSING and comment is None:
                continue
            importance = responses.importance[r, i]
            rows.append(
                Answer(
                    assessment_id=assessment.id,
                    invitation_id=invitation.id,
                    indicator_key=ind_key,
                    option_key="" if code == MISSING else special.get(code) or keys[i][code],
                    importance=None if importance != importance else int(importance),
                    comment=comment,
                )
            )
        db.add_all(rows)
    revisions.bump(db, assessment.id)


def get(db: Session, actor: Actor, assessment_id: int) -> Assessment:
    return access.assessment(db, actor, assessment_id, "viewer")


def list_for_organization(db: Session, actor: Actor, organization_id: int) -> list[Assessment]:
    access.require_role(db, actor, organization_id, "viewer")
    return list(
        db.scalars(
            select(Assessment)
            .where(Assessment.organization_id == organization_id)
            .order_by(Assessment.created_at.desc(), Assessment.id.desc())
        )
    )


def estimated_minutes(fw: Framework) -> int:
    """Return about how many minutes answering takes, as the respondent's welcome page says (at least 1)."""
    return max(1, round(lint.estimated_minutes(fw)))


def withdraw_invitations(db: Session, actor: Actor, assessment_id: int, tokens: list[str]) -> int:
    """Delete unused invitation links (e.g. whose e-mail could not be sent); return how many were withdrawn."""
    assessment = access.assessment(db, actor, assessment_id, "facilitator")
    if not tokens:
        return 0
    rows = list(
        db.scalars(
            select(Invitation).where(
                Invitation.assessment_id == assessment.id,
                Invitation.source == "link",
                Invitation.started_at.is_(None),
                Invitation.token_hash.in_([digest(t) for t in tokens]),
            )
        )
    )
    for row in rows:
        db.delete(row)
    db.flush()
    if rows:
        revisions.bump(db, assessment.id)
    audit.record(
        db,
        "invitations.withdraw",
        organization_id=assessment.organization_id,
        user_id=actor.user_id,
        target=str(assessment.id),
        count=len(rows),
    )
    return len(rows)
