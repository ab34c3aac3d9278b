"""Earlier calls and duplicate candidates at intake (issue #19's hot path): each list gets its
own rows, bounded by the true distance, newest first, at most NEARBY_LIMIT."""

from __future__ import annotations

import math

from accord.dispatch.service import (
    DUPLICATE_METRES,
    EARLIER_CALLS_METRES,
    METRES_PER_DEGREE,
    NEARBY_LIMIT,
    Actor,
    DispatchService,
)

LAT, LON = 60.17000, 24.94000


def _offset(north_m: float, east_m: float) -> tuple[float, float]:
    return (LAT + north_m / METRES_PER_DEGREE,
            LON + east_m / (METRES_PER_DEGREE * math.cos(math.radians(LAT))))


def _refs(items: list[dict]) -> list[str]:
    return [item["reference"] for item in items]


def test_the_radius_is_a_circle_not_the_box_around_it(service: DispatchService,
                                                      officer: Actor) -> None:
    # 40 m north and 40 m east: inside the ±50 m box, 57 m away, so not an earlier call
    # (but a duplicate candidate, within 150 m); 35 m + 35 m (49.5 m) is one.
    corner = service.create_incident(officer, type_code="noise", lat=_offset(40, 40)[0],
                                     lon=_offset(40, 40)[1])
    inside = service.create_incident(officer, type_code="noise", lat=_offset(-35, 35)[0],
                                     lon=_offset(-35, 35)[1])
    # 110 m east and 110 m north: inside the 150 m box, 156 m away: no duplicate.
    beyond = service.create_incident(officer, type_code="noise", lat=_offset(110, 110)[0],
                                     lon=_offset(110, 110)[1])
    check = service.intake_check(LAT, LON, "", "noise")
    assert _refs(check["earlier_calls"]) == [inside["reference"]]
    assert _refs(check["duplicates"]) == [inside["reference"], corner["reference"]]
    assert beyond["reference"] not in _refs(check["duplicates"])
    assert all(d["metres"] <= DUPLICATE_METRES for d in check["duplicates"])
    assert all(e["metres"] <= EARLIER_CALLS_METRES for e in check["earlier_calls"])


def test_a_crowded_neighbourhood_does_not_hide_a_call_at_the_place(service: DispatchService,
                                                                   officer: Actor) -> None:
    """Many newer incidents 100 m away (duplicate candidates) must not push the older call at
    the very address out of the earlier calls, nor the reverse; each list is capped."""
    old = service.create_incident(officer, type_code="theft", lat=LAT, lon=LON,
                                  address="Aleksanterinkatu 5")
    lat, lon = _offset(100, 0)
    crowd = [service.create_incident(officer, type_code="noise", lat=lat, lon=lon)
             for _ in range(3 * NEARBY_LIMIT)]
    check = service.intake_check(LAT, LON, "aleksanterinkatu 5", "noise")
    assert _refs(check["earlier_calls"]) == [old["reference"]]
    newest = list(reversed(_refs(crowd)))[:NEARBY_LIMIT]
    assert _refs(check["duplicates"]) == newest
    # The same address text finds the call from anywhere in the service area.
    away = service.intake_check(*_offset(800, 0), "Aleksanterinkatu 5", "theft")
    assert _refs(away["earlier_calls"]) == [old["reference"]]
    assert away["duplicates"] == []


def test_closed_incidents_and_the_new_one_itself_are_no_duplicates(service: DispatchService,
                                                                   officer: Actor) -> None:
    first = service.create_incident(officer, type_code="noise", lat=LAT, lon=LON)
    service.set_incident_status(officer, first["reference"], "closed")
    second = service.create_incident(officer, type_code="noise", lat=LAT, lon=LON)
    assert second["duplicates"] == []
    assert _refs(second["earlier_calls"]) == [first["reference"]]
    third = service.create_incident(officer, type_code="noise", lat=LAT, lon=LON)
    assert _refs(third["duplicates"]) == [second["reference"]]
    assert _refs(third["earlier_calls"]) == [second["reference"], first["reference"]]
