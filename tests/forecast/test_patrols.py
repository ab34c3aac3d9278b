"""Patrols that followed a forecast are recorded against it, and feed the training correction."""

from __future__ import annotations

from datetime import date

import pytest

from accord.core.errors import NotFound, ValidationFailed
from accord.core.gateway.service import Caller, GatewayRequest
from accord.core.governance import get_governance
from accord.core.roles import Role
from accord.forecast.patrols import PatrolService
from accord.governance.dpo import ASSESSMENT_KINDS, DpoService


@pytest.fixture
def forecast(accord_env, make_user):  # type: ignore[no-untyped-def]
    governance = get_governance()
    dpo = make_user("dpo.one", Role.DPO)
    for kind in ASSESSMENT_KINDS:
        DpoService.from_governance(governance).record_assessment(
            Caller(dpo.id, dpo.username, frozenset({"dpo"})), capability_id="forecast.hotspots",
            kind=kind, outcome="approved", summary=f"test {kind}")
    analyst = make_user("analyst.one", Role.ANALYST)
    result = governance.gateway.invoke(
        Caller(analyst.id, analyst.username, frozenset({"analyst"})),
        GatewayRequest("forecast.hotspots", "patrol-planning", "police-law-art-2",
                       {"dataset": "sf-2012h2", "method": "kde", "date": "2012-11-05"}))
    return result, PatrolService(governance.gateway.database), analyst


def test_patrol_on_flagged_cells_is_recorded_and_marks_events(forecast) -> None:
    result, patrols, analyst = forecast
    cells = [c["cell"] for c in result.output["top_cells"][:3]]
    record = patrols.record(result.decision_id, date(2012, 11, 5), date(2012, 11, 12), cells,
                            user_id=analyst.id, note="night shift")
    assert record.cells == sorted(cells) and record.dataset == "sf-2012h2"
    log = patrols.log("sf-2012h2")
    assert len(log.records) == 1 and log.records[0].forecast_id == result.decision_id
    events = patrols.forecasts.events("sf-2012h2")
    weights = log.correction_weights(events, uplift=2.0)
    assert (weights == 0.5).sum() > 0  # events recorded on those patrols are down-weighted
    assert (weights == 1.0).sum() > (weights == 0.5).sum()


def test_bad_patrol_records_are_refused(forecast) -> None:
    result, patrols, analyst = forecast
    top = result.output["top_cells"][0]["cell"]
    with pytest.raises(ValidationFailed, match="end after it starts"):
        patrols.record(result.decision_id, date(2012, 11, 5), date(2012, 11, 5), [top],
                       user_id=analyst.id)
    with pytest.raises(ValidationFailed, match="not flagged"):
        patrols.record(result.decision_id, date(2012, 11, 5), date(2012, 11, 6), ["r000c000"],
                       user_id=analyst.id)
    with pytest.raises(NotFound):
        patrols.record("nope", date(2012, 11, 5), date(2012, 11, 6), [top], user_id=analyst.id)
    assert patrols.list() == []
