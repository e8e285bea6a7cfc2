"""Bounded multi-source shortest paths from the facility side, on roads split at the points.

The model (every figure can be checked by hand on a small grid):

* Each point meets the road at the foot of the perpendicular on its nearest edge of the main
  network (:mod:`optimizer.routing.snap`). The gap is travelled off-road at the travel mode's
  off-road speed, once at each end of a trip.
* Edges are split at the feet, so the stretch from a foot to either end node is charged at
  the edge's speed, and two points on one edge meet along it. A foot within a nanometre of an
  end node is that node.
* One-way edges carry motor traffic in their direction only; walking (``one_way=False``) uses
  both directions.
* Two points that snap to the same edge may also go straight from one to the other off-road
  (so a clinic at its own village's point is 0 minutes away); points on different edges may
  not (a river between two roads stays uncrossed).
* Before many searches, nodes no point stands on that only continue a road are merged away
  (:mod:`optimizer.routing.contract`): the same times, far fewer nodes.
* Searches run on the reversed graph from one virtual node per destination, joined to the
  destination's foot by its off-road leg: batches of sources with a ``limit`` for the table
  under a cap, one ``min_only`` run for every origin's nearest destination.

Distances travelled (off-road + road) follow the shortest-time tree back from each wanted
(origin, destination) pair, all pairs a step at a time.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from optimizer.errors import MedallocWarning, ScenarioError
from optimizer.routing.contract import contract_chains
from optimizer.routing.snap import EdgeSnap, edge_tree, main_edges, snap_points
from optimizer.travel.network import RoadNetwork, sort_pairs

__all__ = ["route_nearest", "route_pairs"]

_MIN_MINUTES = 1e-9
_AT_END = 1e-9
_CELLS_PER_BATCH = 20_000_000
_CONTRACT_FROM = 32  # destinations (searches) from which merging chains pays


@dataclass(frozen=True)
class _Graph:
    """The reversed, split graph with one virtual source per destination."""

    graph: csr_matrix
    key: np.ndarray  # sorted arc keys a * width + b of ``graph``
    length_m: np.ndarray  # arc lengths, aligned with ``key``
    width: int
    origin_node: np.ndarray
    source: np.ndarray  # virtual node of each destination
    origin_access: np.ndarray  # minutes
    origin_gap_m: np.ndarray
    origin_snap: EdgeSnap
    destination_snap: EdgeSnap
    node_xy: np.ndarray  # coordinates of every node, virtual ones at their destination
    arc_u: np.ndarray  # the arcs of ``graph`` (sorted by key)
    arc_v: np.ndarray
    arc_minutes: np.ndarray
    metres_per_minute: float  # no arc is faster: bounds how far a search can go


def _split_graph(network: RoadNetwork, origin: EdgeSnap, destination: EdgeSnap,
                 destination_gap_minutes: np.ndarray, *, speed_cap_kmh: float,
                 one_way: bool, contract: bool
                 ) -> tuple[csr_matrix, np.ndarray, np.ndarray, int, np.ndarray, np.ndarray,
                            np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    n, n_edges = network.n_nodes, len(network.edge_u)
    edge = np.concatenate([origin.edge, destination.edge])
    t = np.concatenate([origin.fraction, destination.fraction])
    at_u, at_v = t <= _AT_END, t >= 1.0 - _AT_END
    inner = ~(at_u | at_v)
    # One new node per distinct interior foot (edge, fraction).
    inner_e, inner_t = edge[inner], t[inner]
    order = np.lexsort((inner_t, inner_e))
    se, st = inner_e[order], inner_t[order]
    new = np.ones(len(se), dtype=bool)
    new[1:] = (se[1:] != se[:-1]) | (st[1:] != st[:-1])
    foot_id = np.cumsum(new) - 1
    n_feet = int(new.sum())
    node_of_inner = np.empty(len(se), dtype=np.int64)
    node_of_inner[order] = n + foot_id
    point_node = np.where(at_u, network.edge_u[edge], network.edge_v[edge]).astype(np.int64)
    point_node[inner] = node_of_inner
    # Pieces of each edge between its end nodes and the feet on it, in order along it.
    feet_e, feet_t = se[new], st[new]
    ent_e = np.concatenate([np.arange(n_edges), np.arange(n_edges), feet_e])
    ent_t = np.concatenate([np.zeros(n_edges), np.ones(n_edges), feet_t])
    ent_node = np.concatenate([network.edge_u, network.edge_v, n + np.arange(n_feet)])
    seq = np.lexsort((ent_t, ent_e))
    ent_e, ent_t, ent_node = ent_e[seq], ent_t[seq], ent_node[seq]
    same = ent_e[1:] == ent_e[:-1]
    piece_e = ent_e[:-1][same]
    a, b = ent_node[:-1][same], ent_node[1:][same]
    length = (ent_t[1:][same] - ent_t[:-1][same]) * network.edge_length_m[piece_e]
    speed = np.minimum(network.edge_speed_kmh[piece_e], speed_cap_kmh)
    minutes = np.maximum(length / (speed * 1000.0 / 60.0), _MIN_MINUTES)
    direction = network.oneway[piece_e] if one_way else np.zeros(len(piece_e), dtype=np.int8)
    fwd, bwd = direction >= 0, direction <= 0
    # Forward graph arcs a -> b (where allowed) and b -> a; the search runs on the reverse.
    src = np.concatenate([a[fwd], b[bwd]])
    dst = np.concatenate([b[fwd], a[bwd]])
    arc_min = np.concatenate([minutes[fwd], minutes[bwd]])
    arc_len = np.concatenate([length[fwd], length[bwd]])
    (src, dst, arc_min, arc_len), point_node, used = _compact(
        (src, dst, arc_min, arc_len), point_node, n + n_feet, contract=contract)
    fa = network.node_xy[network.edge_u[feet_e]]
    fb = network.node_xy[network.edge_v[feet_e]]
    node_xy = np.concatenate([network.node_xy, fa + (fb - fa) * feet_t[:, None]])[used]
    n_dest = len(destination.edge)
    width = len(used) + n_dest
    virtual = len(used) + np.arange(n_dest)
    dest_node = point_node[len(origin.edge):]
    # Reversed: dst -> src; virtual destination -> its foot at its off-road minutes.
    ru = np.concatenate([dst, virtual])
    rv = np.concatenate([src, dest_node])
    rmin = np.concatenate([arc_min, np.maximum(destination_gap_minutes, _MIN_MINUTES)])
    rlen = np.concatenate([arc_len, destination.gap_m])
    graph, key, rlen, arcs = _csr(ru, rv, rmin, rlen, width)
    return graph, key, rlen, width, point_node[:len(origin.edge)], virtual, node_xy, arcs


def _compact(arcs: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
             point_node: np.ndarray, width: int, *, contract: bool
             ) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray,
                        np.ndarray]:
    """Merge away nodes that only continue a road (when asked); number the rest densely.

    Each search allocates a row per node, so nodes without arcs or points are dropped.
    """
    src, dst, arc_min, arc_len = arcs
    if contract:
        keep = np.zeros(width, dtype=bool)
        keep[point_node] = True
        src, dst, arc_min, arc_len = contract_chains(src, dst, arc_min, arc_len, keep)
    present = np.zeros(width, dtype=bool)
    present[src] = present[dst] = present[point_node] = True
    used = np.flatnonzero(present)
    new_id = np.full(width, -1, dtype=np.int64)
    new_id[used] = np.arange(len(used))
    return (new_id[src], new_id[dst], arc_min, arc_len), new_id[point_node], used


def _csr(u: np.ndarray, v: np.ndarray, minutes: np.ndarray, length: np.ndarray,
         width: int) -> tuple[csr_matrix, np.ndarray, np.ndarray,
                              tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The graph of arcs u -> v, parallel arcs reduced to the fastest, and its sorted keys."""
    keep = u != v
    u, v, minutes, length = u[keep], v[keep], minutes[keep], length[keep]
    order = np.lexsort((minutes, v, u))
    u, v, minutes, length = u[order], v[order], minutes[order], length[order]
    key = u * width + v
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    u, v, minutes = u[first], v[first], minutes[first]
    graph = csr_matrix((minutes, (u, v)), shape=(width, width))
    return graph, key[first], length[first], (u, v, minutes)


_INDEX: dict[int, tuple[RoadNetwork, np.ndarray, shapely.STRtree]] = {}


def _snapping_index(network: RoadNetwork) -> tuple[np.ndarray, shapely.STRtree]:
    """The main-network mask and the edge STR-tree of a network, built once per network."""
    found = _INDEX.get(id(network))
    if found is not None and found[0] is network:
        return found[1], found[2]
    main, tree = main_edges(network), edge_tree(network, np.arange(len(network.edge_u)))
    if len(_INDEX) >= 4:
        _INDEX.pop(next(iter(_INDEX)))
    _INDEX[id(network)] = (network, main, tree)
    return main, tree


def _prepare(network: RoadNetwork, origin_xy: np.ndarray, destination_xy: np.ndarray, *,
             speed_cap_kmh: float, offroad_kmh: float, one_way: bool,
             snap_warn_m: float, contract: bool) -> _Graph:
    if not speed_cap_kmh > 0 or not offroad_kmh > 0:
        raise ScenarioError("speeds must be positive")
    main, tree = _snapping_index(network)
    origin = snap_points(network, origin_xy, what="origins", snap_warn_m=snap_warn_m,
                         main=main, tree=tree)
    destination = snap_points(network, destination_xy, what="destinations",
                              snap_warn_m=snap_warn_m, main=main, tree=tree)
    per_min = offroad_kmh * 1000.0 / 60.0
    graph, key, length, width, origin_node, source, node_xy, arcs = _split_graph(
        network, origin, destination, destination.gap_m / per_min,
        speed_cap_kmh=speed_cap_kmh, one_way=one_way, contract=contract)
    fastest = max(float(np.minimum(network.edge_speed_kmh, speed_cap_kmh).max(initial=0.0)),
                  offroad_kmh)
    return _Graph(graph, key, length, width, origin_node, source, origin.gap_m / per_min,
                  origin.gap_m, origin, destination,
                  np.concatenate([node_xy, destination_xy]), *arcs, fastest * 1000.0 / 60.0)


def _chain_metres(pred: np.ndarray, rows: np.ndarray, nodes: np.ndarray,
                  graph: _Graph, to_global: np.ndarray | None = None) -> np.ndarray:
    """Length in metres of the shortest-time path of each (row, node) back to its source.

    Walks the predecessor chains of the wanted entries only, all at once, one edge per step.
    ``nodes`` and ``pred`` are numbered locally when ``to_global`` maps them to the graph's.
    """
    total = np.zeros(len(nodes))
    current = nodes.astype(np.int64).copy()
    active = np.arange(len(nodes))
    while len(active):
        parent = pred[rows[active], current[active]].astype(np.int64)
        going = parent >= 0
        active, parent = active[going], parent[going]
        if to_global is None:
            wanted = parent * graph.width + current[active]
        else:
            wanted = to_global[parent] * graph.width + to_global[current[active]]
        total[active] += graph.length_m[np.searchsorted(graph.key, wanted)]
        current[active] = parent
    return total


def _tree_metres(dist: np.ndarray, pred: np.ndarray, graph: csr_matrix,
                 arc_metres: np.ndarray) -> np.ndarray:
    """Metres along each search's shortest-time tree to every reached node (NaN elsewhere).

    The arc from a node's predecessor is found by scanning the predecessor's (short) row of
    ``graph``, whose stored entries have lengths ``arc_metres``; the sums run up the trees by
    pointer jumping over the reached entries only.
    """
    width = dist.shape[1]
    flat = np.flatnonzero(np.isfinite(dist.ravel()))
    node = flat % width
    parent_node = pred.ravel()[flat].astype(np.int64)
    has = parent_node >= 0
    step = np.zeros(len(flat))
    p, x = parent_node[has], node[has]
    start, degree = graph.indptr[p], np.diff(graph.indptr)[p]
    found = np.full(len(p), -1, dtype=np.int64)
    for k in range(int(degree.max(initial=0))):
        at = np.minimum(start + k, len(graph.indices) - 1)
        hit = (k < degree) & (graph.indices[at] == x) & (found < 0)
        found[hit] = at[hit]
    step[has] = arc_metres[found]
    position = np.full(dist.size, -1, dtype=np.int64)
    position[flat] = np.arange(len(flat))
    parent = np.arange(len(flat))
    parent[has] = position[(flat[has] // width) * width + p]
    total = step
    while True:
        grand = parent[parent]
        if np.array_equal(grand, parent):
            break
        total = total + total[parent]
        parent = grand
    out = np.full(dist.size, np.nan)
    out[flat] = total
    return out.reshape(dist.shape)


def _searches(g: _Graph, limit: float, max_minutes: float
              ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Bounded searches from every destination, in batches of nearby destinations.

    A path of at most ``limit`` minutes stays within ``limit x fastest speed`` of its start, so
    each batch searches only the part of the graph inside its sources' box widened by that
    reach: the same answers, and each search allocates rows for that part only.
    """
    reach_m = limit * g.metres_per_minute * (1 + 1e-9) + 1.0
    source_xy = g.node_xy[g.source]
    tile = np.floor((source_xy - source_xy.min(axis=0)) / max(reach_m, 1.0)).astype(np.int64)
    order = np.lexsort((source_xy[:, 0], tile[:, 0], tile[:, 1]))
    batch = max(1, min(256, _CELLS_PER_BATCH // g.width))
    out = []
    for start in range(0, len(order), batch):
        dest = order[start:start + batch]
        low = source_xy[dest].min(axis=0) - reach_m
        high = source_xy[dest].max(axis=0) + reach_m
        inside = np.all((g.node_xy >= low) & (g.node_xy <= high), axis=1)
        nodes = np.flatnonzero(inside)
        local = np.full(g.width, -1, dtype=np.int64)
        local[nodes] = np.arange(len(nodes))
        arcs = np.flatnonzero(inside[g.arc_u] & inside[g.arc_v])
        ids = csr_matrix((np.arange(1, len(arcs) + 1), (local[g.arc_u[arcs]],
                                                         local[g.arc_v[arcs]])),
                         shape=(len(nodes), len(nodes)))
        arc_of = arcs[ids.data - 1]  # arc (position in g's arrays) of each stored entry
        sub = csr_matrix((g.arc_minutes[arc_of], ids.indices, ids.indptr),
                         shape=(len(nodes), len(nodes)))
        origins = np.flatnonzero(inside[g.origin_node])
        if not len(origins):
            continue
        dist, pred = dijkstra(sub, directed=True, indices=local[g.source[dest]],
                              limit=limit * (1 + 1e-12), return_predecessors=True)
        dist, pred = np.atleast_2d(dist), np.atleast_2d(pred)
        at = dist[:, local[g.origin_node[origins]]] + g.origin_access[origins][None, :]
        dj, ok = np.nonzero(at <= max_minutes)
        if not len(ok):
            continue
        oi = origins[ok]
        metres = _tree_metres(dist, pred, sub, g.length_m[arc_of])[dj, local[g.origin_node[oi]]]
        out.append((oi, dest[dj], at[dj, ok], metres + g.origin_gap_m[oi]))
    return out


def _same_edge(origin: EdgeSnap, destination: EdgeSnap) -> tuple[np.ndarray, np.ndarray]:
    """(origin, destination) positions of every pair snapped onto the same edge."""
    d_order = np.argsort(destination.edge, kind="stable")
    d_edges = destination.edge[d_order]
    lo = np.searchsorted(d_edges, origin.edge, side="left")
    hi = np.searchsorted(d_edges, origin.edge, side="right")
    counts = hi - lo
    i = np.repeat(np.arange(len(origin.edge)), counts)
    starts = np.repeat(lo, counts)
    offset = np.arange(len(i)) - np.repeat(np.cumsum(counts) - counts, counts)
    return i, d_order[starts + offset]


def route_pairs(
    network: RoadNetwork,
    origin_xy: np.ndarray,
    destination_xy: np.ndarray,
    *,
    speed_cap_kmh: float,
    offroad_kmh: float,
    max_minutes: float,
    one_way: bool = True,
    snap_warn_m: float = np.inf,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every (origin, destination) pair within ``max_minutes`` (see the module docstring).

    Parameters
    ----------
    network : RoadNetwork
        The road graph, in the points' CRS.
    origin_xy, destination_xy : numpy.ndarray
        Projected points, shapes (n, 2) and (m, 2).
    speed_cap_kmh : float
        Fastest speed of the travel mode; each edge runs at ``min(road speed, cap)``.
    offroad_kmh : float
        Speed of the off-road legs.
    max_minutes : float
        Largest travel time kept (inclusive).
    one_way : bool
        Respect one-way roads (motor traffic); False for walking.
    snap_warn_m : float
        Warn about points farther than this from any road.

    Returns
    -------
    tuple of numpy.ndarray
        Origin positions, destination positions, travelled ``distance_m`` and ``minutes``,
        sorted by origin then destination.
    """
    empty = (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0), np.empty(0))
    if len(origin_xy) == 0 or len(destination_xy) == 0:
        return empty
    # Merging chains costs about one search; it pays when there are many searches.
    g = _prepare(network, origin_xy, destination_xy, speed_cap_kmh=speed_cap_kmh,
                 offroad_kmh=offroad_kmh, one_way=one_way, snap_warn_m=snap_warn_m,
                 contract=len(destination_xy) >= _CONTRACT_FROM)
    limit = max_minutes - float(g.origin_access.min())
    parts_i, parts_j, parts_d, parts_m = [], [], [], []
    if limit >= 0:
        for found in _searches(g, limit, max_minutes):
            parts_i.append(found[0])
            parts_j.append(found[1])
            parts_m.append(found[2])
            parts_d.append(found[3])
    # Straight across between points on one edge.
    si, sj = _same_edge(g.origin_snap, g.destination_snap)
    direct_m = np.hypot(*(origin_xy[si] - destination_xy[sj]).T)
    direct_min = direct_m / (offroad_kmh * 1000.0 / 60.0)
    near = direct_min <= max_minutes
    parts_i.append(si[near])
    parts_j.append(sj[near])
    parts_m.append(direct_min[near])
    parts_d.append(direct_m[near])
    i = np.concatenate(parts_i).astype(np.int64)
    j = np.concatenate(parts_j).astype(np.int64)
    minutes, distance_m = np.concatenate(parts_m), np.concatenate(parts_d)
    # Keep the faster of the road and the straight-across way for each pair.
    order = np.lexsort((minutes, j, i))
    i, j, minutes, distance_m = i[order], j[order], minutes[order], distance_m[order]
    first = np.ones(len(i), dtype=bool)
    first[1:] = (i[1:] != i[:-1]) | (j[1:] != j[:-1])
    i, j, minutes, distance_m = i[first], j[first], minutes[first], distance_m[first]
    order = sort_pairs(i, j, len(origin_xy), len(destination_xy))
    return i[order], j[order], distance_m[order], minutes[order]


def route_nearest(
    network: RoadNetwork,
    origin_xy: np.ndarray,
    destination_xy: np.ndarray,
    *,
    speed_cap_kmh: float,
    offroad_kmh: float,
    one_way: bool = True,
    snap_warn_m: float = np.inf,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every origin's nearest destination by time, with no cap: one ``min_only`` search.

    Returns
    -------
    tuple of numpy.ndarray
        Destination position (-1 when none can be reached, as on the wrong side of one-way
        roads), ``distance_m`` and ``minutes`` (``inf`` then), per origin.
    """
    n = len(origin_xy)
    j = np.full(n, -1, dtype=np.int64)
    distance_m, minutes = np.full(n, np.inf), np.full(n, np.inf)
    if n == 0 or len(destination_xy) == 0:
        return j, distance_m, minutes
    g = _prepare(network, origin_xy, destination_xy, speed_cap_kmh=speed_cap_kmh,
                 offroad_kmh=offroad_kmh, one_way=one_way, snap_warn_m=snap_warn_m,
                 contract=False)
    dist, pred, source = dijkstra(g.graph, directed=True, indices=g.source, min_only=True,
                                  return_predecessors=True)
    reached = np.isfinite(dist[g.origin_node])
    metres = np.full(n, np.nan)
    metres[reached] = _chain_metres(pred[None, :], np.zeros(int(reached.sum()), dtype=np.int64),
                                    g.origin_node[reached], g)
    first_virtual = int(g.source[0])
    j = np.where(reached, source[g.origin_node] - first_virtual, -1).astype(np.int64)
    minutes = np.where(reached, dist[g.origin_node] + g.origin_access, np.inf)
    distance_m = np.where(reached, metres + g.origin_gap_m, np.inf)
    si, sj = _same_edge(g.origin_snap, g.destination_snap)
    direct_m = np.hypot(*(origin_xy[si] - destination_xy[sj]).T)
    direct_min = direct_m / (offroad_kmh * 1000.0 / 60.0)
    order = np.lexsort((sj, direct_min, si))
    si, sj, direct_m, direct_min = si[order], sj[order], direct_m[order], direct_min[order]
    first = np.ones(len(si), dtype=bool)
    first[1:] = si[1:] != si[:-1]
    si, sj, direct_m, direct_min = si[first], sj[first], direct_m[first], direct_min[first]
    better = direct_min < minutes[si]
    j[si[better]] = sj[better]
    minutes[si[better]] = direct_min[better]
    distance_m[si[better]] = direct_m[better]
    stuck = int((j < 0).sum())
    if stuck:
        warnings.warn(
            f"{stuck} origins cannot reach any destination on the roads (one-way roads lead "
            "only away from them); they count as unreachable. Check the 'oneway' values of the "
            "roads around them", MedallocWarning, stacklevel=3)
    return j, distance_m, minutes
