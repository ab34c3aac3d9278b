"""A synthetic monthly, snapped, anonymised data set with known hotspots.

Like many published police extracts: dates are months (``2016-01``), locations are snapped to
a fixed set of street points, and rows carry no record id (so two incidents of the same kind,
in the same month, at the same street point are identical rows).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

# Street points: a 40 x 40 lattice of intersections 75 m apart (3 km square) in UTM 30N,
# around Leeds-ish coordinates.
ORIGIN = (430000.0, 5960000.0)
SPACING = 75.0
SIDE = 40
# Hot street points (lattice row, column): every month each gets many events.
HOT_POINTS = ((5, 5), (5, 30), (20, 12), (33, 33), (28, 4))
MONTHS = 24  # 2016-01 .. 2017-12


def month_label(m: int) -> str:
    return f"{2016 + m // 12}-{m % 12 + 1:02d}"


def monthly_rows(seed: int = 0, background: int = 120, per_hot: float = 6.0
                 ) -> list[tuple[str, float, float, str]]:
    """(month, lon, lat, category) rows: ``background`` events a month on random street
    points plus Poisson(``per_hot``) a month on each hot point."""
    from pyproj import Transformer

    rng = np.random.default_rng(seed)
    to_geo = Transformer.from_crs("EPSG:32630", "EPSG:4326", always_xy=True)
    rows = []
    for m in range(MONTHS):
        points = [tuple(p) for p in rng.integers(0, SIDE, size=(background, 2))]
        for hot in HOT_POINTS:
            points += [hot] * int(rng.poisson(per_hot))
        for row, col in points:
            lon, lat = to_geo.transform(ORIGIN[0] + col * SPACING, ORIGIN[1] + row * SPACING)
            kind = "burglary" if rng.random() < 0.5 else "vehicle"
            rows.append((month_label(m), round(float(lon), 6), round(float(lat), 6), kind))
    return rows


def write_monthly(path: Path, seed: int = 0, **kwargs: float) -> Path:
    lines = ["Month,Longitude,Latitude,Crime type"]
    lines += [f"{m},{lon:.6f},{lat:.6f},{kind}" for m, lon, lat, kind in
              monthly_rows(seed, **kwargs)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def hot_xy() -> list[tuple[float, float]]:
    """The hot points in UTM 30N metres (the CRS the importer picks for these data)."""
    return [(ORIGIN[0] + c * SPACING, ORIGIN[1] + r * SPACING) for r, c in HOT_POINTS]
