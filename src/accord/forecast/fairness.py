"""Exposure audit: who would be patrolled because of a forecast, compared with where events are.

For each district: its share of the recorded events, of the flagged area (the top ``coverage``
percent of cells) and of the predicted patrol time (patrols split among flagged cells in
proportion to their forecast). A district whose patrol-time share exceeds its event share by
more than ``threshold`` times is flagged as over-exposed (and one below 1/threshold as
under-served). Recorded events are themselves partly a product of past patrolling, so "in line
with events" is a floor for scrutiny, not a certificate of fairness.

Cells are assigned to a district by the majority of the events recorded in them; cells without
events take the district of the nearest cell that has events (reported as such).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from accord.core.i18n import M_
from accord.forecast.data import EventSet, ForecastInputError
from accord.forecast.grid import Grid
from accord.forecast.metrics import flagged_cells

UNKNOWN = "(none)"


#: The last grid and events labelled: a backtest audits every method's last forecast on the
#: same training events, and labelling is a Python loop over them.
_LAST_LABELS: dict[tuple[object, ...], tuple[np.ndarray, np.ndarray]] = {}


def cell_districts(grid: Grid, events: EventSet) -> tuple[np.ndarray, np.ndarray]:
    """District label per cell and whether it was assigned by nearest neighbour."""
    if len(events) == 0 or not np.any(events.district != ""):
        raise ForecastInputError(M_("the data have no district column to audit by"))
    key = (grid, len(events), events.t.tobytes(), events.x.tobytes(), events.y.tobytes(),
           events.district.tobytes())
    if key not in _LAST_LABELS:
        _LAST_LABELS.clear()
        _LAST_LABELS[key] = _cell_districts(grid, events)
    labels, nearest = _LAST_LABELS[key]
    return labels.copy(), nearest.copy()


def _cell_districts(grid: Grid, events: EventSet) -> tuple[np.ndarray, np.ndarray]:
    cells = grid.cell_of(events.x, events.y)
    votes: dict[int, Counter[str]] = {}
    for cell, district in zip(cells.tolist(), events.district.tolist(), strict=True):
        if cell >= 0 and district:
            votes.setdefault(cell, Counter())[district] += 1
    labels = np.full(grid.size, UNKNOWN, dtype=object)
    for cell, counter in votes.items():
        top = max(counter.values())
        labels[cell] = sorted(d for d, n in counter.items() if n == top)[0]
    known = np.array(sorted(votes), dtype=np.int64)
    nearest = np.zeros(grid.size, dtype=bool)
    if known.size:
        cx, cy = grid.centres()
        from scipy.spatial import cKDTree  # heavy: imported when an audit runs

        tree = cKDTree(np.column_stack([cx[known], cy[known]]))
        missing = np.flatnonzero(labels == UNKNOWN)
        if missing.size:
            _, idx = tree.query(np.column_stack([cx[missing], cy[missing]]))
            labels[missing] = labels[known[idx]]
            nearest[missing] = True
    return labels.astype(str), nearest


def exposure_audit(expected: np.ndarray, grid: Grid, events: EventSet, *,
                   coverage: float = 5.0, threshold: float = 1.5,
                   district_events: EventSet | None = None) -> dict[str, Any]:
    """Audit one forecast. ``events`` assign cells to districts; ``district_events`` (default:
    ``events``) are the events whose shares the exposure is compared with."""
    labels, by_nearest = cell_districts(grid, events)
    reference = district_events if district_events is not None else events
    ref = reference.district[reference.district != ""]
    if ref.size == 0:
        raise ForecastInputError(M_("no events with a district to compare with"))
    flagged = flagged_cells(expected, coverage)
    expected = np.asarray(expected, dtype=float)
    patrol = expected[flagged]
    patrol_total = float(patrol.sum())
    event_counts = Counter(ref.tolist())
    districts = sorted(set(labels.tolist()) | set(event_counts))
    rows = []
    for district in districts:
        in_district = labels[flagged] == district
        event_share = event_counts.get(district, 0) / ref.size
        area_share = float(in_district.sum()) / max(len(flagged), 1)
        patrol_share = float(patrol[in_district].sum()) / patrol_total if patrol_total else 0.0
        ratio = patrol_share / event_share if event_share > 0 else (
            float("inf") if patrol_share > 0 else float("nan"))
        status = "in line"
        if ratio > threshold:
            status = "over-exposed"
        elif ratio < 1 / threshold:
            status = "under-served"
        rows.append({"district": district, "events": event_counts.get(district, 0),
                     "event_share": round(event_share, 4),
                     "flagged_cells": int(in_district.sum()),
                     "flagged_area_share": round(area_share, 4),
                     "patrol_time_share": round(patrol_share, 4),
                     "exposure_ratio": round(ratio, 3) if np.isfinite(ratio) else None,
                     "status": status})
    area_shares = np.array([r["flagged_area_share"] for r in rows])
    event_shares = np.array([r["event_share"] for r in rows])
    top = max(rows, key=lambda r: r["patrol_time_share"]) if rows else None
    return {
        "coverage_percent": coverage,
        "flagged_cells": len(flagged),
        "threshold": threshold,
        "districts": rows,
        "flags": [f"{r['district']}: {r['status']} (patrol-time share "
                  f"{r['patrol_time_share']:.0%} vs event share {r['event_share']:.0%})"
                  for r in rows if r["status"] != "in line"],
        "concentration": {
            "hhi_flagged_area": round(float(np.sum(area_shares ** 2)), 4),
            "hhi_events": round(float(np.sum(event_shares ** 2)), 4),
            "top_district": top["district"] if top else None,
            "top_district_patrol_share": top["patrol_time_share"] if top else None,
            "districts_with_no_flagged_cells": [r["district"] for r in rows
                                                if r["flagged_cells"] == 0],
        },
        "cells_assigned_by_nearest_event": int(by_nearest[flagged].sum()),
        "caveat": "Event shares are recorded events, which partly reflect where police have "
                  "looked before; a district 'in line' with its records can still be "
                  "over-policed. Read with the feedback-loop simulation.",
    }
