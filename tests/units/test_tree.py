"""The unit tree's rules: cycles refused, sibling names distinct, subtrees and covering trees."""

from __future__ import annotations

import pytest

from cxmaturity.units.tree import Tree, TreeError, UnitNode, check_name

TREE = Tree(
    [
        UnitNode(1, None, "Company"),
        UnitNode(2, 1, "Europe"),
        UnitNode(3, 1, "Americas"),
        UnitNode(4, 2, "Paris"),
        UnitNode(5, 2, "Berlin"),
        UnitNode(6, 3, "Boston"),
    ]
)


def test_it_walks_depth_first_with_siblings_by_name() -> None:
    assert list(TREE.walk()) == [(1, 0), (3, 1), (6, 2), (2, 1), (5, 2), (4, 2)]
    assert TREE.subtree(2) == [2, 5, 4]
    assert TREE.ancestors(4) == [2, 1]
    assert TREE.path(4) == "Company › Europe › Paris"


def test_it_refuses_a_move_into_the_units_own_subtree() -> None:
    with pytest.raises(TreeError, match=r"'Europe' cannot move under 'Paris'.*cycle"):
        TREE.check_parent(2, 4)
    with pytest.raises(TreeError, match="cycle"):
        TREE.check_parent(2, 2)
    TREE.check_parent(4, 3)  # Paris may move to the Americas


def test_it_refuses_a_name_a_sibling_has() -> None:
    with pytest.raises(TreeError, match="already a unit named 'Paris' under 'Europe'"):
        TREE.check_sibling_name(None, 2, " paris ")
    TREE.check_sibling_name(4, 2, "Paris")  # a unit keeps its own name
    TREE.check_sibling_name(None, 3, "Paris")  # another region may have a Paris


def test_names_are_trimmed_and_bounded() -> None:
    assert check_name("  North   East ") == "North East"
    with pytest.raises(TreeError, match="needs a name"):
        check_name("   ")
    with pytest.raises(TreeError, match="at most 100"):
        check_name("x" * 101)


def test_the_covering_tree_holds_the_chosen_units_and_their_ancestors() -> None:
    covering = TREE.covering([4, 6])
    assert set(covering.nodes) == {1, 2, 3, 4, 6}
    assert covering.roots() == [1]
