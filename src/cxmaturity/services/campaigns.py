"""Campaigns: one assessment run across chosen units, its results rolled up the unit tree (docs/units.md).

A campaign is an assessment with units (``campaign_unit``): each invitation carries the unit its respondent answers
for, as it carries a group. The roll-up scores every shown unit over its subtree's respondents with the scoring
package's own rules (``units.rollup``) and withholds what the anonymity rule says (``units.suppression``). Readers:
the campaign page and its JSON (viewers and up: every unit) and a unit's page (its leaders too: that unit and below).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt
from sqlalchemy import Table, bindparam, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert

from cxmaturity.frameworks import Framework
from cxmaturity.i18n import N_
from cxmaturity.i18n.phrase import phrase
from cxmaturity.scoring.layout import layout_for
from cxmaturity.scoring.responses import IMPORTED, INDEPENDENT
from cxmaturity.services import access, audit, revisions
from cxmaturity.services.access import Actor
from cxmaturity.services.assessments import framework_of
from cxmaturity.services.errors import Invalid
from cxmaturity.services.progress import series_of
from cxmaturity.services.results import load_rows, options_for, provenance_of
from cxmaturity.services.units import tree_of
from cxmaturity.storage.database import apart, read_only
from cxmaturity.storage.tables import (
    PENDING_IMPORT,
    ROLES,
    Answer,
    Assessment,
    CampaignUnit,
    Invitation,
    RespondentGroup,
    StoredUnitTallies,
    Unit,
)
from cxmaturity.units.rollup import IntervalWork, RollUp, UnitIntervals, UnitTallies, roll_up_tallies
from cxmaturity.units.tree import Tree


def units_of(db: Session, assessment_id: int) -> dict[int, int | None]:
    """Return the campaign's units and their response-rate goals (percent; None: no goal). Empty: not a campaign."""
    return dict(
        db.execute(
            select(CampaignUnit.unit_id, CampaignUnit.goal).where(CampaignUnit.assessment_id == assessment_id)
        ).all()
    )


def set_units(
    db: Session, actor: Actor, assessment_id: int, goals: Mapping[int, int | None], *, hide_names: bool = False
) -> None:
    """Make the assessment a campaign over these units with their goals (percent), or change them (facilitator).

    A campaign has no respondent groups: two ways of cutting the same respondents, each safe on its own, could be
    subtracted from each other (a group minus a unit) to isolate a few people. A unit that already holds invitations
    stays in the campaign.
    """
    assessment = access.assessment(db, actor, assessment_id, "facilitator")
    tree = tree_of(db, assessment.organization_id)
    unknown = [u for u in goals if u not in tree]
    if unknown:
        raise Invalid(N_("choose units of this organization"), field="units")
    for unit, goal in goals.items():
        if goal is not None and not 0 < goal <= 100:
            raise Invalid(
                phrase(
                    N_("a response-rate goal is a percentage from 1 to 100 ('%(name)s')"), name=tree.nodes[unit].name
                ),
                field="goal",
            )
    if goals and db.scalar(select(func.count()).where(RespondentGroup.assessment_id == assessment.id)):
        raise Invalid(
            N_(
                "an assessment with respondent groups cannot also run across units: remove the "
                "groups or start a new assessment for the campaign"
            ),
            field="units",
        )
    used = {
        u
        for u in db.scalars(
            select(Invitation.unit_id).where(Invitation.assessment_id == assessment.id, Invitation.unit_id.is_not(None))
        )
        if u is not None
    }
    dropped = sorted(u for u in used if u not in goals)
    if dropped:
        names = ", ".join(tree.nodes[u].name if u in tree else str(u) for u in dropped)
        raise Invalid(
            phrase(N_("these units already have invitations and stay in the campaign: %(names)s"), names=names),
            field="units",
        )
    current = {
        c.unit_id: c for c in db.scalars(select(CampaignUnit).where(CampaignUnit.assessment_id == assessment.id))
    }
    for unit, row in current.items():
        if unit not in goals:
            db.delete(row)
    for unit, goal in goals.items():
        if unit in current:
            current[unit].goal = goal
        else:
            db.add(CampaignUnit(assessment_id=assessment.id, unit_id=unit, goal=goal))
    assessment.hide_unit_names = hide_names
    db.flush()
    revisions.bump(db, assessment.id)
    audit.record(
        db,
        "campaign.units",
        organization_id=assessment.organization_id,
        user_id=actor.user_id,
        target=str(assessment.id),
        units=sorted(goals),
        hide_names=hide_names,
    )


# --------------------------------------------------------------------------------------------------------------------
# Roll-ups


@dataclass(frozen=True)
class Rate:
    invited: int
    completed: int
    goal: int | None

    @property
    def rate(self) -> float | None:
        return self.completed / self.invited if self.invited else None

    @property
    def met(self) -> bool | None:
        """Whether the goal is met (None without a goal or an invitation)."""
        if self.goal is None or self.rate is None:
            return None
        return self.rate * 100 >= self.goal - 1e-9


@dataclass(frozen=True)
class Wave:
    """An earlier or later campaign of the series, with its roll-up (for units over time)."""

    assessment: Assessment
    rollup: RollUp


@dataclass(frozen=True)
class CampaignRollUp:
    assessment: Assessment
    framework: Framework
    #: The campaign's units and their ancestors; in a unit's view, that unit's subtree only.
    tree: Tree
    rollup: RollUp
    rates: dict[int, Rate]
    labels: dict[int, str]
    names_hidden: bool
    #: The campaigns of the series, earliest first, this one included.
    waves: tuple[Wave, ...] = field(default=())
    #: The unit whose subtree this view is limited to (a leader's view), or None for the whole campaign.
    within: int | None = None


def _rolled(db: Session, assessment: Assessment, fw: Framework, tree: Tree) -> RollUp:
    """Roll the campaign's stored answers up the tree, tallied in SQL (``units.rollup.tallies`` defines the counts)
    once per answers revision: the database groups some 200,000 answers into a few thousand counts, so no answer row
    reaches Python, and later readers take those counts as stored."""
    return roll_up_tallies(fw, stored_tallies(db, assessment, fw, tree), tree, assessment.min_group_size)


#: Answers that say nothing about a stage: a respondent with only these has no usable answer.
NO_EVIDENCE = ("dk", "na", "")
#: The tallies' version: raise it with any change to what ``_count`` counts, so stored tallies are counted again.
TALLIES_METHOD = "unit-tallies-1"
#: The slot of respondents whose invitation has no unit (a unit id never is negative).
_NO_UNIT = -1


@dataclass(frozen=True)
class UnitCounts:
    """A campaign's answers counted by unit id (``_NO_UNIT``: none), independent of the unit tree's shape."""

    units: npt.NDArray[np.int64]
    #: (units, indicators, options): respondents who chose each option.
    options: npt.NDArray[np.float64]
    #: Respondents with a usable answer, and those of them who answered independently (``INDEPENDENT``).
    respondents: npt.NDArray[np.int64]
    independent: npt.NDArray[np.int64]
    #: Respondents with a usable answer who were imported (all units together).
    imported: int

    def to_bytes(self) -> bytes:
        out = io.BytesIO()
        np.savez(
            out,
            units=self.units,
            options=self.options,
            respondents=self.respondents,
            independent=self.independent,
            imported=np.array([self.imported]),
        )
        return out.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> UnitCounts:
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            return cls(
                arrays["units"],
                arrays["options"],
                arrays["respondents"],
                arrays["independent"],
                int(arrays["imported"][0]),
            )


def _count(db: Session, assessment: Assessment, fw: Framework) -> UnitCounts:
    """Count the campaign's answers per unit, indicator and option, and its respondents per unit, in SQL.

    Respondents of an import still being written are left out (``services.results``).
    """
    layout = layout_for(fw)
    columns = {ind.key: column for column, (_, ind) in enumerate(fw.indicators)}
    codes = {ind.key: {key: code for code, key in enumerate(fw.answer_keys(ind))} for _, ind in fw.indicators}
    by_unit: dict[int, npt.NDArray[np.float64]] = {}
    people: dict[int, list[int]] = {}

    def slot(unit: int | None) -> npt.NDArray[np.float64]:
        key = _NO_UNIT if unit is None else unit
        if key not in by_unit:
            by_unit[key] = np.zeros((layout.n_indicators, layout.max_options), dtype=np.float64)
            people[key] = [0, 0]
        return by_unit[key]

    joined = (Answer.assessment_id == assessment.id, Invitation.source != PENDING_IMPORT)
    for unit, indicator, option, n in db.execute(
        select(Invitation.unit_id, Answer.indicator_key, Answer.option_key, func.count())
        .join(Invitation, Invitation.id == Answer.invitation_id)
        .where(*joined)
        .group_by(Invitation.unit_id, Answer.indicator_key, Answer.option_key)
    ):
        code = codes.get(indicator, {}).get(option)
        if code is not None:
            slot(unit)[columns[indicator], code] += n
    imported = 0
    # Respondents by their invitations, each counted once with no DISTINCT over the answers (an index probe each).
    evidence = (
        select(Answer.invitation_id)
        .where(Answer.invitation_id == Invitation.id, Answer.option_key.not_in(NO_EVIDENCE))
        .exists()
    )
    for unit, source, held, n in db.execute(
        select(Invitation.unit_id, Invitation.source, Invitation.held, func.count())
        .where(Invitation.assessment_id == assessment.id, Invitation.source != PENDING_IMPORT, evidence)
        .group_by(Invitation.unit_id, Invitation.source, Invitation.held)
    ):
        slot(unit)
        counts = people[_NO_UNIT if unit is None else unit]
        counts[0] += n
        if provenance_of(source, held) == INDEPENDENT:
            counts[1] += n
        elif provenance_of(source, held) == IMPORTED:
            imported += n
    ids = sorted(by_unit)
    shape = (0, layout.n_indicators, layout.max_options)
    return UnitCounts(
        units=np.array(ids, dtype=np.int64),
        options=np.stack([by_unit[u] for u in ids]) if ids else np.zeros(shape, dtype=np.float64),
        respondents=np.array([people[u][0] for u in ids], dtype=np.int64),
        independent=np.array([people[u][1] for u in ids], dtype=np.int64),
        imported=imported,
    )


_TALLIES: Table = StoredUnitTallies.__table__  # type: ignore[assignment]  # declarative models carry their Table
_STORED_TALLIES = select(_TALLIES.c.revision, _TALLIES.c.method, _TALLIES.c.data).where(
    _TALLIES.c.assessment_id == bindparam("assessment_id")
)


def _tallies_upsert(statement: postgresql.Insert | sqlite.Insert) -> Insert:
    new = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[_TALLIES.c.assessment_id],
        set_={"revision": new.revision, "method": new.method, "data": new.data, "computed_at": new.computed_at},
        where=or_(_TALLIES.c.revision <= new.revision, _TALLIES.c.method != new.method),
    )


_UPSERT_TALLIES = {
    "postgresql": _tallies_upsert(postgresql.insert(_TALLIES)),
    "sqlite": _tallies_upsert(sqlite.insert(_TALLIES)),
}


def unit_counts(db: Session, assessment: Assessment, fw: Framework) -> UnitCounts:
    """Return the campaign's counts: stored when counted at the current answers revision, else counted now and
    stored for the next reader (as ``services.results.results_of`` does with results, and for the same reasons)."""
    db.flush()
    revision = revisions.current(db, assessment.id)
    row = db.connection().execute(_STORED_TALLIES, {"assessment_id": assessment.id}).one_or_none()
    layout = layout_for(fw)
    if row is not None and row.revision == revision and row.method == TALLIES_METHOD:
        try:
            found = UnitCounts.from_bytes(row.data)
        except (KeyError, ValueError, OSError):
            found = None  # unreadable: counted again below
        if found is not None and found.options.shape[1:] == (layout.n_indicators, layout.max_options):
            return found
    fresh = _count(db, assessment, fw)
    values = {
        "assessment_id": assessment.id,
        "revision": revision,
        "method": TALLIES_METHOD,
        "data": fresh.to_bytes(),
        "computed_at": datetime.now(UTC),
    }
    if read_only(db):
        with apart(db) as connection:
            connection.execute(_UPSERT_TALLIES[connection.dialect.name], values)
    else:
        connection = db.connection()
        connection.execute(_UPSERT_TALLIES[connection.dialect.name], values)
    return fresh


def stored_tallies(db: Session, assessment: Assessment, fw: Framework, tree: Tree) -> UnitTallies:
    """Return the campaign's counts (``unit_counts``) in the order of ``tree``, with a last slot for respondents
    whose unit is not in it. Only independent respondents count towards a size, unless every respondent was
    imported (``ResponseMatrix.counts_for_groups``)."""
    counts = unit_counts(db, assessment, fw)
    order = tuple(u for u, _ in tree.walk())
    index = {u: n for n, u in enumerate(order)}
    slots = np.fromiter((index.get(int(u), len(order)) for u in counts.units), dtype=np.intp, count=len(counts.units))
    options = np.zeros((len(order) + 1, *counts.options.shape[1:]), dtype=np.float64)
    np.add.at(options, slots, counts.options)
    respondents = np.bincount(slots, weights=counts.respondents, minlength=len(order) + 1).astype(np.int_)
    independent = np.bincount(slots, weights=counts.independent, minlength=len(order) + 1).astype(np.int_)
    every_one_imported = counts.imported > 0 and counts.imported == int(counts.respondents.sum())
    return UnitTallies(order, options, respondents, respondents.copy() if every_one_imported else independent)


def _rates(db: Session, assessment: Assessment, tree: Tree, goals: Mapping[int, int | None]) -> dict[int, Rate]:
    """Invitations and finished questionnaires per unit, each unit counting its whole subtree (links only: imported
    respondents were never invited)."""
    rows = db.execute(
        select(Invitation.unit_id, func.count(), func.count(Invitation.completed_at))
        .where(
            Invitation.assessment_id == assessment.id,
            Invitation.unit_id.is_not(None),
            Invitation.source.not_in(("import", PENDING_IMPORT)),
        )
        .group_by(Invitation.unit_id)
    ).all()
    invited = dict.fromkeys(tree.nodes, 0)
    completed = dict(invited)
    for unit, n, done in rows:
        if unit in invited:
            invited[unit] += n
            completed[unit] += done
    for unit, _ in reversed(list(tree.walk())):
        parent = tree.parent(unit)
        if parent is not None:
            invited[parent] += invited[unit]
            completed[parent] += completed[unit]
    return {u: Rate(invited[u], completed[u], goals.get(u)) for u in tree.nodes}


def hidden_label(number: int) -> str:
    """Return "Unit A", …, "Unit Z", "Unit AA", … for the 0-based ``number``."""
    letters = ""
    number += 1
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return f"Unit {letters}"


def labels_for(assessment: Assessment, tree: Tree, hide: bool) -> dict[int, str]:
    """Return each unit's label: its name, or when names are hidden "Unit A", "Unit B", … in an order drawn from the
    assessment and unit ids (neither the tree's order nor alphabetical, which would give names away)."""
    if not hide:
        return {u: n.name for u, n in tree.nodes.items()}
    order = sorted(tree.nodes, key=lambda u: hashlib.sha256(f"{assessment.id}:{u}".encode()).hexdigest())
    return {u: hidden_label(n) for n, u in enumerate(order)}


def _sees_names(db: Session, actor: Actor, assessment: Assessment) -> bool:
    role = access.role_in(db, actor, assessment.organization_id)
    return role is not None and ROLES.index(role) >= ROLES.index("facilitator")


def _build(
    db: Session, actor: Actor, assessment: Assessment, *, within: int | None, preview_hidden: bool
) -> CampaignRollUp:
    goals = units_of(db, assessment.id)
    if not goals:
        raise Invalid(N_("this assessment does not run across units; choose its units first"), field="units")
    fw = framework_of(assessment)
    covering = tree_of(db, assessment.organization_id).covering(goals)
    rollup = _rolled(db, assessment, fw, covering)
    hide = assessment.hide_unit_names and (preview_hidden or not _sees_names(db, actor, assessment))
    shown_tree = Tree(covering.nodes[u] for u in covering.subtree(within)) if within is not None else covering
    waves = []
    for entry in series_of(db, assessment):
        other = entry.assessment
        if other.id == assessment.id:
            waves.append(Wave(assessment, rollup))
        elif other_goals := units_of(db, other.id):
            other_tree = tree_of(db, other.organization_id).covering(other_goals)
            waves.append(Wave(other, _rolled(db, other, framework_of(other), other_tree)))
    return CampaignRollUp(
        assessment=assessment,
        framework=fw,
        tree=shown_tree,
        rollup=rollup,
        rates=_rates(db, assessment, covering, goals),
        labels=labels_for(assessment, covering, hide),
        names_hidden=hide,
        waves=tuple(waves),
        within=within,
    )


def campaign(db: Session, actor: Actor, assessment_id: int, *, preview_hidden: bool = False) -> CampaignRollUp | None:
    """Return the campaign's roll-up over all its units (viewer and up); None when the assessment runs in no unit.
    ``preview_hidden`` shows a facilitator the hidden names viewers see."""
    assessment = access.assessment(db, actor, assessment_id, "viewer")
    if not units_of(db, assessment.id):
        return None
    return _build(db, actor, assessment, within=None, preview_hidden=preview_hidden)


def unit_intervals(db: Session, found: CampaignRollUp) -> dict[int, UnitIntervals]:
    """Return the intervals of every unit ``found`` shows (``units.rollup.intervals``): the campaign's answers
    loaded once, each shown unit's subtree scored with the assessment's own scoring options. Withheld units get none."""
    return interval_work(db, found).compute()


def interval_work(db: Session, found: CampaignRollUp) -> IntervalWork:
    """Read what ``unit_intervals`` scores, to score it later without the database (a report job's child process)."""
    matrix, _, invitation_ids = load_rows(db, found.assessment, found.framework)
    rows = db.execute(select(Invitation.id, Invitation.unit_id).where(Invitation.assessment_id == found.assessment.id))
    unit_of: dict[int, int | None] = dict(rows.all())
    shown = tuple(u for u, _ in found.tree.walk() if found.rollup.unit(u).withheld is None)
    members = tuple(unit_of.get(i) for i in invitation_ids)
    return IntervalWork(matrix, members, found.tree, shown, options_for(found.assessment))


@dataclass(frozen=True)
class UnitView:
    unit: Unit
    path: str
    campaigns: tuple[CampaignRollUp, ...]


def campaigns_in(db: Session, organization_id: int, units: Iterable[int]) -> list[Assessment]:
    """Return the organization's campaigns that run in any of the units, newest first."""
    wanted = list(units)
    return list(
        db.scalars(
            select(Assessment)
            .where(
                Assessment.organization_id == organization_id,
                Assessment.id.in_(select(CampaignUnit.assessment_id).where(CampaignUnit.unit_id.in_(wanted))),
            )
            .order_by(Assessment.created_at.desc(), Assessment.id.desc())
        )
    )


def unit_view(db: Session, actor: Actor, unit_id: int) -> UnitView:
    """Return a unit and its campaigns' roll-ups limited to the unit and the units below it (its leaders, and any
    member of the organization). What is withheld is decided over the whole campaign, so a leader's view never shows
    what the campaign's own view withholds."""
    unit = access.unit(db, actor, unit_id)
    tree = tree_of(db, unit.organization_id)
    found = []
    for assessment in campaigns_in(db, unit.organization_id, tree.subtree(unit.id)):
        found.append(_build(db, actor, assessment, within=unit.id, preview_hidden=False))
    return UnitView(unit, tree.path(unit.id), tuple(found))
