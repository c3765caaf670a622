"""Fixtures shared by every test folder: ``site`` (the app on SQLite and on PostgreSQL) and ``cast``."""

from tests.support.site import cast, site

__all__ = ["cast", "site"]
