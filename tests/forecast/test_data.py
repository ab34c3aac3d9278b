"""The importer: bad rows counted by reason, exact duplicates dropped, projection to metres."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from accord.forecast.data import ForecastInputError, day_to_iso, import_events

HEADER = "id,when,lon,lat,kind,district\n"
ROWS = [
    "1,2024-03-01,-122.41,37.78,THEFT,NORTH",          # good
    "1,2024-03-01,-122.41,37.78,THEFT,NORTH",          # exact duplicate of the line above
    "2,2024-03-02,-122.42,37.77,ROBBERY,SOUTH",        # good
    "3,,-122.42,37.77,ROBBERY,SOUTH",                  # missing time
    "4,03/02/2024,-122.42,37.77,ROBBERY,SOUTH",        # not ISO, no format given: never guessed
    "5,2024-03-03,,37.77,THEFT,SOUTH",                 # missing coordinate
    "6,2024-03-03,abc,37.77,THEFT,SOUTH",              # unparsable coordinate
    "7,2024-03-03,-122.42,95.0,THEFT,SOUTH",           # latitude out of range
    "8,2024-03-03,-120.0,90.0,THEFT,SOUTH",            # valid degrees, ~1,400 km away
    "9,2024-03-04,-122.43,37.76,THEFT",                # a field short
    "10,2024-03-04,-122.43,37.76,THEFT,SOUTH",         # good
    "2,2024-03-02,-122.42,37.77,ROBBERY,SOUTH",        # duplicate, far from the original
]


def write(tmp_path: Path, rows: list[str], header: str = HEADER) -> Path:
    path = tmp_path / "events.csv"
    path.write_text(header + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_bad_rows_are_counted_by_reason_and_duplicates_dropped(tmp_path: Path) -> None:
    result = import_events(write(tmp_path, ROWS), time="when", lon="lon", lat="lat",
                           type_col="kind", district_col="district", id_col="id")
    assert result.rows_read == 12
    assert result.duplicates_dropped == 2
    assert result.bad_rows == {
        "missing time": 1, "unparsable time": 1, "missing coordinate": 1,
        "unparsable coordinate": 1, "coordinate out of range": 1,
        "more than 100 km from the other events": 1, "wrong number of fields": 1,
    }
    assert result.rows_kept == 3
    assert result.rows_read == result.rows_kept + result.duplicates_dropped + result.bad_total
    assert result.bad_examples["unparsable time"] == [6]  # line numbers, header is line 1
    assert result.bad_examples["coordinate out of range"] == [9]
    events = result.events
    assert [day_to_iso(t) for t in events.t] == ["2024-03-01", "2024-03-02", "2024-03-04"]
    assert events.category.tolist() == ["THEFT", "ROBBERY", "THEFT"]
    assert events.district.tolist() == ["NORTH", "SOUTH", "SOUTH"]
    assert result.day_resolution
    assert result.crs == "EPSG:32610"  # UTM zone 10N for San Francisco
    summary = result.summary()
    assert summary["bad_total"] == 7 and summary["rows_kept"] == 3


def test_projection_is_in_metres(tmp_path: Path) -> None:
    # Two points 0.01 degrees of latitude apart are about 1.11 km apart.
    rows = ["1,2024-03-01,-122.41,37.78,A,N", "2,2024-03-01,-122.41,37.79,A,N"]
    events = import_events(write(tmp_path, rows), time="when", lon="lon", lat="lat").events
    distance = float(np.hypot(events.x[1] - events.x[0], events.y[1] - events.y[0]))
    assert distance == pytest.approx(1110.0, rel=0.01)


def test_projected_xy_with_a_crs_give_the_same_metres(tmp_path: Path) -> None:
    # EPSG:2227 (California zone III, US feet) for the two points above.
    from pyproj import Transformer

    to_feet = Transformer.from_crs("EPSG:4326", "EPSG:2227", always_xy=True)
    x0, y0 = to_feet.transform(-122.41, 37.78)
    x1, y1 = to_feet.transform(-122.41, 37.79)
    path = write(tmp_path, [f"1,2024-03-01,{x0},{y0}", f"2,2024-03-01,{x1},{y1}"],
                 header="id,when,X,Y\n")
    events = import_events(path, time="when", x="X", y="Y", crs="EPSG:2227").events
    assert events.lon == pytest.approx([-122.41, -122.41])
    assert events.lat == pytest.approx([37.78, 37.79])
    assert float(events.y[1] - events.y[0]) == pytest.approx(1110.0, rel=0.01)


def test_timestamps_and_explicit_formats(tmp_path: Path) -> None:
    rows = ["1,2024-03-01T22:30:00,-122.41,37.78,A,N", "2,2024-03-02 01:15,-122.41,37.78,A,N"]
    result = import_events(write(tmp_path, rows), time="when", lon="lon", lat="lat")
    assert not result.day_resolution
    assert result.events.t[1] - result.events.t[0] == pytest.approx(2.75 / 24)
    us = import_events(write(tmp_path, ["1,03/02/2024,-122.41,37.78,A,N"]), time="when",
                       lon="lon", lat="lat", time_format="%m/%d/%Y")
    assert day_to_iso(us.events.t[0]) == "2024-03-02"


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"time": "nope", "lon": "lon", "lat": "lat"}, "unknown column 'nope' for time"),
    ({"time": "when", "lon": "lon", "lat": "latitude"}, "unknown column 'latitude'"),
    ({"time": "when", "lon": "lon"}, "give --lon and --lat"),
    ({"time": "when", "x": "lon", "y": "lat"}, "need --crs"),
    ({"time": "when", "x": "lon", "y": "lat", "crs": "EPSG:999999"}, "unknown CRS"),
])
def test_mapping_errors_are_clear(tmp_path: Path, kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(ForecastInputError, match=message):
        import_events(write(tmp_path, ROWS[:1]), **kwargs)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ForecastInputError, match="no such file"):
        import_events(tmp_path / "absent.csv", time="when", lon="lon", lat="lat")


def test_the_san_francisco_sample_matches_its_provenance() -> None:
    from accord.forecast.data import SF_DATA, load_sf

    assert SF_DATA.is_file(), f"shared SF data missing at {SF_DATA} (set ACCORD_SHARED_DIR)"
    result = load_sf()
    assert (result.rows_read, result.duplicates_dropped, result.bad_total,
            result.rows_kept) == (13472, 3319, 0, 10153)
    assert result.day_resolution
