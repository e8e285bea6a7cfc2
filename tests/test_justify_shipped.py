"""End-to-end justification on the shipped data: Yongchuan's three sub-centres, Dianjiang's pick."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from support.justify_county import NUMBER, allowed_numbers

from optimizer.config.scenario import load_scenario
from optimizer.dataset.load import load_dataset
from optimizer.errors import MedallocWarning
from optimizer.jobs.justify import justify
from optimizer.jobs.run import solve_scenario
from optimizer.justify.sites import resolve_sites
from optimizer.report.fonts import cjk_font

pytestmark = pytest.mark.slow  # the shipped data, a cluster or a browser

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def yongchuan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("yongchuan") / "justify"
    path = ROOT / "scenarios" / "yongchuan_2030.toml"
    if cjk_font() is None:  # the map falls back to pinyin, with a warning
        with pytest.warns(MedallocWarning, match="pinyin"):
            justify(path, "朱沱镇,Sanjiao,500118111", out)
    else:
        justify(path, "朱沱镇,Sanjiao,500118111", out)
    return out


def test_yongchuan_writes_all_six_parts(yongchuan: Path) -> None:
    facts = json.loads((yongchuan / "justification.json").read_text(encoding="utf-8"))
    ranking = pd.read_csv(yongchuan / "ranking.csv", dtype={"set": str})
    assert len(ranking) == 560  # 3 of the 16 rural towns
    assert facts["exhaustive"]
    chosen = ranking[ranking["chosen"]]
    assert list(chosen["towns"]) == ["来苏镇、三教镇、朱沱镇"]  # pool order (by town code)
    # 1: chosen, optimum, regret for the objective and the three measures
    assert facts["objective"]["criterion"] == "coverage:referral"
    for found in (facts["objective"], *facts["measures"].values()):
        assert found["regret"] >= 0
        assert found["regret_pct"] >= 0
    assert facts["objective"]["rank"] == int(chosen["objective_rank"].iloc[0])
    assert facts["measures"]["covered"]["rank"] == int(chosen["covered_rank"].iloc[0])
    # 3: leave-one-out and swaps for each site and criterion
    marginal = pd.read_csv(yongchuan / "marginal.csv")
    assert list(marginal["site"].drop_duplicates()) == ["朱沱镇", "三教镇", "来苏镇"]
    assert len(marginal) == 3 * 4
    # 4: robustness grid of 3 speeds x 3 detours x 3 thresholds
    robust = pd.read_csv(yongchuan / "robustness.csv")
    assert len(robust[robust["measure"].eq("covered")]) == 27
    # 5: the plan's consortia, Songji (Songgai) with Zhutuo among them
    pairings = pd.read_csv(yongchuan / "pairings.csv")
    assert set(zip(pairings["lead"], pairings["partner"], strict=True)) == {
        ("朱沱镇", "松溉镇"), ("来苏镇", "宝峰镇"), ("三教镇", "板桥镇")}
    # 6: the conclusion, both languages, every number from a table
    allowed = allowed_numbers(yongchuan, facts)
    markdown = (yongchuan / "justification.md").read_text(encoding="utf-8")
    assert "## Conclusion" in markdown
    assert "## 结论" in markdown
    for sentence in facts["conclusion"]:
        for text in (sentence["en"], sentence["zh"]):
            assert text in markdown
            for number in NUMBER.findall(text):
                assert number in allowed, f"{number!r} in {text!r} is in no table"
    assert (yongchuan / "justification_map.png").stat().st_size > 10_000


def test_yongchuan_scores_the_runs_objective(yongchuan: Path) -> None:
    # The plan's sub-centres exist from 2025, the data year: the run counts their 2025
    # coverage, and justify values the same three sites exactly as the run does.
    facts = json.loads((yongchuan / "justification.json").read_text(encoding="utf-8"))
    scenario = load_scenario(ROOT / "scenarios" / "yongchuan_2030.toml")
    assert scenario.sub_centres is not None
    assert sorted(scenario.sub_centres.fixed) == sorted(["朱沱镇", "三教镇", "来苏镇"])
    run = solve_scenario(scenario, load_dataset([scenario.data.folder]))
    objective = facts["objective"]
    assert objective["data_year"] == 2025
    assert objective["chosen_value"] == pytest.approx(
        run.run.objectives[objective["criterion"]], rel=1e-9)
    assert objective["rank_note"].startswith("exact")


def test_dianjiang_pick_of_two_against_all_35_sets(tmp_path: Path) -> None:
    scenario = load_scenario(ROOT / "scenarios" / "dianjiang_2025.toml")
    light = scenario.model_copy(update={"justify": scenario.justify.model_copy(
        update={"speed_factors": [1.0], "detour_factors": [1.3], "thresholds": [30]})})
    summary = justify(light, "周嘉镇,坪山镇", tmp_path / "dj", make_map=False)
    facts = summary.data
    assert facts["admissible_sets"] == 35
    assert facts["sizes"] == [2, 3]
    assert facts["objective"]["exhaustive"] is True  # every set re-optimised by the model
    ranking = pd.read_csv(tmp_path / "dj" / "ranking.csv")
    assert ranking["objective"].notna().all()
    pairs = ranking[ranking["size"].eq(2)]
    best_pair = pairs.sort_values(["objective", "set"], ascending=[False, True]).iloc[0]
    assert facts["same_size"]["best_value"] == pytest.approx(best_pair["objective"])
    # a triple always reaches at least as many as its pairs: the optimum is a triple
    assert len(facts["objective"]["best_codes"]) == 3
    assert summary.regret_pct is not None
    assert summary.regret_pct >= 0


def test_songji_and_songgai_name_the_same_town() -> None:
    scenario = load_scenario(ROOT / "scenarios" / "yongchuan_2030.toml")
    towns = gpd.read_file(ROOT / "data" / "towns.geojson")
    aliases = dict(scenario.justify.aliases)
    found = resolve_sites(["Songji"], towns, aliases=aliases)
    assert found == resolve_sites(["Songgai"], towns, aliases=aliases) == ["500118107"]
    assert resolve_sites(["松溉"], towns, aliases=aliases) == found
