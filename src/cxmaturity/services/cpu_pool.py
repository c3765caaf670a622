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

A task may say how far it got (``tell`` in the child, ``run(..., progress=...)`` in the parent): a report job's
child scores 200 units and lays out the pages, and its job page should move meanwhile. The messages go up one
queue per set of children (handed to each child when it starts, the only way a queue reaches a pool's child), read
by a thread of the parent that hands each to the thread waiting for its task; that thread calls ``progress`` (which
writes the job's row), so the child never touches the database and no transaction is open while it works.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.queues import Queue
from typing import Any, TypeVar

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


#: In a child: the parent's progress queue, and the task running now (its token); None outside a task.
_channel: Queue[tuple[str, tuple[Any, ...]]] | None = None
_task: str | None = None
#: In the parent: the child process working on each task now (task token: pid), as the children said when they began.
_working: dict[str, int] = {}
#: The first message of each task: its child's pid (kept by the parent, not handed to ``progress``).
_STARTED = "cpu-pool:started"
#: The last message of each task, after everything it told: the parent hands the task's result back only once it has
#: passed on every message before this one. The result and the messages travel by different pipes, so a message told
#: just before the end (a deck's "writing", a few milliseconds before its file is ready) could arrive after the result.
_FINISHED = "cpu-pool:finished"
#: How long the parent waits for a finished task's last messages (they are normally there in microseconds).
_LAST_MESSAGES_SECONDS = 5.0


def working() -> list[int]:
    """The pids of the children working on a task for this process now (for a log, or a test that kills one)."""
    return list(_working.values())


def _child_started(channel: Queue[tuple[str, tuple[Any, ...]]]) -> None:
    global _channel
    _channel = channel


def _tracked(token: str, fn: Callable[..., T], args: tuple[object, ...]) -> T:
    """Run ``fn(*args)`` in a child, as the task ``token`` (whose ``tell`` reaches the parent's thread waiting)."""
    global _task
    _task = token
    tell(_STARTED, os.getpid())
    try:
        return fn(*args)
    finally:
        tell(_FINISHED)
        _task = None


def tell(*message: Any) -> None:
    """From a task running in a child: send ``message`` (small, picklable) to the parent's ``progress``. Outside a
    child task (a report drawn in the caller's process, the command line) it does nothing."""
    if _channel is not None and _task is not None:
        _channel.put((_task, message))


class _Listener:
    """The parent's end of one set of children's progress queue: hands each message to its task's waiting thread."""

    def __init__(self, channel: Queue[tuple[str, tuple[Any, ...]]]) -> None:
        self.channel = channel
        self.waiting: dict[str, queue.SimpleQueue[tuple[Any, ...]]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._listen, name="cpu-pool-progress", daemon=True)
        self._thread.start()

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                token, message = self.channel.get(timeout=0.5)
            except queue.Empty:
                continue
            except (EOFError, OSError):  # the queue was closed
                return
            inbox = self.waiting.get(token)
            if message and message[0] == _STARTED:
                if inbox is not None:
                    _working[token] = int(message[1])
            elif inbox is not None:  # else: its caller stopped waiting (taken over); the message is dropped
                inbox.put(message)

    def stop(self) -> None:
        self._stop.set()


def _last_messages(inbox: queue.SimpleQueue[tuple[Any, ...]], progress: Callable[..., None]) -> None:
    """Pass on what a finished task told before its end (up to its ``_FINISHED``), however the pipes raced."""
    deadline = time.monotonic() + _LAST_MESSAGES_SECONDS
    while (left := deadline - time.monotonic()) > 0:
        try:
            message = inbox.get(timeout=left)
        except queue.Empty:
            break
        if message and message[0] == _FINISHED:
            return
        progress(*message)
    log.warning("a task's last progress messages did not arrive within %.0f s", _LAST_MESSAGES_SECONDS)


class Stopped(ServiceError):
    """A child died midway (killed, out of memory): nothing was made; the next try gets a fresh child."""

    status = 503


class CpuPool:
    """At most ``size`` functions at once, each in a child process; callers beyond that wait their turn."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._executor: ProcessPoolExecutor | None = None
        self._listener: _Listener | None = None
        self._lock = threading.Lock()

    def _pool(self) -> tuple[ProcessPoolExecutor, _Listener]:
        with self._lock:
            if self._executor is None or self._listener is None:
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload(PRELOAD)
                # A queue per set of children: one left behind by a child killed midway is not used again.
                channel: Queue[tuple[str, tuple[Any, ...]]] = context.Queue()
                self._listener = _Listener(channel)
                self._executor = ProcessPoolExecutor(
                    max_workers=self.size,
                    mp_context=context,
                    max_tasks_per_child=TASKS_PER_CHILD,
                    initializer=_child_started,
                    initargs=(channel,),
                )
            return self._executor, self._listener

    def run(self, fn: Callable[..., T], *args: object, progress: Callable[..., None] | None = None) -> T:
        """Return ``fn(*args)`` computed in a child process (``fn`` must be a module-level function); each message the
        task sends with ``tell(*message)`` is ``progress(*message)`` in the calling thread, while it waits. An
        exception ``progress`` raises ends the wait (the child's work is then thrown away when it ends)."""
        executor, listener = self._pool()
        token = secrets.token_hex(8)
        inbox: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()
        listener.waiting[token] = inbox
        try:
            future: Future[T] = executor.submit(_tracked, token, fn, args)
            if progress is not None:
                finished = False
                while not future.done():
                    try:
                        message = inbox.get(timeout=0.2)
                    except queue.Empty:
                        continue
                    if message and message[0] == _FINISHED:
                        finished = True
                        break
                    progress(*message)
                if not finished and not isinstance(future.exception(), BrokenProcessPool):
                    _last_messages(inbox, progress)
            return future.result()
        except BrokenProcessPool:
            log.error("a child process of the CPU pool stopped during %s; starting fresh ones", fn.__name__)
            with self._lock:
                if self._executor is executor:
                    self._executor = None
                    self._listener = None
            executor.shutdown(wait=False, cancel_futures=True)
            listener.stop()
            raise Stopped("the work stopped midway (the server ran short of memory?); nothing was made") from None
        finally:
            listener.waiting.pop(token, None)
            _working.pop(token, None)

    def close(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
            listener, self._listener = self._listener, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
        if listener is not None:
            listener.stop()
