"""Benchmark: travel-time tables in straight-line and road-network mode, and their ratio.

Straight-line: seeded random demand points and facilities in a 60 x 60 km square (EPSG:4544,
handed over in WGS84 as loaded, so projection is timed too), 100 000 x 2 000 and 20 000 x 1 000
within 30 minutes. With ``--network``:

* **county**: the shipped Yongchuan data (267 demand points, 237 facilities) on a synthetic
  grid of about 100 000 road edges over the county; "the whole travel table" is every table a
  coverage run asks for (pairs within 30 min for primary care by e-bike and within 60 min for
  referral and 30 min for access by car, and the nearest facility of each tier group by each
  mode), timed with the disk cache off and then again with it warm.
* **large**: 100 000 demand points x 2 000 sites on a grid of about 1 000 000 edges over the
  60 x 60 km square, pairs within 15 and 30 minutes by e-bike and every point's nearest site.

Each road figure is printed with the straight-line time of the same table and their ratio. Run
with ``.venv/bin/python benchmarks/bench_travel.py [--network] [--skip-large]``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from optimizer.dataset.load import load_dataset
from optimizer.travel.network import RoadNetwork, build_network
from optimizer.travel.table import TravelSettings, demand_settings, nearest_table, travel_table

SIDE_M = 60_000.0
OFFSET = np.array([470_000.0, 3_270_000.0])
ROOT = Path(__file__).resolve().parents[1]
T = TypeVar("T")


def layer(xy: np.ndarray, prefix: str, id_column: str) -> gpd.GeoDataFrame:
    ids = [f"{prefix}{k:06d}" for k in range(len(xy))]
    geometry = gpd.GeoSeries(shapely.points(xy), crs="EPSG:4544").to_crs("EPSG:4326")
    return gpd.GeoDataFrame({id_column: ids}, geometry=geometry)


def grid_roads(x0: float, y0: float, x1: float, y1: float, spacing_m: float) -> gpd.GeoDataFrame:
    """A grid of roads split at every crossing, every fifth line at 60 km/h, the rest 30."""
    xs = np.arange(x0, x1 + spacing_m / 2, spacing_m)
    ys = np.arange(y0, y1 + spacing_m / 2, spacing_m)
    vx, vy = np.meshgrid(xs, ys[:-1], indexing="ij")  # vertical pieces
    vertical = np.stack([np.stack([vx, vy], -1), np.stack([vx, vy + spacing_m], -1)], -2)
    hx, hy = np.meshgrid(xs[:-1], ys, indexing="ij")  # horizontal pieces
    horizontal = np.stack([np.stack([hx, hy], -1), np.stack([hx + spacing_m, hy], -1)], -2)
    v_fast = (np.arange(len(xs))[:, None] % 5 == 0) & np.ones(vx.shape, dtype=bool)
    h_fast = (np.arange(len(ys))[None, :] % 5 == 0) & np.ones(hx.shape, dtype=bool)
    coords = np.concatenate([vertical.reshape(-1, 2, 2), horizontal.reshape(-1, 2, 2)])
    fast = np.concatenate([v_fast.ravel(), h_fast.ravel()])
    lines = shapely.linestrings(coords)
    return gpd.GeoDataFrame({"speed_kmh": np.where(fast, 60.0, 30.0)},
                            geometry=gpd.GeoSeries(lines, crs="EPSG:4544"))


def timed(work: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[float, T]:
    """Seconds taken by ``work(*args, **kwargs)``, and its result."""
    start = time.perf_counter()
    result = work(*args, **kwargs)
    return time.perf_counter() - start, result


def straight_line_bench() -> None:
    straight = TravelSettings()
    for n_demand, n_facilities in ((20_000, 1_000), (100_000, 2_000)):
        rng = np.random.default_rng(20250101 + n_demand)
        demand = layer(rng.uniform(0, SIDE_M, (n_demand, 2)) + OFFSET, "D", "demand_id")
        facilities = layer(rng.uniform(0, SIDE_M, (n_facilities, 2)) + OFFSET, "F",
                           "facility_id")
        setting = pd.Series(np.where(np.arange(n_demand) % 2 == 0, "urban", "rural"),
                            index=demand["demand_id"])
        for travel_mode in ("ebike", "motorised"):
            seconds, table = timed(travel_table, demand, facilities, settings=straight,
                                   travel_mode=travel_mode, max_minutes=30,
                                   origin_setting=setting)
            print(f"straight_line {travel_mode:9s} {n_demand:>7,d} x {n_facilities:>5,d} "
                  f"<= 30 min: {len(table):>11,d} pairs in {seconds:6.2f} s")


def _county_tables(settings: TravelSettings, network: RoadNetwork | None) -> int:
    """Every travel table a coverage run of the shipped county asks for; returns the pairs."""
    data = load_dataset([ROOT / "data"])
    setting = demand_settings(data.demand, data.towns)
    pairs = 0
    for travel_mode, minutes in (("ebike", 30.0), ("motorised", 60.0), ("motorised", 30.0)):
        pairs += len(travel_table(data.demand, data.facilities, settings=settings,
                                  travel_mode=travel_mode, max_minutes=minutes,
                                  origin_setting=setting, network=network))
    for travel_mode in ("ebike", "motorised"):
        for tiers in (("township_health_centre", "community_health_centre"),
                      ("secondary_hospital", "tertiary_hospital"), ("village_clinic",)):
            sites = data.facilities[data.facilities["tier"].isin(tiers)]
            pairs += len(nearest_table(data.demand, sites, settings=settings,
                                       travel_mode=travel_mode, origin_setting=setting,
                                       network=network))
    return pairs


def county_bench() -> None:
    towns = gpd.read_file(ROOT / "data" / "towns.geojson").to_crs("EPSG:4544")
    x0, y0, x1, y1 = towns.total_bounds
    settings = TravelSettings(mode="network", segment_max_m=200.0)
    roads = grid_roads(x0 - 2000, y0 - 2000, x1 + 2000, y1 + 2000, 350.0)
    build_s, network = timed(build_network, roads, settings)
    lines_s, _ = timed(_county_tables, TravelSettings(), None)
    os.environ["MEDALLOC_CACHE_DIR"] = "off"
    cold_s, pairs = timed(_county_tables, settings, network)
    with tempfile.TemporaryDirectory() as cache:
        os.environ["MEDALLOC_CACHE_DIR"] = cache
        _county_tables(settings, network)
        warm_s, _ = timed(_county_tables, settings, network)
    os.environ["MEDALLOC_CACHE_DIR"] = "off"
    print(f"county: road graph {network.n_nodes:,d} nodes, {len(network.edge_u):,d} edges, "
          f"built in {build_s:.2f} s")
    print(f"county: whole travel table ({pairs:,d} rows): roads {cold_s:.2f} s (+ graph "
          f"{build_s:.2f} s = {cold_s + build_s:.2f} s), cached {warm_s:.2f} s, straight line "
          f"{lines_s:.2f} s; ratio roads/straight {(cold_s + build_s) / lines_s:.1f}")


def large_bench() -> None:
    os.environ["MEDALLOC_CACHE_DIR"] = "off"
    settings = TravelSettings(mode="network", segment_max_m=200.0)
    roads = grid_roads(OFFSET[0], OFFSET[1], OFFSET[0] + SIDE_M, OFFSET[1] + SIDE_M, 85.0)
    build_s, network = timed(build_network, roads, settings)
    print(f"large: road graph {network.n_nodes:,d} nodes, {len(network.edge_u):,d} edges, "
          f"built in {build_s:.2f} s")
    rng = np.random.default_rng(20250101)
    demand = layer(rng.uniform(0, SIDE_M, (100_000, 2)) + OFFSET, "D", "demand_id")
    sites = layer(rng.uniform(0, SIDE_M, (2_000, 2)) + OFFSET, "F", "facility_id")
    straight = TravelSettings()
    for minutes in (15.0, 30.0):
        road_s, table = timed(travel_table, demand, sites, settings=settings,
                              travel_mode="ebike", max_minutes=minutes, network=network)
        line_s, _ = timed(travel_table, demand, sites, settings=straight, travel_mode="ebike",
                          max_minutes=minutes)
        print(f"large: 100,000 x 2,000 <= {minutes:g} min by e-bike: {len(table):,d} pairs "
              f"in {road_s:.2f} s (+ graph {build_s:.2f} s = {road_s + build_s:.2f} s); "
              f"straight line {line_s:.2f} s; ratio {(road_s + build_s) / line_s:.1f}")
    near_s, _ = timed(nearest_table, demand, sites, settings=settings, travel_mode="ebike",
                      network=network)
    line_s, _ = timed(nearest_table, demand, sites, settings=straight, travel_mode="ebike")
    print(f"large: nearest of 2,000 sites for 100,000 points: {near_s:.2f} s; straight line "
          f"{line_s:.2f} s; ratio {near_s / line_s:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--network", action="store_true", help="also time network tables")
    parser.add_argument("--skip-large", action="store_true",
                        help="skip the 1 000 000-edge case (minutes and several GB)")
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}")
    straight_line_bench()
    if args.network:
        county_bench()
        if not args.skip_large:
            large_bench()


if __name__ == "__main__":
    main()
