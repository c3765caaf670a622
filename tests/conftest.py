"""Fixtures shared by every test folder: ``site`` (the app on SQLite and on PostgreSQL) and ``cast``, and the seeded
demo database (``seeded_demo``, copied per test by ``demo_database``).

Passwords are hashed with argon2id at its lowest cost in tests. The library's recommended cost (64 MiB, three passes)
is made to be slow: over a second per hash on the busy two-core CI machine, and the suite signs people up and in
hundreds of times (every benchmark peer has an owner). Hash, verify and rehash still run through the real argon2id;
only the cost parameters, which the hash string records, differ.
"""

from argon2 import PasswordHasher

from cxmaturity.services import accounts
from tests.support.demo import demo_database, seeded_demo
from tests.support.site import cast, site

accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

__all__ = ["cast", "demo_database", "seeded_demo", "site"]
