"""Dispatch pages and API for dispatchers, officers and supervisors, and the public alert feed.

Routers, one access rule each:

* ``router`` (``/dispatch``) — dispatchers, officers and supervisors: queue, intake, incident
  page with earlier calls and the recommendation with its reasons, units with status buttons, the
  command line (``DU 12 E-1043``), CAP alerts, EIDO export and the live board.
* ``api_router`` (``/api/v1/dispatch``) — the same people with an API token: intake and queue
  as JSON (the intake benchmark's target).
* ``public_router`` — anyone: published CAP alerts and their Atom feed.

The live board is a server-sent event stream fed from the ``dispatch_events`` table, so every
app process serves the same history. In each process one reader reads new rows (woken by
PostgreSQL NOTIFY; on SQLite every 0.2 s, or at once after a commit in the same process, while
someone is connected) and hands them, encoded once, to all of that process's streams; a stream
that reconnects sends ``Last-Event-ID`` and first catches up from the table.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import json
import logging
import re
from collections import deque
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any
from xml.sax.saxutils import escape

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, SkipValidation, ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from accord.core.contract import need_guidance
from accord.core.db import Database
from accord.core.errors import AccordError, NotFound, ValidationFailed
from accord.core.gateway.service import Caller
from accord.core.i18n import M_
from accord.core.needs import STATED_NEEDS
from accord.core.roles import Role
from accord.dispatch import cap, eido, governed, patrol, recordings
from accord.dispatch.notify import Listener, on_local_commit
from accord.dispatch.roads import ATTRIBUTION
from accord.dispatch.service import (
    LOCATION_SOURCES,
    SOURCES,
    Actor,
    DispatchService,
    check_vehicle,
)
from accord.dispatch.states import (
    EVENT_WORDS,
    INCIDENT_TRANSITIONS,
    PERSON_ROLE_WORDS,
    STATUS_WORDS,
    UNIT_TRANSITIONS,
    VEHICLE_ROLE_WORDS,
)
from accord.dispatch.vocabulary import incident_types
from accord.web import uploads
from accord.web.deps import (
    Grant,
    Principal,
    db_session,
    get_database,
    require_roles,
    roles_checked_in_call,
)
from accord.web.responses import FastJSONResponse
from accord.web.templating import render

# The same roles as the incident's object rule (capability.DISPATCH_ROLES): every dispatch page
# and API call, patrol plan and recordings included, is dispatch work; case files are not.
access = require_roles(Role.OFFICER, Role.SUPERVISOR, Role.DISPATCHER)
router = APIRouter(prefix="/dispatch", include_in_schema=False, dependencies=[Depends(access)])
api_router = APIRouter(prefix="/api/v1/dispatch", tags=["dispatch"],
                       dependencies=[Depends(access)])
#: Intake, the hot path: the same roles, checked inside the route's one worker-thread call
#: (Grant.call) rather than by a dependency of its own on the thread pool. Its own router, as
#: api_router's router-level check would add the second hand-off back.
intake_access = roles_checked_in_call(*access.accord_roles)  # type: ignore[attr-defined]
intake_router = APIRouter(prefix="/api/v1/dispatch", tags=["dispatch"])
public_router = APIRouter(include_in_schema=False)

log = logging.getLogger(__name__)
POLL_SECONDS = 0.2  # SQLite only; PostgreSQL boards wake on LISTEN/NOTIFY
SAFETY_CHECK_SECONDS = 5.0  # how often a process with an open board checks the safety timers
KEEPALIVE_SECONDS = 15.0
RECENT = 2000  # events each process keeps in memory for streams that fall a little behind
COMMAND = re.compile(r"^\s*(?P<verb>[A-Za-z]{2})\s+(?P<args>.+?)\s*$")


async def _service(request: Request) -> DispatchService:
    """No I/O here, so no thread-pool hop for it (see accord.web.deps); the database from the
    app's state, not through another dependency (each costs CPU on every request)."""
    return DispatchService(request.app.state.database)


def _actor(principal: Principal) -> Actor:
    return Actor(principal.user.id, principal.user.username,
                 frozenset(str(r) for r in principal.user.roles))


def _caller(principal: Principal) -> Caller:
    user = principal.user
    return Caller(user_id=user.id, username=user.username,
                  roles=frozenset(str(r) for r in user.roles))


def _language(request: Request) -> str:
    return "zh" if str(getattr(request.state, "language", "")).startswith("zh") else "en"


def _types(language: str) -> list[tuple[str, str, int]]:
    return [(t.code, t.name(language), t.priority) for t in incident_types().values()]


def _type_words(request: Request) -> dict[str, str]:
    """Incident type codes to their names in the reader's language (the board's rows, drawn
    now and by its events, and earlier calls at a place)."""
    return {code: name for code, name, _ in _types(_language(request))}


# -- pages -----------------------------------------------------------------------------------
@router.get("")
def queue_page(request: Request, principal: Principal = Depends(access),
               service: DispatchService = Depends(_service)) -> Response:
    return _queue(request, service)


def _queue(request: Request, service: DispatchService, error: AccordError | None = None,
           form: dict[str, Any] | None = None, status_code: int = 200,
           intake: dict[str, Any] | None = None,
           language_suggestion: dict[str, Any] | None = None) -> Response:
    form = form or {}
    questions: list[dict[str, Any]] = []
    if form.get("type") in incident_types():
        questions = service.intake_questions(form["type"], form.get("language", ""))
    return render(request, "dispatch/queue.html", {
        "queue": service.queue(), "types": _types(_language(request)),
        "override": service.override_rate(), "error": error, "form": form,
        "intake": intake, "attribution": ATTRIBUTION, "questions": questions,
        "language_suggestion": language_suggestion, "status_words": STATUS_WORDS,
        "type_words": _type_words(request), "vehicle_roles": VEHICLE_ROLE_WORDS},
        status_code=status_code)


@router.post("/incidents")
def create_incident(request: Request, type_code: str = Form("", alias="type"),
                    lat: str = Form(""), lon: str = Form(""), address: str = Form(""),
                    source: str = Form("phone"), language: str = Form(""),
                    location_source: str = Form("caller"), narrative: str = Form(""),
                    hazards: str = Form(""), device_lat: str = Form(""),
                    device_lon: str = Form(""), weapon: str = Form(""),
                    injured: str = Form(""), in_progress: str = Form(""),
                    vehicle_role: str = Form("involved"), vehicle_plate: str = Form(""),
                    vehicle_make: str = Form(""), vehicle_colour: str = Form(""),
                    confirm: str = Form(""), principal: Principal = Depends(access),
                    service: DispatchService = Depends(_service)) -> Response:
    """Intake. Earlier calls and possible duplicates are shown first; the dispatcher confirms
    a new incident anyway (nothing is ever merged by itself). A vehicle given on the form
    (plate, make or colour) is checked as the API's are, before anything else, and linked in
    the incident's own transaction."""
    form = {"type": type_code, "lat": lat, "lon": lon, "address": address, "source": source,
            "language": language, "location_source": location_source,
            "narrative": narrative, "hazards": hazards, "device_lat": device_lat,
            "device_lon": device_lon, "weapon": weapon, "injured": injured,
            "in_progress": in_progress, **_vehicle_form(vehicle_role, vehicle_plate,
                                                        vehicle_make, vehicle_colour)}
    try:
        vehicles = _intake_vehicles(form)
        if not confirm:
            nearby = service.intake_check(lat, lon, address, type_code)
            if nearby["earlier_calls"] or nearby["duplicates"]:
                return _queue(request, service, form=form, intake=nearby)
        incident = service.create_incident(
            _actor(principal), type_code=type_code, lat=lat, lon=lon, source=source,
            language=language, address=address, location_source=location_source,
            narrative=narrative, hazards=hazards, device_lat=device_lat or None,
            device_lon=device_lon or None, vehicles=vehicles)
    except AccordError as error:
        return _queue(request, service, error=error, form=form, status_code=error.status)
    answers = {"weapon": "yes" if weapon else "", "injured": "yes" if injured else "",
               "in_progress": "yes" if in_progress else ""}
    suggestion = governed.triage(_caller(principal), incident["reference"], type_code,
                                 narrative, answers, _language(request))
    target = f"/dispatch/incidents/{incident['reference']}"
    if suggestion.get("decision_id"):
        target += f"?triage={suggestion['decision_id']}"
    return RedirectResponse(target, status_code=303)


def _vehicle_form(role: str, plate: str, make: str, colour: str) -> dict[str, str]:
    return {"vehicle_role": role, "vehicle_plate": plate, "vehicle_make": make,
            "vehicle_colour": colour}


def _intake_vehicles(form: dict[str, str]) -> list[tuple[str, str, str, str]]:
    """The vehicle of the intake form, checked like the API's (``check_vehicle``: a 422 that
    names the field), or none when its plate, make and colour are all empty."""
    fields = (form["vehicle_plate"], form["vehicle_make"], form["vehicle_colour"])
    if not any(field.strip() for field in fields):
        return []
    return [check_vehicle(form["vehicle_role"], *fields)]


@router.post("/intake/language")
def intake_language(request: Request, type_code: str = Form("", alias="type"),
                    lat: str = Form(""), lon: str = Form(""), address: str = Form(""),
                    source: str = Form("phone"), language: str = Form(""),
                    location_source: str = Form("caller"), narrative: str = Form(""),
                    hazards: str = Form(""), device_lat: str = Form(""),
                    device_lon: str = Form(""), vehicle_role: str = Form("involved"),
                    vehicle_plate: str = Form(""), vehicle_make: str = Form(""),
                    vehicle_colour: str = Form(""), principal: Principal = Depends(access),
                    service: DispatchService = Depends(_service)) -> Response:
    """Suggest the caller's language from the words typed so far (the gateway's language-ID
    capability) and show the intake questions; nothing is stored and the language field is
    left as the dispatcher set it."""
    form = {"type": type_code, "lat": lat, "lon": lon, "address": address, "source": source,
            "language": language, "location_source": location_source,
            "narrative": narrative, "hazards": hazards, "device_lat": device_lat,
            "device_lon": device_lon, **_vehicle_form(vehicle_role, vehicle_plate,
                                                      vehicle_make, vehicle_colour)}
    if not narrative.strip():
        error = ValidationFailed(detail=M_("type the caller's first words in the narrative to "
                                           "get a language suggestion"))
        return _queue(request, service, error=error, form=form, status_code=error.status)
    suggestion = governed.suggest_language(_caller(principal), narrative, _language(request))
    return _queue(request, service, form=form, language_suggestion=suggestion)


@router.post("/incidents/{reference}/interpreter")
def request_interpreter(request: Request, reference: str, notes: str = Form(""),
                        principal: Principal = Depends(access),
                        service: DispatchService = Depends(_service)) -> Response:
    """The "request interpreter" button: an interpreter request in the caller's language."""
    return _act(request, principal, service, reference,
                lambda: service.request_interpreter(_actor(principal), reference, notes))


@router.get("/incidents/{reference}")
def incident_page(request: Request, reference: str, triage: str = "",
                  principal: Principal = Depends(access),
                  service: DispatchService = Depends(_service)) -> Response:
    return _incident(request, principal, service, reference, triage)


def _incident(request: Request, principal: Principal, service: DispatchService,
              reference: str, triage: str = "", error: AccordError | None = None,
              status_code: int = 200) -> Response:
    incident = service.incident(reference)
    suggestion = _suggestion(triage) if triage and not incident["triage"]["outcome"] else None
    recommendation = (governed.recommend(_caller(principal), incident["reference"],
                                         language=_language(request))
                      if incident["status"] in ("new", "dispatched", "on-scene") else None)
    language = _language(request)
    return render(request, "dispatch/incident.html", {
        "status_words": STATUS_WORDS, "event_words": EVENT_WORDS, "incident": incident,
        "type_words": _type_words(request),
        "urgency_words": cap.URGENCY_WORDS, "severity_words": cap.SEVERITY_WORDS,
        "recording_mb": recordings.MAX_RECORDING_BYTES // (1024 * 1024),
        "suggestion": suggestion,
        "triage_id": triage,
        # Guidance for what each linked person stated (core hook: the package keeping it).
        "vehicle_roles": VEHICLE_ROLE_WORDS, "person_roles": PERSON_ROLE_WORDS,
        "need_labels": STATED_NEEDS, "needs_guidance": {
            p["id"]: need_guidance(p["stated_needs"], language) for p in incident["persons"]},
        "recommendation": recommendation, "types": _types(_language(request)),
        "statuses": sorted(INCIDENT_TRANSITIONS[incident["status"]]), "error": error,
        "attribution": ATTRIBUTION}, status_code=status_code)


def _suggestion(decision_id: str) -> dict[str, Any] | None:
    from accord.core.governance import get_governance

    try:
        output = get_governance().gateway.usable_output(decision_id)
    except AccordError:
        return None
    return output if "priority" in output and "cues" in output else None


def _act(request: Request, principal: Principal, service: DispatchService, reference: str,
         action: Any) -> Response:
    """Run a change; on a refusal show the incident page with the reason and its status."""
    try:
        action()
    except AccordError as error:
        if isinstance(error, NotFound):
            raise
        return _incident(request, principal, service, reference, error=error,
                         status_code=error.status)
    return RedirectResponse(f"/dispatch/incidents/{reference}", status_code=303)


@router.post("/incidents/{reference}/triage")
def answer_triage(request: Request, reference: str, decision_id: str = Form(""),
                  answer: str = Form(""), type_code: str = Form("", alias="type"),
                  priority: str = Form(""), reason: str = Form(""),
                  principal: Principal = Depends(access),
                  service: DispatchService = Depends(_service)) -> Response:
    suggestion = _suggestion(decision_id)

    def run() -> None:
        if suggestion is None:
            raise ValidationFailed(detail=M_("no such triage suggestion"))
        if answer not in ("accept", "override"):
            raise ValidationFailed(detail=M_("answer must be accept or override"))
        chosen = int(priority) if priority.strip().isdigit() else None
        service.record_triage(_actor(principal), reference, decision_id=decision_id,
                              suggestion=suggestion, accept=answer == "accept",
                              type_code=type_code, priority=chosen, reason=reason)

    return _act(request, principal, service, reference, run)


@router.post("/incidents/{reference}/narrative")
def add_narrative(request: Request, reference: str, text: str = Form(""),
                  principal: Principal = Depends(access),
                  service: DispatchService = Depends(_service)) -> Response:
    return _act(request, principal, service, reference,
                lambda: service.add_narrative(_actor(principal), reference, text))


@router.post("/incidents/{reference}/status")
def incident_status(request: Request, reference: str, status: str = Form(""),
                    reason: str = Form(""), principal: Principal = Depends(access),
                    service: DispatchService = Depends(_service)) -> Response:
    return _act(request, principal, service, reference,
                lambda: service.set_incident_status(_actor(principal), reference, status,
                                                    reason))


@router.post("/incidents/{reference}/location")
def adopt_location(request: Request, reference: str, principal: Principal = Depends(access),
                   service: DispatchService = Depends(_service)) -> Response:
    return _act(request, principal, service, reference,
                lambda: service.adopt_device_location(_actor(principal), reference))


@router.post("/incidents/{reference}/persons")
def link_person(request: Request, reference: str, role: str = Form(""), name: str = Form(""),
                description: str = Form(""), contact: str = Form(""),
                principal: Principal = Depends(access),
                service: DispatchService = Depends(_service)) -> Response:
    return _act(request, principal, service, reference,
                lambda: service.link_person(_actor(principal), reference, role=role, name=name,
                                            description=description, contact=contact))


@router.post("/incidents/{reference}/persons/{person_id:int}/needs")
async def person_needs(request: Request, reference: str, person_id: int,
                       principal: Principal = Depends(access),
                       service: DispatchService = Depends(_service)) -> Response:
    """The needs a linked person states (ticked from the fixed list; none clears them)."""
    needs = [v for v in (await request.form()).getlist("need") if isinstance(v, str)]
    return _act(request, principal, service, reference,
                lambda: service.state_person_needs(_actor(principal), reference, person_id,
                                                   needs))


@router.post("/incidents/{reference}/vehicles")
def link_vehicle(request: Request, reference: str, plate: str = Form(""), make: str = Form(""),
                 colour: str = Form(""), role: str = Form("involved"),
                 principal: Principal = Depends(access),
                 service: DispatchService = Depends(_service)) -> Response:
    return _act(request, principal, service, reference,
                lambda: service.link_vehicle(_actor(principal), reference, plate=plate,
                                             make=make, colour=colour, role=role))


@router.post("/incidents/{reference}/unlink")
def unlink(request: Request, reference: str, what: str = Form(""), item: int = Form(0),
           principal: Principal = Depends(access),
           service: DispatchService = Depends(_service)) -> Response:
    return _act(request, principal, service, reference,
                lambda: service.unlink(_actor(principal), reference, what, item))


@router.post("/incidents/{reference}/dispatch")
def dispatch_unit(request: Request, reference: str, call_sign: str = Form(""),
                  version: str = Form(""), principal: Principal = Depends(access),
                  service: DispatchService = Depends(_service)) -> Response:
    expected = int(version) if version.strip().isdigit() else None
    return _act(request, principal, service, reference,
                lambda: service.dispatch(_actor(principal), call_sign, reference, expected))


@router.post("/incidents/{reference}/alert")
def publish_alert(request: Request, reference: str, languages: list[str] = Form([]),
                  urgency: str = Form("Expected"), severity: str = Form("Moderate"),
                  certainty: str = Form("Observed"), other_language: str = Form(""),
                  other_headline: str = Form(""), other_description: str = Form(""),
                  principal: Principal = Depends(access),
                  service: DispatchService = Depends(_service)) -> Response:
    published: dict[str, Any] = {}

    def run() -> None:
        incident = service.incident(reference)
        chosen = [code for code in languages if code]
        own: dict[str, tuple[str, str, str]] = {}
        if other_language.strip():
            chosen.append(other_language.strip())
            own[other_language.strip()] = (other_headline, other_description, "")
        texts = cap.template_texts(chosen, incident, own)
        identifier, xml = cap.build_alert(incident, texts, urgency=urgency, severity=severity,
                                          certainty=certainty)
        published.update(service.save_alert(_actor(principal), incident["id"], identifier,
                                            texts[0].headline, [t.language for t in texts],
                                            xml.decode("utf-8")))

    response = _act(request, principal, service, reference, run)
    if published:
        return RedirectResponse(f"/alerts/{published['id']}.xml", status_code=303)
    return response


@router.post("/incidents/{reference}/recordings",
             # the recording's own limit, plus the multipart envelope
             openapi_extra=uploads.accepts_files(recordings.MAX_RECORDING_BYTES + 16_384))
async def attach_recording(request: Request, reference: str,
                           audio: UploadFile | None = File(None),
                           principal: Principal = Depends(access),
                           service: DispatchService = Depends(_service)) -> Response:
    """Upload a caller's recording: transcribed by a queue job, shown as a draft."""
    # Read at most one byte past the limit: a larger upload is refused without holding it.
    data = await audio.read(recordings.MAX_RECORDING_BYTES + 1) if audio is not None else b""
    return await run_in_threadpool(
        _act, request, principal, service, reference,
        lambda: recordings.attach(service, _actor(principal), reference, data))


@router.get("/incidents/{reference}/recordings/{recording_id}")
def recording_fragment(request: Request, reference: str, recording_id: int,
                       principal: Principal = Depends(access),
                       service: DispatchService = Depends(_service)) -> Response:
    """One recording's progress or draft (the incident page polls it while the job runs)."""
    found = recordings.recording(service, _actor(principal), reference, recording_id)
    if request.headers.get("hx-request"):
        return render(request, "dispatch/_recording.html", {
            "r": found, "reference": found["incident"],
            "status": service.incident(reference)["status"]})
    return JSONResponse(found)


@router.post("/incidents/{reference}/recordings/{recording_id}/confirm")
def confirm_recording(request: Request, reference: str, recording_id: int,
                      text: str = Form(""), principal: Principal = Depends(access),
                      service: DispatchService = Depends(_service)) -> Response:
    """The dispatcher's confirmation: the (corrected) transcript enters the narrative."""
    return _act(request, principal, service, reference,
                lambda: recordings.confirm(service, _actor(principal), reference,
                                           recording_id, text))


@router.post("/incidents/{reference}/recordings/{recording_id}/discard")
def discard_recording(request: Request, reference: str, recording_id: int,
                      principal: Principal = Depends(access),
                      service: DispatchService = Depends(_service)) -> Response:
    return _act(request, principal, service, reference,
                lambda: recordings.discard(service, _actor(principal), reference,
                                           recording_id))


def _patrol_page(request: Request, decision: str = "", plan: dict[str, Any] | None = None,
                 prepared: dict[str, Any] | None = None, accepted: dict[str, Any] | None = None,
                 error: AccordError | None = None, status_code: int = 200) -> Response:
    return render(request, "dispatch/patrol.html", {
        "decision": decision, "plan": plan, "prepared": prepared, "accepted": accepted,
        "error": error}, status_code=status_code)


@router.get("/patrol")
def patrol_page(request: Request, decision: str = "", principal: Principal = Depends(access),
                service: DispatchService = Depends(_service)) -> Response:
    """The patrol plan proposed from a reviewed hotspot forecast (``?decision=``)."""
    if not decision.strip():
        return _patrol_page(request)
    try:
        plan = patrol.propose(service, decision.strip())
    except AccordError as error:
        return _patrol_page(request, decision, error=error, status_code=error.status)
    return _patrol_page(request, decision.strip(), plan=plan)


@router.post("/patrol/history")
def patrol_history(request: Request, principal: Principal = Depends(access),
                   service: DispatchService = Depends(_service)) -> Response:
    try:
        prepared = patrol.prepare_history(service, _actor(principal))
    except AccordError as error:
        return _patrol_page(request, error=error, status_code=error.status)
    return _patrol_page(request, prepared=prepared)


@router.post("/patrol/accept")
def patrol_accept(request: Request, decision: str = Form(""),
                  principal: Principal = Depends(access),
                  service: DispatchService = Depends(_service)) -> Response:
    """The dispatcher accepts the plan as proposed now (recomputed, ledgered)."""
    try:
        accepted = patrol.accept(service, _actor(principal), decision.strip())
    except AccordError as error:
        return _patrol_page(request, decision, error=error, status_code=error.status)
    return _patrol_page(request, decision.strip(), plan=accepted, accepted=accepted)


@router.get("/incidents/{reference}/eido.json")
def export_eido(request: Request, reference: str, recipient: str = "",
                share: int | None = None, principal: Principal = Depends(access),
                service: DispatchService = Depends(_service)) -> Response:
    """The incident as EIDO JSON (the canonical bytes whose digest the share log keeps;
    ``?recipient=`` names who receives it). One holding the narrative waits for a
    supervisor: 202 with the held share; once approved, ``?share=<id>`` gives it to the
    officer who asked (403 anyone else, 409 while awaiting or after a refusal)."""
    incident = service.incident(reference)
    if share is not None:
        body = eido.export_released(incident, share, user_id=principal.user.id)
    else:
        state, held = eido.export_shared(incident, recipient=recipient,
                                         user_id=principal.user.id)
        if held is None and "text/html" in request.headers.get("accept", ""):
            return RedirectResponse(state.page, status_code=303)  # a browser: the share's page
        if held is None:
            return JSONResponse({"share": state.id, "status": state.status,
                                 "page": state.page}, status_code=202)
        body = held
    return Response(body, media_type="application/json", headers={
        "Content-Disposition": f'attachment; filename="{reference}-eido.json"',
        "Cache-Control": "no-store"})


@router.get("/units")
def units_page(request: Request, principal: Principal = Depends(access),
               service: DispatchService = Depends(_service)) -> Response:
    return _units(request, service)


def _units(request: Request, service: DispatchService, error: AccordError | None = None,
           status_code: int = 200, done: str = "") -> Response:
    service.check_safety_timers()
    units = service.units()
    timers = {t["call_sign"]: t for t in service.safety_timers()}
    for unit in units:
        unit["next"] = sorted(UNIT_TRANSITIONS[unit["status"]] - {"dispatched"})
        unit["timer"] = timers.get(unit["call_sign"])
    return render(request, "dispatch/units.html", {
        "units": units, "error": error, "done": done, "status_words": STATUS_WORDS},
        status_code=status_code)


@router.post("/units/{call_sign}/status")
def unit_status(request: Request, call_sign: str, status: str = Form(""),
                version: str = Form(""), principal: Principal = Depends(access),
                service: DispatchService = Depends(_service)) -> Response:
    expected = int(version) if version.strip().isdigit() else None
    try:
        service.set_unit_status(_actor(principal), call_sign, status, expected)
    except AccordError as error:
        if isinstance(error, NotFound):
            raise
        return _units(request, service, error=error, status_code=error.status)
    return RedirectResponse("/dispatch/units", status_code=303)


@router.post("/units/{call_sign}/acknowledge")
def acknowledge_safety(request: Request, call_sign: str, principal: Principal = Depends(access),
                       service: DispatchService = Depends(_service)) -> Response:
    """The dispatcher has checked on a unit on scene: its safety timer starts again."""
    try:
        service.acknowledge_safety(_actor(principal), call_sign)
    except AccordError as error:
        if isinstance(error, NotFound):
            raise
        return _units(request, service, error=error, status_code=error.status)
    return RedirectResponse("/dispatch/units", status_code=303)


@router.post("/command")
def command(request: Request, line: str = Form(""), principal: Principal = Depends(access),
            service: DispatchService = Depends(_service)) -> Response:
    """The command line: ``DU 12 E-1043`` dispatch, ``ST 12 on-scene`` unit status,
    ``CL E-1043`` close, ``AD E-1043`` advised (no unit sent), ``AK 12`` safety check
    acknowledged."""
    try:
        done = run_command(service, _actor(principal), line)
    except AccordError as error:
        if request.headers.get("accept", "").startswith("application/json"):
            raise
        return _units(request, service, error=error, status_code=error.status)
    if request.headers.get("accept", "").startswith("application/json"):
        return JSONResponse({"done": done})
    return _units(request, service, done=done)


def run_command(service: DispatchService, actor: Actor, line: str) -> str:
    match = COMMAND.match(line or "")
    if match is None or len(line) > 200:
        raise ValidationFailed(detail=M_("commands: DU unit incident, ST unit status, CL "
                                         "incident, AD incident, AK unit"))
    verb, args = match.group("verb").upper(), match.group("args").split()
    if verb == "DU" and len(args) == 2:
        unit = service.dispatch(actor, args[0], args[1])
        return f"unit {unit['call_sign']} dispatched to {unit['incident']}"
    if verb == "ST" and len(args) == 2:
        unit = service.set_unit_status(actor, args[0], args[1].lower())
        return f"unit {unit['call_sign']} is {unit['status']}"
    if verb == "AK" and len(args) == 1:
        unit = service.acknowledge_safety(actor, args[0])
        return f"unit {unit['call_sign']}: safety check acknowledged"
    if verb in ("CL", "AD") and len(args) == 1:
        target = "closed" if verb == "CL" else "advised"
        incident = service.set_incident_status(actor, args[0], target)
        return f"{incident['reference']} is {incident['status']}"
    raise ValidationFailed(detail=M_("cannot read %(value)r: commands are DU unit incident, ST "
                                     "unit status, CL incident, AD incident, AK unit",
                                     value=line.strip()))


@router.get("/board")
def board_page(request: Request, principal: Principal = Depends(access),
               service: DispatchService = Depends(_service)) -> Response:
    service.check_safety_timers()
    return render(request, "dispatch/board.html", {
        "queue": service.queue(), "units": service.units(),
        "last_event": service.last_event_id(), "attribution": ATTRIBUTION,
        "status_words": STATUS_WORDS,
        "type_words": _type_words(request)})


@router.get("/roads.geojson")
def roads_geojson(service: DispatchService = Depends(_service)) -> Response:
    roads = service.roads
    features = []
    index = {node: i for i, node in enumerate(roads.nodes)}
    seen: set[tuple[Any, Any]] = set()
    for a, b in roads.graph.edges():
        if (b, a) in seen:
            continue
        seen.add((a, b))
        i, j = index[a], index[b]
        features.append([[round(float(roads.lon[i]), 6), round(float(roads.lat[i]), 6)],
                         [round(float(roads.lon[j]), 6), round(float(roads.lat[j]), 6)]])
    return JSONResponse({"type": "FeatureCollection", "attribution": roads.attribution,
                         "features": [{"type": "Feature", "properties": {},
                                       "geometry": {"type": "MultiLineString",
                                                    "coordinates": features}}]},
                        headers={"Cache-Control": "max-age=3600"})


class _Hub:
    """One reader per process and event loop: reads new events from the table (woken by
    PostgreSQL NOTIFY, on SQLite by a poll or a commit in this process), encodes each once and
    wakes every stream of this process. Streams resume from their own last id, from memory when
    it reaches back that far, else from the table: the table stays the source of truth."""

    def __init__(self, service: DispatchService) -> None:
        self.service = service
        self.recent: deque[dict[str, Any]] = deque(maxlen=RECENT)
        self.ids: list[int] = []  # ids of the encoded frames below, ascending
        self.frames: list[str] = []
        self.last = service.last_event_id()
        # Set (and replaced) whenever new events arrive, and at least every KEEPALIVE_SECONDS
        # (a stream woken with nothing new sends a keep-alive). An Event, not a Condition: a
        # stream cancelled while waiting (the browser went away) holds no lock, whereas a
        # Condition's wait cancelled twice by the server's cancel scope left its lock released
        # under ``async with`` ("Lock is not acquired", seen when 200 boards disconnected).
        self.arrived = asyncio.Event()
        self.woken_at = 0.0
        self.nudged = asyncio.Event()  # a commit in this process wrote an event
        self.listeners = 0
        self.task: asyncio.Task[None] | None = None

    async def poll(self) -> None:
        loop = asyncio.get_running_loop()
        self.woken_at = loop.time()

        def nudge() -> None:  # from the committing thread
            with contextlib.suppress(RuntimeError):  # the loop has closed
                loop.call_soon_threadsafe(self.nudged.set)

        stop_nudges = on_local_commit(nudge)
        listener = await self._listen()
        try:
            await self._poll(loop, listener)
        finally:
            self.task = None  # before any await: a stream arriving now starts a new reader
            stop_nudges()
            if listener is not None:
                await listener.close()

    async def _listen(self) -> Listener | None:
        """On PostgreSQL a LISTEN connection, started before the first read so that no commit
        falls between reading and listening; None on SQLite (or if it cannot connect)."""
        if self.service.database.dialect != "postgresql":
            return None
        listener = Listener(self.service.database.url)
        try:
            await listener.start()
        except Exception:
            log.warning("dispatch board: LISTEN failed, polling instead", exc_info=True)
            return None
        return listener

    async def _poll(self, loop: asyncio.AbstractEventLoop, listener: Listener | None) -> None:
        checked = 0.0
        while self.listeners > 0:
            try:
                if loop.time() - checked >= SAFETY_CHECK_SECONDS:
                    # Writes a safety-timer event when a timer has run out; the next read
                    # (in this and every other process) picks it up like any other event.
                    checked = loop.time()
                    await run_in_threadpool(self.service.check_safety_timers)
                events = await run_in_threadpool(self.service.events_after, self.last)
            except Exception:  # the database is away: keep the streams, try again shortly
                log.warning("dispatch board: reading the event log failed", exc_info=True)
                await asyncio.sleep(1.0)
                continue
            if events:
                self.take(events)
                self._wake(loop)
            elif loop.time() - self.woken_at >= KEEPALIVE_SECONDS:
                self._wake(loop)
            if listener is None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.nudged.wait(), POLL_SECONDS)
                self.nudged.clear()
                continue
            try:
                # Wakes on a NOTIFY from any process; the timeout only bounds how long a
                # lost notification or a due safety check can wait.
                await listener.wait(SAFETY_CHECK_SECONDS)
            except Exception:
                log.warning("dispatch board: LISTEN connection lost, polling", exc_info=True)
                await listener.close()
                listener = None

    def take(self, events: list[dict[str, Any]]) -> None:
        """Keep new events, each encoded once for all streams."""
        self.recent.extend(events)
        self.ids.extend(e["id"] for e in events)
        self.frames.extend(_frame(e) for e in events)
        if len(self.ids) > 2 * RECENT:
            del self.ids[:-RECENT], self.frames[:-RECENT]
        self.last = events[-1]["id"]

    def _wake(self, loop: asyncio.AbstractEventLoop) -> None:
        self.arrived.set()
        self.arrived = asyncio.Event()
        self.woken_at = loop.time()

    def after(self, last: int) -> tuple[str, int] | None:
        """The encoded events after ``last`` as one chunk and the new last id, or None when
        memory does not reach back that far (the stream then reads the table)."""
        covered_from = self.ids[0] - 1 if self.ids else self.last
        if last < covered_from:
            return None
        start = bisect.bisect_right(self.ids, last)
        if start == len(self.ids):
            return "", last
        return "".join(self.frames[start:]), self.ids[-1]


_hubs: dict[tuple[int, str], _Hub] = {}


def _hub(service: DispatchService) -> _Hub:
    key = (id(asyncio.get_running_loop()), service.database.url)
    hub = _hubs.get(key)
    if hub is None:
        hub = _hubs[key] = _Hub(service)
    return hub


def _frame(event: dict[str, Any]) -> str:
    return (f"id: {event['id']}\nevent: dispatch\n"
            f"data: {json.dumps(event, ensure_ascii=False, default=str)}\n\n")


@router.get("/board/events")
async def board_events(request: Request, after: int = 0, once: bool = False,
                       service: DispatchService = Depends(_service),
                       session: Session = Depends(db_session)) -> Response:
    """Server-sent events from the event log. ``Last-Event-ID`` (sent by a reconnecting
    browser) or ``after`` says where to resume; ``once`` answers the catch-up and ends.

    A stream ends when the browser goes away: the server cancels it (ASGI before 2.4, as
    uvicorn speaks) or its next write fails (the hub's keep-alive makes sure there is one)."""
    # The request's session (used to check who is asking) would otherwise keep a pooled
    # connection for as long as the stream lasts: 200 boards would exhaust the pool.
    session.close()
    header = request.headers.get("last-event-id", "")
    last = int(header) if header.isdigit() else max(0, after)

    async def stream() -> AsyncIterator[str]:
        nonlocal last
        # An id beyond the log's end (a browser that saw another database) means "from now".
        last = min(last, await run_in_threadpool(service.last_event_id))
        backlog = await run_in_threadpool(service.events_after, last, 2000)
        if backlog:
            last = backlog[-1]["id"]
        yield "retry: 2000\n\n" + "".join(_frame(e) for e in backlog)
        if once:
            return
        hub = _hub(service)
        hub.listeners += 1
        if hub.task is None:
            hub.task = asyncio.create_task(hub.poll())
        try:
            idle = False
            while True:
                # Take the current signal before looking: an event the hub takes in after
                # the look sets this signal, so it is never missed.
                arrived = hub.arrived
                found = hub.after(last)
                if found is None:
                    events = await run_in_threadpool(service.events_after, last, 2000)
                    found = ("".join(_frame(e) for e in events),
                             events[-1]["id"] if events else last)
                chunk, last = found
                if chunk:
                    idle = False
                    yield chunk
                    continue
                if idle:  # woken by the hub's keep-alive tick
                    idle = False
                    yield ": keep-alive\n\n"
                await arrived.wait()
                idle = True
        finally:
            hub.listeners -= 1

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


# -- JSON API --------------------------------------------------------------------------------
class VehicleIn(BaseModel):
    """A vehicle linked at intake, minimised: its role, plate, make and colour only."""

    role: str = Field("involved", max_length=16,
                      json_schema_extra={"enum": list(VEHICLE_ROLE_WORDS)})
    plate: str = Field("", max_length=20, examples=["ABC-123"])
    make: str = Field("", max_length=40)
    colour: str = Field("", max_length=24)


class IncidentIn(BaseModel):
    type: str = Field(max_length=40, examples=["theft"],
                      description="An incident type code (the dispatch vocabulary).")
    lat: float = Field(ge=-90, le=90, examples=[60.17],
                       description="Inside the service area of the road network.")
    lon: float = Field(ge=-180, le=180, examples=[24.94])
    source: str = Field("phone", max_length=16, json_schema_extra={"enum": list(SOURCES)})
    language: str = Field("", max_length=35, examples=["ru"],
                          description="The caller's language (BCP 47).")
    address: str = Field("", max_length=400)
    location_source: str = Field("coordinates", max_length=16,
                                 json_schema_extra={"enum": list(LOCATION_SOURCES)})
    narrative: str = Field("", max_length=100_000)
    vehicles: list[VehicleIn] = Field(default_factory=list, max_length=20,
                                      description="Vehicles linked at intake (at most 20).")


# -- documented answers (the routes return the service's dicts; tests/web/test_api_schema.py
# checks them against these) -------------------------------------------------------------------
class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class IncidentBrief(_Open):
    reference: str = Field(examples=["E-1043"])
    type: str
    priority: int
    status: str
    lat: float
    lon: float
    address: str
    language: str


class IncidentOut(IncidentBrief):
    id: int
    source: str
    created_at: str
    closed_at: str | None
    narrative: list[dict[str, Any]]
    timeline: list[dict[str, Any]]
    units: list[dict[str, Any]]


class QueueItem(IncidentBrief):
    waiting_seconds: int


class RecommendationOut(_Open):
    """The governed recommendation, or the refusal and the human path (never an error)."""

    ledger_seq: int | None = None
    decision_id: str | None = None
    explanation: str | None = None
    refused: str | None = None
    human_path: str | None = None


@intake_router.post("/incidents", status_code=201, response_model=None,
                    responses={201: {"model": IncidentOut, "description": "The incident, with "
                                     "earlier calls at the place and possible duplicates"}},
                    # Optional below only so that a missing body reaches the access check.
                    openapi_extra={"requestBody": {"required": True}})
async def api_create(body: SkipValidation[IncidentIn] = None,  # type: ignore[assignment]
                     grant: Grant = Depends(intake_access)) -> JSONResponse:
    """Record an incident; the answer lists earlier calls and possible duplicates (the
    recommendation is a separate, governed call).

    The intake hot path (issue #19): the caller's access and the work run on ONE worker
    thread (:class:`accord.web.deps.Grant`) instead of two. The body is validated there too,
    after the access check, so a refused caller gets the same 401/403 whatever it sent, no
    body included (as with ``require_roles``, which runs before FastAPI's own validation).
    The service's dict holds only JSON types, so it is sent as it is rather than walked again
    by FastAPI's encoder, and rendered by pydantic-core (accord.web.responses; the documented
    shape is checked by tests/web/test_api_schema.py)."""
    service = DispatchService(grant.request.app.state.database)

    def create(principal: Principal) -> JSONResponse:
        if body is None:  # FastAPI's answer to a missing required body
            raise RequestValidationError(
                [{"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}])
        try:
            incident = IncidentIn.model_validate(body, from_attributes=True)
        except ValidationError as exc:  # the answer FastAPI's own validation would give
            raise RequestValidationError(
                [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)],
                body=body) from None
        return FastJSONResponse(service.create_incident(
            _actor(principal), type_code=incident.type, lat=incident.lat, lon=incident.lon,
            source=incident.source, language=incident.language, address=incident.address,
            location_source=incident.location_source, narrative=incident.narrative,
            vehicles=[(v.role, v.plate, v.make, v.colour) for v in incident.vehicles]),
            status_code=201)

    return await grant.call(create)


@api_router.get("/queue", response_model=None,
                responses={200: {"model": list[QueueItem], "description": "Open incidents, "
                                 "most urgent first"}})
def api_queue(service: DispatchService = Depends(_service)) -> list[dict[str, Any]]:
    return service.queue()


@api_router.get("/incidents/{reference}/recommendation", response_model=None,
                responses={200: {"model": RecommendationOut,
                                 "description": "Units ranked by road time, with reasons"}})
def api_recommendation(request: Request, reference: str,
                       principal: Principal = Depends(access),
                       service: DispatchService = Depends(_service)) -> dict[str, Any]:
    incident = service.incident(reference)
    return governed.recommend(_caller(principal), incident["reference"],
                              language=_language(request))


class AlertOut(BaseModel):
    id: int
    identifier: str = Field(description="The CAP 1.2 identifier")
    headline: str
    languages: list[str]
    created_at: datetime
    incident: str = Field(description="The incident's reference, empty if none")
    url: str = Field(description="The published CAP XML (public)")


@api_router.get("/alerts", response_model=list[AlertOut],
                summary="Published CAP alerts, newest first")
def api_alerts(limit: Annotated[int, Query(ge=1, le=200)] = 50,
               service: DispatchService = Depends(_service)) -> list[AlertOut]:
    """The alerts the public feed (``/alerts.atom``) carries, with the URL of each CAP
    document; the XML itself is public at that URL."""
    return [AlertOut(id=a["id"], identifier=a["identifier"], headline=a["headline"],
                     languages=a["languages"], created_at=a["created_at"],
                     incident=a["incident"], url=f"/alerts/{a['id']}.xml")
            for a in service.alerts(limit)]


# -- public alerts ---------------------------------------------------------------------------
@public_router.get("/alerts/{alert_id}.xml")
def public_alert(alert_id: int, database: Database = Depends(get_database)) -> Response:
    alert = DispatchService(database).alert(alert_id)
    return Response(alert["xml"], media_type="application/cap+xml")


@public_router.get("/alerts.atom")
def public_feed(request: Request, database: Database = Depends(get_database)) -> Response:
    alerts = DispatchService(database).alerts()
    base = str(request.base_url).rstrip("/")
    updated = alerts[0]["created_at"].isoformat() if alerts else "1970-01-01T00:00:00+00:00"
    entries = "".join(
        f"<entry><id>urn:accord:alert:{escape(a['identifier'])}</id>"
        f"<title>{escape(a['headline'])}</title><updated>{a['created_at'].isoformat()}</updated>"
        f"<link rel=\"alternate\" type=\"application/cap+xml\" "
        f"href=\"{base}/alerts/{a['id']}.xml\"/>"
        f"<summary>{escape(', '.join(a['languages']))}</summary></entry>" for a in alerts)
    feed = ('<?xml version="1.0" encoding="utf-8"?>'
            '<feed xmlns="http://www.w3.org/2005/Atom"><title>Police public alerts</title>'
            f'<id>{escape(base)}/alerts.atom</id><updated>{updated}</updated>'
            f'<link rel="self" href="{escape(base)}/alerts.atom"/>'
            f'<author><name>Police</name></author>{entries}</feed>')
    return Response(feed, media_type="application/atom+xml")
