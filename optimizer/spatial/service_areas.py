"""Service areas: the drawn "T-minute circles" and road-network isochrones, as WGS84 polygons.

* Straight-line mode: a circle of radius ``speed * T / detour_factor`` around each facility,
  the speed being the travel mode's speed in the facility's own setting (urban/rural by its
  town's kind). A demand point in the circle with the same setting is exactly the point the
  travel table counts as covered.
* Network mode: :func:`optimizer.routing.isochrones.road_isochrones`, drawn to match the
  travel table's edge snapping (within half a step of 20 to 400 m); a disc never jumps a
  river to ground whose nearest road is on the other bank. :func:`isochrones` is the older
  node-snapped drawing, kept for callers of that API.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree
from shapely.geometry.base import BaseGeometry

from optimizer.errors import ScenarioError
from optimizer.routing.isochrones import road_isochrones
from optimizer.travel.network import RoadNetwork, directed_edges
from optimizer.travel.table import NETWORK, TravelSettings, facility_settings, point_xy

__all__ = ["isochrones", "service_areas", "write_layers"]

WGS84 = "EPSG:4326"
_COLUMNS = ["facility_id", "tier", "threshold_minutes", "travel_mode", "geometry"]


def isochrones(
    network: RoadNetwork,
    facility_xy: np.ndarray,
    thresholds: Sequence[float],
    *,
    speed_cap_kmh: float,
    snap_walk_kmh: float,
    quad_segs: int = 8,
) -> list[list[BaseGeometry]]:
    """Return ``result[f][t]``: the isochrone polygon of facility ``f`` at ``thresholds[t]``.

    Geometries are in the network's CRS; an empty polygon when even the walk to the road
    takes longer than the threshold.
    """
    walk_m_per_min = snap_walk_kmh * 1000.0 / 60.0
    snap_m, node = cKDTree(network.node_xy).query(facility_xy, k=1)
    snap_min = snap_m / walk_m_per_min
    u, v, minutes, _, _ = directed_edges(network, speed_cap_kmh)
    n = network.n_nodes
    graph = csr_matrix((minutes, (u, v)), shape=(n, n))
    top = max(thresholds)
    cells = _voronoi_cells(network.node_xy, margin_m=top * walk_m_per_min)
    out: list[list[BaseGeometry]] = []
    for f in range(len(facility_xy)):
        start = top - float(snap_min[f])
        dist = (
            np.atleast_2d(dijkstra(graph, directed=True, indices=[int(node[f])], limit=start))[0]
            if start >= 0
            else np.full(n, np.inf)
        )
        row: list[BaseGeometry] = []
        for limit in thresholds:
            remaining = limit - float(snap_min[f]) - dist
            reached = np.flatnonzero(remaining >= 0)
            discs = shapely.buffer(
                shapely.points(network.node_xy[reached]),
                remaining[reached] * walk_m_per_min,
                quad_segs=quad_segs,
            )
            if cells is not None:
                discs = shapely.intersection(discs, cells[reached])
            row.append(shapely.union_all(discs) if len(discs) else shapely.Polygon())
        out.append(row)
    return out


def _voronoi_cells(node_xy: np.ndarray, margin_m: float) -> np.ndarray | None:
    """Return the Voronoi cell of every node, in node order (None with fewer than 2 nodes)."""
    if len(node_xy) < 2:
        return None
    extent = shapely.buffer(shapely.box(*node_xy.min(axis=0), *node_xy.max(axis=0)),
                            margin_m + 1.0)
    cells = shapely.voronoi_polygons(shapely.multipoints(node_xy), extend_to=extent,
                                     ordered=True)
    return np.asarray(shapely.get_parts(cells), dtype=object)


def service_areas(
    facilities: gpd.GeoDataFrame,
    towns: pd.DataFrame,
    *,
    settings: TravelSettings,
    travel_mode: str,
    thresholds: Sequence[float],
    network: RoadNetwork | None = None,
    quad_segs: int = 16,
) -> gpd.GeoDataFrame:
    """Return one service-area polygon per facility and threshold, in WGS84.

    Parameters
    ----------
    facilities : geopandas.GeoDataFrame
        Facilities (``facility_id``, ``tier``, ``town_code``, point geometry).
    towns : pandas.DataFrame
        Towns with ``code`` and ``kind`` (the facility's urban/rural setting).
    settings : TravelSettings
        Mode, CRS, speeds and detour factor.
    travel_mode : str
        ``walk``, ``ebike`` or ``motorised``.
    thresholds : Sequence[float]
        Minutes.
    network : RoadNetwork, optional
        Road graph, required in network mode.
    quad_segs : int
        Segments per quarter circle of the drawn circles.

    Returns
    -------
    geopandas.GeoDataFrame
        ``facility_id``, ``tier``, ``threshold_minutes``, ``travel_mode``, geometry; sorted by
        facility_id then threshold.
    """
    limits = sorted({float(t) for t in thresholds})
    if not limits or min(limits) <= 0:
        raise ScenarioError(f"service-area thresholds must be positive minutes (got {limits})")
    if facilities.empty:
        return gpd.GeoDataFrame(
            {c: pd.Series([], dtype="str" if c != "threshold_minutes" else float)
             for c in _COLUMNS[:-1]},
            geometry=gpd.GeoSeries([], crs=WGS84),
        )
    ordered = facilities.sort_values("facility_id", kind="stable")
    xy = point_xy(ordered, settings.crs, layer="facilities")
    ids = ordered["facility_id"].astype(str).to_numpy()
    tiers = ordered["tier"].astype(str).to_numpy()
    if settings.mode == NETWORK:
        if network is None:
            raise ScenarioError("network mode needs roads to draw isochrones")
        geoms = road_isochrones(
            network, xy, limits, speed_cap_kmh=settings.max_speed_kmh(travel_mode),
            offroad_kmh=settings.offroad_speed_kmh(travel_mode), one_way=travel_mode != "walk",
        )
        flat = [g for row in geoms for g in row]
    else:
        setting = facility_settings(ordered, towns).to_numpy()
        speed = np.where(
            setting == "urban",
            settings.speed_kmh(travel_mode, "urban"),
            settings.speed_kmh(travel_mode, "rural"),
        )
        radius_m = (speed[:, None] * 1000.0 / 60.0) * np.array(limits)[None, :]
        radius_m /= settings.detour_factor
        centres = np.repeat(np.asarray(shapely.points(xy), dtype=object), len(limits))
        flat = list(shapely.buffer(centres, radius_m.ravel(), quad_segs=quad_segs))
    frame = gpd.GeoDataFrame(
        {
            "facility_id": np.repeat(ids, len(limits)),
            "tier": np.repeat(tiers, len(limits)),
            "threshold_minutes": np.tile(np.array(limits), len(ids)),
            "travel_mode": travel_mode,
        },
        geometry=gpd.GeoSeries(flat, crs=settings.crs),
    )
    return frame.to_crs(WGS84).reset_index(drop=True)


def write_layers(layers: Mapping[str, gpd.GeoDataFrame], path: Path) -> Path:
    """Write layers to a GeoPackage (one layer each) or a single layer to GeoJSON.

    The format follows the suffix: ``.gpkg`` or ``.geojson``.
    """
    suffix = path.suffix.lower()
    if suffix == ".geojson":
        if len(layers) != 1:
            raise ScenarioError(
                f"GeoJSON holds one layer but {len(layers)} were given; write a .gpkg instead"
            )
        (frame,) = layers.values()
        frame.to_file(path, driver="GeoJSON")
        return path
    if suffix != ".gpkg":
        raise ScenarioError(f"cannot write layers to {path.name!r}; use .gpkg or .geojson")
    for name in sorted(layers):
        layers[name].to_file(path, layer=name, driver="GPKG")
    return path
