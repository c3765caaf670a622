"""Which cohorts may be shown, and when new results may join them (docs/benchmarks.md, "Privacy").

The threat: a member of one organization asks several questions (cohorts by industry, size band and region, at
different times) and subtracts the answers to isolate another organization. Counts (organizations per stage, how
many score below a value) add up across cohorts, so any difference, sum or inclusion-exclusion of published
cohorts is as good as a published cohort. The rules:

1. A cohort is a framework plus whole attribute values (industry, size band, region, any mix); nothing finer.
2. A cohort is shown only with at least k organizations besides the one asking.
3. Point in time: cohorts are admitted coarse first, and one is admitted only if, together with those admitted
   before it, every group the admitted cohorts cut the pool into (an "atom": the organizations that fall into the
   same cohorts) holds at least k organizations. Every difference, sum or inclusion-exclusion of admitted cohorts
   is a union of atoms, so none isolates fewer than k. This covers "a cohort whose complement within a coarser
   cohort is below k", and also differences between cohorts that are not nested.
4. Over time: benchmarks read a released state of the pool with the cohorts it may show, and a release is made only
   when no combination of its sums with those of the release before depends on fewer than k organizations
   (``plan_release``); changes that would break this (new, replaced or withdrawn results, changed attributes) wait.

The functions work on cells (organizations counted by industry, size band and region), never on results.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations

import numpy as np
import numpy.typing as npt

from cxmaturity.benchmarks.limits import check_min_cohort

DIMENSIONS = ("industry", "size_band", "region")
DIMENSION_NAMES = {"industry": "industry", "size_band": "size band", "region": "region"}

#: An organization's (industry, size band, region); "" where not given.
CellKey = tuple[str, str, str]


@dataclass(frozen=True)
class CohortFilter:
    """A cohort's definition beyond its framework: whole values of the organizations' attributes (None: any)."""

    industry: str | None = None
    size_band: str | None = None
    region: str | None = None

    @classmethod
    def of(cls, industry: str | None = None, size_band: str | None = None, region: str | None = None) -> CohortFilter:
        """Return the filter with blank values read as "any"."""
        return cls(*((value.strip() or None) if value else None for value in (industry, size_band, region)))

    def values(self) -> tuple[str | None, str | None, str | None]:
        return (self.industry, self.size_band, self.region)

    def sort_key(self) -> tuple[int, tuple[str, ...]]:
        """Return a key that orders filters by how many attributes they fix, then by value."""
        return (len(self.pairs()), tuple(v or "" for v in self.values()))

    def pairs(self) -> tuple[tuple[str, str], ...]:
        """Return (dimension, value) for each attribute the filter fixes."""
        return tuple((d, v) for d, v in zip(DIMENSIONS, self.values(), strict=True) if v is not None)

    def matches(self, cell: CellKey) -> bool:
        return all(v is None or v == c for v, c in zip(self.values(), cell, strict=True))

    def coarser(self) -> list[CohortFilter]:
        """Return every filter that fixes a proper subset of this one's attributes, the coarsest first."""
        fixed = [i for i, v in enumerate(self.values()) if v is not None]
        found = []
        for size in range(len(fixed)):
            for keep in combinations(fixed, size):
                found.append(CohortFilter(*(v if i in keep else None for i, v in enumerate(self.values()))))
        return found

    def as_dict(self) -> dict[str, str | None]:
        return dict(zip(DIMENSIONS, self.values(), strict=True))

    def describe(self) -> str:
        """Return the cohort in words, e.g. "industry Retail, region Europe"."""
        if not self.pairs():
            return "all organizations"
        return ", ".join(f"{DIMENSION_NAMES[d]} {v}" for d, v in self.pairs())


def _size(cells: Mapping[CellKey, int], cohort: CohortFilter) -> int:
    return sum(n for cell, n in cells.items() if cohort.matches(cell))


@dataclass(frozen=True)
class _Candidate:
    cohort: CohortFilter
    size: int
    #: Which cells (in the order of the cells' list) the cohort holds.
    inside: npt.NDArray[np.bool_]


def _candidates(keys: Sequence[CellKey], counts: npt.NDArray[np.int64]) -> list[_Candidate]:
    """Return every cohort the cells can form, in the order they are admitted: fewer attributes first, then larger
    cohorts, then by value (so the outcome never depends on the order of questions)."""
    found: list[_Candidate] = []
    columns = [np.array([cell[d] for cell in keys], dtype=object) for d in range(len(DIMENSIONS))]
    for size in range(len(DIMENSIONS) + 1):
        for fixed in combinations(range(len(DIMENSIONS)), size):
            # "Not given" is no value to compare with: such cells belong to no cohort that fixes the attribute.
            usable = np.ones(len(keys), dtype=bool)
            for d in fixed:
                usable &= columns[d] != ""
            groups: dict[tuple[str, ...], list[int]] = {}
            for row in map(int, np.flatnonzero(usable)):
                groups.setdefault(tuple(keys[row][d] for d in fixed), []).append(row)
            for values, rows in groups.items():
                inside = np.zeros(len(keys), dtype=bool)
                inside[rows] = True
                chosen = dict(zip(fixed, values, strict=True))
                cohort = CohortFilter(*(chosen.get(d) for d in range(len(DIMENSIONS))))
                found.append(_Candidate(cohort, int(counts[inside].sum()), inside))
    found.sort(key=lambda c: (len(c.cohort.pairs()), -c.size, tuple(v or "" for v in c.cohort.values())))
    return found


def published_cohorts(cells: Mapping[CellKey, int], k: int) -> frozenset[CohortFilter]:
    """Return the cohorts that may be shown (rule 3): admitted coarse first while every atom keeps k or more."""
    check_min_cohort(k)
    return _admit(cells, k)[0]


def _admit(cells: Mapping[CellKey, int], k: int) -> tuple[frozenset[CohortFilter], dict[CellKey, int]]:
    """Return the admitted cohorts and each cell's atom (cells in the same atom share a number)."""
    # A release's cells never change, and every look at it asks again: remember the last answers.
    return _admitted(tuple(sorted((cell, n) for cell, n in cells.items() if n > 0)), k)


@lru_cache(maxsize=256)
def _admitted(cells: tuple[tuple[CellKey, int], ...], k: int) -> tuple[frozenset[CohortFilter], dict[CellKey, int]]:
    keys = [cell for cell, _ in cells]
    counts_of = dict(cells)
    if not keys:
        return frozenset(), {}
    counts = np.array([counts_of[c] for c in keys], dtype=np.int64)
    atoms = np.zeros(len(keys), dtype=np.int64)  # every cell starts in one atom: the pool
    admitted: set[CohortFilter] = set()
    for candidate in _candidates(keys, counts):
        if candidate.size < k:
            continue
        split = _split(atoms, candidate.inside)
        if _all_at_least(split, counts, k):
            atoms = split
            admitted.add(candidate.cohort)
    return frozenset(admitted), {cell: int(atom) for cell, atom in zip(keys, atoms, strict=True)}


def _split(atoms: npt.NDArray[np.int64], inside: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
    """Return atom labels refined by membership in one more cohort (relabelled 0..m-1)."""
    _, labels = np.unique(atoms * 2 + inside, return_inverse=True)
    return labels.reshape(-1).astype(np.int64)


def _all_at_least(atoms: npt.NDArray[np.int64], counts: npt.NDArray[np.int64], k: int) -> bool:
    sizes = np.bincount(atoms, weights=counts)
    return bool(np.all((sizes == 0) | (sizes >= k)))


@dataclass(frozen=True)
class Decision:
    """Whether a cohort is shown to the asking organization, and why not."""

    shown: bool
    #: "" when shown; "too-small": fewer than k others; "difference": it would isolate a small group by difference.
    reason: str
    #: Organizations in the cohort besides the asking one (0 when not shown, so that nothing leaks).
    others: int

    def message(self, k: int) -> str:
        if self.reason == "too-small":
            return f"Fewer than {k} other organizations are in this cohort, so nothing is shown."
        if self.reason == "difference":
            return (
                f"This cohort differs from other cohorts by fewer than {k} organizations, so comparing them could "
                "reveal those organizations: nothing is shown. Choose fewer filters."
            )
        return ""


def decide(
    cohort: CohortFilter,
    cells: Mapping[CellKey, int],
    k: int,
    published: frozenset[CohortFilter],
    asker: CellKey | None,
) -> Decision:
    """Return whether ``cohort`` may be shown to an organization in cell ``asker`` (None: it is not in the pool)."""
    check_min_cohort(k)
    others = _size(cells, cohort) - (1 if asker is not None and cohort.matches(asker) else 0)
    if others < k:
        return Decision(False, "too-small", 0)
    if cohort not in published:
        return Decision(False, "difference", 0)
    return Decision(True, "", others)


@dataclass(frozen=True)
class Change:
    """An organization whose released state differs from what it would be now: ``before`` is its cell in the
    current release (None: not in it), ``after`` its cell now (None: it leaves, e.g. it opted out)."""

    organization_id: int
    before: CellKey | None
    after: CellKey | None


@dataclass(frozen=True)
class Release:
    """What the next release holds: whose changes join now, and which cohorts may be shown from it."""

    organizations: frozenset[int]
    cohorts: frozenset[CohortFilter]


def valid_cohorts(cells: Mapping[CellKey, int], cohorts: frozenset[CohortFilter], k: int) -> bool:
    """Return whether ``cohorts`` satisfy rule 3 on ``cells``: every atom they cut the pool into holds k or more."""
    check_min_cohort(k)
    if not cohorts:
        return True
    ordered = sorted(cohorts, key=CohortFilter.sort_key)
    sizes: Counter[tuple[bool, ...]] = Counter()
    for cell, n in cells.items():
        if n > 0:
            sizes[_signature(cell, ordered)] += n
    return all(n >= k for n in sizes.values()) and sum(sizes.values()) >= k


def plan_release(
    previous: Mapping[CellKey, int],
    shown_before: frozenset[CohortFilter],
    changes: Sequence[Change],
    k: int,
) -> Release | None:
    """Return the changes that may be released together and the cohorts the new release may show (rule 4), or None
    when nothing may be released yet.

    What two releases reveal together is any combination of the sums over the cohorts shown before (``shown_before``,
    on ``previous``) and after. Such a combination weighs each atom before and each atom after; an organization that
    did not change counts with the weight of its atom before plus that of its atom after, a changed one with its old
    atom's weight on its old result and its new atom's weight on its new result. Two conditions keep every
    combination that is not zero spread over at least k organizations:

    - atoms before and after that unchanged organizations connect form groups, and each group holds no changed
      organization or at least k (a combination that cancels the unchanged ones weighs a whole group alike);
    - unchanged organizations that share an atom before and an atom after number at least k, unless those two atoms
      share no unchanged organization with any other atom (otherwise a combination can keep a few of them apart,
      e.g. "Retail now" minus "everyone before" when Retail is shown for the first time: the newcomers in Retail
      minus the one organization that is not in Retail).

    The new release shows the cohorts admitted on its own cells when they meet both conditions, else the cohorts
    shown before (when they still hold k per atom); changes that break both are held back, and the check repeats.
    """
    check_min_cohort(k)
    ready = {c.organization_id: c for c in changes if c.before is not None or c.after is not None}
    before = frozenset(shown_before)
    while ready:
        new_cells = Counter({cell: n for cell, n in previous.items() if n > 0})
        for change in ready.values():
            if change.before is not None:
                new_cells[change.before] -= 1
            if change.after is not None:
                new_cells[change.after] += 1
        new_cells = +new_cells
        options = [published_cohorts(new_cells, k)]
        if before != options[0] and valid_cohorts(new_cells, before, k):
            options.append(before)
        least: set[int] | None = None
        for cohorts in options:
            held = _held_back(previous, before, cohorts, list(ready.values()), k)
            if not held:
                return Release(frozenset(ready), cohorts)
            if least is None or len(held) < len(least):
                least = held
        assert least  # every option held something back
        for organization_id in least:
            del ready[organization_id]
    return None


def _held_back(
    previous: Mapping[CellKey, int],
    old: frozenset[CohortFilter],
    new: frozenset[CohortFilter],
    ready: Sequence[Change],
    k: int,
) -> set[int]:
    """Return the changes that break a condition of ``plan_release`` when the new release shows ``new``."""
    old_order = sorted(old, key=CohortFilter.sort_key)
    new_order = sorted(new, key=CohortFilter.sort_key)
    # Thousands of changes fall into a few hundred cells: each cell's atoms are worked out once.
    old_atoms: dict[CellKey, tuple[bool, ...]] = {}
    new_atoms: dict[CellKey, tuple[bool, ...]] = {}

    def was_in(cell: CellKey) -> tuple[str, tuple[bool, ...]]:
        if cell not in old_atoms:
            old_atoms[cell] = _signature(cell, old_order)
        return ("old", old_atoms[cell])

    def is_in(cell: CellKey) -> tuple[str, tuple[bool, ...]]:
        if cell not in new_atoms:
            new_atoms[cell] = _signature(cell, new_order)
        return ("new", new_atoms[cell])

    unchanged = Counter({cell: n for cell, n in previous.items() if n > 0})
    for change in ready:
        if change.before is not None:
            unchanged[change.before] -= 1
    groups = _Linked()
    shared: Counter[tuple[object, object]] = Counter()
    partners: dict[object, set[object]] = {}
    for cell, n in unchanged.items():
        if n > 0:
            was, now = was_in(cell), is_in(cell)
            groups.link(was, now)
            shared[was, now] += n
            partners.setdefault(was, set()).add(now)
            partners.setdefault(now, set()).add(was)
    touching: dict[object, set[int]] = {}
    for change in ready:
        if change.before is not None:
            touching.setdefault(groups.find(was_in(change.before)), set()).add(change.organization_id)
        if change.after is not None:
            touching.setdefault(groups.find(is_in(change.after)), set()).add(change.organization_id)
    held = {o for members in touching.values() if len(members) < k for o in members}
    for (old_atom, new_atom), n in shared.items():
        if n < k and (len(partners[old_atom]) > 1 or len(partners[new_atom]) > 1):
            # Holding back the changes of the group may not be enough (the split may come from elsewhere): then
            # every change is held back under this choice of cohorts (and with no change to hold back, the
            # choice itself fails: SPLIT stands for it).
            held |= touching.get(groups.find(old_atom), set()) or {c.organization_id for c in ready} or {SPLIT}
    return held


#: What ``_held_back`` reports when cohorts split unchanged organizations into too few and no change is to blame.
SPLIT = -1


def compatible(
    earlier: Mapping[CellKey, int],
    shown_earlier: frozenset[CohortFilter],
    changes: Sequence[Change],
    cohorts: frozenset[CohortFilter],
    k: int,
) -> bool:
    """Return whether a release showing ``cohorts`` keeps rule 4 against an *earlier* release, not only the last.

    ``earlier`` and ``shown_earlier`` are that release's cells and cohorts, ``changes`` every organization whose
    released state differs between it and the new release. Releases are kept (a dataset file is a dated copy of
    one), so any of them can be combined with the new one: two releases that each passed against the one before can
    together with a third isolate an organization (tests/storage/test_benchmark_differencing.py).
    """
    check_min_cohort(k)
    ready = [c for c in changes if c.before is not None or c.after is not None]
    return not _held_back(earlier, shown_earlier, cohorts, ready, k)


def _signature(cell: CellKey, ordered: Sequence[CohortFilter]) -> tuple[bool, ...]:
    """Return which of the cohorts hold the cell: cells with the same answer share an atom."""
    return tuple(c.matches(cell) for c in ordered)


class _Linked:
    """Groups of atoms linked by unchanged organizations (union-find)."""

    def __init__(self) -> None:
        self._parent: dict[object, object] = {}

    def find(self, node: object) -> object:
        parent = self._parent.setdefault(node, node)
        if parent != node:
            parent = self._parent[node] = self.find(parent)
        return parent

    def link(self, a: object, b: object) -> None:
        self._parent[self.find(a)] = self.find(b)
