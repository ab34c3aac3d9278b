"""The ``accord`` command line as a user runs it, against this test's database.

Most commands run in-process through Typer's test runner: a fresh ``accord`` process spends
seconds importing the capability packages, which made these files the slowest of the suite.
The tests about the entry point itself (the plain message for an unmigrated database, ``serve``)
start the real executable with :func:`run_process`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from accord.cli import app

ACCORD = str(Path(sys.executable).parent / "accord")


@dataclass(frozen=True)
class Ran:
    """What a shell would see of one command: its exit status and its two output streams."""

    returncode: int
    stdout: str
    stderr: str


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> Ran:
    """Run ``accord ARGS`` in this process with ENV set, as the shell would.

    Settings and database handles are dropped before and after, so the command reads ENV as a new
    process would. An exception the command did not turn into an exit status fails the test: a
    user would have seen a traceback.
    """
    from tests.conftest import _reset_process_state

    _reset_process_state()
    try:
        result = CliRunner().invoke(app, list(args), env=env, input=stdin)
    finally:
        _reset_process_state()
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Ran(result.exit_code, result.stdout, result.stderr)


def run_process(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """Run the installed ``accord`` executable, for what only a real process shows."""
    return subprocess.run([ACCORD, *args], env={**os.environ, **env}, capture_output=True,
                          text=True, timeout=120)


def test_db_upgrade_is_idempotent(accord_env) -> None:
    first = run(accord_env, "db", "upgrade")
    second = run(accord_env, "db", "upgrade")
    assert first.returncode == second.returncode == 0, first.stderr
    from accord.core import migrate

    head = migrate.head_revision(accord_env["ACCORD_DATABASE_URL"])
    assert f"database at revision {head}" in second.stdout


def test_users_create_and_list(accord_env) -> None:
    created = run(accord_env, "users", "create", "li.wei", "--role", "officer", "--role",
                  "interpreter", "--password", "a-long-password")
    assert created.returncode == 0, created.stderr
    listed = json.loads(run(accord_env, "users", "list", "--json").stdout)
    assert listed == [{"username": "li.wei", "roles": ["interpreter", "officer"],
                       "active": True, "language": "zh_Hans"}]


def test_users_create_rejects_bad_input_with_exit_code_and_message(accord_env) -> None:
    unknown_role = run(accord_env, "users", "create", "li.wei", "--role", "sheriff",
                       "--password", "a-long-password")
    assert unknown_role.returncode != 0
    assert "unknown role 'sheriff'" in unknown_role.stderr
    short = run(accord_env, "users", "create", "li.wei", "--role", "officer",
                "--password", "short")
    assert short.returncode != 0 and "at least 10 characters" in short.stderr
    no_password = run(accord_env, "users", "create", "li.wei", "--role", "officer", stdin="")
    assert no_password.returncode != 0 and "no password given" in no_password.stderr
    run(accord_env, "users", "create", "li.wei", "--role", "officer",
        "--password", "a-long-password")
    duplicate = run(accord_env, "users", "create", "li.wei", "--role", "admin",
                    "--password", "another-long-one")
    assert duplicate.returncode != 0 and "taken" in duplicate.stderr
    listed = json.loads(run(accord_env, "users", "list", "--json").stdout)
    assert [u["roles"] for u in listed] == [["officer"]]


def test_demo_load_creates_one_user_per_role_and_is_idempotent(accord_env) -> None:
    first = run(accord_env, "demo", "load")
    second = run(accord_env, "demo", "load")
    assert first.returncode == second.returncode == 0, first.stderr
    assert first.stdout.count("(new)") == 9 and "(new)" not in second.stdout
    assert "Sent demo calls through the governed gateway" in first.stdout
    assert "Sent demo calls" not in second.stdout  # the ledger already has them
    # Same passwords on the second run: they are kept in the state directory, not the repo.
    logins = [line for line in first.stdout.splitlines() if line.startswith("  demo-")]
    assert [line.replace(" (new)", "") for line in logins] == \
        [line for line in second.stdout.splitlines() if line.startswith("  demo-")]
    users = json.loads(run(accord_env, "users", "list", "--json").stdout)
    assert {u["username"] for u in users} == {
        "demo-officer", "demo-supervisor", "demo-interpreter", "demo-analyst", "demo-dpo",
        "demo-legal", "demo-auditor", "demo-dispatcher", "demo-admin"}
    # Synthetic case files for demo-officer, made once (the second run adds none).
    listed = json.loads(run(accord_env, "cases", "search", "passport", "--json").stdout)
    assert listed, "demo cases are searchable"
    credentials = Path(accord_env["ACCORD_STATE_DIR"]) / "demo-credentials.json"
    assert oct(credentials.stat().st_mode & 0o777) == "0o600"


def test_demo_passwords_gain_a_role_added_later_and_keep_the_others(tmp_path) -> None:
    """A state directory from before the dispatcher role: the new demo account's password is
    added to the kept file (else each load would print a different one), the others stay."""
    from accord.demo import _load_or_create_passwords

    path = tmp_path / "demo-credentials.json"
    path.write_text(json.dumps({"demo-officer": "kept-password"}))
    first = _load_or_create_passwords(tmp_path)
    assert first["demo-officer"] == "kept-password" and first["demo-dispatcher"]
    assert json.loads(path.read_text()) == first == _load_or_create_passwords(tmp_path)
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_serve_refuses_an_unmigrated_database(accord_env, tmp_path) -> None:
    env = {**accord_env, "ACCORD_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}"}
    result = run_process(env, "serve", "--port", "1")
    assert result.returncode != 0
    assert "accord db upgrade" in result.stderr


def test_dpo_records_assessments_that_open_a_high_risk_capability(accord_env) -> None:
    run(accord_env, "demo", "load")
    listed = json.loads(run(accord_env, "assessments", "list", "--json").stdout)
    assert {r["capability"]: r["cleared"] for r in listed}["cases.inconsistency"] is False
    officer = run(accord_env, "assessments", "record", "cases.inconsistency", "--kind", "all",
                  "--outcome", "approved", "--summary", "s", "--user", "demo-officer")
    assert officer.returncode == 1 and "data-protection officer" in officer.stderr
    bad = run(accord_env, "assessments", "record", "cases.inconsistency", "--kind", "dpia",
              "--outcome", "maybe", "--summary", "s", "--user", "demo-dpo")
    assert bad.returncode == 1 and "approved or rejected" in bad.stderr
    done = run(accord_env, "assessments", "record", "cases.inconsistency", "--kind", "all",
               "--outcome", "approved", "--summary", "Reviewed hints on test data",
               "--user", "demo-dpo")
    assert done.returncode == 0 and done.stdout.count("ledger entry") == 3
    listed = json.loads(run(accord_env, "assessments", "list", "--json").stdout)
    assert {r["capability"]: r["cleared"] for r in listed}["cases.inconsistency"] is True


def test_a_database_never_migrated_gets_a_plain_message(tmp_path: Path) -> None:
    """A first run that skipped `accord db upgrade` is told so, not shown a traceback."""
    env = {"ACCORD_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
           "ACCORD_STATE_DIR": str(tmp_path / "var")}
    for args in (("ledger", "verify"), ("demo", "load")):
        result = run_process(env, *args)
        assert result.returncode == 2, result.stderr
        assert "has no Accord tables yet: run `accord db upgrade`" in result.stderr
        assert "Traceback" not in result.stderr


def test_the_server_start_says_where_to_go_and_where_things_are(tmp_path: Path) -> None:
    from accord.cli import startup_lines
    from accord.config import Settings

    settings = Settings(state_dir=tmp_path, log_file=str(tmp_path / "accord.log"))
    first = startup_lines(settings, "127.0.0.1", 8000)
    assert first[0] == "Accord is serving on http://127.0.0.1:8000/"
    assert "accord users create" in first[1]  # no demo loaded: how to get an account
    assert first[2].endswith(f"{tmp_path / 'outbox'}/") and first[3].endswith("accord.log")
    (tmp_path / "demo-credentials.json").write_text("{}")
    assert str(tmp_path / "demo-credentials.json") in startup_lines(settings, "h", 1)[1]


def test_the_log_goes_to_the_file_when_one_is_set(tmp_path: Path) -> None:
    import logging

    from accord.core.logging import configure_logging

    log = tmp_path / "logs" / "accord.log"
    try:
        configure_logging("INFO", str(log))
        logging.getLogger("accord").info("queue consumer started")
        for handler in logging.getLogger().handlers:
            handler.flush()
        line = json.loads(log.read_text().splitlines()[-1])
        assert line["message"] == "queue consumer started" and line["level"] == "info"
    finally:
        configure_logging("WARNING")
