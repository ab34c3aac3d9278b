"""People, roles, log-in sessions and API tokens."""

from accord.core.accounts.models import ApiToken, LoginFailure, User, UserRole, WebSession
from accord.core.accounts.service import AccountService, AuthenticatedSession, IssuedToken

__all__ = [
    "AccountService",
    "ApiToken",
    "AuthenticatedSession",
    "IssuedToken",
    "LoginFailure",
    "User",
    "UserRole",
    "WebSession",
]
