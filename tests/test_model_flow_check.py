"""Flows checked, not carried: once nobody need be unserved, the later stages drop the flow
rows and each stage's beds are checked by the flow LP (optimizer.model.flow_check); a stage
whose beds would leave residents unserved sends the run back to the flows.

The five-town county (50 000 residents, 375 beds) with 140 residents per bed: the beds serve
52 500, 5 % to spare. The norms ask for far fewer beds (1 per 1000 served at the health
centres, 58.8 at the hospital), so the bed spread would cut toward them (to 188 beds, at the
50 % cut limit); only the flows stop it at 358.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from support.county import DEMAND, TOWNS, write_row_county

from optimizer.jobs.run import run_scenario
from optimizer.model import flow_check

# The hospital's workload: 100 beds at 50 % occupancy need 100 x 0.5 / 0.85 = 58.8 beds.
FACILITIES = """facility_id,name_zh,tier,town_code,lon,lat,beds,doctors,occupancy
H1,区人民医院,secondary_hospital,500000001,105.05,29.35,100,40,0.5
T2,乙镇卫生院,township_health_centre,500000002,105.15,29.35,30,10,
T3,丙镇卫生院,township_health_centre,500000003,105.25,29.33,90,20,
T4,丁镇卫生院,township_health_centre,500000004,105.35,29.37,60,15,
T5,戊镇卫生院,township_health_centre,500000005,105.45,29.35,95,20,
"""

SCENARIO = """
name = "flows"
base_year = 2020
[data]
folder = "county"
[travel]
crs = "EPSG:4544"
[plan]
years = [2025]
levels_year = 2020
[change_limits.beds]
facility_cut_share = {cut}
[need]
tolerance = 0.1
occupancy = 0.85
[[need.norms]]
tiers = ["township_health_centre"]
resource = "beds"
per_1000_served = 1.0
source = "test"
[capacity]
tiers = ["secondary_hospital", "township_health_centre"]
minutes = 120
travel_mode = "motorised"
allow_unmet = true
rules = [{{ resource = "beds", residents_per_unit = 140 }}]
[objective]
order = ["unmet", "need", "shortfall", "spread"]
[solver]
time_limit_s = 30
"""


def run(tmp_path: Path, cut: float) -> pd.DataFrame:
    write_row_county(tmp_path / "county", TOWNS, FACILITIES, DEMAND)
    path = tmp_path / "flows.toml"
    path.write_text(SCENARIO.format(cut=cut), encoding="utf-8")
    summary = run_scenario(path, tmp_path / "out", timings=False)
    assert str(summary.status) == "optimal"
    plan = pd.read_csv(tmp_path / "out" / "plan.csv")
    return plan[plan["resource"].eq("beds") & plan["year"].eq(2025)]


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The least unserved residents each flow check found, in order."""
    found: list[float] = []
    real = flow_check.flows_for

    def spy(*args: object, **kwargs: object) -> tuple[float, dict[str, float]]:
        result = real(*args, **kwargs)  # type: ignore[arg-type]
        found.append(result[0])
        return result

    monkeypatch.setattr("optimizer.model.stages.flows_for", spy)
    return found


def test_the_bed_spread_stops_where_the_flows_need_the_beds(tmp_path: Path,
                                                            checks: list[float]) -> None:
    beds = run(tmp_path, cut=0.5)
    total = int(beds["after"].sum())
    # everyone served: 140 x beds >= 50 000, and no more beds than that asks are kept
    assert total == math.ceil(50_000 / 140)
    assert checks  # the lazy path ran its checks
    assert any(value > 1e-6 for value in checks)  # and one stage's beds failed them


def test_flows_stay_out_when_no_stage_needs_them(tmp_path: Path, checks: list[float]) -> None:
    """With no cut allowed, every stage's beds serve everyone: the checks pass throughout."""
    beds = run(tmp_path, cut=0.0)
    assert int(beds["after"].sum()) == 375
    assert checks
    assert max(checks) <= 1e-6
