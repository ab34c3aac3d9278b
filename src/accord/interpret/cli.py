"""Interpretation commands: language ID, translation, speech, and translation packs.

``attach`` adds them to the root ``accord`` command (called by the assembly module).
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from accord.core.commandline import UserOption, caller_for, fail


def attach(app: typer.Typer) -> None:
    from accord.interpret.models_cli import models_app
    from accord.interpret.phrases_cli import phrases_app
    from accord.interpret.speech_cli import speak, speak_notices, transcribe

    app.command("langid")(langid)
    app.command("translate")(translate)
    app.add_typer(models_app, name="models")
    app.command("speak")(speak)
    app.command("speak-notices")(speak_notices)
    app.command("transcribe")(transcribe)
    app.add_typer(phrases_app, name="phrases")


def langid(
    text: str,
    user: UserOption = "",
    purpose: Annotated[str | None, typer.Option(help="Default: the user's default purpose.")]
    = None,
    legal_basis: Annotated[str, typer.Option()] = "police-law-art-2",
    case_ref: Annotated[str, typer.Option()] = "",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Identify the language of TEXT through the governed gateway (ledgered)."""
    from accord.core.errors import AccordError
    from accord.core.gateway.service import GatewayDenied, GatewayRequest
    from accord.core.governance import get_governance

    account, caller = caller_for(user)
    purpose = purpose or account.default_purpose
    try:
        result = get_governance().gateway.invoke(caller, GatewayRequest(
            capability_id="interpret.langid", purpose=purpose, legal_basis=legal_basis,
            inputs={"text": text}, case_ref=case_ref))
    except GatewayDenied as denied:
        raise fail(f"refused: {denied.reasons_in('en')} (ledger entry {denied.ledger_seq})",
                   3) from None
    except AccordError as error:
        raise fail(str(error)) from None
    payload = {"language": result.output["language"], "name": result.output["name"],
               "confidence": result.confidence, "uncertain": result.output["uncertain"],
               "candidates": result.output["candidates"], "explanation": result.explanation,
               "decision_id": result.decision_id, "ledger_seq": result.ledger_seq}
    if as_json:
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    flag = " (uncertain: confirm with the person)" if payload["uncertain"] else ""
    typer.echo(f"{payload['language']} {payload['name']['en']} "
               f"p={payload['confidence']:.2f}{flag} [ledger entry {result.ledger_seq}]")


def translate(
    text: str,
    source: Annotated[str, typer.Option("--from", help="Source language, e.g. es.")],
    target: Annotated[str, typer.Option("--to", help="Target language, e.g. en.")],
    user: UserOption = "",
    purpose: Annotated[str | None, typer.Option(help="Default: the user's default purpose.")]
    = None,
    legal_basis: Annotated[str, typer.Option()] = "police-law-art-2",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Machine-translate TEXT through the governed gateway (Apertium where a pair exists)."""
    from accord.core.errors import AccordError
    from accord.core.gateway.service import GatewayDenied, GatewayRequest
    from accord.core.governance import get_governance

    account, caller = caller_for(user)
    try:
        result = get_governance().gateway.invoke(caller, GatewayRequest(
            capability_id="interpret.translate", purpose=purpose or account.default_purpose,
            legal_basis=legal_basis, inputs={"text": text, "source": source,
                                             "target": target}))
    except GatewayDenied as denied:
        raise fail(f"refused: {denied.reasons_in('en')} (ledger entry {denied.ledger_seq})",
                   3) from None
    except AccordError as error:
        raise fail(str(error)) from None
    payload = {**result.output, "explanation": result.explanation,
               "decision_id": result.decision_id, "ledger_seq": result.ledger_seq}
    if as_json:
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        if payload.get("no_model"):
            raise typer.Exit(4)  # answered and ledgered, but nothing was translated
        return
    if payload.get("no_model"):
        # No engine for the pair: the answer is ledgered, the human path is the way on.
        raise fail(f"{payload.get('message') or 'no model'} (ledger entry {result.ledger_seq})",
                   4)
    typer.echo(payload["translation"] or "")
    if payload.get("back_translation"):
        typer.echo(f"(back-translation: {payload['back_translation']})")
    typer.echo(f"[{result.explanation} · ledger entry {result.ledger_seq}]")
