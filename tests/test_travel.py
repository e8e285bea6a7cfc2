"""Tests for travel.table: settings, straight-line tables vs hand numbers and brute force."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from optimizer.errors import DataError, ScenarioError
from optimizer.travel.table import (
    TravelSettings,
    demand_settings,
    facility_settings,
    nearest_table,
    point_xy,
    straight_line_pairs,
    travel_table,
)

X0, Y0 = 500_000.0, 3_300_000.0  # a spot near Yongchuan in EPSG:4544
OFFSET = np.array([X0, Y0])


def layer(ids: list[str], xy: list[tuple[float, float]], id_column: str, **columns: object
          ) -> gpd.GeoDataFrame:
    """Points given in EPSG:4544 metres around (X0, Y0), returned in WGS84 as loaded."""
    coords = np.asarray(xy, dtype=float) + OFFSET
    geometry = gpd.GeoSeries(shapely.points(coords), crs="EPSG:4544").to_crs("EPSG:4326")
    return gpd.GeoDataFrame({id_column: ids, **columns}, geometry=geometry)


TOWNS = pd.DataFrame({"code": ["500118001", "500118101"], "kind": ["subdistrict", "town"]})


@pytest.fixture
def tiny() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    demand = layer(["a", "b"], [(0, 0), (4000, 0)], "demand_id",
                   town_code=["500118001", "500118101"], population=[100.0, 200.0])
    facilities = layer(["f"], [(0, 3000)], "facility_id")
    return demand, facilities


def test_straight_line_minutes_match_hand_numbers(tiny: tuple[gpd.GeoDataFrame, ...]) -> None:
    demand, facilities = tiny
    settings = TravelSettings()
    table = travel_table(demand, facilities, settings=settings, travel_mode="motorised",
                         max_minutes=60, origin_setting=demand_settings(demand, TOWNS))
    assert list(table.columns) == ["origin_id", "destination_id", "distance_m", "minutes"]
    assert list(table["origin_id"]) == ["a", "b"]
    # a (urban): 3000 m * 1.3 = 3900 m at 25 km/h -> 3.9 / 25 * 60 = 9.36 min
    # b (rural): hypot(4000, 3000) = 5000 m * 1.3 = 6500 m at 40 km/h -> 9.75 min
    assert table["distance_m"].to_numpy() == pytest.approx([3900.0, 6500.0], abs=0.01)
    assert table["minutes"].to_numpy() == pytest.approx([9.36, 9.75], abs=1e-4)


def test_cap_is_inclusive_and_filters_per_origin_speed(tiny: tuple[gpd.GeoDataFrame, ...]) -> None:
    demand, facilities = tiny
    setting = demand_settings(demand, TOWNS)
    table = travel_table(demand, facilities, settings=TravelSettings(), travel_mode="ebike",
                         max_minutes=20, origin_setting=setting)
    # ebike 15 km/h: a 3.9 km -> 15.6 min kept; b 6.5 km -> 26 min dropped.
    assert list(table["origin_id"]) == ["a"]
    assert table["minutes"].iloc[0] == pytest.approx(15.6, abs=1e-4)


def test_nearest_table_has_no_cap(tiny: tuple[gpd.GeoDataFrame, ...]) -> None:
    demand, facilities = tiny
    near = nearest_table(demand, facilities, settings=TravelSettings(), travel_mode="walk")
    # walk 4.5 km/h = 75 m/min: 3900 / 75 = 52 min; 6500 / 75 = 86.667 min
    assert list(near["destination_id"]) == ["f", "f"]
    assert near["minutes"].to_numpy() == pytest.approx([52.0, 86.6667], abs=1e-3)


def test_nearest_without_destinations_is_unreachable(tiny: tuple[gpd.GeoDataFrame, ...]) -> None:
    demand, facilities = tiny
    near = nearest_table(demand, facilities.iloc[:0], settings=TravelSettings(),
                         travel_mode="walk")
    assert near["destination_id"].isna().all()
    assert np.isinf(near["minutes"]).all()


def test_geographic_crs_is_refused() -> None:
    with pytest.raises(ScenarioError, match=r"geographic.*EPSG:4544"):
        TravelSettings(crs="EPSG:4326")


def test_point_xy_refuses_geographic_crs(tiny: tuple[gpd.GeoDataFrame, ...]) -> None:
    with pytest.raises(ScenarioError, match="geographic CRS"):
        point_xy(tiny[0], "EPSG:4326", layer="demand")


def test_layer_without_crs_is_a_data_error(tiny: tuple[gpd.GeoDataFrame, ...]) -> None:
    demand = tiny[0].set_crs(None, allow_override=True)
    with pytest.raises(DataError, match="no CRS"):
        point_xy(demand, "EPSG:4544", layer="demand")


def test_duplicate_ids_are_a_data_error(tiny: tuple[gpd.GeoDataFrame, ...]) -> None:
    demand, facilities = tiny
    twice = pd.concat([facilities, facilities])
    with pytest.raises(DataError, match="duplicate id"):
        travel_table(demand, twice, settings=TravelSettings(), travel_mode="walk",
                     max_minutes=10)


def test_network_mode_needs_roads(tiny: tuple[gpd.GeoDataFrame, ...]) -> None:
    with pytest.raises(ScenarioError, match="no roads were given"):
        travel_table(*tiny, settings=TravelSettings(mode="network"), travel_mode="walk",
                     max_minutes=10)


def test_from_dict_rejects_unknown_key_naming_allowed_ones() -> None:
    with pytest.raises(ScenarioError, match=r"'speed' \(did you mean 'speeds_kmh'\?\).*"
                                             r"allowed keys.*detour_factor"):
        TravelSettings.from_dict({"speed": 3})
    with pytest.raises(ScenarioError, match=r"setting\(s\) 'zzz'; allowed keys"):  # no guess
        TravelSettings.from_dict({"zzz": 3})


def test_from_dict_rejects_unknown_nested_keys() -> None:
    with pytest.raises(ScenarioError, match=r"unknown travel mode\(s\) \['bike'\]"):
        TravelSettings.from_dict({"speeds_kmh": {"bike": {"urban": 12}}})
    with pytest.raises(ScenarioError, match=r"unknown setting\(s\) \['suburban'\]"):
        TravelSettings.from_dict({"speeds_kmh": {"walk": {"suburban": 4}}})


def test_from_dict_merges_partial_values_and_round_trips() -> None:
    settings = TravelSettings.from_dict(
        {"detour_factor": 1.5, "speeds_kmh": {"walk": {"urban": 5.0}},
         "travel_modes": {"primary": "walk"}}
    )
    assert settings.speed_kmh("walk", "urban") == 5.0
    assert settings.speed_kmh("walk", "rural") == 4.5
    assert settings.travel_mode_for("primary") == "walk"
    assert settings.travel_mode_for("referral") == "motorised"
    assert settings.travel_mode_for("specialist") == "motorised"
    assert TravelSettings.from_dict(settings.to_dict()) == settings


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"detour_factor": 0.9}, "detour_factor must be >= 1"),
        ({"mode": "flying"}, "'flying' is not known"),
        ({"speeds_kmh": {"walk": {"urban": 0}}}, r"speeds_kmh.walk.urban must be a positive"),
        ({"travel_modes": {"primary": "horse"}}, "'horse' for 'primary' is not known"),
    ],
)
def test_bad_values_are_scenario_errors(raw: dict[str, object], message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        TravelSettings.from_dict(raw)


def test_settings_mappings_are_read_only() -> None:
    settings = TravelSettings()
    with pytest.raises(TypeError, match="does not support item assignment"):
        settings.travel_modes["primary"] = "walk"  # type: ignore[index]


def test_demand_in_unknown_town_is_a_data_error(tiny: tuple[gpd.GeoDataFrame, ...]) -> None:
    demand = tiny[0].assign(town_code=["500118001", "999999999"])
    with pytest.raises(DataError, match="999999999"):
        demand_settings(demand, TOWNS)


@pytest.mark.parametrize("seed", range(12))
def test_kd_tree_pairs_equal_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(10, 60)), int(rng.integers(1, 25))
    origin_xy = rng.uniform(0, 20_000, (n, 2))
    destination_xy = rng.uniform(0, 20_000, (m, 2))
    # Even seeds: a few speeds (one KD query per speed); odd: all distinct (one query, filter).
    speed = rng.choice([15.0, 25.0, 40.0], n) if seed % 2 == 0 else rng.uniform(5, 40, n)
    detour, cap = float(rng.uniform(1.0, 1.6)), float(rng.uniform(5, 30))
    i, j, distance_m, minutes = straight_line_pairs(
        origin_xy, destination_xy, speed, detour_factor=detour, max_minutes=cap
    )
    # Dense oracle: every pair, no tree.
    dense_m = np.hypot(*(origin_xy[:, None, :] - destination_xy[None, :, :]).transpose(2, 0, 1))
    dense_min = dense_m * detour / (speed[:, None] * 1000 / 60)
    oi, oj = np.nonzero(dense_min <= cap)  # row-major: sorted by origin, then destination
    np.testing.assert_array_equal(i, oi)
    np.testing.assert_array_equal(j, oj)
    np.testing.assert_allclose(minutes, dense_min[oi, oj])
    np.testing.assert_allclose(distance_m, dense_m[oi, oj] * detour)


def test_table_is_sorted_by_ids_not_positions() -> None:
    demand = layer(["z", "a", "m"], [(0, 0), (100, 0), (200, 0)], "demand_id")
    facilities = layer(["f2", "f1"], [(0, 50), (200, 50)], "facility_id")
    table = travel_table(demand, facilities, settings=TravelSettings(), travel_mode="walk",
                         max_minutes=60)
    keys = list(zip(table["origin_id"], table["destination_id"], strict=True))
    assert keys == sorted(keys)
    assert len(keys) == 6


def test_facility_to_facility_table_for_referral() -> None:
    towns = TOWNS
    facilities = layer(["thc", "hosp"], [(0, 0), (0, 8000)], "facility_id",
                       town_code=["500118101", "500118001"], tier=["township_health_centre",
                                                               "secondary_hospital"])
    hospitals = facilities[facilities["tier"] == "secondary_hospital"]
    table = travel_table(facilities, hospitals, settings=TravelSettings(),
                         travel_mode="motorised", max_minutes=30, origin_id="facility_id",
                         origin_setting=facility_settings(facilities, towns))
    # hosp -> hosp 0 min; thc (rural, 40 km/h) -> hosp 8 000 * 1.3 / 666.67 = 15.6 min
    assert list(zip(table["origin_id"], table["destination_id"], strict=True)) == [
        ("hosp", "hosp"), ("thc", "hosp")]
    assert table["minutes"].to_numpy() == pytest.approx([0.0, 15.6], abs=1e-4)
