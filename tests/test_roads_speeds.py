"""The shipped speed table: consistent with the travel engine, the standards and the scenario."""

from __future__ import annotations

import numpy as np
import pytest

from optimizer.errors import ScenarioError
from optimizer.roads.speeds import road_speeds_kmh, speed_table
from optimizer.roads.tags import ROAD_CLASSES
from optimizer.travel.table import TravelSettings


def test_motorised_column_is_the_engines_default() -> None:
    # The engine's default road_speeds_kmh and the documented table must not drift apart.
    assert road_speeds_kmh("motorised") == dict(sorted(TravelSettings().road_speeds_kmh.items()))


def test_every_imported_class_has_a_speed_for_cars() -> None:
    table = speed_table()
    assert set(ROAD_CLASSES) <= set(table["road_class"])
    assert table["road_class"].is_unique
    assert (table["motorised_kmh"] > 0).all()
    assert table["basis"].str.len().gt(10).all()  # every value says where it comes from


def test_chosen_speeds_do_not_exceed_the_design_speeds() -> None:
    table = speed_table().dropna(subset=["design_speed_kmh"])
    upper = table["design_speed_kmh"].str.split("-").str[-1].astype(float)
    assert (table["motorised_kmh"] <= upper).all()


def test_no_walking_or_ebike_on_expressways() -> None:
    for mode in ("walk", "ebike"):
        speeds = road_speeds_kmh(mode)
        assert "motorway" not in speeds
        assert "expressway" not in speeds
        assert speeds["primary"] > 0


def test_scenario_overrides_cars_and_caps_every_mode() -> None:
    settings = TravelSettings.from_dict({
        "road_speeds_kmh": {"primary": 35.0, "ferry": 10.0},
        "speeds_kmh": {"ebike": {"urban": 12.0, "rural": 12.0}},
    })
    cars = road_speeds_kmh("motorised", settings)
    assert cars["primary"] == 35.0
    assert cars["ferry"] == 10.0
    assert cars["trunk"] == 40.0  # capped at the fastest motorised speed (rural 40)
    ebike = road_speeds_kmh("ebike", settings)
    assert max(ebike.values()) == 12.0
    assert ebike["footway"] == 6.0
    assert np.isclose(min(road_speeds_kmh("walk", settings).values()), 4.5)


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(ScenarioError, match="use one of"):
        road_speeds_kmh("horse")
