"""Benchmark: travel-time tables for 100 000 x 2 000 and 20 000 x 1 000 points within 30 minutes.

Seeded random demand points and facilities in a 60 x 60 km square (EPSG:4544, handed over in
WGS84 as loaded, so projection is timed too), half the demand urban. Run with
``.venv/bin/python benchmarks/bench_travel.py [--network]``; ``--network`` also times road-network
tables on a 60 x 60 km grid of roads every 1 km.
"""

from __future__ import annotations

import argparse
import itertools
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from optimizer.travel.network import build_network
from optimizer.travel.table import TravelSettings, travel_table

SIDE_M = 60_000.0
OFFSET = np.array([470_000.0, 3_270_000.0])


def layer(xy: np.ndarray, prefix: str, id_column: str) -> gpd.GeoDataFrame:
    ids = [f"{prefix}{k:06d}" for k in range(len(xy))]
    geometry = gpd.GeoSeries(shapely.points(xy + OFFSET), crs="EPSG:4544").to_crs("EPSG:4326")
    return gpd.GeoDataFrame({id_column: ids}, geometry=geometry)


def grid_roads(spacing_m: float) -> gpd.GeoDataFrame:
    """A grid of roads split at every crossing (as real road data is), every fifth at 60 km/h."""
    ticks = np.arange(0.0, SIDE_M + 1, spacing_m)
    lines, speed = [], []
    for k, t in enumerate(ticks):
        for a, b in itertools.pairwise(ticks):
            lines += [shapely.LineString([(t, a), (t, b)]), shapely.LineString([(a, t), (b, t)])]
            speed += [60.0 if k % 5 == 0 else 30.0] * 2
    geometry = gpd.GeoSeries(lines, crs="EPSG:4544").translate(*OFFSET).to_crs("EPSG:4326")
    return gpd.GeoDataFrame({"speed_kmh": speed}, geometry=geometry)


def bench(n_demand: int, n_facilities: int, settings: TravelSettings, travel_mode: str,
          network: object = None) -> None:
    rng = np.random.default_rng(20250101 + n_demand)
    demand = layer(rng.uniform(0, SIDE_M, (n_demand, 2)), "D", "demand_id")
    facilities = layer(rng.uniform(0, SIDE_M, (n_facilities, 2)), "F", "facility_id")
    setting = pd.Series(np.where(np.arange(n_demand) % 2 == 0, "urban", "rural"),
                        index=demand["demand_id"])
    start = time.perf_counter()
    table = travel_table(demand, facilities, settings=settings, travel_mode=travel_mode,
                         max_minutes=30, origin_setting=setting,
                         network=network)  # type: ignore[arg-type]
    seconds = time.perf_counter() - start
    print(f"{settings.mode:13s} {travel_mode:9s} {n_demand:>7,d} x {n_facilities:>5,d} "
          f"<= 30 min: {len(table):>11,d} pairs in {seconds:6.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--network", action="store_true", help="also time network tables")
    args = parser.parse_args()
    straight = TravelSettings()
    for n_demand, n_facilities in ((20_000, 1_000), (100_000, 2_000)):
        for travel_mode in ("ebike", "motorised"):
            bench(n_demand, n_facilities, straight, travel_mode)
    if args.network:
        settings = TravelSettings(mode="network", segment_max_m=250.0)
        start = time.perf_counter()
        network = build_network(grid_roads(1000.0), settings)
        print(f"road graph: {network.n_nodes:,d} nodes, {len(network.edge_u):,d} edges in "
              f"{time.perf_counter() - start:.2f} s")
        for n_demand, n_facilities in ((20_000, 1_000), (100_000, 2_000)):
            bench(n_demand, n_facilities, settings, "ebike", network)


if __name__ == "__main__":
    main()
