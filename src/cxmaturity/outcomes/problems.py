"""Problems found in outcome files: each names the file, row and column, and reading goes on to collect them all.

The :class:`~cxmaturity.answers.builder.Where` of answer files is reused so that every import in the product reports
its problems the same way (``file:row column 'name': message``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cxmaturity.answers.builder import Where

#: A file with more problems than this is broken in one systematic way; the first ones are enough to see how.
MAX_PROBLEMS = 50


@dataclass(frozen=True)
class Problem:
    """One problem of an outcome file at a place in it."""

    where: Where
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class OutcomesError(ValueError):
    """Outcome data that cannot be used; ``problems`` lists each with its file, row and column."""

    def __init__(self, problems: list[Problem], truncated: bool = False) -> None:
        self.problems = problems
        self.truncated = truncated
        more = f"\n(stopped after {MAX_PROBLEMS} problems)" if truncated else ""
        super().__init__("\n".join(str(p) for p in problems) + more)


@dataclass
class ProblemLog:
    """Collects problems up to ``limit`` (the count goes on, so a caller can say how many there were in all)."""

    limit: int = MAX_PROBLEMS
    problems: list[Problem] = field(default_factory=list)
    count: int = 0

    def add(self, where: Where, message: str) -> None:
        """Record a problem (kept when fewer than ``limit`` are held)."""
        self.count += 1
        if len(self.problems) < self.limit:
            self.problems.append(Problem(where, message))

    def __bool__(self) -> bool:
        return self.count > 0

    @property
    def full(self) -> bool:
        """Return whether no further problem would be kept."""
        return len(self.problems) >= self.limit

    def error(self) -> OutcomesError:
        """Return the error that lists the problems held."""
        return OutcomesError(list(self.problems), truncated=self.count > len(self.problems))

    def check(self) -> None:
        """Raise :class:`OutcomesError` when any problem was recorded."""
        if self.count:
            raise self.error()
