"""Points onto the nearest road edge of the main network: edge, position along it, and the gap.

A point is projected onto its nearest edge (shapely's STR-tree, exact nearest segment): the
perpendicular ``gap_m`` is the off-road leg and ``fraction`` the position of the foot along the
edge from ``edge_u`` (0) to ``edge_v`` (1). Only edges of the largest connected piece of the
road graph (the main network) are snapped to; a point whose nearest road is a smaller piece (an
island: a private estate road, a ferry stub, a piece the data cut off) is joined to the nearest
edge of the main network instead, and a warning gives how many points were.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from optimizer.errors import DataError, MedallocWarning
from optimizer.travel.network import RoadNetwork

__all__ = ["EdgeSnap", "edge_tree", "main_edges", "snap_points"]


@dataclass(frozen=True)
class EdgeSnap:
    """Where points meet the road network.

    Attributes
    ----------
    edge : numpy.ndarray
        Edge position of each point's foot.
    fraction : numpy.ndarray
        Position of the foot along the edge, 0 at ``edge_u`` and 1 at ``edge_v``.
    gap_m : numpy.ndarray
        Straight distance from the point to its foot (the off-road leg).
    rejoined : int
        Points whose nearest road was an island and were joined to the main network.
    """

    edge: np.ndarray
    fraction: np.ndarray
    gap_m: np.ndarray
    rejoined: int


def main_edges(network: RoadNetwork) -> np.ndarray:
    """Boolean mask of the edges in the largest connected piece (by node count)."""
    n = network.n_nodes
    if n == 0:
        return np.zeros(0, dtype=bool)
    graph = csr_matrix((np.ones(len(network.edge_u)), (network.edge_u, network.edge_v)),
                       shape=(n, n))
    _, label = connected_components(graph, directed=False)
    main = int(np.argmax(np.bincount(label)))
    mask: np.ndarray = label[network.edge_u] == main
    return mask


def _foot(network: RoadNetwork, edge: np.ndarray, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a = network.node_xy[network.edge_u[edge]]
    b = network.node_xy[network.edge_v[edge]]
    ab = b - a
    length2 = np.einsum("ij,ij->i", ab, ab)
    t = np.einsum("ij,ij->i", xy - a, ab) / np.where(length2 > 0, length2, 1.0)
    t = np.clip(t, 0.0, 1.0)
    gap = np.hypot(*(a + t[:, None] * ab - xy).T)
    return t, gap


def _nearest(network: RoadNetwork, candidates: np.ndarray, xy: np.ndarray,
             tree: shapely.STRtree | None = None) -> np.ndarray:
    if tree is None:
        tree = edge_tree(network, candidates)
    found = tree.query_nearest(shapely.points(xy), all_matches=True)
    # Equally near edges (a point midway between two roads): the lowest edge, so the choice
    # does not depend on the tree's internal order.
    out = np.full(len(xy), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(out, found[0], candidates[found[1]])
    return out


def edge_tree(network: RoadNetwork, candidates: np.ndarray) -> shapely.STRtree:
    """An STR-tree over the ``candidates`` edges (positions in the tree = candidate order)."""
    lines = shapely.linestrings(
        np.stack([network.node_xy[network.edge_u[candidates]],
                  network.node_xy[network.edge_v[candidates]]], axis=1))
    return shapely.STRtree(np.asarray(lines, dtype=object))


def snap_points(network: RoadNetwork, xy: np.ndarray, *, what: str,
                snap_warn_m: float = np.inf, main: np.ndarray | None = None,
                tree: shapely.STRtree | None = None) -> EdgeSnap:
    """Snap points onto the nearest edge of the main network (see the module docstring).

    Parameters
    ----------
    network : RoadNetwork
        The road graph.
    xy : numpy.ndarray
        Points in the network's CRS, shape (n, 2).
    what : str
        What the points are, for warnings ("demand points", "facilities").
    snap_warn_m : float
        Warn when a point lies farther than this from its road.
    main : numpy.ndarray, optional
        :func:`main_edges`, when already computed.
    tree : shapely.STRtree, optional
        :func:`edge_tree` over every edge, when already built (snapping several layers).

    Raises
    ------
    DataError
        If the road layer has no edge to snap to.
    """
    if len(network.edge_u) == 0:
        raise DataError("the road layer has no usable lines, so nothing can be snapped to it; "
                        "check that it holds line geometries inside the area")
    if len(xy) == 0:
        empty = np.empty(0)
        return EdgeSnap(np.empty(0, dtype=np.int64), empty, empty, 0)
    in_main = main_edges(network) if main is None else main
    everywhere = np.arange(len(network.edge_u))
    edge = _nearest(network, everywhere, xy, tree)
    on_island = ~in_main[edge]
    rejoined = int(on_island.sum())
    if rejoined:
        edge[on_island] = _nearest(network, everywhere[in_main], xy[on_island])
        warnings.warn(
            f"{rejoined} {what} lie nearest to a road piece cut off from the main network (an "
            "island); they are joined to the nearest road of the main network instead. To use "
            "the island's road, connect it to the network in the road layer",
            MedallocWarning, stacklevel=3)
    fraction, gap = _foot(network, edge, xy)
    far = gap > snap_warn_m
    if far.any():
        warnings.warn(
            f"{int(far.sum())} {what} lie more than {snap_warn_m:g} m from any road (up to "
            f"{float(gap.max()):.0f} m); their off-road leg dominates their travel time",
            MedallocWarning, stacklevel=3)
    return EdgeSnap(edge, fraction, gap, rejoined)
