"""Hand-written run and coverage output folders for report tests."""

from __future__ import annotations

import json
from pathlib import Path

PLAN = """facility_id,name_zh,town_code,tier,year,resource,before,after,change
H1,区人民医院,500000001,secondary_hospital,2025,beds,40,40,0
H1,区人民医院,500000001,secondary_hospital,2025,doctors,20,20,0
H1,区人民医院,500000001,secondary_hospital,2030,beds,40,33,-7
H1,区人民医院,500000001,secondary_hospital,2030,doctors,20,21,1
T2,乙镇卫生院,500000002,township_health_centre,2025,beds,8,8,0
T2,乙镇卫生院,500000002,township_health_centre,2025,doctors,5,5,0
T2,乙镇卫生院,500000002,township_health_centre,2030,beds,8,8,0
T2,乙镇卫生院,500000002,township_health_centre,2030,doctors,5,6,1
T3,丙镇卫生院,500000003,township_health_centre,2025,beds,2,2,0
T3,丙镇卫生院,500000003,township_health_centre,2025,doctors,3,3,0
T3,丙镇卫生院,500000003,sub_centre,2030,beds,2,9,7
T3,丙镇卫生院,500000003,sub_centre,2030,doctors,3,4,1
"""


TOWNS = """town_code,name_zh,year,population,beds,beds_per_1000,doctors,doctors_per_1000,\
covered_share_primary
500000001,甲街道,2025,5000,40,8.0,20,4.0,1.0
500000001,甲街道,2030,5100,33,6.470588,21,4.117647,1.0
500000002,乙镇,2025,3000,8,2.666667,5,1.666667,0.4
500000002,乙镇,2030,3050,8,2.622951,6,1.967213,0.9
500000003,丙镇,2025,2000,2,1.0,3,1.5,0.0
500000003,丙镇,2030,2020,9,4.455446,4,1.980198,0.75
"""


INDICATORS = """indicator,year,kind,resource,per,sense,target,achieved,met,shortfall,\
shortfall_pct,note
beds per 1000 (cap),2025,binding,beds,1000,<=,5.0,5.0,True,0,0,tiny plan
beds per 1000 (cap),2030,binding,beds,1000,<=,4.9,4.909,False,0.009,0.18,tiny plan
doctors per 1000 (floor),2030,expected,doctors,1000,>=,3.0,3.1,True,0,0,tiny plan
gps per 10000 in every town (floor),2030,expected,gps,10000 in every town,>=,2,2,True,0,0,tiny plan
sub-centres (minimum count),2030,binding,,,>=,1,1,True,0,0,tiny plan
"""


SUMMARY = {
    "scenario": "tiny_2030",
    "description": "Tiny county: one sub-centre at 丙镇",
    "status": "optimal",
    "gap": 0.0,
    "years": [2025, 2030],
    "population": {"2025": 10000, "2030": 10170},
    "sub_centres": [{"facility_id": "T3", "name_zh": "丙镇卫生院", "town_code": "500000003",
                     "town": "丙镇", "fixed_by_scenario": False, "partners": ["乙镇"]}],
    "central_village_clinics": {"2030": {"count": 0, "facility_ids": []}},
    "coverage_shares": {"primary (all, 15 min)": {"2025": 0.62, "2030": 0.926}},
    "cost": {"value": 123.0, "unit": "10k CNY"},
}


COVERAGE = """demand_id,town_code,name_zh,population,nearest_primary_facility_id,\
nearest_primary_minutes,covered_primary_15
D1,500000001,甲社区,5000.000,H1,1.000,True
D2,500000002,乙村,3000.000,T2,20.000,False
D3,500000003,丙村,2000.000,T3,25.000,False
"""


TOWNS_COVERAGE = """town_code,name_zh,population,demand_points,covered_population_primary_15,\
covered_share_primary_15
500000001,甲街道,5000.000,1,5000.000,1.000
500000002,乙镇,3000.000,1,0.000,0.000
500000003,丙镇,2000.000,1,0.000,0.000
"""


COVERAGE_SUMMARY = {
    "mode": "straight_line", "thresholds": {"primary": [15.0]},
    "total_residents": 10000.0, "total_villages": 3,
    "outside": [{"group": "primary", "threshold_minutes": 15.0, "residents": 5000.0,
                 "share_residents": 0.5, "villages": 2}],
    "settings": {"crs": "EPSG:32648"},
}


def make_run(folder: Path, *, coverage: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "plan.csv").write_text(PLAN, encoding="utf-8")
    (folder / "towns.csv").write_text(TOWNS, encoding="utf-8")
    (folder / "indicators.csv").write_text(INDICATORS, encoding="utf-8")
    (folder / "summary.json").write_text(json.dumps(SUMMARY, ensure_ascii=False),
                                         encoding="utf-8")
    if coverage:
        make_coverage(folder / "coverage")
    return folder


def make_coverage(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "coverage.csv").write_text(COVERAGE, encoding="utf-8")
    (folder / "towns_coverage.csv").write_text(TOWNS_COVERAGE, encoding="utf-8")
    (folder / "summary.json").write_text(json.dumps(COVERAGE_SUMMARY), encoding="utf-8")
    return folder
