"""Need from a norms table, not from today's staffing: a five-town county worked by hand.

Norms (the county's own ``norms.csv``): 0.3 doctors per bed at the hospital (H1, 100 beds: need
30) and 1 per 1000 residents served at a township health centre (10 000 each: need 10). Today's
doctors: H1 40, T2 6, T3 20, T4 15, T5 20 (101). Restating today's staffing as the norm would
give T3 twice T2's need; by the norms they need the same. The floor of 2.5 per 1000 asks for
125 doctors: 24 new posts. T2 is 4 short of its norm, so it gets those first; the other 20 are
spread in proportion to need (30 : 10 : 10 : 10 : 10) over what each already holds above it.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import pandas as pd
import pytest
from support.county import DEMAND, TOWNS, write_row_county

from optimizer.errors import ScenarioError
from optimizer.jobs.run import run_scenario
from optimizer.model.placement import breakpoints

FACILITIES = """facility_id,name_zh,tier,town_code,lon,lat,beds,doctors
H1,区人民医院,secondary_hospital,500000001,105.05,29.35,100,40
T2,乙镇卫生院,township_health_centre,500000002,105.15,29.35,30,6
T3,丙镇卫生院,township_health_centre,500000003,105.25,29.33,30,20
T4,丁镇卫生院,township_health_centre,500000004,105.35,29.37,30,15
T5,戊镇卫生院,township_health_centre,500000005,105.45,29.35,30,20
"""
TODAY = {"H1": 40, "T2": 6, "T3": 20, "T4": 15, "T5": 20}
NEED = {"H1": 30.0, "T2": 10.0, "T3": 10.0, "T4": 10.0, "T5": 10.0}

NORMS = (
    "tiers,specialties,resource,basis,rate,kind,document,clause,derivation\n"
    "secondary_hospital,,doctors,per_bed,0.3,NATIONAL,《测试标准》 (卫测〔2020〕1号),"
    "0.3 doctors per bed,as given\n"
    "township_health_centre,,doctors,per_1000_served,1.0,PROVINCIAL,a provincial test standard,"
    "1 per 1000,as given\n")

SCENARIO = """
name = "norms"
base_year = 2020
[data]
folder = "county"
[travel]
crs = "EPSG:4544"
[plan]
years = [2025]
levels_year = 2020
[policy.doctors]
min = { 2025 = 2.5 }
kind = "binding"
[change_limits.doctors]
facility_cut_share = 0.0
[change_limits.beds]
facility_cut_share = 0.0
facility_increase = 0
[need]
beds = false
norms_file = "norms.csv"
tolerance = 0.1
[objective]
order = ["need", "shortfall", "changes", "spread"]
[solver]
time_limit_s = 30
"""


def county(tmp_path: Path, norms: str = NORMS, scenario: str = SCENARIO) -> Path:
    data = write_row_county(tmp_path / "county", TOWNS, FACILITIES, DEMAND)
    (data / "norms.csv").write_text(norms, encoding="utf-8")
    path = tmp_path / "norms.toml"
    path.write_text(scenario, encoding="utf-8")
    return path


def doctors(out: Path) -> pd.DataFrame:
    plan = pd.read_csv(out / "plan.csv")
    return plan[plan["resource"].eq("doctors") & plan["year"].eq(2025)].set_index("facility_id")


def penalty(level: dict[str, int]) -> int:
    """The spread stage's convex excess, as ``optimizer.model.placement.spread_rows`` builds it:
    whole thresholds round(β·N) above what each facility already held over its need."""
    total = 0
    for fid, need in NEED.items():
        held = math.floor(max(0.0, TODAY[fid] - need))
        total += sum(max(0, level[fid] - held - round(beta * need))
                     for beta in breakpoints(0.1, "doctors"))
    return total


def test_need_is_the_norms_not_todays_staffing(tmp_path: Path) -> None:
    run_scenario(county(tmp_path), tmp_path / "out", timings=False)
    rows = doctors(tmp_path / "out")
    for fid, value in NEED.items():
        assert rows.loc[fid, "need"] == pytest.approx(value)
    # T3 holds twice T2's doctors today; by the norms they need the same
    assert rows.loc["T2", "need"] == rows.loc["T3", "need"]
    assert "卫测〔2020〕1号" in rows.loc["H1", "reason"]  # the reason cites the document


def test_placement_follows_the_norms(tmp_path: Path) -> None:
    """Brute force over every way to place the 24 posts: the model's plan is a best one."""
    run_scenario(county(tmp_path), tmp_path / "out", timings=False)
    level = doctors(tmp_path / "out")["after"].astype(int).to_dict()
    assert sum(level.values()) == 125
    assert level["T2"] >= 10  # the shortfall against the norm is met first
    ids = list(TODAY)
    best, found = math.inf, []
    for cut in itertools.combinations(range(24 + len(ids) - 1), len(ids) - 1):
        bounds = (-1, *cut, 24 + len(ids) - 1)
        added = [bounds[k + 1] - bounds[k] - 1 for k in range(len(ids))]
        plan = {fid: TODAY[fid] + a for fid, a in zip(ids, added, strict=True)}
        if plan["T2"] < 10:  # need and shortfall stages: every need met
            continue
        value = penalty(plan)
        if value < best:
            best, found = value, [plan]
        elif value == best:
            found.append(plan)
    assert level in found, (level, best, penalty(level))
    gained = {fid: level[fid] - TODAY[fid] for fid in ids}
    # in proportion to need: the hospital (need 30) about three times each centre (need 10)
    assert 7 <= gained["H1"] <= 10
    assert all(2 <= gained[f] <= 3 for f in ("T3", "T4", "T5"))


def test_a_norms_table_row_with_a_bad_basis_names_row_and_column(tmp_path: Path) -> None:
    bad = NORMS.replace("per_1000_served,1.0", "per_resident,1.0")
    with pytest.raises(ScenarioError, match=r"norms.csv, row 3, column basis: 'per_resident'"):
        run_scenario(county(tmp_path, norms=bad), tmp_path / "out", timings=False)


def test_a_norms_file_outside_the_data_folder_is_refused(tmp_path: Path) -> None:
    scenario = SCENARIO.replace('norms_file = "norms.csv"', 'norms_file = "../norms.csv"')
    with pytest.raises(ScenarioError, match="not inside the data folder"):
        run_scenario(county(tmp_path, scenario=scenario), tmp_path / "out", timings=False)


# County-hired, township-used: H1's recruits (its norm asks for 50 doctors, it has 40) are to
# serve at grassroots; the urban community health centre C1 is the furthest below its need.
HIRED_FACILITIES = FACILITIES.replace("beds,doctors\nH1,区人民医院,secondary_hospital,500000001,"
                                      "105.05,29.35,100,40", "beds,doctors\nH1,区人民医院,"
                                      "secondary_hospital,500000001,105.05,29.35,100,40\n"
                                      "C1,甲街道社区卫生服务中心,community_health_centre,"
                                      "500000001,105.05,29.36,0,2")
HIRED_NORMS = NORMS.replace("secondary_hospital,,doctors,per_bed,0.3",
                            "secondary_hospital,,doctors,per_bed,0.5").replace(
    "township_health_centre,,doctors", "township_health_centre;community_health_centre,,doctors")
HIRED = SCENARIO.replace("min = { 2025 = 2.5 }", "min = { 2025 = 2.0 }") + """
[county_hired]
share = 0.8
resource = "doctors"
hospitals = ["区人民医院"]
{tiers}
"""


def hired(tmp_path: Path, tiers: str) -> pd.DataFrame:
    data = write_row_county(tmp_path / "county", TOWNS, HIRED_FACILITIES, DEMAND)
    (data / "norms.csv").write_text(HIRED_NORMS, encoding="utf-8")
    path = tmp_path / "hired.toml"
    path.write_text(HIRED.replace("{tiers}", tiers), encoding="utf-8")
    run_scenario(path, tmp_path / "out", timings=False)
    table = pd.read_csv(tmp_path / "out" / "county_hired.csv", encoding="utf-8-sig")
    return table[table["role"].eq("serves") & table["seconded"].gt(0)]


def test_county_hired_doctors_serve_township_health_centres(tmp_path: Path) -> None:
    """By default (the reform's purpose) seconded doctors serve township health centres and
    sub-centres, not the urban community centre, although it is the furthest below need."""
    serving = hired(tmp_path, "")
    assert int(serving["seconded"].sum()) >= 2  # 10 recruits over 5 years: 0.8 x 2 a year
    assert set(serving["facility_id"]) <= {"T2", "T3", "T4", "T5"}


def test_the_tiers_that_take_seconded_doctors_are_a_scenario_key(tmp_path: Path) -> None:
    serving = hired(tmp_path, 'grassroots_tiers = ["community_health_centre"]')
    assert set(serving["facility_id"]) == {"C1"}
