"""Accord's error hierarchy.

Each error carries a user-facing message written as an English gettext msgid; the web layer
translates it into the user's language (the Chinese text lives in the message catalog), and the
CLI prints it. ``status`` is the HTTP status the web layer answers with.
"""

from __future__ import annotations

from typing import Any

from accord.core.i18n import N_


class AccordError(Exception):
    """Base class: a problem the user can understand and act on."""

    status: int = 400
    message: str = N_("The request could not be completed.")

    def __init__(self, message: str | None = None, **params: Any) -> None:
        self.message = message or self.message
        self.params = params
        super().__init__(self.message % params if params else self.message)


class NotFound(AccordError):
    status = 404
    message = N_("Not found.")


class PermissionDenied(AccordError):
    status = 403
    message = N_("You do not have permission to do this.")


class NotAuthenticated(AccordError):
    status = 401
    message = N_("Please log in.")


class InvalidCredentials(AccordError):
    """Wrong user name or password — deliberately does not say which (no user enumeration)."""

    status = 401
    message = N_("Incorrect user name or password.")


class TooManyFailedLogins(AccordError):
    status = 429
    message = N_("Too many failed log-in attempts. Try again in %(minutes)d minutes.")

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(minutes=max(1, (retry_after + 59) // 60))


class ValidationFailed(AccordError):
    status = 422
    message = N_("Invalid input: %(detail)s")


class Conflict(AccordError):
    status = 409
    message = N_("This conflicts with existing data: %(detail)s")
