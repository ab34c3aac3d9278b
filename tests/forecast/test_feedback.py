"""Feedback-loop simulation: runaway without mitigation, damped with it; the patrol log."""

from __future__ import annotations

import numpy as np
import pytest

from accord.forecast.data import EventSet, ForecastInputError
from accord.forecast.feedback import FeedbackConfig, PatrolLog, compare_mitigations, simulate
from accord.forecast.grid import Grid


@pytest.fixture(scope="module")
def comparison():  # type: ignore[no-untyped-def]
    return compare_mitigations(FeedbackConfig(seed=0), cap=2)["scenarios"]


def test_without_mitigation_the_forecast_runs_away(comparison) -> None:  # type: ignore[no-untyped-def]
    none = comparison["none"]
    assert none["runaway"]
    # Patrols lock onto the historically over-patrolled group although both have the same
    # true rates, and the forecast over-rates the places it patrols.
    assert none["true_share_a"] == pytest.approx(0.5)
    assert none["final_patrol_share_a"] >= 0.85
    assert none["final_patrolled_overestimate"] > 1.4
    assert none["final_repeat_share"] > 0.95
    assert (none["records_per_true_event_patrolled"]
            > 1.5 * none["records_per_true_event_elsewhere"])


def test_citizen_reported_training_damps_it(comparison) -> None:  # type: ignore[no-untyped-def]
    none, citizen = comparison["none"], comparison["citizen-reported only"]
    assert not citizen["runaway"]
    assert citizen["final_forecast_error_tv"] < 0.5 * none["final_forecast_error_tv"]
    assert citizen["final_patrolled_overestimate"] < 1.15
    assert abs(citizen["final_patrol_share_a"] - 0.5) < abs(none["final_patrol_share_a"] - 0.5)
    assert citizen["final_patrolled_true_top"] > none["final_patrolled_true_top"]


def test_capping_repeat_allocation_damps_it(comparison) -> None:  # type: ignore[no-untyped-def]
    none, capped = comparison["none"], comparison["cap 2 periods in a row"]
    assert not capped["runaway"]
    assert capped["final_repeat_share"] <= 2 / 3 + 1e-9
    assert capped["final_patrolled_overestimate"] < none["final_patrolled_overestimate"]
    assert capped["places_never_patrolled"] < none["places_never_patrolled"]
    both = comparison["both"]
    assert abs(both["final_patrol_share_a"] - 0.5) <= 0.15


def test_simulation_is_reproducible_and_validates_its_config() -> None:
    config = FeedbackConfig(places=10, periods=5, patrols=2, seed=7)
    assert simulate(config) == simulate(config)
    with pytest.raises(ForecastInputError):
        simulate(FeedbackConfig(train_on="hunches"))
    with pytest.raises(ForecastInputError):
        simulate(FeedbackConfig(patrols=0))


def test_patrol_log_marks_and_down_weights_events_found_on_forecast_patrols() -> None:
    grid = Grid(0.0, 0.0, 100.0, 3, 1)
    log = PatrolLog(grid)
    log.record(10.0, 17.0, [1], forecast_id="decision-abc", method="kde")
    # Days 5, 12, 12, 20; only the first day-12 event is in the patrolled cell 1.
    events = EventSet.from_arrays([5.0, 12.0, 12.0, 20.0], [150.0, 150.0, 50.0, 150.0],
                                  [50.0] * 4, day_resolution=True)
    assert log.patrolled_mask(events).tolist() == [False, True, False, False]
    assert log.correction_weights(events, uplift=2.0).tolist() == [1.0, 0.5, 1.0, 1.0]
    officer = np.array([False, False, False, False])
    assert log.correction_weights(events, 2.0, officer).tolist() == [1.0] * 4
    assert log.rows()[0]["forecast_id"] == "decision-abc"
    assert log.rows()[0]["start"] == "1970-01-11" and log.rows()[0]["stop"] == "1970-01-17"
    with pytest.raises(ForecastInputError):
        log.record(5.0, 6.0, [99], forecast_id="x")
    with pytest.raises(ForecastInputError):
        log.record(5.0, 6.0, [0], forecast_id=" ")
