"""The demo's dispatch data: a new user can try dispatch on a fresh `accord demo load`.

Units and incidents sit on nodes of the Helsinki road graph, the incidents are in different
states with timestamped narrative and one Russian-speaking caller, everything is marked as demo,
and the demo's dispatcher can take a call and, once the DPO has approved the assessments (the
demo does not approve them, as for every high-risk capability), get units ranked with reasons.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accord.core.gateway.service import Caller
from accord.dispatch import governed
from accord.dispatch.briefs import incident_brief as _incident_brief
from accord.dispatch.briefs import unit_brief as _unit_brief
from accord.dispatch.demo import (
    CALL_SIGN_PREFIX,
    DEMO_INCIDENTS,
    DEMO_UNITS,
    load_demo_dispatch,
)
from accord.dispatch.roads import helsinki
from accord.dispatch.service import Actor, DispatchService
from tests.helpers import login

DISPATCHER = "demo-dispatcher"


def test_demo_positions_are_nodes_of_the_road_graph() -> None:
    graph = helsinki()
    for spec in (*DEMO_UNITS, *DEMO_INCIDENTS):
        node, metres = graph.nearest(spec.lat, spec.lon)
        assert metres < 1.0, (spec, metres)
        assert graph.graph.out_degree(node) and graph.graph.in_degree(node), spec


def test_demo_data_says_it_is_demo() -> None:
    assert all(u.call_sign.startswith(CALL_SIGN_PREFIX) for u in DEMO_UNITS)
    for incident in DEMO_INCIDENTS:
        assert "(demo)" in incident.address
        assert all("demo" in text.lower() or "演示" in text for _, text in incident.narrative)
        assert all(name.startswith("Fictional") and "(demo)" in name
                   for _, name, _ in incident.persons)


def _user(database, username: str):  # type: ignore[no-untyped-def]
    from accord.core.accounts import AccountService

    with database.session() as session:
        user = AccountService(session).find_user(username)
        assert user is not None
        return user


@pytest.mark.usefixtures("demo_loaded")
def test_fresh_demo_has_units_incidents_and_a_foreign_language_caller(database) -> None:  # type: ignore[no-untyped-def]
    service = DispatchService(database)
    units = {u["call_sign"]: u for u in service.units()}
    assert set(units) >= {u.call_sign for u in DEMO_UNITS}
    assert {u["status"] for u in units.values()} >= {"available", "en-route", "on-scene",
                                                      "out-of-service"}
    spoken = {tag for u in units.values() for tag in u["languages"]}
    assert spoken >= {"ru", "en", "zh-Hans", "ar", "fi"}
    incidents = service.queue(include_closed=True)
    assert {i["status"] for i in incidents} == {"new", "dispatched", "on-scene", "advised",
                                                "closed"}
    foreign = [i for i in incidents if i["language"] == "ru"]
    assert len(foreign) == 1 and foreign[0]["status"] == "new"
    full = service.incident(foreign[0]["reference"])
    assert full["persons"][0]["name"].startswith("Fictional")
    times = [entry["at"] for entry in full["narrative"]]
    assert len(times) == 2 and times[0] < times[1]
    # The timeline of a finished incident walks through its statuses, in order.
    closed = service.incident(next(i["reference"] for i in incidents
                                   if i["status"] == "closed"))
    kinds = [event["kind"] for event in closed["timeline"]]
    assert kinds[0] == "incident-created" and kinds[-1] == "incident-status"
    assert "unit-dispatched" in kinds
    # A second load changes nothing.
    assert load_demo_dispatch(database, DISPATCHER) == {"units": 0, "incidents": 0}
    assert len(service.units()) == len(units)


@pytest.mark.usefixtures("demo_loaded")
def test_demo_events_have_the_services_shape(database) -> None:  # type: ignore[no-untyped-def]
    """The board and the timelines read the event log: the demo's events carry the same
    incident and unit briefs as the services' own (they are written without the service)."""
    from sqlalchemy import select

    from accord.dispatch.models import DispatchEvent, DispatchIncident, DispatchUnit

    with database.session() as session:
        events = list(session.scalars(select(DispatchEvent).order_by(DispatchEvent.id)))
        assert events
        for unit in session.scalars(select(DispatchUnit)):
            last = [e for e in events if e.unit_id == unit.id][-1]
            reference = (f"E-{unit.incident_id}" if unit.incident_id else None)
            assert last.data["unit"] == json.loads(json.dumps(_unit_brief(unit, reference)))
        for incident in session.scalars(select(DispatchIncident)):
            last = [e for e in events if e.incident_id == incident.id][-1]
            assert last.data["incident"] == _incident_brief(incident)


@pytest.mark.usefixtures("demo_loaded")
def test_demo_dispatcher_takes_a_call_and_gets_units_with_reasons(database, client,  # type: ignore[no-untyped-def]
                                                                   demo_loaded) -> None:
    from accord.core.governance import get_governance
    from accord.governance.dpo import ASSESSMENT_KINDS, DpoService

    user = _user(database, DISPATCHER)
    roles = frozenset(str(r) for r in user.roles)
    actor, caller = Actor(user.id, user.username, roles), Caller(user.id, user.username, roles)
    service = DispatchService(database)
    incident = service.create_incident(actor, type_code="theft", lat=60.1745, lon=24.9426,
                                       language="ar", address="Kaisaniemen puistokuja (test)",
                                       narrative="سُرقت حقيبتي")
    # The demo does not approve high-risk capabilities: the governed answer is the refusal,
    # naming the DPO, and the incident stands for a choice by hand.
    refused = governed.recommend(caller, incident["reference"])
    assert "data-protection officer" in refused["refused"]
    assert refused["ledger_seq"]
    dpo = _user(database, "demo-dpo")
    DpoService.from_governance(get_governance()).record_assessments(
        Caller(dpo.id, dpo.username, frozenset({"dpo"})), capability_id="dispatch.recommend",
        kinds=ASSESSMENT_KINDS, outcome="approved", summary="demo walk-through")
    ranked = governed.recommend(caller, incident["reference"])
    assert "refused" not in ranked and ranked["decision_id"] and ranked["ledger_seq"]
    first = ranked["units"][0]
    assert first["call_sign"].startswith(CALL_SIGN_PREFIX)
    assert "speaks the caller's language (ar)" in first["reasons"]
    assert first["reasons"][0].endswith("by road")
    assert "DEMO-20" not in [u["call_sign"] for u in ranked["units"]]  # out of service

    # The board lists every demo unit.
    credentials = json.loads((Path(demo_loaded["ACCORD_STATE_DIR"])
                              / "demo-credentials.json").read_text())
    login(client, DISPATCHER, credentials[DISPATCHER])
    board = client.get("/dispatch/board")
    assert board.status_code == 200
    for unit in DEMO_UNITS:
        assert unit.call_sign in board.text
