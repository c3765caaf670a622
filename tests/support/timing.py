"""``timed``: the mark of tests that assert a wall-clock limit.

The suite runs on several pytest-xdist workers (``-n`` in pyproject.toml, ``--dist loadgroup``). Tests under this mark
share one group, so they run one after another on a single worker and never race each other for the cores; the other
workers' tests still run meanwhile, which the limits (seconds where the work takes tenths) were sized for.
"""

import pytest

timed = pytest.mark.xdist_group("timing")
