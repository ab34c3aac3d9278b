"""Model cards for fitted forecasts (Mitchell et al. 2019), as plain dicts for storage and UI."""

from __future__ import annotations

from typing import Any

from accord.forecast.base import Fitted
from accord.forecast.data import day_to_iso

COMMON_LIMITATIONS = (
    "Forecasts *recorded* incidents, not crime: records depend on what people report and on "
    "where police already look, so past patrol patterns are learned as if they were crime "
    "(see the feedback-loop simulation).",
    "Place-based only: says nothing about any person and must never be used to single out "
    "people who live in, or pass through, a flagged cell.",
    "Area is the grid over the data's bounding box (it includes water and parks), so PAI "
    "figures are comparable only with results on the same grid.",
    "A hotspot is where events concentrate, not why; a flagged cell calls for a human look, "
    "not for enforcement by itself.",
)
METHOD_NOTES = {
    "naive": "Baseline only: one period of counts is mostly noise.",
    "kde": "Learns where events have concentrated; slow to notice new hotspots when the "
           "long-term components carry most of the weight.",
    "kde-categories": "Category weights are learned from the recorded categories: a category "
                      "recorded more often (or coded differently) in some districts moves the "
                      "forecast there.",
    "prospective": "Bandwidths are chosen from a small grid by validation on training data.",
    "sepp": "Triggering is learned only from same-cell pairs a day or more apart.",
}


def model_card(fitted: Fitted, *, backtest: dict[str, Any] | None = None,
               audit: dict[str, Any] | None = None) -> dict[str, Any]:
    """The card for one fitted forecast. ``backtest``: a backtest result dict (its summary
    for this method is copied); ``audit``: an exposure-audit result."""
    train = fitted.train
    limitations = list(COMMON_LIMITATIONS)
    if train.day_resolution:
        limitations.append("The data have dates only (no time of day): no shift-level or "
                           "same-day forecasts, and same-day repeats are not modelled.")
    span_days = (fitted.until - float(train.t.min())) if len(train) else 0.0
    limitations.append(f"Trained on {span_days:.0f} days; seasonal effects longer than that "
                       "are not learned.")
    if fitted.method in METHOD_NOTES:
        limitations.append(METHOD_NOTES[fitted.method])
    if fitted.method == "sepp" and float(fitted.params.get("theta", 0.0)) < 1e-3:
        limitations.append("EM found no self-excitation in these data (theta ~ 0): the model "
                           "reduces to its smoothed background, i.e. a long-term hotspot map.")
    card: dict[str, Any] = {
        "model": f"accord.forecast.{fitted.method}",
        "method": fitted.method,
        "data": {
            "source": train.source,
            "first_event": day_to_iso(float(train.t.min())) if len(train) else None,
            "trained_until": day_to_iso(fitted.until - 1e-9),
            "events": len(train),
            "categories": sorted(set(train.category.tolist()) - {""}),
            "time_resolution": "day" if train.day_resolution else "sub-day",
        },
        "grid": fitted.grid.describe(),
        "horizon_days": fitted.horizon,
        "parameters": fitted.describe()["params"],
        "fitting": fitted.describe()["validation"],
        "intended_use": "Weekly patrol and resource planning by analysts, reviewed by a "
                        "supervisor; place-based only.",
        "out_of_scope": ["person-level risk", "stop or search decisions",
                         "evidence in proceedings"],
        "limitations": limitations,
    }
    if backtest is not None and fitted.method in backtest.get("methods", {}):
        card["metrics"] = {"protocol": backtest.get("protocol"),
                           "summary": backtest["methods"][fitted.method]["summary"]}
    else:
        card["metrics"] = "not backtested yet: run a backtest before relying on this model"
    if audit is not None:
        card["fairness"] = {"exposure_audit": {
            "coverage_percent": audit["coverage_percent"], "flags": audit["flags"],
            "concentration": audit["concentration"],
            "districts": [{k: r[k] for k in ("district", "event_share", "flagged_area_share",
                                             "patrol_time_share", "status")}
                          for r in audit["districts"]]}}
    else:
        card["fairness"] = "not audited yet: run the exposure audit before use"
    return card
