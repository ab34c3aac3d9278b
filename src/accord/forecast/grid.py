"""A regular square grid over the events' bounding box (cells indexed row-major, y then x)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from accord.core.i18n import M_
from accord.forecast.data import EventSet, ForecastInputError

DEFAULT_CELL_SIZE = 150.0


@dataclass(frozen=True)
class Grid:
    x0: float
    y0: float
    cell: float
    nx: int
    ny: int
    crs: str = ""

    @classmethod
    def covering(cls, events: EventSet, cell: float = DEFAULT_CELL_SIZE) -> Grid:
        """The grid whose lower-left corner is the events' minimum x/y and that contains every
        event (a point on the far edge gets its own row/column)."""
        if not (cell > 0 and math.isfinite(cell)):
            raise ForecastInputError(M_("cell size must be a positive number of metres, not "
                                        "%(cell)s", cell=cell))
        if len(events) == 0:
            raise ForecastInputError(M_("no events to build a grid over"))
        x0, y0 = float(events.x.min()), float(events.y.min())
        nx = math.floor((float(events.x.max()) - x0) / cell) + 1
        ny = math.floor((float(events.y.max()) - y0) / cell) + 1
        if nx * ny > 4_000_000:
            raise ForecastInputError(M_("a %(cell)g m grid over this area has %(cells)s cells; "
                                        "use a larger cell size", cell=cell, cells=nx * ny))
        return cls(x0, y0, float(cell), nx, ny, events.crs)

    @property
    def size(self) -> int:
        return self.nx * self.ny

    @property
    def shape(self) -> tuple[int, int]:
        return (self.ny, self.nx)

    @property
    def cell_area_km2(self) -> float:
        return self.cell * self.cell / 1e6

    def cell_xy(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ix = np.floor((np.asarray(x) - self.x0) / self.cell).astype(np.int64)
        iy = np.floor((np.asarray(y) - self.y0) / self.cell).astype(np.int64)
        return ix, iy

    def cell_of(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Flat cell index for each point, -1 outside the grid."""
        ix, iy = self.cell_xy(x, y)
        inside = (ix >= 0) & (ix < self.nx) & (iy >= 0) & (iy < self.ny)
        return np.where(inside, iy * self.nx + ix, -1)

    def counts(self, events: EventSet, weights: np.ndarray | None = None) -> np.ndarray:
        """Events (or weights) per cell, flat array of length ``size``."""
        cells = self.cell_of(events.x, events.y)
        inside = cells >= 0
        w = None if weights is None else np.asarray(weights, dtype=float)[inside]
        return np.bincount(cells[inside], weights=w, minlength=self.size).astype(float)

    def centre(self, cell: int) -> tuple[float, float]:
        iy, ix = divmod(int(cell), self.nx)
        return (self.x0 + (ix + 0.5) * self.cell, self.y0 + (iy + 0.5) * self.cell)

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        ix = np.arange(self.size) % self.nx
        iy = np.arange(self.size) // self.nx
        return self.x0 + (ix + 0.5) * self.cell, self.y0 + (iy + 0.5) * self.cell

    def cell_id(self, cell: int) -> str:
        """A stable, human-readable id: row-column from the south-west corner."""
        iy, ix = divmod(int(cell), self.nx)
        return f"r{iy:03d}c{ix:03d}"

    def parse_cell_id(self, text: str) -> int:
        try:
            row, col = text.strip().lower().lstrip("r").split("c")
            iy, ix = int(row), int(col)
        except ValueError:
            raise ForecastInputError(M_("not a cell id: %(text)r (expected e.g. r012c034)",
                                        text=text)) from None
        if not (0 <= ix < self.nx and 0 <= iy < self.ny):
            raise ForecastInputError(M_("cell %(text)r is outside the grid", text=text))
        return iy * self.nx + ix

    def centre_lonlat(self, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Cell centres in WGS84 (for maps); needs the grid's CRS."""
        from pyproj import Transformer

        cells = np.asarray(cells, dtype=np.int64)
        cx = self.x0 + (cells % self.nx + 0.5) * self.cell
        cy = self.y0 + (cells // self.nx + 0.5) * self.cell
        if not self.crs.startswith("EPSG:"):
            return np.full(cells.shape, np.nan), np.full(cells.shape, np.nan)
        lon, lat = Transformer.from_crs(self.crs, "EPSG:4326", always_xy=True).transform(cx, cy)
        return np.asarray(lon), np.asarray(lat)

    def describe(self) -> dict[str, object]:
        return {"cell_size_m": self.cell, "nx": self.nx, "ny": self.ny, "cells": self.size,
                "area_km2": round(self.size * self.cell_area_km2, 3), "crs": self.crs,
                "origin": [round(self.x0, 1), round(self.y0, 1)]}
