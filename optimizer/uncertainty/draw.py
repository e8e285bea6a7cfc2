"""One draw: sample the uncertain inputs, recompute travel and coverage, rank every set.

Draw ``i`` of root seed ``s`` takes each input component ``c`` from its own generator,
``numpy.random.SeedSequence(s, spawn_key=(i, c))`` (the ``i``-th child of
``SeedSequence(s).spawn``, split once more by component), so a draw is the same whatever the
worker, the order or the number of draws, and "only input group G uncertain" reuses draw
``i``'s own values of G (:func:`mix`).

Travel is dense numpy in straight-line mode (points x facilities: distance x detour / speed of
the origin's setting, as :func:`optimizer.travel.table.travel_table` computes it pair by pair); a
network draw calls :func:`~optimizer.travel.table.travel_table` on a graph built with the draw's
speeds. The ranking is :func:`optimizer.justify.measures.measure_values` over every admissible
set at once (a gather and a minimum; no solver).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from optimizer.config.travel import NETWORK, STRAIGHT_LINE, TravelSettings
from optimizer.config.uncertainty import Distribution
from optimizer.justify.measures import MEASURES, SENSES, LocationData, measure_values, set_minutes
from optimizer.justify.ranking import compare
from optimizer.travel.network import RoadNetwork, build_network
from optimizer.travel.table import TRAVEL_MODES, travel_table
from optimizer.uncertainty.base import DrawBase

__all__ = ["COMPONENTS", "DrawInputs", "evaluate", "groups", "mix", "nominal_inputs",
           "sample_inputs"]

FloatArray = npt.NDArray[np.float64]
COMPONENTS = ("detour_factor", "speed_factor", "threshold_minutes", "travel_model",
              "town_growth", "town_populations", "village_populations", "demand_positions",
              "facility_positions")
_FAR_MINUTES = 24 * 60.0
MOTORISED = "motorised"  # the travel mode that drives the roads


@dataclass(frozen=True, eq=False)
class DrawInputs:
    """The values of every uncertain input in one draw."""

    detour: float
    speed: dict[str, float]
    threshold: float
    network: bool
    growth: FloatArray
    town_factor: FloatArray
    point_factor: FloatArray
    demand_xy: FloatArray
    facility_xy: FloatArray


def _rng(seed: int, draw: int, component: str) -> np.random.Generator:
    seq = np.random.SeedSequence(seed, spawn_key=(draw, COMPONENTS.index(component)))
    return np.random.Generator(np.random.PCG64(seq))


def _sample(dist: Distribution, nominal: float, rng: np.random.Generator) -> float:
    kind = dist.distribution
    if dist.certain:
        return nominal
    low = float(dist.low) if dist.low is not None else nominal
    high = float(dist.high) if dist.high is not None else nominal
    sd = float(dist.sd or 0.0)
    if kind == "uniform":
        return float(rng.uniform(low, high))
    if kind == "triangular":
        mode = min(max(dist.mode if dist.mode is not None else nominal, low), high)
        return float(rng.triangular(low, mode, high)) if high > low else low
    if kind == "normal":
        return float(rng.normal(dist.mean if dist.mean is not None else nominal, sd))
    if kind == "lognormal":
        return float(nominal * math.exp(rng.normal(0.0, sd)))
    values = np.asarray(dist.values, dtype=float)
    weights = (np.asarray(dist.weights, dtype=float) if dist.weights is not None
               else np.ones(len(values)))
    return float(rng.choice(values, p=weights / weights.sum()))


def nominal_inputs(base: DrawBase) -> DrawInputs:
    """The scenario's own values: a draw with nothing uncertain."""
    return DrawInputs(
        detour=base.settings.detour_factor, speed=dict.fromkeys(TRAVEL_MODES, 1.0),
        threshold=base.spec.minutes, network=base.settings.mode == "network",
        growth=np.ones(len(base.towns)), town_factor=np.ones(len(base.towns)),
        point_factor=np.ones(len(base.demand_ids)), demand_xy=base.demand_xy,
        facility_xy=base.facility_xy)


def _disc(rng: np.random.Generator, radius: FloatArray) -> FloatArray:
    u = rng.random((len(radius), 2))
    r = radius * np.sqrt(u[:, 0])
    theta = 2 * np.pi * u[:, 1]
    out: FloatArray = np.column_stack([r * np.cos(theta), r * np.sin(theta)])
    return out


def sample_inputs(base: DrawBase, seed: int, draw: int) -> DrawInputs:
    """Every uncertain input of draw ``draw`` (see the module docstring)."""
    section = base.section
    nominal = nominal_inputs(base)
    detour = max(1.0, _sample(section.detour_factor, nominal.detour,
                              _rng(seed, draw, "detour_factor")))
    rng = _rng(seed, draw, "speed_factor")
    speed = {m: max(1e-3, _sample(section.speed_for(m), 1.0, rng)) for m in TRAVEL_MODES}
    threshold = max(1e-6, _sample(section.threshold_minutes, nominal.threshold,
                                  _rng(seed, draw, "threshold_minutes")))
    network = nominal.network
    if section.network_share > 0:
        network = bool(_rng(seed, draw, "travel_model").random() < section.network_share)
    n_towns, n_points = len(base.towns), len(base.demand_ids)
    growth_sd = section.town_growth_sd * base.growth_years
    growth = np.exp(_rng(seed, draw, "town_growth").normal(0.0, 1.0, n_towns) * growth_sd)
    town_factor = np.exp(_rng(seed, draw, "town_populations").normal(0.0, 1.0, n_towns)
                         * base.town_sd)
    point_factor = np.exp(_rng(seed, draw, "village_populations").normal(0.0, 1.0, n_points)
                          * base.point_sd)
    rng = _rng(seed, draw, "demand_positions")
    u = rng.random(n_points)
    counts = np.diff(base.cell_start)
    pick = base.cell_start[:-1] + np.minimum((u * counts).astype(np.int64),
                                             np.maximum(counts - 1, 0))
    has_cell = counts > 0
    demand_xy = base.demand_xy.copy()
    target = base.cell_xy[pick[has_cell]]
    demand_xy[has_cell] += base.cell_scale * (target - base.demand_xy[has_cell])
    demand_xy += _disc(rng, base.point_radius_m)
    rng = _rng(seed, draw, "facility_positions")
    facility_xy = base.facility_xy + _disc(rng, base.facility_radius_m)
    follows = base.facility_follows >= 0
    facility_xy[follows] = demand_xy[base.facility_follows[follows]]
    return DrawInputs(detour, speed, threshold, network, growth, town_factor, point_factor,
                      demand_xy, facility_xy)


def groups(base: DrawBase) -> tuple[str, ...]:
    """The input groups whose uncertainty is attributed, in a fixed order (uncertain only)."""
    section = base.section
    out: list[str] = []
    if not section.detour_factor.certain:
        out.append("detour_factor")
    if any(not section.speed_for(m).certain for m in TRAVEL_MODES):
        out.append("speed_factor")
    if not section.threshold_minutes.certain:
        out.append("threshold_minutes")
    if section.network_share > 0:
        out.append("travel_model")
    if section.town_growth_sd > 0 and base.growth_years > 0:
        out.append("town_growth")
    if (base.town_sd > 0).any():
        out.append("town_populations")
    if (base.point_sd > 0).any():
        out.append("village_populations")
    moved = (np.diff(base.cell_start) > 0) | (base.point_radius_m > 0)
    out += [f"positions:{base.towns[t]}" for t in sorted(set(base.town_index[moved].tolist()))]
    for name in ("hospitals", "health_centres"):
        if any(g == name and r > 0 for g, r in zip(base.facility_group, base.facility_radius_m,
                                                    strict=True)):
            out.append(f"positions:{name}")
    return tuple(out)


def mix(base: DrawBase, drawn: DrawInputs, group: str) -> DrawInputs:
    """The nominal inputs with only ``group`` taken from ``drawn``."""
    nominal = nominal_inputs(base)
    simple = {"detour_factor": "detour", "speed_factor": "speed",
              "threshold_minutes": "threshold", "travel_model": "network",
              "town_growth": "growth", "town_populations": "town_factor",
              "village_populations": "point_factor"}
    if group in simple:
        return replace(nominal, **{simple[group]: getattr(drawn, simple[group])})
    what = group.removeprefix("positions:")
    demand_xy, facility_xy = base.demand_xy.copy(), base.facility_xy.copy()
    if what in ("hospitals", "health_centres"):
        mask = np.asarray([g == what for g in base.facility_group])
        facility_xy[mask] = drawn.facility_xy[mask]
        return replace(nominal, facility_xy=facility_xy)
    points = base.town_index == base.towns.index(what)
    demand_xy[points] = drawn.demand_xy[points]
    follows = base.facility_follows >= 0
    moved = follows.copy()
    moved[follows] = points[base.facility_follows[follows]]
    facility_xy[moved] = drawn.facility_xy[moved]
    return replace(nominal, demand_xy=demand_xy, facility_xy=facility_xy)


def populations(base: DrawBase, inputs: DrawInputs) -> FloatArray:
    """Residents per point: town totals times their factors, split by the point factors.

    The district total stays the nominal (census) total.
    """
    pop = base.population
    town_total = np.bincount(base.town_index, weights=pop, minlength=len(base.towns))
    factor = inputs.town_factor * inputs.growth
    if np.all(factor == 1.0) and np.all(inputs.point_factor == 1.0):
        return pop
    raw = pop * inputs.point_factor
    raw_total = np.bincount(base.town_index, weights=raw, minlength=len(base.towns))
    share = raw / np.where(raw_total > 0, raw_total, 1.0)[base.town_index]
    drawn = share * (town_total * factor)[base.town_index]
    total = drawn.sum()
    out: FloatArray = drawn * (pop.sum() / total) if total > 0 else drawn
    return out


def _straight(base: DrawBase, inputs: DrawInputs, facilities: npt.NDArray[np.int64],
              travel_mode: str) -> FloatArray:
    """(points, facilities) straight-line minutes."""
    speeds = base.settings.speeds_kmh[travel_mode]
    kmh = np.where(base.urban, speeds["urban"], speeds["rural"]) * inputs.speed[travel_mode]
    if not len(facilities):
        return np.full((len(base.demand_ids), 0), np.inf)
    delta = inputs.demand_xy[:, None, :] - inputs.facility_xy[facilities][None, :, :]
    metres = np.sqrt((delta ** 2).sum(axis=2)) * inputs.detour
    out: FloatArray = metres / (kmh * 1000.0 / 60.0)[:, None]
    return out


def draw_settings(base: DrawBase, inputs: DrawInputs) -> TravelSettings:
    """The scenario's travel settings under a draw (what ``--model`` re-optimises with too).

    Each travel mode's speeds times its factor, the road classes' speeds times the motorised
    factor (roads are driven), the draw's detour factor and travel model.
    """
    settings = base.settings
    car = inputs.speed.get(MOTORISED, 1.0)
    return replace(
        settings, mode=NETWORK if inputs.network else STRAIGHT_LINE,
        speeds_kmh={m: {w: v * inputs.speed.get(m, 1.0) for w, v in by.items()}
                    for m, by in settings.speeds_kmh.items()},
        road_speeds_kmh={name: v * car for name, v in settings.road_speeds_kmh.items()},
        detour_factor=inputs.detour)


def draw_roads(base: DrawBase, inputs: DrawInputs) -> gpd.GeoDataFrame | None:
    """The road layer under a draw: its speed column (if any) times the motorised factor."""
    roads = base.roads
    column = base.settings.speed_column
    if roads is None or column not in roads.columns:
        return roads
    car = inputs.speed.get(MOTORISED, 1.0)
    out: gpd.GeoDataFrame = roads.assign(
        **{column: pd.to_numeric(roads[column], errors="coerce") * car})
    return out


def _network(base: DrawBase, inputs: DrawInputs, facilities: npt.NDArray[np.int64],
             travel_mode: str, network: RoadNetwork) -> FloatArray:
    """(points, facilities) road-network minutes by the public travel-table API."""
    settings = draw_settings(base, inputs)
    crs = settings.crs
    demand = gpd.GeoDataFrame({"demand_id": list(base.demand_ids)}, geometry=gpd.points_from_xy(
        inputs.demand_xy[:, 0], inputs.demand_xy[:, 1]), crs=crs)
    ids = [base.facility_ids[j] for j in facilities]
    sites = gpd.GeoDataFrame({"facility_id": ids}, geometry=gpd.points_from_xy(
        inputs.facility_xy[facilities, 0], inputs.facility_xy[facilities, 1]), crs=crs)
    setting = pd.Series(np.where(base.urban, "urban", "rural"), index=list(base.demand_ids))
    table = travel_table(demand, sites, settings=settings, travel_mode=travel_mode,
                         max_minutes=_FAR_MINUTES, origin_setting=setting, network=network)
    out = np.full((len(base.demand_ids), len(ids)), np.inf)
    row = pd.Index(list(base.demand_ids)).get_indexer(pd.Index(table["origin_id"]))
    col = pd.Index(ids).get_indexer(pd.Index(table["destination_id"]))
    out[row, col] = table["minutes"].to_numpy(dtype=np.float64)
    return out


def _minutes(base: DrawBase, inputs: DrawInputs, facilities: npt.NDArray[np.int64],
             travel_mode: str, network: RoadNetwork | None) -> FloatArray:
    if network is not None:
        return _network(base, inputs, facilities, travel_mode, network)
    return _straight(base, inputs, facilities, travel_mode)


def _road_network(base: DrawBase, inputs: DrawInputs) -> RoadNetwork | None:
    """The draw's road graph (one per draw: the travel mode caps speeds only when queried)."""
    roads = draw_roads(base, inputs)
    if not inputs.network or roads is None:
        return None
    return build_network(roads, draw_settings(base, inputs))


def _clean(value: float, digits: int = 6) -> float | None:
    return round(float(value), digits) if math.isfinite(value) else None


def evaluate(base: DrawBase, inputs: DrawInputs, *, coverage: bool = True) -> dict[str, Any]:
    """Rank every set under ``inputs``; with ``coverage``, the gaps per point and town too.

    Returns
    -------
    dict
        ``measures``: per measure the chosen set's value, the best value and set (town codes),
        regret, regret in % and rank; with ``coverage``: ``referral_minutes`` and
        ``primary_minutes`` per point (chosen set; ``None`` when unreachable) and residents
        outside each threshold per town.
    """
    mode = base.spec.travel_mode
    network = _road_network(base, inputs)
    pool_minutes = _minutes(base, inputs, base.pool_facility, mode, network)
    fixed = _minutes(base, inputs, base.fixed_facility, mode, network)
    fixed_minutes = fixed.min(axis=1) if fixed.shape[1] else np.full(len(base.demand_ids),
                                                                      np.inf)
    pop = populations(base, inputs)
    data = LocationData(base.demand_ids, base.town_codes, pop, base.in_scope,
                        base.pool.facility_ids, pool_minutes, fixed_minutes)
    values = measure_values(data, base.sets, inputs.threshold)
    measures: dict[str, Any] = {}
    for name in MEASURES:
        found = compare(name, SENSES[name], base.sets, values[name], base.chosen_row,
                        float(values[name][base.chosen_row]), exhaustive=True)
        measures[name] = {
            "chosen": _clean(found.chosen_value), "best": _clean(found.best_value),
            "best_set": [base.pool.town_codes[p] for p in found.best],
            "regret": _clean(found.regret), "regret_pct": _clean(found.regret_pct),
            "rank": found.rank,
        }
    out: dict[str, Any] = {"measures": measures}
    if not coverage:
        return out
    chosen = base.sets[base.chosen_row: base.chosen_row + 1]
    referral = set_minutes(data, chosen)[:, 0]
    outside_referral = (referral > inputs.threshold + 1e-9) & base.in_scope
    n_towns = len(base.towns)
    out["referral_minutes"] = [_clean(v, 3) for v in referral]
    out["town_outside_referral"] = [_clean(v, 3) for v in np.bincount(
        base.town_index, weights=pop * outside_referral, minlength=n_towns)]
    if base.primary_mode is not None:
        primary = _minutes(base, inputs, base.primary_facility, base.primary_mode, network)
        nearest = primary.min(axis=1) if primary.shape[1] else np.full(len(pop), np.inf)
        out["primary_minutes"] = [_clean(v, 3) for v in nearest]
        out["town_outside_primary"] = [_clean(v, 3) for v in np.bincount(
            base.town_index, weights=pop * (nearest > base.primary_minutes + 1e-9),
            minlength=n_towns)]
    out["population"] = [_clean(v, 3) for v in pop]
    return out


def draw_record(base: DrawBase, seed: int, draw: int, sensitivity: bool) -> dict[str, Any]:
    """The whole result of draw ``draw``: inputs, ranking, coverage, per-group rankings.

    With ``sensitivity``, each input group of :func:`groups` is also ranked alone uncertain.
    """
    inputs = sample_inputs(base, seed, draw)
    record = evaluate(base, inputs)
    record["draw"] = draw
    record["inputs"] = {
        "detour_factor": _clean(inputs.detour), "threshold_minutes": _clean(inputs.threshold),
        "network": inputs.network,
        **{f"speed_factor_{m}": _clean(v) for m, v in sorted(inputs.speed.items())},
    }
    if sensitivity:
        record["groups"] = {
            group: {name: [found["regret_pct"], found["rank"], found["best_set"]]
                    for name, found in evaluate(base, mix(base, inputs, group),
                                                coverage=False)["measures"].items()}
            for group in groups(base)}
    return record


__all__ += ["draw_record", "draw_roads", "draw_settings", "populations"]
