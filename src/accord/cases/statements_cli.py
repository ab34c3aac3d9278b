"""``accord statements …``: entity suggestions, case-type suggestion and inconsistency hints
from the shell, each through the governed gateway (ledgered), like ``accord translate``.

Mounted by the main CLI as ``accord statements``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from accord.cases.nlp_capabilities import check_language

statements_app = typer.Typer(
    help="Statements: entity suggestions, case-type suggestion, inconsistency hints.",
    no_args_is_help=True,
)

UserOption = Annotated[
    str,
    typer.Option("--user", envvar="ACCORD_USER", help="Act as this user (default: ACCORD_USER)."),
]
PurposeOption = Annotated[
    str | None, typer.Option(help="Default: the user's default purpose, else case-handling.")
]
LegalBasisOption = Annotated[str, typer.Option("--legal-basis")]
JsonOption = Annotated[bool, typer.Option("--json")]


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def read_statement(path: Path) -> str:
    """The text of a statement file: must exist, be UTF-8 and not be empty."""
    if not path.is_file():
        raise _fail(f"{path}: no such file")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise _fail(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    if not text.strip():
        raise _fail(f"{path}: the file is empty")
    return text


def _language(code: str) -> str:
    from accord.core.errors import AccordError

    try:
        return check_language(code)
    except AccordError as error:
        raise _fail(str(error)) from None


def _invoke(
    user: str,
    purpose: str | None,
    legal_basis: str,
    capability_id: str,
    inputs: dict[str, Any],
    case_ref: str = "",
) -> dict[str, Any]:
    from accord.core.commandline import caller_for as _caller
    from accord.core.errors import AccordError
    from accord.core.gateway.service import GatewayDenied, GatewayRequest
    from accord.core.governance import get_governance

    account, caller = _caller(user)
    try:
        result = get_governance().gateway.invoke(
            caller,
            GatewayRequest(
                capability_id=capability_id,
                purpose=purpose or account.default_purpose or "case-handling",
                legal_basis=legal_basis,
                inputs=inputs,
                case_ref=case_ref,
            ),
        )
    except GatewayDenied as denied:
        raise _fail(
            f"refused: {denied.reasons_in('en')} (ledger entry {denied.ledger_seq})", 3
        ) from None
    except AccordError as error:
        raise _fail(str(error)) from None
    return {
        **result.output,
        "explanation": result.explanation,
        "decision_id": result.decision_id,
        "ledger_seq": result.ledger_seq,
        "review_required": result.review_required,
    }


@statements_app.command("compare")
def compare_command(
    a: Annotated[Path, typer.Argument(help="Statement A (UTF-8 text file).")],
    b: Annotated[Path, typer.Argument(help="Statement B (UTF-8 text file).")],
    lang: Annotated[str, typer.Option("--lang", help="Language of both statements, e.g. en.")],
    lang_b: Annotated[str, typer.Option(help="Language of B if it differs from --lang.")] = "",
    translation_a: Annotated[Path | None, typer.Option(help="Linked translation of A.")] = None,
    translation_b: Annotated[Path | None, typer.Option(help="Linked translation of B.")] = None,
    translation_lang: Annotated[str, typer.Option(help="Language of the translations.")] = "",
    same_speaker: Annotated[bool, typer.Option(help="Both statements are by one person.")] = False,
    case_ref: Annotated[str, typer.Option()] = "",
    user: UserOption = "",
    purpose: PurposeOption = None,
    legal_basis: LegalBasisOption = "police-law-art-2",
    as_json: JsonOption = False,
) -> None:
    """Inconsistency hints between two statements of one case (for human review; never a
    credibility judgement)."""
    inputs: dict[str, Any] = {
        "text_a": read_statement(a),
        "language_a": _language(lang),
        "text_b": read_statement(b),
        "language_b": _language(lang_b or lang),
        "same_speaker": same_speaker,
    }
    if translation_a or translation_b:
        if not translation_lang:
            raise _fail("--translation-lang is required with --translation-a/--translation-b")
        tl = _language(translation_lang)
        if translation_a:
            inputs.update(translation_a=read_statement(translation_a), translation_language_a=tl)
        if translation_b:
            inputs.update(translation_b=read_statement(translation_b), translation_language_b=tl)
    payload = _invoke(user, purpose, legal_basis, "cases.inconsistency", inputs, case_ref)
    payload.pop("texts", None)
    if as_json:
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    if not payload["comparable"]:
        typer.echo(payload["reason"])
    for hint in payload["hints"]:
        typer.echo(f"[{hint['kind']}] {hint['explanation']}")
        typer.echo(f"  A: {hint['a']['sentence']}")
        typer.echo(f"  B: {hint['b']['sentence']}")
    if payload["comparable"] and not payload["hints"]:
        typer.echo(
            "no hints: no differing times, dates, places, quantities, colours or "
            "identity details found"
        )
    typer.echo(
        f"({payload['note']} Pending supervisor review; ledger entry {payload['ledger_seq']}.)"
    )


@statements_app.command("extract")
def extract_command(
    path: Annotated[Path, typer.Argument(help="Statement (UTF-8 text file).")],
    lang: Annotated[str, typer.Option("--lang")],
    user: UserOption = "",
    purpose: PurposeOption = None,
    legal_basis: LegalBasisOption = "police-law-art-2",
    as_json: JsonOption = False,
) -> None:
    """Entity suggestions from a statement, for the officer to confirm."""
    inputs = {"text": read_statement(path), "language": _language(lang)}
    payload = _invoke(user, purpose, legal_basis, "cases.extract", inputs)
    if as_json:
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    typer.echo(f"{payload['coverage']['engine']}: {payload['coverage']['note']}")
    for entity in payload["entities"]:
        typer.echo(f"  {entity['kind']:<12} {entity['text']!r} -> {entity['value']}")


@statements_app.command("suggest-type")
def suggest_type_command(
    description: Annotated[str, typer.Argument(help="What happened, in a few sentences.")],
    lang: Annotated[str, typer.Option("--lang")],
    user: UserOption = "",
    purpose: PurposeOption = None,
    legal_basis: LegalBasisOption = "police-law-art-2",
    as_json: JsonOption = False,
) -> None:
    """A suggested case type with the nearest labelled examples behind it; the officer
    chooses."""
    if not description.strip():
        raise _fail("the description is empty")
    inputs = {"description": description, "language": _language(lang)}
    payload = _invoke(user, purpose, legal_basis, "cases.classify", inputs)
    if as_json:
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    typer.echo(payload["suggestion"] or "not sure")
    for row in payload["ranking"][:3]:
        typer.echo(f"  {row['case_type']:<28} {row['score']:.2f}")
        for reason in row["reasons"]:
            typer.echo(f"      {reason['similarity']:.2f} [{reason['language']}] {reason['text']}")
    typer.echo(f"({payload['explanation']})")
