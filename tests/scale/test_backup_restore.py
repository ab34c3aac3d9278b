"""Restore drill: ``accord backup DIR`` then ``accord restore DIR`` into an empty installation
gives the same latest signed checkpoint, a verifying ledger, the same keys and the blobs; a
damaged backup or a non-empty target is refused before anything is written. SQLite and
PostgreSQL (pg_dump / pg_restore)."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from accord.config import get_settings, reset_settings_cache
from accord.core.backup import BackupError, backup, restore
from accord.core.blobs import BlobStore
from accord.core.governance import get_governance, reset_governance
from accord.core.runtime import reset_runtime
from tests.conftest import PG_URL

_names = itertools.count()


def _use(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    """Switch this process to the installation ``env`` describes."""
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    reset_settings_cache()
    reset_runtime()
    reset_governance()


def run(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], *args: str) -> Result:
    """The ``accord`` command, in this process (a fresh interpreter costs seconds)."""
    from accord.cli import app

    _use(monkeypatch, env)
    return CliRunner().invoke(app, list(args))


@pytest.fixture
def empty_target(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The settings of a second, empty installation: new state directory, empty database."""
    state = tmp_path / "restored"
    if PG_URL:
        name = f"accord_restore_{os.getpid()}_{next(_names)}"
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        yield {"ACCORD_DATABASE_URL": url, "ACCORD_STATE_DIR": str(state)}
        reset_runtime()
        reset_governance()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        yield {"ACCORD_DATABASE_URL": f"sqlite:///{state / 'accord.sqlite3'}",
               "ACCORD_STATE_DIR": str(state)}


def _fill(count: int) -> str:
    governance = get_governance()
    for number in range(count):
        governance.ledger.append_now("decision", {"actor": "user:1",
                                                  "explanation": f"entry {number}"})
    governance.ledger.checkpoint()
    return BlobStore.for_state_dir(get_settings().ensure_state_dir()).put(b"evidence bytes")


def test_backup_then_restore_into_an_empty_installation(
        accord_env: dict[str, str], empty_target: dict[str, str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    blob = _fill(30)
    before = get_governance().ledger.latest_checkpoint()
    public_key = get_governance().ledger.public_key
    assert before is not None and before.size == 30
    # Entries after the last checkpoint are backed up too (and stay unsigned).
    get_governance().ledger.append_now("decision", {"actor": "user:1", "explanation": "late"})

    directory = tmp_path / "backup"
    made = run(monkeypatch, accord_env, "backup", str(directory))
    assert made.exit_code == 0, made.output
    assert f"latest signed checkpoint 30 ({before.root_hash})" in made.output

    restored = run(monkeypatch, empty_target, "restore", str(directory))
    assert restored.exit_code == 0, restored.output
    assert f"latest signed checkpoint: 30 ({before.root_hash})" in restored.output
    assert "ledger verifies" in restored.output

    # Read the restored installation directly, as the restored service would.
    _use(monkeypatch, empty_target)
    ledger = get_governance().ledger
    after = ledger.latest_checkpoint()
    assert after is not None and (after.size, after.note) == (before.size, before.note)
    assert ledger.size() == 31
    assert ledger.public_key == public_key  # the same signing key, not a new one
    assert ledger.verify().ok
    store = BlobStore.for_state_dir(Path(empty_target["ACCORD_STATE_DIR"]))
    assert store.get(blob) == b"evidence bytes"


def test_damaged_backup_and_non_empty_target_are_refused(
        accord_env: dict[str, str], empty_target: dict[str, str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    _fill(3)
    directory = tmp_path / "backup"
    backup(get_settings(), directory)
    with pytest.raises(BackupError, match="not empty"):
        backup(get_settings(), directory)
    # Into the installation it came from: its database has tables.
    with pytest.raises(BackupError, match="database is not empty"):
        restore(get_settings(), directory)

    blob = next((directory / "state" / "blobs").rglob("*"))
    while blob.is_dir():
        blob = next(blob.iterdir())
    blob.write_bytes(blob.read_bytes() + b"!")
    _use(monkeypatch, empty_target)
    with pytest.raises(BackupError, match="damaged"):
        restore(get_settings(), directory)
    assert not Path(empty_target["ACCORD_STATE_DIR"], "ledger.key").exists()  # nothing written


def test_backup_leaves_out_the_database_files_and_the_writers_turn(tmp_path: Path) -> None:
    """The default installation keeps its SQLite file in the state directory: the database is
    copied through the online backup API, so its raw file, journal files and the writers' turn
    file (``<database>-writers``, whose lock orders SQLite writers on this machine) are not
    copied as state files; the keys and blobs are."""
    from accord.core.backup import _state_files

    state = tmp_path / "var"
    (state / "blobs").mkdir(parents=True)
    for name in ("accord.sqlite3", "accord.sqlite3-wal", "accord.sqlite3-writers",
                 "ledger.key", "blobs/ab12"):
        (state / name).write_bytes(b"x")
    copied = {str(path) for path in _state_files(state, state / "accord.sqlite3")}
    assert copied == {"ledger.key", "blobs/ab12"}
