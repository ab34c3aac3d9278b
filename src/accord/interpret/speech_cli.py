"""``accord speak`` and ``accord transcribe``: read a text aloud, transcribe a recording.

Registered on the top-level app by ``app.command("speak")(speak)`` and
``app.command("transcribe")(transcribe)`` in :mod:`accord.cli`. Transcription is a model call,
so it acts as a named user through the governed gateway (ledgered), exactly like
``accord translate``; the audio is deleted after the call (the CLI does not save to a case).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

ENGINE_HELP = "auto: piper for English, espeak-ng otherwise; or force piper / espeak."


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def speak(
    text: Annotated[str, typer.Argument(help="The text to read aloud.")],
    lang: Annotated[str, typer.Option("--lang", help="Language of the text, e.g. en, fr, zh.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="WAV file to write.")],
    engine: Annotated[str, typer.Option("--engine", help=ENGINE_HELP)] = "auto",
) -> None:
    """Read TEXT aloud into a WAV file (piper's neural voice for English, espeak-ng otherwise)."""
    from accord.core.errors import AccordError
    from accord.interpret.piper_voice import read_aloud

    try:
        audio, used = read_aloud(text, lang, engine)
    except AccordError as error:
        raise _fail(str(error)) from None
    try:
        output.write_bytes(audio)
    except OSError as error:
        raise _fail(f"cannot write {output}: {error.strerror}") from None
    typer.echo(f"wrote {output} ({len(audio)} bytes, {used}, {lang})")


def transcribe(
    file: Annotated[Path, typer.Argument(help="A WAV recording (any rate, mono or stereo).")],
    lang: Annotated[
        str, typer.Option("--lang", help="Language spoken (only en has a model).")
    ] = "en",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    user: Annotated[
        str, typer.Option("--user", envvar="ACCORD_USER", help="Act as this user.")
    ] = "",
    purpose: Annotated[
        str | None, typer.Option(help="Default: the user's default purpose.")
    ] = None,
    legal_basis: Annotated[str, typer.Option()] = "police-law-art-2",
) -> None:
    """Transcribe an English recording through the governed gateway (ledgered; audio deleted)."""
    from accord.core.commandline import caller_for as _caller
    from accord.core.errors import AccordError
    from accord.core.gateway.service import GatewayDenied
    from accord.core.governance import get_governance
    from accord.interpret.transcribe_capability import transcribe_call

    if not file.is_file():
        raise _fail(f"no such file: {file}")
    data = file.read_bytes()
    account, caller = _caller(user)
    try:
        call = transcribe_call(
            get_governance().gateway,
            caller,
            data,
            language=lang,
            purpose=purpose or account.default_purpose,
            legal_basis=legal_basis,
        )
    except GatewayDenied as denied:
        raise _fail(
            f"refused: {denied.reasons_in('en')} (ledger entry {denied.ledger_seq})", 3
        ) from None
    except AccordError as error:
        raise _fail(str(error)) from None
    result = call.result
    payload = {
        **result.output,
        "explanation": result.explanation,
        "decision_id": result.decision_id,
        "ledger_seq": result.ledger_seq,
        "audio_kept": call.audio_kept,
    }
    if as_json:
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    typer.echo(payload["transcript"])
    keep = payload["retention"]
    typer.echo(
        f"[{result.explanation} · retention {keep['class']} ({keep['days']} days) · audio "
        f"{'kept' if call.audio_kept else 'deleted'} · ledger entry {result.ledger_seq}]"
    )
