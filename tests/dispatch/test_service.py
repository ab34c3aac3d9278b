"""Dispatch services: intake, refusals, status machines, concurrent dispatch, event log."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from accord.core.errors import Conflict, NotFound, ValidationFailed
from accord.dispatch.models import DispatchEvent, DispatchIncident, DispatchNarrative
from accord.dispatch.service import MAX_NARRATIVE, Actor, DispatchConflict, DispatchService
from accord.dispatch.states import ImpossibleTransition
from tests.dispatch.conftest import CENTRE


def _count(database, model) -> int:  # type: ignore[no-untyped-def]
    with database.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)))


def test_create_incident_uses_type_default_priority_and_keeps_narrative(
        service: DispatchService, officer: Actor) -> None:
    incident = service.create_incident(officer, type_code="theft", lat=CENTRE[0], lon=CENTRE[1],
                                       language="ru", address="Mannerheimintie 1",
                                       narrative="Украли паспорт")
    assert incident["reference"] == f"E-{incident['id']}"
    assert (incident["type"], incident["priority"], incident["status"]) == ("theft", 3, "new")
    assert incident["language"] == "ru" and incident["location_source"] == "coordinates"
    assert [n["text"] for n in incident["narrative"]] == ["Украли паспорт"]
    assert [e["kind"] for e in incident["timeline"]] == ["incident-created"]


@pytest.mark.parametrize(("changes", "message"), [
    ({"type_code": "alien-landing"}, "unknown incident type 'alien-landing'"),
    ({"lat": 60.30, "lon": 24.94}, "outside the service area"),
    ({"lat": "north"}, "latitude must be a number"),
    ({"narrative": "x" * (MAX_NARRATIVE + 1)}, f"at most {MAX_NARRATIVE} characters"),
    ({"language": "not a tag"}, "is not a BCP 47 tag"),
    ({"source": "pigeon"}, "source must be one of"),
])
def test_bad_intake_is_refused_and_nothing_is_written(service: DispatchService, officer: Actor,
                                                      database, changes, message) -> None:  # type: ignore[no-untyped-def]
    fields = {"type_code": "theft", "lat": CENTRE[0], "lon": CENTRE[1], **changes}
    with pytest.raises(ValidationFailed) as refused:
        service.create_incident(officer, **fields)
    assert refused.value.status == 422
    assert message in str(refused.value)
    assert _count(database, DispatchIncident) == 0
    assert _count(database, DispatchEvent) == 0
    assert _count(database, DispatchNarrative) == 0


def test_earlier_calls_and_duplicates_are_listed_never_merged(service: DispatchService,
                                                               officer: Actor) -> None:
    first = service.create_incident(officer, type_code="noise", lat=60.17000, lon=24.94000,
                                    address="Aleksanterinkatu 5")
    far = service.create_incident(officer, type_code="noise", lat=60.1760, lon=24.9500)
    check = service.intake_check(60.17010, 24.94010, "ALEKSANTERINKATU 5", "noise")
    assert [d["reference"] for d in check["duplicates"]] == [first["reference"]]
    assert [d["reference"] for d in check["earlier_calls"]] == [first["reference"]]
    second = service.create_incident(officer, type_code="noise", lat=60.17010, lon=24.94010,
                                     address="Aleksanterinkatu 5")
    assert second["reference"] != first["reference"]  # a new incident, not merged
    assert [d["reference"] for d in second["duplicates"]] == [first["reference"]]
    assert far["reference"] not in [d["reference"] for d in second["earlier_calls"]]
    other_type = service.intake_check(60.17010, 24.94010, "", "theft")
    assert other_type["duplicates"] == []
    assert len(other_type["earlier_calls"]) == 2


def test_queue_orders_by_priority_then_waiting_time(service: DispatchService,
                                                    officer: Actor) -> None:
    noise = service.create_incident(officer, type_code="noise", lat=60.170, lon=24.940)
    theft = service.create_incident(officer, type_code="theft", lat=60.171, lon=24.941)
    violent = service.create_incident(officer, type_code="violence-in-progress", lat=60.172,
                                      lon=24.942)
    theft2 = service.create_incident(officer, type_code="theft", lat=60.173, lon=24.943)
    order = [i["reference"] for i in service.queue()]
    assert order == [violent["reference"], theft["reference"], theft2["reference"],
                     noise["reference"]]


def test_status_machines_refuse_impossible_transitions(service: DispatchService,
                                                       officer: Actor, units) -> None:  # type: ignore[no-untyped-def]
    incident = service.create_incident(officer, type_code="theft", lat=CENTRE[0], lon=CENTRE[1])
    with pytest.raises(ImpossibleTransition) as refused:
        service.set_unit_status(officer, "12", "on-scene")
    assert refused.value.status == 409
    assert "unit 12 is available; it cannot become on-scene" in str(refused.value)
    with pytest.raises(ImpossibleTransition):
        service.set_incident_status(officer, incident["reference"], "on-scene")
    service.dispatch(officer, "12", incident["reference"])
    assert service.incident(incident["reference"])["status"] == "dispatched"
    with pytest.raises(Conflict) as busy:
        service.set_incident_status(officer, incident["reference"], "closed")
    assert "still has units assigned (12)" in str(busy.value)
    service.set_unit_status(officer, "12", "en-route")
    service.set_unit_status(officer, "12", "on-scene")
    assert service.incident(incident["reference"])["status"] == "on-scene"
    service.set_unit_status(officer, "12", "clear")
    closed = service.set_incident_status(officer, incident["reference"], "closed")
    assert closed["status"] == "closed"
    with pytest.raises(ImpossibleTransition):
        service.set_incident_status(officer, incident["reference"], "new")
    kinds = [e["kind"] for e in closed["timeline"]]
    assert kinds == ["incident-created", "unit-dispatched", "unit-status", "unit-status",
                     "unit-status", "incident-status"]


def test_cancelling_the_last_unit_puts_the_incident_back_in_the_queue(
        service: DispatchService, officer: Actor, units) -> None:  # type: ignore[no-untyped-def]
    incident = service.create_incident(officer, type_code="theft", lat=CENTRE[0], lon=CENTRE[1])
    service.dispatch(officer, "12", incident["reference"])
    unit = service.set_unit_status(officer, "12", "available")
    assert unit["incident"] is None
    assert service.incident(incident["reference"])["status"] == "new"


def test_two_dispatchers_one_unit_one_wins_the_other_is_told_why(
        service: DispatchService, officer: Actor, units, make_user) -> None:  # type: ignore[no-untyped-def]
    other = make_user("officer.two")
    second = Actor(other.id, other.username)
    a = service.create_incident(officer, type_code="theft", lat=CENTRE[0], lon=CENTRE[1])
    b = service.create_incident(second, type_code="robbery", lat=60.171, lon=24.945)
    seen = {u["call_sign"]: u["version"] for u in service.units()}["12"]
    service.dispatch(officer, "12", a["reference"], expected_version=seen)
    with pytest.raises(DispatchConflict) as lost:
        service.dispatch(second, "12", b["reference"], expected_version=seen)
    assert lost.value.status == 409
    message = str(lost.value)
    assert f"it is now dispatched to {a['reference']}" in message
    assert "by officer.one" in message and "Nothing was changed" in message
    assert service.incident(b["reference"])["status"] == "new"  # nothing half-written


def test_concurrent_dispatch_from_threads_exactly_one_succeeds(
        service: DispatchService, officer: Actor, units, database) -> None:  # type: ignore[no-untyped-def]
    incidents = [service.create_incident(officer, type_code="theft", lat=CENTRE[0],
                                         lon=CENTRE[1] + i * 0.001)["reference"]
                 for i in range(4)]
    barrier = threading.Barrier(len(incidents))
    outcomes: list[str] = []

    def send(reference: str) -> None:
        barrier.wait()
        try:
            DispatchService(database, service.roads).dispatch(officer, "7", reference)
            outcomes.append("won")
        except DispatchConflict:
            outcomes.append("409")
        except Exception as error:  # a lock error would be a 503 for the user: not good enough
            outcomes.append(type(error).__name__)

    threads = [threading.Thread(target=send, args=(r,)) for r in incidents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["409", "409", "409", "won"], outcomes
    with database.session() as session:
        dispatched = session.scalar(select(func.count()).select_from(DispatchEvent).where(
            DispatchEvent.kind == "unit-dispatched"))
    assert dispatched == 1


def test_device_location_is_kept_beside_and_adopted_only_on_request(
        service: DispatchService, officer: Actor) -> None:
    incident = service.create_incident(officer, type_code="theft", lat=60.1700, lon=24.9400,
                                       location_source="caller", device_lat=60.1720,
                                       device_lon=24.9450)
    assert (incident["lat"], incident["location_source"]) == (60.17, "caller")
    adopted = service.adopt_device_location(officer, incident["reference"])
    assert (adopted["lat"], adopted["lon"], adopted["location_source"]) == (60.172, 24.945,
                                                                           "device")


def test_event_log_is_id_ordered_and_resumable(service: DispatchService, officer: Actor,
                                               units) -> None:  # type: ignore[no-untyped-def]
    first = service.last_event_id()
    incident = service.create_incident(officer, type_code="theft", lat=CENTRE[0], lon=CENTRE[1])
    service.dispatch(officer, "30", incident["reference"])
    events = service.events_after(first)
    assert [e["kind"] for e in events] == ["incident-created", "unit-dispatched"]
    assert events[1]["unit"] == {**events[1]["unit"], "call_sign": "30", "status": "dispatched",
                                 "incident": incident["reference"]}
    assert service.events_after(events[0]["id"]) == events[1:]


def test_unknown_references_are_404(service: DispatchService, officer: Actor) -> None:
    with pytest.raises(NotFound):
        service.incident("E-999")
    with pytest.raises(NotFound):
        service.set_unit_status(officer, "nope", "available")
