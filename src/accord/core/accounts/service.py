"""AccountService: the only code that creates users, checks passwords and issues sessions/tokens.

The web layer and the CLI both call it, so rules such as log-in throttling and password strength
hold everywhere.
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
import secrets
import weakref
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import and_, bindparam, delete, func, or_, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session, joinedload, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from accord.config import get_settings
from accord.core.accounts.models import ApiToken, LoginFailure, User, UserRole, WebSession
from accord.core.db import Database, Prepared, utcnow
from accord.core.errors import (
    Conflict,
    InvalidCredentials,
    NotFound,
    TooManyFailedLogins,
    ValidationFailed,
)
from accord.core.i18n import M_, N_
from accord.core.roles import Role
from accord.core.text import clean_line

SUPPORTED_LANGUAGES = ("zh_Hans", "en")
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD_LENGTH = 10
TOKEN_PREFIX = "acc_"  # noqa: S105 (a public marker, not a secret)
TOKEN_USE_RESOLUTION = timedelta(seconds=60)  # how precisely a token's last use is kept
#: One client may fail this many times more often (across all names) than for one name.
CLIENT_FAILURE_FACTOR = 4

#: Argon2id parameters per ``ACCORD_PASSWORD_HASH_PROFILE`` (see accord.config).
HASH_PROFILES: dict[str, dict[str, int]] = {
    "standard": {"time_cost": 3, "memory_cost": 65536, "parallelism": 4},
    "test-only-fast": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1},
}


@functools.cache
def _hasher_for(profile: str) -> PasswordHasher:
    return PasswordHasher(**HASH_PROFILES[profile])


def password_hasher() -> PasswordHasher:
    """The hasher of the configured profile (read each time: tests switch settings)."""
    return _hasher_for(get_settings().password_hash_profile)


@functools.cache
def _dummy_hash(profile: str) -> str:
    """Verifying against this keeps the time of a log-in with an unknown user name close to one
    with a known name, so timing does not reveal which accounts exist. Made on first use, not
    at import (every ``accord`` command imports this module)."""
    return _hasher_for(profile).hash("accord-timing-equaliser")


class LoginThrottled(TooManyFailedLogins):
    """A log-in refused while the growing delay runs; says seconds when that is short."""

    seconds_message = N_("Too many failed log-in attempts. Try again in %(seconds)d seconds.")

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        if retry_after < 120:
            self.message = self.seconds_message
            self.params = {"seconds": retry_after}
            self.args = (self.message % self.params,)  # what the CLI and logs print


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


Credential = TypeVar("Credential", WebSession, ApiToken)


def _credential_record(database: Database, model: type[Credential],
                       token_hash: str) -> Credential | None:
    """The session or API token row with its user and roles, read with one prebuilt
    statement on a pooled connection of its own (returned before the caller's session takes
    one), not through the ORM's query machinery: every signed-in request runs this, and on
    PostgreSQL the session's own transaction would add BEGIN and COMMIT round trips. The
    objects are built as the ORM would have loaded them (detached, nothing pending), so they
    behave the same."""
    dialect = database.engine.dialect
    columns = _CREDENTIAL_COLUMNS[model]
    prepared = _CREDENTIAL_SQL.setdefault(dialect, {})
    sql = prepared.get(model)
    if sql is None:
        statement = (select(*columns, *_USER_COLUMNS, UserRole.role)
                     .join(User, User.id == model.user_id)
                     .outerjoin(UserRole, UserRole.user_id == User.id)
                     .where(model.token_hash == bindparam("token_hash")))
        sql = prepared[model] = Prepared(statement, dialect)
    with database.read_cursor() as cursor:
        rows = sql.rows(cursor, {"token_hash": token_hash})
    if not rows:
        return None
    first = rows[0]
    values = dict(zip([c.key for c in columns], first[:len(columns)], strict=True))
    user = User(**dict(zip([c.key for c in _USER_COLUMNS], first[len(columns):-1],
                           strict=True)))
    user.role_rows = [UserRole(user_id=user.id, role=row[-1]) for row in rows
                      if row[-1] is not None]
    record = model(**values, token_hash=token_hash, user_id=user.id, user=user)
    for loaded in (*user.role_rows, user, record):
        make_transient_to_detached(loaded)
    return record


# A session or API token with its user and the user's roles in one statement (joined, instead
# of the relationships' own second query for the roles), built once: every request runs one.
_SESSION_WITH_USER = select(WebSession).where(
    WebSession.token_hash == bindparam("token_hash")).options(
    joinedload(WebSession.user).joinedload(User.role_rows))
_TOKEN_WITH_USER = select(ApiToken).where(ApiToken.token_hash == bindparam("token_hash")).options(
    joinedload(ApiToken.user).joinedload(User.role_rows))
# The same as plain rows (one per role) for a prebuilt statement on the driver's cursor: see
# AccountService._resolve.
_USER_COLUMNS = (User.id, User.username, User.display_name, User.password_hash, User.language,
                 User.default_purpose, User.active, User.created_at)
_CREDENTIAL_COLUMNS: dict[type[Any], tuple[Any, ...]] = {
    WebSession: (WebSession.id, WebSession.csrf_token, WebSession.created_at,
                 WebSession.expires_at),
    ApiToken: (ApiToken.id, ApiToken.name, ApiToken.prefix, ApiToken.created_at,
               ApiToken.last_used_at, ApiToken.revoked_at),
}
_CREDENTIAL_SQL: weakref.WeakKeyDictionary[Dialect, dict[type[Any], Prepared]] = (
    weakref.WeakKeyDictionary())


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
        max_delay_seconds: int = 900,
        session_hours: int = 12,
    ) -> None:
        self.session = session
        self.max_failures = max(1, max_failures)
        self.window = timedelta(seconds=window_seconds)
        self.max_delay = timedelta(seconds=max(1, max_delay_seconds))
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
        username = clean_line(username, "user name").lower()
        display_name = clean_line(display_name, "display name")
        if not USERNAME_RE.match(username):
            raise ValidationFailed(detail=M_("user name: 2–64 of a-z, 0-9, '.', '_', '-'"))
        self._check_password(password)
        if not roles:
            raise ValidationFailed(detail=M_("roles: at least one role is required"))
        if language not in SUPPORTED_LANGUAGES:
            raise ValidationFailed(detail=M_("language: one of %(supported_languages)s",
                                             supported_languages=', '.join(SUPPORTED_LANGUAGES)))
        if self.find_user(username) is not None:
            raise Conflict(detail=M_("user name %(username)r is taken", username=username))
        user = User(
            username=username,
            display_name=display_name[:128] or username,
            password_hash=password_hasher().hash(password),
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
            raise ValidationFailed(detail=M_("roles: at least one role is required"))
        if Role.ADMIN in user.roles and Role.ADMIN not in roles and self._active_admins() <= 1:
            raise Conflict(detail=M_("the last active admin cannot lose the admin role"))
        user.role_rows = [UserRole(role=role.value) for role in sorted(roles)]
        self.session.flush()

    def set_active(self, user: User, active: bool) -> None:
        if not active and Role.ADMIN in user.roles and user.active and self._active_admins() <= 1:
            raise Conflict(detail=M_("the last active admin cannot be deactivated"))
        user.active = active
        if not active:
            self.session.execute(delete(WebSession).where(WebSession.user_id == user.id))
        self.session.flush()

    def set_language(self, user: User, language: str) -> None:
        if language not in SUPPORTED_LANGUAGES:
            raise ValidationFailed(detail=M_("language: one of %(supported_languages)s",
                                             supported_languages=', '.join(SUPPORTED_LANGUAGES)))
        user.language = language
        self.session.flush()

    def set_password(self, user: User, password: str) -> None:
        self._check_password(password)
        user.password_hash = password_hasher().hash(password)
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
                detail=M_("password: at least %(min_password_length)s characters",
                          min_password_length=MIN_PASSWORD_LENGTH)
            )
        if len(password) > 256:
            raise ValidationFailed(detail=M_("password: at most 256 characters"))

    # -- log-in ----------------------------------------------------------------------------
    def authenticate(self, username: str, password: str, *, client: str = "") -> User:
        """Check a password, with a growing delay per client and per user name on that client.

        Raises ``TooManyFailedLogins`` (``LoginThrottled``) before even checking the password
        while a delay runs, and ``InvalidCredentials`` with one generic message for every
        other failure.
        """
        username = username.strip().lower()[:64]
        client = client[:64]
        self._check_throttle(username, client)
        user = self.find_user(username) if username else None
        valid = False
        if user is None:
            self._verify(_dummy_hash(get_settings().password_hash_profile), password)
        else:
            valid = self._verify(user.password_hash, password) and user.active
        if not valid:
            self.session.add(LoginFailure(username=username, client=client))
            # Failures older than the window no longer count; drop them so the table stays
            # small even when many addresses try many names.
            self.session.execute(
                delete(LoginFailure).where(LoginFailure.at < utcnow() - self.window)
            )
            self.session.flush()
            raise InvalidCredentials()
        assert user is not None
        if password_hasher().check_needs_rehash(user.password_hash):
            user.password_hash = password_hasher().hash(password)
        # Only this client's failures for this name: a success elsewhere must not reset the
        # delay of someone guessing from another address.
        self.session.execute(delete(LoginFailure).where(LoginFailure.username == username,
                                                        LoginFailure.client == client))
        self.session.flush()
        return user

    @staticmethod
    def _verify(password_hash: str, password: str) -> bool:
        try:
            return password_hasher().verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def _throttle_scopes(self, username: str, client: str) -> list[tuple[Any, int]]:
        """The failure counters that can delay this attempt, each with its threshold.

        Per user name *on this client*, and per client across all names (wider, so a shared
        station PC is not slowed down by a few typos while a script trying many names is).
        Never per user name alone: then anyone who knows a name could keep its officer out.
        Without a client address (CLI, some proxies) the name alone is all there is.
        """
        if not client:
            return [(LoginFailure.username == username, self.max_failures)]
        return [
            (and_(LoginFailure.username == username, LoginFailure.client == client),
             self.max_failures),
            (LoginFailure.client == client, self.max_failures * CLIENT_FAILURE_FACTOR),
        ]

    def _check_throttle(self, username: str, client: str) -> None:
        """Refuse the attempt while the growing delay since the latest failure runs.

        After ``k >= threshold`` failures within the window, the next attempt must wait
        ``min(2 ** (k - threshold), max_delay)`` seconds after the latest of them. The state
        is read from the database, so every app process sees the same delay.
        """
        now = utcnow()
        wait = 0.0
        for condition, threshold in self._throttle_scopes(username, client):
            count, latest = self.session.execute(
                select(func.count(), func.max(LoginFailure.at))
                .where(condition, LoginFailure.at >= now - self.window)
            ).one()
            if not count or count < threshold or latest is None:
                continue
            delay = min(2.0 ** min(count - threshold, 62), self.max_delay.total_seconds())
            wait = max(wait, (latest - now).total_seconds() + delay)
        if wait > 0:
            raise LoginThrottled(retry_after=max(1, math.ceil(wait)))

    def unlock(self, username: str) -> int:
        """Forget every recorded failure for ``username`` (all clients); returns how many.

        For an admin who has checked that the officer is who they say: the delay is then
        gone on every client at once.
        """
        username = username.strip().lower()[:64]
        result = self.session.execute(
            delete(LoginFailure).where(LoginFailure.username == username)
        )
        self.session.flush()
        return int(getattr(result, "rowcount", 0) or 0)

    def recent_failures(self) -> dict[str, int]:
        """Failed log-ins per user name within the window (for the admin's users page)."""
        rows = self.session.execute(
            select(LoginFailure.username, func.count())
            .where(LoginFailure.at >= utcnow() - self.window)
            .group_by(LoginFailure.username)
        )
        return {name: int(count) for name, count in rows}

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
        """The live session behind a cookie's token, with its user and roles (one query, read
        on every request; nothing is cached between requests, so an ended session, an expired
        one or a deactivated user is refused at once)."""
        if not token:
            return None
        record = self._resolve(WebSession, _SESSION_WITH_USER, token)
        if record is None or record.expires_at <= utcnow() or not record.user.active:
            return None
        return record

    def _resolve(self, model: type[Credential], orm_query: Any,
                 token: str) -> Credential | None:
        """A cookie's session or an API token's record, with its user and roles, in this
        session. A fresh session (each request's) reads it with one prebuilt statement
        (:func:`_credential_record`); one already in use keeps to its own transaction and
        loaded objects, through the ORM."""
        database = self.session.info.get("database")
        if database is None or self.session.in_transaction() or self.session.identity_map:
            return self.session.scalars(  # type: ignore[no-any-return]
                orm_query, {"token_hash": _digest(token)}).unique().one_or_none()
        record = _credential_record(database, model, _digest(token))
        if record is not None:
            # Into this session, as if it had loaded them (no statement): a route that goes
            # on with it, e.g. changing the user's language, saves through it as before.
            self.session.add(record)
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
            raise ValidationFailed(detail=M_("token name: 1–64 characters"))
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        record = ApiToken(
            user_id=user.id, name=name, prefix=token[:10], token_hash=_digest(token)
        )
        self.session.add(record)
        self.session.flush()
        return IssuedToken(token=token, record=record)

    def resolve_token(self, token: str) -> User | None:
        """The active user behind an API token (read only; see :meth:`record_token_use`)."""
        record = self.resolve_token_record(token)
        return None if record is None else record.user

    def resolve_token_record(self, token: str) -> ApiToken | None:
        if not token.startswith(TOKEN_PREFIX):
            return None
        record = self._resolve(ApiToken, _TOKEN_WITH_USER, token)
        if record is None or record.revoked_at is not None or not record.user.active:
            return None
        return record

    def record_token_use(self, record: ApiToken) -> bool:
        """Note that a token was used, at most once per ``TOKEN_USE_RESOLUTION``.

        Writing on every request made each API call a write transaction: on SQLite concurrent
        clients then failed with "database is locked" (a read transaction cannot become a
        write one once another writer committed). The stamp is only needed to the minute, so
        the write happens when the stored one is older, as one conditional UPDATE in its own
        short transaction that takes SQLite's write lock up front (BEGIN IMMEDIATE, waiting
        up to the busy timeout) — concurrent requests queue instead of failing, and only one
        of them changes the row. Call it outside any open transaction. True if it wrote.
        """
        now = utcnow()
        stale = now - TOKEN_USE_RESOLUTION
        if record.last_used_at is not None and record.last_used_at > stale:
            return False
        if self.session.in_transaction():
            raise RuntimeError("record_token_use must start its own transaction")
        if self.session.get_bind().dialect.name == "sqlite":
            self.session.connection(execution_options={"sqlite_immediate": True})
        result = self.session.execute(
            update(ApiToken)
            .where(ApiToken.id == record.id,
                   or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= stale))
            .values(last_used_at=now)
            .execution_options(synchronize_session=False))
        self.session.commit()
        written = bool(getattr(result, "rowcount", 0))
        if written:
            set_committed_value(record, "last_used_at", now)
        return written

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
