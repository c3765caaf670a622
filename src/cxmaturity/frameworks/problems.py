"""Problems found in a framework, each pointing to a file, line, column and field path."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Loc = tuple[str | int, ...]
Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Position:
    """A place in a source file; line and column count from 1, as editors do."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


def format_loc(loc: Loc) -> str:
    """Return a field path such as ``competencies[2].indicators[0].stage``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


@dataclass(frozen=True)
class Problem:
    """One error or warning about a framework."""

    loc: Loc
    message: str
    severity: Severity = "error"
    position: Position | None = None

    @property
    def path(self) -> str:
        return format_loc(self.loc)

    def __str__(self) -> str:
        where = f"{self.position} " if self.position else ""
        path = f"{self.path}: " if self.loc else ""
        label = "warning: " if self.severity == "warning" else ""
        return f"{where}{path}{label}{self.message}"


class FrameworkError(ValueError):
    """A framework that cannot be used; ``problems`` lists every error found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
