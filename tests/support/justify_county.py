"""A small county for justify, and the rule that a conclusion's numbers come from its tables."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pandas as pd

from support.county import write_row_county

# An urban town 甲 with the hospital, then five rural towns in a row, 0.1 degree wide each
# (about 9.7 km: 19 minutes by car at 40 km/h with the 1.3 detour).
TOWNS = [
    ("500000001", "甲街道", "Jia Subdistrict", "subdistrict", 8000),
    ("500000002", "乙镇", "Yi Town", "town", 6000),
    ("500000003", "丙镇", "Bing Town", "town", 6000),
    ("500000004", "丁镇", "Ding Town", "town", 6000),
    ("500000005", "戊镇", "Wu Town", "town", 6000),
    ("500000006", "己镇", "Ji Town", "town", 6000),
]


FACILITIES = """facility_id,name_zh,tier,town_code,lon,lat,beds,doctors,nurses
H1,区人民医院,secondary_hospital,500000001,105.05,29.35,300,100,150
T2,乙镇卫生院,township_health_centre,500000002,105.15,29.35,60,20,20
T3,丙镇卫生院,township_health_centre,500000003,105.25,29.36,50,15,15
T4,丁镇卫生院,township_health_centre,500000004,105.35,29.34,70,20,20
T5,戊镇卫生院,township_health_centre,500000005,105.45,29.35,40,10,10
T6,己镇卫生院,township_health_centre,500000006,105.55,29.37,55,15,15
"""


# Uneven villages so that the sets differ by every measure; 丙镇's D05 lies next to 丁镇.
DEMAND = [
    ("D01", "500000001", 8000, 105.05, 29.36),
    ("D02", "500000002", 2500, 105.12, 29.31), ("D03", "500000002", 3500, 105.18, 29.38),
    ("D04", "500000003", 4000, 105.22, 29.36), ("D05", "500000003", 2000, 105.295, 29.31),
    ("D06", "500000004", 1500, 105.32, 29.39), ("D07", "500000004", 4500, 105.38, 29.32),
    ("D08", "500000005", 3000, 105.42, 29.38), ("D09", "500000005", 3000, 105.48, 29.31),
    ("D10", "500000006", 5000, 105.53, 29.36), ("D11", "500000006", 1000, 105.58, 29.32),
]


SCENARIO = """
name = "justify_fixture"
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
max = {{ 2025 = 20.0 }}
[sub_centres]
candidates = ["乙镇", "丙镇", "丁镇", "戊镇", "己镇"]
min_count = {low}
max_count = {high}
from_year = 2025
[sub_centres.partners]
"乙镇" = ["丙镇"]
"戊镇" = ["丁镇"]
[services.referral]
tiers = ["sub_centre", "secondary_hospital"]
minutes = 20
travel_mode = "motorised"
population = "rural"
[objective]
order = ["coverage:referral"]
[solver]
time_limit_s = 20
[justify]
aliases = {{ Yizhen = "乙镇" }}
speed_factors = [0.8, 1.0]
detour_factors = [1.3]
thresholds = [15, 20]
within_percent = 5
{justify}
"""


def write_county(folder: Path, *, low: int = 2, high: int = 2, justify_keys: str = "") -> Path:
    """Write the dataset into ``folder/county`` and a scenario; return the scenario path."""
    write_row_county(folder / "county", TOWNS, FACILITIES, DEMAND)
    path = folder / "fixture.toml"
    path.write_text(SCENARIO.format(low=low, high=high, justify=justify_keys), encoding="utf-8")
    return path


NUMBER = re.compile(r"(?<![0-9A-Za-z.,])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")


def allowed_numbers(out: Path, facts: dict[str, Any]) -> set[str]:
    """Every number the tables and facts hold, in each of the conclusion's formats."""
    allowed: set[str] = set()

    def add(value: Any) -> None:
        if isinstance(value, bool) or value is None:
            return
        if isinstance(value, int | float) and math.isfinite(value):
            for text in (f"{value:,.0f}", f"{value:.1f}", f"{value:.2f}", f"{value:g}",
                         f"{-value:,.0f}", f"{-value:.1f}"):
                allowed.add(text)
        elif isinstance(value, dict):
            for v in value.values():
                add(v)
        elif isinstance(value, list):
            for v in value:
                add(v)

    for name in ("ranking.csv", "marginal.csv", "robustness.csv", "pairings.csv"):
        frame = pd.read_csv(out / name)
        for column in frame.select_dtypes("number").columns:
            for value in frame[column].dropna():
                add(float(value))
    add({k: v for k, v in facts.items() if k != "conclusion"})
    return allowed
