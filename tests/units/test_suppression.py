"""The units' anonymity rule (docs/units.md, "What is shown"): worked examples and properties."""

from __future__ import annotations

import itertools
import random

from cxmaturity.units.suppression import PROTECTS_SIBLING, TOO_FEW, UNDER_WITHHELD, release
from cxmaturity.units.tree import Tree, UnitNode

# The worked example of docs/units.md: a company with two regions of two stores each.
NORTH, SOUTH, N1, N2, S1, S2 = 1, 2, 11, 12, 21, 22
TREE = Tree(
    [
        UnitNode(NORTH, None, "North"),
        UnitNode(SOUTH, None, "South"),
        UnitNode(N1, NORTH, "Store N1"),
        UnitNode(N2, NORTH, "Store N2"),
        UnitNode(S1, SOUTH, "Store S1"),
        UnitNode(S2, SOUTH, "Store S2"),
    ]
)


def test_it_shows_every_unit_of_at_least_k_when_nothing_is_left_over() -> None:
    found = release(TREE, {N1: 5, N2: 4, S1: 6, S2: 3}, unplaced=0, min_size=3)
    assert found.shown == {NORTH, SOUTH, N1, N2, S1, S2}
    assert found.counted[NORTH] == 9
    assert found.counted[SOUTH] == 9
    assert found.total == 18


def test_it_withholds_a_sibling_so_that_a_small_store_cannot_be_worked_out() -> None:
    # South shows 8; S2 has 2 (< 3). Showing S1 (6) would give S2 away as South - S1: S1 is withheld too.
    found = release(TREE, {N1: 5, N2: 4, S1: 6, S2: 2}, unplaced=0, min_size=3)
    assert found.shown == {NORTH, SOUTH, N1, N2}
    assert found.withheld == {S1: PROTECTS_SIBLING, S2: TOO_FEW}


def test_a_regions_own_respondents_count_as_a_part_left_over() -> None:
    # One counted respondent answered for North itself: North (10) - N1 - N2 would be that one person, so the smaller
    # store (N2, 4) is withheld; what is left over (N2 and the one) is 5.
    found = release(TREE, {NORTH: 1, N1: 5, N2: 4, S1: 6, S2: 3}, unplaced=0, min_size=3)
    assert N1 in found.shown
    assert N2 not in found.shown
    assert found.withheld[N2] == PROTECTS_SIBLING


def test_respondents_without_a_unit_protect_the_top_level_too() -> None:
    found = release(TREE, {N1: 5, N2: 4, S1: 6, S2: 3}, unplaced=2, min_size=3)
    # The whole campaign (20) minus North (9) and South (9) would be the 2 without a unit: the smaller of the two
    # (equal sizes: the lower id, North) is withheld, and everything below it with it.
    assert found.shown == {SOUTH, S1, S2}
    assert found.withheld == {NORTH: PROTECTS_SIBLING, N1: UNDER_WITHHELD, N2: UNDER_WITHHELD}


def test_a_withheld_units_subtree_is_withheld_even_when_large() -> None:
    deep = Tree([UnitNode(1, None, "A"), UnitNode(2, 1, "B"), UnitNode(3, 2, "C"), UnitNode(4, None, "D")])
    found = release(deep, {3: 10, 4: 1}, unplaced=0, min_size=3)
    # A (10) shown alone would make D (1) = total - A: A is withheld, and B and C with it.
    assert found.shown == frozenset()
    assert found.withheld == {1: PROTECTS_SIBLING, 2: UNDER_WITHHELD, 3: UNDER_WITHHELD, 4: TOO_FEW}


def _atoms(tree: Tree, shown: frozenset[int], counted: dict[int, int], total: int) -> list[int]:
    """Sizes of the sets anyone can isolate by subtraction: per shown unit (and the whole), what its shown children
    leave out. (The whole campaign itself is shown whatever its size, as an assessment's team result is.)"""
    shown_roots = [r for r in tree.roots() if r in shown]
    atoms = [total - sum(counted[r] for r in shown_roots)] if shown_roots else []
    for unit in shown:
        atoms.append(counted[unit] - sum(counted[c] for c in tree.children(unit) if c in shown))
    return atoms


def test_no_set_isolated_by_subtraction_is_ever_between_1_and_k_minus_1() -> None:
    rng = random.Random(16)
    for _ in range(400):
        size = rng.randint(1, 12)
        nodes = [UnitNode(i, rng.choice([None, *range(1, i)]) if i > 1 else None, f"u{i}") for i in range(1, size + 1)]
        tree = Tree(nodes)
        k = rng.randint(2, 6)
        direct = {n.id: rng.choice([0, 0, 1, 2, 3, 5, 8]) for n in nodes}
        unplaced = rng.choice([0, 0, 1, 4])
        found = release(tree, direct, unplaced, k)
        for atom in _atoms(tree, found.shown, dict(found.counted), found.total):
            assert atom == 0 or atom >= k, (direct, unplaced, k, sorted(found.shown))
        for unit in found.shown:
            assert found.counted[unit] >= k
            parent = tree.parent(unit)
            assert parent is None or parent in found.shown
        assert set(found.shown) | set(found.withheld) == set(tree.nodes)


def test_it_withholds_as_little_as_the_rule_needs_on_a_flat_tree() -> None:
    # Each store of at least k is shown when the ones below k together are none or at least k.
    flat = Tree([UnitNode(i, None, f"s{i}") for i in range(1, 5)])
    for sizes in itertools.product([0, 1, 3, 4], repeat=4):
        found = release(flat, dict(zip(range(1, 5), sizes, strict=True)), 0, 3)
        small = sum(s for s in sizes if s < 3)
        if small == 0 or small >= 3:
            assert found.shown == {i + 1 for i, s in enumerate(sizes) if s >= 3}


def test_the_worked_example_of_docs_units_md() -> None:
    # North has one respondent of its own (the regional manager), N1 5, N2 4; South's S1 6, S2 2; k = 3.
    found = release(TREE, {NORTH: 1, N1: 5, N2: 4, S1: 6, S2: 2}, unplaced=0, min_size=3)
    assert dict(found.counted) == {NORTH: 10, SOUTH: 8, N1: 5, N2: 4, S1: 6, S2: 2}
    assert found.shown == {NORTH, N1, SOUTH}
    assert found.withheld == {N2: PROTECTS_SIBLING, S1: PROTECTS_SIBLING, S2: TOO_FEW}
