"""The multi-scale blend: it finds a long-term hotspot that recent bursts hide, turns to the
recent surface when hotspots move, chooses only on windows before the forecast; and the
selection-only windows that let the nested figure cover every scored window."""

from __future__ import annotations

import numpy as np
import pytest

from accord.forecast.backtest import backtest, make_method, nested_selection, selection_spans
from accord.forecast.data import EventSet, ForecastInputError, iso_to_day
from accord.forecast.metrics import flagged_cells, hit_rate_at, selection
from tests.forecast.synthetic import GRID, stable_hotspots

WEEKS = 20


def _cell_points(rng: np.random.Generator, cell: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    row, col = divmod(int(cell), GRID.nx)
    return (rng.uniform(col * 150.0, (col + 1) * 150.0, n),
            rng.uniform(row * 150.0, (row + 1) * 150.0, n))


def _events(parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> EventSet:
    t, x, y = (np.concatenate([p[i] for p in parts]) for i in range(3))
    return EventSet.from_arrays(t.astype(float), x, y, day_resolution=True)


def stable_behind_bursts(seed: int = 0) -> tuple[EventSet, np.ndarray]:
    """12 fixed hot cells with about one event a week for 20 weeks, and every week two fresh
    cells with a burst of 10 events that week and never again. Over the last 8 weeks the 16
    burst cells outnumber the steady ones (about 8 events each); over all the history the
    steady cells (about 20 each) lead, and only they say anything about the next week."""
    rng = np.random.default_rng(seed)
    days = 7 * WEEKS
    parts = [(rng.integers(0, days, 600).astype(float), rng.uniform(0, 3000, 600),
              rng.uniform(0, 3000, 600))]
    cells = rng.permutation(GRID.size)
    steady, bursts = cells[:12], cells[12:12 + 2 * WEEKS]
    for cell in steady:
        n = 20
        parts.append((rng.integers(0, days, n).astype(float), *_cell_points(rng, cell, n)))
    for k, cell in enumerate(bursts):
        parts.append((7.0 * (k // 2) + rng.integers(0, 7, 10), *_cell_points(rng, cell, 10)))
    return _events(parts), steady


def moving_hotspots(seed: int = 0) -> tuple[EventSet, np.ndarray]:
    """20 hot cells at a time, each hot for four weeks (about 3 events a week) and then never
    again, a fifth replaced every week: where it has always happened says little, where it
    happened in the last weeks says much. Returns the events and the cells hot at the end."""
    rng = np.random.default_rng(seed)
    days = 7 * WEEKS
    parts = [(rng.integers(0, days, 600).astype(float), rng.uniform(0, 3000, 600),
              rng.uniform(0, 3000, 600))]
    fresh = iter(rng.permutation(GRID.size))
    active: list[tuple[int, int]] = [(int(next(fresh)), -k) for k in range(20)]
    for week in range(WEEKS):
        # Each cell lives four weeks: the five oldest give way to five fresh ones.
        if week:
            active = sorted(active, key=lambda c: c[1])[5:] + [(int(next(fresh)), week)
                                                               for _ in range(5)]
        for cell, _ in active:
            n = 3
            parts.append((7.0 * week + rng.integers(0, 7, n), *_cell_points(rng, cell, n)))
    return _events(parts), np.array([c for c, _ in active])


def test_hit_rate_at_is_the_selection_hit_rate_with_ties() -> None:
    rng = np.random.default_rng(3)
    risk = rng.integers(0, 4, 400).astype(float)  # many ties at every edge
    actual = rng.poisson(0.5, 400).astype(float)
    for k in (1, 7, 20, 40, 399, 400):
        expected = float(selection(risk, k) @ actual) / actual.sum()
        assert hit_rate_at(risk, actual, k) == pytest.approx(expected, abs=1e-12), k
    assert hit_rate_at(risk, np.zeros(400), 20) == 0.0


def test_blend_recovers_long_term_hotspots_that_recent_bursts_hide() -> None:
    events, steady = stable_behind_bursts()
    until = float(7 * WEEKS)
    fitted = make_method("blend").fit(events, GRID, until, 7.0)
    top = set(flagged_cells(fitted.predict(), 5.0).tolist())  # 20 of 400 cells
    assert set(steady.tolist()) <= top
    # A recent-weeks map misses some of them: the bursts are what the blend had to see past.
    last8 = GRID.counts(events.between(until - 56.0, until))
    assert len(set(steady.tolist()) & set(flagged_cells(last8, 5.0).tolist())) < 12
    # The settings were chosen on the 8 weeks before the forecast, nothing after it.
    windows = fitted.validation["windows"]
    assert len(windows) == 8 and max(windows) < "1970-05-21"
    assert fitted.validation["selected_by"].startswith("hit rate at 5% of the area")


def test_blend_turns_to_the_recent_surface_when_hotspots_move() -> None:
    events, active = moving_hotspots()
    until = float(7 * WEEKS)
    fitted = make_method("blend").fit(events, GRID, until, 7.0)
    assert fitted.params["recent_share"] > 0
    top = set(flagged_cells(fitted.predict(), 5.0).tolist())
    history_top = set(flagged_cells(GRID.counts(events), 5.0).tolist())
    hits = len(top & set(active.tolist()))
    assert hits >= len(history_top & set(active.tolist())) + 5
    # The explanation adds up to the forecast, and it names recent events.
    cell = int(active[-1])
    why = fitted.explain(cell, top=3)
    assert why and all(item.day >= "1970-04-01" for item in why)
    summary = fitted.summary_of_why(cell)
    assert summary["expected"] == pytest.approx(fitted.predict()[cell], rel=1e-6)


def test_blend_options_are_checked() -> None:
    with pytest.raises(ForecastInputError, match="coverage"):
        make_method("blend", coverage=0.0)
    fixed = make_method("blend", long_sigma_cells=1.0, recent_share=0.0)
    events, _ = stable_hotspots()
    fitted = fixed.fit(events, GRID, 120.0, 7.0)
    assert fitted.validation["selected_by"] == "fixed"
    assert fitted.params["long_sigma_cells"] == 1.0


def test_selection_windows_end_where_the_scored_windows_begin() -> None:
    events, _ = stable_hotspots()  # days 0..119
    spans = selection_spans(events, "week", 63.0, None)
    # Back from day 63 a week at a time while 28 days of data stay before the window.
    assert spans == [(28.0, 35.0), (35.0, 42.0), (42.0, 49.0), (49.0, 56.0), (56.0, 63.0)]
    assert selection_spans(events, "week", 63.0, 2) == spans[-2:]
    assert selection_spans(events, "week", 63.0, 0) == []
    months = EventSet.from_arrays(
        [iso_to_day(d) for d in ("2016-01-01", "2016-02-01", "2016-03-01", "2016-04-01",
                                 "2016-05-01", "2016-06-01")],
        [1.0] * 6, [1.0] * 6, day_resolution=True)
    got = selection_spans(months, "month", iso_to_day("2016-07-01"), None)
    # A month needs two windows' worth (62 days before a 31-day month) of data before it:
    # April to June (March has only the 60 days of January and February).
    assert got[0] == (iso_to_day("2016-04-01"), iso_to_day("2016-05-01"))
    assert got[-1] == (iso_to_day("2016-06-01"), iso_to_day("2016-07-01"))
    assert len(got) == 3


def test_backtest_with_selection_windows_scores_every_window_nested() -> None:
    events, _ = stable_hotspots()
    plain = backtest(events, methods=("kde",), freq="week", start=63.0, windows=6, grid=GRID,
                     bootstrap_reps=200)
    wider = backtest(events, methods=("kde",), freq="week", start=63.0, windows=6, grid=GRID,
                     bootstrap_reps=200, selection_windows=None)
    # The per-method table is the same: selection windows are never scored in it.
    for name in plain.methods:
        assert plain.methods[name]["summary"]["5%"] == wider.methods[name]["summary"]["5%"]
        assert len(wider.methods[name]["selection_windows"]) == 5
    assert wider.protocol["selection_window_count"] == 5
    assert wider.protocol["selection_windows"][0] == ["1970-01-29", "1970-02-04"]
    nested = wider.nested
    assert nested["windows_scored"] == 6 and nested["windows_not_scored"] == 0
    assert nested["selection_only_windows"] == 5
    assert [c["start"] for c in nested["chosen"]] == [
        w["start"] for w in wider.methods["naive"]["windows"]]
    assert "chosen on 5 earlier windows as well" in wider.table()
    assert plain.nested["windows_scored"] == 3


def _rows(pais: list[float], before: list[float]) -> dict:
    def row(label: str, p: float) -> dict:
        return {"start": label, "flags_nothing": False,
                "coverage": {"5%": {"pai": p, "hit_rate": p / 20}}}

    return {"selection_windows": [row(f"s{i}", p) for i, p in enumerate(before)],
            "windows": [row(f"w{i}", p) for i, p in enumerate(pais)]}


def test_nested_selection_chooses_the_first_window_on_the_selection_windows() -> None:
    """kde led on the weeks before the scored ones, so it is chosen from the first scored
    window; learned (mean 0 before, 9 after) leads only once three scored windows show it
    (27 / 6 against kde's 21 / 6; after two it ties, 18 / 5, and the tie keeps kde)."""
    results = {"naive": _rows([1, 1, 1, 1], [1, 1, 1]),
               "history": _rows([2, 2, 2, 2], [2, 2, 2]),
               "kde": _rows([3, 3, 3, 3], [4, 4, 4]),
               "learned": _rows([9, 9, 9, 9], [0, 0, 0])}
    nested = nested_selection(results, reps=200)
    assert [c["method"] for c in nested["chosen"]] == ["kde", "kde", "kde", "learned"]
    assert nested["windows_scored"] == 4 and nested["windows_not_scored"] == 0
    assert nested["pai"]["mean"] == pytest.approx((3 + 3 + 3 + 9) / 4, abs=1e-4)
    # With two selection windows, one scored window still lacks the three earlier ones.
    short = {name: {"selection_windows": r["selection_windows"][1:], "windows": r["windows"]}
             for name, r in results.items()}
    assert nested_selection(short, reps=200)["windows_scored"] == 3

