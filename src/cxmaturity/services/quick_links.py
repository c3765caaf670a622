"""A quick evaluation published as a kept public link: anyone with the link answers it, anonymously and without an
invitation; the answers are stored in the link's assessment and pooled there like any respondents'; the facilitator
turns the pooled quick evaluation into a full assessment when it is time to look closer.

Anonymity (docs/security.md): a public link cannot tell who answered, nor stop the facilitator from answering it
himself, so its respondents are *held* (they never lift a group into view), and none of their answers reaches any
result, report or export until at least the assessment's minimum group size of them have answered
(``services.results`` leaves them out until then). The rate of answers per client address is limited by the same
limit as the public quick evaluation's (CXM_QUICK_MAX_PER_ADDRESS).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cxmaturity.frameworks import DONT_KNOW, NOT_APPLICABLE
from cxmaturity.frameworks.quick import QuickForm
from cxmaturity.i18n import N_
from cxmaturity.i18n.phrase import Phrase, phrase, phrase_from_data, to_data
from cxmaturity.scoring import validate_targets
from cxmaturity.services import access, assessments, audit, quick, revisions
from cxmaturity.services.access import Actor
from cxmaturity.services.assessments import framework_of
from cxmaturity.services.errors import Conflict, NotFound
from cxmaturity.services.quick import QuickResult
from cxmaturity.services.tokens import digest, new_token
from cxmaturity.storage.tables import (
    PUBLIC_LINK,
    Answer,
    Assessment,
    AuditEvent,
    Invitation,
    Organization,
    QuickLink,
    RespondentGroup,
)

#: Longest token accepted from a URL; real ones are 32 characters.
MAX_TOKEN = 100
NOT_FOUND_MESSAGE = N_("this link is not valid; check that you copied all of it")
WITHDRAWN_MESSAGE = N_("this quick evaluation is no longer open: its link was withdrawn")
CLOSED_MESSAGE = N_("this quick evaluation is closed")


@dataclass(frozen=True)
class LinkStatus:
    """A quick assessment's public link and how many have answered through it."""

    assessment: Assessment
    #: The link in use; None before it is published and after it is withdrawn.
    link: QuickLink | None
    #: Respondents who answered through any public link of the assessment.
    responses: int
    #: The assessment's minimum group size: public answers join its results from this many on.
    min_responses: int

    @property
    def pooled(self) -> bool:
        """Whether the public link's answers are in the assessment's results (enough of them to hide each)."""
        return self.responses >= self.min_responses

    @property
    def waiting(self) -> int:
        """How many more answers the results wait for (0 once pooled)."""
        return max(0, self.min_responses - self.responses)


def public_responses(db: Session, assessment_id: int) -> int:
    """Return how many respondents answered the assessment through a public link."""
    return int(
        db.scalar(
            select(func.count())
            .select_from(Invitation)
            .where(Invitation.assessment_id == assessment_id, Invitation.source == PUBLIC_LINK)
        )
        or 0
    )


def _active(db: Session, assessment_id: int) -> QuickLink | None:
    return db.scalar(
        select(QuickLink)
        .where(QuickLink.assessment_id == assessment_id, QuickLink.withdrawn_at.is_(None))
        .order_by(QuickLink.id.desc())
        .limit(1)
    )


def _status(db: Session, assessment: Assessment) -> LinkStatus:
    return LinkStatus(
        assessment, _active(db, assessment.id), public_responses(db, assessment.id), assessment.min_group_size
    )


def is_quick(assessment: Assessment) -> bool:
    """Whether the assessment runs a built-in framework's quick form (only those take a public link)."""
    return quick.source_of(assessment.framework_id) is not None


def _quick_form(assessment: Assessment) -> QuickForm:
    try:
        return quick.form_of(framework_of(assessment))
    except NotFound:
        raise Conflict(
            N_(
                "only a quick evaluation (a framework's quick form) can be published as a public "
                "link; a full questionnaire is answered through invitations"
            )
        ) from None


def status_of(db: Session, assessment: Assessment) -> LinkStatus | None:
    """Return the public link of an assessment the caller may see as a facilitator; None unless it is a quick one."""
    return _status(db, assessment) if is_quick(assessment) else None


def status(db: Session, actor: Actor, assessment_id: int) -> LinkStatus:
    """Return the assessment's public link and its count of answers (facilitators: the link is theirs to hand out)."""
    assessment = access.assessment(db, actor, assessment_id, "facilitator")
    _quick_form(assessment)
    return _status(db, assessment)


def publish(db: Session, actor: Actor, assessment_id: int) -> LinkStatus:
    """Publish the quick assessment as a public link (the one in use if there is one); a draft is opened."""
    assessment = access.assessment(db, actor, assessment_id, "facilitator")
    _quick_form(assessment)
    if assessment.status == "closed":
        raise Conflict(N_("this assessment is closed: open it again to publish its link"))
    if assessment.status == "draft":
        assessments.set_status(db, actor, assessment.id, "open")
    if _active(db, assessment.id) is None:
        db.add(QuickLink(assessment_id=assessment.id, token=new_token(), created_by=actor.user_id))
        db.flush()
        audit.record(
            db,
            "quick_link.publish",
            organization_id=assessment.organization_id,
            user_id=actor.user_id,
            target=str(assessment.id),
        )
    return _status(db, assessment)


def withdraw(db: Session, actor: Actor, assessment_id: int) -> LinkStatus:
    """Stop the public link working; the answers given through it stay (publishing again makes a new link)."""
    assessment = access.assessment(db, actor, assessment_id, "facilitator")
    link = _active(db, assessment.id)
    if link is not None:
        link.withdrawn_at = datetime.now(UTC)
        audit.record(
            db,
            "quick_link.withdraw",
            organization_id=assessment.organization_id,
            user_id=actor.user_id,
            target=str(assessment.id),
        )
    return _status(db, assessment)


# --- answering (anyone with the link) ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Visit:
    link: QuickLink
    assessment: Assessment
    organization: str
    form: QuickForm


def visit(db: Session, token: str) -> Visit:
    """Return the quick evaluation behind a public link; NotFound for an unknown or withdrawn one."""
    link = db.scalar(select(QuickLink).where(QuickLink.token == token)) if 0 < len(token) <= MAX_TOKEN else None
    if link is None:
        raise NotFound(NOT_FOUND_MESSAGE)
    if link.withdrawn_at is not None:
        raise NotFound(WITHDRAWN_MESSAGE)
    assessment = db.get(Assessment, link.assessment_id)
    assert assessment is not None  # the link's row goes with its assessment (ON DELETE CASCADE)
    organization = db.get(Organization, assessment.organization_id)
    assert organization is not None
    return Visit(link, assessment, organization.name, _quick_form(assessment))


def answer(db: Session, token: str, answers: dict[str, str]) -> QuickResult:
    """Check and store one person's answers through the public link, as one anonymous respondent, all at once; return
    their own result. Invalid names what is missing or wrong (nothing is stored then); Conflict when closed."""
    found = visit(db, token)
    if found.assessment.status != "open":
        raise Conflict(
            CLOSED_MESSAGE if found.assessment.status == "closed" else N_("this quick evaluation is not open yet")
        )
    scored = quick.evaluate_form(found.form, answers)
    now = datetime.now(UTC)
    # Held: the facilitator has the link and could answer it himself, so this never lifts a group into view.
    invitation = Invitation(
        assessment_id=found.assessment.id,
        group_id=None,
        token_hash=digest(new_token()),
        source=PUBLIC_LINK,
        held=True,
        started_at=now,
        completed_at=now,
    )
    db.add(invitation)
    db.flush()
    db.add_all(
        Answer(assessment_id=found.assessment.id, invitation_id=invitation.id, indicator_key=key, option_key=value)
        for key, value in scored.answers.items()
    )
    revisions.bump(db, found.assessment.id)
    return scored


# --- from a quick evaluation to a full assessment ---------------------------------------------------------------


@dataclass(frozen=True)
class Conversion:
    """The full assessment made from a quick one, and what was and was not carried over, in sentences."""

    assessment: Assessment
    #: The quick assessment it was made from.
    source: Assessment
    carried: tuple[Phrase, ...]
    not_carried: tuple[Phrase, ...]
    respondents_carried: int


def to_full_assessment(
    db: Session, actor: Actor, assessment_id: int, *, title: str = "", carry_answers: bool = True
) -> Conversion:
    """Create a draft assessment on the full framework of a quick assessment: its groups, targets and minimum group
    size, and (``carry_answers``) each pooled respondent's answers to the questions both forms share."""
    source = access.assessment(db, actor, assessment_id, "facilitator")
    form = _quick_form(source)
    full_fw = form.source
    group_names = [g.name for g in assessments.groups(db, source.id)]
    full = assessments.create(
        db,
        actor,
        source.organization_id,
        title.strip() or f"{source.title} (full assessment)",
        f"builtin:{full_fw.id}",
        groups=group_names,
        min_group_size=source.min_group_size,
        synthetic=source.synthetic,
    )
    quick_fw = form.framework
    asked = len(quick_fw.indicators)
    # Phrases: the page that shows them writes them in its language (i18n/phrase.py).
    carried: list[Phrase] = [
        phrase(
            N_(
                "the framework: %(framework)s in full, %(questions)d questions (%(asked)d of them were in the quick "
                "form)"
            ),
            framework=full_fw.text(full_fw.name),
            questions=len(full_fw.indicators),
            asked=asked,
        ),
        phrase(N_("the minimum group size (%(size)d)"), size=source.min_group_size),
    ]
    if group_names:
        carried.append(phrase(N_("the respondent groups: %(groups)s"), groups=", ".join(group_names)))
    targets = {k: v for k, v in (source.targets or {}).items() if not validate_targets(full_fw, {k: v})}
    if targets:
        full.targets = targets
        carried.append(
            phrase(N_("the targets of 1 competency"))
            if len(targets) == 1
            else phrase(N_("the targets of %(count)d competencies"), count=len(targets))
        )
    not_carried: list[Phrase] = [
        phrase(
            N_(
                "the other %(count)d questions were never asked: a quick form has one question per competency (its "
                "rubric), so the full result rests on what the full questionnaire's respondents answer"
            ),
            count=len(full_fw.indicators) - asked,
        ),
        phrase(N_("the public link: the full questionnaire (one page per competency) is answered through invitations")),
    ]
    moved = 0
    if carry_answers:
        moved, left = _carry_answers(db, source, full, full_fw.indicator_keys)
        if moved:
            carried.append(
                phrase(
                    N_(
                        "the answers of 1 respondent to the %(asked)d questions both forms share (each competency's "
                        "rubric), kept as they were given, groups and anonymity included; their other answers are "
                        "missing, which the results show as low coverage until others answer"
                    ),
                    asked=asked,
                )
                if moved == 1
                else phrase(
                    N_(
                        "the answers of %(count)d respondents to the %(asked)d questions both forms share (each "
                        "competency's rubric), kept as they were given, groups and anonymity included; their other "
                        "answers are missing, which the results show as low coverage until others answer"
                    ),
                    count=moved,
                    asked=asked,
                )
            )
        if left:
            not_carried.append(
                phrase(
                    N_(
                        "1 answer through the public link: fewer than the minimum group size of %(size)d, so it is "
                        "not in the quick results either"
                    ),
                    size=source.min_group_size,
                )
                if left == 1
                else phrase(
                    N_(
                        "%(count)d answers through the public link: fewer than the minimum group size of %(size)d, "
                        "so they are not in the quick results either"
                    ),
                    count=left,
                    size=source.min_group_size,
                )
            )
    else:
        not_carried.append(phrase(N_("the quick evaluation's answers (you chose not to carry them)")))
    not_carried.append(
        phrase(N_("who answered: the public link's respondents are anonymous, so nobody can be asked to finish"))
    )
    revisions.bump(db, full.id)
    audit.record(
        db,
        "assessment.from_quick",
        organization_id=source.organization_id,
        user_id=actor.user_id,
        target=str(full.id),
        quick_assessment=source.id,
        respondents=moved,
        # Kept so that the page can show what was carried after a redirect (a reload then creates nothing).
        carried=[to_data(p) for p in carried],
        not_carried=[to_data(p) for p in not_carried],
    )
    return Conversion(full, source, tuple(carried), tuple(not_carried), moved)


def conversion(db: Session, actor: Actor, assessment_id: int) -> Conversion:
    """What ``to_full_assessment`` made of a quick assessment, read back from its record: ``assessment_id`` is the
    full assessment's. NotFound when it was not made from a quick one."""
    full = access.assessment(db, actor, assessment_id, "facilitator")
    event = db.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.organization_id == full.organization_id,
            AuditEvent.action == "assessment.from_quick",
            AuditEvent.target == str(full.id),
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    ).first()
    if event is None:
        raise NotFound(N_("no such assessment"))
    detail = event.detail or {}
    source = access.assessment(db, actor, int(detail.get("quick_assessment", 0)), "facilitator")

    def phrases(key: str) -> tuple[Phrase, ...]:
        read = (phrase_from_data(item) for item in detail.get(key) or ())
        return tuple(p for p in read if p is not None)

    return Conversion(full, source, phrases("carried"), phrases("not_carried"), int(detail.get("respondents", 0)))


def _carry_answers(db: Session, source: Assessment, full: Assessment, keys: tuple[str, ...]) -> tuple[int, int]:
    """Copy the pooled respondents' answers to the indicators the full framework has; return (respondents copied,
    public respondents left out because they are still too few to be pooled)."""
    public = public_responses(db, source.id)
    skip_public = public < source.min_group_size
    new_group = {
        g.name: g.id for g in db.scalars(select(RespondentGroup).where(RespondentGroup.assessment_id == full.id))
    }
    old_group = {
        g.id: g.name for g in db.scalars(select(RespondentGroup).where(RespondentGroup.assessment_id == source.id))
    }
    full_fw = framework_of(full)
    valid = {ind.key: {*full_fw.answer_keys(ind), DONT_KNOW, NOT_APPLICABLE} for _, ind in full_fw.indicators}
    moved = 0
    invitations = db.scalars(
        select(Invitation).where(Invitation.assessment_id == source.id).order_by(Invitation.id)
    ).all()
    for old in invitations:
        if old.source == PUBLIC_LINK and skip_public:
            continue
        rows = [
            a
            for a in db.scalars(select(Answer).where(Answer.invitation_id == old.id))
            if a.indicator_key in keys and a.option_key in valid.get(a.indicator_key, ())
        ]
        if not rows:
            continue
        # The same source and held flag: a respondent counts towards groups in the full assessment exactly as in the
        # quick one, never more (docs/security.md, "No padding").
        new = Invitation(
            assessment_id=full.id,
            group_id=new_group.get(old_group.get(old.group_id or 0, "")),
            token_hash=digest(new_token()),
            source=old.source,
            held=old.held,
            started_at=old.started_at,
            completed_at=old.completed_at or old.started_at,
        )
        db.add(new)
        db.flush()
        db.add_all(
            Answer(
                assessment_id=full.id,
                invitation_id=new.id,
                indicator_key=a.indicator_key,
                option_key=a.option_key,
                importance=a.importance,
                comment=a.comment,
            )
            for a in rows
        )
        moved += 1
    return moved, public if skip_public else 0
