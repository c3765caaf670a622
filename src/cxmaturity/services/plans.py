"""Roadmap plans of an assessment: the optimizer's settings, plans made from the current results, adjustments (locks,
owners, start periods, the team's own initiatives) and the saved versions.

- Settings (``plan_settings``, one row per assessment): horizon, budget and capacity per period, how many initiatives
  may run at once, must-do / must-not-do keys and the team's own (custom) initiatives. The targets are the
  assessment's own (``assessments.set_targets``). Viewers read them; facilitators and owners change them.
- A plan is made from the answers as they are now (``services.results``) with the framework's action catalog, the
  settings, and the locks and owners of the latest version; it is saved as a new version (``plan_version``) with the
  request that was solved, the plan as JSON (``planning.serialize``) and a note saying who changed what.
  Versions are never changed: every adjustment re-plans and saves a new one.
- Every change goes through this module, from the pages, the API and the command line alike: saving settings, adding
  or removing an own initiative, locking, moving or giving an owner to an initiative. Each makes the plan again
  (when there is one) and saves it as a new version.
- A change whose re-plan fails (no plan satisfies it) is refused (``Invalid``, with the optimizer's explanation as
  the message): nothing of it is saved, and the current plan, its owners and its locks stay as they are. A move
  to a start period that a prerequisite (or the step below) or a locked successor rules out is refused before
  solving, naming that dependency (``planning.optimizer.start_windows``).
- A re-assessment carries the latest plan forward (``carry_forward``), with each initiative's status.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cxmaturity.frameworks import Framework
from cxmaturity.i18n import N_
from cxmaturity.i18n.phrase import (
    Items,
    Num,
    Param,
    Phrase,
    Ref,
    Text,
    english,
    literal,
    phrase,
    phrase_from_data,
    to_data,
)
from cxmaturity.planning.export import fits_calendar
from cxmaturity.planning.model import Candidate, Lock, Plan, PlanRequest
from cxmaturity.planning.optimizer import Window
from cxmaturity.planning.serialize import (
    candidate_from_dict,
    candidate_to_dict,
    plan_from_dict,
    plan_to_dict,
    request_from_dict,
    request_to_dict,
)
from cxmaturity.services import access, audit, results
from cxmaturity.services.access import Actor
from cxmaturity.services.assessments import framework_of
from cxmaturity.services.errors import Invalid, NotFound
from cxmaturity.storage.tables import Assessment, PlanSettings, PlanVersion, User

DEFAULT_HORIZON = 8
MAX_HORIZON = 40
DEFAULT_MAX_CONCURRENT = 3
MAX_CONCURRENT = 100
#: Largest budget, capacity, cost or effort accepted: far above any real plan, far below float trouble.
MAX_AMOUNT = 1e12
MAX_CUSTOM = 50
MAX_OWNER = 100
MAX_TITLE = 200
MAX_TEXT = 2000
MAX_NOTE = 500
#: Months per period in the calendar export (periods are quarters).
MONTHS_PER_PERIOD = 3

#: The framework format's key pattern (frameworks/model.py ``Key``).
KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


# --------------------------------------------------------------------------------------------------------------------
# Settings


@dataclass(frozen=True)
class Settings:
    """The optimizer's settings of one assessment (``None`` limits are unlimited)."""

    horizon: int = DEFAULT_HORIZON
    budget: float | None = None
    capacity: float | None = None
    max_concurrent: int = DEFAULT_MAX_CONCURRENT
    must: tuple[str, ...] = ()
    must_not: tuple[str, ...] = ()
    custom: tuple[Candidate, ...] = ()
    #: The first day of period 1 (for the calendar); None: the first day of the quarter after the plan is made.
    start_date: date | None = None


def _settings_of(row: PlanSettings | None) -> Settings:
    if row is None:
        return Settings()
    return Settings(
        horizon=row.horizon,
        budget=row.budget,
        capacity=row.capacity,
        max_concurrent=row.max_concurrent,
        must=tuple(row.must or ()),
        must_not=tuple(row.must_not or ()),
        custom=tuple(candidate_from_dict(c) for c in row.custom or ()),
        start_date=row.start_date,
    )


def _row(db: Session, assessment_id: int) -> PlanSettings | None:
    return db.scalar(select(PlanSettings).where(PlanSettings.assessment_id == assessment_id))


def settings(db: Session, actor: Actor, assessment_id: int) -> Settings:
    """Return the assessment's plan settings (the defaults until someone saves them)."""
    assessment = access.assessment(db, actor, assessment_id, "viewer")
    return _settings_of(_row(db, assessment.id))


def action_keys(fw: Framework) -> tuple[str, ...]:
    return tuple(a.key for a in fw.actions)


def candidates(fw: Framework, current: Settings, language: str | None = None) -> list[Candidate]:
    """Every initiative a plan may choose: the framework's actions, then the team's own."""
    return [*(Candidate.of(fw, a, language) for a in fw.actions), *current.custom]


def _amount(value: float | None, name: str, what: str, *, unlimited: bool) -> None:
    if value is None:
        if not unlimited:
            raise Invalid(phrase(N_("the %(what)s must be a number, 0 or more"), what=what), field=name)
        return
    if not math.isfinite(value) or value < 0 or value > MAX_AMOUNT:
        hint = " (leave it empty for no limit)" if unlimited else ""
        raise Invalid(phrase(N_("the %(what)s must be a number, 0 or more%(hint)s"), what=what, hint=hint), field=name)


def _check_custom(fw: Framework, custom: Sequence[Candidate]) -> None:
    if len(custom) > MAX_CUSTOM:
        raise Invalid(
            phrase(N_("at most %(max_custom)s initiatives of your own"), max_custom=MAX_CUSTOM), field="custom"
        )

    taken = set(action_keys(fw))
    competencies = {c.key for c in fw.competencies}
    indicators = set(fw.indicator_keys)
    own = [c.key for c in custom]
    known = taken | set(own)
    seen: set[str] = set()
    for c in custom:
        where = f"initiative {c.key}" if c.key else "an initiative of your own"
        if not KEY.match(c.key) or len(c.key) > 64:
            raise Invalid(
                N_(
                    "an initiative's key must start with a letter or digit and hold only letters, "
                    "digits, '.', '_' or '-' (at most 64 characters)"
                ),
                field="key",
            )
        if c.key in taken:
            raise Invalid(
                phrase(N_("%(key)s is already an action of the framework; choose another key"), key=c.key), field="key"
            )
        if c.key in seen:
            raise Invalid(
                phrase(N_("%(key)s is already one of your initiatives; choose another key"), key=c.key), field="key"
            )
        seen.add(c.key)
        if not c.title.strip() or len(c.title) > MAX_TITLE:
            raise Invalid(
                phrase(
                    N_("%(where)s needs a title of 1 to %(max_title)s characters"), where=where, max_title=MAX_TITLE
                ),
                field="title",
            )
        if c.competency not in competencies:
            raise Invalid(
                phrase(N_("%(where)s: choose one of the framework's competencies"), where=where), field="competency"
            )
        if c.from_stage not in fw.stage_keys:
            raise Invalid(phrase(N_("%(where)s: choose the stage it starts from"), where=where), field="from_stage")
        if not math.isfinite(c.effort) or not 0 <= c.effort <= MAX_AMOUNT:
            raise Invalid(
                phrase(N_("%(where)s: the effort must be 0 or more person-months"), where=where), field="effort"
            )
        if not math.isfinite(c.cost) or not 0 <= c.cost <= MAX_AMOUNT:
            raise Invalid(phrase(N_("%(where)s: the cost must be 0 or more"), where=where), field="cost")
        if not 1 <= c.duration <= MAX_HORIZON:
            raise Invalid(
                phrase(N_("%(where)s: the duration must be a whole number of periods from 1 to 40"), where=where),
                field="duration",
            )
        unknown = [k for k in c.requires if k not in known or k == c.key]
        if unknown:
            raise Invalid(
                phrase(N_("%(where)s requires unknown initiatives: %(value)s"), where=where, value=", ".join(unknown)),
                field="requires",
            )
        bad = [k for k in c.indicators if k not in indicators]
        if bad:
            raise Invalid(
                phrase(N_("%(where)s names unknown indicators: %(value)s"), where=where, value=", ".join(bad)),
                field="indicators",
            )
        if len(c.description) > MAX_TEXT or len(c.measure) > MAX_TEXT:
            raise Invalid(
                phrase(
                    N_("%(where)s: description and measure have at most %(max_text)s characters each"),
                    where=where,
                    max_text=MAX_TEXT,
                ),
                field="measure",
            )


def validate(fw: Framework, new: Settings) -> None:
    """Refuse settings the optimizer cannot use, naming the field (the CLI's bounds)."""
    if not 1 <= new.horizon <= MAX_HORIZON:
        raise Invalid(
            phrase(
                N_("the horizon must be a whole number of periods from 1 to %(max_horizon)s"), max_horizon=MAX_HORIZON
            ),
            field="horizon",
        )
    _amount(new.budget, "budget", "budget per period", unlimited=True)
    _amount(new.capacity, "capacity", "capacity per period (person-months)", unlimited=True)
    if not 1 <= new.max_concurrent <= MAX_CONCURRENT:
        raise Invalid(
            phrase(
                N_("the number of initiatives at once must be a whole number from 1 to %(max_concurrent)s"),
                max_concurrent=MAX_CONCURRENT,
            ),
            field="max_concurrent",
        )
    if new.start_date is not None and not fits_calendar(new.start_date, new.horizon):
        raise Invalid(
            phrase(
                N_("a plan of %(horizon)s periods starting on %(date)s would end after the year 9999"),
                horizon=new.horizon,
                date=new.start_date.isoformat(),
            ),
            field="start_date",
        )
    _check_custom(fw, new.custom)
    known = set(action_keys(fw)) | {c.key for c in new.custom}
    for name, keys, what in (("must", new.must, "must-do"), ("must_not", new.must_not, "must-not-do")):
        unknown = sorted({k for k in keys if k not in known})
        if unknown:
            raise Invalid(
                phrase(
                    N_("unknown %(what)s initiatives: %(value)s (neither the framework's actions nor your own)"),
                    what=what,
                    value=", ".join(unknown),
                ),
                field=name,
                details=[f"{k} is not an initiative" for k in unknown],
            )
    both = sorted(set(new.must) & set(new.must_not))
    if both:
        raise Invalid(
            phrase(N_("%(value)s cannot be both must-do and must-not-do"), value=", ".join(both)), field="must_not"
        )


def _dedupe(keys: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(k.strip() for k in keys if k.strip()))


def set_settings(db: Session, actor: Actor, assessment_id: int, new: Settings) -> Settings:
    """Replace the assessment's plan settings (facilitator) and make the plan (again) with them, as soon as there are
    answers to plan from (a draft without answers only keeps the settings).

    A plan that fails refuses the settings too (``Invalid``, nothing saved): a plan and the settings it shows never
    disagree. Pages, the API and the command line all save settings here.
    """
    stored = _store_settings(db, actor, assessment_id, new)
    assessment = access.assessment(db, actor, assessment_id, "facilitator")
    if _latest_row(db, assessment.id) is not None or results.results_of(db, assessment).result.scorable:
        make(db, actor, assessment_id)
    return stored


def _store_settings(db: Session, actor: Actor, assessment_id: int, new: Settings) -> Settings:
    assessment = access.assessment(db, actor, assessment_id, "facilitator")
    fw = framework_of(assessment)
    new = replace(new, must=_dedupe(new.must), must_not=_dedupe(new.must_not))
    validate(fw, new)
    row = _row(db, assessment.id)
    before = _settings_of(row)
    if row is None:
        row = PlanSettings(assessment_id=assessment.id)
        db.add(row)
    row.horizon = new.horizon
    row.budget = new.budget
    row.capacity = new.capacity
    row.max_concurrent = new.max_concurrent
    row.must = list(new.must)
    row.must_not = list(new.must_not)
    row.custom = [candidate_to_dict(c) for c in new.custom]
    row.start_date = new.start_date
    row.updated_by = actor.user_id
    row.updated_at = datetime.now(UTC)
    db.flush()
    audit.record(
        db,
        "plan.settings",
        organization_id=assessment.organization_id,
        user_id=actor.user_id,
        target=str(assessment.id),
        # The audit log keeps English words.
        changes=[english(c) for c in _changes(_settings_dict(before), _settings_dict(new))],
    )
    return _settings_of(row)


def add_custom(db: Session, actor: Actor, assessment_id: int, initiative: Candidate) -> Settings:
    """Add one of the team's own initiatives (its key must be new); the plan, if any, is made again."""
    current = settings(db, actor, assessment_id)
    return set_settings(
        db, actor, assessment_id, replace(current, custom=(*current.custom, replace(initiative, custom=True)))
    )


def remove_custom(db: Session, actor: Actor, assessment_id: int, key: str) -> Settings:
    """Remove one of the team's own initiatives, and it from the must-do and must-not-do lists; re-plan, if any."""
    access.assessment(db, actor, assessment_id, "facilitator")
    current = settings(db, actor, assessment_id)
    if key not in {c.key for c in current.custom}:
        raise NotFound(phrase(N_("no initiative of your own with the key %(key)s"), key=key))
    needed = [c.key for c in current.custom if key in c.requires]
    if needed:
        raise Invalid(
            phrase(N_("%(value)s requires %(key)s; remove or change it first"), value=", ".join(needed), key=key),
            field="key",
        )
    return set_settings(
        db,
        actor,
        assessment_id,
        replace(
            current,
            custom=tuple(c for c in current.custom if c.key != key),
            must=tuple(k for k in current.must if k != key),
            must_not=tuple(k for k in current.must_not if k != key),
        ),
    )


# --------------------------------------------------------------------------------------------------------------------
# Versions


@dataclass(frozen=True)
class VersionInfo:
    number: int
    created_at: datetime
    author: str
    #: Who changed what, in English (the API and the command line).
    note: str
    status: str
    #: ``note`` as a phrase for pages in their reader's language; None for a version saved before phrases were kept.
    note_phrase: Phrase | None = None


@dataclass(frozen=True)
class SavedPlan:
    """One saved version: its plan (rebuilt from the stored JSON), that JSON and the request that was solved."""

    info: VersionInfo
    plan: Plan
    data: dict[str, Any]
    request: dict[str, Any]
    start_date: date
    locks: dict[str, int] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)

    @property
    def number(self) -> int:
        return self.info.number


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


DELETED_AUTHOR = N_("someone (account deleted)")


def _author(db: Session, user_id: int | None) -> str:
    user = db.get(User, user_id) if user_id is not None else None
    if user is None:
        return DELETED_AUTHOR
    return user.name or user.email


def _author_param(db: Session, user_id: int | None) -> Param:
    """The author as a phrase's parameter: a name as written; a deleted account in the reader's words."""
    author = _author(db, user_id)
    return phrase(DELETED_AUTHOR) if author == DELETED_AUTHOR else author


def _info(db: Session, row: PlanVersion) -> VersionInfo:
    return VersionInfo(
        row.number,
        _utc(row.created_at),
        _author(db, row.created_by),
        row.note,
        row.status,
        phrase_from_data(row.note_phrase),
    )


def _saved(db: Session, row: PlanVersion) -> SavedPlan:
    request = request_from_dict(row.request)
    start = row.request.get("start_date")
    return SavedPlan(
        info=_info(db, row),
        plan=plan_from_dict(row.plan, request),
        data=row.plan,
        request=row.request,
        start_date=date.fromisoformat(start) if start else next_quarter(_utc(row.created_at).date()),
        locks={lock.key: lock.start for lock in request.locks},
        owners=dict(request.owners),
    )


def _latest_row(db: Session, assessment_id: int) -> PlanVersion | None:
    return db.scalar(
        select(PlanVersion).where(PlanVersion.assessment_id == assessment_id).order_by(PlanVersion.number.desc())
    )


def versions(db: Session, actor: Actor, assessment_id: int) -> list[VersionInfo]:
    """Every saved version, newest first."""
    assessment = access.assessment(db, actor, assessment_id, "viewer")
    rows = db.scalars(
        select(PlanVersion).where(PlanVersion.assessment_id == assessment.id).order_by(PlanVersion.number.desc())
    )
    return [_info(db, row) for row in rows]


def latest(db: Session, actor: Actor, assessment_id: int) -> SavedPlan | None:
    """The newest saved plan, or None before the first."""
    return latest_of(db, access.assessment(db, actor, assessment_id, "viewer"))


def latest_of(db: Session, assessment: Assessment) -> SavedPlan | None:
    """The newest saved plan of an assessment the caller has already been allowed to see, or None."""
    row = _latest_row(db, assessment.id)
    return None if row is None else _saved(db, row)


def version(db: Session, actor: Actor, assessment_id: int, number: int) -> SavedPlan:
    assessment = access.assessment(db, actor, assessment_id, "viewer")
    row = db.scalar(select(PlanVersion).where(PlanVersion.assessment_id == assessment.id, PlanVersion.number == number))
    if row is None:
        raise NotFound(phrase(N_("this assessment has no plan version %(number)s"), number=number))
    return _saved(db, row)


def next_quarter(day: date) -> date:
    """The first day of the quarter after ``day``."""
    quarter = (day.month - 1) // 3 + 1
    return date(day.year + 1, 1, 1) if quarter == 4 else date(day.year, 3 * quarter + 1, 1)


# --------------------------------------------------------------------------------------------------------------------
# Making and adjusting plans


def _settings_dict(s: Settings) -> dict[str, Any]:
    return {
        "horizon": s.horizon,
        "budget": s.budget,
        "capacity": s.capacity,
        "max_concurrent": s.max_concurrent,
        "must": sorted(s.must),
        "must_not": sorted(s.must_not),
        "custom": [candidate_to_dict(c) for c in s.custom],
    }


def _setting_value(value: Any) -> Param:
    """A setting's value in a note: "no limit" for none, a whole number as it is, a fraction with the reader's
    decimal sign."""
    if value is None:
        return phrase(N_("no limit"))
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, float):
        return Num(value, len(repr(value).split(".")[1]) if "." in repr(value) else 0)
    return value if isinstance(value, int | str) else str(value)


#: How each limit's change reads in a note ("budget 10000 → 5000").
_LIMIT_CHANGES = {
    "horizon": N_("horizon %(before)s → %(after)s"),
    "budget": N_("budget %(before)s → %(after)s"),
    "capacity": N_("capacity %(before)s → %(after)s"),
    "max_concurrent": N_("initiatives at once %(before)s → %(after)s"),
}


def _changes(
    before: Mapping[str, Any], after: Mapping[str, Any], titles: Mapping[str, str] | None = None
) -> list[Phrase]:
    """What differs between two requests (or settings), in short phrases: "budget 10000 → 5000"; initiatives by
    their quoted titles where ``titles`` knows them (a catalog's initiative in the reader's language)."""
    found: list[Phrase] = []

    def named(key: str) -> Param:
        return Ref("initiative", key, titles[key]) if titles and key in titles else key

    def all_named(keys: Iterable[str]) -> Items:
        return Items(tuple(named(k) for k in sorted(keys)), "comma")

    for name, change in _LIMIT_CHANGES.items():
        if before.get(name) != after.get(name):
            found.append(phrase(change, before=_setting_value(before.get(name)), after=_setting_value(after.get(name))))
    if "targets" in after and before.get("targets") != after.get("targets"):
        found.append(phrase(N_("targets changed")))
    for name, added, removed in (
        ("must", N_("must-do + %(initiatives)s"), N_("must-do − %(initiatives)s")),
        ("must_not", N_("must-not-do + %(initiatives)s"), N_("must-not-do − %(initiatives)s")),
    ):
        old, new = set(before.get(name) or ()), set(after.get(name) or ())
        if new - old:
            found.append(phrase(added, initiatives=all_named(new - old)))
        if old - new:
            found.append(phrase(removed, initiatives=all_named(old - new)))
    old_custom = {c["key"]: c for c in before.get("custom") or ()}
    new_custom = {c["key"]: c for c in after.get("custom") or ()}
    for key in new_custom.keys() - old_custom.keys():
        found.append(phrase(N_("added own initiative %(initiative)s"), initiative=named(key)))
    for key in old_custom.keys() - new_custom.keys():
        found.append(phrase(N_("removed own initiative %(initiative)s"), initiative=named(key)))
    for key in new_custom.keys() & old_custom.keys():
        if new_custom[key] != old_custom[key]:
            found.append(phrase(N_("changed own initiative %(initiative)s"), initiative=named(key)))
    if "locks" in after:
        old_locks = {lock["key"]: lock["start"] for lock in before.get("locks") or ()}
        new_locks = {lock["key"]: lock["start"] for lock in after.get("locks") or ()}
        for key, start in sorted(new_locks.items()):
            if key not in old_locks:
                found.append(
                    phrase(N_("locked %(initiative)s in period %(period)s"), initiative=named(key), period=start)
                )
            elif old_locks[key] != start:
                found.append(
                    phrase(N_("moved %(initiative)s to period %(period)s"), initiative=named(key), period=start)
                )
        for key in sorted(old_locks.keys() - new_locks.keys()):
            found.append(phrase(N_("unlocked %(initiative)s"), initiative=named(key)))
    if "owners" in after:
        old_owners, new_owners = before.get("owners") or {}, after.get("owners") or {}
        for key in sorted(old_owners.keys() | new_owners.keys()):
            if old_owners.get(key) != new_owners.get(key):
                owner = new_owners.get(key)
                found.append(
                    phrase(N_("owner of %(initiative)s: %(owner)s"), initiative=named(key), owner=owner)
                    if owner
                    else phrase(N_("removed the owner of %(initiative)s"), initiative=named(key))
                )
    if "start_date" in after and before.get("start_date") != after.get("start_date"):
        found.append(phrase(N_("calendar starts %(date)s"), date=str(after["start_date"])))
    return found


def _note(
    author: Param, before: Mapping[str, Any] | None, after: Mapping[str, Any], titles: Mapping[str, str] | None = None
) -> Phrase:
    """Who changed what, as a phrase (stored with the version; ``_stored_note`` gives its English sentence)."""
    if before is None:
        # What the first plan asks for beyond the defaults.
        defaults = request_to_dict(PlanRequest(targets=after.get("targets") or {}), date.min)
        changes = _changes(defaults, {**after, "start_date": defaults["start_date"]}, titles)
        if changes:
            return phrase(
                N_("%(author)s made the first plan (%(changes)s)"),
                author=author,
                changes=Items(tuple(changes), "semicolon"),
            )
        return phrase(N_("%(author)s made the first plan"), author=author)
    changes = _changes(before, after, titles)
    if changes:
        return phrase(N_("%(author)s: %(changes)s"), author=author, changes=Items(tuple(changes), "semicolon"))
    return phrase(N_("%(author)s re-planned with the same settings"), author=author)


def _stored_note(note: Phrase) -> str:
    """The note's English sentence as the ``note`` column holds it (cut to its length)."""
    text = english(note)
    return text if len(text) <= MAX_NOTE else text[: MAX_NOTE - 1] + "…"


def _request(
    assessment: Assessment,
    current: Settings,
    locks: Mapping[str, int],
    owners: Mapping[str, str],
    known: Mapping[str, str],
) -> tuple[PlanRequest, dict[str, str]]:
    """The request for the settings, locks and owners; locks and owners of unknown initiatives are dropped."""
    kept_owners = {k: v for k, v in owners.items() if k in known and v}
    request = PlanRequest(
        targets={str(k): str(v) for k, v in (assessment.targets or {}).items()},
        horizon=current.horizon,
        budget=current.budget,
        capacity=current.capacity,
        max_concurrent=current.max_concurrent,
        must=frozenset(current.must),
        must_not=frozenset(current.must_not),
        custom=current.custom,
        # Locks of initiatives that no longer exist (an own initiative removed) are dropped.
        locks=tuple(Lock(k, s, kept_owners.get(k, "")) for k, s in sorted(locks.items()) if k in known),
        owners=kept_owners,
    )
    return request, kept_owners


def _solve(
    db: Session,
    actor: Actor,
    assessment: Assessment,
    current: Settings,
    locks: Mapping[str, int],
    owners: Mapping[str, str],
) -> tuple[PlanRequest, Plan]:
    from cxmaturity.planning.optimizer import make_plan

    scored = results.results(db, actor, assessment.id)
    fw = scored.framework
    request, _ = _request(assessment, current, locks, owners, {c.key: c.title for c in candidates(fw, current)})
    try:
        plan = make_plan(fw, scored.result, request)
    except ValueError as exc:
        # The optimizer refuses a request it cannot read (the settings' checks should have caught it).
        raise Invalid(phrase(N_("the plan could not be made: %(problem)s"), problem=str(exc))) from None
    return request, plan


def _save(
    db: Session,
    actor: Actor,
    assessment: Assessment,
    current: Settings,
    locks: Mapping[str, int],
    owners: Mapping[str, str],
    action: str,
) -> SavedPlan:
    # One new version at a time per assessment: numbers stay gapless (SQLite serializes writers anyway).
    db.execute(select(Assessment.id).where(Assessment.id == assessment.id).with_for_update())
    previous = _latest_row(db, assessment.id)
    request, plan = _solve(db, actor, assessment, current, locks, owners)
    if plan.status == "infeasible":
        # A failed plan never becomes the plan: the caller's unit of work rolls back whatever this change wrote.
        # Why, as phrases where the optimizer made them (a page shows them in its language), else as written.
        why: tuple[Text, ...] = (
            plan.explanation_phrases
            if len(plan.explanation_phrases) == len(plan.explanation)
            else tuple(plan.explanation)
        )
        message = (
            N_("No plan satisfies this change, so nothing was saved and the current plan stays as it is. %(why)s")
            if previous is not None
            else N_("No plan satisfies this change, so nothing was saved and no plan was saved. %(why)s")
        )
        raise Invalid(
            phrase(message, why=Items(tuple(w if isinstance(w, Phrase) else literal(w) for w in why), "space")),
            field="plan",
            details=list(why),
        )
    start = current.start_date or next_quarter(datetime.now(UTC).date())
    stored_request = request_to_dict(request, start)
    number = (
        db.scalar(select(func.max(PlanVersion.number)).where(PlanVersion.assessment_id == assessment.id)) or 0
    ) + 1
    note = _note(
        _author_param(db, actor.user_id),
        None if previous is None else previous.request,
        stored_request,
        {c.key: c.title for c in candidates(framework_of(assessment), current)},
    )
    row = PlanVersion(
        assessment_id=assessment.id,
        number=number,
        created_by=actor.user_id,
        note=_stored_note(note),
        note_phrase=to_data(note),
        status=plan.status,
        request=stored_request,
        plan=plan_to_dict(plan),
    )
    db.add(row)
    db.flush()
    audit.record(
        db,
        action,
        organization_id=assessment.organization_id,
        user_id=actor.user_id,
        target=str(assessment.id),
        version=number,
        status=plan.status,
        note=row.note,
    )
    return _saved(db, row)


def make(db: Session, actor: Actor, assessment_id: int) -> SavedPlan:
    """Make a plan from the current results and settings, around the latest version's locks and owners; save it."""
    assessment = access.assessment(db, actor, assessment_id, "facilitator")
    current = _settings_of(_row(db, assessment.id))
    previous = _latest_row(db, assessment.id)
    prior = request_from_dict(previous.request) if previous is not None else PlanRequest()
    locks = {lock.key: lock.start for lock in prior.locks}
    return _save(db, actor, assessment, current, locks, prior.owners, "plan.make")


def carry_forward(db: Session, actor: Actor, previous: Assessment, new: Assessment) -> SavedPlan | None:
    """Start a re-assessment's plan from the previous assessment's latest one (facilitator of both).

    The new assessment's version 1 is that plan as it was, without initiatives its framework version no longer has
    (its locks and owners follow), so the team sees where it stands until the new answers make a new plan. None when
    the previous assessment has no plan, or only a failed one.
    """
    access.assessment(db, actor, previous.id, "facilitator")
    access.assessment(db, actor, new.id, "facilitator")
    row = _latest_row(db, previous.id)
    if row is None or row.status == "infeasible" or _latest_row(db, new.id) is not None:
        return None
    current = _settings_of(_row(db, new.id))
    known = {c.key for c in candidates(framework_of(new), current)}
    plan = {**row.plan, "initiatives": [i for i in row.plan.get("initiatives") or () if i.get("key") in known]}
    request = {
        **row.request,
        "custom": [candidate_to_dict(c) for c in current.custom],
        "locks": [lock for lock in row.request.get("locks") or () if lock.get("key") in known],
        "owners": {k: v for k, v in (row.request.get("owners") or {}).items() if k in known},
        "must": list(current.must),
        "must_not": list(current.must_not),
    }
    note = phrase(
        N_("%(author)s carried the plan forward from %(title)s (version %(number)s)"),
        author=_author_param(db, actor.user_id),
        title=previous.title,
        number=row.number,
    )
    carried = PlanVersion(
        assessment_id=new.id,
        number=1,
        created_by=actor.user_id,
        note=_stored_note(note),
        note_phrase=to_data(note),
        status=row.status,
        request=request,
        plan=plan,
    )
    db.add(carried)
    db.flush()
    return _saved(db, carried)


@dataclass(frozen=True)
class Change:
    """A change to one initiative. ``None`` leaves a part as it is; a new ``start`` locks it there."""

    key: str
    owner: str | None = None
    locked: bool | None = None
    start: int | None = None


def adjust(db: Session, actor: Actor, assessment_id: int, changes: Sequence[Change]) -> SavedPlan:
    """Apply changes to initiatives (owner, lock, start), re-plan around the locks and save the new version."""
    assessment = access.assessment(db, actor, assessment_id, "facilitator")
    if not changes or all(c.owner is None and c.locked is None and c.start is None for c in changes):
        raise Invalid(N_("nothing to change: give an owner, a start period or whether it is locked"))
    current = _settings_of(_row(db, assessment.id))
    fw = framework_of(assessment)
    known = {c.key: c for c in candidates(fw, current)}
    previous = _latest_row(db, assessment.id)
    prior = request_from_dict(previous.request) if previous is not None else PlanRequest()
    planned = {i.key: i for i in plan_from_dict(previous.plan, prior).initiatives} if previous is not None else {}
    locks = {lock.key: lock.start for lock in prior.locks}
    owners = dict(prior.owners)
    moved: list[str] = []
    for change in changes:
        candidate = known.get(change.key)
        if candidate is None:
            raise NotFound(phrase(N_("there is no initiative %(key)s in this assessment's catalog"), key=change.key))
        if change.owner is not None:
            owner = " ".join(change.owner.split())
            if len(owner) > MAX_OWNER:
                raise Invalid(
                    phrase(N_("an owner has at most %(max_owner)s characters"), max_owner=MAX_OWNER), field="owner"
                )
            if owner:
                owners[change.key] = owner
            else:
                owners.pop(change.key, None)
        if change.start is not None:
            title = f"“{candidate.title}”"
            if change.locked is False:
                raise Invalid(
                    N_("a moved initiative is locked at its new start; leave out locked or set it to true"),
                    field="start",
                )
            last = current.horizon - candidate.duration + 1
            if last < 1:
                raise Invalid(
                    phrase(
                        N_("%(title)s takes %(duration)s periods, longer than the horizon of %(horizon)s"),
                        title=title,
                        duration=candidate.duration,
                        horizon=current.horizon,
                    ),
                    field="start",
                )
            if not 1 <= change.start <= last:
                raise Invalid(
                    phrase(
                        N_(
                            "%(title)s must start in a period from 1 to %(last)s (it takes %(duration)s "
                            "period%(value)s of the horizon of %(horizon)s)"
                        ),
                        title=title,
                        last=last,
                        duration=candidate.duration,
                        value="s" if candidate.duration != 1 else "",
                        horizon=current.horizon,
                    ),
                    field="start",
                )
            locks[change.key] = change.start
            moved.append(change.key)
        elif change.locked is True and change.key not in locks:
            if change.key not in planned:
                raise Invalid(
                    phrase(
                        N_("%(key)s is not in the latest plan; give the period it should start in to lock it"),
                        key=change.key,
                    ),
                    field="start",
                )
            locks[change.key] = planned[change.key].start
        elif change.locked is False:
            locks.pop(change.key, None)
    if moved:
        _check_moves(db, actor, assessment, current, locks, moved)
    return _save(db, actor, assessment, current, locks, owners, "plan.adjust")


def _check_moves(
    db: Session, actor: Actor, assessment: Assessment, current: Settings, locks: Mapping[str, int], moved: Sequence[str]
) -> None:
    """Refuse a move that an order rules out by itself, naming the prerequisite, step or locked successor."""
    from cxmaturity.planning.optimizer import start_windows

    scored = results.results(db, actor, assessment.id)
    titles = {c.key: c.title for c in candidates(scored.framework, current)}
    for key in moved:
        others = {k: v for k, v in locks.items() if k != key}
        request, _ = _request(assessment, current, others, {}, titles)
        try:
            window = start_windows(scored.framework, scored.result, request).get(key)
        except ValueError as exc:
            raise Invalid(phrase(N_("the plan could not be made: %(problem)s"), problem=str(exc))) from None
        start = locks[key]
        title = f"“{titles[key]}”"
        if window is None:
            continue  # it cannot be chosen at all: the re-plan explains why
        if start < window.earliest:
            raise Invalid(
                phrase(
                    N_(
                        "%(title)s cannot start in period %(start)s: %(why_earliest)s. Choose period "
                        "%(earliest)s or later, or move what it waits for first."
                    ),
                    title=title,
                    start=start,
                    why_earliest=window.why_earliest,
                    earliest=window.earliest,
                ),
                field="start",
            )
        if start > window.latest:
            why = window.why_latest or f"it must finish within the horizon of {current.horizon} periods"
            raise Invalid(
                phrase(
                    N_("%(title)s cannot start in period %(start)s: %(why)s. Choose period %(latest)s or earlier."),
                    title=title,
                    start=start,
                    why=why,
                    latest=window.latest,
                ),
                field="start",
            )


def lock(db: Session, actor: Actor, assessment_id: int, key: str, start: int | None = None) -> SavedPlan:
    """Lock an initiative where it is (or at ``start``) and re-plan around it."""
    return adjust(db, actor, assessment_id, [Change(key, locked=True, start=start)])


def unlock(db: Session, actor: Actor, assessment_id: int, key: str) -> SavedPlan:
    return adjust(db, actor, assessment_id, [Change(key, locked=False)])


def move(db: Session, actor: Actor, assessment_id: int, key: str, start: int) -> SavedPlan:
    """Move an initiative to start in ``start``; it becomes a lock."""
    return adjust(db, actor, assessment_id, [Change(key, start=start)])


def set_owner(db: Session, actor: Actor, assessment_id: int, key: str, owner: str) -> SavedPlan:
    return adjust(db, actor, assessment_id, [Change(key, owner=owner)])


# --------------------------------------------------------------------------------------------------------------------
# Downloads


def csv_text(saved: SavedPlan) -> str:
    """The plan as CSV (``planning.export.plan_to_csv``: formula-like cells are guarded with a leading "'")."""
    from cxmaturity.planning.export import plan_to_csv

    return plan_to_csv(saved.plan)


def ical_text(saved: SavedPlan, title: str, fw: Framework, language: str | None = None) -> str:
    """The plan as an iCalendar file: milestones named by title, filed under the competency's name; its words, reasons
    and names in ``language`` (where the catalogs and the framework offer it), else English and the framework's."""
    from cxmaturity.i18n import gettext, use_locale
    from cxmaturity.planning.export import plan_to_ical
    from cxmaturity.reporting import phrases
    from cxmaturity.reporting.report import in_framework_language

    fw = fw.in_language(language)
    names = {c.key: fw.text(c.name) for c in fw.competencies}
    with use_locale(language):
        titles = {i.key: i.title for i in in_framework_language(saved.plan, fw).initiatives}
        return plan_to_ical(
            saved.plan,
            saved.start_date,
            title,
            competency_names=names,
            translate=gettext,
            reason_of=lambda item: phrases.reason(item, fw),
            titles=titles,
        )


def start_windows(db: Session, actor: Actor, assessment_id: int, saved: SavedPlan) -> dict[str, Window]:
    """The start periods each initiative of ``saved`` may be moved to (``planning.optimizer.start_windows``), from
    the answers as they are now; empty when the answers cannot be planned from."""
    from cxmaturity.planning.optimizer import start_windows as windows

    scored = results.results(db, actor, assessment_id)
    try:
        return windows(scored.framework, scored.result, saved.plan.request)
    except ValueError:
        return {}
