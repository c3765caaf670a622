"""An organization's tree of units: parents, children, subtrees, and the changes a tree refuses."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

#: Longest unit name, as the database stores it.
MAX_NAME = 100


class TreeError(ValueError):
    """A change the tree refuses (a cycle, an unknown parent, a name used twice under one parent)."""


@dataclass(frozen=True)
class UnitNode:
    id: int
    parent_id: int | None
    name: str
    key: str | None = None


def check_name(name: str) -> str:
    """Return the name stripped; raise TreeError when it is empty or too long."""
    cleaned = " ".join(name.split())
    if not cleaned:
        raise TreeError("a unit needs a name")
    if len(cleaned) > MAX_NAME:
        raise TreeError(f"a unit's name has at most {MAX_NAME} characters (this one has {len(cleaned)})")
    return cleaned


class Tree:
    """The units of one organization, indexed by id. Units are listed depth first, siblings by name."""

    def __init__(self, nodes: Iterable[UnitNode]) -> None:
        self.nodes: dict[int, UnitNode] = {n.id: n for n in nodes}
        self._children: dict[int | None, list[int]] = {}
        for node in self.nodes.values():
            parent = node.parent_id if node.parent_id in self.nodes else None
            self._children.setdefault(parent, []).append(node.id)
        for ids in self._children.values():
            ids.sort(key=lambda i: (self.nodes[i].name.casefold(), i))

    def __contains__(self, unit_id: object) -> bool:
        return unit_id in self.nodes

    def __len__(self) -> int:
        return len(self.nodes)

    def roots(self) -> list[int]:
        return list(self._children.get(None, []))

    def children(self, unit_id: int | None) -> list[int]:
        return list(self._children.get(unit_id, []))

    def parent(self, unit_id: int) -> int | None:
        parent = self.nodes[unit_id].parent_id
        return parent if parent in self.nodes else None

    def ancestors(self, unit_id: int) -> list[int]:
        """Return the unit's ancestors, nearest first (stops at a cycle, which a stored tree never has)."""
        found: list[int] = []
        current = self.parent(unit_id)
        while current is not None and current not in found and current != unit_id:
            found.append(current)
            current = self.parent(current)
        return found

    def walk(self, start: int | None = None) -> Iterator[tuple[int, int]]:
        """Yield (unit id, depth) depth first from ``start`` (itself included) or from every root."""
        stack = [(u, 0) for u in reversed(self.children(None) if start is None else [start])]
        seen: set[int] = set()
        while stack:
            unit, depth = stack.pop()
            if unit in seen:
                continue
            seen.add(unit)
            yield unit, depth
            stack.extend((c, depth + 1) for c in reversed(self.children(unit)))

    def subtree(self, unit_id: int) -> list[int]:
        """Return the unit and every unit below it, depth first."""
        return [u for u, _ in self.walk(unit_id)]

    def path(self, unit_id: int, separator: str = " › ") -> str:
        return separator.join(self.nodes[u].name for u in [*reversed(self.ancestors(unit_id)), unit_id])

    def check_parent(self, unit_id: int | None, parent_id: int | None) -> None:
        """Raise TreeError unless ``parent_id`` may be the parent of ``unit_id`` (None: a new unit)."""
        if parent_id is None:
            return
        if parent_id not in self.nodes:
            raise TreeError(f"no unit {parent_id} in this organization")
        if unit_id is not None and (parent_id == unit_id or unit_id in self.ancestors(parent_id)):
            raise TreeError(
                f"'{self.nodes[unit_id].name}' cannot move under '{self.nodes[parent_id].name}': "
                "that unit is inside it, which would make a cycle"
            )

    def check_sibling_name(self, unit_id: int | None, parent_id: int | None, name: str) -> None:
        """Raise TreeError when another unit under ``parent_id`` already has the name (case and spaces ignored)."""
        wanted = " ".join(name.split()).casefold()
        for sibling in self.children(parent_id):
            if sibling != unit_id and self.nodes[sibling].name.casefold() == wanted:
                where = f"under '{self.nodes[parent_id].name}'" if parent_id is not None else "at the top"
                raise TreeError(f"there is already a unit named '{self.nodes[sibling].name}' {where}")

    def covering(self, chosen: Iterable[int]) -> Tree:
        """Return the tree of the chosen units and their ancestors: what a campaign over them rolls up through."""
        keep: set[int] = set()
        for unit in chosen:
            if unit in self.nodes:
                keep.add(unit)
                keep.update(self.ancestors(unit))
        return Tree(self.nodes[u] for u in keep)
