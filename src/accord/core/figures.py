"""Measured figures read from benchmark results files, so model cards never carry pasted numbers.

Each benchmark (``bench/<name>.py --write``) writes ``bench/results/<name>.json``::

    {"bench": "langid", "command": "python bench/langid.py", "date": "2026-12-07T00:40:00Z",
     "accord_version": "0.1.0", "git_commit": "…", "git_dirty": false,
     "figures": {"accuracy": 0.956, …}}

A model card states a figure through :func:`measured`, which formats a sentence from the file's
figures and appends the command and date that produced them. A number that is not in a results
file cannot get into a card this way, and a card cannot outlive a re-run of its benchmark with
a stale figure. This module only reads JSON: core imports no capability package.

``ACCORD_RESULTS_DIR`` points elsewhere (tests, or an installed copy without the repository).
"""

from __future__ import annotations

import json
import os
import string
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

#: Keys every results file must have: without them a figure cannot be traced to its run.
REQUIRED_KEYS = ("bench", "command", "date", "figures")


class FiguresError(ValueError):
    """A results file is missing, unreadable, lacks provenance, or lacks the figure asked for."""


def results_dir() -> Path:
    """``bench/results`` of the source tree (``ACCORD_RESULTS_DIR`` overrides)."""
    override = os.environ.get("ACCORD_RESULTS_DIR")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[3] / "bench" / "results"


@dataclass(frozen=True)
class Figure:
    """One measured value and where it came from."""

    bench: str
    key: str
    value: Any
    command: str
    date: str
    commit: str


def validate(data: Any, where: str) -> dict[str, Any]:
    """Check a decoded results file has its provenance; every problem is named."""
    if not isinstance(data, dict):
        raise FiguresError(f"{where}: not a JSON object")
    missing = [k for k in REQUIRED_KEYS if not data.get(k)]
    if missing:
        raise FiguresError(f"{where}: missing {', '.join(missing)} (re-run the bench with "
                           "--write)")
    if not isinstance(data["figures"], dict):
        raise FiguresError(f"{where}: 'figures' is not an object")
    if not str(data["command"]).startswith("python bench/"):
        raise FiguresError(f"{where}: command {data['command']!r} is not a bench command")
    return data


@lru_cache(maxsize=32)
def _load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FiguresError(f"{path}: no results file (run the bench with --write)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise FiguresError(f"{path}: cannot be read ({error})") from None
    return validate(data, str(path))


def results(bench: str, directory: Path | None = None) -> dict[str, Any]:
    """The whole validated results file of ``bench``."""
    return _load((directory or results_dir()) / f"{bench}.json")


def figure(bench: str, key: str, directory: Path | None = None) -> Figure:
    """One figure by dotted key (``"per_language.zho_Hans"``), with its command and date."""
    data = results(bench, directory)
    value: Any = data["figures"]
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            raise FiguresError(f"{bench}.json has no figure {key!r}")
        value = value[part]
    return Figure(bench=bench, key=key, value=value, command=str(data["command"]),
                  date=str(data["date"]), commit=str(data.get("git_commit", "")))


def provenance(bench: str, directory: Path | None = None) -> str:
    """How the figures of ``bench`` were measured: date, command, commit and file."""
    data = results(bench, directory)
    commit = str(data.get("git_commit", ""))[:10]
    return (f"measured {str(data['date'])[:10]} by `{data['command']}`"
            + (f" at commit {commit}" if commit else "")
            + f"; bench/results/{bench}.json")


def provenance_zh(bench: str, directory: Path | None = None) -> str:
    """Where a figure comes from, for the Chinese UI: the date of the benchmark run (the
    command and the results file are for developers and stay in the English record)."""
    data = results(bench, directory)
    return f"{str(data['date'])[:10]}基准测试测量"


def measured_zh(bench: str, template: str, directory: Path | None = None) -> str:
    """:func:`measured` for a Chinese template: the same figures, Chinese provenance."""
    text = measured(bench, template, directory)
    return text[: text.rindex(" (")] + f"（{provenance_zh(bench, directory)}）"


def measured(bench: str, template: str, directory: Path | None = None) -> str:
    """``template`` formatted with the figures of ``bench``, then its provenance.

    Fields name figures by key and may index into them (``{per_language[zho_Hans]:.0%}``).
    Every field must exist in the file: a template that names a missing figure raises
    instead of showing a gap.
    """
    data = results(bench, directory)
    figures = data["figures"]
    for _, field, _, _ in string.Formatter().parse(template):
        if field is not None and field.split("[")[0].split(".")[0] not in figures:
            raise FiguresError(f"{bench}.json has no figure {field!r}")
    try:
        text = template.format_map(figures)
    except (KeyError, IndexError, TypeError, ValueError) as error:
        raise FiguresError(f"{bench}.json cannot fill {template[:40]!r}… ({error})") from None
    return f"{text} ({provenance(bench, directory)})"


def measured_or_missing(bench: str, template: str, directory: Path | None = None) -> str:
    """:func:`measured`, or a plain statement that the figure is missing.

    Model cards are built when their module is imported; a missing results file (an install
    without the repository's ``bench/results``) must not stop the server, and must not let a
    stale number stand in either.
    """
    try:
        return measured(bench, template, directory)
    except FiguresError as error:
        return f"No measured figure available: {error}."


def measured_or_missing_zh(bench: str, template: str, directory: Path | None = None) -> str:
    """:func:`measured_or_missing` for a Chinese template."""
    try:
        return measured_zh(bench, template, directory)
    except FiguresError as error:
        return f"暂无测量数据：{error}。"
