"""``--model`` draws, one of them on a road network: the re-optimised allocation model and the
numpy ranking must agree draw by draw where the scenario's objective is the coverage measure."""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString
from support.justify_county import write_county

from optimizer.config.scenario import load_scenario
from optimizer.dataset.load import load_dataset
from optimizer.uncertainty.base import DrawBase, prepare_base
from optimizer.uncertainty.draw import evaluate, sample_inputs
from optimizer.uncertainty.job import run_uncertainty

SITES = "乙镇,丁镇"
SPEED = 25.0  # km/h on every road: slower than the straight-line car, so roads change coverage
# Only travel varies: speeds, the detour factor, and a third of the draws on the roads.
SECTION = """
[uncertainty]
network_share = 0.34
town_growth_sd = 0.0
sensitivity_draws = 0
"""


def write_roads(folder: Path) -> None:
    """A road grid over the county, one segment between neighbouring nodes (so crossings
    are nodes): every 0.02 degree east-west, every 0.01 degree north-south, at SPEED."""
    lons = [105.0 + 0.02 * i for i in range(31)]
    lats = [29.30 + 0.01 * j for j in range(11)]
    lines = [LineString([(x, y), (x2, y)]) for y in lats for x, x2 in pairwise(lons)]
    lines += [LineString([(x, y), (x, y2)]) for x in lons for y, y2 in pairwise(lats)]
    gpd.GeoDataFrame({"speed_kmh": [SPEED] * len(lines)}, geometry=lines,
                     crs="EPSG:4326").to_file(folder / "roads.geojson", driver="GeoJSON")


def _seed_with_one_network_draw(base: DrawBase) -> int:
    for seed in range(100):
        if sum(sample_inputs(base, seed, d).network for d in range(3)) == 1:
            return seed
    raise AssertionError("no seed in 0..99 gives exactly one network draw in three")


@pytest.mark.slow
def test_model_draws_agree_with_the_ranking_on_roads_and_straight_lines(tmp_path: Path) -> None:
    path = write_county(tmp_path, justify_keys=SECTION)
    write_roads(tmp_path / "county")
    scenario = load_scenario(path)
    base = prepare_base(scenario, load_dataset([scenario.data.folder]), SITES.split(","))
    seed = _seed_with_one_network_draw(base)
    out = run_uncertainty(path, tmp_path / "out", sites=SITES, draws=3, seed=seed, workers=0,
                          model=True, make_map=False)
    assert (out.computed, out.missing) == (3, ())
    draws = pd.read_csv(tmp_path / "out" / "draws.csv", encoding="utf-8-sig")
    assert draws["network"].tolist().count(True) == 1
    assert draws["model_status"].eq("optimal").all()
    # coverage:referral is the covered measure here (rural residents within 20 minutes of a
    # sub-centre or the hospital): the MIP's value of the chosen set and of the best set must
    # be the ranking's, with the draw's travel model, speeds and detour
    assert draws["model_chosen"].tolist() == pytest.approx(draws["covered_chosen"].tolist())
    assert draws["model_best"].tolist() == pytest.approx(draws["covered_best"].tolist())
    assert (draws["model_regret_pct"] >= 0).all()
    # the roads matter: the same draw on straight lines covers another number of residents
    on_roads = int(draws.index[draws["network"]][0])
    inputs = sample_inputs(base, seed, on_roads)
    straight = evaluate(base, replace(inputs, network=False), coverage=False)
    assert straight["measures"]["covered"]["chosen"] != pytest.approx(
        draws.loc[on_roads, "model_chosen"])
