"""Errors the application layer raises; the web layer turns them into pages and HTTP statuses."""

from __future__ import annotations


class ServiceError(Exception):
    status = 400

    def __init__(self, message: str, field: str | None = None, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details or []


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

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
