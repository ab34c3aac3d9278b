"""The police stations a case can belong to, and the district outlines the supervisor's map draws.

Why a file and not a table: the list changes when the service reorganises, not during a shift,
and the deadline board, the map, the district profiles and the demo generator must agree on it.
``stations.yaml`` names each station (Chinese and English), its district and the places its
area covers; ``districts.geojson`` holds the district outlines. Both ship as synthetic demo data
(the outlines are rectangles, not real boundaries, and say so); a deployment replaces them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
STATIONS_FILE = HERE / "stations.yaml"
DISTRICTS_FILE = HERE / "districts.geojson"


@dataclass(frozen=True)
class Station:
    id: str
    name_zh: str
    name_en: str
    district: str
    places: tuple[str, ...]
    point: tuple[float, float]  # longitude, latitude

    def name(self, language: str) -> str:
        return self.name_zh if language.startswith("zh") else self.name_en


@cache
def stations() -> dict[str, Station]:
    """Every station by id, in file order. A malformed file fails loudly at first use."""
    raw = yaml.safe_load(STATIONS_FILE.read_text(encoding="utf-8"))
    found: dict[str, Station] = {}
    for entry in raw["stations"]:
        station = Station(id=str(entry["id"]), name_zh=str(entry["name"]["zh"]),
                          name_en=str(entry["name"]["en"]), district=str(entry["district"]),
                          places=tuple(str(p) for p in entry.get("places", ())),
                          point=(float(entry["point"][0]), float(entry["point"][1])))
        if station.id in found:
            raise ValueError(f"{STATIONS_FILE.name}: station {station.id!r} listed twice")
        found[station.id] = station
    unknown = {s.district for s in found.values()} - set(district_names())
    if unknown:
        raise ValueError(f"{STATIONS_FILE.name}: districts without an outline: {sorted(unknown)}")
    return found


@cache
def district_outlines() -> dict[str, Any]:
    """The district outlines as a GeoJSON FeatureCollection (``properties.name`` is the key)."""
    data: dict[str, Any] = json.loads(DISTRICTS_FILE.read_text(encoding="utf-8"))
    return data


def district_names() -> list[str]:
    return [str(f["properties"]["name"]) for f in district_outlines()["features"]]


def outlines_are_synthetic() -> bool:
    return any(f["properties"].get("synthetic") for f in district_outlines()["features"])


def station_district(station_id: str) -> str:
    """The district of a station ("" for no station or an id no longer in the list)."""
    station = stations().get(station_id or "")
    return station.district if station else ""


def station_for_place(place: str) -> str:
    """The id of the station whose area names ``place`` ("" when none does)."""
    for station in stations().values():
        if any(p and p in (place or "") for p in station.places):
            return station.id
    return ""
