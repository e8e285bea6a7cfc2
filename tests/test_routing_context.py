"""Tests for where roads come from, the OSM attribution, and the both-model verdicts."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from optimizer.config.scenario import read_scenario_toml, scenario_from_dict
from optimizer.errors import DataError, ScenarioError
from optimizer.routing.context import from_openstreetmap, road_layer, road_network
from optimizer.routing.models import rank_correlation, shares_sentence
from optimizer.travel.table import TravelSettings

ROOT = Path(__file__).resolve().parents[1]


def roads_file(path: Path, **columns: list[object]) -> Path:
    lines = [shapely.LineString([(0, 0), (1000, 0)]), shapely.LineString([(1000, 0), (1000, 900)])]
    frame = gpd.GeoDataFrame({"speed_kmh": [30.0, 30.0], **columns},
                             geometry=gpd.GeoSeries(lines, crs="EPSG:4544"))
    frame.to_file(path, driver="GPKG")
    return path


def test_travel_roads_is_relative_to_the_scenario(tmp_path: Path) -> None:
    raw = read_scenario_toml(ROOT / "scenarios" / "yongchuan_2025.toml")
    raw["travel"] = {**raw["travel"], "mode": "network", "roads": "roads/roads.gpkg"}
    scenario = scenario_from_dict(raw, tmp_path / "mine.toml")
    expected = (tmp_path / "roads" / "roads.gpkg").resolve()
    assert Path(str(scenario.travel.roads)) == expected
    assert expected in scenario.input_paths
    settings = scenario.travel
    with pytest.raises(DataError, match=r"road layer named by \[travel\] roads does not exist"):
        road_layer(settings, None)
    (tmp_path / "roads").mkdir()
    roads_file(expected)
    network = road_network(settings, None)
    assert network is not None
    assert len(network.edge_u) == 10  # 1 000 + 900 m in pieces of at most 200 m: 5 + 5
    assert road_network(settings, None) is network  # built once, then reused


def test_network_mode_without_roads_names_both_ways() -> None:
    with pytest.raises(ScenarioError, match=r"set \[travel\] roads .* roads.gpkg in the data"):
        road_network(TravelSettings(mode="network"), None)
    assert road_network(TravelSettings(), None) is None


def test_openstreetmap_layers_are_recognised(tmp_path: Path) -> None:
    plain = gpd.read_file(roads_file(tmp_path / "a.gpkg"))
    assert not from_openstreetmap(plain)
    assert from_openstreetmap(plain.assign(osm_id=[1, 2]))
    assert from_openstreetmap(plain.assign(source=["OpenStreetMap 2025", None]))
    assert not from_openstreetmap(plain.assign(source=["county survey", "county survey"]))
    assert not from_openstreetmap(None)


def test_settings_record_keeps_straight_line_as_it_was() -> None:
    lines = TravelSettings()
    assert "roads" not in lines.to_dict()
    assert "offroad_kmh" not in lines.to_dict()
    network = TravelSettings(mode="network", roads="/somewhere/roads.gpkg")
    record = network.to_dict()
    assert record["roads"] == "/somewhere/roads.gpkg"
    assert record["offroad_kmh"] == {"walk": 4.5, "ebike": 10.0, "motorised": 15.0}
    assert TravelSettings.from_dict(record) == network
    assert TravelSettings.from_dict(lines.to_dict()) == lines
    with pytest.raises(ScenarioError, match=r"offroad_kmh.ebike must be a positive number"):
        TravelSettings.from_dict({"offroad_kmh": {"ebike": 0}})


def test_rank_correlation_by_hand() -> None:
    assert rank_correlation(np.array([1, 2, 3, 4.0]), np.array([10, 20, 30, 40.0])) == 1.0
    assert rank_correlation(np.array([1, 2, 3, 4.0]), np.array([4, 3, 2, 1.0])) == -1.0
    # Ranks 1 2 3 4 against 2 1 3 4: d^2 = 2, rho = 1 - 6 * 2 / (4 * 15) = 0.8.
    assert rank_correlation(np.array([1, 2, 3, 4.0]), np.array([2, 1, 3, 4.0])) == \
        pytest.approx(0.8)
    assert rank_correlation(np.array([1, 1, 1.0]), np.array([1, 2, 3.0])) is None


def test_gaps_survive_only_within_five_points() -> None:
    rows = [{"group": "primary", "threshold_minutes": 15.0, "share_network": 0.50,
             "share_straight_line": 0.36, "change_points": 14.0},
            {"group": "referral", "threshold_minutes": 30.0, "share_network": 0.10,
             "share_straight_line": 0.09, "change_points": 1.0}]
    moved = shares_sentence(rows)
    assert "do not survive" in moved["en"]
    assert "+14.0 points" in moved["en"]
    assert "50.0 % on roads against 36.0 % on straight lines" in moved["en"]
    kept = shares_sentence(rows[1:])
    assert "the gaps survive the change of travel model" in kept["en"]
