"""The ``accord`` command line. A thin shell over the same services the web app calls."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from accord.config import get_settings

app = typer.Typer(help="Accord: governed AI for foreign-related police work.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
users_app = typer.Typer(help="User accounts.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo data.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(demo_app, name="demo")


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply all schema migrations (safe to run again)."""
    from accord.core import migrate

    settings = get_settings()
    settings.ensure_state_dir()
    url = settings.resolved_database_url
    try:
        migrate.upgrade(url)
    except Exception as error:
        raise fail(f"could not migrate the database: {error}") from None
    typer.echo(f"database at revision {migrate.current_revision(url)}")


@users_app.command("create")
def users_create(
    username: str,
    role: Annotated[list[str], typer.Option("--role", "-r", help="Role; repeat for several.")],
    password: Annotated[str | None, typer.Option(
        help="Initial password; prompted for when omitted (or read from ACCORD_NEW_PASSWORD).",
        envvar="ACCORD_NEW_PASSWORD")] = None,
    display_name: Annotated[str, typer.Option("--name")] = "",
    language: Annotated[str, typer.Option()] = "zh_Hans",
) -> None:
    """Create a user with one or more roles."""
    from accord.core.accounts import AccountService
    from accord.core.errors import AccordError
    from accord.core.roles import parse_roles
    from accord.core.runtime import get_database

    try:
        roles = parse_roles(role)
    except ValueError as error:
        raise fail(str(error)) from None
    if password is None:
        if not sys.stdin.isatty():
            raise fail("no password given: use --password, ACCORD_NEW_PASSWORD or a terminal")
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with get_database().session() as session:
            user = AccountService(session).create_user(
                username, password, roles, display_name=display_name, language=language
            )
            typer.echo(f"created {user.username} with roles {', '.join(sorted(user.roles))}")
    except AccordError as error:
        raise fail(str(error)) from None


@users_app.command("list")
def users_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List users and their roles."""
    from accord.core.accounts import AccountService
    from accord.core.runtime import get_database

    with get_database().session() as session:
        rows = [
            {"username": u.username, "roles": sorted(u.roles), "active": u.active,
             "language": u.language}
            for u in AccountService(session).list_users()
        ]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        state = "" if row["active"] else " (inactive)"
        typer.echo(f"{row['username']:<24} {', '.join(row['roles'])}{state}")


@demo_app.command("load")
def demo_load() -> None:
    """Create the demo users (one per role); prints their log-ins. Safe to run again."""
    from accord.core.runtime import get_database
    from accord.demo import load_demo

    settings = get_settings()
    logins = load_demo(get_database(), settings.ensure_state_dir())
    typer.echo("Demo log-ins (passwords are kept in "
               f"{settings.state_dir / 'demo-credentials.json'}):")
    for login in logins:
        note = " (new)" if login.created else ""
        typer.echo(f"  {login.username:<20} {login.password}{note}")


@app.command("serve")
def serve(
    host: Annotated[str | None, typer.Option(help="Default: ACCORD_HOST or 127.0.0.1")] = None,
    port: Annotated[int | None, typer.Option(help="Default: ACCORD_PORT or 8000")] = None,
) -> None:
    """Run the web server (with the embedded queue worker unless disabled)."""
    import uvicorn

    from accord.core import migrate
    from accord.core.logging import configure_logging

    settings = get_settings()
    url = settings.resolved_database_url
    try:
        current = migrate.current_revision(url)
        head = migrate.head_revision(url)
    except Exception as error:
        raise fail(f"database not reachable: {error}") from None
    if current != head:
        raise fail(f"database schema is at {current}, code expects {head}: "
                   "run `accord db upgrade` first")
    configure_logging(settings.log_level)
    host = host or settings.host
    port = port or settings.port
    typer.echo(f"Accord is serving on http://{host}:{port}/", err=True)
    uvicorn.run("accord.web.app:create_app", factory=True, host=host, port=port,
                proxy_headers=False, log_config=None, access_log=False)


@app.command("worker")
def worker(workers: Annotated[int, typer.Option()] = 2) -> None:
    """Run queue workers as a separate process (set ACCORD_EMBEDDED_WORKER=false on the server)."""
    import accord.core.accounts.jobs  # noqa: F401  (registers handlers)
    from accord.core.jobs import get_queue
    from accord.core.logging import configure_logging

    configure_logging(get_settings().log_level)
    consumer = get_queue().huey.create_consumer(workers=workers, worker_type="thread")
    consumer.run()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
