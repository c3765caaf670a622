"""Fixtures shared by every test folder: ``site`` (the app on SQLite and on PostgreSQL) and ``cast``, and the seeded
demo database (``seeded_demo``, copied per test by ``demo_database``)."""

from tests.support.demo import demo_database, seeded_demo
from tests.support.site import cast, site

__all__ = ["cast", "demo_database", "seeded_demo", "site"]
