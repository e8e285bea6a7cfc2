"""What every draw starts from: projected points, their cells, errors and the sets to rank.

Built once per worker process from the scenario and its data (:func:`prepare_base`): demand
points and facilities in the scenario's projected CRS, each with the error its provenance
names (:mod:`optimizer.uncertainty.errors_table`), the cell of every synthetic point (the grid
points of its town nearer to it than to the town's other points: the rule of ``data/build.py``
that placed it), the pool of sub-centre towns and every admissible set as rows of an index
array. A draw (:mod:`optimizer.uncertainty.draw`) only moves numbers in these arrays.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from optimizer.config.scenario import Scenario
from optimizer.config.uncertainty import UncertaintySection
from optimizer.dataset.load import Dataset
from optimizer.errors import ScenarioError
from optimizer.justify.analysis import ServiceSpec, _chosen_names, service_spec
from optimizer.justify.ranking import set_positions
from optimizer.justify.sites import SitePool, enumerate_sets, resolve_sites, site_pool
from optimizer.travel.table import NETWORK, TravelSettings, demand_settings, point_xy
from optimizer.uncertainty.errors_table import (
    classify_point_population,
    classify_position,
    classify_town_population,
    resolve_errors,
)

__all__ = ["GRID_POINTS", "DrawBase", "prepare_base"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
GRID_POINTS = 400  # grid points per town, as data/build.py places synthetic points


@dataclass(frozen=True, eq=False)
class DrawBase:
    """The nominal inputs of a draw and the errors around them (all arrays by position).

    Attributes
    ----------
    section : UncertaintySection
        What is uncertain.
    settings : TravelSettings
        The scenario's travel settings (nominal).
    spec : ServiceSpec
        The service the sets are ranked on (``[justify] service``).
    pool : SitePool
        The pool towns, their health centres and the chosen positions.
    sets : numpy.ndarray
        Every admissible set (pool positions, padded with -1); ``chosen_row`` is the chosen one.
    demand_ids, town_codes : tuple of str
        Demand points (sorted ids) and the town of each.
    town_index : numpy.ndarray
        Position of each point's town in ``towns``; ``towns`` the sorted town codes.
    urban : numpy.ndarray of bool
        Points in an urban setting (subdistricts).
    population, in_scope : numpy.ndarray
        Nominal residents; points the service counts.
    demand_xy : numpy.ndarray
        (points, 2) projected metres.
    cell_start, cell_xy : numpy.ndarray
        Point k's cell is ``cell_xy[cell_start[k]:cell_start[k + 1]]`` (empty: not synthetic).
    cell_town : numpy.ndarray
        Town position of each point whose position is drawn by its cell, else -1.
    point_radius_m : numpy.ndarray
        Disc radius of points with another estimated position (0: not perturbed).
    cell_scale : float
        ``position.synthetic_cell`` (1.0 = anywhere in the cell).
    town_sd, point_sd : numpy.ndarray
        Log-normal population error of each town and each point (0: sourced).
    facility_ids, facility_tiers : tuple of str
        Facilities used (pool, fixed tiers, primary tiers), sorted by id.
    facility_xy : numpy.ndarray
        Their projected positions.
    facility_radius_m : numpy.ndarray
        Disc radius of each facility's position error (0: not perturbed).
    facility_follows : numpy.ndarray
        The demand point a facility sits on (a synthetic village clinic), else -1.
    facility_group : tuple of str
        ``hospitals`` or ``health_centres`` or ``village_clinics``: the sensitivity group.
    pool_facility, fixed_facility, primary_facility : numpy.ndarray
        Facility positions of the pool (pool order), the fixed tiers and the primary tiers.
    primary_mode : str or None
        Travel mode of the primary-care circle (None: no ``primary`` coverage group).
    primary_minutes : float
        Its threshold.
    growth_years : int
        Years from the base year to the last plan year (town growth compounds over them).
    errors : dict
        The error table in force.
    network : bool
        Roads are configured (network draws possible).
    roads : Any
        The road layer (network draws only).
    """

    section: UncertaintySection
    settings: TravelSettings
    spec: ServiceSpec
    pool: SitePool
    sets: IntArray
    chosen_row: int
    demand_ids: tuple[str, ...]
    town_codes: tuple[str, ...]
    towns: tuple[str, ...]
    town_names: tuple[str, ...]
    town_index: IntArray
    urban: BoolArray
    population: FloatArray
    in_scope: BoolArray
    demand_xy: FloatArray
    cell_start: IntArray
    cell_xy: FloatArray
    cell_town: IntArray
    point_radius_m: FloatArray
    cell_scale: float
    town_sd: FloatArray
    point_sd: FloatArray
    facility_ids: tuple[str, ...]
    facility_tiers: tuple[str, ...]
    facility_xy: FloatArray
    facility_radius_m: FloatArray
    facility_follows: IntArray
    facility_group: tuple[str, ...]
    pool_facility: IntArray
    fixed_facility: IntArray
    primary_facility: IntArray
    primary_mode: str | None
    primary_minutes: float
    growth_years: int
    errors: dict[str, float]
    network: bool
    roads: Any


def _column(frame: pd.DataFrame, name: str) -> list[str | None]:
    if name not in frame.columns:
        return [None] * len(frame)
    return [None if pd.isna(v) else str(v) for v in frame[name]]


def _grid_inside(polygon: Any, n_target: int) -> FloatArray:
    """A regular grid of about ``n_target`` points inside ``polygon`` (as data/build.py)."""
    if polygon is None or polygon.is_empty or polygon.area <= 0:
        return np.empty((0, 2))
    spacing = math.sqrt(polygon.area / n_target)
    minx, miny, maxx, maxy = polygon.bounds
    gx, gy = np.meshgrid(np.arange(minx + spacing / 2, maxx, spacing),
                         np.arange(miny + spacing / 2, maxy, spacing))
    pts = np.column_stack([gx.ravel(), gy.ravel()])
    inside = shapely.contains_xy(polygon, pts[:, 0], pts[:, 1])
    out: FloatArray = pts[inside]
    return out


def _cells(xy: FloatArray, town_index: IntArray, synthetic: BoolArray, polygons: list[Any]
           ) -> tuple[IntArray, FloatArray]:
    """Each synthetic point's cell: its town's grid points nearest to it (CSR arrays)."""
    parts: list[list[FloatArray]] = [[] for _ in range(len(xy))]
    for t, polygon in enumerate(polygons):
        members = np.flatnonzero(town_index == t)
        if not len(members) or not synthetic[members].any():
            continue
        grid = _grid_inside(polygon, GRID_POINTS)
        if not len(grid):
            continue
        _, nearest = cKDTree(xy[members]).query(grid, k=1)
        for local, k in enumerate(members):
            if synthetic[k]:
                parts[k].append(grid[nearest == local])
    counts = np.asarray([sum(len(p) for p in part) for part in parts], dtype=np.int64)
    start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    chunks = [np.concatenate(part) for part in parts if part and sum(len(p) for p in part)]
    cell_xy = np.concatenate(chunks) if chunks else np.empty((0, 2))
    return start, cell_xy.astype(np.float64)


def prepare_base(scenario: Scenario, dataset: Dataset, sites: Any = None) -> DrawBase:
    """Build the base of the draws for ``sites`` (as ``justify`` names them).

    Raises
    ------
    ScenarioError
        Unknown sites, errors table keys, or network draws asked for without roads.
    """
    section = scenario.uncertainty
    try:
        errors = resolve_errors(section.errors)
    except ValueError as err:
        raise ScenarioError(f"{scenario.source}: {err}") from None
    settings = scenario.travel
    has_roads = dataset.roads is not None
    if section.network_share > 0 and not has_roads:
        raise ScenarioError(
            f"{scenario.source}: [uncertainty] network_share = {section.network_share} asks for "
            "road-network draws but the data has no roads layer; add roads (roads.geojson) "
            "or set network_share = 0")
    if settings.mode == NETWORK and not has_roads:
        raise ScenarioError(f"{scenario.source}: [travel] mode = 'network' needs a roads layer")
    given = sites if sites else (section.sites or None)
    codes = resolve_sites(_chosen_names(scenario, given), dataset.towns,
                          aliases=dict(scenario.justify.aliases), where="sites")
    pool = site_pool(scenario, dataset.towns, dataset.facilities, codes)
    spec = service_spec(scenario, settings)
    sets = enumerate_sets(len(pool.town_codes), pool.sizes)
    chosen = tuple(sorted(pool.chosen))
    chosen_row = next(i for i, row in enumerate(sets) if set_positions(row) == chosen)

    towns = dataset.towns.assign(code=dataset.towns["code"].astype(str)).sort_values("code")
    town_list = tuple(towns["code"])
    town_pos = {c: i for i, c in enumerate(town_list)}
    demand = dataset.demand.assign(demand_id=dataset.demand["demand_id"].astype(str))
    demand = demand.sort_values("demand_id", kind="stable").reset_index(drop=True)
    xy = point_xy(demand, settings.crs, layer="demand points")
    setting = demand_settings(demand, dataset.towns).reindex(demand["demand_id"])
    town_codes = demand["town_code"].astype(str).to_numpy()
    town_index = np.asarray([town_pos[c] for c in town_codes], dtype=np.int64)
    provenance = section.positions == "provenance"
    pos_keys = [classify_position(m) if provenance else None
                for m in _column(demand, "position_method")]
    synthetic = np.asarray([k == "position.synthetic_cell" for k in pos_keys], dtype=bool)
    radius = np.asarray([errors[k] if k is not None and not s else 0.0
                         for k, s in zip(pos_keys, synthetic, strict=True)])
    polygons = list(towns.to_crs(settings.crs).geometry)
    start, cell_xy = _cells(xy, town_index, synthetic, polygons)
    has_cell = np.diff(start) > 0
    cell_town = np.where(has_cell, town_index, -1).astype(np.int64)

    by_pop = section.populations == "provenance"
    town_methods = dict(zip(town_list, _column(towns, "pop_method"), strict=True))
    town_sd = np.asarray([errors[k] if by_pop and (k := classify_town_population(
        town_methods[c])) else 0.0 for c in town_list])
    point_sd = np.asarray([errors[k] if by_pop and (k := classify_point_population(m)) else 0.0
                           for m in _column(demand, "population_method")])

    primary_tiers = tuple(scenario.coverage.groups.get("primary", ()))
    facilities = _facilities(dataset, settings, spec, pool, primary_tiers, xy, has_cell,
                             errors, provenance=provenance)
    thresholds = scenario.coverage.thresholds.get("primary", [15.0])
    years = (max(scenario.plan.years) - scenario.base_year) if scenario.plan else 0
    rural_only = spec.rural_only
    in_scope = (setting.eq("rural").to_numpy() if rural_only else np.ones(len(demand), bool))
    return DrawBase(
        section=section, settings=settings, spec=spec, pool=pool, sets=sets,
        chosen_row=chosen_row, demand_ids=tuple(demand["demand_id"]),
        town_codes=tuple(town_codes), towns=town_list,
        town_names=tuple(str(n) for n in towns["name_zh"]), town_index=town_index,
        urban=setting.eq("urban").to_numpy(), population=demand["population"].astype(float)
        .to_numpy(), in_scope=np.asarray(in_scope, dtype=bool), demand_xy=xy,
        cell_start=start, cell_xy=cell_xy, cell_town=cell_town, point_radius_m=radius,
        cell_scale=errors["position.synthetic_cell"], town_sd=town_sd, point_sd=point_sd,
        **facilities,
        primary_mode=settings.travel_mode_for("primary") if primary_tiers else None,
        primary_minutes=float(thresholds[0]), growth_years=max(int(years), 0), errors=errors,
        network=has_roads, roads=dataset.roads,
    )


def _facilities(dataset: Dataset, settings: TravelSettings, spec: ServiceSpec, pool: SitePool,
                primary_tiers: tuple[str, ...], xy: FloatArray, has_cell: BoolArray,
                errors: dict[str, float], *, provenance: bool) -> dict[str, Any]:
    """The facilities a draw measures to, their position errors and roles (DrawBase fields)."""
    fac = dataset.facilities.assign(facility_id=dataset.facilities["facility_id"].astype(str))
    used = set(spec.tiers) | set(primary_tiers)
    fac = fac[fac["tier"].isin(used) | fac["facility_id"].isin(pool.facility_ids)]
    fac = fac.sort_values("facility_id", kind="stable").reset_index(drop=True)
    fxy = point_xy(fac, settings.crs, layer="facilities")
    keys = [classify_position(m) if provenance else None for m in _column(fac, "coord_quality")]
    follows = np.full(len(fac), -1, dtype=np.int64)
    radius = np.zeros(len(fac))
    tree = cKDTree(xy) if len(xy) else None
    for j, key in enumerate(keys):
        kind = key
        if kind == "position.synthetic_cell" and tree is not None:
            dist, k = tree.query(fxy[j], k=1)
            if dist < 1.0 and has_cell[int(k)]:
                follows[j] = int(k)  # a village clinic at its (synthetic) village point
                continue
            kind = "position.estimated"
        if kind is not None:
            radius[j] = errors[kind] if kind != "position.synthetic_cell" else 0.0
    tiers = tuple(str(t) for t in fac["tier"])
    hospital = ("tertiary_hospital", "secondary_hospital", "specialist_hospital")
    ids = tuple(fac["facility_id"])
    index = {f: i for i, f in enumerate(ids)}
    return {
        "facility_ids": ids, "facility_tiers": tiers, "facility_xy": fxy,
        "facility_radius_m": radius, "facility_follows": follows,
        "facility_group": tuple("hospitals" if t in hospital else "village_clinics"
                                if t == "village_clinic" else "health_centres" for t in tiers),
        "pool_facility": np.asarray([index[f] for f in pool.facility_ids], dtype=np.int64),
        "fixed_facility": np.asarray([i for i, t in enumerate(tiers) if t in spec.tiers],
                                     dtype=np.int64),
        "primary_facility": np.asarray([i for i, t in enumerate(tiers) if t in primary_tiers],
                                       dtype=np.int64),
    }
