"""Backup and restore of one installation: the database, the blob store and the keys.

``accord backup DIR`` writes, while the service runs:

- the database — SQLite through its online backup API (a consistent copy even while writers
  commit; copying the file is not), PostgreSQL with ``pg_dump --format=custom``;
- the state directory (blob store, the ledger and witness keys, the secret key, spooled mail,
  forecasts), without the database and the queue (transient, rebuilt on start);
- ``manifest.json``: what was copied with each file's SHA-256, the schema revision and the
  latest signed checkpoint at the time of the copy.

``accord restore DIR`` restores into an EMPTY state — a database without tables and a state
directory without conflicting files — after checking every file against the manifest, so a
damaged backup is refused before anything is written. It then verifies the restored ledger
and compares its latest signed checkpoint with the manifest's. Restoring over live data is
refused: that is a different operation (and a dangerous one).

The database copy and the state directory copy are taken one after the other; blobs are
content-addressed and written before the rows that name them, so a blob written in between is
at worst an unreferenced extra file.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from accord.config import Settings
from accord.core.errors import ValidationFailed
from accord.core.i18n import M_

MANIFEST = "manifest.json"
SQLITE_COPY = "database.sqlite3"
PG_DUMP = "database.pgdump"
STATE = "state"
FORMAT = 1
#: Transient files of the state directory that a backup leaves out (rebuilt on start).
TRANSIENT = ("queue.sqlite3", "queue.sqlite3-wal", "queue.sqlite3-shm")


class BackupError(ValidationFailed):
    message = "%(detail)s"


@dataclass(frozen=True)
class BackupSummary:
    directory: Path
    dialect: str
    revision: str
    files: int
    ledger_size: int
    checkpoint_size: int
    checkpoint_root: str


@dataclass(frozen=True)
class RestoreSummary:
    dialect: str
    revision: str
    files: int
    ledger_ok: bool
    ledger_reason: str
    checkpoint_size: int
    checkpoint_root: str
    checkpoint_matches: bool


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError(detail=M_("an in-memory SQLite database cannot be backed up"))
    return Path(database)


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
                        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name
                        .isdigit() else 0)
    if not candidates:
        raise BackupError(detail=M_("%(name)s not found: install postgresql-client", name=name))
    return str(candidates[-1])


def _libpq(url: str) -> tuple[list[str], dict[str, str]]:
    """``url`` (SQLAlchemy form) as libpq options for pg_dump/pg_restore; the password goes
    in the environment, not on the command line."""
    parsed = make_url(url)
    args: list[str] = []
    env = dict(os.environ)
    host = parsed.host or str(parsed.query.get("host", "") or "")
    port = parsed.port or parsed.query.get("port")
    if host:
        args += ["--host", host]
    if port:
        args += ["--port", str(port)]
    if parsed.username:
        args += ["--username", parsed.username]
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    args += ["--dbname", parsed.database or ""]
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(detail=M_("%(name)s failed: %(error)s",
                                    name=Path(command[0]).name, error=done.stderr.strip()[-500:]))


def _state_files(state_dir: Path, database_file: Path | None) -> list[Path]:
    skip = set(TRANSIENT)
    if database_file is not None:
        # "-writers" is the file whose lock orders SQLite writers (core.db): empty, per machine.
        skip |= {database_file.name + suffix
                 for suffix in ("", "-wal", "-shm", "-journal", "-writers")}
    files = []
    if state_dir.exists():
        for path in sorted(state_dir.rglob("*")):
            if path.is_file() and not path.is_symlink():
                relative = path.relative_to(state_dir)
                if len(relative.parts) == 1 and relative.name in skip:
                    continue
                files.append(relative)
    return files


def _ledger_head(settings: Settings) -> tuple[int, int, str]:
    from accord.core.governance import get_governance

    ledger = get_governance().ledger
    latest = ledger.latest_checkpoint()
    return (ledger.size(), latest.size if latest else 0, latest.root_hash if latest else "")


def backup(settings: Settings, directory: Path) -> BackupSummary:
    """Write a backup of this installation into ``directory`` (new or empty)."""
    from accord.core import migrate

    if directory.exists() and any(directory.iterdir()):
        raise BackupError(detail=M_("%(directory)s is not empty: back up into a new directory",
                                    directory=directory))
    url = settings.resolved_database_url
    dialect = make_url(url).get_backend_name()
    revision = migrate.current_revision(url) or ""
    # Read before the copy: the copy holds at least this ledger and this checkpoint.
    ledger_size, checkpoint_size, checkpoint_root = _ledger_head(settings)
    directory.mkdir(parents=True, exist_ok=True)
    database_file: Path | None = None
    if dialect == "sqlite":
        database_file = _sqlite_path(url)
        source = sqlite3.connect(str(database_file))
        target = sqlite3.connect(str(directory / SQLITE_COPY))
        try:
            with target:
                source.backup(target)  # online: consistent while others write
        finally:
            target.close()
            source.close()
        database_name = SQLITE_COPY
    elif dialect == "postgresql":
        args, env = _libpq(url)
        _run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--file",
              str(directory / PG_DUMP), *args], env)
        database_name = PG_DUMP
    else:
        raise BackupError(detail=M_("cannot back up a %(dialect)s database", dialect=dialect))
    state_dir = settings.state_dir
    files: dict[str, str] = {}
    for relative in _state_files(state_dir, database_file):
        target_path = directory / STATE / relative
        target_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(state_dir / relative, target_path)
        files[f"{STATE}/{relative.as_posix()}"] = _sha256(target_path)
    files[database_name] = _sha256(directory / database_name)
    manifest = {
        "format": FORMAT, "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "dialect": dialect, "database": database_name, "revision": revision,
        "ledger_size": ledger_size,
        "checkpoint": {"size": checkpoint_size, "root_hash": checkpoint_root},
        "files": files,
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return BackupSummary(directory, dialect, revision, len(files), ledger_size,
                         checkpoint_size, checkpoint_root)


def read_manifest(directory: Path) -> dict[str, Any]:
    """The manifest, with every listed file present and unchanged, or BackupError."""
    path = directory / MANIFEST
    if not path.is_file():
        raise BackupError(detail=M_("%(directory)s holds no %(manifest)s: not an Accord backup",
                                    directory=directory, manifest=MANIFEST))
    try:
        manifest: dict[str, Any] = json.loads(path.read_text())
    except ValueError as error:
        raise BackupError(detail=M_("%(manifest)s is not valid JSON: %(error)s",
                                    manifest=MANIFEST, error=error)) from None
    if manifest.get("format") != FORMAT:
        raise BackupError(detail=M_("backup format %(found)r is not %(format)s",
                                    found=manifest.get('format'), format=FORMAT))
    for name, expected in sorted(manifest.get("files", {}).items()):
        file = directory / name
        if not file.is_file():
            raise BackupError(detail=M_("the backup is incomplete: %(name)s is missing", name=name))
        if _sha256(file) != expected:
            raise BackupError(detail=M_("the backup is damaged: %(name)s does not match its "
                                        "SHA-256 in the manifest", name=name))
    return manifest


def _database_is_empty(url: str) -> bool:
    from sqlalchemy import create_engine

    if make_url(url).get_backend_name() == "sqlite":
        path = _sqlite_path(url)
        if not path.exists() or path.stat().st_size == 0:
            return True
    engine = create_engine(url)
    try:
        return not inspect(engine).get_table_names()
    finally:
        engine.dispose()


def restore(settings: Settings, directory: Path) -> RestoreSummary:
    """Restore the backup in ``directory`` into this (empty) installation and verify it."""
    manifest = read_manifest(directory)
    url = settings.resolved_database_url
    dialect = make_url(url).get_backend_name()
    if manifest["dialect"] != dialect:
        raise BackupError(detail=M_("the backup is of a %(dialect)s database; this installation "
                                    "uses %(ours)s",
                                    dialect=manifest['dialect'], ours=dialect))
    if not _database_is_empty(url):
        raise BackupError(detail=M_("the database is not empty: restore only into a new, empty "
                                    "database"))
    state_dir = settings.state_dir
    state_files = {name: digest for name, digest in manifest["files"].items()
                   if name.startswith(f"{STATE}/")}
    for name, digest in state_files.items():
        existing = state_dir / name.removeprefix(f"{STATE}/")
        if existing.exists() and _sha256(existing) != digest:
            raise BackupError(detail=M_("%(existing)s exists with other content: restore into an "
                                        "empty state directory", existing=existing))
    # Checked: now write. Database first, then the files.
    if dialect == "sqlite":
        path = _sqlite_path(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        source = sqlite3.connect(str(directory / manifest["database"]))
        target = sqlite3.connect(str(path))
        try:
            with target:
                source.backup(target)
        finally:
            target.close()
            source.close()
    else:
        args, env = _libpq(url)
        _run([_pg_tool("pg_restore"), "--no-owner", "--exit-on-error", "--single-transaction",
              *args, str(directory / manifest["database"])], env)
    for name in state_files:
        relative = name.removeprefix(f"{STATE}/")
        target_path = state_dir / relative
        target_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(directory / name, target_path)
    return _verify_restored(settings, manifest, len(state_files) + 1)


def _verify_restored(settings: Settings, manifest: dict[str, Any], files: int) -> RestoreSummary:
    from accord.core import migrate
    from accord.core.governance import get_governance, reset_governance
    from accord.core.ledger.store import LedgerService
    from accord.core.runtime import reset_runtime

    reset_runtime()
    reset_governance()  # read the restored keys and database afresh
    ledger = get_governance().ledger
    fresh = LedgerService(ledger.database, ledger.signer, ledger.origin)
    report = fresh.verify()
    checkpoints = fresh.checkpoints()
    latest = checkpoints[-1] if checkpoints else None
    size, root = (latest.size, latest.root_hash) if latest else (0, "")
    expected = manifest["checkpoint"]
    # The checkpoint the manifest names (the latest when the backup began) is in the restored
    # database with the same root; later ones may follow it, and verify() checked them all.
    matches = expected["size"] == 0 or any(
        c.size == expected["size"] and c.root_hash == expected["root_hash"] for c in checkpoints)
    return RestoreSummary(
        dialect=manifest["dialect"],
        revision=migrate.current_revision(settings.resolved_database_url) or "",
        files=files, ledger_ok=report.ok, ledger_reason=report.reason or "",
        checkpoint_size=size, checkpoint_root=root, checkpoint_matches=matches)
