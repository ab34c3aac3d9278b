"""Officer-safety timers: from stored timestamps, with an injected clock, across services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from accord.core.errors import Conflict
from accord.dispatch.service import Actor, DispatchService
from accord.dispatch.vocabulary import incident_types
from tests.dispatch.conftest import CENTRE
from tests.helpers import login

START = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def at(self, minutes: float) -> None:
        self.now = START + timedelta(minutes=minutes)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def timed(database, clock: Clock) -> DispatchService:  # type: ignore[no-untyped-def]
    return DispatchService(database, clock=clock)


def _on_scene(service: DispatchService, officer: Actor, call_sign: str,
              type_code: str = "theft") -> str:
    incident = service.create_incident(officer, type_code=type_code, lat=CENTRE[0],
                                       lon=CENTRE[1])
    service.dispatch(officer, call_sign, incident["reference"])
    service.set_unit_status(officer, call_sign, "on-scene")
    return incident["reference"]


def _safety_events(service: DispatchService) -> list[dict]:
    return [e for e in service.events_after(0) if e["kind"].startswith("safety-")]


def test_vocabulary_gives_a_default_and_shorter_timers_for_violence() -> None:
    types = incident_types()
    assert types["theft"].safety_minutes == 20
    assert types["violence-in-progress"].safety_minutes == 10


def test_a_unit_on_scene_too_long_is_flagged_once_and_acknowledging_resets_it(
        timed: DispatchService, officer: Actor, units, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    _on_scene(timed, officer, "12")
    clock.at(19.9)
    assert timed.check_safety_timers() == []
    assert timed.safety_timers()[0]["overdue"] is False
    clock.at(20)
    assert timed.check_safety_timers() == ["12"]
    assert timed.check_safety_timers() == []  # flagged once, not every check
    events = _safety_events(timed)
    assert [e["kind"] for e in events] == ["safety-timer"]
    assert events[0]["unit"]["safety_flagged"] is True and events[0]["minutes"] == 20
    assert {u["call_sign"]: u["safety_flagged"] for u in timed.units()}["12"] is True
    clock.at(25)
    acknowledged = timed.acknowledge_safety(officer, "12")
    assert acknowledged["safety_flagged"] is False
    clock.at(44.9)
    assert timed.check_safety_timers() == []
    clock.at(45)
    assert timed.check_safety_timers() == ["12"]
    # A status update also restarts it (and clears the flag).
    timed.set_unit_status(officer, "12", "clear")
    assert timed.safety_timers() == []
    assert not {u["call_sign"]: u["safety_flagged"] for u in timed.units()}["12"]


def test_the_type_sets_the_length(timed: DispatchService, officer: Actor, units,
                                  clock: Clock) -> None:  # type: ignore[no-untyped-def]
    _on_scene(timed, officer, "7", "violence-in-progress")
    clock.at(10)
    assert timed.check_safety_timers() == ["7"]


def test_two_processes_checking_at_once_write_one_event(
        database, timed: DispatchService, officer: Actor, units, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    _on_scene(timed, officer, "12")
    clock.at(30)
    other = DispatchService(database, clock=clock)  # another app process, same tables
    # Both read the timers before either writes: only the conditional UPDATE stops the
    # second one from flagging (and announcing) the unit again.
    stale = other.safety_timers()
    assert timed.check_safety_timers() == ["12"]
    other.safety_timers = lambda: stale  # type: ignore[method-assign]
    assert other.check_safety_timers() == []
    assert len(_safety_events(other)) == 1


def test_acknowledging_a_unit_not_on_scene_is_refused(
        timed: DispatchService, officer: Actor, units) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Conflict, match="only while a unit is on scene"):
        timed.acknowledge_safety(officer, "30")
    assert _safety_events(timed) == []


def test_units_page_and_board_show_the_overdue_unit(
        client: TestClient, database, officer: Actor, units) -> None:  # type: ignore[no-untyped-def]
    past = Clock()
    service = DispatchService(database, clock=past)
    _on_scene(service, officer, "12")  # 2026-12-07 09:00, long ago for the app's real clock
    csrf = login(client, officer.username)
    page = client.get("/dispatch/units")
    assert "Safety check overdue" in page.text
    stream = client.get("/dispatch/board/events?once=1").text
    assert "safety-timer" in stream
    done = client.post("/dispatch/command", data={"csrf_token": csrf, "line": "AK 12"},
                       headers={"accept": "application/json"})
    assert done.json() == {"done": "unit 12: safety check acknowledged"}
    assert "Safety check overdue" not in client.get("/dispatch/units").text
    refused = client.post("/dispatch/units/30/acknowledge", data={"csrf_token": csrf})
    assert refused.status_code == 409


def test_cli_lists_timers_and_acknowledges(accord_env, database, officer: Actor, units) -> None:  # type: ignore[no-untyped-def]
    import json

    from typer.testing import CliRunner

    from accord.cli import app

    _on_scene(DispatchService(database, clock=Clock()), officer, "12")  # long ago
    runner, env = CliRunner(), {"ACCORD_USER": officer.username}
    listed = runner.invoke(app, ["dispatch", "unit", "safety", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    assert [(t["call_sign"], t["overdue"]) for t in json.loads(listed.stdout)] == [("12", True)]
    assert runner.invoke(app, ["dispatch", "unit", "ack", "12"], env=env).exit_code == 0
    refused = runner.invoke(app, ["dispatch", "unit", "ack", "30"], env=env)
    assert refused.exit_code == 2 and "only while a unit is on scene" in refused.output
