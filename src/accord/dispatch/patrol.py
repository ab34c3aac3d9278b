"""Patrol plan for idle units from a reviewed hotspot forecast, capped by exposure.

How it fits together (dispatch imports neither forecast nor interpret):

1. :func:`prepare_history` hands dispatch's own incident history to the forecasting package
   through the core hook ``contract.store_event_history``: time, place, type and the
   incident's **sector** (the service area's bounding box cut into 3 × 3 sectors, NW … SE,
   dispatch's "districts" for the exposure audit). Only anonymisable fields leave dispatch: no
   address, person, narrative or language. The answer is a forecasting dataset id.
2. An analyst runs ``forecast.hotspots`` on that dataset with ``audit=exposure`` (the forecast
   pages or ``accord forecast``), through the gateway; a supervisor reviews it (the
   capability's own rule). Each flagged cell then names its sector.
3. :func:`propose` reads the reviewed output through the gateway (``usable_output``: a pending
   or rejected forecast is refused) and proposes a cell for each idle (available) unit:

   - cells outside the road network's service area are left out (the forecast's grid is the
     data's bounding box);
   - cells the forecast marks as a likely default geocode are left out;
   - **exposure cap** (the forecasting audit's threshold, 1.5×): a sector receives at most
     ``max(1, floor(threshold × its event share × units))`` units, and none while the audit
     marks it over-exposed *and* another sector still has cells; a plan cannot concentrate
     patrols beyond what the audit accepts;
   - **no cell three plans in a row** (``cap_consecutive=2`` of docs/forecast.md): a cell in
     each of the last two accepted plans is left out;
   - then each unit goes to the nearest remaining cell by road time (one reversed Dijkstra per
     cell), hottest cells first, each cell to one unit.

   Every assignment and every left-out cell carries its reason.
4. :func:`accept`: the dispatcher accepts; the plan is recomputed (never taken from the
   browser), written to the ledger (``dispatch.patrol-plan``) and to the event log in one
   transaction. Units are not moved: the dispatcher tells them.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from sqlalchemy import select

from accord.core.errors import Conflict, NotFound, ValidationFailed
from accord.core.i18n import M_, N_, Message
from accord.dispatch.models import DispatchEvent, DispatchIncident, DispatchUnit
from accord.dispatch.service import Actor, DispatchService, duration_text

HISTORY_NAME = "dispatch-service-area"
HISTORY_DAYS = 365
THRESHOLD = 1.5  # the forecasting audit's over-exposure threshold
CAP_CONSECUTIVE = 2
ROWS, COLS = ("S", "", "N"), ("W", "", "E")


def sector(service: DispatchService, lat: float, lon: float) -> str:
    """The 3 × 3 sector of the service area a point lies in (NW, N, NE, W, C, E, SW, S, SE)."""
    south, west, north, east = service.roads.bbox
    row = min(2, max(0, int(3 * (lat - south) / max(north - south, 1e-9))))
    col = min(2, max(0, int(3 * (lon - west) / max(east - west, 1e-9))))
    return (ROWS[row] + COLS[col]) or "C"


def prepare_history(service: DispatchService, actor: Actor,
                    days: int = HISTORY_DAYS) -> dict[str, Any]:
    """Hand the incident history of the last ``days`` to the forecasting package."""
    from datetime import timedelta

    from accord.core.contract import EventHistory, HookMissing, store_event_history

    if not 7 <= int(days) <= 3650:
        raise ValidationFailed(detail=M_("days: between 7 and 3650"))
    since = service.clock() - timedelta(days=int(days))
    with service.database.session() as session:
        rows = session.execute(select(
            DispatchIncident.created_at, DispatchIncident.lat, DispatchIncident.lon,
            DispatchIncident.type_code).where(DispatchIncident.created_at >= since)
            .order_by(DispatchIncident.id)).all()
    history = tuple((at.isoformat(), round(lat, 5), round(lon, 5), type_code,
                     sector(service, lat, lon)) for at, lat, lon, type_code in rows)
    if not history:
        raise ValidationFailed(detail=M_("no incidents in the last %(days)s days to forecast from",
                                         days=days))
    try:
        dataset = store_event_history(EventHistory(HISTORY_NAME, history))
    except HookMissing:
        raise Conflict(detail=M_("no forecasting package is installed")) from None
    with service.database.session() as session:
        service._event(session, "patrol-data-prepared", actor, dataset=dataset,
                       events=len(history))
    return {"dataset": dataset, "events": len(history), "days": int(days),
            "sectors": dict(Counter(row[4] for row in history)),
            "next": "an analyst runs forecast.hotspots on this dataset with audit=exposure; "
                    "a supervisor reviews it; then propose a plan from its decision id"}


def _forecast(decision_id: str) -> dict[str, Any]:
    from accord.core.errors import AccordError
    from accord.core.gateway.models import Decision
    from accord.core.governance import get_governance

    gateway = get_governance().gateway
    decision_id = (decision_id or "").strip()[:32]
    with gateway.database.session() as session:
        record = session.get(Decision, decision_id) if decision_id else None
        if record is None or record.capability_id != "forecast.hotspots":
            raise NotFound(N_("No hotspot forecast %(decision_id)s."),
                           decision_id=decision_id or M_("(none given)"))
    try:
        output = gateway.usable_output(decision_id)
    except AccordError as refused:
        raise Conflict(detail=M_("forecast %(decision_id)s cannot be used yet: %(refused)s",
                                 decision_id=decision_id,
                                 refused=Message(refused.message, refused.params))) from None
    if not output:
        raise Conflict(detail=M_("forecast %(decision_id)s was erased under retention",
                                 decision_id=decision_id))
    audit = output.get("exposure_audit")
    if not audit or any("district" not in c for c in output.get("top_cells", [])):
        raise Conflict(detail=M_("forecast %(decision_id)s has no exposure audit by sector: run "
                                 "it with audit=exposure on the dispatch history",
                                 decision_id=decision_id))
    return output


def _recent_plans(session: Any) -> list[set[str]]:
    rows = session.scalars(select(DispatchEvent).where(
        DispatchEvent.kind == "patrol-plan-accepted").order_by(DispatchEvent.id.desc())
        .limit(CAP_CONSECUTIVE))
    return [{a["cell"] for a in (e.data or {}).get("assignments", [])} for e in rows]


def propose(service: DispatchService, decision_id: str) -> dict[str, Any]:
    output = _forecast(decision_id)
    audit = output["exposure_audit"]
    threshold = float(audit.get("threshold") or THRESHOLD)
    status = {r["district"]: r for r in audit.get("districts", [])}
    with service.database.session() as session:
        units = list(session.scalars(select(DispatchUnit).where(
            DispatchUnit.status == "available").order_by(DispatchUnit.call_sign)))
        recent = _recent_plans(session)
    repeated = set.intersection(*recent) if len(recent) == CAP_CONSECUTIVE else set()
    left_out: list[dict[str, Any]] = []
    candidates: list[dict[str, Any]] = []
    for cell in output.get("top_cells", []):
        centre = cell.get("centre") or {}
        lat, lon = float(centre.get("lat", 0.0)), float(centre.get("lon", 0.0))
        brief = {"cell": cell["cell"], "rank": cell["rank"], "district": cell["district"],
                 "expected_events": cell["expected_events"], "lat": lat, "lon": lon}
        if not service.roads.covers(lat, lon):
            left_out.append({**brief, "reason": "outside the service area"})
        elif cell.get("default_geocode"):
            left_out.append({**brief, "reason": "likely a default geocode (one point holds "
                                                "most of its events)"})
        elif cell["cell"] in repeated:
            left_out.append({**brief, "reason": f"in each of the last {CAP_CONSECUTIVE} "
                                                "accepted plans"})
        else:
            candidates.append(brief)
    n = len(units)
    caps = {d: max(1, math.floor(threshold * float(r.get("event_share") or 0.0) * n))
            for d, r in status.items()}
    has_other = {d: any(c["district"] != d for c in candidates) for d in caps}
    taken: Counter[str] = Counter()
    assignments: list[dict[str, Any]] = []
    free = list(units)
    for cell in candidates:  # hottest first
        if not free:
            left_out.append({**cell, "reason": "no idle unit left"})
            continue
        row = status.get(cell["district"], {})
        if row.get("status") == "over-exposed" and has_other.get(cell["district"], False):
            left_out.append({**cell, "reason": (
                f"sector {cell['district']} is over-exposed in the forecast's audit "
                f"(patrol-time share {row.get('patrol_time_share', 0):.0%} vs event share "
                f"{row.get('event_share', 0):.0%})")})
            continue
        cap = caps.get(cell["district"], 1)
        if taken[cell["district"]] >= cap:
            left_out.append({**cell, "reason": (
                f"exposure cap: sector {cell['district']} already has {cap} unit(s), "
                f"{threshold:g}× its {row.get('event_share', 0):.0%} share of events")})
            continue
        times = service.roads.times_to(cell["lat"], cell["lon"], [(u.lat, u.lon) for u in free])
        best = min(range(len(free)), key=lambda i: (times[i][0], free[i].call_sign))
        unit, (seconds, how) = free.pop(best), times[best]
        taken[cell["district"]] += 1
        travel = (f"{duration_text(seconds)} by road" if how == "road"
                  else f"{duration_text(seconds)} straight-line estimate")
        reasons = [f"forecast rank {cell['rank']}, {cell['expected_events']:g} expected events",
                   f"sector {cell['district']} ({row.get('status', 'not audited')}; "
                   f"{taken[cell['district']]} of at most {cap})", f"nearest idle unit: {travel}"]
        assignments.append({**cell, "call_sign": unit.call_sign, "seconds": round(seconds, 1),
                            "reasons": reasons,
                            "summary": f"Unit {unit.call_sign} → cell {cell['cell']}: "
                                       + "; ".join(reasons)})
    return {"decision_id": decision_id, "window": output.get("window", {}),
            "method": output.get("method", ""), "idle_units": n,
            "unassigned_units": [u.call_sign for u in free], "assignments": assignments,
            "left_out": left_out, "threshold": threshold, "caps": caps,
            "audit_flags": audit.get("flags", []), "caveat": audit.get("caveat", ""),
            "attribution": service.roads.attribution}


def accept(service: DispatchService, actor: Actor, decision_id: str,
           ledger: Any = None) -> dict[str, Any]:
    """The dispatcher accepts the plan as proposed now (recomputed here): ledgered and in the
    event log, in one transaction."""
    plan = propose(service, decision_id)
    if not plan["assignments"]:
        raise Conflict(detail=M_("the plan assigns no unit: nothing to accept"))
    if ledger is None:
        from accord.core.governance import get_governance

        ledger = get_governance().ledger
    assignments = [{"call_sign": a["call_sign"], "cell": a["cell"], "district": a["district"],
                    "rank": a["rank"]} for a in plan["assignments"]]
    with service.database.write_session() as session:
        seq = ledger.append(session, "dispatch.patrol-plan", {
            "actor": actor.username, "decision_id": decision_id, "assignments": assignments,
            "left_out": [{"cell": c["cell"], "reason": c["reason"]} for c in plan["left_out"]],
            "threshold": plan["threshold"]})
        service._event(session, "patrol-plan-accepted", actor, decision_id=decision_id,
                       assignments=assignments, ledger_seq=seq)
    return {**plan, "accepted": True, "ledger_seq": seq}
