"""Foreign-related demand (synthetic), its forecast against seasonal naive, and staffing."""

from __future__ import annotations

import numpy as np
import pytest

from accord.forecast.data import ForecastInputError
from accord.forecast.staffing import (
    SHIFTS,
    evaluate,
    fit_series,
    generate_demand,
    staffing_plan,
)


@pytest.fixture(scope="module")
def data():  # type: ignore[no-untyped-def]
    return generate_demand(days=364, seed=1)


def test_generator_is_labelled_synthetic_and_reproducible(data) -> None:  # type: ignore[no-untyped-def]
    assert data.synthetic
    assert all(r["synthetic"] for r in data.records(limit=20))
    again = generate_demand(days=364, seed=1)
    assert np.array_equal(data.incidents, again.incidents)
    assert data.incidents.shape == (364, len(data.districts), len(SHIFTS))
    # Nightlife is busiest at night, the embassy quarter by day.
    night = SHIFTS.index("night 22-06")
    assert data.incidents[:, data.districts.index("Nightlife"), night].sum() > \
        data.incidents[:, data.districts.index("Nightlife"), 0].sum()
    assert data.requests.sum() < data.incidents.sum()


def test_fitted_model_beats_seasonal_naive_on_incidents(data) -> None:  # type: ignore[no-untyped-def]
    result = evaluate(data, windows=6, what="incidents")
    assert result["model_mae"] < result["seasonal_naive_mae"]
    assert result["synthetic"]


def test_series_model_recovers_a_weekly_pattern() -> None:
    days = 140
    weekdays = np.arange(days) % 7
    rate = np.where(weekdays >= 5, 6.0, 2.0)
    y = np.random.default_rng(0).poisson(rate)[:, None].astype(float)
    model = fit_series(y, weekdays)
    factors = model["factors"][:, 0]
    assert factors[5] / factors[0] == pytest.approx(3.0, rel=0.3)


def test_staffing_plan_covers_every_district_shift_and_language(data) -> None:  # type: ignore[no-untyped-def]
    plan = staffing_plan(data)
    assert plan["synthetic"] and "SYNTHETIC" in plan["label"]
    assert len(plan["officers"]) == len(data.districts) * len(SHIFTS)
    assert all(row["suggested_officers"] >= 1 for row in plan["officers"])
    busiest = max(plan["officers"], key=lambda r: r["expected_per_shift"])
    quietest = min(plan["officers"], key=lambda r: r["expected_per_shift"])
    assert busiest["suggested_officers"] > quietest["suggested_officers"]
    for shift in plan["interpreters"]:
        listed = shift["on_call"] + shift["remote_pool"] + shift["on_request"]
        assert sorted(listed) == sorted(data.languages)
    with pytest.raises(ForecastInputError):
        staffing_plan(data, availability=0)
