"""Travel-time tables: long, sparse (origin, destination, distance, minutes) pairs under a cap.

Two ways to get from a demand point (or a facility) to a facility:

* ``straight_line``: ``minutes = euclidean_m * detour_factor / speed``, in a projected CRS. The
  speed depends on the travel mode (walk, e-bike, motorised) and on the *origin's* setting (urban
  when its town's ``kind`` is ``subdistrict``, rural otherwise). Pairs are found with a KD-tree
  radius query (radius = ``max_minutes * fastest speed / detour_factor``) and then filtered with
  each origin's own speed, so no Python loop ever runs over pairs.
* ``network``: shortest paths on user-supplied road lines (:mod:`optimizer.travel.network`
  builds the graph, :mod:`optimizer.routing` snaps points onto edges and searches it,
  with a disk cache).

``distance_m`` is always the distance *travelled*: the detoured straight line in straight-line
mode, off-road legs plus road length in network mode, so ``minutes`` and ``distance_m`` agree on
the speeds used. Tables are sorted by (origin_id, destination_id).

Default speeds (km/h) are deliberately plain so a committee can check them:

============  =====  =====  ==========================================================
travel mode   urban  rural  note
============  =====  =====  ==========================================================
walk          4.5    4.5    adult walking pace; also the pace for reaching a road
ebike         15     15     electric two-wheeler, the common rural means to a clinic
motorised     25     40     car/ambulance/bus; urban congestion makes it slower in towns
============  =====  =====  ==========================================================

Which travel mode serves which purpose is a setting (``travel_modes``): primary care by e-bike
(the "15-minute health service circle" in rural China is read as 15 minutes by the usual local
means, and nearly no village is within 15 minutes' walk of a clinic), referral and 2SFCA
accessibility by motorised transport. Groups not named there use ``default_travel_mode``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyproj
from scipy.spatial import cKDTree

from optimizer.config.travel import (
    NETWORK,
    SETTINGS,
    STRAIGHT_LINE,
    TRAVEL_MODES,
    URBAN_KINDS,
    TravelSettings,
)
from optimizer.errors import DataError, Problem, ScenarioError
from optimizer.routing.cache import cached_arrays, cached_pairs
from optimizer.routing.engine import route_nearest, route_pairs
from optimizer.travel.network import RoadNetwork, sort_pairs

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "NETWORK",
    "SETTINGS",
    "STRAIGHT_LINE",
    "TRAVEL_MODES",
    "TravelSettings",
    "demand_settings",
    "facility_settings",
    "nearest_table",
    "point_xy",
    "straight_line_pairs",
    "travel_table",
]


def point_xy(points: gpd.GeoDataFrame, crs: str, *, layer: str) -> np.ndarray:
    """Return the (n, 2) projected coordinates of a point layer, in its row order.

    Raises
    ------
    ScenarioError
        If ``crs`` is geographic.
    DataError
        If the layer has no CRS, or a geometry is missing or not a point.
    """
    if not pyproj.CRS.from_user_input(crs).is_projected:
        raise ScenarioError(
            f"cannot measure distances in geographic CRS {crs!r}; set the travel crs to a "
            "projected CRS in metres such as 'EPSG:4544'"
        )
    if points.crs is None:
        raise DataError(
            [Problem(layer, "", "geometry", "", "the layer has no CRS",
                     "save it with its CRS (WGS84, EPSG:4326, as loaded)")]
        )
    geom = points.geometry
    bad = ~geom.geom_type.eq("Point").to_numpy() | geom.is_empty.to_numpy()
    if bad.any():
        problems = [
            Problem(layer, f"feature {pos + 1}", "geometry", str(geom.iloc[pos]),
                    "a point geometry is required", "give every row a point location")
            for pos in np.flatnonzero(bad)[:20]
        ]
        raise DataError(problems)
    projected = geom.to_crs(crs)
    return np.column_stack([projected.x.to_numpy(), projected.y.to_numpy()]).astype(np.float64)


def _unique_ids(frame: pd.DataFrame, column: str, layer: str) -> np.ndarray:
    if column not in frame.columns:
        raise DataError([Problem(layer, "", column, "", "the id column is missing",
                                 f"add a '{column}' column")])
    ids = frame[column].astype(str).to_numpy(dtype=object)
    dup = pd.Index(ids).duplicated()
    if dup.any():
        problems = [
            Problem(layer, f"feature {pos + 1}", column, str(ids[pos]), "duplicate id",
                    "give every row its own id")
            for pos in np.flatnonzero(dup)[:20]
        ]
        raise DataError(problems)
    return ids


def _settings_by_town(frame: pd.DataFrame, towns: pd.DataFrame, id_column: str,
                      layer: str) -> pd.Series:
    kind = towns.assign(code=towns["code"].astype(str)).set_index("code")["kind"]
    codes = frame["town_code"].astype(str)
    missing = ~codes.isin(kind.index)
    if missing.any():
        problems = [
            Problem(layer, f"feature {pos + 1}", "town_code", str(codes.iloc[pos]),
                    "the town code is not in the towns layer",
                    "use the 9-digit code of a town in towns")
            for pos in np.flatnonzero(missing.to_numpy())[:20]
        ]
        raise DataError(problems)
    urban = codes.map(kind).isin(URBAN_KINDS).to_numpy()
    return pd.Series(
        np.where(urban, "urban", "rural"),
        index=pd.Index(frame[id_column].astype(str), name=id_column),
        name="setting",
    )


def demand_settings(demand: pd.DataFrame, towns: pd.DataFrame) -> pd.Series:
    """Return ``"urban"``/``"rural"`` per ``demand_id`` from the kind of the point's town."""
    return _settings_by_town(demand, towns, "demand_id", "demand points")


def facility_settings(facilities: pd.DataFrame, towns: pd.DataFrame) -> pd.Series:
    """Return ``"urban"``/``"rural"`` per ``facility_id`` from the kind of the facility's town."""
    return _settings_by_town(facilities, towns, "facility_id", "facilities")


def straight_line_pairs(
    origin_xy: np.ndarray,
    destination_xy: np.ndarray,
    origin_speed_kmh: np.ndarray,
    *,
    detour_factor: float,
    max_minutes: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return every (origin, destination) pair within ``max_minutes`` in straight-line mode.

    Parameters
    ----------
    origin_xy, destination_xy : numpy.ndarray
        Projected coordinates in metres, shapes (n, 2) and (m, 2).
    origin_speed_kmh : numpy.ndarray
        Speed of each origin, shape (n,).
    detour_factor : float
        Travelled over straight-line distance.
    max_minutes : float
        Largest travel time kept (inclusive).

    Returns
    -------
    tuple of numpy.ndarray
        Origin positions, destination positions, travelled ``distance_m`` and ``minutes``,
        sorted by origin then destination position.
    """
    empty = (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0), np.empty(0))
    if len(origin_xy) == 0 or len(destination_xy) == 0:
        return empty
    speed_m_per_min = np.asarray(origin_speed_kmh, dtype=np.float64) * 1000.0 / 60.0
    destination_tree = cKDTree(destination_xy)
    speeds = np.unique(speed_m_per_min)
    # One radius query per distinct speed (urban, rural) keeps the candidate set tight; with
    # many distinct speeds, one query at the fastest speed and a filter.
    per_speed = len(speeds) <= 8
    groups = (
        [(np.flatnonzero(speed_m_per_min == s), float(s)) for s in speeds]
        if per_speed
        else [(np.arange(len(origin_xy)), float(speeds.max()))]
    )
    parts_i, parts_j, parts_d, parts_m = [], [], [], []
    for rows, speed in groups:
        radius_m = max_minutes * speed / detour_factor
        pairs = cKDTree(origin_xy[rows]).sparse_distance_matrix(
            destination_tree, radius_m, output_type="ndarray"
        )
        i = rows[pairs["i"]]
        distance_m = pairs["v"] * detour_factor
        minutes = distance_m / (speed if per_speed else speed_m_per_min[i])
        j = pairs["j"]
        keep = minutes <= max_minutes
        if not keep.all():
            i, j, distance_m, minutes = i[keep], j[keep], distance_m[keep], minutes[keep]
        parts_i.append(i)
        parts_j.append(j)
        parts_d.append(distance_m)
        parts_m.append(minutes)
    i = np.concatenate(parts_i).astype(np.int64, copy=False)
    j = np.concatenate(parts_j).astype(np.int64, copy=False)
    distance_m, minutes = np.concatenate(parts_d), np.concatenate(parts_m)
    pos = sort_pairs(i, j, len(origin_xy), len(destination_xy))
    return i[pos], j[pos], distance_m[pos], minutes[pos]


def _prepare(
    origins: gpd.GeoDataFrame,
    destinations: gpd.GeoDataFrame,
    *,
    origin_id: str,
    destination_id: str,
    origin_setting: pd.Series | None,
    settings: TravelSettings,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    o_ids = _unique_ids(origins, origin_id, "origins")
    d_ids = _unique_ids(destinations, destination_id, "destinations")
    o_order = np.argsort(o_ids.astype(str), kind="stable")
    d_order = np.argsort(d_ids.astype(str), kind="stable")
    o_xy = point_xy(origins, settings.crs, layer="origins")[o_order]
    d_xy = point_xy(destinations, settings.crs, layer="destinations")[d_order]
    o_ids, d_ids = o_ids[o_order], d_ids[d_order]
    if origin_setting is None:
        setting = np.full(len(o_ids), "rural", dtype=object)
    else:
        aligned = origin_setting.reindex(pd.Index(o_ids))
        if aligned.isna().any():
            missing = aligned.index[aligned.isna()][0]
            raise DataError(f"origin {missing!r} has no urban/rural setting")
        setting = aligned.to_numpy(dtype=object)
    return o_ids, o_xy, d_ids, d_xy, setting


def _origin_speeds(setting: np.ndarray, settings: TravelSettings, travel_mode: str) -> np.ndarray:
    if travel_mode not in TRAVEL_MODES:
        raise ScenarioError(f"travel mode {travel_mode!r} is not one of {list(TRAVEL_MODES)}")
    urban = settings.speed_kmh(travel_mode, "urban")
    rural = settings.speed_kmh(travel_mode, "rural")
    return np.where(setting == "urban", urban, rural).astype(np.float64)


def _check_network(settings: TravelSettings, network: RoadNetwork | None) -> RoadNetwork | None:
    if settings.mode == NETWORK and network is None:
        raise ScenarioError(
            "travel mode is 'network' but no roads were given; set [travel] roads to a road "
            "layer, put roads.gpkg in the data folder, or set mode = 'straight_line'"
        )
    return network if settings.mode == NETWORK else None


def _road_params(settings: TravelSettings, travel_mode: str) -> dict[str, Any]:
    return {
        "speed_cap_kmh": settings.max_speed_kmh(travel_mode),
        "offroad_kmh": settings.offroad_speed_kmh(travel_mode),
        # One-way roads bind vehicles (cars and e-bikes); pedestrians use both directions.
        "one_way": travel_mode != "walk",
        "snap_warn_m": settings.snap_warn_m,
    }


def travel_table(
    origins: gpd.GeoDataFrame,
    destinations: gpd.GeoDataFrame,
    *,
    settings: TravelSettings,
    travel_mode: str,
    max_minutes: float,
    origin_id: str = "demand_id",
    destination_id: str = "facility_id",
    origin_setting: pd.Series | None = None,
    network: RoadNetwork | None = None,
) -> pd.DataFrame:
    """Return the long travel-time table of all pairs within ``max_minutes``.

    Parameters
    ----------
    origins, destinations : geopandas.GeoDataFrame
        Point layers with a CRS (any; they are projected to ``settings.crs``).
    settings : TravelSettings
        Mode, CRS, speeds.
    travel_mode : str
        ``walk``, ``ebike`` or ``motorised``.
    max_minutes : float
        Largest travel time kept (inclusive).
    origin_id, destination_id : str
        Id columns.
    origin_setting : pandas.Series, optional
        ``"urban"``/``"rural"`` per origin id (see :func:`demand_settings`); rural when omitted.
    network : RoadNetwork, optional
        Built road graph, required in network mode.

    Returns
    -------
    pandas.DataFrame
        Columns ``origin_id``, ``destination_id``, ``distance_m``, ``minutes``, sorted by
        (origin_id, destination_id).
    """
    if not (np.isfinite(max_minutes) and max_minutes > 0):
        raise ScenarioError(f"max_minutes must be a positive number (got {max_minutes!r})")
    network = _check_network(settings, network)
    o_ids, o_xy, d_ids, d_xy, setting = _prepare(
        origins, destinations, origin_id=origin_id, destination_id=destination_id,
        origin_setting=origin_setting, settings=settings,
    )
    speeds = _origin_speeds(setting, settings, travel_mode)
    if network is None:
        i, j, distance_m, minutes = straight_line_pairs(
            o_xy, d_xy, speeds, detour_factor=settings.detour_factor, max_minutes=max_minutes
        )
    else:
        params = _road_params(settings, travel_mode)
        road = network

        def pairs(cap: float) -> tuple[np.ndarray, ...]:
            return route_pairs(road, o_xy, d_xy, max_minutes=cap, **params)

        i, j, distance_m, minutes = cached_pairs(
            road, (o_xy, d_xy), tuple(params.values()), max_minutes, pairs)
    return pd.DataFrame(
        {
            "origin_id": pd.array(o_ids[i], dtype="str"),
            "destination_id": pd.array(d_ids[j], dtype="str"),
            "distance_m": distance_m,
            "minutes": minutes,
        }
    )


def nearest_table(
    origins: gpd.GeoDataFrame,
    destinations: gpd.GeoDataFrame,
    *,
    settings: TravelSettings,
    travel_mode: str,
    origin_id: str = "demand_id",
    destination_id: str = "facility_id",
    origin_setting: pd.Series | None = None,
    network: RoadNetwork | None = None,
) -> pd.DataFrame:
    """Return the nearest destination (by minutes) of every origin, with no cap.

    Returns
    -------
    pandas.DataFrame
        One row per origin, sorted by ``origin_id``: ``origin_id``, ``destination_id``
        (missing when nothing is reachable), ``distance_m``, ``minutes`` (``inf`` then).
    """
    network = _check_network(settings, network)
    o_ids, o_xy, d_ids, d_xy, setting = _prepare(
        origins, destinations, origin_id=origin_id, destination_id=destination_id,
        origin_setting=origin_setting, settings=settings,
    )
    speeds = _origin_speeds(setting, settings, travel_mode)
    n = len(o_ids)
    j = np.full(n, -1, dtype=np.int64)
    distance_m = np.full(n, np.inf)
    minutes = np.full(n, np.inf)
    if n and len(d_ids):
        if network is None:
            # Speed depends on the origin only, so the nearest in metres is nearest in minutes.
            euclid_m, j = cKDTree(d_xy).query(o_xy, k=1)
            distance_m = euclid_m * settings.detour_factor
            minutes = distance_m / (speeds * 1000.0 / 60.0)
        else:
            params = _road_params(settings, travel_mode)
            road = network

            def nearest() -> tuple[np.ndarray, ...]:
                return route_nearest(road, o_xy, d_xy, **params)

            j, distance_m, minutes = cached_arrays(
                "nearest", road, (o_xy, d_xy), tuple(params.values()), nearest)
    dest = np.full(n, None, dtype=object)
    found = j >= 0
    dest[found] = d_ids[j[found]]
    return pd.DataFrame(
        {
            "origin_id": pd.array(o_ids, dtype="str"),
            "destination_id": pd.array(dest, dtype="str"),
            "distance_m": distance_m,
            "minutes": minutes,
        }
    )
