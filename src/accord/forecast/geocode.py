"""Cells whose events pile up on one exact coordinate: likely default geocodes.

Where an address cannot be geocoded, many record systems put the incident at a default point:
the police station, the city hall, a district centroid (in the San Francisco sample, the
Hall of Justice at 850 Bryant Street). A hotspot map then sends patrols to the station. A cell
is flagged when one exact point holds more than ``share`` of the cell's events, at least
``min_events`` of them, and at least ``ratio`` times as many as the typical (median) point in
the data — the last condition keeps ordinary snapped data (every event on a street point) from
flagging every cell. A flag asks an analyst to look; it does not prove a geocoding default (a
busy station forecourt or a shopping centre also concentrates events on one point).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from accord.forecast.data import EventSet
from accord.forecast.grid import Grid

SHARE = 0.30
MIN_EVENTS = 20
RATIO = 10.0


def rule_text(share: float = SHARE, min_events: int = MIN_EVENTS, ratio: float = RATIO) -> str:
    return (f"one exact point holds > {share:.0%} of the cell's events, >= {min_events} events, "
            f"and >= {ratio:g}x the median events per distinct point")


def default_geocode_cells(events: EventSet, grid: Grid, *, share: float = SHARE,
                          min_events: int = MIN_EVENTS,
                          ratio: float = RATIO) -> dict[int, dict[str, Any]]:
    """Flagged cells -> {point_events, cell_events, share, typical_point_events}."""
    if len(events) == 0:
        return {}
    points = np.round(np.column_stack([events.x, events.y]), 2)
    unique, counts = np.unique(points, axis=0, return_counts=True)
    typical = float(np.median(counts))
    per_cell = grid.counts(events)
    cells = grid.cell_of(unique[:, 0], unique[:, 1])
    out: dict[int, dict[str, Any]] = {}
    for i in np.flatnonzero((counts >= min_events) & (counts >= ratio * typical)):
        cell = int(cells[i])
        if cell < 0 or per_cell[cell] <= 0:
            continue
        fraction = float(counts[i]) / float(per_cell[cell])
        if fraction > share and (cell not in out or counts[i] > out[cell]["point_events"]):
            out[cell] = {"point_events": int(counts[i]), "cell_events": int(per_cell[cell]),
                         "share": round(fraction, 4), "typical_point_events": typical}
    return out
