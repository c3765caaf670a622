"""Which units of a campaign may be shown: minimum size and complementary suppression up and down the tree.

The rule (docs/units.md, "What is shown"), with k the assessment's minimum group size and n(u) the respondents of
unit u's whole subtree who count towards a size (``ResponseMatrix.counts_for_groups``: never answers the facilitator
entered, imported or could have entered through a link he held):

1. The whole campaign (every respondent) is shown, as an assessment's team result always is.
2. Going down from there, a unit may be shown only when its parent is shown and n(u) >= k.
3. Under every shown unit (and under the whole campaign), the respondents that its shown children leave out (its
   own direct respondents plus its withheld children's subtrees) must be none or at least k. While they are 1 to
   k-1, the smallest shown child (fewest respondents, then lowest id) is withheld too.
4. A withheld unit's whole subtree is withheld.

Why this is enough: the shown units form a nested (laminar) family of sets of respondents, so whatever anyone
computes by adding and subtracting the shown tallies is a sum of "atoms", one per shown unit: the respondents its
shown children leave out. Rule 3 makes every atom empty or at least k, so no one is ever isolated by subtraction, not
even by combining a parent, its shown children and the grandchildren below them. Rule 4 is what keeps the family
nested: showing a grandchild under a withheld child would split that child's atom again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cxmaturity.units.tree import Tree

#: Why a unit is withheld.
TOO_FEW = "too-few"
PROTECTS_SIBLING = "protects-sibling"
UNDER_WITHHELD = "under-withheld"


@dataclass(frozen=True)
class Release:
    """What may be shown: the shown units and, for each withheld unit, why."""

    min_size: int
    #: n(u) per unit of the tree: respondents of its subtree who count towards a size.
    counted: Mapping[int, int]
    shown: frozenset[int]
    withheld: Mapping[int, str]
    #: Counted respondents of the whole campaign (the virtual root: every unit and the respondents without a unit).
    total: int


def subtree_counts(tree: Tree, direct: Mapping[int, int]) -> dict[int, int]:
    """Return n(u) for every unit: its own counted respondents plus those of every unit below it."""
    totals = {u: int(direct.get(u, 0)) for u in tree.nodes}
    for unit, _ in reversed(list(tree.walk())):
        parent = tree.parent(unit)
        if parent is not None:
            totals[parent] += totals[unit]
    return totals


def shown_children(children: list[int], sizes: Mapping[int, int], parent_size: int, min_size: int) -> list[int]:
    """Return the children that may be shown under a shown parent of ``parent_size`` counted respondents (rules 2
    and 3): each of at least ``min_size``, together leaving out none or at least ``min_size``."""
    shown = sorted((c for c in children if sizes[c] >= min_size), key=lambda c: (sizes[c], c))
    while shown and 0 < parent_size - sum(sizes[c] for c in shown) < min_size:
        shown.pop(0)
    return shown


def release(tree: Tree, direct: Mapping[int, int], unplaced: int, min_size: int) -> Release:
    """Decide which units are shown, given each unit's own counted respondents (``direct``) and the counted
    respondents without a unit (``unplaced``)."""
    sizes = subtree_counts(tree, direct)
    total = unplaced + sum(sizes[r] for r in tree.roots())
    shown: set[int] = set()
    withheld: dict[int, str] = {}
    pending: list[tuple[list[int], int]] = [(tree.roots(), total)]
    while pending:
        children, parent_size = pending.pop()
        kept = shown_children(children, sizes, parent_size, min_size)
        for child in children:
            if child in kept:
                shown.add(child)
                pending.append((tree.children(child), sizes[child]))
            else:
                withheld[child] = TOO_FEW if sizes[child] < min_size else PROTECTS_SIBLING
                for below in tree.subtree(child)[1:]:
                    withheld[below] = UNDER_WITHHELD
    return Release(min_size, sizes, frozenset(shown), withheld, total)
