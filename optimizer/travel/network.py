"""Road graph: road lines into nodes and edges with speeds and one-way directions.

Model, chosen to be simple enough to check by hand:

* Roads are split into pieces of at most ``segment_max_m`` (``shapely.segmentize``); every vertex
  is a node and every piece an undirected edge weighted ``length / speed``. Vertices closer than
  ``node_tolerance_m`` are merged (KD-tree pairs + connected components), so lines that meet at a
  shared vertex are connected; lines that merely cross without a shared vertex are not (bridges
  and flyovers stay separate, as they should).
* The speed of an edge is the road's speed (``speed_column``, or ``road_speeds_kmh`` by class
  from ``class_column`` or OpenStreetMap's ``highway``), lowered to a posted ``maxspeed`` where
  one is given, and capped at the travel mode's fastest speed, so walking is at walking pace.
* ``oneway`` (yes / -1 / no) gives each edge a motor-traffic direction
  (:mod:`optimizer.routing.attributes`).
* Points, searches and caching are :mod:`optimizer.routing`'s.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from optimizer.errors import DataError, Problem
from optimizer.routing.attributes import limit_by_maxspeed, oneway_directions

if TYPE_CHECKING:
    import geopandas as gpd

    from optimizer.config.travel import TravelSettings

__all__ = [
    "RoadNetwork",
    "build_network",
    "directed_edges",
    "sort_pairs",
]

# Dijkstra treats a zero weight like any other, but a tiny floor keeps explicit zeros from
# being dropped by sparse-matrix clean-ups.
_MIN_MINUTES = 1e-9


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
    edge_oneway : numpy.ndarray
        Motor-traffic direction of each edge: 0 both ways, 1 only from ``edge_u`` to
        ``edge_v``, -1 only from ``edge_v`` to ``edge_u`` (walking ignores it). Empty means
        every edge is two-way.
    """

    node_xy: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_length_m: np.ndarray
    edge_speed_kmh: np.ndarray
    crs: str
    edge_oneway: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int8))

    @property
    def oneway(self) -> np.ndarray:
        """Direction of every edge (see ``edge_oneway``), zeros when none was given."""
        if len(self.edge_oneway) == len(self.edge_u):
            return self.edge_oneway
        return np.zeros(len(self.edge_u), dtype=np.int8)

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
    speed = _class_speeds(roads, settings)
    return limit_by_maxspeed(roads, speed)


def _class_speeds(roads: gpd.GeoDataFrame, settings: TravelSettings) -> np.ndarray:
    problems: list[Problem] = []
    if settings.speed_column not in roads.columns and settings.class_column not in roads.columns \
            and "highway" in roads.columns:
        # OpenStreetMap's class column, as an OSM import keeps it.
        from dataclasses import replace  # noqa: PLC0415 - only for OSM-style layers

        settings = replace(settings, class_column="highway")
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
    direction = oneway_directions(roads)
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
    oneway = direction[part_of[line_of[seg]]]
    keep = u != v
    u, v, length_m, speed, oneway = u[keep], v[keep], length_m[keep], speed[keep], oneway[keep]
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    # The direction is relative to the drawn line; it flips where u and v were swapped.
    oneway = np.where(u > v, -oneway, oneway).astype(np.int8)
    return RoadNetwork(
        node_xy=node_xy,
        edge_u=lo.astype(np.int64),
        edge_v=hi.astype(np.int64),
        edge_length_m=length_m,
        edge_speed_kmh=speed,
        crs=settings.crs,
        edge_oneway=oneway,
    )


def directed_edges(
    network: RoadNetwork, speed_cap_kmh: float, extra_nodes: int = 0, *, one_way: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return directed, deduplicated edges (u, v, minutes, length_m) and their sorted keys.

    With ``one_way`` (motor traffic) a one-way edge gives only its allowed direction.
    """
    speed = np.minimum(network.edge_speed_kmh, speed_cap_kmh)
    minutes = network.edge_length_m / (speed * 1000.0 / 60.0)
    oneway = network.oneway if one_way else np.zeros(len(network.edge_u), dtype=np.int8)
    u = np.concatenate([network.edge_u, network.edge_v])
    v = np.concatenate([network.edge_v, network.edge_u])
    minutes = np.maximum(np.concatenate([minutes, minutes]), _MIN_MINUTES)
    length = np.concatenate([network.edge_length_m, network.edge_length_m])
    allowed = np.concatenate([oneway >= 0, oneway <= 0])
    u, v, minutes, length = u[allowed], v[allowed], minutes[allowed], length[allowed]
    # Parallel edges: keep the fastest (a csr matrix would otherwise add them up).
    order = np.lexsort((minutes, v, u))
    u, v, minutes, length = u[order], v[order], minutes[order], length[order]
    width = network.n_nodes + extra_nodes
    key = u * width + v
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    return u[first], v[first], minutes[first], length[first], key[first]
