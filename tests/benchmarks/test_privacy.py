"""The privacy rules on cohorts of organizations (counts per industry, size band and region), attacks included."""

from __future__ import annotations

from collections import Counter
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxmaturity.benchmarks.limits import check_min_cohort
from cxmaturity.benchmarks.privacy import (
    CellKey,
    Change,
    CohortFilter,
    decide,
    published_cohorts,
    releasable,
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


def test_it_releases_nothing_before_k_organizations_and_everything_at_k() -> None:
    assert releasable({}, joins({RETAIL_EU: K - 1}), K) == frozenset()
    assert releasable({}, joins({RETAIL_EU: K}), K) == frozenset(range(1, K + 1))


def test_it_holds_back_one_new_result_so_that_two_releases_do_not_reveal_it() -> None:
    released = {RETAIL_EU: 6}
    assert releasable(released, [Change(99, None, RETAIL_EU)], K) == frozenset()
    # A re-assessment (same cell, new result) and a withdrawal are held back alike.
    assert releasable(released, [Change(1, RETAIL_EU, RETAIL_EU)], K) == frozenset()
    assert releasable(released, [Change(1, RETAIL_EU, None)], K) == frozenset()


def test_it_releases_k_changes_together_and_holds_a_lone_change_elsewhere() -> None:
    released = {RETAIL_EU: 6, BANK_EU: 6}
    changes = [Change(i, RETAIL_EU, RETAIL_EU) for i in range(1, K + 1)] + [Change(50, BANK_EU, BANK_EU)]
    family = published_cohorts(released, K)
    assert CohortFilter("Retail") in family
    assert CohortFilter("Banking") in family
    # The five Retail changes share an atom; the lone bank would be visible in the Banking cohort: it waits.
    assert releasable(released, changes, K) == frozenset(range(1, K + 1))


def test_it_releases_new_and_replaced_results_together_when_they_add_up_to_k() -> None:
    # Four newcomers and one re-assessment in the same cohorts: a before/after comparison shows only their sum.
    released = {RETAIL_EU: 7}
    changes = [Change(100 + i, None, RETAIL_EU) for i in range(K - 1)] + [Change(3, RETAIL_EU, RETAIL_EU)]
    assert releasable(released, changes, K) == frozenset({*range(100, 100 + K - 1), 3})


def test_it_holds_back_a_move_that_would_be_alone_in_its_new_cohort() -> None:
    released = {RETAIL_EU: 6, BANK_EU: 6}
    # One bank becomes a retailer: the Retail cohort would grow by exactly that organization.
    assert releasable(released, [Change(1, BANK_EU, RETAIL_EU)], K) == frozenset()
