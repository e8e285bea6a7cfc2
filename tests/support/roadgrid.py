"""A synthetic road layer over the shipped county, for network-mode tests of every command.

A grid of straight roads every ``spacing_m`` over the towns' extent (EPSG:4544), split at every
crossing as real road data is; every fifth line is a county road (40 km/h), the rest village
roads (20 km/h); one line is one-way. Saved as a GeoPackage outside the data folder, with an
``osm_id`` column so the OpenStreetMap attribution is exercised.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

ROOT = Path(__file__).resolve().parents[2]


def write_grid_roads(path: Path, spacing_m: float = 2000.0) -> Path:
    """Write the grid to ``path`` (a .gpkg) and return it."""
    towns = gpd.read_file(ROOT / "data" / "towns.geojson").to_crs("EPSG:4544")
    x0, y0, x1, y1 = towns.total_bounds
    xs = np.arange(x0 - spacing_m, x1 + 2 * spacing_m, spacing_m)
    ys = np.arange(y0 - spacing_m, y1 + 2 * spacing_m, spacing_m)
    lines, road_class, oneway = [], [], []
    for k, x in enumerate(xs):
        for a, b in itertools.pairwise(ys):
            lines.append(shapely.LineString([(x, a), (x, b)]))
            road_class.append("county" if k % 5 == 0 else "village")
            oneway.append("yes" if k == 3 else "no")
    for k, y in enumerate(ys):
        for a, b in itertools.pairwise(xs):
            lines.append(shapely.LineString([(a, y), (b, y)]))
            road_class.append("county" if k % 5 == 0 else "village")
            oneway.append("no")
    frame = gpd.GeoDataFrame(
        {"osm_id": np.arange(1, len(lines) + 1), "road_class": road_class, "oneway": oneway},
        geometry=gpd.GeoSeries(lines, crs="EPSG:4544"),
    )
    frame.to_file(path, driver="GPKG")
    return path
