"""Cost tables from point layers: straight-line in a projected CRS, or from the travel layer.

The kernels never see geometry: `from_geodataframes` turns a demand layer and a candidate-site
layer into a `CostTable` (long table of reachable pairs, ids, weights) that any kernel takes as
``costs``, e.g. ``p_median(from_geodataframes(villages, clinics, weight="population"), None,
p=5)``. Straight-line costs are metres in the layers' projected CRS (a geographic CRS is
refused: degrees are not distances); with travel ``settings`` the costs are minutes from
`optimizer.travel.table.travel_table` (straight line with detour and speeds, or a road network).
"""

from __future__ import annotations

import math
from collections.abc import Hashable

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from optimizer.errors import DataError
from optimizer.locate.costs import LONG_COLUMNS, CostTable
from optimizer.travel.network import RoadNetwork
from optimizer.travel.table import TravelSettings, travel_table

__all__ = ["from_geodataframes"]


def _ids(layer: gpd.GeoDataFrame, column: str | None, what: str) -> pd.Index:
    ids: pd.Index
    if column is None:
        ids = pd.Index(list(layer.index))
    elif column not in layer.columns:
        raise DataError(
            f"{what} layer: no id column {column!r} (has {list(layer.columns)}); "
            f"pass {what}_id= naming its id column, or None to use the index"
        )
    else:
        ids = pd.Index(layer[column])
    if ids.has_duplicates:
        dup = ids[ids.duplicated()].unique().tolist()[:5]
        raise DataError(f"{what} layer: duplicate ids {dup}; give every point a unique id")
    return ids


def _points(layer: gpd.GeoDataFrame, what: str) -> None:
    if layer.crs is None:
        raise DataError(
            f"{what} layer has no CRS; set it (layer.set_crs(...)) so distances can be measured"
        )
    kinds = set(layer.geometry.geom_type.dropna())
    if kinds - {"Point"} or layer.geometry.isna().any() or layer.geometry.is_empty.any():
        raise DataError(
            f"{what} layer: geometry must be points (got {sorted(kinds) or 'missing'}); "
            "use centroids (layer.geometry.centroid) or representative points"
        )


def from_geodataframes(
    demand: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    *,
    demand_id: str | None = None,
    site_id: str | None = None,
    weight: str | None = None,
    max_cost: float | None = None,
    settings: TravelSettings | None = None,
    travel_mode: str = "motorised",
    origin_setting: pd.Series | None = None,
    network: RoadNetwork | None = None,
) -> CostTable:
    """Build the cost table between a demand layer and a candidate-site layer.

    Parameters
    ----------
    demand, sites : geopandas.GeoDataFrame
        Point layers with a CRS. Without ``settings`` the demand layer's CRS must be projected
        (sites are reprojected to it); with ``settings`` any CRS (they go to ``settings.crs``).
    demand_id, site_id : str, optional
        Id columns; None uses the layers' index.
    weight : str, optional
        Demand weight column (population); None leaves weights to the kernel call.
    max_cost : float, optional
        Keep only pairs costing at most this (metres, or minutes with ``settings``); None keeps
        every pair (straight line) and is not allowed with ``settings``.
    settings : TravelSettings, optional
        Travel settings: costs become minutes from `optimizer.travel.table.travel_table`.
    travel_mode : str
        ``walk``, ``ebike`` or ``motorised`` (with ``settings``).
    origin_setting : pandas.Series, optional
        ``"urban"``/``"rural"`` per demand id (with ``settings``); rural when omitted.
    network : RoadNetwork, optional
        Built road graph, when ``settings`` ask for network travel.

    Returns
    -------
    CostTable
        Pairs ``demand_id``, ``site_id``, ``cost``, every id in layer order, and the weights.

    Raises
    ------
    DataError
        On a missing CRS, a geographic CRS without settings, non-point geometry, a missing or
        duplicated id, or a missing or invalid weight.
    """
    _points(demand, "demand")
    _points(sites, "sites")
    d_ids, s_ids = _ids(demand, demand_id, "demand"), _ids(sites, site_id, "site")
    weights = _weights(demand, weight, d_ids)
    if settings is None:
        table, unit = _straight_line(demand, sites, d_ids, s_ids, max_cost), "metres"
    else:
        if max_cost is None or not (math.isfinite(max_cost) and max_cost > 0):
            raise DataError(
                f"max_cost: got {max_cost!r}; with travel settings give the largest minutes kept"
            )
        frame_d = gpd.GeoDataFrame({"_id": d_ids}, geometry=demand.geometry.values,
                                   crs=demand.crs)
        frame_s = gpd.GeoDataFrame({"_id": s_ids}, geometry=sites.geometry.values, crs=sites.crs)
        times = travel_table(frame_d, frame_s, settings=settings, travel_mode=travel_mode,
                             max_minutes=float(max_cost), origin_id="_id", destination_id="_id",
                             origin_setting=origin_setting, network=network)
        table = pd.DataFrame({"demand_id": times["origin_id"].to_numpy(),
                              "site_id": times["destination_id"].to_numpy(),
                              "cost": times["minutes"].to_numpy(dtype=np.float64)})
        unit = "minutes"
    return CostTable(table[list(LONG_COLUMNS)].reset_index(drop=True), tuple(d_ids),
                     tuple(s_ids), weights, unit)


def _weights(demand: gpd.GeoDataFrame, column: str | None, ids: pd.Index) -> pd.Series | None:
    if column is None:
        return None
    if column not in demand.columns:
        raise DataError(
            f"demand layer: no weight column {column!r} (has {list(demand.columns)}); "
            "pass weight= naming the population column, or None"
        )
    values = pd.to_numeric(demand[column], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"demand layer: row {k}, column {column!r} has weight {demand[column].iloc[k]!r}; "
            "weights must be numbers >= 0"
        )
    return pd.Series(values, index=ids, name=column)


def _straight_line(
    demand: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    d_ids: pd.Index,
    s_ids: pd.Index,
    max_cost: float | None,
) -> pd.DataFrame:
    if not demand.crs.is_projected:
        raise DataError(
            f"demand layer CRS {demand.crs.to_string()} is geographic: straight-line distances "
            "need a projected CRS; reproject (e.g. demand.to_crs('EPSG:4544')) or pass settings"
        )
    sites = sites.to_crs(demand.crs)
    dxy = np.column_stack([demand.geometry.x, demand.geometry.y])
    sxy = np.column_stack([sites.geometry.x, sites.geometry.y])
    if max_cost is None:
        rows = np.repeat(np.arange(len(dxy)), len(sxy))
        cols = np.tile(np.arange(len(sxy)), len(dxy))
        cost = np.sqrt(((dxy[rows] - sxy[cols]) ** 2).sum(axis=1))
    else:
        if not (math.isfinite(max_cost) and max_cost >= 0):
            raise DataError(f"max_cost: got {max_cost!r}; give metres >= 0, or None")
        tree_d, tree_s = cKDTree(dxy), cKDTree(sxy)
        pairs = tree_d.sparse_distance_matrix(tree_s, max_cost, output_type="coo_matrix")
        rows, cols, cost = pairs.row, pairs.col, pairs.data
        # the tree drops zero distances (coincident points): add them back
        zero = tree_d.query_ball_tree(tree_s, 0.0)
        zr = np.asarray([i for i, js in enumerate(zero) for _ in js], dtype=np.int64)
        zc = np.asarray([j for js in zero for j in js], dtype=np.int64)
        rows, cols = np.concatenate([rows, zr]), np.concatenate([cols, zc])
        cost = np.concatenate([cost, np.zeros(len(zr))])
    frame = pd.DataFrame({"r": rows, "c": cols, "cost": cost}).drop_duplicates(["r", "c"])
    frame = frame.sort_values(["r", "c"], kind="stable")
    ids_d: list[Hashable] = list(d_ids.take(frame["r"].to_numpy()))
    ids_s: list[Hashable] = list(s_ids.take(frame["c"].to_numpy()))
    return pd.DataFrame({"demand_id": ids_d, "site_id": ids_s,
                         "cost": frame["cost"].to_numpy(dtype=np.float64)})
