"""Where the team's shared reference data lives (``shared/`` beside the checkout).

Sample data and evaluation sets (the San Francisco incidents, FLORES-200) are not packaged with
Accord; they sit in a ``shared/`` directory next to the repository. ``ACCORD_SHARED_DIR``
overrides the location.
"""

from __future__ import annotations

import os
from pathlib import Path

_REPO = Path(__file__).resolve().parents[2]


def shared_dir() -> Path:
    configured = os.environ.get("ACCORD_SHARED_DIR")
    if configured:
        return Path(configured)
    for candidate in (_REPO.parent / "shared", Path.cwd().parent / "shared",
                      Path.cwd() / "shared"):
        if candidate.is_dir():
            return candidate
    return _REPO.parent / "shared"
