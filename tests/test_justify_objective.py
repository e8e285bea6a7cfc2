"""Justify scores a set by the run's own objective, the data year included.

A county whose sub-centres count from the data's own year (``[sub_centres] from_year`` =
``[plan] levels_year``, as in Yongchuan): ``medalloc run`` with a set of sub-centres fixed
counts their coverage in that year, and justify must give every set exactly that value. The
oracle is the run itself, once per admissible set.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pandas as pd
import pytest
from support.county import write_row_county
from support.justify_county import DEMAND, FACILITIES, TOWNS

from optimizer.config.scenario import Scenario, load_scenario
from optimizer.dataset.load import load_dataset
from optimizer.jobs.justify import justify
from optimizer.jobs.run import solve_scenario

NAMES = {"T2": "乙镇", "T3": "丙镇", "T4": "丁镇", "T5": "戊镇", "T6": "己镇"}
CRITERION = "coverage:referral"

# The data are the 2020 situation and the sub-centres exist from 2020: 2020 is a plan year
# whose coverage counts. Growth makes the years differ, so no year is a multiple of another.
SCENARIO = """
name = "data_year"
base_year = 2020
[data]
folder = "county"
[travel]
crs = "EPSG:4544"
[population]
growth_per_year = 0.02
[plan]
years = [2020, 2025]
levels_year = 2020
[policy.beds]
max = { 2020 = 20.0, 2025 = 20.0 }
[sub_centres]
fixed = ["乙镇", "丁镇"]
candidates = ["丙镇", "戊镇", "己镇"]
min_count = 2
max_count = 2
from_year = 2020
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
speed_factors = [1.0]
detour_factors = [1.3]
thresholds = [20]
"""


@pytest.fixture(scope="module")
def scenario_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("data_year")
    write_row_county(folder / "county", TOWNS, FACILITIES, DEMAND)
    path = folder / "data_year.toml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


def _fixed(scenario: Scenario, sites: tuple[str, ...]) -> Scenario:
    """The scenario with ``sites`` (facility ids) as its only sub-centres, fixed."""
    assert scenario.sub_centres is not None
    section = scenario.sub_centres.model_copy(update={
        "fixed": [NAMES[s] for s in sites], "candidates": [], "min_count": len(sites),
        "max_count": len(sites)})
    return scenario.model_copy(update={"sub_centres": section})


@pytest.fixture(scope="module")
def run_values(scenario_path: Path) -> dict[tuple[str, ...], float]:
    """The oracle: the run's coverage:referral stage value with each pair fixed."""
    scenario = load_scenario(scenario_path)
    dataset = load_dataset([scenario.data.folder])
    return {sites: solve_scenario(_fixed(scenario, sites), dataset).run.objectives[CRITERION]
            for sites in itertools.combinations(sorted(NAMES), 2)}


@pytest.fixture(scope="module")
def exhaustive(scenario_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out") / "justify"
    justify(scenario_path, None, out, make_map=False)
    return out


def _facts(out: Path) -> dict[str, object]:
    facts: dict[str, object] = json.loads((out / "justification.json").read_text("utf-8"))
    return facts


def test_the_chosen_set_scores_the_runs_stage_value(
        exhaustive: Path, run_values: dict[tuple[str, ...], float]) -> None:
    objective = _facts(exhaustive)["objective"]
    assert isinstance(objective, dict)
    assert objective["criterion"] == CRITERION
    assert objective["years"] == [2020, 2025]
    assert objective["data_year"] == 2020
    assert objective["chosen_value"] == pytest.approx(run_values[("T2", "T4")], rel=1e-9)


def test_every_set_ranks_and_regrets_by_the_runs_objective(
        exhaustive: Path, run_values: dict[tuple[str, ...], float]) -> None:
    ranking = pd.read_csv(exhaustive / "ranking.csv", dtype={"set": str})
    assert len(ranking) == len(run_values) == 10
    for row in ranking.to_dict("records"):
        assert row["objective"] == pytest.approx(run_values[tuple(row["set"].split("+"))],
                                                 rel=1e-9)
    objective = _facts(exhaustive)["objective"]
    assert isinstance(objective, dict)
    best = max(run_values.values())
    chosen = run_values[("T2", "T4")]
    assert objective["best_value"] == pytest.approx(best, rel=1e-9)
    assert objective["regret"] == pytest.approx(best - chosen, rel=1e-9)
    assert objective["rank"] == 1 + sum(v > chosen + 1e-6 for v in run_values.values())
    assert objective["regret"] > 0  # the chosen pair is not the best: the test can tell


def test_marginal_values_follow_the_same_objective(
        scenario_path: Path, tmp_path: Path) -> None:
    # sizes 1-2, so the leave-one-out singles are admissible and valued by the run too
    scenario = load_scenario(scenario_path)
    assert scenario.sub_centres is not None
    wider = scenario.model_copy(update={"sub_centres": scenario.sub_centres.model_copy(
        update={"min_count": 1})})
    out = tmp_path / "loo"
    justify(wider, None, out, make_map=False)
    dataset = load_dataset([scenario.data.folder])
    run = {sites: solve_scenario(_fixed(wider, sites), dataset).run.objectives[CRITERION]
           for sites in (("T2",), ("T4",), ("T2", "T4"))}
    marginal = pd.read_csv(out / "marginal.csv", dtype={"town_code": str})
    rows = marginal[marginal["criterion"].eq("objective")].set_index("town_code")
    assert rows.loc["500000002", "without_value"] == pytest.approx(run[("T4",)], rel=1e-9)
    assert rows.loc["500000004", "without_value"] == pytest.approx(run[("T2",)], rel=1e-9)
    assert rows.loc["500000002", "marginal"] == pytest.approx(
        run[("T2", "T4")] - run[("T4",)], rel=1e-9)


def test_listing_by_no_good_cuts_agrees_with_the_exhaustive_ranking(
        scenario_path: Path, exhaustive: Path, tmp_path: Path) -> None:
    # too many sets to solve each: the model lists by its own value (without the data year)
    # and goes on until no unlisted set could catch up with the chosen one
    scenario = load_scenario(scenario_path)
    few = scenario.model_copy(update={"justify": scenario.justify.model_copy(
        update={"max_model_sets": 1, "k": 1})})
    summary = justify(few, None, tmp_path / "kbest", make_map=False)
    listed = summary.data["objective"]
    full = _facts(exhaustive)["objective"]
    assert isinstance(full, dict)
    assert listed["exhaustive"] is False
    assert listed["rank_note"].startswith("exact")
    for key in ("chosen_value", "best_value", "regret", "rank", "best_codes"):
        assert listed[key] == pytest.approx(full[key]), key
    marginal = pd.read_csv(tmp_path / "kbest" / "marginal.csv")
    full_marginal = pd.read_csv(exhaustive / "marginal.csv")
    pick = ["site", "criterion", "swap_in", "swap_value", "swap_gain"]
    objective = marginal[marginal["criterion"].eq("objective")][pick].reset_index(drop=True)
    expected = full_marginal[full_marginal["criterion"].eq("objective")][pick]
    pd.testing.assert_frame_equal(objective, expected.reset_index(drop=True))
