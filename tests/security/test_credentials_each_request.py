"""A session or API token is read from the database on every request, in one query: a session
ended, expired or of a deactivated user, a revoked token or a role taken away is refused on the
very next request (nothing about a credential is kept in the process between requests)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event, update

from accord.core.accounts import AccountService
from accord.core.accounts.models import WebSession
from accord.core.db import Database, Prepared, utcnow
from accord.core.roles import Role
from tests.helpers import login

INCIDENT = {"type": "theft", "lat": 60.1699, "lon": 24.9384}


def _selects(database: Database, work) -> tuple[list[str], object]:  # type: ignore[no-untyped-def]
    """The SELECTs ``work`` sends: through SQLAlchemy's execution, and as prebuilt statements
    on the driver's cursor (:class:`Prepared`, which bypasses SQLAlchemy's events)."""
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    original = Prepared.execute

    def prepared(self, cursor, values=None) -> None:  # type: ignore[no-untyped-def]
        seen(None, cursor, self.sql)
        original(self, cursor, values)

    event.listen(database.engine, "before_cursor_execute", seen)
    Prepared.execute = prepared  # type: ignore[method-assign]
    try:
        result = work()
    finally:
        Prepared.execute = original  # type: ignore[method-assign]
        event.remove(database.engine, "before_cursor_execute", seen)
    return statements, result


def test_a_session_and_a_token_resolve_with_user_and_roles_in_one_query(
        database: Database, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user("one.query", Role.OFFICER, Role.DISPATCHER)
    with database.session() as session:
        accounts = AccountService(session)
        cookie = accounts.start_session(accounts.get_user(user.id)).token
        token = accounts.issue_token(accounts.get_user(user.id), "t").token
    for resolve in (lambda a: a.resolve_session(cookie), lambda a: a.resolve_token_record(token)):
        with database.session() as session:
            accounts = AccountService(session)

            def work(accounts=accounts, resolve=resolve):  # type: ignore[no-untyped-def]
                record = resolve(accounts)
                return record.user.username, record.user.roles  # no lazy load after it

            statements, (name, roles) = _selects(database, work)
        assert name == "one.query"
        assert roles == {Role.OFFICER, Role.DISPATCHER}
        assert len(statements) == 1, statements


def test_every_refusal_holds_from_the_next_request(client, make_user, database) -> None:  # type: ignore[no-untyped-def]
    user = make_user("next.request", Role.DISPATCHER)
    csrf = login(client, "next.request")
    headers = {"X-CSRF-Token": csrf, "Accept": "application/json"}
    assert client.post("/api/v1/dispatch/incidents", json=INCIDENT,
                       headers=headers).status_code == 201
    # A role taken away: the next call is refused (403), and nothing is written.
    with database.session() as session:
        accounts = AccountService(session)
        accounts.set_roles(accounts.get_user(user.id), {Role.INTERPRETER})
    assert client.post("/api/v1/dispatch/incidents", json=INCIDENT,
                       headers=headers).status_code == 403
    with database.session() as session:
        accounts = AccountService(session)
        accounts.set_roles(accounts.get_user(user.id), {Role.DISPATCHER})
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    # The session expires.
    with database.session() as session:
        session.execute(update(WebSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    # A new session, then its user is deactivated.
    csrf = login(client, "next.request")
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    with database.session() as session:
        session.get(type(user), user.id).active = False
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_a_revoked_token_is_refused_at_its_next_use(client, make_user, database) -> None:  # type: ignore[no-untyped-def]
    user = make_user("token.user", Role.DISPATCHER)
    with database.session() as session:
        accounts = AccountService(session)
        issued = accounts.issue_token(accounts.get_user(user.id), "t")
    headers = {"Authorization": f"Bearer {issued.token}"}
    assert client.post("/api/v1/dispatch/incidents", json=INCIDENT,
                       headers=headers).status_code == 201
    with database.session() as session:
        accounts = AccountService(session)
        accounts.revoke_token(accounts.get_user(user.id), issued.record.id)
    refused = client.post("/api/v1/dispatch/incidents", json=INCIDENT, headers=headers)
    assert refused.status_code == 401
    assert refused.json() == {"detail": "Invalid or revoked API token."}


def test_a_session_already_in_use_resolves_a_cookie_to_its_own_user(
        database: Database, make_user) -> None:  # type: ignore[no-untyped-def]
    """Requests resolve their cookie on a fresh session (one prebuilt read); a session that has
    loaded objects already keeps to them, so the same user is one object, not two."""
    user = make_user("in.use", Role.OFFICER)
    with database.session() as session:
        accounts = AccountService(session)
        loaded = accounts.get_user(user.id)
        cookie = accounts.start_session(loaded).token
        session.commit()  # no transaction open, but the user is loaded
        record = accounts.resolve_session(cookie)
        assert record is not None and record.user is loaded
