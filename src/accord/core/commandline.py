"""What every ``accord`` command shares: acting as a named user, and failing with a message.

The root command line (``accord.cli``) and each capability package's commands use these, so a
capability's CLI module depends on core only, never on the root CLI that assembles it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from accord.core.accounts import User
    from accord.core.gateway.service import Caller

UserOption = Annotated[str, typer.Option("--user", envvar="ACCORD_USER",
                                         help="Act as this user (default: ACCORD_USER).")]


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``error: message`` on stderr; raise the returned Exit to stop with ``code``."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def caller_for(username: str) -> tuple[User, Caller]:
    """Resolve ``--user`` to an active account and a gateway Caller."""
    from accord.core.accounts import AccountService
    from accord.core.gateway.service import Caller
    from accord.core.runtime import get_database

    if not username:
        raise fail("no user: pass --user NAME or set ACCORD_USER")
    with get_database().session() as session:
        user = AccountService(session).find_user(username)
        if user is None or not user.active:
            raise fail(f"no active user named {username!r}")
        caller = Caller(user_id=user.id, username=user.username,
                        roles=frozenset(str(r) for r in user.roles))
        return user, caller


def require_dpo(username: str) -> Caller:
    """The caller, if a data-protection officer or an admin."""
    _, caller = caller_for(username)
    if not ({"dpo", "admin"} & caller.roles):
        raise fail("only a data-protection officer or an admin may do this")
    return caller
