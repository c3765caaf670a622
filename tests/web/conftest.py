"""The site and cast fixtures live in tests/support/site.py and are registered for every test in tests/conftest.py;
these names are re-exported for the tests that import them from here."""

from tests.support.site import PASSWORD, POSTGRES_URL, SECRET, Cast, Site

__all__ = ["PASSWORD", "POSTGRES_URL", "SECRET", "Cast", "Site"]
