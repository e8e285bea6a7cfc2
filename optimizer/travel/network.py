"""Road-network travel times: a graph from road lines and shortest paths with scipy.sparse.csgraph.

Model, chosen to be simple enough to check by hand:

* Roads are split into pieces of at most ``segment_max_m`` (``shapely.segmentize``); every vertex
  is a node and every piece an undirected edge weighted ``length / speed``. Vertices closer than
  ``node_tolerance_m`` are merged (KD-tree pairs + connected components), so lines that meet at a
  shared vertex are connected; lines that merely cross without a shared vertex are not (bridges
  and flyovers stay separate, as they should).
* The speed of an edge is the road's speed (``speed_column`` or ``road_speeds_kmh`` by class)
  capped at the travel mode's fastest speed, so walking is at walking pace on any road.
* A point reaches the network at its nearest node, walking the straight gap at ``snap_walk_kmh``;
  the segmentisation bounds the snapping error at ``segment_max_m / 2``.
* Shortest paths run from the facility side (fewer sources) in batches with a time ``limit``;
  the nearest facility of every point comes from one multi-source run through a virtual super
  source joined to every facility node by its snapping time.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from optimizer.errors import DataError, MedallocWarning, Problem, ScenarioError

if TYPE_CHECKING:
    import geopandas as gpd

    from optimizer.config.travel import TravelSettings

__all__ = [
    "RoadNetwork",
    "build_network",
    "directed_edges",
    "network_nearest",
    "network_pairs",
    "sort_pairs",
]

# Dijkstra treats a zero weight like any other, but a tiny floor keeps explicit zeros from
# being dropped by sparse-matrix clean-ups.
_MIN_MINUTES = 1e-9
_BATCH_SOURCES = 64


@dataclass(frozen=True)
class RoadNetwork:
    """An undirected road graph in a projected CRS.

    Attributes
    ----------
    node_xy : numpy.ndarray
        Node coordinates in metres, shape (n, 2).
    edge_u, edge_v : numpy.ndarray
        End nodes of each edge (``edge_u < edge_v``).
    edge_length_m : numpy.ndarray
        Edge lengths in metres.
    edge_speed_kmh : numpy.ndarray
        Road speed of each edge (before the travel-mode cap).
    crs : str
        CRS of ``node_xy``.
    """

    node_xy: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_length_m: np.ndarray
    edge_speed_kmh: np.ndarray
    crs: str

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.node_xy)


def sort_pairs(i: np.ndarray, j: np.ndarray, n_i: int, n_j: int) -> np.ndarray:
    """Return the permutation sorting pairs by (i, j), in O(n) through a CSR conversion."""
    order = csr_matrix(
        (np.arange(1, len(i) + 1, dtype=np.int64), (i, j)), shape=(n_i, n_j)
    )
    order.sort_indices()
    return np.asarray(order.data, dtype=np.int64) - 1


def _road_speeds(roads: gpd.GeoDataFrame, settings: TravelSettings) -> np.ndarray:
    problems: list[Problem] = []
    if settings.speed_column in roads.columns:
        column = settings.speed_column
        speed = pd.to_numeric(roads[column], errors="coerce").to_numpy(dtype=np.float64)
        fix = "give a positive speed in km/h"
    elif settings.class_column in roads.columns:
        column = settings.class_column
        classes = roads[column].astype(str)
        speed = classes.map(dict(settings.road_speeds_kmh)).to_numpy(dtype=np.float64)
        fix = (
            f"use one of the road classes {sorted(settings.road_speeds_kmh)} "
            "or add it to road_speeds_kmh"
        )
    else:
        raise DataError(
            [Problem("roads", "", settings.speed_column, "",
                     f"the roads have neither a '{settings.speed_column}' nor a "
                     f"'{settings.class_column}' column",
                     "add a speed in km/h or a road class to every line")]
        )
    bad = ~(np.isfinite(speed) & (speed > 0))
    for pos in np.flatnonzero(bad)[:20]:
        problems.append(Problem("roads", f"feature {pos + 1}", column,
                                str(roads[column].iloc[pos]), "no usable speed", fix))
    if problems:
        raise DataError(problems)
    return np.asarray(speed, dtype=np.float64)


def build_network(roads: gpd.GeoDataFrame, settings: TravelSettings) -> RoadNetwork:
    """Build the road graph from line geometries.

    Parameters
    ----------
    roads : geopandas.GeoDataFrame
        (Multi)LineStrings with a CRS and a ``speed_column`` or ``class_column``.
    settings : TravelSettings
        CRS, speeds, node tolerance and segment length.

    Returns
    -------
    RoadNetwork
        The graph, in ``settings.crs``.
    """
    if roads.crs is None:
        raise DataError([Problem("roads", "", "geometry", "", "the layer has no CRS",
                                 "save the roads with their CRS")])
    speeds = _road_speeds(roads, settings)
    geoms = roads.geometry.to_crs(settings.crs).to_numpy()
    kinds = shapely.get_type_id(geoms)
    bad = ~np.isin(kinds, (1, 5)) | shapely.is_empty(geoms)  # LineString, MultiLineString
    if bad.any():
        raise DataError(
            [Problem("roads", f"feature {pos + 1}", "geometry", str(geoms[pos])[:60],
                     "a line geometry is required", "keep only (multi)line roads")
             for pos in np.flatnonzero(bad)[:20]]
        )
    parts, part_of = shapely.get_parts(geoms, return_index=True)
    parts = shapely.segmentize(parts, settings.segment_max_m)
    coords, line_of = shapely.get_coordinates(parts, return_index=True)
    # Merge vertices within the tolerance: connected components of the "close" relation.
    close = cKDTree(coords).query_pairs(settings.node_tolerance_m, output_type="ndarray")
    n = len(coords)
    adjacency = csr_matrix(
        (np.ones(len(close)), (close[:, 0], close[:, 1])), shape=(n, n)
    )
    _, label = connected_components(adjacency, directed=False)
    _, first, node_of = np.unique(label, return_index=True, return_inverse=True)
    node_xy = coords[first]
    seg = np.flatnonzero(line_of[:-1] == line_of[1:])
    u, v = node_of[seg], node_of[seg + 1]
    length_m = np.hypot(*(coords[seg + 1] - coords[seg]).T)
    speed = speeds[part_of[line_of[seg]]]
    keep = u != v
    u, v, length_m, speed = u[keep], v[keep], length_m[keep], speed[keep]
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    return RoadNetwork(
        node_xy=node_xy,
        edge_u=lo.astype(np.int64),
        edge_v=hi.astype(np.int64),
        edge_length_m=length_m,
        edge_speed_kmh=speed,
        crs=settings.crs,
    )


def directed_edges(
    network: RoadNetwork, speed_cap_kmh: float, extra_nodes: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return directed, deduplicated edges (u, v, minutes, length_m) and their sorted keys."""
    speed = np.minimum(network.edge_speed_kmh, speed_cap_kmh)
    minutes = network.edge_length_m / (speed * 1000.0 / 60.0)
    u = np.concatenate([network.edge_u, network.edge_v])
    v = np.concatenate([network.edge_v, network.edge_u])
    minutes = np.maximum(np.concatenate([minutes, minutes]), _MIN_MINUTES)
    length = np.concatenate([network.edge_length_m, network.edge_length_m])
    # Parallel edges: keep the fastest (a csr matrix would otherwise add them up).
    order = np.lexsort((minutes, v, u))
    u, v, minutes, length = u[order], v[order], minutes[order], length[order]
    width = network.n_nodes + extra_nodes
    key = u * width + v
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    return u[first], v[first], minutes[first], length[first], key[first]


def _snap(
    network: RoadNetwork, xy: np.ndarray, snap_warn_m: float, what: str
) -> tuple[np.ndarray, np.ndarray]:
    if network.n_nodes == 0:
        raise DataError("the road layer has no usable lines, so nothing can be snapped to it")
    snap_m, node = cKDTree(network.node_xy).query(xy, k=1)
    far = snap_m > snap_warn_m
    if far.any():
        warnings.warn(
            f"{int(far.sum())} {what} lie more than {snap_warn_m:g} m from any road (up to "
            f"{float(snap_m.max()):.0f} m); their walk to the road dominates their travel time",
            MedallocWarning,
            stacklevel=3,
        )
    return node.astype(np.int64), snap_m


def _path_lengths(pred: np.ndarray, step_m: np.ndarray, roots: np.ndarray) -> np.ndarray:
    """Sum edge lengths up a shortest-path tree by pointer jumping (log-depth vectorised passes).

    ``pred`` holds each node's parent per row (negative for roots and unreached nodes),
    ``step_m`` the length of the edge to that parent; ``roots`` marks self-parented nodes.
    """
    nodes = np.broadcast_to(np.arange(pred.shape[1]), pred.shape)
    parent = np.where((pred >= 0) & ~roots, pred, nodes)
    total = np.where(parent != nodes, step_m, 0.0)
    while True:
        grand = np.take_along_axis(parent, parent, axis=1)
        if np.array_equal(grand, parent):
            return total
        total = total + np.take_along_axis(total, parent, axis=1)
        parent = grand


def _edge_step(pred: np.ndarray, key: np.ndarray, length: np.ndarray, width: int) -> np.ndarray:
    """Length of the edge from each node's predecessor to the node (0 where none)."""
    nodes = np.broadcast_to(np.arange(pred.shape[1]), pred.shape)
    has = pred >= 0
    step = np.zeros(pred.shape)
    wanted = pred[has].astype(np.int64) * width + nodes[has]
    step[has] = length[np.searchsorted(key, wanted)]
    return step


def network_pairs(
    network: RoadNetwork,
    origin_xy: np.ndarray,
    destination_xy: np.ndarray,
    *,
    speed_cap_kmh: float,
    snap_walk_kmh: float,
    max_minutes: float,
    snap_warn_m: float = np.inf,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return every (origin, destination) pair within ``max_minutes`` on the road network.

    Returns
    -------
    tuple of numpy.ndarray
        Origin positions, destination positions, travelled ``distance_m`` (walk to road + road
        + walk from road) and ``minutes``, sorted by origin then destination position.
    """
    if not speed_cap_kmh > 0 or not snap_walk_kmh > 0:
        raise ScenarioError("speeds must be positive")
    empty = (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0), np.empty(0))
    if len(origin_xy) == 0 or len(destination_xy) == 0:
        return empty
    walk_m_per_min = snap_walk_kmh * 1000.0 / 60.0
    o_node, o_snap_m = _snap(network, origin_xy, snap_warn_m, "origins")
    d_node, d_snap_m = _snap(network, destination_xy, snap_warn_m, "destinations")
    o_snap_min, d_snap_min = o_snap_m / walk_m_per_min, d_snap_m / walk_m_per_min
    limit = max_minutes - float(o_snap_min.min()) - float(d_snap_min.min())
    if limit < 0:
        return empty
    u, v, minutes, length, key = directed_edges(network, speed_cap_kmh)
    n = network.n_nodes
    graph = csr_matrix((minutes, (u, v)), shape=(n, n))
    sources, source_of = np.unique(d_node, return_inverse=True)
    out_i, out_j, out_d, out_m = [], [], [], []
    for start in range(0, len(sources), _BATCH_SOURCES):
        batch = sources[start:start + _BATCH_SOURCES]
        dist, pred = dijkstra(graph, directed=True, indices=batch, limit=limit * (1 + 1e-12),
                              return_predecessors=True)
        dist = np.atleast_2d(dist)
        pred = np.atleast_2d(pred)
        # The graph is symmetric, so facility -> node equals node -> facility.
        roots = np.zeros(pred.shape, dtype=bool)
        path_m = _path_lengths(pred, _edge_step(pred, key, length, n), roots)
        dests = np.flatnonzero((source_of >= start) & (source_of < start + len(batch)))
        rows = source_of[dests] - start
        total = dist[rows][:, o_node] + o_snap_min[None, :] + d_snap_min[dests][:, None]
        dk, oi = np.nonzero(total <= max_minutes)
        out_i.append(oi)
        out_j.append(dests[dk])
        out_m.append(total[dk, oi])
        out_d.append(path_m[rows[dk], o_node[oi]] + o_snap_m[oi] + d_snap_m[dests[dk]])
    i = np.concatenate(out_i).astype(np.int64)
    j = np.concatenate(out_j).astype(np.int64)
    distance_m, total_minutes = np.concatenate(out_d), np.concatenate(out_m)
    order = sort_pairs(i, j, len(origin_xy), len(destination_xy))
    return i[order], j[order], distance_m[order], total_minutes[order]


def network_nearest(
    network: RoadNetwork,
    origin_xy: np.ndarray,
    destination_xy: np.ndarray,
    *,
    speed_cap_kmh: float,
    snap_walk_kmh: float,
    snap_warn_m: float = np.inf,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the nearest destination of every origin on the network, with no time cap.

    One Dijkstra run from a virtual super source linked to each destination node by that
    destination's snapping time; the destination reached is the tree branch a node hangs from.

    Returns
    -------
    tuple of numpy.ndarray
        Destination position (-1 when unreachable), ``distance_m`` and ``minutes`` (``inf``
        when unreachable), per origin.
    """
    walk_m_per_min = snap_walk_kmh * 1000.0 / 60.0
    o_node, o_snap_m = _snap(network, origin_xy, snap_warn_m, "origins")
    d_node, d_snap_m = _snap(network, destination_xy, snap_warn_m, "destinations")
    n = network.n_nodes
    width = n + 1
    # Per node, the destination with the shortest walk (ties: lowest position, i.e. lowest id).
    order = np.lexsort((np.arange(len(d_node)), d_snap_m, d_node))
    keep = np.ones(len(order), dtype=bool)
    keep[1:] = d_node[order][1:] != d_node[order][:-1]
    best = order[keep]
    u, v, minutes, length, _ = directed_edges(network, speed_cap_kmh, extra_nodes=1)
    u = np.concatenate([u, np.full(len(best), n)])
    v = np.concatenate([v, d_node[best]])
    minutes = np.concatenate([minutes, np.maximum(d_snap_m[best] / walk_m_per_min, _MIN_MINUTES)])
    length = np.concatenate([length, d_snap_m[best]])
    sort = np.argsort(u * width + v, kind="stable")
    u, v, minutes, length = u[sort], v[sort], minutes[sort], length[sort]
    graph = csr_matrix((minutes, (u, v)), shape=(width, width))
    dist, pred = dijkstra(graph, directed=True, indices=[n], return_predecessors=True)
    pred = np.atleast_2d(pred)
    roots = np.zeros(pred.shape, dtype=bool)
    roots[0, n] = True
    roots[0, d_node[best]] = pred[0, d_node[best]] == n
    # Root every facility node hanging directly from the super source, then climb.
    pred_local = np.where(pred == n, -9999, pred)
    step = _edge_step(pred_local, u * width + v, length, width)
    path_m = _path_lengths(pred_local, step, roots)[0]
    nodes = np.arange(width)[None, :]
    parent = np.where((pred_local >= 0) & ~roots, pred_local, nodes)
    while True:
        grand = np.take_along_axis(parent, parent, axis=1)
        if np.array_equal(grand, parent):
            break
        parent = grand
    facility_at = np.full(width, -1, dtype=np.int64)
    facility_at[d_node[best]] = best
    top = parent[0, o_node]
    reached = np.isfinite(dist[0, o_node]) & (facility_at[top] >= 0)
    j = np.where(reached, facility_at[top], -1)
    minutes_out = np.where(reached, dist[0, o_node] + o_snap_m / walk_m_per_min, np.inf)
    distance_out = np.where(
        reached, path_m[o_node] + o_snap_m + d_snap_m[np.maximum(j, 0)], np.inf
    )
    return j, distance_out, minutes_out
