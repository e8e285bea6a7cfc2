"""Location measures of sub-centre sets, vectorised over thousands of sets with numpy.

From the travel table (demand points to the pool's health centres, and to the nearest facility
of the service's fixed tiers), each demand point's time to county-level care under a set S is
``t_k(S) = min(fixed_k, min_{s in S} minutes[k, s])``. Three measures follow, over the
service's population (rural residents when ``[services.<name>] population = "rural"``), with
base-year residents (growth is one factor for all points, so it changes no ranking):

``covered``
    residents with t_k(S) <= T (maximise);
``mean_minutes``
    population-weighted mean of t_k(S) (minimise);
``worst_town_minutes``
    the largest population-weighted mean of t_k(S) over the towns (minimise): the worst-served
    town.

No MIP is needed: sets are rows of an index array and the minimum over a set is one
``ndarray.min`` over a gathered axis, in chunks to bound memory.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
import pandas as pd

from optimizer.dataset.load import Dataset
from optimizer.routing.context import road_network
from optimizer.travel.table import TravelSettings, demand_settings, nearest_table, travel_table

__all__ = ["MEASURES", "SENSES", "LocationData", "location_data", "measure_values",
           "scaled_settings", "set_minutes"]

MEASURES = ("covered", "mean_minutes", "worst_town_minutes")
SENSES: Mapping[str, str] = {"covered": "max", "mean_minutes": "min",
                             "worst_town_minutes": "min"}
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
_CHUNK = 4096
_FAR_MINUTES = 24 * 60.0  # a day: pairs beyond it count as unreachable


@dataclass(frozen=True, eq=False)
class LocationData:
    """Travel minutes from demand points to the pool sites and to the fixed facilities.

    Attributes
    ----------
    demand_ids : tuple of str
        Demand points, sorted.
    town_codes : tuple of str
        Town of each demand point.
    population : numpy.ndarray
        Base-year residents of each point.
    in_scope : numpy.ndarray of bool
        Points the measures count (the service's population).
    site_ids : tuple of str
        Pool facility ids, in pool order.
    minutes : numpy.ndarray
        (points, sites) minutes; ``inf`` when unreachable.
    fixed_minutes : numpy.ndarray
        Minutes to the nearest facility of the fixed tiers (``inf`` when none).
    """

    demand_ids: tuple[str, ...]
    town_codes: tuple[str, ...]
    population: FloatArray
    in_scope: npt.NDArray[np.bool_]
    site_ids: tuple[str, ...]
    minutes: FloatArray
    fixed_minutes: FloatArray


def scaled_settings(settings: TravelSettings, speed_factor: float,
                    detour_factor: float | None) -> TravelSettings:
    """Settings with every speed times ``speed_factor`` and, if given, another detour factor.

    In network mode the road speeds scale too, and the detour factor has no effect.
    """
    speeds = {mode: {where: v * speed_factor for where, v in by.items()}
              for mode, by in settings.speeds_kmh.items()}
    roads = {name: v * speed_factor for name, v in settings.road_speeds_kmh.items()}
    detour = settings.detour_factor if detour_factor is None else detour_factor
    return replace(settings, speeds_kmh=speeds, road_speeds_kmh=roads, detour_factor=detour)


def location_data(dataset: Dataset, settings: TravelSettings, *, travel_mode: str,
                  fixed_tiers: tuple[str, ...], site_ids: tuple[str, ...],
                  rural_only: bool) -> LocationData:
    """Travel minutes from every demand point to the pool sites and the fixed tiers."""
    demand, facilities, towns = dataset.demand, dataset.facilities, dataset.towns
    setting = demand_settings(demand, towns)
    network = road_network(settings, dataset.roads)
    sites = facilities.assign(facility_id=facilities["facility_id"].astype(str))
    pool = sites[sites["facility_id"].isin(site_ids)]
    table = travel_table(demand, pool, settings=settings, travel_mode=travel_mode,
                         max_minutes=_FAR_MINUTES, origin_setting=setting, network=network)
    ids = np.sort(demand["demand_id"].astype(str).to_numpy())
    row = pd.Index(ids).get_indexer(pd.Index(table["origin_id"]))
    col = pd.Index(site_ids).get_indexer(pd.Index(table["destination_id"]))
    minutes = np.full((len(ids), len(site_ids)), np.inf)
    minutes[row, col] = table["minutes"].to_numpy(dtype=np.float64)
    fixed = sites[sites["tier"].isin(fixed_tiers)]
    fixed_minutes = np.full(len(ids), np.inf)
    if len(fixed):
        near = nearest_table(demand, fixed, settings=settings, travel_mode=travel_mode,
                             origin_setting=setting, network=network)
        fixed_minutes = (near.set_index("origin_id")["minutes"].reindex(ids)
                         .to_numpy(dtype=np.float64))
    by_id = demand.assign(demand_id=demand["demand_id"].astype(str)).set_index("demand_id")
    town_codes = by_id["town_code"].astype(str).reindex(ids)
    population = by_id["population"].astype(float).reindex(ids).to_numpy()
    in_scope = (setting.reindex(ids).eq("rural").to_numpy() if rural_only
                else np.ones(len(ids), dtype=bool))
    return LocationData(tuple(ids), tuple(town_codes), population, in_scope, tuple(site_ids),
                        minutes, fixed_minutes)


def set_minutes(data: LocationData, sets: IntArray) -> FloatArray:
    """(points, sets) minutes to the nearest site of each set or fixed facility.

    ``sets`` holds pool positions, one set per row, padded with -1.
    """
    padded = np.column_stack([data.minutes, np.full(len(data.demand_ids), np.inf)])
    cols = np.where(sets < 0, padded.shape[1] - 1, sets)
    nearest = padded[:, cols].min(axis=2) if sets.shape[1] else np.full(
        (len(data.demand_ids), len(sets)), np.inf)
    out: FloatArray = np.minimum(nearest, data.fixed_minutes[:, None])
    return out


def measure_values(data: LocationData, sets: IntArray, threshold_minutes: float
                   ) -> dict[str, FloatArray]:
    """The three measures (see the module docstring) of every set, one array each."""
    scope = data.in_scope
    pop = data.population[scope]
    towns = pd.Index(np.asarray(data.town_codes, dtype=object)[scope])
    codes, town_of = np.unique(towns.to_numpy(dtype=str), return_inverse=True)
    town_pop = np.bincount(town_of, weights=pop, minlength=len(codes))
    weights = np.zeros((len(codes), len(pop)))
    weights[town_of, np.arange(len(pop))] = pop / np.where(town_pop[town_of] > 0,
                                                           town_pop[town_of], 1.0)
    total = pop.sum()
    out = {name: np.empty(len(sets)) for name in MEASURES}
    for start in range(0, len(sets), _CHUNK):
        part = slice(start, start + _CHUNK)
        t = set_minutes(data, sets[part])[scope]
        out["covered"][part] = pop @ (t <= threshold_minutes + 1e-9)
        with np.errstate(invalid="ignore"):
            out["mean_minutes"][part] = (pop @ t) / total if total > 0 else np.nan
            out["worst_town_minutes"][part] = (weights @ t).max(axis=0) if len(codes) else np.nan
    return out


def town_means(data: LocationData, positions: tuple[int, ...]) -> pd.Series:
    """Population-weighted mean minutes per town (in scope) under one set, by town code."""
    sets = np.asarray([positions], dtype=np.int64).reshape(1, len(positions))
    t = set_minutes(data, sets)[:, 0]
    scope = data.in_scope
    frame = pd.DataFrame({"town": np.asarray(data.town_codes)[scope],
                          "pop": data.population[scope], "t": t[scope]})
    frame["w"] = frame["pop"] * frame["t"]
    sums = frame.groupby("town")[["w", "pop"]].sum()
    return (sums["w"] / sums["pop"]).sort_index()


__all__ += ["town_means"]
