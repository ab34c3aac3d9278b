"""Patrol plan for idle units: dispatch's own incident history goes to the forecasting package
through the core hook, an analyst forecasts over the service area (with the exposure audit by
sector), a supervisor reviews, and dispatch proposes cells for idle units within the exposure
cap, with reasons; the dispatcher accepts, ledgered. Real forecast (kde), small data."""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np
import pytest
from fastapi.testclient import TestClient

from accord.core.db import utcnow
from accord.core.errors import Conflict, NotFound
from accord.core.gateway.models import LedgerEntry
from accord.core.gateway.service import Caller, GatewayRequest
from accord.core.governance import get_governance
from accord.core.roles import Role
from accord.dispatch import patrol
from accord.dispatch.models import DispatchIncident
from accord.dispatch.service import Actor, DispatchService
from tests.dispatch.conftest import approve_assessments
from tests.helpers import login

HOT = (60.1700, 24.9400)  # central Helsinki: most of the history
WARM = (60.1760, 24.9500)  # Kruununhaka side: some


@pytest.fixture
def history(service: DispatchService, database) -> None:  # type: ignore[no-untyped-def]
    """Six weeks of incidents: 150 around the centre, 50 to the north-east, 40 spread out."""
    rng = np.random.default_rng(7)
    now = utcnow()
    south, west, north, east = service.roads.bbox
    points = ([(HOT[0] + rng.normal(0, 0.0008), HOT[1] + rng.normal(0, 0.0015))
               for _ in range(150)]
              + [(WARM[0] + rng.normal(0, 0.0008), WARM[1] + rng.normal(0, 0.0015))
                 for _ in range(50)]
              + [(rng.uniform(south, north), rng.uniform(west, east)) for _ in range(40)])
    with database.session() as session:
        for i, (lat, lon) in enumerate(points):
            session.add(DispatchIncident(
                type_code="theft", priority=3, source="phone", lat=lat, lon=lon,
                location_source="coordinates", status="closed",
                created_at=now - timedelta(days=int(rng.integers(1, 42)), hours=i % 24)))


def _forecast(dataset: str, make_user) -> str:  # type: ignore[no-untyped-def]
    governance = get_governance()
    approve_assessments(make_user, ("forecast.hotspots",))
    analyst = make_user("analyst.one", Role.ANALYST)
    result = governance.gateway.invoke(
        Caller(analyst.id, analyst.username, frozenset({"analyst"})),
        GatewayRequest("forecast.hotspots", "patrol-planning", "police-law-art-2",
                       {"dataset": dataset, "method": "kde", "audit": "exposure",
                        "date": utcnow().date().isoformat(), "cell_size": "100",
                        "coverage": "20"}))
    return result.decision_id


def _review(make_user) -> None:  # type: ignore[no-untyped-def]
    reviews = get_governance().reviews
    boss = make_user("supervisor.one", Role.SUPERVISOR)
    [(review, _)] = reviews.pending(frozenset({"supervisor"}))
    reviews.decide(review.id, Caller(boss.id, boss.username, frozenset({"supervisor"})),
                   "confirm")


def test_plan_from_a_reviewed_forecast_is_capped_by_exposure_and_ledgered(
        service: DispatchService, officer: Actor, history, make_user, database) -> None:  # type: ignore[no-untyped-def]
    for i in range(10):  # ten idle units spread over the area
        service.create_unit(officer, f"P{i}", 60.166 + 0.003 * (i % 5),
                            24.938 + 0.010 * (i // 5))
    prepared = patrol.prepare_history(service, officer)
    assert prepared["events"] == 240 and prepared["sectors"]
    # Only time, place, type and sector left dispatch (see the hook): no address, no person.
    decision = _forecast(prepared["dataset"], make_user)
    with pytest.raises(Conflict, match="cannot be used yet"):
        patrol.propose(service, decision)  # the supervisor has not reviewed it
    _review(make_user)
    plan = patrol.propose(service, decision)
    assert plan["idle_units"] == 10 and plan["assignments"]
    output = get_governance().gateway.usable_output(decision)
    shares = {r["district"]: r for r in output["exposure_audit"]["districts"]}
    per_sector: dict[str, int] = {}
    for a in plan["assignments"]:
        per_sector[a["district"]] = per_sector.get(a["district"], 0) + 1
        assert service.roads.covers(a["lat"], a["lon"])
        assert "by road" in a["summary"] and f"forecast rank {a['rank']}" in a["summary"]
    # The cap: no sector gets more units than 1.5 × its event share of the idle units (≥ 1).
    for district, count in per_sector.items():
        assert count <= max(1, int(1.5 * shares[district]["event_share"] * 10)), plan
    capped = [c for c in plan["left_out"] if c["reason"].startswith(("exposure cap",
                                                                     "sector "))]
    assert capped, plan["left_out"]  # a sector had more hot cells than the cap allows
    assert len({a["call_sign"] for a in plan["assignments"]}) == len(plan["assignments"])
    assert len({a["cell"] for a in plan["assignments"]}) == len(plan["assignments"])

    accepted = patrol.accept(service, officer, decision)
    with database.session() as session:
        body = json.loads(session.get(LedgerEntry, accepted["ledger_seq"]).body)
    assert body["kind"] == "dispatch.patrol-plan" and body["decision_id"] == decision
    assert [a["cell"] for a in body["assignments"]] == [a["cell"] for a in plan["assignments"]]
    # Twice accepted, a cell in both plans is left out of the third.
    patrol.accept(service, officer, decision)
    third = patrol.propose(service, decision)
    first_cells = {a["cell"] for a in plan["assignments"]}
    assert not first_cells & {a["cell"] for a in third["assignments"]}
    assert any("last 2 accepted plans" in c["reason"] for c in third["left_out"])


def test_a_plan_needs_a_hotspot_forecast(service: DispatchService, officer: Actor) -> None:
    with pytest.raises(NotFound):
        patrol.propose(service, "no-such-decision")
    with pytest.raises(Exception, match="no incidents"):
        patrol.prepare_history(service, officer)


def test_patrol_page_prepares_data_proposes_and_accepts(  # type: ignore[no-untyped-def]
        client: TestClient, service: DispatchService, officer: Actor, history,
        make_user) -> None:
    for i in range(3):
        service.create_unit(officer, f"Q{i}", 60.166 + 0.004 * i, 24.940)
    csrf = login(client, officer.username)
    assert client.get("/dispatch/patrol").status_code == 200
    missing = client.get("/dispatch/patrol?decision=nope")
    assert missing.status_code == 404 and "No hotspot forecast nope" in missing.text
    prepared = client.post("/dispatch/patrol/history", data={"csrf_token": csrf})
    assert prepared.status_code == 200 and 'data-testid="patrol-dataset"' in prepared.text
    dataset = prepared.text.split("Dataset ")[1].split(":")[0]
    decision = _forecast(dataset, make_user)
    pending = client.get(f"/dispatch/patrol?decision={decision}")
    assert pending.status_code == 409 and "cannot be used yet" in pending.text
    _review(make_user)
    page = client.get(f"/dispatch/patrol?decision={decision}")
    assert page.status_code == 200 and "Unit Q" in page.text and "by road" in page.text
    assert "OpenStreetMap contributors" in page.text
    done = client.post("/dispatch/patrol/accept", data={"csrf_token": csrf,
                                                        "decision": decision})
    assert done.status_code == 200 and 'data-testid="patrol-accepted"' in done.text
    assert [e["kind"] for e in service.events_after(0)].count("patrol-plan-accepted") == 1


def test_cli_refuses_a_plan_without_a_forecast(accord_env, officer: Actor) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from accord.cli import app

    done = CliRunner().invoke(app, ["dispatch", "patrol", "plan", "nope", "--user",
                                    officer.username])
    assert done.exit_code != 0 and "No hotspot forecast nope" in done.output
    empty = CliRunner().invoke(app, ["dispatch", "patrol", "history", "--user",
                                     officer.username])
    assert empty.exit_code != 0 and "no incidents" in empty.output
