"""ForecastService end to end on an imported dataset, and the backtest job with progress."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.forecast.data import ForecastInputError
from accord.forecast.service import ForecastService
from tests.forecast.test_capability import _csv


@pytest.fixture
def service(tmp_path: Path) -> ForecastService:
    return ForecastService(root=tmp_path / "forecast")


@pytest.fixture
def dataset(service: ForecastService, tmp_path: Path) -> str:
    return service.import_csv(_csv(tmp_path / "in.csv"), time="date", lon="lon", lat="lat",
                              district_col="district")["dataset_id"]


def test_import_is_idempotent_and_listed(service: ForecastService, dataset: str,
                                         tmp_path: Path) -> None:
    again = service.import_csv(tmp_path / "in.csv", time="date", lon="lon", lat="lat",
                               district_col="district")
    assert again["dataset_id"] == dataset
    ids = [d["id"] for d in service.datasets()]
    assert ids == ["sf-2012h2", dataset]
    assert len(service.events(dataset)) == 380


def test_forecast_explain_and_model_card(service: ForecastService, dataset: str) -> None:
    result = service.forecast(dataset, method="prospective", top=3)
    assert result["window"]["start"] == "1970-04-11"  # the day after the data
    hottest = result["top_cells"][0]["cell"]
    explained = service.explain(dataset, hottest, method="prospective", top=4)
    assert explained["expected_events"] == pytest.approx(
        result["top_cells"][0]["expected_events"], abs=1e-3)
    assert len(explained["contributors"]) == 4
    card = result["model_card"]
    assert card["method"] == "prospective" and card["data"]["events"] == 380
    assert any("recorded" in limit for limit in card["limitations"])
    assert card["fairness"].startswith("not audited")


def test_exposure_audit_via_service(service: ForecastService, dataset: str) -> None:
    audit = service.exposure_audit(dataset, method="kde", coverage=5.0)
    assert {r["district"] for r in audit["districts"]} == {"EAST", "WEST"}
    # The planted hotspot sits in EAST, so EAST gets most of the patrol time.
    assert audit["concentration"]["top_district"] == "EAST"
    assert audit["model_card"]["fairness"]["exposure_audit"]["coverage_percent"] == 5.0


def test_backtest_reports_progress(service: ForecastService, dataset: str) -> None:
    calls: list[int] = []
    result = service.backtest(dataset, methods=("kde",), windows=2,
                              progress=lambda p, m: calls.append(p))
    assert calls[0] == 0 and calls[-1] == 100
    assert set(result["methods"]) == {"naive", "history", "kde"}
    assert "table" in result


def test_feedback_and_staffing_via_service(service: ForecastService) -> None:
    feedback = service.feedback_simulation(periods=20, seed=2)
    assert set(feedback["scenarios"]) >= {"none", "citizen-reported only"}
    with pytest.raises(ForecastInputError):
        service.feedback_simulation(nonsense=1)
    staffing = service.staffing(days=120, seed=3)
    assert staffing["synthetic"] is True


def test_service_input_errors(service: ForecastService, dataset: str) -> None:
    with pytest.raises(ForecastInputError, match="freq"):
        service.forecast(dataset, freq="hour")
    with pytest.raises(ForecastInputError, match="cell size"):
        service.forecast(dataset, cell=1.0)
    with pytest.raises(ForecastInputError, match="not a cell id"):
        service.explain(dataset, "the-corner-shop")
    with pytest.raises(ForecastInputError, match="unknown method"):
        service.forecast(dataset, method="oracle")


def test_backtest_job_runs_with_progress(accord_env, database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import accord.forecast.jobs  # noqa: F401  (registers the handler)
    from accord.core.jobs import JobService

    dataset = ForecastService().import_csv(_csv(tmp_path / "job.csv"), time="date", lon="lon",
                                           lat="lat")["dataset_id"]
    job = JobService(database).submit("forecast.backtest",
                                      {"dataset": dataset, "methods": ["kde"], "windows": 1},
                                      created_by=None)
    job = JobService(database).get(job.id)
    assert job.status == "succeeded", job.message
    assert job.progress == 100
    assert job.result["best_method"] in {"naive", "kde"}
