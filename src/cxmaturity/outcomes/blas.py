"""Run a block of linear algebra on one BLAS thread.

The bootstrap of key drivers makes many mid-sized matrix products. On a machine whose cores are already busy (a web
server's several workers, a shared CI runner), OpenBLAS's own threads wait for cores while spinning: measured here, a
1,000-resample bootstrap took 1.4 s of CPU on one thread and 6.8 s (22 s of wall time) on two. One thread per product
is also what a multi-worker server wants. numpy ships OpenBLAS, whose ``*_set_num_threads`` is called directly
(what threadpoolctl does); where it cannot be found (another BLAS, another platform) this does nothing.
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

_PREFIXES = ("scipy_openblas", "openblas")
_SUFFIXES = ("64_", "")


@cache
def _openblas() -> tuple[Any, Any] | None:  # ctypes function pointers
    """Return OpenBLAS's (get, set) number-of-threads functions as loaded by numpy, or None."""
    import numpy  # noqa: F401  # loads numpy's BLAS, so that it shows among the mapped libraries

    maps = Path("/proc/self/maps")
    try:
        paths = {line.split()[-1] for line in maps.read_text().splitlines() if "openblas" in line.lower()}
    except OSError:
        return None
    for path in sorted(paths):
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix in _PREFIXES:
            for suffix in _SUFFIXES:
                get = getattr(library, f"{prefix}_get_num_threads{suffix}", None)
                put = getattr(library, f"{prefix}_set_num_threads{suffix}", None)
                if get is not None and put is not None:
                    get.restype = ctypes.c_int
                    put.argtypes = [ctypes.c_int]
                    return get, put
    return None


@contextmanager
def single_thread() -> Iterator[None]:
    """Run the block with OpenBLAS on one thread, restoring the previous number afterwards."""
    found = _openblas()
    if found is None:
        yield
        return
    get, put = found
    before = int(get())
    put(1)
    try:
        yield
    finally:
        put(before)
