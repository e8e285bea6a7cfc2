"""Need-driven placement on the five-town county, against need worked out by hand.

Towns A (urban, hospital H1) and B-E (rural health centres T2-T5) have 10 000 residents each.
Norms: 2 doctors per 1000 residents served at a health centre (each serves its own town: need
20) and 3 per 1000 at the hospital (it serves the whole district's county-level care: 50 000
residents, need 150). Doctors today: H1 40, T2 10, T3 20, T4 15, T5 20 (105; need 230).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from support.county import write_county

from optimizer.errors import ScenarioError
from optimizer.jobs.run import run_scenario

NEED = {"H1": 150.0, "T2": 20.0, "T3": 20.0, "T4": 20.0, "T5": 20.0}

SCENARIO = """
name = "need"
base_year = 2020
[data]
folder = "county"
[travel]
crs = "EPSG:4544"
[plan]
years = [2025]
levels_year = 2020
[policy.doctors]
min = {{ 2025 = {floor} }}
kind = "{kind}"
[change_limits.doctors]
facility_cut_share = 0.0
{increase}
[need]
beds = false
tolerance = 0.1
[[need.norms]]
tiers = ["township_health_centre"]
resource = "doctors"
per_1000_served = {thc}
source = "test"
[[need.norms]]
tiers = ["secondary_hospital"]
resource = "doctors"
per_1000_served = 3.0
source = "test"
{extra}
[objective]
order = ["need", "shortfall", "changes", "spread", "cost"]
[solver]
time_limit_s = 30
"""


def scenario(tmp_path: Path, *, floor: float, kind: str = "binding",
             increase: float | None = None, thc: float = 2.0, extra: str = "") -> Path:
    path = write_county(tmp_path)
    text = SCENARIO.format(floor=floor, kind=kind, thc=thc, extra=extra,
                           increase="" if increase is None else f"district_increase = {increase}")
    path.write_text(text, encoding="utf-8")
    return path


def doctors(out: Path) -> pd.Series:
    plan = pd.read_csv(out / "plan.csv")
    rows = plan[plan["resource"].eq("doctors") & plan["year"].eq(2025)]
    return rows.set_index("facility_id")["after"]


def test_need_table_by_hand(tmp_path: Path) -> None:
    run_scenario(scenario(tmp_path, floor=2.0), tmp_path / "out", timings=False)
    plan = pd.read_csv(tmp_path / "out" / "plan.csv")
    need = plan[plan["resource"].eq("doctors")].set_index("facility_id")["need"]
    for fid, value in NEED.items():
        assert need[fid] == pytest.approx(value)


def test_scarce_posts_go_where_need_is_least_met(tmp_path: Path) -> None:
    """50 new posts (10 a year): water-filling by shortfall ratio, worked out by hand.

    Shortfalls 110/150 (H1), 10/20 (T2), 5/20 (T4). Equal ratio z with H1 and T2 short:
    (110 - 150z) + (10 - 20z) = 50 gives z = 0.41, so H1 gains about 48, T2 about 2, and
    T4 (short 0.25 < z) nothing; T3 and T5 are at need.
    """
    run_scenario(scenario(tmp_path, floor=2.0, increase=10), tmp_path / "out", timings=False)
    level = doctors(tmp_path / "out")
    gained = level - pd.Series({"H1": 40, "T2": 10, "T3": 20, "T4": 15, "T5": 20})
    assert int(gained.sum()) == 50
    assert gained["H1"] in (47, 48, 49)
    assert gained["T2"] in (1, 2, 3)
    assert gained["T3"] == 0
    assert gained["T4"] == 0
    assert gained["T5"] == 0


def test_surplus_spread_in_proportion_to_need(tmp_path: Path) -> None:
    """Floor 6 per 1000 = 300 doctors against a need of 230: everyone at about 300/230."""
    run_scenario(scenario(tmp_path, floor=6.0), tmp_path / "out", timings=False)
    level = doctors(tmp_path / "out")
    assert int(level.sum()) == 300
    ratio = level / pd.Series(NEED)
    assert ratio.max() - ratio.min() < 0.1, ratio.to_dict()
    plan = pd.read_csv(tmp_path / "out" / "plan.csv")
    kinds = plan[plan["resource"].eq("doctors")].set_index("facility_id")["reason_kind"]
    assert set(kinds[list(NEED)]) == {"floor"}


def test_more_need_never_fewer_posts(tmp_path: Path) -> None:
    """Raising the health-centre norm (more need there) never takes posts from them."""
    low, high = tmp_path / "low", tmp_path / "high"
    low.mkdir()
    high.mkdir()
    run_scenario(scenario(low, floor=2.0, increase=10, thc=2.0), low / "out", timings=False)
    run_scenario(scenario(high, floor=2.0, increase=10, thc=3.0), high / "out", timings=False)
    before, after = doctors(low / "out"), doctors(high / "out")
    for fid in ("T2", "T3", "T4", "T5"):
        assert after[fid] >= before[fid], (fid, before[fid], after[fid])


def test_town_without_residents_gets_nothing(tmp_path: Path) -> None:
    path = scenario(tmp_path, floor=6.0)
    towns = tmp_path / "county" / "towns.geojson"
    text = towns.read_text(encoding="utf-8").replace('"code": "500000003", "name_zh": "丙镇", '
                                                     '"name_en": "Bing Town", "kind": "town", '
                                                     '"pop_2020": 10000',
                                                     '"code": "500000003", "name_zh": "丙镇", '
                                                     '"name_en": "Bing Town", "kind": "town", '
                                                     '"pop_2020": 0')
    assert '"pop_2020": 0' in text
    towns.write_text(text, encoding="utf-8")
    demand = tmp_path / "county" / "demand.csv"
    lines = demand.read_text(encoding="utf-8").splitlines()
    demand.write_text("\n".join(x for x in lines if ",500000003," not in x) + "\n",
                      encoding="utf-8")
    run_scenario(path, tmp_path / "out", timings=False)
    assert doctors(tmp_path / "out")["T3"] == 20  # its 20 doctors are kept, none added


def test_expected_target_shows_shortfall_instead_of_infeasible(tmp_path: Path) -> None:
    """An expected floor that hiring capacity cannot reach: solved, with the shortfall shown."""
    path = scenario(tmp_path, floor=6.0, kind="expected", increase=10)
    summary = run_scenario(path, tmp_path / "out", timings=False)
    assert str(summary.status) == "optimal"
    ind = pd.read_csv(tmp_path / "out" / "indicators.csv")
    row = ind[ind["indicator"].str.startswith("doctors per 1000")].iloc[0]
    assert row["kind"] == "expected"
    assert not bool(row["met"])
    achieved = (105 + 50) / 50000 * 1000
    assert row["achieved"] == pytest.approx(achieved)
    assert row["shortfall"] == pytest.approx(6.0 - achieved)
    assert row["shortfall_pct"] == pytest.approx((6.0 - achieved) / 6.0 * 100)


def test_relaxing_an_expected_target_never_lowers_another(tmp_path: Path) -> None:
    extra = ('[[ratios]]\nresources = ["nurses"]\nper_resource = "doctors"\nmin = 1.0\n'
             'kind = "expected"\n')
    tight, loose = tmp_path / "tight", tmp_path / "loose"
    tight.mkdir()
    loose.mkdir()
    run_scenario(scenario(tight, floor=6.0, kind="expected", increase=10, extra=extra),
                 tight / "out", timings=False)
    run_scenario(scenario(loose, floor=6.0, kind="expected", increase=10,
                          extra=extra.replace("min = 1.0", "min = 0.5")),
                 loose / "out", timings=False)
    a = pd.read_csv(tight / "out" / "indicators.csv").set_index("indicator")["achieved"]
    b = pd.read_csv(loose / "out" / "indicators.csv").set_index("indicator")["achieved"]
    assert b["doctors per 1000 (floor)"] >= a["doctors per 1000 (floor)"] - 1e-9


def test_binding_floor_unreachable_is_infeasible_and_named(tmp_path: Path) -> None:
    from optimizer.errors import InfeasibleError  # noqa: PLC0415

    path = scenario(tmp_path, floor=6.0, kind="binding", increase=10)
    with pytest.raises(InfeasibleError, match="floor of 6 doctors"):
        run_scenario(path, tmp_path / "out", timings=False)


def test_direction_names_unknown_facility(tmp_path: Path) -> None:
    extra = '[facilities."区医院"]\nno_cut = ["doctors"]\n'
    with pytest.raises(ScenarioError, match="区人民医院"):
        run_scenario(scenario(tmp_path, floor=2.0, extra=extra), tmp_path / "out")


def test_direction_holds_and_is_the_reason(tmp_path: Path) -> None:
    extra = '[facilities."区人民医院"]\nrole = "regional centre"\nmin_change = { doctors = 120 }\n'
    run_scenario(scenario(tmp_path, floor=2.0, extra=extra), tmp_path / "out", timings=False)
    plan = pd.read_csv(tmp_path / "out" / "plan.csv")
    row = plan[plan["resource"].eq("doctors") & plan["facility_id"].eq("H1")].iloc[0]
    assert row["after"] >= 160
    assert row["reason_kind"] in ("direction", "need")
    assert "regional centre" in row["reason"] or row["after"] <= 150 * 1.1 + 0.5


def test_doctors_at_20_per_1000_solves(tmp_path: Path) -> None:
    """A feasible scenario is never reported infeasible at a later stage (the holds give way
    to round-off): 20 doctors per 1000 with every need stage, changes and cost after it."""
    summary = run_scenario(scenario(tmp_path, floor=20.0), tmp_path / "out", timings=False)
    assert str(summary.status) == "optimal"
    assert int(doctors(tmp_path / "out").sum()) == 1000  # 20 per 1000 of 50 000


def test_a_later_stage_without_solution_keeps_the_earlier_plan(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """If a later stage still finds nothing, the run keeps the previous stage's plan and says
    so ("feasible", with a note) instead of calling the scenario infeasible."""
    from optimizer.model import stages  # noqa: PLC0415
    from optimizer.model.solve import SolveResult  # noqa: PLC0415
    from optimizer.solvers.status import SolveStatus  # noqa: PLC0415

    real = stages.solve_problem
    calls = {"n": 0}

    def flaky(problem: object, options: object, start: object = None) -> SolveResult:
        calls["n"] += 1
        if calls["n"] >= 4:  # the 'spread:doctors' stage and its widened retry
            return SolveResult(SolveStatus.INFEASIBLE, float("nan"), float("nan"),
                               float("nan"), 0.0, "Infeasible")
        return real(problem, options, start)  # type: ignore[arg-type]

    monkeypatch.setattr(stages, "solve_problem", flaky)
    summary = run_scenario(scenario(tmp_path, floor=6.0), tmp_path / "out", timings=False)
    assert str(summary.status) == "feasible"
    assert calls["n"] == 5  # tried once more with the hold widened
    assert "stage 'spread:doctors' found no solution" in summary.data["note"]
    assert "the plan is that of stage 'changes'" in summary.data["note"]
    assert [s["objective"] for s in summary.data["stages"]] == ["need", "shortfall", "changes"]
    assert int(doctors(tmp_path / "out").sum()) >= 300


def test_a_stage_stopped_by_a_limit_is_named_with_its_gap() -> None:
    """A time limit makes the plan machine-dependent and the run says so; a node limit does not."""
    from optimizer.model.solve import SolveResult  # noqa: PLC0415
    from optimizer.model.stages import StageResult, limit_note  # noqa: PLC0415
    from optimizer.solvers.status import SolveStatus  # noqa: PLC0415

    def stage(name: str, status: SolveStatus, raw: str, gap: float) -> StageResult:
        return StageResult(name, "min", SolveResult(status, 1.0, 0.99, gap, 1.0, raw))

    note = limit_note([stage("need", SolveStatus.OPTIMAL, "Optimal", 0.0),
                       stage("cost", SolveStatus.FEASIBLE, "Time limit reached", 0.0025),
                       stage("spread:beds", SolveStatus.FEASIBLE, "Node limit reached", 0.01)])
    assert note == ("stage 'cost' ended on its time limit, 0.25% from proven: the plan may "
                    "differ on a faster or less loaded machine; stage 'spread:beds' ended on a "
                    "limit (Node limit reached), 1.00% from proven")
    assert limit_note([stage("need", SolveStatus.OPTIMAL, "Optimal", 0.0)]) == ""
