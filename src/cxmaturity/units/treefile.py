"""A unit tree from a CSV file: one row per unit, ``key,name,parent`` (the parent's key; empty at the top).

Keys are the organization's own codes for its units (a store number, a cost centre), so the same file can be
imported again after a reorganization: a row whose key the organization already has renames and moves that unit,
a new key creates one. Every problem is named by file, line and column, and a file with any problem changes nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass

from cxmaturity.units.tree import MAX_NAME, TreeError, check_name

REQUIRED = ("key", "name", "parent")
MAX_KEY = 64
MAX_ROWS = 10_000


class TreeFileError(ValueError):
    """A unit file with problems; ``problems`` holds one line per problem, each naming file, line and column."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(problems[0] if len(problems) == 1 else f"{len(problems)} problems, the first: {problems[0]}")
        self.problems = problems


@dataclass(frozen=True)
class TreeRow:
    line: int
    key: str
    name: str
    parent: str | None


def read_tree_csv(text: str, filename: str = "units.csv") -> list[TreeRow]:
    """Return the file's rows; raise TreeFileError naming every bad line and column (header: ``key,name,parent``,
    in any order, other columns ignored)."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if header is None:
        raise TreeFileError([f"{filename}:1: the file is empty; expected a header row: {','.join(REQUIRED)}"])
    columns = {name.strip().lower(): n for n, name in enumerate(header)}
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise TreeFileError(
            [f"{filename}:1: missing column {', '.join(repr(c) for c in missing)} (the header needs key, name, parent)"]
        )
    problems: list[str] = []
    rows: list[TreeRow] = []
    first_line: dict[str, int] = {}
    for line, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(rows) >= MAX_ROWS:
            problems.append(f"{filename}:{line}: more than {MAX_ROWS} units in one file")
            break

        def cell(column: str, cells: list[str] = cells) -> str:
            n = columns[column]
            return cells[n].strip() if n < len(cells) else ""

        key, parent = cell("key"), cell("parent")
        where = f"{filename}:{line}"
        if not key:
            problems.append(f"{where} column 'key': empty; every unit needs a key")
        elif len(key) > MAX_KEY:
            problems.append(f"{where} column 'key': longer than {MAX_KEY} characters")
        elif key.casefold() in first_line:
            problems.append(f"{where} column 'key': '{key}' is used again (first on line {first_line[key.casefold()]})")
        else:
            first_line[key.casefold()] = line
        try:
            name = check_name(cell("name"))
        except TreeError as exc:
            problems.append(f"{where} column 'name': {exc}")
            name = cell("name")[:MAX_NAME]
        if parent and parent.casefold() == key.casefold():
            problems.append(f"{where} column 'parent': a unit cannot be its own parent")
        rows.append(TreeRow(line, key, name, parent or None))
    if not rows and not problems:
        problems.append(f"{filename}: no units below the header")
    if problems:
        raise TreeFileError(problems)
    return rows


def check_tree_rows(rows: list[TreeRow], existing: Mapping[str, str | None], filename: str = "units.csv") -> None:
    """Raise TreeFileError when a row's parent is unknown or the file would make a cycle.

    ``existing`` maps the keys the organization already has to their parents' keys; the file's rows replace those.
    """
    parent_of: dict[str, str | None] = {k.casefold(): (p.casefold() if p else None) for k, p in existing.items()}
    for row in rows:
        parent_of[row.key.casefold()] = row.parent.casefold() if row.parent else None
    problems = [
        f"{filename}:{row.line} column 'parent': no unit with key '{row.parent}' in the file or the organization"
        for row in rows
        if row.parent and row.parent.casefold() not in parent_of
    ]
    for row in rows:
        seen = [row.key.casefold()]
        current = parent_of.get(row.key.casefold())
        while current is not None and current in parent_of:
            if current == seen[0]:
                problems.append(
                    f"{filename}:{row.line} column 'parent': '{row.key}' would end up inside itself (a cycle through "
                    f"{' > '.join(seen)})"
                )
                break
            if current in seen:
                break  # a cycle further up, named on its own rows
            seen.append(current)
            current = parent_of[current]
    if problems:
        raise TreeFileError(problems)
