"""Tests for optimizer.justify on a hand-made county, against an independent brute force."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
from support.justify_county import (
    DEMAND,
    FACILITIES,
    NUMBER,
    TOWNS,
    allowed_numbers,
    write_county,
)

from optimizer.config.scenario import load_scenario
from optimizer.errors import MedallocWarning, ScenarioError
from optimizer.jobs.justify import justify
from optimizer.justify import report as report_module
from optimizer.justify.sites import resolve_sites
from optimizer.report import justify_plot as plot_module
from optimizer.report.fonts import cjk_font

RURAL_KMH, URBAN_KMH, DETOUR = 40.0, 25.0, 1.3




# ---- an independent brute force: projected distances by pyproj, every set by itertools ----

def _minutes_table(speed_factor: float = 1.0, detour: float = DETOUR
                   ) -> dict[str, dict[str, float]]:
    """Minutes from every demand point to every facility, straight line."""
    to_m = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:4544", always_xy=True)
    sites = [line.split(",") for line in FACILITIES.strip().splitlines()[1:]]
    urban = {t[0] for t in TOWNS if t[3] == "subdistrict"}
    out: dict[str, dict[str, float]] = {}
    for did, town, _pop, lon, lat in DEMAND:
        x, y = to_m.transform(lon, lat)
        kmh = (URBAN_KMH if town in urban else RURAL_KMH) * speed_factor
        out[did] = {}
        for row in sites:
            sx, sy = to_m.transform(float(row[4]), float(row[5]))
            metres = math.hypot(sx - x, sy - y) * detour
            out[did][row[0]] = metres / (kmh * 1000 / 60)
    return out


def brute_force(sizes: tuple[int, int], threshold: float = 20.0, speed_factor: float = 1.0
                ) -> dict[tuple[str, ...], dict[str, float]]:
    """Every set of health centres: rural residents covered, mean and worst-town minutes."""
    table = _minutes_table(speed_factor)
    rural = [d for d in DEMAND if d[1] != "500000001"]
    centres = ["T2", "T3", "T4", "T5", "T6"]
    found: dict[tuple[str, ...], dict[str, float]] = {}
    for size in range(sizes[0], sizes[1] + 1):
        for sites in itertools.combinations(centres, size):
            best = {d[0]: min([table[d[0]]["H1"], *(table[d[0]][s] for s in sites)])
                    for d in rural}
            covered = sum(d[2] for d in rural if best[d[0]] <= threshold)
            mean = sum(d[2] * best[d[0]] for d in rural) / sum(d[2] for d in rural)
            towns: dict[str, list[float]] = {}
            for d in rural:
                towns.setdefault(d[1], [0.0, 0.0])
                towns[d[1]][0] += d[2] * best[d[0]]
                towns[d[1]][1] += d[2]
            worst = max(w / p for w, p in towns.values())
            found[tuple(sites)] = {"covered": covered, "mean_minutes": mean,
                                   "worst_town_minutes": worst}
    return found


def _competition_rank(values: dict[Any, float], key: Any, larger_better: bool) -> int:
    mine = values[key]
    better = [v for v in values.values()
              if (v > mine + 1e-6 if larger_better else v < mine - 1e-6)]
    return len(better) + 1


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_county(tmp_path_factory.mktemp("county"))


@pytest.fixture(scope="module")
def run_pair(county: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out") / "justify"
    justify(county, ["乙镇", "丁镇"], out, make_map=False)
    return out


def _ranking(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "ranking.csv", dtype={"set": str})


def _set_key(text: str) -> tuple[str, ...]:
    return tuple(sorted(text.split("+")))


def test_exhaustive_ranking_matches_brute_force(run_pair: Path) -> None:
    ranking = _ranking(run_pair)
    oracle = brute_force((2, 2))
    assert len(ranking) == len(oracle) == 10
    for row in ranking.to_dict("records"):
        expected = oracle[_set_key(row["set"])]
        for name in ("covered", "mean_minutes", "worst_town_minutes"):
            assert row[name] == pytest.approx(expected[name], rel=1e-6)
            values = {k: v[name] for k, v in oracle.items()}
            rank = _competition_rank(values, _set_key(row["set"]), name == "covered")
            assert row[f"{name}_rank"] == rank
    chosen = ranking[ranking["chosen"]]
    assert list(chosen["set"]) == ["T2+T4"]


def test_scenario_objective_equals_coverage_here(run_pair: Path) -> None:
    # One plan year and no growth: the model's rural coverage is the location measure.
    ranking = _ranking(run_pair)
    assert ranking["objective"].notna().all()
    assert np.allclose(ranking["objective"], ranking["covered"], rtol=1e-6)
    assert (ranking["objective_rank"] == ranking["covered_rank"]).all()


def test_regret_and_facts_against_brute_force(run_pair: Path) -> None:
    facts = json.loads((run_pair / "justification.json").read_text(encoding="utf-8"))
    oracle = brute_force((2, 2))
    covered = {k: v["covered"] for k, v in oracle.items()}
    best = max(covered.values())
    chosen = covered[("T2", "T4")]
    found = facts["measures"]["covered"]
    assert found["best_value"] == pytest.approx(best)
    assert found["regret"] == pytest.approx(best - chosen)
    assert found["regret_pct"] == pytest.approx(100 * (best - chosen) / best)
    assert facts["objective"]["regret"] == pytest.approx(best - chosen)


def test_regret_is_zero_for_the_optimum(county: Path, tmp_path: Path) -> None:
    oracle = brute_force((2, 2))
    best = max(oracle, key=lambda k: (oracle[k]["covered"], [-ord(c) for c in "".join(k)]))
    names = {"T2": "乙镇", "T3": "丙镇", "T4": "丁镇", "T5": "戊镇", "T6": "己镇"}
    summary = justify(county, [names[s] for s in best], tmp_path / "opt", make_map=False)
    facts = summary.data
    assert facts["measures"]["covered"]["regret"] == 0
    assert facts["measures"]["covered"]["rank"] == 1
    assert facts["objective"]["regret"] == 0
    assert summary.rank == 1
    assert "optimal choice" in summary.conclusion_en[-1]


def test_leave_one_out_and_swaps_agree_with_the_ranking(tmp_path: Path) -> None:
    path = write_county(tmp_path, low=2, high=3)
    out = tmp_path / "loo"
    justify(path, "乙镇,丁镇,己镇", out, make_map=False)
    ranking = _ranking(out).set_index("set")
    marginal = pd.read_csv(out / "marginal.csv", dtype={"town_code": str, "swap_in_code": str})
    assert len(ranking) == 20  # 10 pairs + 10 triples
    ids = {"500000002": "T2", "500000004": "T4", "500000006": "T6", "500000003": "T3",
           "500000005": "T5"}
    chosen = ("T2", "T4", "T6")
    for row in marginal.to_dict("records"):
        if row["criterion"] not in ("covered", "objective"):
            continue
        column = row["criterion"]
        site = ids[row["town_code"]]
        rest = tuple(s for s in chosen if s != site)
        assert row["chosen_value"] == pytest.approx(ranking.loc["+".join(chosen), column])
        assert row["without_value"] == pytest.approx(ranking.loc["+".join(rest), column])
        assert row["marginal"] == pytest.approx(row["chosen_value"] - row["without_value"])
        swaps = {s: ranking.loc["+".join(sorted((*rest, s))), column]
                 for s in ("T3", "T5")}
        assert row["swap_value"] == pytest.approx(max(swaps.values()))
        assert row["swap_gain"] == pytest.approx(max(swaps.values()) - row["chosen_value"])


def test_k_best_listing_agrees_with_exhaustive(county: Path, tmp_path: Path,
                                               run_pair: Path) -> None:
    # Too many sets to solve each (max_model_sets = 1): the model lists the best sets by
    # no-good cuts down past the chosen set (k = 2, so the listing must go on by itself).
    scenario = load_scenario(county)
    few = scenario.model_copy(update={"justify": scenario.justify.model_copy(
        update={"max_model_sets": 1, "k": 2, "max_sets": 1})})
    summary = justify(few, "乙镇,丁镇", tmp_path / "kbest", make_map=False)
    exhaustive = json.loads((run_pair / "justification.json").read_text(encoding="utf-8"))
    obj = summary.data["objective"]
    assert obj["exhaustive"] is False
    assert obj["best_value"] == pytest.approx(exhaustive["objective"]["best_value"])
    assert exhaustive["objective"]["rank"] > 2
    assert obj["rank"] == exhaustive["objective"]["rank"]
    assert obj["rank_note"].startswith("exact")
    assert summary.data["exhaustive"] is False  # max_sets = 1: location measures not enumerated
    ranking = _ranking(tmp_path / "kbest")
    assert ranking["objective_rank"].dropna().max() >= obj["rank"]


def test_listing_cut_short_says_the_rank_is_unknown(county: Path, tmp_path: Path) -> None:
    scenario = load_scenario(county)
    few = scenario.model_copy(update={"justify": scenario.justify.model_copy(
        update={"max_model_sets": 1, "k": 1, "max_listed": 2})})
    summary = justify(few, "乙镇,丁镇", tmp_path / "short", make_map=False)
    obj = summary.data["objective"]
    assert obj["rank"] is None
    assert obj["rank_note"].startswith("not established")
    assert "not among the best sets found" in " ".join(summary.conclusion_en)


def test_pairings_against_nearest_site(run_pair: Path) -> None:
    pairings = pd.read_csv(run_pair / "pairings.csv", dtype=str)
    table = _minutes_table()
    rows = {r["partner"]: r for r in pairings.to_dict("records")}
    # 丙镇 (D04, D05) with its named lead 乙镇 (T2); 丁镇's lead 戊镇 is not chosen.
    pop = {d[0]: d[2] for d in DEMAND}
    nearest_t2 = [d for d in ("D04", "D05") if table[d]["T2"] <= table[d]["T4"]]
    share = 100 * sum(pop[d] for d in nearest_t2) / (pop["D04"] + pop["D05"])
    assert float(rows["丙镇"]["share_nearest_lead"]) == pytest.approx(share)
    assert 0 < share < 100
    assert rows["丁镇"]["lead_chosen"] == "False"


def test_robustness_grid_and_invariants(run_pair: Path) -> None:
    robust = pd.read_csv(run_pair / "robustness.csv")
    ranking = _ranking(run_pair)
    covered = robust[robust["measure"].eq("covered")]
    assert len(covered) == 4  # 2 speeds x 2 thresholds
    assert len(robust) == 8  # and 2 speeds x 2 travel-time measures
    base = covered[covered["speed_factor"].eq(1.0) & covered["threshold_minutes"].eq(20)]
    assert base["chosen_value"].iloc[0] == pytest.approx(
        ranking.loc[ranking["chosen"], "covered"].iloc[0])
    slow = brute_force((2, 2), threshold=15, speed_factor=0.8)
    row = covered[covered["speed_factor"].eq(0.8) & covered["threshold_minutes"].eq(15)].iloc[0]
    assert row["chosen_value"] == pytest.approx(slow[("T2", "T4")]["covered"])
    assert row["best_value"] == pytest.approx(max(v["covered"] for v in slow.values()))
    # slower travel never covers more, and a shorter threshold never covers more
    for threshold in (15, 20):
        at = covered[covered["threshold_minutes"].eq(threshold)]
        best = dict(zip(at["speed_factor"], at["best_value"], strict=True))
        assert best[0.8] <= best[1.0]
    for speed in (0.8, 1.0):
        at = covered[covered["speed_factor"].eq(speed)]
        by_threshold = dict(zip(at["threshold_minutes"], at["chosen_value"], strict=True))
        assert by_threshold[15] <= by_threshold[20]
    within = (robust["regret_pct"] <= 5 + 1e-9)
    assert (robust["within"] == within).all()






def test_conclusion_numbers_come_from_the_tables(run_pair: Path) -> None:
    facts = json.loads((run_pair / "justification.json").read_text(encoding="utf-8"))
    allowed = allowed_numbers(run_pair, facts)
    markdown = (run_pair / "justification.md").read_text(encoding="utf-8")
    ranking = _ranking(run_pair)
    chosen = ranking[ranking["chosen"]].iloc[0]
    texts = [s["en"] for s in facts["conclusion"]] + [s["zh"] for s in facts["conclusion"]]
    for text in texts:
        assert text in markdown
        for number in NUMBER.findall(text):
            assert number in allowed, f"{number!r} in {text!r} is in no table"
    covered = next(s["en"] for s in facts["conclusion"] if s["en"].startswith("For rural"))
    assert f"{chosen['covered']:,.0f}" in covered
    assert f"rank {int(chosen['covered_rank'])} of all 10 sets" in covered


@pytest.mark.parametrize("name", ["500000002", "乙镇", "乙", "Yi", "yi town", "Yizhen"])
def test_site_names_resolve(county: Path, name: str) -> None:
    towns = gpd.read_file(county.parent / "county" / "towns.geojson")
    assert resolve_sites([name], towns, aliases={"Yizhen": "乙镇"}) == ["500000002"]


def test_unknown_site_lists_the_closest(county: Path, tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"no town called 'Dingg'.*closest: .*Ding"):
        justify(county, "乙镇,Dingg", tmp_path / "x", make_map=False)
    with pytest.raises(ScenarioError, match="named twice"):
        justify(county, "乙镇,Yi", tmp_path / "x", make_map=False)
    assert not (tmp_path / "x").exists()


def test_failure_leaves_nothing_behind(county: Path, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> str:
        raise RuntimeError("disk full")

    monkeypatch.setattr(report_module, "markdown", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        justify(county, "乙镇,丁镇", tmp_path / "out", make_map=False)
    assert list(tmp_path.iterdir()) == []


def test_map_and_summary_text(county: Path, tmp_path: Path) -> None:
    if cjk_font() is None:
        with pytest.warns(MedallocWarning, match="romanised"):
            summary = justify(county, "乙镇,丁镇", tmp_path / "map")
    else:
        summary = justify(county, "乙镇,丁镇", tmp_path / "map")
    png = tmp_path / "map" / "justification_map.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = summary.to_text()
    assert "justifying 乙镇、丁镇 against 10 admissible sets" in text
    assert summary.files[-1] == "justification_map.png"


def test_map_without_cjk_font_labels_in_pinyin(county: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plot_module, "cjk_font", lambda: None)
    with pytest.warns(MedallocWarning, match="labels use the romanised names"):
        justify(county, "乙镇,丁镇", tmp_path / "pinyin")
    assert (tmp_path / "pinyin" / "justification_map.png").stat().st_size > 0
