"""``accord ask`` and ``accord knowledge …``: the lookup, the procedure importer and the legal
officers' queue from the shell. Same service functions and gateway call as the web pages."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from accord.core.commandline import UserOption, caller_for, fail

knowledge_app = typer.Typer(help="Knowledge base: import procedures, sync, legal questions.",
                            no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def attach(app: typer.Typer) -> None:
    app.command("ask")(ask)
    app.add_typer(knowledge_app, name="knowledge")


def _session() -> Any:
    from accord.core.runtime import get_database

    return get_database().session()


def ask(
    question: str,
    user: UserOption = "",
    top: Annotated[int, typer.Option(help="Passages to show (1-5).")] = 3,
    purpose: Annotated[str, typer.Option(help="Purpose of this use.")] = "procedure-lookup",
    legal_basis: Annotated[str, typer.Option()] = "police-law-art-2",
    legal: Annotated[bool, typer.Option(
        "--ask-legal-officer", help="If no passage is found, put the question in the legal "
        "officers' queue.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Look up QUESTION (Chinese or English): passages quoted verbatim with citation, status and
    score, or "no passage found" (exit code 4). Through the governed gateway (ledgered)."""
    from accord.core.errors import AccordError
    from accord.core.gateway.service import GatewayDenied, GatewayRequest
    from accord.core.governance import get_governance

    if not 1 <= top <= 5:
        raise fail("--top must be between 1 and 5")
    _, caller = caller_for(user)
    try:
        result = get_governance().gateway.invoke(caller, GatewayRequest(
            capability_id="knowledge.lookup", purpose=purpose, legal_basis=legal_basis,
            inputs={"question": question, "top": str(top)}))
    except GatewayDenied as denied:
        raise fail(f"refused: {denied.reasons_in('en')} (ledger entry {denied.ledger_seq})",
                   3) from None
    except AccordError as error:
        raise fail(str(error)) from None
    payload = {**result.output, "explanation": result.explanation,
               "decision_id": result.decision_id, "ledger_seq": result.ledger_seq}
    if not payload["found"] and legal:
        from accord.knowledge.service import KnowledgeService

        with _session() as session:
            row = KnowledgeService(session).ask_legal(question, user_id=caller.user_id,
                                                      decision_id=result.decision_id)
            payload["legal_question_id"] = row.id
    if as_json:
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        _print(payload)
    if not payload["found"]:
        raise typer.Exit(4)


def _print(payload: dict[str, Any]) -> None:
    if not payload["found"]:
        typer.echo(f"no passage found (best score {payload['best_score']:.2f} < threshold "
                   f"{payload['threshold']:.2f}) [ledger entry {payload['ledger_seq']}]")
        if payload.get("legal_question_id"):
            typer.echo(f"question {payload['legal_question_id']} is in the legal officers' queue")
        else:
            typer.echo("ask the legal officer: accord ask … --ask-legal-officer")
        return
    for p in payload["passages"]:
        typer.echo(f"[{p['rank']}] {p['citation']} — {p['status']} (score {p['score']:.2f}, "
                   f"passage {p['id']})")
        typer.echo(f"    {p['text']}")
    typer.echo(f"[ledger entry {payload['ledger_seq']}]")


@knowledge_app.command("sync")
def sync(as_json: JsonOpt = False) -> None:
    """Index the bundled sources (legal facts, guidance, cautions, cross-cultural guidance)."""
    from accord.knowledge.service import KnowledgeService

    with _session() as session:
        counts = KnowledgeService(session).sync(force=True)
    typer.echo(json.dumps(counts) if as_json else
               ", ".join(f"{k} {v}" for k, v in counts.items()))


@knowledge_app.command("import")
def import_cmd(
    path: Annotated[Path, typer.Argument(
        help="Markdown (.md), Word (.docx) or PDF (.pdf); headings and numbered articles "
             "(第十二条, Article 12) cut sections.")],
    document: Annotated[str, typer.Option(
        help="The document's title (default: the file's own title property).")] = "",
    version: Annotated[str, typer.Option(
        help="The document's version (default: a DOCX's version property).")] = "",
    language: Annotated[str, typer.Option(
        help="zh or en (default: a DOCX's language property, else zh).")] = "",
    effective: Annotated[str, typer.Option(help="Effective date, YYYY-MM-DD.")] = "",
    user: UserOption = "",
    as_json: JsonOpt = False,
) -> None:
    """Import one of the service's own procedures; its sections stay unverified until a legal
    officer verifies them."""
    from accord.core.errors import AccordError
    from accord.knowledge.service import KnowledgeService

    account, caller = caller_for(user)
    if not ({"legal", "admin"} & caller.roles):
        raise fail("only a legal officer or an admin imports procedures")
    if path.suffix.lower() not in (".md", ".markdown", ".docx", ".pdf"):
        raise fail("import a Markdown (.md), Word (.docx) or PDF (.pdf) file")
    if not path.is_file():
        raise fail(f"no such file: {path}")
    try:
        when = date.fromisoformat(effective) if effective else None
    except ValueError:
        raise fail("--effective: expected YYYY-MM-DD") from None
    try:
        with _session() as session:
            counts = KnowledgeService(session).import_document(
                path.read_bytes(), path.name, document=document, version=version,
                language=language, effective_date=when, user_id=account.id)
    except AccordError as error:
        raise fail(str(error)) from None
    typer.echo(json.dumps(counts) if as_json else
               ", ".join(f"{k} {v}" for k, v in counts.items()))


@knowledge_app.command("questions")
def questions(user: UserOption = "", as_json: JsonOpt = False) -> None:
    """Open questions: all of them for a legal officer, your own otherwise."""
    from accord.knowledge.service import KnowledgeService

    _, caller = caller_for(user)
    mine = None if {"legal", "admin"} & caller.roles else caller.user_id
    with _session() as session:
        rows = [{"id": q.id, "question": q.question, "status": q.status,
                 "asked_at": q.asked_at.isoformat(), "passage_id": q.passage_id}
                for q in KnowledgeService(session).questions(status=None, asked_by=mine)]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        typer.echo(f"{row['id']:>5} {row['status']:<9} {row['question']}")


@knowledge_app.command("answer")
def answer(
    question_id: int,
    text: Annotated[str, typer.Option("--text", help="The answer, as it will be quoted.")],
    citation: Annotated[str, typer.Option(help="The source: law and article, or policy.")],
    language: Annotated[str, typer.Option(help="zh or en.")] = "zh",
    user: UserOption = "",
) -> None:
    """Answer a question (legal officers): it becomes an unverified passage."""
    from accord.core.errors import AccordError
    from accord.knowledge.service import KnowledgeService

    _, caller = caller_for(user)
    if not ({"legal", "admin"} & caller.roles):
        raise fail("only a legal officer answers questions")
    try:
        with _session() as session:
            passage = KnowledgeService(session).answer(question_id, text=text,
                                                       citation=citation, language=language,
                                                       user_id=caller.user_id)
            typer.echo(f"passage {passage.id} ({passage.status})")
    except AccordError as error:
        raise fail(str(error)) from None


@knowledge_app.command("shares")
def shares(user: UserOption = "", as_json: JsonOpt = False) -> None:
    """The share log (DPO, auditors, supervisors, admins): every outbound share, its fields,
    recipient, legal basis, status and ledger entry."""
    from accord.knowledge.cooperation import OVERSIGHT, ShareService

    _, caller = caller_for(user)
    if not (OVERSIGHT & caller.roles):
        raise fail("only a supervisor, the DPO, an auditor or an admin reads the share log")
    with _session() as session:
        rows = [{"id": s.id, "created_at": s.created_at.isoformat(), "case": s.case_reference,
                 "recipient": s.recipient, "fields": s.fields, "legal_basis": s.legal_basis,
                 "status": s.status, "ledger_seq": s.ledger_seq}
                for s in ShareService(session).log()]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        typer.echo(f"{row['id']:>5} {row['created_at'][:16]} {row['case']} → {row['recipient']}: "
                   f"{', '.join(row['fields'])} ({row['status']}, ledger {row['ledger_seq']})")


@knowledge_app.command("share-approve")
def share_approve(share_id: int, note: Annotated[str, typer.Option(
        "--note", help="Why (optional for an approval).")] = "",
                  user: UserOption = "") -> None:
    """Approve a share awaiting approval (supervisors; never one's own): a letter is released,
    a held export may then be fetched by the officer who asked."""
    _decide(share_id, user, refuse=False, note=note)


@knowledge_app.command("share-refuse")
def share_refuse(share_id: int, reason: Annotated[str, typer.Option(
        "--reason", help="Why the share is refused (required).")] = "",
                 user: UserOption = "") -> None:
    """Refuse a share awaiting approval, with a reason (supervisors; never one's own)."""
    _decide(share_id, user, refuse=True, note=reason)


@knowledge_app.command("share-withhold")
def share_withhold(share_id: int, decision: Annotated[str, typer.Option(
        "--decision", help="The recorded legal decision: its reference and grounds.")] = "",
                   user: UserOption = "") -> None:
    """Keep a share that went out from the person's access report, on a recorded legal
    decision (the DPO): the report then says only that a share exists. Ledgered."""
    _restrict(share_id, user, decision, withhold=True)


@knowledge_app.command("share-disclose")
def share_disclose(share_id: int, reason: Annotated[str, typer.Option(
        "--reason", help="Why the restriction ends (required).")] = "",
                   user: UserOption = "") -> None:
    """Lift a restriction: the person's access report lists the share in full again (DPO)."""
    _restrict(share_id, user, reason, withhold=False)


def _restrict(share_id: int, user: str, text: str, *, withhold: bool) -> None:
    def act(service: Any, caller: Any) -> str:
        share = (service.withhold(share_id, caller, text) if withhold
                 else service.disclose(share_id, caller, text))
        return f"share {share.id}: " + ("withheld from the access report"
                                        if share.withheld_decision
                                        else "listed in the access report")
    _on_share(user, act)


def _decide(share_id: int, user: str, *, refuse: bool, note: str) -> None:
    def act(service: Any, caller: Any) -> str:
        share = (service.refuse(share_id, caller, note) if refuse
                 else service.approve(share_id, caller, note))
        return (f"share {share.id}: {share.status}"
                + (f"; fetch it with: {share.download.replace('{share}', str(share.id))}"
                   if share.download and share.status == "approved" else ""))
    _on_share(user, act)


def _on_share(user: str, act: Callable[[Any, Any], str]) -> None:
    """Run one decision on a share as ``user`` and print its outcome; a refusal (403, 404,
    409, 422) is the command's error, with exit status 1."""
    from accord.core.errors import AccordError
    from accord.knowledge.cooperation import ShareService

    _, caller = caller_for(user)
    try:
        with _session() as session:
            typer.echo(act(ShareService(session), caller))
    except AccordError as error:
        raise fail(str(error)) from None
