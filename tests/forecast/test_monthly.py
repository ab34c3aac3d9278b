"""Monthly, snapped, id-less data: the importer reads them for what they are, the backtest
respects their resolution and stays honest about what it can tell apart."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.forecast.data import import_events
from tests.forecast.monthly import MONTHS, write_monthly


@pytest.fixture(scope="module")
def monthly_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_monthly(tmp_path_factory.mktemp("monthly") / "street.csv")


def load(path: Path, **kwargs: object):  # type: ignore[no-untyped-def]
    return import_events(path, time="Month", lon="Longitude", lat="Latitude",
                         type_col="Crime type", **kwargs)  # type: ignore[arg-type]


def test_year_month_dates_import_and_are_reported_as_monthly(monthly_csv: Path) -> None:
    result = load(monthly_csv)
    assert result.bad_rows == {}
    assert result.rows_kept == result.rows_read > MONTHS * 120
    summary = result.summary()
    assert summary["time_resolution"] == "monthly"
    assert summary["time_resolution_detail"]["share_on_first_of_month"] == 1.0
    assert summary["first"] == "2016-01-01" and summary["last"] == "2017-12-01"
    loc = summary["location_resolution"]
    assert loc["snapped"] and loc["distinct_points"] <= 40 * 40
    assert loc["share_on_repeated_points"] > 0.8


def test_identical_rows_without_an_id_are_kept_unless_asked(monthly_csv: Path) -> None:
    """Hot street points get several same-kind events a month: identical rows, separate
    incidents. Dropping them would erase most of each hotspot."""
    kept = load(monthly_csv)
    assert kept.duplicates_dropped == 0
    assert kept.duplicates_without_id_kept > 0.1 * kept.rows_read
    assert kept.rows_kept == kept.rows_read
    dropped = load(monthly_csv, dedupe_without_id=True)
    assert dropped.duplicates_dropped == kept.duplicates_without_id_kept
    assert dropped.rows_kept == kept.rows_read - kept.duplicates_without_id_kept


def test_duplicates_with_an_id_are_still_dropped(tmp_path: Path) -> None:
    path = tmp_path / "ids.csv"
    path.write_text("ref,Month,Longitude,Latitude\n"
                    "a1,2016-01,-1.5,53.8\na1,2016-01,-1.5,53.8\n"
                    ",2016-01,-1.5,53.8\n,2016-01,-1.5,53.8\n", encoding="utf-8")
    result = import_events(path, time="Month", lon="Longitude", lat="Latitude", id_col="ref")
    assert (result.duplicates_dropped, result.duplicates_without_id_kept, result.rows_kept) \
        == (1, 1, 3)


@pytest.mark.parametrize(("text", "resolution"), [
    ("2016-01", "monthly"), ("2016-01-17", "daily"), ("20160117", "daily"),
    ("2016-01-17T22:30:00+01:00", "sub-daily"), ("2016-01-17T22:30Z", "sub-daily"),
])
def test_any_iso_8601_precision(tmp_path: Path, text: str, resolution: str) -> None:
    path = tmp_path / "one.csv"
    path.write_text(f"when,lon,lat\n{text},-1.5,53.8\n", encoding="utf-8")
    result = import_events(path, time="when", lon="lon", lat="lat")
    assert result.rows_kept == 1, result.bad_rows
    assert result.events.resolution == resolution


def test_a_zero_event_import_names_the_reason(tmp_path: Path) -> None:
    path = tmp_path / "slashes.csv"
    path.write_text("Month,Longitude,Latitude\n01/2016,-1.5,53.8\n02/2016,-1.5,53.8\n",
                    encoding="utf-8")
    result = load_plain(path)
    reason = result.no_events_reason()
    assert reason is not None
    assert "unparsable time: 2" in reason and "'01/2016'" in reason and "--time-format" in reason
    assert result.summary()["no_events_reason"] == reason
    fixed = load_plain(path, time_format="%m/%Y")
    assert fixed.rows_kept == 2 and fixed.no_events_reason() is None
    assert fixed.events.resolution == "monthly"


def load_plain(path: Path, **kwargs: object):  # type: ignore[no-untyped-def]
    return import_events(path, time="Month", lon="Longitude", lat="Latitude",
                         **kwargs)  # type: ignore[arg-type]
