"""``accord mrz IMAGE``: read a passport photo's MRZ through the governed gateway.

Prints the fields and every check-digit result; ``--json`` prints them as JSON. Exit status 0
only when every check digit passed; an inconsistent MRZ prints the reading (with ``--json``) and
``error: …`` naming the failing fields, exit 1. Nothing is saved to any case.
"""

from __future__ import annotations

import json as jsonlib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from accord.cases.mrz_capability import MrzReading


def mrz(
    image: Annotated[Path, typer.Argument(help="Photo or scan of the passport data page.")],
    json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    user: Annotated[
        str,
        typer.Option(
            "--user", envvar="ACCORD_USER", help="Act as this user (default: ACCORD_USER)."
        ),
    ] = "",
    purpose: Annotated[
        str | None, typer.Option(help="Default: the user's default purpose.")
    ] = None,
    legal_basis: Annotated[str, typer.Option()] = "police-law-art-2",
    case_ref: Annotated[str, typer.Option()] = "",
) -> None:
    """Read the MRZ of IMAGE (OCR + ICAO 9303 check digits), through the gateway (ledgered)."""
    from accord.cases.mrz_capability import MrzReadingInconsistent, read_passport
    from accord.core.commandline import caller_for as _caller
    from accord.core.commandline import fail
    from accord.core.errors import AccordError
    from accord.core.gateway.service import GatewayDenied
    from accord.core.governance import get_governance

    try:
        data = image.read_bytes()
    except OSError as error:
        raise fail(f"cannot read {image}: {error.strerror or error}") from None
    account, caller = _caller(user)
    failure = ""
    try:
        reading = read_passport(
            get_governance(),
            caller,
            data,
            purpose=purpose or account.default_purpose,
            legal_basis=legal_basis,
            case_ref=case_ref,
        )
    except MrzReadingInconsistent as error:
        reading, failure = error.reading, str(error)
    except GatewayDenied as denied:
        raise fail(
            f"refused: {denied.reasons_in('en')} (ledger entry {denied.ledger_seq})", 3
        ) from None
    except AccordError as error:
        raise fail(str(error)) from None
    if json:
        typer.echo(jsonlib.dumps(reading.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print(reading)
    if failure:
        raise fail(failure)


def _print(reading: MrzReading) -> None:
    out = reading.output
    rows = [
        ("format", out["format"]),
        ("document code", out["document_code"]),
        ("issuing state", out["issuing_state"]),
        ("surname", out["surname"]),
        ("given names", out["given_names"]),
        ("document number", out["document_number"]),
        ("nationality", out["nationality"]),
        ("date of birth", out["birth_date"] or "?"),
        ("sex", out["sex"]),
        ("date of expiry", (out["expiry_date"] or "?") + (" (expired)" if out["expired"] else "")),
        ("optional data", out["optional_data"]),
    ]
    for label, value in rows:
        typer.echo(f"{label:>16}: {value}")
    for check in out["checks"]:
        mark = "ok  " if check["ok"] else "FAIL"
        typer.echo(
            f"  [{mark}] check digit for {check['label']}: read {check['digit']}, "
            f"computed {check['expected']}"
        )
    for repair in out["repairs"]:
        typer.echo(
            f"  repaired {repair['label']}: line {repair['line']} column "
            f"{repair['position']} read {repair['read']!r} → {repair['corrected']!r}"
        )
    typer.echo(
        f"[{reading.explanation} · decision {reading.decision_id} · ledger entry "
        f"{reading.ledger_seq}]"
    )
