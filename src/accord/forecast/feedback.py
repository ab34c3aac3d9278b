"""Feedback loops: patrols follow the forecast, patrols create records, records feed the forecast.

The simulation follows Lum & Isaac (2016) and Ensign et al. (2018). Places have true event rates;
citizens report a share of events wherever they happen, and police *discover* a further share
of the unreported events only where they patrol. A forecast trained on all records therefore
sees patrolled places as busier than they are, sends patrols back there, and never learns that
equally busy places elsewhere exist. Two groups of places (A and B) have the *same* true rates;
A starts with a history of heavier patrolling, as in Lum & Isaac's Oakland example.

Mitigations, switchable and compared on the same random draws:

* ``train_on="citizen"`` — forecast only from citizen-reported events, which do not depend on
  where police were (Ensign et al.'s recommendation);
* ``cap_consecutive=n`` — no place is patrolled because of the forecast for more than ``n``
  periods in a row; it must rest a period, so its records fall back to reported levels.

:class:`PatrolLog` is the record the service keeps of which cells were patrolled because of a
forecast, so later data can be corrected (flag or down-weight events found on those patrols).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from accord.core.i18n import M_
from accord.forecast.data import EventSet, ForecastInputError, day_to_iso
from accord.forecast.grid import Grid

TRAIN_ON = ("all", "citizen")
RUNAWAY_OVERESTIMATE = 1.3
RUNAWAY_REPEAT = 0.8


@dataclass(frozen=True)
class FeedbackConfig:
    places: int = 40  # half in group A, half in group B, same true rates
    periods: int = 52
    patrols: int = 8  # places patrolled per period
    mean_rate: float = 4.0  # true events per place per period, on average
    rate_shape: float = 20.0  # gamma shape of the true rates: large = places much alike
    report_rate: float = 0.4  # share of events citizens report, patrolled or not
    discovery_rate: float = 0.6  # share of unreported events found where police patrol
    history_periods: int = 8  # recorded history before the simulation, A patrolled throughout
    window: int | None = None  # forecast from the last ``window`` periods (None: all)
    train_on: str = "all"
    cap_consecutive: int | None = None
    seed: int = 0

    def validate(self) -> None:
        if self.train_on not in TRAIN_ON:
            raise ForecastInputError(M_("train_on must be one of %(train_on)s",
                                        train_on=', '.join(TRAIN_ON)))
        if not (0 < self.patrols < self.places) or self.places < 2:
            raise ForecastInputError(M_("need 2+ places and 0 < patrols < places"))
        for name in ("report_rate", "discovery_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ForecastInputError(M_("%(name)s must be between 0 and 1", name=name))
        if self.cap_consecutive is not None and self.cap_consecutive < 1:
            raise ForecastInputError(M_("cap_consecutive must be at least 1"))
        if self.periods < 1 or (self.window is not None and self.window < 1) \
                or self.history_periods < 0:
            raise ForecastInputError(M_("periods and window must be positive"))


def _world(config: FeedbackConfig) -> dict[str, np.ndarray]:
    """Everything random, drawn once so that every policy meets the same events."""
    rng = np.random.default_rng(config.seed)
    half = config.places // 2
    shape, scale = config.rate_shape, config.mean_rate / config.rate_shape
    rates_a = rng.gamma(shape, scale, size=half)
    rates = np.concatenate([rates_a, rng.permutation(rates_a),
                            rng.gamma(shape, scale, size=config.places - 2 * half)])
    group_a = np.arange(config.places) < half
    total = config.history_periods + config.periods
    true = rng.poisson(rates, size=(total, config.places))
    reported = rng.binomial(true, config.report_rate)
    discoverable = rng.binomial(true - reported, config.discovery_rate)
    tiebreak = rng.random((total, config.places)) * 1e-6
    return {"rates": rates, "group_a": group_a, "true": true, "reported": reported,
            "discoverable": discoverable, "tiebreak": tiebreak}


def simulate(config: FeedbackConfig, world: dict[str, np.ndarray] | None = None
             ) -> dict[str, Any]:
    config.validate()
    w = world or _world(config)
    rates, group_a = w["rates"], w["group_a"]
    h, n = config.history_periods, config.places
    recorded = np.zeros((h + config.periods, n))
    used = np.zeros_like(recorded)  # what the forecast is trained on
    patrolled = np.zeros((h + config.periods, n), dtype=bool)
    for p in range(h):  # history: group A was patrolled every period
        patrolled[p] = group_a
    true_share = rates / rates.sum()
    top_true = np.argsort(-rates, kind="stable")[:config.patrols]
    fair_share_a = float(group_a[top_true].mean())
    rows = []
    for p in range(h + config.periods):
        if p >= h:
            lo = 0 if config.window is None else max(0, p - config.window)
            forecast = used[lo:p].sum(axis=0) + w["tiebreak"][p]
            order = np.argsort(-forecast, kind="stable")
            if config.cap_consecutive is not None and p >= config.cap_consecutive:
                streak = patrolled[p - config.cap_consecutive:p].all(axis=0)
                order = np.concatenate([order[~streak[order]], order[streak[order]]])
            patrolled[p] = False
            patrolled[p, order[:config.patrols]] = True
            share = forecast / forecast.sum()
            chosen = patrolled[p]
            rows.append({
                "period": p - h + 1,
                "patrol_share_a": float(group_a[patrolled[p]].mean()),
                "forecast_share_a": float(share[group_a].sum()),
                "forecast_error_tv": float(0.5 * np.abs(share - true_share).sum()),
                "patrolled_true_top": float(np.isin(np.flatnonzero(chosen), top_true).mean()),
                # How far the forecast over-rates the places it sends patrols to.
                "patrolled_overestimate": float(share[chosen].sum() / true_share[chosen].sum()),
                "repeat_share": float(patrolled[p - 1][chosen].mean()),
            })
        found = np.where(patrolled[p], w["discoverable"][p], 0)
        recorded[p] = w["reported"][p] + found
        used[p] = w["reported"][p] if config.train_on == "citizen" else recorded[p]
    last = rows[-min(10, len(rows)):]
    inflation_patrolled = _ratio(recorded[h:][patrolled[h:]], w["true"][h:][patrolled[h:]])
    inflation_other = _ratio(recorded[h:][~patrolled[h:]], w["true"][h:][~patrolled[h:]])
    summary = {
        "true_share_a": float(true_share[group_a].sum()),
        "fair_patrol_share_a": fair_share_a,
        "final_patrol_share_a": float(np.mean([r["patrol_share_a"] for r in last])),
        "final_forecast_share_a": float(np.mean([r["forecast_share_a"] for r in last])),
        "final_forecast_error_tv": float(np.mean([r["forecast_error_tv"] for r in last])),
        "final_patrolled_true_top": float(np.mean([r["patrolled_true_top"] for r in last])),
        "final_patrolled_overestimate": float(np.mean([r["patrolled_overestimate"]
                                                       for r in last])),
        "final_repeat_share": float(np.mean([r["repeat_share"] for r in last])),
        "records_per_true_event_patrolled": inflation_patrolled,
        "records_per_true_event_elsewhere": inflation_other,
        "places_never_patrolled": int((~patrolled[h:].any(axis=0)).sum()),
    }
    # Runaway: the forecast rates the places it patrols well above their true rate and keeps
    # sending patrols back to them.
    summary["runaway"] = bool(summary["final_patrolled_overestimate"] > RUNAWAY_OVERESTIMATE
                              and summary["final_repeat_share"] > RUNAWAY_REPEAT)
    return {"config": asdict(config), "summary": summary, "periods": rows}


def _ratio(a: np.ndarray, b: np.ndarray) -> float | None:
    return round(float(a.sum()) / float(b.sum()), 4) if b.sum() else None


def compare_mitigations(config: FeedbackConfig | None = None, cap: int = 2) -> dict[str, Any]:
    """The same world under: no mitigation, citizen-reported only, capped repeats, both."""
    base = config or FeedbackConfig()
    world = _world(base)
    scenarios = {
        "none": {"train_on": "all", "cap_consecutive": None},
        "citizen-reported only": {"train_on": "citizen", "cap_consecutive": None},
        f"cap {cap} periods in a row": {"train_on": "all", "cap_consecutive": cap},
        "both": {"train_on": "citizen", "cap_consecutive": cap},
    }
    out: dict[str, Any] = {}
    for name, change in scenarios.items():
        cfg = FeedbackConfig(**{**asdict(base), **change})
        out[name] = simulate(cfg, world)
    return {
        "scenarios": {k: v["summary"] for k, v in out.items()},
        "series": {k: [r["patrol_share_a"] for r in v["periods"]] for k, v in out.items()},
        "config": asdict(base),
        "reading": (
            "Groups A and B have the same true rates. 'fair_patrol_share_a' is A's share of the "
            "truly busiest places; 'final_patrol_share_a' is where patrols went at the end. "
            "Runaway: patrols and forecast stay locked on A because patrolled places record "
            "more events (records_per_true_event_patrolled > ..._elsewhere)."),
    }


# --------------------------------------------------------------------------------------------
# The patrol log.


@dataclass(frozen=True)
class PatrolRecord:
    start: float  # days since 1970-01-01
    stop: float
    cells: tuple[int, ...]
    forecast_id: str  # e.g. the gateway decision id of the forecast
    method: str = ""
    note: str = ""

    def as_row(self) -> dict[str, Any]:
        return {"start": day_to_iso(self.start), "stop": day_to_iso(self.stop - 1e-9),
                "cells": list(self.cells), "forecast_id": self.forecast_id,
                "method": self.method, "note": self.note}


@dataclass
class PatrolLog:
    """Which cells were patrolled, when, because of which forecast (a pure data structure; the
    service will persist it in a table)."""

    grid: Grid
    records: list[PatrolRecord] = field(default_factory=list)

    def record(self, start: float, stop: float, cells: list[int] | np.ndarray, *,
               forecast_id: str, method: str = "", note: str = "") -> PatrolRecord:
        if stop <= start:
            raise ForecastInputError(M_("a patrol period must end after it starts"))
        chosen = tuple(sorted({int(c) for c in cells}))
        if any(not 0 <= c < self.grid.size for c in chosen):
            raise ForecastInputError(M_("a patrolled cell is outside the grid"))
        if not forecast_id.strip():
            raise ForecastInputError(M_("say which forecast the patrols followed (forecast_id)"))
        entry = PatrolRecord(float(start), float(stop), chosen, forecast_id, method, note)
        self.records.append(entry)
        return entry

    def patrolled_mask(self, events: EventSet) -> np.ndarray:
        """For each event: did it happen in a cell while it was patrolled because of a
        forecast? (Such events may have been *found* by the patrol, not reported.)"""
        cells = self.grid.cell_of(events.x, events.y)
        mask = np.zeros(len(events), dtype=bool)
        for entry in self.records:
            in_time = (events.t >= entry.start) & (events.t < entry.stop)
            mask |= in_time & np.isin(cells, entry.cells)
        return mask

    def correction_weights(self, events: EventSet, uplift: float,
                           officer_initiated: np.ndarray | None = None) -> np.ndarray:
        """Weights for training: events recorded on forecast-driven patrols count
        ``1/uplift`` (``uplift``: how many times more events get recorded in a place when it is
        patrolled). With ``officer_initiated`` given, only those events are down-weighted."""
        if uplift < 1:
            raise ForecastInputError(M_("uplift must be at least 1"))
        hit = self.patrolled_mask(events)
        if officer_initiated is not None:
            hit &= np.asarray(officer_initiated, dtype=bool)
        return np.where(hit, 1.0 / uplift, 1.0)

    def rows(self) -> list[dict[str, Any]]:
        return [r.as_row() for r in self.records]
