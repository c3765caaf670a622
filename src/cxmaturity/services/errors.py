"""Errors the application layer raises; the web layer turns them into pages and HTTP statuses.

A refusal is written for a person: marked for translation (``N_`` for a fixed sentence, a ``phrase`` with named
parameters for one that names values), so that the pages write it in their reader's language (``web/context.py:
refusal``, the error page). ``message`` is the English sentence, which the JSON API, the command line and the log
keep.
"""

from __future__ import annotations

from collections.abc import Sequence

from cxmaturity.i18n.phrase import Phrase, Text, english


class ServiceError(Exception):
    status = 400

    def __init__(self, message: Text, field: str | None = None, details: Sequence[Text] | None = None) -> None:
        self.message = english(message)
        super().__init__(self.message)
        #: The sentence to render in a reader's language: a plain string is taken as a message id, so a sentence
        #: marked with ``N_`` is translated and any other reads as written.
        self.phrase = message if isinstance(message, Phrase) else Phrase(message)
        self.field = field
        #: Line-level problems as given: phrases where the raiser made them (a page renders them in its language).
        self.detail_texts: list[Text] = list(details or [])
        #: The same in English: the JSON API's ``problems``, the command line, the log.
        self.details = [english(d) for d in self.detail_texts]


class Invalid(ServiceError):
    """Input that cannot be used; ``field`` names the form field, ``details`` lists line-level problems."""

    status = 422


class NotFound(ServiceError):
    """Missing, or not visible to this user: the two look the same so that ids reveal nothing."""

    status = 404


class Forbidden(ServiceError):
    """Visible to this user, but their role does not allow the change."""

    status = 403


class Conflict(ServiceError):
    status = 409


class TooMany(ServiceError):
    """Refused for a while after too many failed attempts; ``retry_after`` in seconds."""

    status = 429

    def __init__(self, message: Text, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
