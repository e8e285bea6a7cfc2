"""Road isochrones drawn to match the travel table: the ground from which a facility is in reach.

The travel model (:mod:`optimizer.routing.engine`) snaps a point to the foot on its nearest
edge. The drawing approximates each edge by nodes every ``step_m`` (1/100 of the reach, 20 to
400 m): a point is
taken to reach the road at its nearest such node, so the polygon is the union, over nodes from
which the facility is reached within ``T``, of discs of radius ``remaining minutes x off-road
speed`` clipped to the node's Voronoi cell, plus the straight-across disc around the facility
clipped to the cells of its own edge. The error against the table is at most half a step along
the road. Times run *to* the facility, so one-way roads
shape the polygon as they shape the trips.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree
from shapely.geometry.base import BaseGeometry

from optimizer.routing.snap import snap_points
from optimizer.travel.network import RoadNetwork, directed_edges

__all__ = ["densify", "drawing_step_m", "road_isochrones"]


def densify(network: RoadNetwork, step_m: float) -> tuple[RoadNetwork, np.ndarray]:
    """Split every edge into pieces of at most ``step_m``; return the network and node edges.

    The second array gives, per node of the result, the edge of ``network`` it lies inside
    (-1 for the original nodes).
    """
    n = network.n_nodes
    pieces = np.maximum(1, np.ceil(network.edge_length_m / step_m).astype(np.int64))
    inner = pieces - 1
    first = n + np.concatenate([[0], np.cumsum(inner)[:-1]])
    edge_of_inner = np.repeat(np.arange(len(pieces)), inner)
    rank = np.arange(int(inner.sum())) - np.repeat(first - n, inner) + 1
    t = rank / pieces[edge_of_inner]
    a = network.node_xy[network.edge_u[edge_of_inner]]
    b = network.node_xy[network.edge_v[edge_of_inner]]
    node_xy = np.concatenate([network.node_xy, a + (b - a) * t[:, None]])
    edge_of_piece = np.repeat(np.arange(len(pieces)), pieces)
    rank_piece = np.arange(int(pieces.sum())) - np.repeat(
        np.concatenate([[0], np.cumsum(pieces)[:-1]]), pieces)
    k = pieces[edge_of_piece]

    def node_at(position: np.ndarray) -> np.ndarray:
        out = first[edge_of_piece] + position - 1
        out = np.where(position == 0, network.edge_u[edge_of_piece], out)
        return np.where(position == k, network.edge_v[edge_of_piece], out)

    dense = RoadNetwork(
        node_xy=node_xy,
        edge_u=node_at(rank_piece).astype(np.int64),
        edge_v=node_at(rank_piece + 1).astype(np.int64),
        edge_length_m=network.edge_length_m[edge_of_piece] / k,
        edge_speed_kmh=network.edge_speed_kmh[edge_of_piece],
        crs=network.crs,
        edge_oneway=network.oneway[edge_of_piece],
    )
    return dense, np.concatenate([np.full(n, -1), edge_of_inner])


def _cells(node_xy: np.ndarray, margin_m: float) -> np.ndarray:
    extent = shapely.buffer(shapely.box(*node_xy.min(axis=0), *node_xy.max(axis=0)),
                            margin_m + 1.0)
    cells = shapely.voronoi_polygons(shapely.multipoints(node_xy), extend_to=extent,
                                     ordered=True)
    return np.asarray(shapely.get_parts(cells), dtype=object)


def _around(network: RoadNetwork, centre: np.ndarray, radius_m: float
            ) -> tuple[RoadNetwork, np.ndarray]:
    """The edges whose box meets the square of ``radius_m`` around ``centre``, renumbered.

    Returns the sub-network and, per sub-edge, its edge in ``network``.
    """
    a = network.node_xy[network.edge_u]
    b = network.node_xy[network.edge_v]
    low, high = centre - radius_m, centre + radius_m
    near = np.all((np.maximum(a, b) >= low) & (np.minimum(a, b) <= high), axis=1)
    edges = np.flatnonzero(near)
    nodes, inverse = np.unique(np.concatenate([network.edge_u[edges], network.edge_v[edges]]),
                               return_inverse=True)
    sub = RoadNetwork(
        node_xy=network.node_xy[nodes],
        edge_u=inverse[:len(edges)].astype(np.int64),
        edge_v=inverse[len(edges):].astype(np.int64),
        edge_length_m=network.edge_length_m[edges],
        edge_speed_kmh=network.edge_speed_kmh[edges],
        crs=network.crs,
        edge_oneway=network.oneway[edges],
    )
    return sub, edges


def drawing_step_m(top_minutes: float, fastest_m_per_min: float) -> float:
    """Node spacing of the drawing: 1/100 of the largest reach, between 20 and 400 m."""
    return float(np.clip(top_minutes * fastest_m_per_min / 100.0, 20.0, 400.0))


def road_isochrones(
    network: RoadNetwork,
    facility_xy: np.ndarray,
    thresholds: Sequence[float],
    *,
    speed_cap_kmh: float,
    offroad_kmh: float,
    one_way: bool,
    step_m: float | None = None,
    quad_segs: int = 8,
) -> list[list[BaseGeometry]]:
    """Return ``result[f][t]``: the isochrone of facility ``f`` at ``thresholds[t]``.

    Geometries are in the network's CRS; an empty polygon when nothing is in reach. The
    default ``step_m`` is :func:`drawing_step_m` (25 m for a 5-minute drive at 30 km/h,
    400 m for an hour at 40 km/h), so the drawing stays within half a step of the table.
    """
    per_min = offroad_kmh * 1000.0 / 60.0
    top = max(thresholds)
    fastest = max(float(np.minimum(network.edge_speed_kmh, speed_cap_kmh).max(initial=0.0)),
                  offroad_kmh) * 1000.0 / 60.0
    dense, edge_of_node = densify(network, step_m or drawing_step_m(top, fastest))
    u, v, minutes, _, _ = directed_edges(dense, speed_cap_kmh, one_way=one_way)
    n = dense.n_nodes
    toward = csr_matrix((minutes, (v, u)), shape=(n, n))  # reversed: times *to* the facility
    cells = _cells(dense.node_xy, margin_m=top * per_min) if n >= 2 else None
    gap_m, start = cKDTree(dense.node_xy).query(facility_xy, k=1)
    own_edge = snap_points(network, facility_xy, what="facilities").edge
    out: list[list[BaseGeometry]] = []
    for f in range(len(facility_xy)):
        budget = top - float(gap_m[f]) / per_min
        dist = (np.atleast_2d(dijkstra(toward, directed=True, indices=[int(start[f])],
                                       limit=budget))[0]
                if budget >= 0 else np.full(n, np.inf))
        mine = np.concatenate([np.flatnonzero(edge_of_node == own_edge[f]),
                               [network.edge_u[own_edge[f]], network.edge_v[own_edge[f]]]])
        row: list[BaseGeometry] = []
        for limit in thresholds:
            remaining = limit - float(gap_m[f]) / per_min - dist
            reached = np.flatnonzero(remaining >= 0)
            discs = shapely.buffer(shapely.points(dense.node_xy[reached]),
                                   remaining[reached] * per_min, quad_segs=quad_segs)
            across = shapely.buffer(shapely.points(facility_xy[f]), limit * per_min,
                                    quad_segs=quad_segs)
            if cells is not None:
                discs = shapely.intersection(discs, cells[reached])
                across = shapely.intersection(across, shapely.union_all(cells[mine]))
            parts = [*np.asarray(discs, dtype=object).ravel(), across]
            row.append(shapely.union_all(np.asarray(parts, dtype=object)))
        out.append(row)
    return out
