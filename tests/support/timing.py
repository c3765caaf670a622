"""``timed``: the mark of tests that assert a wall-clock limit.

When the suite runs on several pytest-xdist workers (``-n 2 --dist loadgroup``), tests under this mark share one
group, so they run one after another on a single worker and never race each other for the cores; the other workers'
tests still run meanwhile, which the limits (seconds where the work takes tenths) were sized for.
"""

import pytest

timed = pytest.mark.xdist_group("timing")
