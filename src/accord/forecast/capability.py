"""The place-based hotspot forecast as a governed capability (``forecast.hotspots``).

The runner forecasts from data that were already imported (``dataset``: an id from
:meth:`ForecastService.import_csv`, or ``sf-2012h2`` for the bundled sample). Its output holds
grid cells, dates and counts only — no incidents, people or free text.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from accord.core.figures import measured_or_missing as measured
from accord.core.figures import measured_or_missing_zh as measured_zh
from accord.core.i18n import M_
from accord.core.registry import Capability, InputSpec, ModelCard, ModelOutput, RiskTier
from accord.forecast.backtest import FREQS, METHODS
from accord.forecast.data import ForecastInputError
from accord.forecast.service import ForecastService

VERSION = "1.0.0"
EXPLAIN_TOP = 10  # past events kept per explained cell (the map shows them)
# From bench/results/forecast.json (`python bench/forecast.py --write`); see docs/forecast.md.
MEASURED_ACCURACY = measured(
    "forecast",
    "San Francisco 2012 H2 (CC0), weekly rolling origin, {protocol[window_count]} windows from "
    "{protocol[first_window]}, 150 m grid over the data's bounding box: mean PAI at 5% of area "
    "— kde {pai[kde][5%][mean]:.2f} [95% bootstrap {pai[kde][5%][low]:.2f}, "
    "{pai[kde][5%][high]:.2f}], sepp {pai[sepp][5%][mean]:.2f}, prospective "
    "{pai[prospective][5%][mean]:.2f} [{pai[prospective][5%][low]:.2f}, "
    "{pai[prospective][5%][high]:.2f}], naive {pai[naive][5%][mean]:.2f} "
    "[{pai[naive][5%][low]:.2f}, {pai[naive][5%][high]:.2f}] (open_cp, same protocol: sepp "
    "{open_cp_reference_pai_5pct[sepp (Mohler 2015 grid)]:.2f}, naive "
    "{open_cp_reference_pai_5pct[naive (last 7 days)]:.2f}); hit rate at 5%: kde "
    "{hit_rate[kde][5%][mean]:.1%} vs naive {hit_rate[naive][5%][mean]:.1%}. All four methods "
    "backtested in {backtest_seconds:.0f} s on {cpus} cores",
)
MEASURED_ACCURACY_ZH = measured_zh(
    "forecast",
    "旧金山2012年下半年（H2，CC0），按周滚动起点，自{protocol[first_window]}起"
    "{protocol[window_count]}个窗口，在数据边界框上划分150米网格：覆盖5%面积时的平均PAI——"
    "核密度估计（KDE）{pai[kde][5%][mean]:.2f}［95%自助法置信区间{pai[kde][5%][low]:.2f}，"
    "{pai[kde][5%][high]:.2f}］，自激点过程（SEPP）{pai[sepp][5%][mean]:.2f}，前瞻法"
    "{pai[prospective][5%][mean]:.2f}［{pai[prospective][5%][low]:.2f}，"
    "{pai[prospective][5%][high]:.2f}］，朴素法{pai[naive][5%][mean]:.2f}"
    "［{pai[naive][5%][low]:.2f}，{pai[naive][5%][high]:.2f}］（开源参考实现，相同协议：SEPP "
    "{open_cp_reference_pai_5pct[sepp (Mohler 2015 grid)]:.2f}，朴素法"
    "{open_cp_reference_pai_5pct[naive (last 7 days)]:.2f}）；覆盖5%面积时的命中率：KDE "
    "{hit_rate[kde][5%][mean]:.1%}，朴素法{hit_rate[naive][5%][mean]:.1%}。四种方法的回测共用"
    "{backtest_seconds:.0f}秒，运行于{cpus}个处理器核心",
)


def _number(inputs: Mapping[str, Any], name: str, default: float, low: float,
            high: float) -> float:
    value = inputs.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ForecastInputError(M_("%(name)s: must be a number", name=name)) from None
    if not (math.isfinite(number) and low <= number <= high):
        raise ForecastInputError(M_("%(name)s: must be between %(low)g and %(high)g",
                                    name=name, low=low, high=high))
    return number


def run_forecast(inputs: Mapping[str, Any]) -> ModelOutput:
    method = str(inputs.get("method") or "kde")
    # No window given: the default for the data's time resolution (a month on monthly data).
    freq = str(inputs["window"]) if inputs.get("window") else None
    result = ForecastService().forecast(
        str(inputs["dataset"]).strip(), method=method, on=(inputs.get("date") or None),
        freq=freq, cell=_number(inputs, "cell_size", 150.0, 50.0, 1000.0),
        coverage=_number(inputs, "coverage", 5.0, 0.5, 20.0),
        top=int(_number(inputs, "top", 20.0, 1.0, 100.0)),
        # The explanation of each explained cell is computed here, with the forecast, and kept
        # in the decision's output: the map's "why is this cell hot" reads it from there.
        explain_top=EXPLAIN_TOP,
        audit=inputs.get("audit") == "exposure",
    )
    card = result.pop("model_card")
    output = {**result, "model": {"method": card["method"], "parameters": card["parameters"],
                                  "data": card["data"], "limitations": card["limitations"]}}
    top = result["top_cells"][0] if result["top_cells"] else None
    explanation = (
        f"{METHODS[method].title}, trained on {card['data']['events']} recorded events "
        f"from {card['data']['first_event']} to {card['data']['trained_until']}. "
        f"The {result['flagged_cells']} flagged cells ({result['coverage_percent']:g}% of the "
        f"area) are expected to hold {result['expected_share_in_flagged']:.0%} of the "
        f"{result['expected_events_total']:.0f} events forecast for "
        f"{result['window']['start']} to {result['window']['end']}."
    )
    if top is not None:
        why = top["why"]
        latest = "; ".join(f"{c['day']} ({c['weight']:.1%})" for c in top["top_contributors"][:3])
        explanation += (
            f" Hottest cell {top['cell']}: {top['expected_events']:.2f} expected events, built "
            f"from {why.get('events', 0)} past events between {why.get('first_day')} and "
            f"{why.get('last_day')} ({why.get('share_from_this_cell', 0):.0%} of it from events "
            f"recorded in that cell, {why.get('share_from_last_56_days', 0):.0%} from the last "
            f"8 weeks); largest single contributions: {latest or 'none'}.")
    explanation += (" Recorded events reflect where police looked before; a flagged cell "
                    "calls for a human look, not enforcement.")
    return ModelOutput(output=output, explanation=explanation, confidence=None)


FORECAST_CAPABILITY = Capability(
    id="forecast.hotspots",
    version=VERSION,
    title_en="Place-based hotspot forecast",
    title_zh="基于地点的热点预测",
    description_en=(
        "Forecasts where recorded incidents are likely to concentrate in the next day, week or "
        "month on a grid of places, and shows which past events make each place hot, for "
        "patrol and resource planning. Places only: it never scores people."
    ),
    description_zh=(
        "在网格上预测下一天、一周或一个月内已记录警情可能集中的地点，并说明哪些历史事件使该地点成为"
        "热点，用于巡逻和资源规划。只针对地点，从不对个人打分。"
    ),
    risk_tier=RiskTier.HIGH,
    purposes=frozenset({"patrol-planning", "resource-planning"}),
    legal_bases=frozenset({"police-law-art-2", "administrative-law"}),
    roles=frozenset({"analyst"}),
    data_categories=(
        "dates and grid-cell locations of recorded incidents, with offence category and "
        "district (no names, incident numbers or narratives)",
    ),
    review_required=True,
    review_role="supervisor",
    inputs={
        "dataset": InputSpec(kind="text", max_length=64,
                             description="An imported dataset id, or sf-2012h2."),
        "method": InputSpec(kind="choice", required=False, choices=tuple(METHODS),
                            description="Forecasting method (default kde)."),
        "window": InputSpec(kind="choice", required=False, choices=FREQS,
                            description="Forecast window: day, week or month (default: a "
                                        "week, or a month on monthly data)."),
        "date": InputSpec(kind="text", required=False, max_length=10,
                          description="First day of the window, YYYY-MM-DD (default: the "
                                      "day after the data)."),
        "cell_size": InputSpec(kind="number", required=False,
                               description="Grid cell size in metres, 50-1000 (default 150)."),
        "coverage": InputSpec(kind="number", required=False,
                              description="Share of the area to flag, percent (default 5)."),
        "top": InputSpec(kind="number", required=False,
                         description="How many hottest cells to explain (default 20)."),
        "audit": InputSpec(kind="choice", required=False, choices=("exposure",),
                           description="exposure: also audit the forecast's exposure by "
                                       "district (the fairness page)."),
    },
    model=ModelCard(
        name="Accord place-based forecasters (naive, multi-scale KDE, prospective, grid SEPP)",
        version=VERSION,
        digest="",
        licence="Apache-2.0",
        source="accord.forecast (numpy/scipy); fitted on the analyst's own imported data",
        training_data="The recorded incidents the analyst imports (benchmark: SFPD incidents "
                      "Jul-Dec 2012, CC0, via DataSF and the GeoDa Center).",
        measured_accuracy=MEASURED_ACCURACY,
        known_limitations=(
            "Learns recorded incidents, which reflect past patrolling as well as crime; "
            "forecast-driven patrols can feed back into the data (simulation in "
            "docs/forecast.md).",
            "Mostly a long-term hotspot map: on the SF benchmark no short-term "
            "self-excitation was found at daily resolution.",
            "PAI depends on the area used (here the bounding box, including water).",
            "Never for decisions about individuals.",
        ),
        intended_use="Patrol and resource planning by analysts, reviewed by a supervisor.",
        training_data_zh="分析员导入的已记录事件（基准数据：旧金山警察局（SFPD）2012年7月至12月的"
                         "事件，CC0，经DataSF和GeoDa中心获取）。",
        measured_accuracy_zh=MEASURED_ACCURACY_ZH,
        known_limitations_zh=(
            "学习的是已记录的事件，这些记录既反映犯罪，也反映过去的巡逻情况；按预测安排的巡逻"
            "可能反过来影响数据（模拟见预测说明文档）。",
            "主要是长期热点图：在旧金山基准上，按日分辨率未发现短期的自激效应。",
            "PAI取决于所用的面积（这里是边界框，包括水域）。",
            "绝不用于针对个人的决定。",
        ),
        intended_use_zh="供分析员进行巡逻和资源规划，经主管审核。",
    ),
    runner=run_forecast,
    timeout_seconds=60.0,
)
