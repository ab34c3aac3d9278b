"""``accord dispatch …``: intake, units, dispatch, CAP alerts and EIDO exchange from the shell.

The commands call the same service functions as the web pages; recommendations and triage
suggestions go through the governed gateway (``accord.dispatch.governed``).
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from accord.core.commandline import UserOption, caller_for, fail
from accord.core.errors import AccordError

dispatch_app = typer.Typer(help="Computer-aided dispatch: intake, units, alerts, EIDO.",
                           no_args_is_help=True)
incident_app = typer.Typer(help="Incidents (calls for service).", no_args_is_help=True)
unit_app = typer.Typer(help="Units and their status.", no_args_is_help=True)
dispatch_app.add_typer(incident_app, name="incident")
dispatch_app.add_typer(unit_app, name="unit")
patrol_app = typer.Typer(help="Patrol plan for idle units from a reviewed hotspot forecast.",
                         no_args_is_help=True)
dispatch_app.add_typer(patrol_app, name="patrol")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _actor(user: str) -> tuple[Any, Any]:
    from accord.dispatch.capability import DISPATCH_ROLES
    from accord.dispatch.service import Actor

    account, caller = caller_for(user)
    if not DISPATCH_ROLES & caller.roles:
        raise fail("only dispatchers, officers and supervisors dispatch")
    return Actor(account.id, account.username, frozenset(caller.roles)), caller


def _service() -> Any:
    from accord.dispatch.service import DispatchService

    return DispatchService()


def _print(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


@incident_app.command("create")
def incident_create(
    type_code: Annotated[str, typer.Option("--type", help="Incident type code (see "
                                           "`accord dispatch types`).")],
    lat: Annotated[float, typer.Option("--lat")],
    lon: Annotated[float, typer.Option("--lon")],
    language: Annotated[str, typer.Option("--language", help="Caller's language, BCP 47.")] = "",
    address: Annotated[str, typer.Option("--address")] = "",
    source: Annotated[str, typer.Option("--source", help="phone, walk-in, web or officer.")]
    = "phone",
    narrative: Annotated[str, typer.Option("--narrative")] = "",
    user: UserOption = "", as_json: JsonOpt = False,
) -> None:
    """Record a call for service and print it with the unit recommendation and its reasons."""
    from accord.dispatch import governed

    actor, caller = _actor(user)
    try:
        incident = _service().create_incident(
            actor, type_code=type_code, lat=lat, lon=lon, source=source, language=language,
            address=address, location_source="coordinates", narrative=narrative)
    except AccordError as error:
        raise fail(str(error)) from None
    incident["recommendation"] = governed.recommend(caller, incident["reference"])
    if as_json:
        _print(incident)
        return
    typer.echo(f"{incident['reference']}: {incident['type_en']}, priority "
               f"{incident['priority']}, {incident['lat']:.5f} {incident['lon']:.5f}")
    for other in incident["earlier_calls"]:
        typer.echo(f"  earlier call here: {other['reference']} {other['type']} "
                   f"({other['created_at']})")
    for other in incident["duplicates"]:
        typer.echo(f"  possible duplicate: {other['reference']} ({other['metres']} m)")
    _print_recommendation(incident["recommendation"])


def _print_recommendation(recommendation: dict[str, Any]) -> None:
    if "refused" in recommendation:
        typer.echo(f"  no recommendation: {recommendation['refused']}")
        return
    for unit in recommendation["units"]:
        typer.echo(f"  {unit['summary']}")
    typer.echo(f"  road data: {recommendation['attribution']}")


@incident_app.command("show")
def incident_show(reference: str, user: UserOption = "") -> None:
    """Print an incident: intake, narrative, timeline, earlier calls."""
    _actor(user)
    try:
        _print(_service().incident(reference))
    except AccordError as error:
        raise fail(str(error)) from None


@incident_app.command("status")
def incident_status(reference: str, status: str, reason: str = "",
                    user: UserOption = "") -> None:
    """Change an incident's status (new, advised, closed, …)."""
    actor, _ = _actor(user)
    try:
        incident = _service().set_incident_status(actor, reference, status, reason)
    except AccordError as error:
        raise fail(str(error)) from None
    typer.echo(f"{incident['reference']} is {incident['status']}")


@incident_app.command("person")
def incident_person(reference: str,
                    role: Annotated[str, typer.Option("--role", help="caller, victim, suspect "
                                                      "or witness.")],
                    name: Annotated[str, typer.Option("--name")] = "",
                    description: Annotated[str, typer.Option("--description")] = "",
                    contact: Annotated[str, typer.Option("--contact", help="Caller only.")]
                    = "", user: UserOption = "") -> None:
    """Link a person to an incident (role, name if given, short description)."""
    actor, _ = _actor(user)
    try:
        incident = _service().link_person(actor, reference, role=role, name=name,
                                          description=description, contact=contact)
    except AccordError as error:
        raise fail(str(error)) from None
    typer.echo(f"{incident['reference']}: {len(incident['persons'])} linked persons")


@incident_app.command("needs")
def incident_person_needs(reference: str, person_id: int,
                          need: Annotated[list[str] | None, typer.Option(
                              "--need", help="A need the person states (repeat; none clears): "
                              "language, dietary, prayer, search-gender, minor, notice, "
                              "consular, disability.")] = None,
                          user: UserOption = "") -> None:
    """Record the needs a linked person states (the incident page shows the guidance)."""
    actor, _ = _actor(user)
    try:
        incident = _service().state_person_needs(actor, reference, person_id, need or [])
    except AccordError as error:
        raise fail(str(error)) from None
    person = next(p for p in incident["persons"] if p["id"] == person_id)
    typer.echo(f"{incident['reference']}: person {person_id} states "
               f"{', '.join(person['stated_needs']) or 'no needs'}")


@incident_app.command("vehicle")
def incident_vehicle(reference: str, plate: Annotated[str, typer.Option("--plate")] = "",
                     make: Annotated[str, typer.Option("--make")] = "",
                     colour: Annotated[str, typer.Option("--colour")] = "",
                     role: Annotated[str, typer.Option(
                         "--role", help="involved, suspect, victim or witness")] = "involved",
                     user: UserOption = "") -> None:
    """Link a vehicle to an incident (its role, plate, make, colour)."""
    actor, _ = _actor(user)
    try:
        incident = _service().link_vehicle(actor, reference, plate=plate, make=make,
                                           colour=colour, role=role)
    except AccordError as error:
        raise fail(str(error)) from None
    typer.echo(f"{incident['reference']}: {len(incident['vehicles'])} linked vehicles")


@incident_app.command("interpreter")
def incident_interpreter(reference: str, notes: Annotated[str, typer.Option("--notes")] = "",
                         user: UserOption = "") -> None:
    """Request a human interpreter in the caller's language for an incident."""
    actor, _ = _actor(user)
    try:
        done = _service().request_interpreter(actor, reference, notes)
    except AccordError as error:
        raise fail(str(error)) from None
    typer.echo(f"{done['incident']}: interpreter request {done['request']} ({done['language']})")


@incident_app.command("transcribe")
def incident_transcribe(reference: str,
                        wav: Annotated[Path, typer.Argument(help="The caller's WAV recording.")],
                        user: UserOption = "", as_json: JsonOpt = False) -> None:
    """Attach a caller's recording: a queue job transcribes it (a draft until confirmed)."""
    from accord.dispatch import recordings

    actor, _ = _actor(user)
    if not wav.is_file():
        raise fail(f"no file {wav}")
    if wav.stat().st_size > recordings.MAX_RECORDING_BYTES:
        raise fail(f"{wav} is larger than {recordings.MAX_RECORDING_BYTES} bytes")
    try:
        done = recordings.attach(_service(), actor, reference, wav.read_bytes())
    except AccordError as error:
        raise fail(str(error)) from None
    if as_json:
        _print(done)
        return
    typer.echo(f"{done['incident']}: recording {done['id']} {done['status']} "
               f"(job {done['job_id']})")
    if done["status"] == "draft":
        typer.echo("DRAFT, not part of the record until confirmed:")
        for segment in done["segments"]:
            typer.echo(f"  [{segment['confidence']:.0%}] {segment['text']}")


@incident_app.command("transcript")
def incident_transcript(
        reference: str, recording: int,
        confirm: Annotated[str, typer.Option("--confirm", help="The transcript as read back "
                                             "and corrected: added to the narrative.")] = "",
        discard: Annotated[bool, typer.Option("--discard", help="Erase the draft.")] = False,
        user: UserOption = "", as_json: JsonOpt = False) -> None:
    """Show a recording's draft transcript, confirm it into the narrative, or discard it."""
    from accord.dispatch import recordings

    actor, _ = _actor(user)
    service = _service()
    try:
        if confirm and discard:
            raise fail("--confirm or --discard, not both")
        if confirm:
            recordings.confirm(service, actor, reference, recording, confirm)
        elif discard:
            recordings.discard(service, actor, reference, recording)
        done = recordings.recording(service, actor, reference, recording)
    except AccordError as error:
        raise fail(str(error)) from None
    if as_json:
        _print(done)
    else:
        typer.echo(f"{done['incident']}: recording {done['id']} {done['status']}")
        if done["status"] == "draft":
            typer.echo(done["draft"])


@patrol_app.command("history")
def patrol_history(days: Annotated[int, typer.Option("--days")] = 365, user: UserOption = "",
                   as_json: JsonOpt = False) -> None:
    """Hand the incident history (time, place, type, sector) to forecasting as a dataset."""
    from accord.dispatch import patrol

    actor, _ = _actor(user)
    try:
        done = patrol.prepare_history(_service(), actor, days)
    except AccordError as error:
        raise fail(str(error)) from None
    if as_json:
        _print(done)
    else:
        typer.echo(f"dataset {done['dataset']}: {done['events']} incidents; {done['next']}")


@patrol_app.command("plan")
def patrol_plan(decision: Annotated[str, typer.Argument(help="forecast.hotspots decision id")],
                accept: Annotated[bool, typer.Option("--accept", help="Accept the plan "
                                                     "(ledgered).")] = False,
                user: UserOption = "", as_json: JsonOpt = False) -> None:
    """Propose (or accept) cells for idle units, capped by the forecast's exposure audit."""
    from accord.dispatch import patrol

    actor, _ = _actor(user)
    try:
        plan = (patrol.accept(_service(), actor, decision) if accept
                else patrol.propose(_service(), decision))
    except AccordError as error:
        raise fail(str(error)) from None
    if as_json:
        _print(plan)
        return
    for assignment in plan["assignments"]:
        typer.echo(assignment["summary"])
    for cell in plan["left_out"]:
        typer.echo(f"  left out {cell['cell']} ({cell['district']}): {cell['reason']}")
    if plan.get("accepted"):
        typer.echo(f"accepted: ledger entry {plan['ledger_seq']}")


@unit_app.command("safety")
def unit_safety(user: UserOption = "", as_json: JsonOpt = False) -> None:
    """Officer-safety timers of the units on scene (flags any that ran out)."""
    _actor(user)
    service = _service()
    service.check_safety_timers()
    timers = service.safety_timers()
    if as_json:
        _print(timers)
        return
    for timer in timers:
        state = (f"OVERDUE by {timer['overdue_seconds'] // 60} min" if timer["overdue"]
                 else f"due {timer['due'][11:16]} UTC")
        typer.echo(f"unit {timer['call_sign']} on scene at {timer['incident']}: {state}")


@unit_app.command("ack")
def unit_ack(call_sign: str, user: UserOption = "") -> None:
    """Acknowledge a unit's safety check (the browser's `AK 12`): its timer starts again."""
    actor, _ = _actor(user)
    try:
        unit = _service().acknowledge_safety(actor, call_sign)
    except AccordError as error:
        raise fail(str(error), 2 if getattr(error, "status", 400) == 409 else 1) from None
    typer.echo(f"unit {unit['call_sign']}: safety check acknowledged")


@dispatch_app.command("types")
def types(as_json: JsonOpt = False) -> None:
    """The incident-type vocabulary with default priorities."""
    from accord.dispatch.vocabulary import incident_types

    rows = [{"code": t.code, "priority": t.priority, "en": t.en, "zh": t.zh}
            for t in incident_types().values()]
    if as_json:
        _print(rows)
    else:
        for row in rows:
            typer.echo(f"{row['code']:28} P{row['priority']}  {row['en']} / {row['zh']}")


@unit_app.command("add")
def unit_add(call_sign: str, lat: Annotated[float, typer.Option("--lat")],
             lon: Annotated[float, typer.Option("--lon")],
             skill: Annotated[list[str] | None, typer.Option("--skill")] = None,
             language: Annotated[list[str] | None, typer.Option("--language")] = None,
             user: UserOption = "") -> None:
    """Add a unit (call sign, position, skills, languages spoken)."""
    actor, _ = _actor(user)
    try:
        unit = _service().create_unit(actor, call_sign, lat, lon, skill or (), language or ())
    except AccordError as error:
        raise fail(str(error)) from None
    typer.echo(f"unit {unit['call_sign']} added ({unit['status']})")


@unit_app.command("seed")
def unit_seed(count: Annotated[int, typer.Option("--count")] = 12,
              seed: Annotated[int, typer.Option("--seed")] = 1, user: UserOption = "") -> None:
    """Place demonstration units on random road nodes, some speaking zh, ru or ar."""
    actor, _ = _actor(user)
    service = _service()
    rng = random.Random(seed)  # noqa: S311 - demonstration positions, not secrets
    roads = service.roads
    spoken = [["fi", "en"], ["fi", "en", "ru"], ["fi", "en", "zh"], ["fi", "sv", "en"],
              ["fi", "en", "ar"]]
    skills = [[], ["traffic"], ["medical"], ["interpreter"], []]
    made = 0
    existing = {u["call_sign"] for u in service.units()}
    for number in range(1, 1000):
        if made >= count:
            break
        if str(number) in existing:
            continue
        index = rng.randrange(len(roads.nodes))
        service.create_unit(actor, str(number), float(roads.lat[index]),
                            float(roads.lon[index]), skills[number % 5], spoken[number % 5])
        made += 1
    typer.echo(f"{made} units added")


@unit_app.command("status")
def unit_status(call_sign: str, status: str, user: UserOption = "") -> None:
    """Change a unit's status (en-route, on-scene, clear, available, out-of-service)."""
    actor, _ = _actor(user)
    try:
        unit = _service().set_unit_status(actor, call_sign, status)
    except AccordError as error:
        raise fail(str(error), 2 if getattr(error, "status", 400) == 409 else 1) from None
    typer.echo(f"unit {unit['call_sign']} is {unit['status']}")


@dispatch_app.command("send")
def send(call_sign: str, reference: str, user: UserOption = "") -> None:
    """Dispatch a unit to an incident (the browser's `DU 12 E-1043`)."""
    actor, _ = _actor(user)
    try:
        unit = _service().dispatch(actor, call_sign, reference)
    except AccordError as error:
        raise fail(str(error), 2 if getattr(error, "status", 400) == 409 else 1) from None
    typer.echo(f"unit {unit['call_sign']} dispatched to {unit['incident']}")


@dispatch_app.command("alert")
def alert(
    incident: Annotated[str, typer.Option("--incident", help="Incident, e.g. E-12.")],
    lang: Annotated[list[str], typer.Option("--lang", help="One <info> per language.")],
    out: Annotated[Path, typer.Option("--out", help="Write the CAP XML here.")],
    text: Annotated[list[str] | None, typer.Option(
        "--text", help="LANG=headline|description[|instruction] for a language without a "
                       "written template (all but zh and en).")] = None,
    urgency: str = "Expected", severity: str = "Moderate", certainty: str = "Observed",
    radius_km: float = 0.5, publish: bool = False, user: UserOption = "",
) -> None:
    """Write an OASIS CAP 1.2 alert about an incident, validated against the CAP 1.2 XSD."""
    from accord.dispatch import cap

    actor, _ = _actor(user)
    own: dict[str, tuple[str, str, str]] = {}
    for item in text or ():
        code, _, rest = item.partition("=")
        parts = rest.split("|")
        if not code or len(parts) < 2:
            raise fail(f"--text {item!r}: expected LANG=headline|description[|instruction]")
        own[code.strip()] = (parts[0], parts[1], parts[2] if len(parts) > 2 else "")
    service = _service()
    try:
        data = service.incident(incident)
        texts = cap.template_texts(lang, data, own)
        identifier, xml = cap.build_alert(data, texts, urgency=urgency, severity=severity,
                                          certainty=certainty, radius_km=radius_km)
        if publish:
            service.save_alert(actor, data["id"], identifier, texts[0].headline,
                               [t.language for t in texts], xml.decode("utf-8"))
    except AccordError as error:
        raise fail(str(error)) from None
    out.write_bytes(xml)
    typer.echo(f"{out}: CAP 1.2 alert {identifier}, {len(texts)} languages, valid against "
               "the CAP 1.2 schema" + (", published" if publish else ""))


@dispatch_app.command("export")
def export(reference: str, format: Annotated[str, typer.Option("--format")] = "eido",
           out: Annotated[Path | None, typer.Option("--out")] = None,
           recipient: Annotated[str, typer.Option(
               "--recipient", help="Who receives the export (recorded in the share log).")] = "",
           share: Annotated[int | None, typer.Option(
               "--share", help="Fetch an export a supervisor approved (its share number).")]
           = None,
           user: UserOption = "") -> None:
    """Export an incident as NENA EIDO JSON (stdout unless --out); the export is recorded in
    the share log. One holding the narrative waits for a supervisor's approval (exit code 3,
    the share number on stderr); then fetch it with --share."""
    from accord.dispatch import eido

    actor, _ = _actor(user)
    if format != "eido":
        raise fail("the only export format is eido")
    try:
        incident = _service().incident(reference)
        if share is not None:
            body: bytes | None = eido.export_released(incident, share, user_id=actor.user_id)
        else:
            state, body = eido.export_shared(incident, recipient=recipient,
                                             user_id=actor.user_id)
            if body is None:
                assert state is not None
                typer.echo(f"held: share {state.id} awaits a supervisor's approval "
                           f"(accord knowledge share-approve {state.id}); then run "
                           f"accord dispatch export {reference} --share {state.id}", err=True)
                raise typer.Exit(3)
    except AccordError as error:
        raise fail(str(error)) from None
    document = json.loads(body)
    text = json.dumps(document, indent=2, ensure_ascii=False)
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")
        typer.echo(f"{out}: EIDO for {reference}", err=True)


@dispatch_app.command("import")
def import_(path: Annotated[Path, typer.Argument(help="EIDO JSON file ('-' for stdin).")],
            user: UserOption = "", as_json: JsonOpt = False) -> None:
    """Take over an incident from another dispatch system (NENA EIDO JSON)."""
    from accord.dispatch import eido

    actor, _ = _actor(user)
    raw = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    if len(raw.encode("utf-8")) > eido.MAX_BYTES:
        raise fail(f"an EIDO document may be at most {eido.MAX_BYTES} bytes")
    try:
        fields = eido.parse(json.loads(raw))
        incident = _service().create_incident(actor, location_source="import", **fields)
    except json.JSONDecodeError as error:
        raise fail(f"not JSON: {error}") from None
    except AccordError as error:
        raise fail(str(error)) from None
    if as_json:
        _print(incident)
    else:
        typer.echo(f"imported as {incident['reference']} (from {incident['external_id']})")


def attach(app: typer.Typer) -> None:
    app.add_typer(dispatch_app, name="dispatch", help="Computer-aided dispatch.")
