"""Model pieces: scenario sections, town names, the solve boundary's honesty, Dianjiang's choice."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pulp
import pytest
from support.cli import ROOT
from support.county import write_county
from support.oracles import brute_force
from typer.testing import Result

from optimizer.config.scenario import load_scenario
from optimizer.config.sections import SolverSection
from optimizer.dataset.towns import resolve_town
from optimizer.errors import ScenarioError
from optimizer.jobs.run import run_scenario
from optimizer.model.inputs import growth_factors
from optimizer.model.solve import solve_problem
from optimizer.solvers.status import SolveStatus

TOWNS = pd.DataFrame({"code": ["500231106", "500118107"], "name_zh": ["高安镇", "松溉镇"],
                      "name_en": ["Gao'an Town", "Songgai Town"]})


@pytest.mark.parametrize("name", ["yongchuan_2025", "yongchuan_2027", "yongchuan_2030",
                                  "dianjiang_2025"])
def test_shipped_model_scenarios_load(name: str) -> None:
    scenario = load_scenario(ROOT / "scenarios" / f"{name}.toml")
    assert scenario.plan is not None
    assert scenario.policy


@pytest.mark.parametrize("spelling", ["高安镇", "高安", "Gao'an", "gaoan", "GAO'AN TOWN",
                                      "500231106"])
def test_town_spellings(spelling: str) -> None:
    assert resolve_town(spelling, TOWNS, where="t") == "500231106"


def test_unknown_town_suggests(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"no town called 'Songji'.*closest: songgai"):
        resolve_town("Songji", TOWNS, where="[sub_centres] partners")


def test_unknown_key_inside_policy_table(tmp_path: Path) -> None:
    path = write_county(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace("[policy.beds]\n",
                                                               "[policy.beds]\nmaximum = 3\n"),
                    encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"unknown key 'policy\.beds\.maximum' \(did you mean "
                       r"'max'\?\); allowed here: kind, max, min, per, source, town_max, town_min"):
        load_scenario(path)


def test_policy_year_outside_plan(tmp_path: Path) -> None:
    path = write_county(tmp_path)
    text = path.read_text(encoding="utf-8").replace("max = { 2025 = 8.5 }",
                                                    "max = { 2025 = 8.5, 2031 = 7 }")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"policy\.beds\.max = 2031.*plan years: \[2025\]"):
        load_scenario(path)


def test_unknown_resource_named(tmp_path: Path) -> None:
    path = write_county(tmp_path)
    path.write_text(path.read_text(encoding="utf-8") + "[policy.pharmacist]\nmin = {2025 = 1}\n",
                    encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"unknown resource\(s\): policy\.pharmacist "
                       r"\(pharmacist\).*new_resources"):
        run_scenario(path, tmp_path / "out")


def test_unknown_objective(tmp_path: Path) -> None:
    path = write_county(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace('"cost", "changes"', '"money"'),
                    encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"unknown objective 'money'; allowed: "):
        load_scenario(path)


def test_growth_schedule() -> None:
    scenario = load_scenario(ROOT / "scenarios" / "yongchuan_2030.toml")
    factors = growth_factors(scenario, [2025, 2027, 2030])
    assert factors[2025] == 1.0
    assert factors[2027] == pytest.approx(1.005**2)
    assert factors[2030] == pytest.approx(1.005**5)


def knapsack(n: int) -> pulp.LpProblem:
    prob = pulp.LpProblem("knap", pulp.LpMaximize)
    xs = [prob.add_variable(f"x{i}", 0, 1, cat=pulp.LpInteger) for i in range(n)]
    weights = [(i * 7919) % 1013 + 500 for i in range(n)]
    values = [(i * 104729) % 997 + 450 for i in range(n)]
    prob += pulp.lpSum(v * x for v, x in zip(values, xs, strict=True))
    for k in range(20):
        prob += pulp.lpSum(((w * (k + 3)) % 1009 + 1) * x for w, x in zip(weights, xs,
                                                                            strict=True)) <= 12345
    return prob


def test_time_limit_is_never_optimal() -> None:
    result = solve_problem(knapsack(300), SolverSection(time_limit_s=0.05))
    assert result.status in (SolveStatus.FEASIBLE, SolveStatus.ERROR)
    if result.status is SolveStatus.FEASIBLE:
        assert result.gap > 0


def test_gap_limit_is_feasible_not_optimal() -> None:
    exact = solve_problem(knapsack(40), SolverSection(time_limit_s=30))
    loose = solve_problem(knapsack(40), SolverSection(time_limit_s=30, mip_gap=0.5))
    assert exact.status is SolveStatus.OPTIMAL
    assert exact.gap == 0.0
    if loose.gap > 1e-6:
        assert loose.status is SolveStatus.FEASIBLE


@pytest.mark.slow
@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_solvers_agree(tmp_path: Path, solver: str) -> None:
    path = write_county(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace("[solver]\n",
                                                               f'[solver]\nname = "{solver}"\n'),
                    encoding="utf-8")
    summary = run_scenario(path, tmp_path / "out").data
    assert summary["status"] == "optimal"
    best, _ = brute_force(8.5, 12.0)
    assert summary["objective"]["value"] == pytest.approx(best)


@pytest.mark.slow
def test_dianjiang_chooses_two_or_three_and_says_why(
        dianjiang_2025_run: tuple[Result, Path]) -> None:
    result, folder = dianjiang_2025_run
    assert result.exit_code == 0, result.output
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    six = {"沙坪镇", "周嘉镇", "高安镇", "澄溪镇", "坪山镇", "新民镇"}
    chosen = {s["town"] for s in summary["sub_centres"]}
    assert 2 <= len(chosen) <= 3
    assert chosen <= six
    choice = summary["sub_centre_choice"]
    assert len(choice["alternatives"]) == 35  # 15 pairs + 20 triples
    assert set(choice["chosen"]) == chosen
    # the count by the stated trade-off: a third site must add [sub_centres] min_gain
    count = summary["sub_centre_count"]
    best = {int(n): v for n, v in count["best_by_count"].items()}
    assert count["chosen"] == (3 if best[3] - best[2] >= count["min_gain"] else 2)
    assert len(chosen) == count["chosen"]
    assert f"{best[3] - best[2]:,.0f}" in count["reason"]
    assert f"{count['min_gain']:,.0f}" in count["reason"]
    same = [a["value"] for a in choice["alternatives"] if len(a["sites"]) == len(chosen)]
    assert choice["chosen_value"] == max(same)
    assert set(choice["best_by_count"]) == {"2", "3"}
    assert "admissible sets" in choice["reason"]
    indicators = pd.read_csv(folder / "indicators.csv")
    assert indicators.loc[indicators["scope"].eq("allocated"), "met"].astype(bool).all()
    assert summary["resources_absent_from_data"] == []  # pharmacists: the plan's 2020 figure
    assert summary["per_capita"]["2025"]["doctors_per_1000"] >= 3.6
    plan = pd.read_csv(folder / "plan.csv", encoding="utf-8-sig")
    tiers = set(plan.loc[plan["facility_id"].str.startswith("H"), "tier"])
    assert tiers == {"tertiary_hospital"}  # both county hospitals are 三甲 in the plan


@pytest.mark.slow
def test_yongchuan_2025_counts_the_sub_centres_built_in_2025(tmp_path: Path) -> None:
    """Annex 2: the three sub-centres were completed in 2025; the baseline counts them."""
    from optimizer.config.scenario import load_scenario  # noqa: PLC0415
    from optimizer.dataset.load import load_dataset  # noqa: PLC0415
    from optimizer.model.inputs import existing_sub_centres  # noqa: PLC0415

    path = ROOT / "scenarios" / "yongchuan_2025.toml"
    spec = load_scenario(path)
    built = existing_sub_centres(load_dataset([spec.data.folder]), spec)
    assert built == ("THC500118111", "THC500118116", "THC500118118")  # 来苏 三教 朱沱
    run_scenario(path, tmp_path / "y25", timings=False)
    plan = pd.read_csv(tmp_path / "y25" / "plan.csv", encoding="utf-8-sig")
    assert set(plan.loc[plan["tier"].eq("sub_centre"), "facility_id"]) == set(built)
    summary = json.loads((tmp_path / "y25" / "summary.json").read_text(encoding="utf-8"))
    # rural residents within 30 minutes by car of a sub-centre or hospital, as in 2030's plan
    assert summary["coverage_shares"]["referral (rural, 30 min)"]["2025"] > 0.9
