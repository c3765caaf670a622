"""Small helpers for tests of optional values."""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


def known(value: T | None) -> T:
    """Return ``value``, failing the test when it is None (a stage or score of a competency that must be assessed)."""
    assert value is not None
    return value
