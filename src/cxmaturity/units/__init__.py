"""Units of an organization and the roll-up of a campaign's results up their tree (docs/units.md).

Pure: no web or database imports. ``services/units.py`` stores the tree and calls these functions; the roll-up
scores each unit's subtree with the scoring package's own rules (``scoring.rules``), so a unit's numbers are the
numbers the whole assessment would have if only that subtree had answered.
"""

from cxmaturity.units.rollup import RolledUnit, UnitScores, roll_up
from cxmaturity.units.suppression import Release, release
from cxmaturity.units.tree import Tree, TreeError, UnitNode
from cxmaturity.units.treefile import TreeRow, read_tree_csv

__all__ = [
    "Release",
    "RolledUnit",
    "Tree",
    "TreeError",
    "TreeRow",
    "UnitNode",
    "UnitScores",
    "read_tree_csv",
    "release",
    "roll_up",
]
