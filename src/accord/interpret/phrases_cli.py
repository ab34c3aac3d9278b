"""``accord phrases``: match what a person said to the police-desk phrasebook, confirm it.

``accord phrases match "TEXT" --lang ru`` prints the top entries (id, zh, en, the person's
language, score, verified) or ``"match": null`` with the reason; ``--to ar`` shows the entries
in another language (officer → person: ``--lang zh --to ar``). ``accord phrases confirm
DECISION ENTRY`` records the person's confirmation (ledgered). ``accord phrases check``
validates the phrasebook files and prints the number of entries per situation; ``accord
phrases warm`` encodes the book's entries ahead of the first match.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from accord.core.commandline import UserOption, caller_for, fail

phrases_app = typer.Typer(help="The police-desk phrasebook: match, confirm, check.",
                          no_args_is_help=True)


def _entry(candidate: dict, lang: str, to: str) -> dict:
    out = {"id": candidate["id"], "zh": candidate["zh"], "en": candidate["en"],
           lang: candidate["text"], "score": candidate["score"],
           "verified": candidate["verified"][lang]}
    if to != lang:
        out[to] = candidate["to_text"]
        out["verified_" + to] = candidate["verified"][to]
    return out


@phrases_app.command("match")
def match(
    text: str,
    lang: Annotated[str, typer.Option("--lang", help="Language of TEXT, as the person chose.")],
    to: Annotated[str, typer.Option("--to", help="Also show entries in this language.")] = "",
    user: UserOption = "",
    purpose: Annotated[str | None, typer.Option(help="Default: the user's default purpose.")]
    = None,
    legal_basis: Annotated[str, typer.Option()] = "police-law-art-2",
    case_ref: Annotated[str, typer.Option()] = "",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Match TEXT to the phrasebook through the governed gateway (ledgered)."""
    from accord.core.errors import AccordError
    from accord.core.gateway.service import GatewayDenied
    from accord.core.governance import get_governance
    from accord.interpret.phrase_service import match_call

    account, caller = caller_for(user)
    try:
        result = match_call(get_governance().gateway, caller, text, language=lang, to=to,
                            purpose=purpose or account.default_purpose,
                            legal_basis=legal_basis, case_ref=case_ref)
    except GatewayDenied as denied:
        raise fail(f"refused: {denied.reasons_in('en')} (ledger entry {denied.ledger_seq})",
                   3) from None
    except AccordError as error:
        raise fail(str(error)) from None
    out = result.output
    target = out["to"]
    entries = [_entry(c, lang, target) for c in out["candidates"]]
    payload = {"match": entries[0] if entries else None, "entries": entries,
               "reason": out["reason"], "threshold": out["threshold"],
               "method": out["method"], "phrasebook_version": out["phrasebook_version"],
               "decision_id": result.decision_id, "ledger_seq": result.ledger_seq}
    if as_json:
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    if not entries:
        typer.echo(f"{out['reason_zh']} / {out['reason']} [ledger entry {result.ledger_seq}]")
        return
    for number, entry in enumerate(entries, start=1):
        draft = "" if entry["verified"] else " (maintainer draft)"
        typer.echo(f"{number}. [{entry['score']:.2f}] {entry['zh']} — {entry[lang]}{draft}  "
                   f"({entry['id']})")
        if target != lang:
            typer.echo(f"   {target}: {entry[target]}")
    typer.echo(f"Ask the person to confirm: accord phrases confirm {result.decision_id} ENTRY "
               f"[ledger entry {result.ledger_seq}]")


@phrases_app.command("confirm")
def confirm(
    decision_id: str,
    entry_id: str,
    user: UserOption = "",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Record that the person confirmed ENTRY_ID for the match DECISION_ID (ledgered)."""
    from accord.core.errors import AccordError
    from accord.core.governance import get_governance
    from accord.core.runtime import get_database
    from accord.interpret.phrase_service import confirm as confirm_match

    _, caller = caller_for(user)
    try:
        done = confirm_match(get_database(), get_governance().ledger, caller, decision_id,
                             entry_id)
    except AccordError as error:
        raise fail(str(error)) from None
    if as_json:
        typer.echo(json.dumps(done.as_dict(), ensure_ascii=False, indent=2))
        return
    typer.echo(f"{done.label}: {done.interpretation_zh} ← \"{done.original_text}\" "
               f"[ledger entry {done.ledger_seq}]")


@phrases_app.command("transcript")
def transcript(
    case_ref: str,
    user: UserOption = "",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The bilingual record of a case: each confirmed phrase with the person's own words, and
    each sentence the officer showed the person in a two-screen conversation."""
    from accord.core.contract import object_kind
    from accord.core.runtime import get_database
    from accord.interpret.conversation import transcript_lines
    from accord.interpret.phrase_service import confirmations

    _, caller = caller_for(user)
    reference = case_ref.strip().upper()
    cases = object_kind("case")
    if cases is None:
        raise fail("case files are not installed here")
    with get_database().session() as session:
        allowed = cases.can_access(session, caller, reference)
    if allowed is None:
        raise fail(f"no case with reference {reference}")
    if not allowed:
        raise fail("only the case officer and supervisors may read this case", 3)
    rows = confirmations(get_database(), reference)
    lines = [{"direction": "person", **row.as_dict()} for row in rows]
    # What the officer showed the person in the case's two-screen conversations (the person's
    # confirmed phrases are already among the confirmations above).
    shown = [line for line in transcript_lines(get_database(), case_ref=reference)
             if line["direction"] == "officer"]
    lines.extend(shown)
    lines.sort(key=lambda line: int(line["ledger_seq"] or 0))  # the ledger orders both
    if as_json:
        typer.echo(json.dumps(lines, ensure_ascii=False, indent=2, default=str))
        return
    for line in lines:
        if line["direction"] == "person":
            typer.echo(f"[{line['language']}] {line['original_text']}\n[zh] "
                       f"{line['interpretation_zh']}  ({line['label']}; {line['entry_id']}, "
                       f"{line['entry_status']}; ledger entry {line['ledger_seq']})")
        else:
            typer.echo(f"[zh] {line['text_zh']}\n[{line['language']}] {line['text_person']}"
                       f"  ({line['label']}; {line['entry_id']}, {line['entry_status']}; "
                       f"ledger entry {line['ledger_seq']})")
    if not lines:
        typer.echo("no confirmed phrases for this case")


@phrases_app.command("warm")
def warm(
    lang: Annotated[list[str] | None, typer.Option("--lang", help="Only these languages.")]
    = None,
) -> None:
    """Encode the phrasebook's entries now and store the vectors (keyed by the book's version),
    so matches answer at once; run after installing or editing the phrasebook."""
    import time

    from accord.core.errors import AccordError
    from accord.interpret.phrase_service import warm_vectors
    from accord.interpret.phrasebook import LANGUAGES

    started = time.perf_counter()
    try:
        done = warm_vectors(tuple(lang) if lang else LANGUAGES)
    except AccordError as error:
        raise fail(str(error)) from None
    for language, method in done.items():
        typer.echo(f"{language:<3} {method}")
    typer.echo(f"vectors ready in {time.perf_counter() - started:.1f} s")


@phrases_app.command("check")
def check() -> None:
    """Validate the phrasebook files; print entries per situation."""
    from accord.interpret.phrasebook import PhrasebookError, load

    try:
        book = load()
    except PhrasebookError as error:
        raise fail(str(error)) from None
    for situation, count in book.counts().items():
        typer.echo(f"{situation:<28} {count:>4}")
    typer.echo(f"{len(book.entries)} entries, 12 languages, version {book.version}")
