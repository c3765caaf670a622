"""Units of an organization and their leaders: create, rename, move, delete, import a tree (docs/units.md).

The tree's rules (no cycles, distinct names among siblings, a file's problems by line and column) are the pure
``cxmaturity.units`` package's; this module stores what it allows. Campaigns over units and their roll-ups are in
``services/campaigns.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cxmaturity.i18n import N_
from cxmaturity.i18n.phrase import phrase
from cxmaturity.services import access, audit, throttle
from cxmaturity.services.access import Actor
from cxmaturity.services.accounts import normalize_email
from cxmaturity.services.errors import Conflict, Invalid, NotFound
from cxmaturity.services.throttle import Limit
from cxmaturity.storage.database import transaction
from cxmaturity.storage.tables import CampaignUnit, Invitation, Unit, UnitLeader, User
from cxmaturity.units.tree import Tree, TreeError, UnitNode, check_name
from cxmaturity.units.treefile import TreeFileError, check_tree_rows, read_tree_csv

#: The most units one organization may hold (a company's stores, with room to spare).
MAX_UNITS = 5000
#: Passed as ``parent_id`` to leave a unit where it is.
KEEP = -1
#: Naming a leader answers whether an account has the address (and anyone may own an organization of their own):
#: one account names at most this many an hour, found or not, as it sends at most so many invitations to join.
LEADER_LIMIT = Limit("unit-leader", 50, timedelta(hours=1))


def tree_of(db: Session, organization_id: int) -> Tree:
    """Return the organization's whole unit tree (no permission check: callers have made theirs)."""
    rows = db.execute(
        select(Unit.id, Unit.parent_id, Unit.name, Unit.key).where(Unit.organization_id == organization_id)
    ).all()
    return Tree(UnitNode(i, p, n, k) for i, p, n, k in rows)


@dataclass(frozen=True)
class Leader:
    user_id: int
    email: str
    name: str


@dataclass(frozen=True)
class UnitsOverview:
    tree: Tree
    leaders: dict[int, list[Leader]]
    #: Per unit: how many campaigns run in it and how many invitations it holds (a unit with either keeps its data).
    campaigns: dict[int, int]
    invitations: dict[int | None, int]


def overview(db: Session, actor: Actor, organization_id: int) -> UnitsOverview:
    """Return the organization's units with their leaders and what each holds (viewer and up)."""
    access.require_role(db, actor, organization_id)
    tree = tree_of(db, organization_id)
    leaders: dict[int, list[Leader]] = {}
    for unit_id, user_id, email, name in db.execute(
        select(UnitLeader.unit_id, User.id, User.email, User.name)
        .join(User, User.id == UnitLeader.user_id)
        .join(Unit, Unit.id == UnitLeader.unit_id)
        .where(Unit.organization_id == organization_id)
        .order_by(User.email)
    ):
        leaders.setdefault(unit_id, []).append(Leader(user_id, email, name))
    return UnitsOverview(tree, leaders, *_holdings(db, organization_id))


def _holdings(db: Session, organization_id: int) -> tuple[dict[int, int], dict[int | None, int]]:
    campaigns = dict(
        db.execute(
            select(CampaignUnit.unit_id, func.count())
            .join(Unit, Unit.id == CampaignUnit.unit_id)
            .where(Unit.organization_id == organization_id)
            .group_by(CampaignUnit.unit_id)
        ).all()
    )
    invitations = dict(
        db.execute(
            select(Invitation.unit_id, func.count())
            .join(Unit, Unit.id == Invitation.unit_id)
            .where(Unit.organization_id == organization_id)
            .group_by(Invitation.unit_id)
        ).all()
    )
    return campaigns, invitations


def _refuse(exc: TreeError, field: str) -> Invalid:
    return Invalid(str(exc), field=field)


def _parent(tree: Tree, parent_id: int | None) -> int | None:
    if parent_id is not None and parent_id not in tree:
        raise Invalid(N_("choose a parent unit of this organization"), field="parent")
    return parent_id


def _check_key(db: Session, organization_id: int, key: str | None, unit_id: int | None = None) -> str | None:
    key = (key or "").strip() or None
    if key is None:
        return None
    if len(key) > 64:
        raise Invalid(N_("a unit's key has at most 64 characters"), field="key")
    clash = db.scalar(select(Unit.id).where(Unit.organization_id == organization_id, Unit.key == key))
    if clash is not None and clash != unit_id:
        raise Invalid(phrase(N_("another unit already has the key '%(key)s'"), key=key), field="key")
    return key


def create(
    db: Session, actor: Actor, organization_id: int, name: str, parent_id: int | None = None, key: str | None = None
) -> Unit:
    """Add a unit under ``parent_id`` (None: at the top) (facilitator)."""
    access.require_role(db, actor, organization_id, "facilitator")
    tree = tree_of(db, organization_id)
    if len(tree) >= MAX_UNITS:
        raise Invalid(phrase(N_("an organization holds at most %(max_units)s units"), max_units=MAX_UNITS))
    try:
        name = check_name(name)
        tree.check_sibling_name(None, _parent(tree, parent_id), name)
    except TreeError as exc:
        raise _refuse(exc, "name") from exc
    unit = Unit(
        organization_id=organization_id, parent_id=parent_id, name=name, key=_check_key(db, organization_id, key)
    )
    db.add(unit)
    db.flush()
    audit.record(
        db, "unit.create", organization_id=organization_id, user_id=actor.user_id, target=str(unit.id), name=name
    )
    return unit


def update(db: Session, actor: Actor, unit_id: int, *, name: str | None = None, parent_id: int | None = KEEP) -> Unit:
    """Rename a unit and/or move it under another parent (None: to the top); a move into its own subtree is refused
    (facilitator)."""
    unit = access.unit(db, actor, unit_id, "facilitator")
    tree = tree_of(db, unit.organization_id)
    new_parent = unit.parent_id if parent_id == KEEP else parent_id
    try:
        new_name = check_name(name) if name is not None else unit.name
        tree.check_parent(unit.id, _parent(tree, new_parent))
        tree.check_sibling_name(unit.id, new_parent, new_name)
    except TreeError as exc:
        raise _refuse(exc, "parent" if "cycle" in str(exc) else "name") from exc
    before = (unit.name, unit.parent_id)
    unit.name, unit.parent_id = new_name, new_parent
    db.flush()
    audit.record(
        db,
        "unit.update",
        organization_id=unit.organization_id,
        user_id=actor.user_id,
        target=str(unit.id),
        name=[before[0], new_name],
        parent=[before[1], new_parent],
    )
    return unit


def delete(db: Session, actor: Actor, unit_id: int) -> None:
    """Delete a unit that holds nothing: no units below it, no campaign and no invitation (facilitator).

    A unit with data is refused, never deleted with it: its respondents' answers would lose their unit, and a past
    campaign's roll-up would change without anyone having answered differently.
    """
    unit = access.unit(db, actor, unit_id, "facilitator")
    tree = tree_of(db, unit.organization_id)
    children = tree.children(unit.id)
    if children:
        raise Conflict(
            phrase(
                N_("'%(name)s' has %(count)s unit(s) below it; move or delete them first"),
                name=unit.name,
                count=len(children),
            ),
            field="unit",
        )
    campaigns = db.scalar(select(func.count()).where(CampaignUnit.unit_id == unit.id)) or 0
    invitations = db.scalar(select(func.count()).where(Invitation.unit_id == unit.id)) or 0
    if campaigns or invitations:
        raise Conflict(
            phrase(
                N_(
                    "'%(name)s' holds data (%(campaigns)s campaign(s), %(invitations)s "
                    "invitation(s)); a unit with data cannot be deleted, rename or move it instead"
                ),
                name=unit.name,
                campaigns=campaigns,
                invitations=invitations,
            ),
            field="unit",
        )
    audit.record(
        db,
        "unit.delete",
        organization_id=unit.organization_id,
        user_id=actor.user_id,
        target=str(unit.id),
        name=unit.name,
    )
    db.delete(unit)
    db.flush()


@dataclass(frozen=True)
class ImportSummary:
    created: int
    updated: int


def import_tree(
    db: Session, actor: Actor, organization_id: int, text: str, filename: str = "units.csv"
) -> ImportSummary:
    """Create or update units from a CSV file (``key,name,parent``), all or nothing (facilitator).

    A key the organization already has renames and moves that unit; a new key creates one. Every problem is named
    by file, line and column (``Invalid.details``), and a file with any problem changes nothing.
    """
    access.require_role(db, actor, organization_id, "facilitator")
    existing = list(db.scalars(select(Unit).where(Unit.organization_id == organization_id)))
    by_key = {u.key.casefold(): u for u in existing if u.key}
    key_of: dict[int | None, str | None] = {u.id: u.key for u in existing}
    try:
        rows = read_tree_csv(text, filename)
        check_tree_rows(
            rows, {k: key_of.get(u.parent_id) if u.parent_id else None for k, u in by_key.items()}, filename
        )
    except TreeFileError as exc:
        raise Invalid(
            phrase(N_("%(filename)s: the units were not imported"), filename=filename),
            field="file",
            details=exc.problems,
        ) from exc
    new_keys = {r.key.casefold() for r in rows} - set(by_key)
    if len(existing) + len(new_keys) > MAX_UNITS:
        raise Invalid(
            phrase(N_("an organization holds at most %(max_units)s units"), max_units=MAX_UNITS), field="file"
        )
    # Names must be distinct among siblings once every row is applied: check the final tree, keyless units included.
    parent_of: dict[object, object] = {}
    name_of: dict[object, str] = {}
    line_of: dict[object, int] = {}
    ident: dict[int | None, object] = {u.id: (u.key.casefold() if u.key else u.id) for u in existing}
    for u in existing:
        node = ident[u.id]
        parent_of[node] = ident.get(u.parent_id) if u.parent_id is not None else None
        name_of[node] = u.name
    for row in rows:
        node = row.key.casefold()
        parent_of[node] = row.parent.casefold() if row.parent else None
        name_of[node] = row.name
        line_of[node] = row.line
    seen: dict[tuple[object, str], object] = {}
    problems = []
    for node in sorted(parent_of, key=lambda n: line_of.get(n, 0)):
        slot = (parent_of[node], name_of[node].casefold())
        if slot in seen and (node in line_of or seen[slot] in line_of):
            line = line_of.get(node) or line_of[seen[slot]]
            problems.append(f"{filename}:{line} column 'name': two units named '{name_of[node]}' under the same parent")
        seen.setdefault(slot, node)
    if problems:
        raise Invalid(
            phrase(N_("%(filename)s: the units were not imported"), filename=filename), field="file", details=problems
        )
    created = updated = 0
    units = dict(by_key)
    for row in rows:
        found = units.get(row.key.casefold())
        if found is None:
            found = Unit(organization_id=organization_id, name=row.name, key=row.key)
            db.add(found)
            units[row.key.casefold()] = found
            created += 1
        elif found.name != row.name or (key_of.get(found.parent_id) or "").casefold() != (row.parent or "").casefold():
            found.name = row.name
            updated += 1
    db.flush()
    for row in rows:
        unit = units[row.key.casefold()]
        unit.parent_id = units[row.parent.casefold()].id if row.parent else None
    db.flush()
    audit.record(
        db,
        "unit.import",
        organization_id=organization_id,
        user_id=actor.user_id,
        file=filename,
        created=created,
        updated=updated,
    )
    return ImportSummary(created, updated)


def add_leader(db: Session, actor: Actor, unit_id: int, email: str) -> Leader:
    """Make the account with this e-mail a leader of the unit: they then see its campaigns' results for it and every
    unit below it, and nothing else of the organization (owner)."""
    unit = access.unit(db, actor, unit_id, "owner")
    user = db.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None:
        raise Invalid(N_("no account has that e-mail address; ask them to sign up first"), field="email")
    if db.scalar(select(UnitLeader.id).where(UnitLeader.unit_id == unit.id, UnitLeader.user_id == user.id)) is None:
        db.add(UnitLeader(unit_id=unit.id, user_id=user.id))
        db.flush()
        audit.record(
            db,
            "unit.leader.add",
            organization_id=unit.organization_id,
            user_id=actor.user_id,
            target=str(unit.id),
            leader=user.id,
        )
    return Leader(user.id, user.email, user.name)


def name_leader(sessions: sessionmaker[Session], actor: Actor, unit_id: int, email: str) -> Leader:
    """Make the account with this e-mail a leader of the unit, as ``add_leader`` does, counting each attempt against
    the owner's hourly limit first (``LEADER_LIMIT``; then TooMany): the count is committed on its own, so that an
    address without an account counts as much as one with, and the answer cannot be asked for without end."""
    with transaction(sessions) as db:
        access.unit(db, actor, unit_id, "owner")
        throttle.reserve_or_refuse(
            db,
            LEADER_LIMIT,
            str(actor.user_id),
            N_("you named %(failures)s unit leaders within an hour; try again in %(minutes)s minutes"),
        )
    with transaction(sessions) as db:
        return add_leader(db, actor, unit_id, email)


def remove_leader(db: Session, actor: Actor, unit_id: int, user_id: int) -> None:
    """Remove a unit's leader (owner)."""
    unit = access.unit(db, actor, unit_id, "owner")
    found = db.scalar(select(UnitLeader).where(UnitLeader.unit_id == unit.id, UnitLeader.user_id == user_id))
    if found is None:
        raise NotFound(N_("that person does not lead this unit"))
    db.delete(found)
    audit.record(
        db,
        "unit.leader.remove",
        organization_id=unit.organization_id,
        user_id=actor.user_id,
        target=str(unit.id),
        leader=user_id,
    )
