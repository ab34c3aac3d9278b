"""Governance commands: the DPO's assessments, retention and legal holds, rights look-ups."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from accord.core.commandline import UserOption, fail, require_dpo

retention_app = typer.Typer(help="Retention of personal data and legal holds.",
                            no_args_is_help=True)
assessments_app = typer.Typer(help="The DPO's assessments that open high-risk capabilities.",
                              no_args_is_help=True)
rights_app = typer.Typer(help="Data subjects' rights: what Accord holds about a person.",
                         no_args_is_help=True)


def attach(app: typer.Typer) -> None:
    app.add_typer(retention_app, name="retention")
    app.add_typer(assessments_app, name="assessments")
    app.add_typer(rights_app, name="rights")


def _retention() -> Any:
    from accord.core.governance import get_governance
    from accord.governance.retention import RetentionService

    governance = get_governance()
    return RetentionService(governance.gateway.database, governance.ledger)


@rights_app.command("report")
def rights_report(
    document: Annotated[str, typer.Option("--document", help="Identity document number.")] = "",
    name: Annotated[str, typer.Option("--name", help="Full name (without a document).")] = "",
    birth_date: Annotated[str, typer.Option("--birth-date", help="YYYY-MM-DD.")] = "",
    nationality: Annotated[str, typer.Option("--nationality", help="e.g. ESP or ES.")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    user: UserOption = "",
) -> None:
    """What Accord holds about a person: AI decisions, case files, interview reports (DPO)."""
    from accord.core.errors import AccordError
    from accord.governance.rights import RightsService, SubjectLookup

    caller = require_dpo(user)
    if not document and not name:
        raise fail("give --document, or --name with --birth-date and --nationality")
    try:
        report = RightsService.from_governance().subject_report(caller, SubjectLookup(
            document=document, name=name, birth_date=birth_date, nationality=nationality))
    except AccordError as error:
        field = getattr(error, "field", "")
        raise fail(f"{field}: {error}" if field else str(error)) from None
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    query = report["query"]
    typer.echo(f"subject: {', '.join(f'{k} {v}' for k, v in query.items() if k != 'by')} "
               f"(by {query['by']}); look-up ledgered as entry {report['ledger_entry']}")
    typer.echo(f"AI decisions: {report['counts']['decisions']}")
    for row in report["decisions"]:
        typer.echo(f"  {row['time']}  {row['capability']['id']:<22} {row['decision']}  "
                   f"purpose {row['purpose']}  ledger entry {row['ledger_entry']}"
                   + ("  (content erased)" if row["erased"] else ""))
    typer.echo(f"records: {report['counts']['records']} "
               f"({report['counts']['withheld']} withheld)")
    for record in report["records"]:
        mark = "WITHHELD " if record["withheld"] else ""
        typer.echo(f"  {mark}{record['kind']:<17} {record['reference']}  {record['title']}  "
                   f"{record['note']}")


@assessments_app.command("record")
def assessments_record(
    capability_id: str,
    kind: Annotated[str, typer.Option(help="dpia, fria or ethics-review; 'all' for the three.")],
    outcome: Annotated[str, typer.Option(help="approved or rejected")],
    summary: Annotated[str, typer.Option(help="What was assessed and concluded.")],
    document_ref: Annotated[str, typer.Option(help="Where the full assessment is filed.")] = "",
    user: UserOption = "",
) -> None:
    """Record a DPO assessment of a capability (ledgered); high-risk ones need all three."""
    from accord.core.errors import AccordError
    from accord.governance.dpo import ASSESSMENT_KINDS, DpoService

    caller = require_dpo(user)
    kinds = ASSESSMENT_KINDS if kind == "all" else (kind,)
    service = DpoService.from_governance()
    for each in kinds:
        try:
            record = service.record_assessment(caller, capability_id=capability_id, kind=each,
                                               outcome=outcome, summary=summary,
                                               document_ref=document_ref)
        except AccordError as error:
            raise fail(f"{each}: {error}") from None
        typer.echo(f"{capability_id} {each}: {outcome} (ledger entry {record.ledger_seq})")


@assessments_app.command("list")
def assessments_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Whether each high-risk capability is open, and why not."""
    from accord.core.governance import get_governance
    from accord.core.registry import RiskTier
    from accord.governance.dpo import DpoService

    service = DpoService.from_governance()
    rows = []
    for capability in get_governance().registry.all():
        if capability.risk_tier is RiskTier.HIGH:
            cleared, reason = service.assessment_gate(capability.id)
            rows.append({"capability": capability.id, "version": capability.version,
                         "cleared": cleared, "reason": reason})
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        state = "open" if row["cleared"] else f"refused: {row['reason']}"
        typer.echo(f"{row['capability']:<24} v{row['version']:<8} {state}")


@retention_app.command("status")
def retention_status() -> None:
    """What is due for erasure now, held back by legal holds, and what expires next."""
    for expiry in _retention().upcoming():
        nxt = expiry.next_expiry.strftime("%Y-%m-%d %H:%M UTC") if expiry.next_expiry else "—"
        typer.echo(f"{expiry.rule.category:<24} keep {expiry.rule.days:>3} days  due now "
                   f"{expiry.due_now:>5}  held {expiry.held_back:>4}  next expiry {nxt}")


@retention_app.command("run")
def retention_run(user: UserOption = "") -> None:
    """Erase expired data now; each rule applied writes a deletion certificate to the ledger."""
    caller = require_dpo(user)
    certificates = _retention().run(actor=f"user:{caller.user_id}")
    if not certificates:
        typer.echo("nothing has expired")
    for cert in certificates:
        typer.echo(f"{cert.category}: {cert.count} erased, {cert.held_back} held back "
                   f"[deletion certificate: ledger entry {cert.ledger_seq}]")


@retention_app.command("hold")
def retention_hold(case_ref: str, reason: Annotated[str, typer.Option()],
                   user: UserOption = "") -> None:
    """Put a case under legal hold: its data is not erased until released."""
    from accord.core.errors import AccordError

    caller = require_dpo(user)
    try:
        _retention().hold(case_ref, reason, caller.user_id)
    except AccordError as error:
        raise fail(str(error)) from None
    typer.echo(f"case {case_ref} is under legal hold")


@retention_app.command("release")
def retention_release(case_ref: str, user: UserOption = "") -> None:
    """Release a legal hold."""
    from accord.core.errors import AccordError

    caller = require_dpo(user)
    try:
        _retention().release(case_ref, caller.user_id)
    except AccordError as error:
        raise fail(str(error)) from None
    typer.echo(f"legal hold on case {case_ref} released")
