"""One line of benchmark output."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    label: str
    seconds: float
    #: Time (or throughput, where the note says so) relative to the baseline measured in the same run.
    ratio: float
    note: str
    #: Whether the target holds; None for a baseline.
    ok: bool | None = None
