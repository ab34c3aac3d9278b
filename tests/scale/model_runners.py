"""Module-level runners for the process-isolation tests (sent to workers by reference)."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from accord.core.errors import ValidationFailed
from accord.core.registry import ModelOutput


def where(inputs: Mapping[str, Any]) -> ModelOutput:
    """Says which process ran it."""
    return ModelOutput(output={"pid": os.getpid(), "text": inputs.get("text", "")},
                       explanation="reported its process id")


def spin(inputs: Mapping[str, Any]) -> ModelOutput:
    """Never finishes on its own: burns the CPU like a runaway model."""
    marker = Path(str(inputs["text"]))
    marker.write_text(str(os.getpid()))
    while True:
        pass


def refuse(inputs: Mapping[str, Any]) -> ModelOutput:
    raise ValidationFailed(detail="text: not a recording")


def crash(inputs: Mapping[str, Any]) -> ModelOutput:
    os._exit(3)


def exclusive(inputs: Mapping[str, Any]) -> ModelOutput:
    """Fails if another call of it runs at the same moment (checks the concurrency bound)."""
    marker = Path(str(inputs["text"]))
    try:
        descriptor = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        raise RuntimeError("two calls ran at once") from None
    try:
        time.sleep(0.3)
    finally:
        os.close(descriptor)
        marker.unlink()
    return ModelOutput(output={"pid": os.getpid()}, explanation="ran alone")
