"""Pseudonyms in a random order, and group names only where they cannot single anyone out."""

from __future__ import annotations

import random

from cxmaturity.exports.anonymity import group_labels, pseudonym, pseudonym_order


def test_it_names_the_groups_the_results_show_and_withholds_the_small_ones() -> None:
    groups = ["A"] * 4 + ["B"] * 3 + ["C"] * 2 + ["D"] * 1
    labels = group_labels(groups, shown={"A", "B"}, min_group_size=3)
    assert labels.labels == ("A",) * 4 + ("B",) * 3 + ("",) * 3
    assert labels.kept == ("A", "B")
    assert labels.unnamed == 3
    assert labels.withheld_groups == 2
    assert not labels.all_withheld


def test_it_names_no_group_when_the_withheld_respondents_alone_would_stand_out() -> None:
    groups = ["A"] * 4 + ["B"] * 3 + ["C"] * 1
    labels = group_labels(groups, shown={"A", "B"}, min_group_size=3)
    assert labels.labels == ("",) * 8
    assert labels.kept == ()
    assert labels.all_withheld
    assert labels.withheld_groups == 3


def test_respondents_without_a_group_count_as_withheld() -> None:
    # Two people without a group, everyone else in shown groups: naming A and B would point at those two.
    groups = ["A"] * 4 + ["B"] * 3 + ["", ""]
    assert group_labels(groups, shown={"A", "B"}, min_group_size=3).labels == ("",) * 9
    # Three people without a group hide among each other.
    groups = ["A"] * 4 + ["", "", ""]
    assert group_labels(groups, shown={"A"}, min_group_size=3).labels == ("A",) * 4 + ("",) * 3


def test_it_never_names_a_group_the_results_hide_even_when_told_it_is_shown() -> None:
    labels = group_labels(["A"] * 2 + ["B"] * 5, shown={"A", "B"}, min_group_size=3)
    assert "A" not in labels.labels


def test_without_groups_nothing_is_withheld() -> None:
    labels = group_labels(["", "", ""], shown=set(), min_group_size=3)
    assert labels.labels == ("", "", "")
    assert labels.withheld_groups == 0
    assert not labels.all_withheld


def test_pseudonyms_follow_a_random_order_not_the_invitation_order() -> None:
    order = pseudonym_order(200, random.Random(1))
    assert sorted(order) == list(range(200))
    assert order != list(range(200))
    assert pseudonym_order(200) != pseudonym_order(200)  # drawn from the operating system each time
    assert pseudonym_order(0) == []


def test_pseudonyms_are_numbered_wide_enough() -> None:
    assert pseudonym(0, 18) == "R0001"
    assert pseudonym(9998, 9999) == "R9999"
    assert pseudonym(0, 12_000) == "R00001"
