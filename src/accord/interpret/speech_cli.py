"""``accord speak`` and ``accord transcribe``: read a text aloud, transcribe a recording.

Registered on the top-level app by :func:`accord.interpret.cli.attach`. Reading aloud and
transcription are model calls, so both act as a named user (``--user`` / ``ACCORD_USER``)
through the governed gateway (ledgered), exactly like ``accord translate``; the audio is deleted
after the call (the CLI does not save to a case). ``accord speak-notices`` prepares the public
notices' audio the same way (see :mod:`accord.interpret.speak_capability`).
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
    user: Annotated[
        str, typer.Option("--user", envvar="ACCORD_USER", help="Act as this user.")
    ] = "",
    purpose: Annotated[
        str | None, typer.Option(help="Default: the user's default purpose.")
    ] = None,
    legal_basis: Annotated[str, typer.Option()] = "police-law-art-2",
) -> None:
    """Read TEXT aloud into a WAV file through the governed gateway (ledgered; audio not kept):
    piper's neural voice for English, espeak-ng otherwise."""
    from accord.core.commandline import caller_for as _caller
    from accord.core.errors import AccordError
    from accord.core.gateway.service import GatewayDenied
    from accord.core.governance import get_governance
    from accord.interpret.speak_capability import speak_call

    account, caller = _caller(user)
    try:
        spoken = speak_call(get_governance().gateway, caller, text, language=lang,
                            engine=engine, purpose=purpose or account.default_purpose,
                            legal_basis=legal_basis)
    except GatewayDenied as denied:
        raise _fail(
            f"refused: {denied.reasons_in('en')} (ledger entry {denied.ledger_seq})", 3
        ) from None
    except AccordError as error:
        raise _fail(str(error)) from None
    try:
        output.write_bytes(spoken.audio)
    except OSError as error:
        raise _fail(f"cannot write {output}: {error.strerror}") from None
    typer.echo(f"wrote {output} ({len(spoken.audio)} bytes, {spoken.engine}, {lang}; "
               f"ledger entry {spoken.result.ledger_seq})")


def speak_notices(
    user: Annotated[
        str, typer.Option("--user", envvar="ACCORD_USER", help="Act as this user.")
    ] = "",
    legal_basis: Annotated[str, typer.Option()] = "police-law-art-2",
) -> None:
    """Prepare the public notices' read-aloud audio through the gateway (one ledgered call per
    notice text and language not yet prepared; purpose public-service)."""
    from accord.config import get_settings
    from accord.core.commandline import caller_for as _caller
    from accord.core.errors import AccordError
    from accord.core.gateway.service import GatewayDenied
    from accord.core.governance import get_governance
    from accord.interpret.library import LANGUAGES, get_library
    from accord.interpret.speak_capability import NOTICE_CACHE_DIR, prepare_notice_audio

    _, caller = _caller(user)
    library = get_library()
    texts = [(notice.speech(lang), lang) for notice in library.notices.values()
             for lang in LANGUAGES]
    directory = get_settings().ensure_state_dir() / NOTICE_CACHE_DIR
    try:
        made = prepare_notice_audio(get_governance().gateway, caller, texts, directory,
                                    legal_basis=legal_basis)
    except GatewayDenied as denied:
        raise _fail(
            f"refused: {denied.reasons_in('en')} (ledger entry {denied.ledger_seq})", 3
        ) from None
    except AccordError as error:
        raise _fail(str(error)) from None
    typer.echo(f"prepared {len(made)} notice recordings ({len(texts) - len(made)} were ready)")


def transcribe(
    file: Annotated[Path, typer.Argument(help="A WAV recording (any rate, mono or stereo).")],
    lang: Annotated[
        str, typer.Option("--lang", help="Language spoken, as the person says (zh en ru fr es "
                          "de pt ja ko ar vi th), or auto for a suggestion only.")
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
    """Transcribe a recording into a DRAFT with per-segment confidence, through the governed
    gateway (ledgered; audio deleted). Chinese comes out in Simplified characters."""
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
    typer.echo(f"DRAFT ({payload['language']}, {payload['language_source']}) — read it back "
               "and correct it before it is used:")
    typer.echo(payload["transcript"])
    for segment in payload["segments"]:
        flag = " UNCERTAIN" if segment["uncertain"] else ""
        typer.echo(f"  [{segment['start']:6.1f}–{segment['end']:6.1f} s] logprob "
                   f"{segment['avg_logprob']:.2f} no-speech {segment['no_speech_prob']:.2f}"
                   f"{flag}: {segment['text']}")
    for suggestion in payload["language_suggestions"]:
        typer.echo(f"  language suggestion (ask the person): {suggestion['language']} "
                   f"{suggestion['probability']:.2f}")
    keep = payload["retention"]
    typer.echo(
        f"[{result.explanation} · retention {keep['class']} ({keep['days']} days) · audio "
        f"{'kept' if call.audio_kept else 'deleted'} · ledger entry {result.ledger_seq}]"
    )
