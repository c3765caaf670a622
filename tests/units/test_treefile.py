"""Unit trees from CSV: every problem named by file, line and column."""

from __future__ import annotations

import pytest

from cxmaturity.units.treefile import TreeFileError, TreeRow, check_tree_rows, read_tree_csv


def test_it_reads_rows_in_any_column_order() -> None:
    rows = read_tree_csv("name,key,parent\nCompany,C,\nEurope,EU,C\n\nParis, P1 ,EU\n")
    assert rows == [
        TreeRow(2, "C", "Company", None),
        TreeRow(3, "EU", "Europe", "C"),
        TreeRow(5, "P1", "Paris", "EU"),
    ]


def test_it_names_a_missing_column() -> None:
    with pytest.raises(TreeFileError, match=r"units.csv:1: missing column 'parent'"):
        read_tree_csv("key,name\nC,Company\n")


def test_it_names_each_bad_line_and_column() -> None:
    text = "key,name,parent\nC,Company,\n,Nameless,C\nC,Again,\nX,,C\nY,Self,Y\n"
    with pytest.raises(TreeFileError) as caught:
        read_tree_csv(text, "tree.csv")
    assert caught.value.problems == [
        "tree.csv:3 column 'key': empty; every unit needs a key",
        "tree.csv:4 column 'key': 'C' is used again (first on line 2)",
        "tree.csv:5 column 'name': a unit needs a name",
        "tree.csv:6 column 'parent': a unit cannot be its own parent",
    ]


def test_it_refuses_unknown_parents_and_cycles() -> None:
    rows = read_tree_csv("key,name,parent\nA,A,B\nB,B,A\nC,C,NOPE\n")
    with pytest.raises(TreeFileError) as caught:
        check_tree_rows(rows, {})
    problems = caught.value.problems
    assert "units.csv:4 column 'parent': no unit with key 'NOPE' in the file or the organization" in problems
    assert any(p.startswith("units.csv:2 column 'parent': 'A' would end up inside itself") for p in problems)


def test_a_parent_may_be_a_unit_the_organization_already_has() -> None:
    rows = read_tree_csv("key,name,parent\nP1,Paris,EU\n")
    check_tree_rows(rows, {"EU": None})
    # ... but moving an existing parent under the new row makes a cycle through the stored tree.
    rows = read_tree_csv("key,name,parent\nEU,Europe,P1\n")
    with pytest.raises(TreeFileError, match="inside itself"):
        check_tree_rows(rows, {"EU": None, "P1": "EU"})


def test_an_empty_file_is_named() -> None:
    with pytest.raises(TreeFileError, match="empty"):
        read_tree_csv("")
    with pytest.raises(TreeFileError, match="no units below the header"):
        read_tree_csv("key,name,parent\n")
