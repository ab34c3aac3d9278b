"""``accord cases deadlines``: a case type's checklist with due times, from the shell.

The same engine the case page and the deadline board use (:func:`accord.cases.guidance.plan`);
due times are printed in the offset of ``--at``. Legal officers' confirmations are read from the
database when it is reachable, so the fact status matches what the web UI shows.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

import typer

from accord.cases.guidance import (
    Confirmation,
    DeadlineStatus,
    load_confirmations,
    plan,
)
from accord.cases.vocab import CASE_TYPES, EVENT_KINDS
from accord.core.errors import AccordError

TypeArg = Annotated[str, typer.Argument(help="Case type, one of: " + ", ".join(CASE_TYPES))]
AtOpt = Annotated[
    str,
    typer.Option(
        "--at",
        help="When the case's start event happened, ISO 8601 "
        "with a UTC offset, e.g. 2026-11-20T09:00:00+08:00. Due "
        "times are shown in this offset.",
    ),
]
NationalityOpt = Annotated[
    str, typer.Option("--nationality", help="ISO 3166-1 alpha-3 as in the MRZ, e.g. USA.")
]
ChineseOpt = Annotated[
    bool, typer.Option("--speaks-chinese", help="The person speaks Chinese (no interpreter step).")
]
EventOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--event",
        help="Another event as "
        "KIND=ISO-TIME (repeatable), e.g. "
        "consular-notification-requested="
        "2026-11-20T10:00:00+08:00.",
    ),
]
NowOpt = Annotated[str, typer.Option("--now", help="Evaluate states at this time (default: --at).")]
AllOpt = Annotated[bool, typer.Option("--all", help="Also list steps that do not apply.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


def parse_time(value: str, what: str) -> datetime:
    """An ISO 8601 time that carries its UTC offset (a bare local time is ambiguous)."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise _fail(f"{what}: not an ISO 8601 time: {value!r}") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise _fail(f"{what}: {value!r} has no UTC offset (add e.g. +08:00 or Z)")
    return parsed


def _confirmations() -> dict[str, Confirmation]:
    """Legal officers' verdicts, if the database is there; the CLI works without one."""
    try:
        from accord.core.runtime import get_database

        with get_database().session() as session:
            return load_confirmations(session)
    except Exception:
        return {}


def _line(status: DeadlineStatus) -> str:
    if status.no_deadline:
        due = "no deadline in the verified facts"
    elif status.due_at is None:
        due = f"waiting for {status.anchor}" if status.state != "not-applicable" else "-"
    elif status.without_delay:
        due = f"without delay (from {status.due_at.isoformat()})"
        if status.accord_target_at is not None:
            due += f"; Accord's target {status.accord_target_at.isoformat()}"
    else:
        due = status.due_at.isoformat()
        if status.extended_due_at is not None:
            due += f" (extendable to {status.extended_due_at.isoformat()})"
    fact = "" if status.fact_status == "verified" else f" [{status.fact_status_label}]"
    return f"{status.state:<17} {status.step_id:<24} {due}\n{'':<18}{status.citation}{fact}"


def deadlines(
    case_type: TypeArg,
    at: AtOpt,
    nationality: NationalityOpt = "",
    speaks_chinese: ChineseOpt = False,
    event: EventOpt = None,
    now: NowOpt = "",
    all_steps: AllOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """The steps that apply to a case type, each with its due time and legal citation."""
    if case_type not in CASE_TYPES:
        raise _fail(f"unknown case type {case_type!r} (one of: {', '.join(CASE_TYPES)})")
    start = parse_time(at, "--at")
    events: dict[str, datetime] = {}
    for item in event or []:
        kind, sep, value = item.partition("=")
        kind = kind.strip()
        if not sep:
            raise _fail(f"--event {item!r}: expected KIND=ISO-TIME")
        if kind not in EVENT_KINDS and not kind.startswith("notice:"):
            raise _fail(f"--event: unknown event kind {kind!r}")
        events[kind] = parse_time(value, f"--event {kind}")
    moment = parse_time(now, "--now") if now else None
    try:
        steps = plan(
            case_type,
            at=start,
            nationality=nationality,
            speaks_chinese=speaks_chinese,
            events=events,
            now=moment,
            confirmations=_confirmations(),
        )
    except AccordError as error:
        raise _fail(str(error)) from None
    shown = [s for s in steps if all_steps or s.state != "not-applicable"]
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "case_type": case_type,
                    "at": start.isoformat(),
                    "nationality": nationality.upper(),
                    "speaks_chinese": speaks_chinese,
                    "steps": [s.as_json() for s in shown],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    for status in shown:
        typer.echo(_line(status))
