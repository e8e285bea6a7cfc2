"""A small county for the allocation model: towns, facilities, demand and a scenario."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
from shapely.geometry import box

# Town A (urban, with the hospital) and four rural towns B-E, 0.1 degree wide each.
TOWNS = [
    ("500000001", "甲街道", "Jia Subdistrict", "subdistrict", 10000),
    ("500000002", "乙镇", "Yi Town", "town", 10000),
    ("500000003", "丙镇", "Bing Town", "town", 10000),
    ("500000004", "丁镇", "Ding Town", "town", 10000),
    ("500000005", "戊镇", "Wu Town", "town", 10000),
]


# Health-centre beds 30/90/60/95: upgrading to 100 beds needs 70/10/40/5 more.
FACILITIES = """facility_id,name_zh,tier,town_code,lon,lat,beds,doctors,nurses
H1,区人民医院,secondary_hospital,500000001,105.05,29.35,100,40,60
T2,乙镇卫生院,township_health_centre,500000002,105.15,29.35,30,10,10
T3,丙镇卫生院,township_health_centre,500000003,105.25,29.33,90,20,20
T4,丁镇卫生院,township_health_centre,500000004,105.35,29.37,60,15,15
T5,戊镇卫生院,township_health_centre,500000005,105.45,29.35,95,20,20
"""


# Demand points at uneven positions and sizes so that the sets of sites differ in coverage.
DEMAND = [
    ("D01", "500000001", 10000, 105.05, 29.35),
    ("D02", "500000002", 4000, 105.12, 29.31), ("D03", "500000002", 6000, 105.18, 29.38),
    ("D04", "500000003", 7000, 105.22, 29.36), ("D05", "500000003", 3000, 105.28, 29.31),
    ("D06", "500000004", 2500, 105.32, 29.39), ("D07", "500000004", 7500, 105.38, 29.32),
    ("D08", "500000005", 5000, 105.42, 29.38), ("D09", "500000005", 5000, 105.48, 29.31),
]


SCENARIO = """
name = "oracle"
base_year = 2020
[data]
folder = "county"
[travel]
crs = "EPSG:4544"
[population]
growth_per_year = 0.0
[plan]
years = [2025]
levels_year = 2020
[policy.beds]
max = {{ 2025 = {cap} }}
[sub_centres]
candidates = ["乙镇", "丙镇", "丁镇", "戊镇"]
min_count = 2
max_count = 2
from_year = 2025
[sub_centres.standard]
min_level = {{ beds = 100 }}
[change_limits.beds]
facility_cut_share = 0.0
[costs]
sub_centre_upgrade = {upgrade}
per_unit_added = {{ beds = 1 }}
{budget}
[services.referral]
tiers = ["sub_centre", "secondary_hospital"]
minutes = {minutes}
travel_mode = "motorised"
population = "rural"
[objective]
order = ["coverage:referral", "cost", "changes"]
[solver]
time_limit_s = 20
"""


def write_county(folder: Path, *, cap: float = 8.5, minutes: float = 12.0,
                 budget: float | None = None, upgrade: float = 0.0) -> Path:
    """Write the dataset into ``folder/county`` and a scenario; return the scenario path."""
    write_row_county(folder / "county", TOWNS, FACILITIES, DEMAND)
    text = SCENARIO.format(cap=cap, minutes=minutes, upgrade=upgrade,
                           budget="" if budget is None else f"budget = {budget}")
    path = folder / "oracle.toml"
    path.write_text(text, encoding="utf-8")
    return path


def write_row_county(data: Path, towns: Sequence[tuple[object, ...]], facilities_csv: str,
                     demand: Sequence[tuple[str, str, int, float, float]] | str, *,
                     town_columns: Sequence[str] = ()) -> Path:
    """Write a county of towns in a row (0.1-degree squares from 105 E) into the folder ``data``.

    ``towns`` rows are (code, name_zh, name_en, kind, pop_2020, *town_columns); ``demand`` is
    the text of ``demand.csv``, or rows (demand_id, town_code, population, lon, lat), each a
    village named after its id. The one builder of the small counties the model, justify and
    uncertainty tests use.
    """
    data.mkdir(parents=True, exist_ok=True)
    layer = gpd.GeoDataFrame(
        list(towns), columns=["code", "name_zh", "name_en", "kind", "pop_2020", *town_columns],
        geometry=[box(105.0 + 0.1 * i, 29.3, 105.1 + 0.1 * i, 29.4) for i in range(len(towns))],
        crs="EPSG:4326",
    )
    layer.to_file(data / "towns.geojson", driver="GeoJSON")
    (data / "facilities.csv").write_text(facilities_csv, encoding="utf-8")
    if isinstance(demand, str):
        (data / "demand.csv").write_text(demand, encoding="utf-8")
        return data
    lines = ["demand_id,name_zh,kind,town_code,population,lon,lat"]
    lines += [f"{d},{d}村,village,{t},{p},{x},{y}" for d, t, p, x, y in demand]
    (data / "demand.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return data
