"""The privacy rules on cohorts of organizations (counts per industry, size band and region), attacks included."""

from __future__ import annotations

from collections import Counter
from itertools import combinations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxmaturity.benchmarks.limits import check_min_cohort
from cxmaturity.benchmarks.privacy import (
    CellKey,
    Change,
    CohortFilter,
    decide,
    plan_release,
    published_cohorts,
    valid_cohorts,
)

K = 5
RETAIL_EU: CellKey = ("Retail", "250-999", "Europe")
RETAIL_ASIA: CellKey = ("Retail", "250-999", "Asia")
BANK_EU: CellKey = ("Banking", "250-999", "Europe")
BANK_ASIA: CellKey = ("Banking", "250-999", "Asia")


def atoms(cells: dict[CellKey, int], family: frozenset[CohortFilter]) -> Counter[tuple[bool, ...]]:
    """Organizations per atom: per set of published cohorts an organization is in."""
    ordered = sorted(family, key=CohortFilter.sort_key)
    found: Counter[tuple[bool, ...]] = Counter()
    for cell, n in cells.items():
        found[tuple(c.matches(cell) for c in ordered)] += n
    return found


def size(cells: dict[CellKey, int], cohort: CohortFilter) -> int:
    return sum(n for cell, n in cells.items() if cohort.matches(cell))


def test_it_refuses_a_minimum_cohort_below_three() -> None:
    with pytest.raises(ValueError, match="at least 3 organizations"):
        check_min_cohort(2)
    assert check_min_cohort(3) == 3


def test_it_reads_blank_filter_values_as_any() -> None:
    cohort = CohortFilter.of(" Retail ", "", None)
    assert cohort == CohortFilter("Retail")
    assert cohort.describe() == "industry Retail"
    assert CohortFilter().describe() == "all organizations"
    assert CohortFilter("Retail", None, "Europe").coarser() == [
        CohortFilter(),
        CohortFilter("Retail"),
        CohortFilter(None, None, "Europe"),
    ]


def test_it_shows_nothing_with_k_minus_one_others_and_the_cohort_with_k() -> None:
    few = {RETAIL_EU: K}  # the asker and k - 1 others
    shown = decide(CohortFilter(), few, K, published_cohorts(few, K), asker=RETAIL_EU)
    assert not shown.shown
    assert shown.reason == "too-small"
    assert shown.others == 0  # not even the count leaks
    enough = {RETAIL_EU: K + 1}
    shown = decide(CohortFilter(), enough, K, published_cohorts(enough, K), asker=RETAIL_EU)
    assert shown.shown
    assert shown.others == K


def test_it_counts_only_others_when_the_asker_is_in_the_pool() -> None:
    cells = {RETAIL_EU: K}
    assert decide(CohortFilter(), cells, K, published_cohorts(cells, K), asker=None).shown
    assert not decide(CohortFilter(), cells, K, published_cohorts(cells, K), asker=RETAIL_EU).shown


def test_it_refuses_a_cohort_that_differs_from_a_wider_one_by_one_organization() -> None:
    # All organizations, and those in Europe: both large, but their difference is the one organization in Asia.
    cells = {RETAIL_EU: 8, RETAIL_ASIA: 1}
    family = published_cohorts(cells, K)
    assert CohortFilter() in family
    europe = CohortFilter(region="Europe")
    decision = decide(europe, cells, K, family, asker=None)
    assert not decision.shown
    assert decision.reason == "difference"
    assert "fewer than 5" in decision.message(K)


def test_it_blocks_inclusion_exclusion_across_cohorts_that_are_not_nested() -> None:
    # Every cohort and every difference of two nested cohorts holds at least k, yet all four together would give the
    # lone bank in Asia: all - Retail - Europe + (Retail and Europe).
    cells = {RETAIL_EU: 5, RETAIL_ASIA: 5, BANK_EU: 5, BANK_ASIA: 1}
    retail, europe = CohortFilter("Retail"), CohortFilter(None, None, "Europe")
    both = CohortFilter("Retail", None, "Europe")
    for wide, narrow in [(CohortFilter(), retail), (CohortFilter(), europe), (retail, both), (europe, both)]:
        assert size(cells, wide) - size(cells, narrow) >= K
    family = published_cohorts(cells, K)
    assert not {CohortFilter(), retail, europe, both} <= family
    assert min(atoms(cells, family).values()) >= K


def test_it_blocks_a_difference_between_values_of_one_attribute() -> None:
    # all - Retail - Banking leaves the one organization whose industry is Insurance.
    cells = {RETAIL_EU: 6, BANK_EU: 6, ("Insurance", "250-999", "Europe"): 1}
    family = published_cohorts(cells, K)
    shown = {c for c in (CohortFilter(), CohortFilter("Retail"), CohortFilter("Banking")) if c in family}
    assert len(shown) < 3
    assert min(atoms(cells, family).values()) >= K


cells_strategy = st.dictionaries(
    st.tuples(st.sampled_from(["", "A", "B", "C"]), st.sampled_from(["", "S", "M"]), st.sampled_from(["", "X", "Y"])),
    st.integers(min_value=1, max_value=9),
    max_size=20,
)


@settings(max_examples=300, deadline=None)
@given(cells=cells_strategy, k=st.integers(min_value=3, max_value=7))
def test_no_combination_of_published_cohorts_isolates_fewer_than_k(cells: dict[CellKey, int], k: int) -> None:
    """Counts add up, so what any set of published cohorts reveals is a union of their atoms: each holds k or more."""
    family = published_cohorts(cells, k)
    for cohort in family:
        assert size(cells, cohort) >= k
    if family:  # the whole pool comes first; with nothing published nothing is revealed
        assert CohortFilter() in family
        assert all(n >= k for n in atoms(cells, family).values())
    # The attack of the issue, literally: any two published cohorts, one inside the other, differ by 0 or k or more.
    for a, b in combinations(family, 2):
        inside = all(not b.matches(c) or a.matches(c) for c in cells)
        if inside:
            assert size(cells, a) - size(cells, b) in (0, *range(k, 10_000))


def test_it_is_the_same_whatever_order_the_cells_come_in() -> None:
    cells = {RETAIL_EU: 6, RETAIL_ASIA: 5, BANK_EU: 7, BANK_ASIA: 2}
    assert published_cohorts(cells, K) == published_cohorts(dict(reversed(list(cells.items()))), K)


def joins(cells: dict[CellKey, int], start: int = 1) -> list[Change]:
    found: list[Change] = []
    for cell, n in cells.items():
        for _ in range(n):
            found.append(Change(start + len(found), None, cell))
    return found


def released(previous: dict[CellKey, int], changes: list[Change], k: int = K) -> frozenset[int]:
    """The organizations whose changes the next release holds (the previous one showed its admitted cohorts)."""
    plan = plan_release(previous, published_cohorts(previous, k), changes, k)
    return plan.organizations if plan is not None else frozenset()


def test_it_releases_nothing_before_k_organizations_and_everything_at_k() -> None:
    assert plan_release({}, frozenset(), joins({RETAIL_EU: K - 1}), K) is None
    plan = plan_release({}, frozenset(), joins({RETAIL_EU: K}), K)
    assert plan is not None
    assert plan.organizations == frozenset(range(1, K + 1))
    assert CohortFilter() in plan.cohorts


def test_it_holds_back_one_new_result_so_that_two_releases_do_not_reveal_it() -> None:
    before = {RETAIL_EU: 6}
    assert released(before, [Change(99, None, RETAIL_EU)]) == frozenset()
    # A re-assessment (same cell, new result) and a withdrawal are held back alike.
    assert released(before, [Change(1, RETAIL_EU, RETAIL_EU)]) == frozenset()
    assert released(before, [Change(1, RETAIL_EU, None)]) == frozenset()


def test_it_releases_k_changes_together_and_holds_a_lone_change_elsewhere() -> None:
    before = {RETAIL_EU: 6, BANK_EU: 6}
    changes = [Change(i, RETAIL_EU, RETAIL_EU) for i in range(1, K + 1)] + [Change(50, BANK_EU, BANK_EU)]
    family = published_cohorts(before, K)
    assert CohortFilter("Retail") in family
    assert CohortFilter("Banking") in family
    # The five Retail changes share an atom; the lone bank would be visible in the Banking cohort: it waits.
    assert released(before, changes) == frozenset(range(1, K + 1))


def test_it_releases_new_and_replaced_results_together_when_they_add_up_to_k() -> None:
    # Four newcomers and one re-assessment in the same cohorts: a before/after comparison shows only their sum.
    changes = [Change(100 + i, None, RETAIL_EU) for i in range(K - 1)] + [Change(3, RETAIL_EU, RETAIL_EU)]
    assert released({RETAIL_EU: 7}, changes) == frozenset({*range(100, 100 + K - 1), 3})


def test_it_holds_back_a_move_that_would_be_alone_in_its_new_cohort() -> None:
    # One bank becomes a retailer: the Retail cohort would grow by exactly that organization.
    assert released({RETAIL_EU: 6, BANK_EU: 6}, [Change(1, BANK_EU, RETAIL_EU)]) == frozenset()


def test_a_cohort_shown_for_the_first_time_cannot_set_one_organization_against_the_newcomers() -> None:
    """Before: nine retailers and one bank, shown only as "everyone". After: one more retailer and four more banks,
    enough to show Retail. Retail after minus everyone before would be the new retailer minus the old bank. So the
    release keeps showing "everyone" only, and Retail is shown once the banks it leaves out are at least k."""
    before = {RETAIL_EU: 9, BANK_EU: 1}
    assert published_cohorts(before, K) == frozenset({CohortFilter(), *_same_as_all(before)})
    changes = [Change(100, None, RETAIL_EU), *(Change(200 + i, None, BANK_EU) for i in range(4))]
    assert CohortFilter("Retail") in published_cohorts({RETAIL_EU: 10, BANK_EU: 5}, K)
    plan = plan_release(before, published_cohorts(before, K), changes, K)
    assert plan is not None
    assert plan.organizations == frozenset({100, 200, 201, 202, 203})
    assert CohortFilter("Retail") not in plan.cohorts
    # The next release may show Retail: five banks now stand apart from it.
    after = {RETAIL_EU: 10, BANK_EU: 5}
    later = plan_release(after, plan.cohorts, [Change(300 + i, None, RETAIL_EU) for i in range(K)], K)
    assert later is not None
    assert CohortFilter("Retail") in later.cohorts


def _same_as_all(cells: dict[CellKey, int]) -> set[CohortFilter]:
    """Admitted cohorts that hold every organization (they reveal nothing "everyone" does not)."""
    total = sum(cells.values())
    return {c for c in published_cohorts(cells, K) if size(cells, c) == total}


# --- the guarantee, checked by linear algebra on small random pools -------------------------------------------

SMALL_CELLS = [(i, s, "X") for i in ("A", "B") for s in ("S", "M")] + [("A", "S", "Y")]


def _smallest_revealed(
    previous: list[CellKey],
    changes: dict[int, tuple[CellKey | None, CellKey | None]],
    old: frozenset[CohortFilter],
    new: frozenset[CohortFilter],
    k: int,
) -> int | None:
    """The fewest organizations (below k) that a non-zero combination of the shown sums, before and after, depends
    on; None when every such combination depends on k or more.

    Unknowns: one result per unchanged organization, an old and a new result per changed one. Each shown cohort is
    a row summing the results in it. A combination depending only on the organizations T exists when some mix of
    rows is zero on every other unknown but not on T's.
    """
    orgs = list(range(len(previous))) + [o for o in changes if o >= len(previous)]
    columns: dict[tuple[int, str], int] = {}
    for o in orgs:
        if o in changes:
            was, now = changes[o]
            if was is not None:
                columns[o, "old"] = len(columns)
            if now is not None:
                columns[o, "new"] = len(columns)
        else:
            columns[o, "same"] = len(columns)
    rows = []
    for cohort in old:
        row = np.zeros(len(columns))
        for o in orgs:
            cell = changes[o][0] if o in changes else previous[o]
            if cell is not None and cohort.matches(cell):
                row[columns[o, "old" if o in changes else "same"]] = 1
        rows.append(row)
    for cohort in new:
        row = np.zeros(len(columns))
        for o in orgs:
            cell = changes[o][1] if o in changes else previous[o]
            if cell is not None and cohort.matches(cell):
                row[columns[o, "new" if o in changes else "same"]] = 1
        rows.append(row)
    if not rows:
        return None
    matrix = np.array(rows)
    for size_t in range(1, k):
        for group in combinations(orgs, size_t):
            inside = [c for (o, _), c in columns.items() if o in group]
            outside = [c for (o, _), c in columns.items() if o not in group]
            # Mixes of rows that vanish outside the group: the null space of the outside columns' transpose.
            blocked = matrix[:, outside].T if outside else np.zeros((0, len(rows)))
            _, sing, vt = np.linalg.svd(blocked) if blocked.size else (None, np.zeros(0), np.eye(len(rows)))
            rank = int((sing > 1e-9).sum())
            free = vt[rank:].T
            if free.size and np.abs(matrix[:, inside].T @ free).max() > 1e-9:
                return size_t
    return None


@settings(max_examples=80, deadline=None)
@given(
    data=st.data(),
    k=st.integers(min_value=3, max_value=4),
)
def test_no_combination_of_two_releases_depends_on_fewer_than_k_organizations(data: st.DataObject, k: int) -> None:
    previous: list[CellKey] = data.draw(st.lists(st.sampled_from(SMALL_CELLS), min_size=0, max_size=7))
    cell_or_none = st.one_of(st.none(), st.sampled_from(SMALL_CELLS))
    changes: dict[int, tuple[CellKey | None, CellKey | None]] = {}
    for o in data.draw(st.sets(st.integers(0, max(0, len(previous) - 1)), max_size=len(previous))):
        changes[o] = (previous[o], data.draw(cell_or_none))
    for extra in range(data.draw(st.integers(0, 4))):
        changes[len(previous) + extra] = (None, data.draw(st.sampled_from(SMALL_CELLS)))
    before = Counter(previous)
    old = published_cohorts(before, k)
    plan = plan_release(before, old, [Change(o, b, a) for o, (b, a) in changes.items()], k)
    if plan is None:
        return
    assert valid_cohorts(_cells_after(previous, changes, plan.organizations), plan.cohorts, k)
    released_changes = {o: changes[o] for o in plan.organizations}
    assert _smallest_revealed(previous, released_changes, old, plan.cohorts, k) is None


def _cells_after(
    previous: list[CellKey], changes: dict[int, tuple[CellKey | None, CellKey | None]], ready: frozenset[int]
) -> Counter[CellKey]:
    cells = Counter(previous)
    for o in ready:
        was, now = changes[o]
        if was is not None:
            cells[was] -= 1
        if now is not None:
            cells[now] += 1
    return +cells


def test_the_check_finds_the_leak_of_showing_a_new_cohort_too_early() -> None:
    """The linear-algebra check above is not blind: had the release shown Retail in the example of
    test_a_cohort_shown_for_the_first_time…, two organizations (the new retailer and the old bank) would stand out."""
    previous: list[CellKey] = [RETAIL_EU] * 9 + [BANK_EU]
    changes: dict[int, tuple[CellKey | None, CellKey | None]] = {10: (None, RETAIL_EU)}
    changes.update({11 + i: (None, BANK_EU) for i in range(4)})
    old = published_cohorts(Counter(previous), K)
    eager = published_cohorts(_cells_after(previous, changes, frozenset(changes)), K)
    assert CohortFilter("Retail") in eager
    assert _smallest_revealed(previous, changes, old, eager, K) == 2
    assert _smallest_revealed(previous, changes, old, old, K) is None
