"""The ``accord`` command line. A thin shell over the same services the web app calls."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from accord.config import Settings, get_settings
from accord.core.commandline import UserOption, caller_for, fail

app = typer.Typer(help="Accord: governed AI for foreign-related police work.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
users_app = typer.Typer(help="User accounts.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo data.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(demo_app, name="demo")
ledger_app = typer.Typer(help="The tamper-evident decision ledger.", no_args_is_help=True)
proof_app = typer.Typer(help="Merkle proofs (RFC 9162).", no_args_is_help=True)
capabilities_app = typer.Typer(help="The capability registry and stop control.",
                               no_args_is_help=True)
app.add_typer(ledger_app, name="ledger")
ledger_app.add_typer(proof_app, name="proof")
app.add_typer(capabilities_app, name="capabilities")


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


@app.command("backup")
def backup_command(
    directory: Annotated[Path, typer.Argument(help="A new or empty directory.")],
) -> None:
    """Back up the database (online), the blob store and the keys into DIRECTORY."""
    from accord.core.backup import backup
    from accord.core.errors import AccordError

    try:
        summary = backup(get_settings(), directory)
    except AccordError as error:
        raise fail(str(error)) from None
    typer.echo(f"backed up {summary.dialect} database at revision {summary.revision}, "
               f"{summary.files} files, ledger of {summary.ledger_size} entries, latest signed "
               f"checkpoint {summary.checkpoint_size} ({summary.checkpoint_root or 'none'}) "
               f"into {summary.directory}")


@app.command("restore")
def restore_command(
    directory: Annotated[Path, typer.Argument(help="A directory written by `accord backup`.")],
) -> None:
    """Restore a backup into an EMPTY installation, then verify the ledger and compare the
    latest signed checkpoint with the backup's."""
    from accord.core.backup import restore
    from accord.core.errors import AccordError

    settings = get_settings()
    settings.ensure_state_dir()
    try:
        summary = restore(settings, directory)
    except AccordError as error:
        raise fail(str(error)) from None
    typer.echo(f"restored {summary.dialect} database at revision {summary.revision} and "
               f"{summary.files - 1} files")
    typer.echo(f"latest signed checkpoint: {summary.checkpoint_size} "
               f"({summary.checkpoint_root or 'none'})")
    if not summary.ledger_ok:
        raise fail(f"the restored ledger does not verify: {summary.ledger_reason}")
    if not summary.checkpoint_matches:
        raise fail("the restored ledger lacks the checkpoint the backup recorded")
    typer.echo("ledger verifies; the backup's checkpoint is present with the same root")


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


@users_app.command("unlock")
def users_unlock(username: str) -> None:
    """Clear log-in throttling for USERNAME on every client (e.g. after an attack)."""
    import logging

    from accord.core.accounts import AccountService
    from accord.core.runtime import get_database

    name = username.strip().lower()
    with get_database().session() as session:
        cleared = AccountService(session).unlock(name)
    # No audit trail exists for user administration; the log records the unlock.
    logging.getLogger("accord.accounts").info(
        "log-in throttling cleared", extra={"actor": "cli", "username": name, "cleared": cleared})
    typer.echo(f"cleared {cleared} failed log-ins for {name}")


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
    from accord.demo import load_demo, send_demo_calls

    settings = get_settings()
    logins = load_demo(get_database(), settings.ensure_state_dir())
    written = send_demo_calls(logins)
    if written:
        typer.echo(f"Sent demo calls through the governed gateway: {written} ledger entries, "
                   "checkpoint signed and witnessed.")
    typer.echo("Demo log-ins (passwords are kept in "
               f"{settings.state_dir / 'demo-credentials.json'}):")
    for login in logins:
        note = " (new)" if login.created else ""
        typer.echo(f"  {login.username:<20} {login.password}{note}")
    typer.echo("High-risk capabilities (dispatch suggestions, forecasting, inconsistency hints) "
               "stay refused until demo-dpo approves their assessments at /dpo/assessments.")


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
    configure_logging(settings.log_level, settings.log_file)
    host = host or settings.host
    port = port or settings.port
    for line in startup_lines(settings, host, port):
        typer.echo(line, err=True)
    uvicorn.run("accord.assembly:create_app", factory=True, host=host, port=port,
                proxy_headers=False, log_config=None, access_log=False)


def startup_lines(settings: Settings, host: str, port: int) -> list[str]:
    """What a person starting the server needs: where it is, how to log in, where the
    one-time codes of the rights portal go (no mail server is configured), where the log is."""
    state = settings.state_dir
    lines = [f"Accord is serving on http://{host}:{port}/"]
    credentials = state / "demo-credentials.json"
    if credentials.exists():
        lines.append(f"Log in with a demo account: names and passwords in {credentials}")
    else:
        lines.append("Log in with an account made by `accord users create` "
                     "(or load the demo: `accord demo load`)")
    lines.append(f"One-time codes for the public rights portal are written to {state / 'outbox'}/")
    lines.append(f"Server log: {settings.log_file or 'standard error'}")
    return lines


@app.command("worker")
def worker(workers: Annotated[int, typer.Option()] = 2) -> None:
    """Run queue workers as a separate process (set ACCORD_EMBEDDED_WORKER=false on the server)."""
    from accord.core.jobs import get_queue, load_job_modules
    from accord.core.logging import configure_logging

    configure_logging(get_settings().log_level, get_settings().log_file)
    load_job_modules()
    consumer = get_queue().huey.create_consumer(workers=workers, worker_type="thread")
    consumer.run()


@capabilities_app.command("list")
def capabilities_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List registered capabilities, their risk tier and whether they are suspended."""
    from accord.core.governance import get_governance

    governance = get_governance()
    rows = []
    for capability in governance.registry.all():
        suspended, reason = governance.gateway.suspension(capability.id)
        rows.append({"id": capability.id, "version": capability.version,
                     "risk_tier": capability.risk_tier.value, "suspended": suspended,
                     "reason": reason, "review_required": capability.review_required})
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        state = f"SUSPENDED: {row['reason']}" if row["suspended"] else ""
        typer.echo(f"{row['id']:<36} {row['version']:<8} {row['risk_tier']:<11} {state}")


def _set_suspended(capability_id: str, suspended: bool, user: str, reason: str) -> None:
    from accord.core.errors import AccordError
    from accord.core.governance import get_governance

    _, caller = caller_for(user)
    if not ({"supervisor", "admin"} & caller.roles):
        raise fail("only a supervisor or an admin may suspend or resume a capability")
    try:
        seq = get_governance().gateway.set_suspended(capability_id, suspended,
                                                     caller, reason)
    except AccordError as error:
        raise fail(str(error)) from None
    typer.echo(f"{capability_id} {'suspended' if suspended else 'resumed'} "
               f"[ledger entry {seq}]")


@capabilities_app.command("suspend")
def capabilities_suspend(capability_id: str, reason: Annotated[str, typer.Option()],
                         user: UserOption = "") -> None:
    """Stop control: refuse every further call to a capability until resumed."""
    _set_suspended(capability_id, True, user, reason)


@capabilities_app.command("resume")
def capabilities_resume(capability_id: str, user: UserOption = "",
                        reason: Annotated[str, typer.Option()] = "") -> None:
    """Lift a suspension."""
    _set_suspended(capability_id, False, user, reason)


@ledger_app.command("verify")
def ledger_verify(
    export: Annotated[Path | None, typer.Option(
        "--export", help="Verify an export directory offline (no database), as an auditor.")]
    = None,
    witnessed_size: Annotated[int | None, typer.Option(
        "--witnessed-size", help="With --export: the tree size the witness is known to have "
        "cosigned; an export holding less fails.")] = None,
    known_checkpoint: Annotated[Path | None, typer.Option(
        "--checkpoint", help="With --export: a checkpoint note published earlier (e.g. saved "
        "from /ledger/checkpoint); the export must contain it.")] = None,
) -> None:
    """Recompute the whole ledger, check every signed checkpoint, the witness's memory and every
    decision row against its entry; non-zero on tampering."""
    if export is not None:
        _verify_export(export, witnessed_size, known_checkpoint)
        return
    from accord.core.governance import get_governance

    governance = get_governance()
    result = governance.ledger.verify(governance.witness_signer().verifier())
    if not result.ok:
        where = ("" if result.first_bad_seq is None
                 else f" (first bad entry: {result.first_bad_seq})")
        raise fail(f"ledger verification FAILED{where}: {result.reason}")
    typer.echo(f"ledger OK: {result.size} entries, {result.checkpoints} signed checkpoints, "
               f"verified in {result.seconds:.2f} s")
    for warning in result.warnings:
        typer.echo(f"note: {warning}")


def _verify_export(export: Path, witnessed_size: int | None,
                   known_checkpoint: Path | None) -> None:
    """Offline verification, held to what is known from outside the export: the auditor's
    published checkpoint or size, and — when this machine's database is reachable and holds
    the same log — the checkpoints it signed and the witness cosigned."""
    from accord.core.ledger.export import PUBLIC_KEY_FILE, verify_export
    from accord.core.ledger.note import NoteError, NoteVerifier, open_note

    known: list[str] = []
    if known_checkpoint is not None:
        known.append(known_checkpoint.read_text(encoding="utf-8"))
    notes: list[str] = []
    try:
        from accord.core.ledger.store import known_checkpoint_notes
        from accord.core.runtime import get_database

        notes, remembered = known_checkpoint_notes(get_database())
    except Exception:  # no database here: the auditor's case
        notes, remembered = [], None
    try:
        log_key = NoteVerifier((export / PUBLIC_KEY_FILE).read_text().split("\n", 1)[0])
    except (OSError, NoteError):
        log_key = None
    for note in notes:
        try:
            if log_key is not None:
                open_note(note, [log_key])
                known.append(note)  # the same log: the export must hold what it signed
        except NoteError:
            pass  # the database here belongs to another log
    if notes and len(known) > (known_checkpoint is not None) and remembered is not None:
        witnessed_size = max(witnessed_size or 0, remembered)  # the witness's memory
    report = verify_export(export, known=known, witnessed_size=witnessed_size)
    typer.echo(report.summary())
    raise typer.Exit(0 if report.ok else 1)


@ledger_app.command("checkpoint")
def ledger_checkpoint() -> None:
    """Sign a checkpoint for the current tree and print it."""
    from accord.core.governance import get_governance

    latest = get_governance().ledger.checkpoint()
    if latest is None:
        raise fail("the ledger is empty")
    typer.echo(latest.note, nl=False)


@ledger_app.command("witness")
def ledger_witness(user: UserOption = "") -> None:
    """Act as the oversight witness (DPO): cosign the latest checkpoint if consistent."""
    from accord.core.governance import get_governance

    _, caller = caller_for(user)
    if "dpo" not in caller.roles:
        raise fail("only a data-protection officer (dpo) holds the witness key")
    governance = get_governance()
    outcome = governance.ledger.witness(governance.witness_signer(),
                                        caller.user_id)
    if not outcome.cosigned:
        raise fail(f"witness REFUSED checkpoint {outcome.size}: {outcome.reason}")
    typer.echo(f"witness cosigned checkpoint {outcome.size}")


@proof_app.command("inclusion")
def proof_inclusion(seq: int, size: Annotated[int | None, typer.Option()] = None) -> None:
    """Inclusion proof for entry SEQ in the tree of SIZE (default: latest checkpoint)."""
    from accord.core.governance import get_governance

    ledger = get_governance().ledger
    latest = ledger.checkpoint()
    size = size or (latest.size if latest else 0)
    try:
        proof = ledger.inclusion_proof(seq, size)
    except ValueError as error:
        raise fail(str(error)) from None
    typer.echo(json.dumps(proof, indent=2))


@proof_app.command("consistency")
def proof_consistency(old: int, new: int) -> None:
    """Consistency proof between tree sizes OLD and NEW."""
    from accord.core.governance import get_governance

    try:
        proof = get_governance().ledger.consistency_proof(old, new)
    except ValueError as error:
        raise fail(str(error)) from None
    typer.echo(json.dumps(proof, indent=2))


@ledger_app.command("export")
def ledger_export(directory: Path) -> None:
    """Write entries.jsonl, checkpoints.txt and public.key for an outside auditor."""
    from accord.core.governance import get_governance

    governance = get_governance()
    witness_key = governance.witness_signer().verifier_key()
    path = governance.ledger.export(directory, (witness_key,))
    typer.echo(f"exported to {path}; check it with: accord ledger verify --export {path}")


# The capability packages' own commands (``accord cases …``, ``accord forecast …``): added by
# the assembly module, which lists the packages. Imported last: they build on the app above.
from accord.assembly import attach_cli  # noqa: E402

attach_cli(app)


def main() -> None:
    """The ``accord`` command: the Typer app, with a plain message for a database that was never
    migrated (a first run that skipped ``accord db upgrade`` otherwise ends in a traceback)."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    try:
        app()
    except (OperationalError, ProgrammingError) as error:
        text = str(error.orig)
        if "no such table" not in text and "does not exist" not in text:
            raise
        from accord.config import get_settings

        url = get_settings().resolved_database_url
        typer.echo(f"error: the database ({_redacted(url)}) has no Accord tables yet: run "
                   "`accord db upgrade` first", err=True)
        raise SystemExit(2) from None


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":
    main()
