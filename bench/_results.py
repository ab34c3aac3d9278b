"""Write a benchmark's figures to ``bench/results/<name>.json`` with how they were made.

Shared by the bench scripts (run as ``python bench/<name>.py``, so this directory is on
``sys.path``). Model cards read these files through :mod:`accord.core.figures`; the command,
date, version and git commit make every published figure traceable to one run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from accord.core.figures import validate

ROOT = Path(__file__).resolve().parent.parent


def _git(*args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True,  # noqa: S607
            timeout=10, check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def command(script: str, argv: list[str]) -> str:
    """The command line as a reader would type it (without ``--write``/``--json``)."""
    kept = [a for a in argv if a not in ("--write", "--json")]
    return " ".join(["python", f"bench/{script}", *kept])


def _code_state() -> tuple[str, bool]:
    """The commit and whether ``src``/``bench`` differ from it."""
    dirty = bool(_git("status", "--porcelain", "--untracked-files=no", "--", "src", "bench",
                      ":!bench/results"))  # earlier results files are not code
    return _git("rev-parse", "HEAD"), dirty


# Taken when the bench starts (it imports this module first with --write), not when it ends:
# the code measured is the code at the start of the run.
STARTED = _code_state()


def write(name: str, script: str, argv: list[str], figures: dict[str, Any]) -> Path:
    """Write the results file for bench ``name``; returns its path."""
    try:
        version = metadata.version("accord")
    except metadata.PackageNotFoundError:
        version = "unknown"
    commit, dirty_at_start = STARTED
    dirty = dirty_at_start or _code_state() != STARTED
    data = {
        "bench": name,
        "command": command(script, argv),
        "date": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "accord_version": version,
        "git_commit": commit,
        "git_dirty": dirty,
        "python": sys.version.split()[0],
        "figures": figures,
    }
    # This checkout's results, whichever accord package is imported (never another tree's).
    directory = Path(os.environ.get("ACCORD_RESULTS_DIR") or ROOT / "bench" / "results")
    path = directory / f"{name}.json"
    validate(data, str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}",
          file=sys.stderr)
    return path
