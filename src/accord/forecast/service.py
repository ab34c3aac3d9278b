"""ForecastService: what the web layer, the CLI, jobs and the gateway runner call.

Imported datasets are kept under ``<state dir>/forecast/`` as ``<id>.npz`` (coordinates in
metres, dates, category and district only) plus ``<id>.json`` (the import report). The id is
derived from the file's content and the column mapping, so importing the same file twice gives
the same id. ``"sf-2012h2"`` names the bundled San Francisco sample without an import.

Everything returned is aggregate (cells, counts, dates): no rows, incident numbers or free text.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from accord.core.i18n import M_
from accord.forecast.backtest import (
    FREQS,
    METHODS,
    backtest,
    data_end,
    make_method,
    resolve_freq,
    windows_for,
)
from accord.forecast.base import Fitted
from accord.forecast.data import (
    SF_DATA,
    EventSet,
    ForecastInputError,
    day_to_iso,
    import_events,
    iso_to_day,
    load_sf,
)
from accord.forecast.fairness import cell_districts, exposure_audit
from accord.forecast.feedback import FeedbackConfig, PatrolLog, compare_mitigations
from accord.forecast.geocode import default_geocode_cells, rule_text
from accord.forecast.grid import DEFAULT_CELL_SIZE, Grid
from accord.forecast.metrics import flagged_cells
from accord.forecast.modelcard import model_card
from accord.forecast.staffing import generate_demand, staffing_plan

Progress = Callable[[int, str], None]
BUILTIN = "sf-2012h2"
_ID = re.compile(r"^[a-z0-9-]{1,64}$")


class ForecastService:
    def __init__(self, root: Path | None = None) -> None:
        self._root = root

    @property
    def root(self) -> Path:
        if self._root is None:
            from accord.config import get_settings

            self._root = get_settings().ensure_state_dir() / "forecast"
        self._root.mkdir(parents=True, exist_ok=True)
        return self._root

    # -- data ---------------------------------------------------------------------------------
    def import_csv(self, path: str | Path, *, time: str, lon: str | None = None,
                   lat: str | None = None, x: str | None = None, y: str | None = None,
                   crs: str | None = None, type_col: str | None = None,
                   district_col: str | None = None, time_format: str | None = None,
                   store: bool = True, id_col: str | None = None,
                   dedupe_without_id: bool = False) -> dict[str, Any]:
        """Import a CSV through a column mapping; returns the counts (incl. bad rows by
        reason) and, when stored, the dataset id to use with the other calls (``None`` when
        no row was usable: nothing is stored then)."""
        result = import_events(path, time=time, lon=lon, lat=lat, x=x, y=y, crs=crs,
                               type_col=type_col, district_col=district_col,
                               time_format=time_format, id_col=id_col,
                               dedupe_without_id=dedupe_without_id)
        summary = result.summary()
        summary["dataset_id"] = None
        if store and len(result.events) > 0:
            digest = hashlib.sha256(Path(path).read_bytes())
            digest.update(json.dumps([summary["columns"], dedupe_without_id],
                                     sort_keys=True).encode())
            dataset_id = digest.hexdigest()[:16]
            result.events.save(self.root / f"{dataset_id}.npz")
            (self.root / f"{dataset_id}.json").write_text(json.dumps(
                {"id": dataset_id, **summary}, indent=2), encoding="utf-8")
            summary["dataset_id"] = dataset_id
        return summary

    def datasets(self) -> list[dict[str, Any]]:
        out = [{"id": BUILTIN, "source": SF_DATA.name, "builtin": True}]
        for meta in sorted(self.root.glob("*.json")):
            info = json.loads(meta.read_text(encoding="utf-8"))
            out.append({k: info.get(k) for k in ("id", "rows_kept", "first", "last", "crs")})
        return out

    def events(self, dataset: str | EventSet) -> EventSet:
        if isinstance(dataset, EventSet):
            return dataset
        if dataset == BUILTIN:
            return load_sf().events
        if not _ID.match(dataset or ""):
            raise ForecastInputError(M_("not a dataset id: %(dataset)r", dataset=dataset))
        path = self.root / f"{dataset}.npz"
        if not path.is_file():
            raise ForecastInputError(M_("no imported dataset %(dataset)r", dataset=dataset))
        return EventSet.load(path)

    # -- backtests ----------------------------------------------------------------------------
    def backtest(self, dataset: str | EventSet, *, methods: Sequence[str] = tuple(METHODS),
                 freq: str | None = None, start: str | None = None,
                 windows: int | None = None, cell: float = DEFAULT_CELL_SIZE,
                 progress: Progress | None = None,
                 selection_windows: int | None = 0) -> dict[str, Any]:
        """Rolling-origin backtest; ``progress(percent, message)`` as it goes (Huey jobs).
        ``freq=None``: the default window for the data's time resolution (month on monthly
        data, else week); a window finer than the data is refused. ``selection_windows``:
        earlier windows the nested selection also chooses on (``None``: every one that fits;
        see :func:`accord.forecast.backtest.backtest`)."""
        if freq is not None:
            _check_freq(freq)
        _check_cell(cell)
        events = self.events(dataset)
        if progress is not None:
            progress(0, f"backtesting {len(events)} events")
        result = backtest(events, methods=methods, freq=freq, start=start, windows=windows,
                          cell=cell, progress=progress, selection_windows=selection_windows)
        out = result.as_dict()
        out["table"] = result.table()
        return out

    # -- forecasts ----------------------------------------------------------------------------
    def fit(self, dataset: str | EventSet, *, method: str = "kde", on: str | None = None,
            freq: str | None = None, cell: float = DEFAULT_CELL_SIZE
            ) -> tuple[Fitted, float, float, str]:
        """Fit ``method`` on everything before ``on`` (default: the day after the data) and
        return it with the forecast window and its length. A window finer than the data's time
        resolution (a week on monthly data) is refused; ``freq=None`` picks the default for
        the data (a week, or a month on monthly data)."""
        if freq is not None:
            _check_freq(freq)
        _check_cell(cell)
        events = self.events(dataset)
        if len(events) == 0:
            raise ForecastInputError(M_("the dataset has no events"))
        freq, _ = resolve_freq(events, freq)
        start = iso_to_day(on) if on else data_end(events)
        start = float(math.floor(start)) if events.day_resolution else start
        spans = windows_for(freq, start, math.inf, 1)
        stop = spans[0][1]
        grid = Grid.covering(events, cell)
        fitted = make_method(method).fit(events, grid, start, stop - start)
        return fitted, start, stop, freq

    def forecast(self, dataset: str | EventSet, *, method: str = "kde", on: str | None = None,
                 freq: str | None = None, cell: float = DEFAULT_CELL_SIZE,
                 coverage: float = 5.0,
                 top: int = 20, explain_top: int = 3, audit: bool = False,
                 exclude_default_geocode: bool = False) -> dict[str, Any]:
        """The forecast for the window starting ``on``: the flagged cells (top ``coverage``
        percent of the area), the ``top`` hottest with why they are hot, and a model card;
        with ``audit``, also the exposure audit of this same forecast by district.

        Cells whose events concentrate on one exact point (likely a default geocode such as
        the police station, see :mod:`accord.forecast.geocode`) are marked
        ``default_geocode`` and listed; ``exclude_default_geocode=True`` leaves them out of the
        flagged cells (the next cells move up), for patrol plans."""
        if not 0 < coverage <= 100:
            raise ForecastInputError(M_("coverage is a percentage of the area, in (0, 100]"))
        if not 1 <= top <= 500:
            raise ForecastInputError(M_("top must be between 1 and 500"))
        fitted, start, stop, freq = self.fit(dataset, method=method, on=on, freq=freq,
                                             cell=cell)
        expected = fitted.predict(start, stop)
        grid = fitted.grid
        geocodes = default_geocode_cells(fitted.train, grid)
        ranking = expected.copy()
        if exclude_default_geocode and geocodes:
            ranking[list(geocodes)] = -np.inf
        flagged = flagged_cells(ranking, coverage)
        lon, lat = grid.centre_lonlat(flagged[:top])
        # With the audit, each cell names its district (the audit's own assignment), so a
        # patrol plan can apply the audit's exposure cap cell by cell.
        districts = cell_districts(grid, fitted.train)[0] if audit else None
        cells = []
        for rank, (cell_index, clon, clat) in enumerate(zip(flagged[:top], lon, lat,
                                                             strict=True), start=1):
            why = fitted.explain(int(cell_index), start, stop, top=explain_top)
            cells.append({
                "rank": rank, "cell": grid.cell_id(int(cell_index)),
                "centre": {"lon": _round(clon, 5), "lat": _round(clat, 5)},
                "expected_events": round(float(expected[cell_index]), 3),
                "default_geocode": int(cell_index) in geocodes,
                **({"district": str(districts[cell_index])} if districts is not None else {}),
                "why": fitted.summary_of_why(int(cell_index), start, stop),
                "top_contributors": [c.as_dict(grid) for c in why],
            })
        total = float(expected.sum())
        in_flagged = float(expected[flagged].sum())
        extra: dict[str, Any] = {}
        if audit:
            extra["exposure_audit"] = exposure_audit(expected, grid, fitted.train,
                                                     coverage=coverage)
        geocode_list = [{"cell": grid.cell_id(c), **info,
                         "expected_events": round(float(expected[c]), 3)}
                        for c, info in sorted(geocodes.items(), key=lambda kv: -expected[kv[0]])]
        card = model_card(fitted)
        card["data_quality"] = {"default_geocode_rule": rule_text(),
                                "default_geocode_cells": geocode_list,
                                "excluded_from_flagged": exclude_default_geocode}
        return {
            **extra,
            "method": method,
            "window": {"start": day_to_iso(start), "end": day_to_iso(stop - 1e-9),
                       "freq": freq},
            "grid": grid.describe(),
            "coverage_percent": coverage,
            "flagged_cells": len(flagged),
            "flagged_cell_ids": [grid.cell_id(int(c)) for c in flagged],
            "expected_events_total": round(total, 2),
            "expected_share_in_flagged": round(in_flagged / total, 4) if total else 0.0,
            "top_cells": cells,
            "default_geocode_cells": geocode_list,
            "default_geocode_rule": rule_text(),
            "default_geocode_excluded": exclude_default_geocode,
            "model_card": card,
        }

    def explain(self, dataset: str | EventSet, cell_id: str, *, method: str = "kde",
                on: str | None = None, freq: str | None = None,
                cell: float = DEFAULT_CELL_SIZE,
                top: int = 10) -> dict[str, Any]:
        fitted, start, stop, freq = self.fit(dataset, method=method, on=on, freq=freq,
                                             cell=cell)
        index = fitted.grid.parse_cell_id(cell_id)
        expected = fitted.predict(start, stop)
        return {"cell": cell_id, "expected_events": round(float(expected[index]), 4),
                "why": fitted.summary_of_why(index, start, stop),
                "contributors": [c.as_dict(fitted.grid)
                                 for c in fitted.explain(index, start, stop, top=top)]}

    # -- fairness and feedback ---------------------------------------------------------------
    def exposure_audit(self, dataset: str | EventSet, *, method: str = "kde",
                       on: str | None = None, freq: str | None = None,
                       cell: float = DEFAULT_CELL_SIZE, coverage: float = 5.0,
                       threshold: float = 1.5) -> dict[str, Any]:
        fitted, start, stop, freq = self.fit(dataset, method=method, on=on, freq=freq,
                                             cell=cell)
        expected = fitted.predict(start, stop)
        audit = exposure_audit(expected, fitted.grid, fitted.train, coverage=coverage,
                               threshold=threshold)
        audit["method"] = method
        audit["window"] = {"start": day_to_iso(start), "end": day_to_iso(stop - 1e-9)}
        audit["model_card"] = model_card(fitted, audit=audit)
        return audit

    def feedback_simulation(self, *, cap: int = 2, **config: Any) -> dict[str, Any]:
        """Compare no mitigation, citizen-reported-only training, capped repeats and both."""
        try:
            base = FeedbackConfig(**config)
        except TypeError as error:
            raise ForecastInputError(M_("unknown option: %(error)s", error=str(error))) from None
        return compare_mitigations(base, cap=cap)

    def patrol_log(self, dataset: str | EventSet, cell: float = DEFAULT_CELL_SIZE) -> PatrolLog:
        """An empty patrol log on the dataset's grid (the lead persists its rows)."""
        return PatrolLog(Grid.covering(self.events(dataset), cell))

    # -- foreign-related demand --------------------------------------------------------------
    def staffing(self, *, days: int = 364, seed: int = 0, **assumptions: Any) -> dict[str, Any]:
        """Staffing suggestion from SYNTHETIC demo demand (clearly labelled as such)."""
        try:
            return staffing_plan(generate_demand(days=days, seed=seed), **assumptions)
        except TypeError as error:
            raise ForecastInputError(M_("unknown option: %(error)s", error=str(error))) from None


def _check_freq(freq: str) -> None:
    if freq not in FREQS:
        raise ForecastInputError(M_("freq must be one of %(freqs)s, not %(freq)r",
                                    freqs=', '.join(FREQS), freq=freq))


def _check_cell(cell: float) -> None:
    if not (isinstance(cell, int | float) and 10 <= cell <= 5000):
        raise ForecastInputError(M_("cell size must be between 10 and 5000 metres"))


def _round(value: float, digits: int) -> float | None:
    return None if not np.isfinite(value) else round(float(value), digits)
