"""The supervisor's map of cases: open cases counted per district, drawn on the district outlines.

Only cases the user may open are counted (:func:`accord.cases.service.may_view_case`, the one
case access rule), and only counts leave this module: no reference, name or place. A case's
district is its station's when it has one, else the one its place names
(:func:`accord.cases.profiles.case_district`); cases with neither are counted as unrecorded,
not guessed. The outlines are whatever ``districts.geojson`` ships — synthetic rectangles in the
demo, which the page says.
"""

from __future__ import annotations

import copy
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, load_only

from accord.cases.models import Case
from accord.cases.profiles import case_district
from accord.cases.service import may_view_case
from accord.cases.stations import district_outlines, outlines_are_synthetic, stations
from accord.core.accounts.models import User


@dataclass(frozen=True)
class CaseMap:
    districts: dict[str, int]  # district name -> open cases (every outlined district, 0 too)
    stations: dict[str, int]  # station id -> open cases
    unrecorded: int  # open cases whose district is neither recorded nor on the map
    synthetic_outlines: bool

    @property
    def total(self) -> int:
        return sum(self.districts.values()) + self.unrecorded

    def geojson(self) -> dict[str, Any]:
        """The outlines with each district's count in ``properties.cases``."""
        data = copy.deepcopy(district_outlines())
        for feature in data["features"]:
            feature["properties"]["cases"] = self.districts.get(feature["properties"]["name"], 0)
        return data


def case_map(session: Session, user: User) -> CaseMap:
    """Open (not closed) cases ``user`` may open, counted per district and station."""
    roles = frozenset(str(role) for role in user.roles)
    query = (select(Case).where(Case.status != "closed")
             .options(load_only(Case.id, Case.officer_id, Case.station, Case.place)))
    outlined = {f["properties"]["name"] for f in district_outlines()["features"]}
    districts: Counter[str] = Counter({name: 0 for name in outlined})
    by_station: Counter[str] = Counter()
    unrecorded = 0
    for case in session.scalars(query):
        if not may_view_case(case, user.id, roles):
            continue
        district = case_district(case.station, case.place)
        if district in outlined:
            districts[district] += 1
        else:
            unrecorded += 1
        if case.station in stations():
            by_station[case.station] += 1
    return CaseMap(dict(districts), dict(by_station), unrecorded, outlines_are_synthetic())
