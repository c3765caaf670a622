"""Run the job queue's pending work in a test, as a worker would: on SQLite the app's in-process runner, on
PostgreSQL a procrastinate worker (on a thread of its own: it runs an event loop) until no job is left."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from cxmaturity.services import jobs
from tests.support.site import Site


def drain(site: Site) -> None:
    if site.backend == "sqlite":
        site.app.state.jobs.run_once()
        return
    failure: list[BaseException] = []

    def work() -> None:
        try:
            jobs.run_worker(site.settings, site.engine, concurrency=2, until_idle=True)
        except BaseException as exc:  # handed to the test's thread
            failure.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(120)
    assert not thread.is_alive(), "the worker did not finish within 2 minutes"
    if failure:
        raise failure[0]


@contextmanager
def mail_settings(site: Site, port: int, **extra: Any) -> Iterator[None]:
    """Point the site's settings at the test's SMTP server (and any other setting given) for the block."""
    names = ["smtp_host", "smtp_port", "mail_from", *extra]
    saved = {name: getattr(site.settings, name) for name in names}
    site.settings.smtp_host, site.settings.smtp_port = "127.0.0.1", port
    site.settings.mail_from = "surveys@example.org"
    for name, value in extra.items():
        setattr(site.settings, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(site.settings, name, value)
