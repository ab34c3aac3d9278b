"""bench/forecast.py's paired difference between the nested figure and open_cp's best method,
from a per-window file like the one bench/forecast_opencp.py writes (no open_cp needed)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from accord.forecast.backtest import BacktestResult

ROOT = Path(__file__).resolve().parents[2]
GRID = {"cell_size_m": 150.0, "nx": 4, "ny": 3, "cells": 12}
STARTS = ["2012-10-29", "2012-11-05", "2012-11-12", "2012-11-19", "2012-11-26"]


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import forecast
    finally:
        sys.path.remove(str(ROOT / "bench"))
    return forecast


def _rows(pais: list[float], starts: list[str] = STARTS, blank: int | None = None) -> list:
    return [{"start": s, "flags_nothing": i == blank,
             "coverage": {"5%": {"pai": p, "hit_rate": p / 20}}}
            for i, (s, p) in enumerate(zip(starts, pais, strict=True))]


def _result() -> BacktestResult:
    """Nested: kde in the first two windows, history in the other three."""
    methods = {"history": {"windows": _rows([7.0, 7.5, 8.0, 8.5, 9.0])},
               "kde": {"windows": _rows([8.0, 8.0, 1.0, 1.0, 1.0])}}
    chosen = [{"start": s, "method": "kde" if i < 2 else "history"}
              for i, s in enumerate(STARTS)]
    return BacktestResult({"grid": GRID}, methods, 1.0, {"chosen": chosen})


def _write(tmp_path: Path, methods: dict, grid: dict = GRID) -> Path:
    path = tmp_path / "forecast_opencp.json"
    path.write_text(json.dumps({"figures": {"protocol": {"grid": grid}, "methods": {
        name: {"windows": rows} for name, rows in methods.items()}}}), encoding="utf-8")
    return path


def test_difference_to_open_cp_best_is_paired_window_by_window(bench, tmp_path) -> None:
    # nested PAI per window: 8.0, 8.0, 8.0, 8.5, 9.0. open_cp's best by mean is "sepp"
    # (7.4 against naive's 5.0); differences 0.0, 1.0, 0.5, 1.0, 1.0 -> mean 0.7.
    path = _write(tmp_path, {"naive": _rows([5.0] * 5),
                             "sepp": _rows([8.0, 7.0, 7.5, 7.5, 8.0])})
    d = bench.vs_open_cp_best(_result(), path)
    assert d["available"] is True
    assert d["open_cp_method"] == "sepp"
    assert d["open_cp_pai_5pct"] == pytest.approx(7.6)
    assert d["open_cp_means_pai_5pct"] == {"naive": 5.0, "sepp": 7.6}
    assert d["mean"] == pytest.approx(0.7)
    assert d["low"] <= 0.7 <= d["high"]
    assert d["windows_compared"] == 5
    assert [w["nested"] for w in d["per_window"]] == [8.0, 8.0, 8.0, 8.5, 9.0]
    assert bench._open_cp_line(d).startswith("nested vs open_cp's best on the same windows "
                                             "(sepp, PAI@5% 7.60")


def test_a_window_where_open_cp_forecast_nothing_is_left_out_and_counted(bench,
                                                                          tmp_path) -> None:
    path = _write(tmp_path, {"sepp": _rows([8.0, 0.0, 7.5, 7.5, 8.0], blank=1)})
    d = bench.vs_open_cp_best(_result(), path)
    assert d["windows_compared"] == 4
    assert d["windows_left_out"] == 1
    assert d["mean"] == pytest.approx((0.0 + 0.5 + 1.0 + 1.0) / 4)


def test_missing_or_mismatched_open_cp_file_is_reported_not_ignored(bench, tmp_path) -> None:
    missing = bench.vs_open_cp_best(_result(), tmp_path / "absent.json")
    assert missing["available"] is False
    assert "bench/forecast_opencp.py --write" in missing["reason"]
    assert "not available" in bench._open_cp_line(missing)

    shifted = ["2012-10-22", *STARTS[:-1]]
    wrong_windows = bench.vs_open_cp_best(_result(), _write(
        tmp_path, {"sepp": _rows([8.0] * 5, shifted)}))
    assert wrong_windows["available"] is False
    assert "2012-10-22" in wrong_windows["reason"]

    fewer = bench.vs_open_cp_best(_result(), _write(
        tmp_path, {"sepp": _rows([8.0] * 3, STARTS[:3])}))
    assert fewer["available"] is False

    other_grid = bench.vs_open_cp_best(_result(), _write(
        tmp_path, {"sepp": _rows([8.0] * 5)}, grid={**GRID, "nx": 5}))
    assert other_grid["available"] is False
    assert "grid" in other_grid["reason"]

    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    broken = bench.vs_open_cp_best(_result(), tmp_path / "broken.json")
    assert broken["available"] is False
    assert "unreadable" in broken["reason"]
