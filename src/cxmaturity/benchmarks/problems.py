"""Validation problems of benchmark files as one line each: file, field path, what is wrong."""

from __future__ import annotations

from typing import Any


class BenchmarkFileError(ValueError):
    """A dataset or reference file that cannot be used; each problem names the file and the field."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def field_problem(file: str, error: Any) -> str:
    """Return one of pydantic's errors as ``file: competencies[2].q1: message``."""
    path = ""
    for part in error.get("loc", ()):
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    message = str(error.get("msg", "not valid")).removeprefix("Value error, ")
    if error.get("type") == "extra_forbidden":
        message = "unknown field (benchmark files hold aggregates and citations only)"
    # Checks across fields name their fields in the message itself.
    return f"{file}: {path}: {message}" if path else f"{file}: {message}"
