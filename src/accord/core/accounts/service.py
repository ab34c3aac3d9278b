"""AccountService: the only code that creates users, checks passwords and issues sessions/tokens.

The web layer and the CLI both call it, so rules such as log-in throttling and password strength
hold everywhere.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from accord.core.accounts.models import ApiToken, LoginFailure, User, UserRole, WebSession
from accord.core.db import utcnow
from accord.core.errors import (
    Conflict,
    InvalidCredentials,
    NotFound,
    TooManyFailedLogins,
    ValidationFailed,
)
from accord.core.roles import Role

SUPPORTED_LANGUAGES = ("zh_Hans", "en")
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD_LENGTH = 10
TOKEN_PREFIX = "acc_"  # noqa: S105 (a public marker, not a secret)

_hasher = PasswordHasher()
# Verifying against this keeps the time of a log-in with an unknown user name close to one with
# a known name, so timing does not reveal which accounts exist.
_DUMMY_HASH = _hasher.hash("accord-timing-equaliser")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class AuthenticatedSession:
    token: str  # goes into the cookie; only its digest is stored
    csrf_token: str
    user: User


@dataclass(frozen=True)
class IssuedToken:
    token: str  # shown to the user once
    record: ApiToken


class AccountService:
    def __init__(
        self,
        session: Session,
        *,
        max_failures: int = 5,
        window_seconds: int = 900,
        session_hours: int = 12,
    ) -> None:
        self.session = session
        self.max_failures = max_failures
        self.window = timedelta(seconds=window_seconds)
        self.session_lifetime = timedelta(hours=session_hours)

    # -- users -----------------------------------------------------------------------------
    def create_user(
        self,
        username: str,
        password: str,
        roles: frozenset[Role] | set[Role],
        *,
        display_name: str = "",
        language: str = "zh_Hans",
        default_purpose: str = "",
    ) -> User:
        username = username.strip().lower()
        if not USERNAME_RE.match(username):
            raise ValidationFailed(detail="user name: 2–64 of a-z, 0-9, '.', '_', '-'")
        self._check_password(password)
        if not roles:
            raise ValidationFailed(detail="roles: at least one role is required")
        if language not in SUPPORTED_LANGUAGES:
            raise ValidationFailed(detail=f"language: one of {', '.join(SUPPORTED_LANGUAGES)}")
        if self.find_user(username) is not None:
            raise Conflict(detail=f"user name {username!r} is taken")
        user = User(
            username=username,
            display_name=display_name.strip()[:128] or username,
            password_hash=_hasher.hash(password),
            language=language,
            default_purpose=default_purpose,
        )
        user.role_rows = [UserRole(role=role.value) for role in sorted(roles)]
        self.session.add(user)
        self.session.flush()
        return user

    def find_user(self, username: str) -> User | None:
        return self.session.scalar(select(User).where(User.username == username.strip().lower()))

    def get_user(self, user_id: int) -> User:
        user = self.session.get(User, user_id)
        if user is None:
            raise NotFound()
        return user

    def list_users(self) -> list[User]:
        return list(self.session.scalars(select(User).order_by(User.username)))

    def set_roles(self, user: User, roles: frozenset[Role] | set[Role]) -> None:
        if not roles:
            raise ValidationFailed(detail="roles: at least one role is required")
        if Role.ADMIN in user.roles and Role.ADMIN not in roles and self._active_admins() <= 1:
            raise Conflict(detail="the last active admin cannot lose the admin role")
        user.role_rows = [UserRole(role=role.value) for role in sorted(roles)]
        self.session.flush()

    def set_active(self, user: User, active: bool) -> None:
        if not active and Role.ADMIN in user.roles and user.active and self._active_admins() <= 1:
            raise Conflict(detail="the last active admin cannot be deactivated")
        user.active = active
        if not active:
            self.session.execute(delete(WebSession).where(WebSession.user_id == user.id))
        self.session.flush()

    def set_language(self, user: User, language: str) -> None:
        if language not in SUPPORTED_LANGUAGES:
            raise ValidationFailed(detail=f"language: one of {', '.join(SUPPORTED_LANGUAGES)}")
        user.language = language
        self.session.flush()

    def set_password(self, user: User, password: str) -> None:
        self._check_password(password)
        user.password_hash = _hasher.hash(password)
        self.session.execute(delete(WebSession).where(WebSession.user_id == user.id))
        self.session.flush()

    def _active_admins(self) -> int:
        query = (
            select(func.count())
            .select_from(User)
            .join(UserRole)
            .where(User.active.is_(True), UserRole.role == Role.ADMIN.value)
        )
        return int(self.session.scalar(query) or 0)

    @staticmethod
    def _check_password(password: str) -> None:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise ValidationFailed(
                detail=f"password: at least {MIN_PASSWORD_LENGTH} characters"
            )
        if len(password) > 256:
            raise ValidationFailed(detail="password: at most 256 characters")

    # -- log-in ----------------------------------------------------------------------------
    def authenticate(self, username: str, password: str, *, client: str = "") -> User:
        """Check a password, with throttling per user name and per client address.

        Raises ``TooManyFailedLogins`` before even checking the password once the limit is
        reached, and ``InvalidCredentials`` with one generic message for every other failure.
        """
        username = username.strip().lower()[:64]
        client = client[:64]
        self._check_throttle(username, client)
        user = self.find_user(username) if username else None
        valid = False
        if user is None:
            self._verify(_DUMMY_HASH, password)
        else:
            valid = self._verify(user.password_hash, password) and user.active
        if not valid:
            self.session.add(LoginFailure(username=username, client=client))
            self.session.flush()
            raise InvalidCredentials()
        assert user is not None
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
        self.session.execute(delete(LoginFailure).where(LoginFailure.username == username))
        self.session.flush()
        return user

    @staticmethod
    def _verify(password_hash: str, password: str) -> bool:
        try:
            return _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def _check_throttle(self, username: str, client: str) -> None:
        # Per client address the limit is wider, so a shared station PC is not locked out by
        # one user's typos, while a guessing script that tries many names still is.
        checks = ((LoginFailure.username, username, self.max_failures),
                  (LoginFailure.client, client, self.max_failures * 4))
        since = utcnow() - self.window
        for column, value, limit in checks:
            if not value:
                continue
            recent = list(
                self.session.scalars(
                    select(LoginFailure.at)
                    .where(column == value, LoginFailure.at >= since)
                    .order_by(LoginFailure.at.desc())
                    .limit(limit)
                )
            )
            if len(recent) >= limit:
                # Locked until the oldest of the last `limit` failures leaves the window.
                retry = int((recent[-1] + self.window - utcnow()).total_seconds()) + 1
                raise TooManyFailedLogins(retry_after=max(1, retry))

    def start_session(self, user: User) -> AuthenticatedSession:
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        self.session.add(
            WebSession(
                token_hash=_digest(token),
                user_id=user.id,
                csrf_token=csrf,
                expires_at=utcnow() + self.session_lifetime,
            )
        )
        self.session.flush()
        return AuthenticatedSession(token=token, csrf_token=csrf, user=user)

    def resolve_session(self, token: str) -> WebSession | None:
        if not token:
            return None
        record = self.session.scalar(
            select(WebSession).where(WebSession.token_hash == _digest(token))
        )
        if record is None or record.expires_at <= utcnow() or not record.user.active:
            return None
        return record

    def end_session(self, token: str) -> None:
        self.session.execute(delete(WebSession).where(WebSession.token_hash == _digest(token)))
        self.session.flush()

    def purge_expired_sessions(self) -> int:
        result = self.session.execute(delete(WebSession).where(WebSession.expires_at <= utcnow()))
        return int(getattr(result, "rowcount", 0) or 0)

    # -- API tokens ------------------------------------------------------------------------
    def issue_token(self, user: User, name: str) -> IssuedToken:
        name = name.strip()
        if not name or len(name) > 64:
            raise ValidationFailed(detail="token name: 1–64 characters")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        record = ApiToken(
            user_id=user.id, name=name, prefix=token[:10], token_hash=_digest(token)
        )
        self.session.add(record)
        self.session.flush()
        return IssuedToken(token=token, record=record)

    def resolve_token(self, token: str) -> User | None:
        if not token.startswith(TOKEN_PREFIX):
            return None
        record = self.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
        if record is None or record.revoked_at is not None or not record.user.active:
            return None
        record.last_used_at = utcnow()
        return record.user

    def list_tokens(self, user: User) -> list[ApiToken]:
        return list(
            self.session.scalars(
                select(ApiToken)
                .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                .order_by(ApiToken.created_at.desc())
            )
        )

    def revoke_token(self, user: User, token_id: int) -> None:
        record = self.session.get(ApiToken, token_id)
        if record is None or record.user_id != user.id:
            raise NotFound()
        record.revoked_at = utcnow()
        self.session.flush()
