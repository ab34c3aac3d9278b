"""Exposure audit on a constructed case."""

from __future__ import annotations

import numpy as np
import pytest

from accord.forecast.data import EventSet, ForecastInputError
from accord.forecast.fairness import cell_districts, exposure_audit
from accord.forecast.grid import Grid

GRID = Grid(0.0, 0.0, 100.0, 10, 1)  # ten cells in a row


def _events() -> EventSet:
    # WEST (cells 0-4) and EAST (cells 5-9) each record 10 events; cell 3 holds 7 of WEST's.
    x = [350.0] * 7 + [50.0, 150.0, 250.0] + [550.0, 650.0, 750.0, 850.0, 950.0] * 2
    district = ["WEST"] * 10 + ["EAST"] * 10
    return EventSet.from_arrays(np.zeros(20), x, np.full(20, 50.0), district=district)


def test_a_forecast_that_flags_only_one_district_is_flagged() -> None:
    events = _events()
    forecast = np.array([0, 0, 1.0, 9, 0, 0, 0, 0, 0, 0])  # 20% coverage: cells 2 and 3
    audit = exposure_audit(forecast, GRID, events, coverage=20.0, threshold=1.5)
    rows = {r["district"]: r for r in audit["districts"]}
    assert rows["WEST"]["event_share"] == 0.5 and rows["EAST"]["event_share"] == 0.5
    assert rows["WEST"]["flagged_cells"] == 2 and rows["EAST"]["flagged_cells"] == 0
    assert rows["WEST"]["flagged_area_share"] == 1.0
    assert rows["WEST"]["patrol_time_share"] == 1.0
    assert rows["WEST"]["exposure_ratio"] == 2.0
    assert rows["WEST"]["status"] == "over-exposed"
    assert rows["EAST"]["status"] == "under-served"
    assert audit["concentration"]["top_district"] == "WEST"
    assert audit["concentration"]["districts_with_no_flagged_cells"] == ["EAST"]
    assert len(audit["flags"]) == 2


def test_a_balanced_forecast_is_in_line() -> None:
    events = _events()
    forecast = np.array([0, 0, 0, 5.0, 0, 0, 0, 5.0, 0, 0])
    audit = exposure_audit(forecast, GRID, events, coverage=20.0)
    assert {r["status"] for r in audit["districts"]} == {"in line"}
    assert audit["flags"] == []


def test_cells_without_events_take_the_nearest_district() -> None:
    events = EventSet.from_arrays([0.0, 0.0], [50.0, 950.0], [50.0, 50.0],
                                  district=["WEST", "EAST"])
    labels, nearest = cell_districts(GRID, events)
    assert labels.tolist() == ["WEST"] * 5 + ["EAST"] * 5
    assert nearest.tolist() == [False] + [True] * 8 + [False]


def test_audit_needs_a_district_column() -> None:
    events = EventSet.from_arrays([0.0], [50.0], [50.0])
    with pytest.raises(ForecastInputError, match="district"):
        exposure_audit(np.ones(10), GRID, events)
