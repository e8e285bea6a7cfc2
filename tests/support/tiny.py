"""The tiny hand-made dataset (three towns, three facilities, three demand points)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
from shapely.geometry import box

# Three 0.1-degree squares side by side near Yongchuan; towns A (urban) B and C (rural).
TOWNS = [
    ("500000001", "甲街道", "Jia Subdistrict", "subdistrict", 5000, box(105.8, 29.3, 105.9, 29.4)),
    ("500000002", "乙镇", "Yi Town", "town", 3000, box(105.9, 29.3, 106.0, 29.4)),
    ("500000003", "丙镇", "Bing Town", "town", 2000, box(106.0, 29.3, 106.1, 29.4)),
]


FACILITIES_CSV = """facility_id,name_zh,tier,town_code,lon,lat,beds,doctors,nurses
H1,区人民医院,secondary_hospital,500000001,105.85,29.35,40,20,30
T2,乙镇卫生院,township_health_centre,500000002,105.95,29.35,8,5,6
T3,丙镇卫生院,township_health_centre,500000003,106.05,29.35,2,3,4
"""


DEMAND_CSV = """demand_id,name_zh,kind,town_code,population,lon,lat
D1,甲社区,community,500000001,5000,105.86,29.36
D2,乙村,village,500000002,3000,105.96,29.36
D3,丙村,village,500000003,2000,106.06,29.31
"""


def write_tiny(folder: Path) -> Path:
    """Write the tiny dataset (towns.geojson, facilities.csv, demand.csv) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    towns = gpd.GeoDataFrame(
        [t[:5] for t in TOWNS],
        columns=["code", "name_zh", "name_en", "kind", "pop_2020"],
        geometry=[t[5] for t in TOWNS],
        crs="EPSG:4326",
    )
    towns.to_file(folder / "towns.geojson", driver="GeoJSON")
    (folder / "facilities.csv").write_text(FACILITIES_CSV, encoding="utf-8")
    (folder / "demand.csv").write_text(DEMAND_CSV, encoding="utf-8")
    return folder
