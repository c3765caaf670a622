"""CPU-heavy work (drawing and writing reports, parsing uploaded frameworks) in child processes, a few at a time.

A report is seconds of pure Python. Run by a web worker's thread, it holds that worker's interpreter lock, and every
other thread of the worker (page views, respondents' saves, ``/healthz``) waits for its turn: with 30 report
clients, ``/healthz`` took 3 s. Bounding how many run at once (web/heavy.py) keeps the threads free but not the
interpreter. Here such work runs in child processes, each an interpreter of its own, at most ``size`` at once per
parent; the request's thread waits for the result without holding the lock. On SQLite, where the jobs run inside
the web process, this is what keeps a large report from freezing the web server.

The children are forked from a fork server (never from the threaded web worker itself) with the report code
already imported, so a child starts in milliseconds; each is replaced after ``TASKS_PER_CHILD`` tasks, so memory a
large report took goes back to the system. The work and its result cross the pipe pickled: plain dataclasses and
bytes. An error raised in a child (Invalid, naming the line) arrives as the same error in the parent.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from cxmaturity.services.errors import ServiceError

log = logging.getLogger(__name__)

T = TypeVar("T")

#: A child is replaced after this many tasks: what a large report took is given back.
TASKS_PER_CHILD = 20
#: Imported by the fork server once, so that every child starts with them.
PRELOAD = [
    "cxmaturity.services.reports",
    "cxmaturity.reporting.render_html",
    "cxmaturity.frameworks",
    "cxmaturity.services.exports",
    "cxmaturity.exports.workbook",
]


class Stopped(ServiceError):
    """A child died midway (killed, out of memory): nothing was made; the next try gets a fresh child."""

    status = 503


class CpuPool:
    """At most ``size`` functions at once, each in a child process; callers beyond that wait their turn."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def _pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload(PRELOAD)
                self._executor = ProcessPoolExecutor(
                    max_workers=self.size, mp_context=context, max_tasks_per_child=TASKS_PER_CHILD
                )
            return self._executor

    def run(self, fn: Callable[..., T], *args: object) -> T:
        """Return ``fn(*args)`` computed in a child process (``fn`` must be a module-level function)."""
        executor = self._pool()
        try:
            return executor.submit(fn, *args).result()
        except BrokenProcessPool:
            log.error("a child process of the CPU pool stopped during %s; starting fresh ones", fn.__name__)
            with self._lock:
                if self._executor is executor:
                    self._executor = None
            executor.shutdown(wait=False, cancel_futures=True)
            raise Stopped("the work stopped midway (the server ran short of memory?); nothing was made") from None

    def close(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
