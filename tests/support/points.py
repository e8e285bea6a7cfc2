"""Hand-placed demand points and facilities in projected metres, for coverage and service areas."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

URBAN, RURAL = "500118001", "500118101"
OFFSET = np.array([500_000.0, 3_300_000.0])  # EPSG:4544 metres near Yongchuan


def to_wgs84(xy: list[tuple[float, float]] | np.ndarray) -> gpd.GeoSeries:
    coords = np.asarray(xy, dtype=float).reshape(-1, 2) + OFFSET
    return gpd.GeoSeries(shapely.points(coords), crs="EPSG:4544").to_crs("EPSG:4326")


def make_towns() -> gpd.GeoDataFrame:
    """T1 urban (x < 3 km), T2 rural (x >= 3 km), as polygons."""
    boxes = [shapely.box(-3000, -5000, 3000, 5000), shapely.box(3000, -5000, 25000, 5000)]
    geometry = gpd.GeoSeries(
        [shapely.affinity.translate(b, *OFFSET) for b in boxes], crs="EPSG:4544"
    ).to_crs("EPSG:4326")
    return gpd.GeoDataFrame(
        {"code": [URBAN, RURAL], "name_zh": ["城区街道", "乡镇"], "name_en": ["Urban", "Rural"],
         "kind": ["subdistrict", "town"], "pop_2020": [1000, 800]},
        geometry=geometry,
    )


def make_demand() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"demand_id": ["d1", "d2", "d3"], "town_code": [URBAN, RURAL, RURAL],
         "name_zh": ["社区一", "村二", "村三"], "kind": ["community", "village", "village"],
         "population": [1000.0, 500.0, 300.0]},
        geometry=to_wgs84([(0, 0), (6000, 0), (20000, 0)]),
    )


def make_facilities() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"facility_id": ["vc1", "thc2", "h1"], "name_zh": ["村卫生室", "卫生院", "医院"],
         "tier": ["village_clinic", "township_health_centre", "secondary_hospital"],
         "town_code": [URBAN, RURAL, URBAN], "beds": [0, 20, 100], "doctors": [1, 5, 40],
         "nurses": [0, 6, 50], "gps": [1, 2, 0], "public_health_staff": [0, 1, 2]},
        geometry=to_wgs84([(0, 1500), (6000, 2000), (0, 3000)]),
    )
