"""The forecast.hotspots capability: declaration, runner output (no personal data) and a real
call through the governed gateway."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accord.core.registry import CapabilityRegistry, RiskTier
from accord.forecast.capability import FORECAST_CAPABILITY, run_forecast
from accord.forecast.data import ForecastInputError, day_to_iso
from accord.forecast.service import ForecastService
from tests.forecast.synthetic import planted

SECRET_NAME = "Zhang Wei-7731"
SECRET_NUMBER = "INC-99887766"


def _csv(path: Path) -> Path:
    """Planted-hotspot events with columns that must never reach the output."""
    from pyproj import Transformer

    events = planted(background=300, hot=80, days=100, with_district=True)
    lon, lat = Transformer.from_crs("EPSG:32610", "EPSG:4326", always_xy=True).transform(
        events.x + 550000.0, events.y + 4180000.0)
    lines = ["incident,date,lon,lat,district,victim"]
    for i, (t, a, b, d) in enumerate(zip(events.t, lon, lat, events.district, strict=True)):
        lines.append(f"{SECRET_NUMBER}-{i},{day_to_iso(t)},{a:.6f},{b:.6f},{d},{SECRET_NAME}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def dataset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    from accord.config import reset_settings_cache

    monkeypatch.setenv("ACCORD_STATE_DIR", str(tmp_path / "var"))
    reset_settings_cache()
    summary = ForecastService().import_csv(_csv(tmp_path / "in.csv"), time="date", lon="lon",
                                           lat="lat", district_col="district")
    yield summary["dataset_id"]
    reset_settings_cache()


def test_declaration() -> None:
    cap = FORECAST_CAPABILITY
    assert cap.id == "forecast.hotspots"
    assert cap.risk_tier is RiskTier.HIGH
    assert cap.roles == frozenset({"analyst"})
    assert cap.purposes == frozenset({"patrol-planning", "resource-planning"})
    assert cap.review_required and cap.review_role == "supervisor"
    assert {"dataset", "method", "cell_size", "window", "date"} <= set(cap.inputs)
    assert set(cap.inputs["method"].choices) == {"naive", "history", "kde", "kde-categories",
                                                 "prospective", "sepp", "learned", "blend",
                                                 "hit-stack"}
    assert "PAI" in cap.model.measured_accuracy  # type: ignore[union-attr]
    CapabilityRegistry().register(cap)  # has a runner and a model card


def test_runner_output_is_aggregate_and_explained(dataset: str) -> None:
    result = run_forecast({"dataset": dataset, "method": "kde", "window": "week"})
    out = result.output
    assert result.confidence is None
    assert out["top_cells"][0]["expected_events"] >= out["top_cells"][-1]["expected_events"]
    assert out["top_cells"][0]["why"]["share_from_this_cell"] > 0.5
    assert out["flagged_cells"] == len(out["flagged_cell_ids"])
    assert "flagged cells" in result.explanation and "Hottest cell" in result.explanation
    dumped = json.dumps(out) + result.explanation
    assert SECRET_NAME not in dumped and SECRET_NUMBER not in dumped
    # Contributors are located by cell, never by exact coordinates.
    contributor = out["top_cells"][0]["top_contributors"][0]
    assert set(contributor) == {"event", "day", "weight", "expected", "cell"}


@pytest.mark.parametrize(("inputs", "message"), [
    ({"dataset": "nope"}, "no imported dataset"),
    ({"dataset": "../etc/passwd"}, "not a dataset id"),
    ({"cell_size": "abc"}, "cell_size: must be a number"),
    ({"coverage": "90"}, "coverage: must be between"),
    ({"date": "next tuesday"}, "not an ISO date"),
])
def test_runner_rejects_bad_inputs(dataset: str, inputs: dict[str, str], message: str) -> None:
    with pytest.raises(ForecastInputError, match=message):
        run_forecast({"dataset": dataset, **inputs})


def test_through_the_gateway(accord_env, make_user, dataset: str) -> None:  # type: ignore[no-untyped-def]
    from accord.core.gateway.service import Caller, GatewayDenied, GatewayRequest
    from accord.core.governance import get_governance
    from accord.core.roles import Role

    governance = get_governance()
    if FORECAST_CAPABILITY.id not in governance.registry:
        governance.registry.register(FORECAST_CAPABILITY)
    analyst = make_user("analyst.one", Role.ANALYST)
    officer = make_user("officer.one", Role.OFFICER)
    request = GatewayRequest(capability_id="forecast.hotspots", purpose="patrol-planning",
                             legal_basis="police-law-art-2",
                             inputs={"dataset": dataset, "method": "sepp", "window": "week"})
    analyst_caller = Caller(analyst.id, analyst.username, frozenset({"analyst"}))
    # High risk: refused until the DPO has approved the assessments for this version.
    with pytest.raises(GatewayDenied) as gated:
        governance.gateway.invoke(analyst_caller, request)
    assert "forbid-high-risk-without-assessment" in [r.policy_id for r in gated.value.reasons]
    from accord.governance.dpo import ASSESSMENT_KINDS, DpoService

    dpo = make_user("dpo.one", Role.DPO)
    for kind in ASSESSMENT_KINDS:
        DpoService.from_governance(governance).record_assessment(
            Caller(dpo.id, dpo.username, frozenset({"dpo"})), capability_id="forecast.hotspots",
            kind=kind, outcome="approved", summary=f"test {kind}")
    result = governance.gateway.invoke(
        Caller(analyst.id, analyst.username, frozenset({"analyst"})), request)
    assert result.review_required and result.review_role == "supervisor"
    assert result.output["top_cells"]
    with pytest.raises(GatewayDenied):
        governance.gateway.invoke(Caller(officer.id, officer.username,
                                         frozenset({"officer"})), request)
