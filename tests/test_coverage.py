"""Tests for spatial.coverage: nearest per tier group, flags, town shares, gaps, monotonicity."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.points import RURAL, URBAN, make_demand, make_facilities, make_towns, to_wgs84

from optimizer.errors import MedallocWarning, ScenarioError
from optimizer.spatial.coverage import (
    DEFAULT_TIER_GROUPS,
    coverage_table,
    gaps,
    normalise_thresholds,
    outside_counts,
    town_coverage,
)
from optimizer.travel.table import TravelSettings, demand_settings, travel_table

THRESHOLDS = {"primary": [15, 30], "referral": 30}


@pytest.fixture
def table() -> pd.DataFrame:
    return coverage_table(make_demand(), make_facilities(), make_towns(),
                          settings=TravelSettings(), thresholds=THRESHOLDS)


def test_nearest_and_minutes_match_hand_numbers(table: pd.DataFrame) -> None:
    # Primary by e-bike, 15 km/h = 250 m/min, detour 1.3:
    #   d1 -> vc1 1500 m * 1.3 / 250 = 7.8; d2 -> thc2 2000 * 1.3 / 250 = 10.4;
    #   d3 -> thc2 hypot(14000, 2000) * 1.3 / 250 = 73.5391.
    # Referral motorised, d1 urban 25 km/h (416.67 m/min), d2/d3 rural 40 km/h (666.67 m/min):
    #   d1 -> h1 3000 * 1.3 / 416.67 = 9.36; d2 hypot(6000, 3000) * 1.3 / 666.67 = 13.0808;
    #   d3 hypot(20000, 3000) * 1.3 / 666.67 = 39.4364.
    assert list(table["demand_id"]) == ["d1", "d2", "d3"]
    assert list(table["nearest_primary_facility_id"]) == ["vc1", "thc2", "thc2"]
    assert table["nearest_primary_minutes"].to_numpy() == pytest.approx(
        [7.8, 10.4, math.hypot(14000, 2000) * 1.3 / 250], rel=1e-5)
    assert list(table["nearest_referral_facility_id"]) == ["h1", "h1", "h1"]
    assert table["nearest_referral_minutes"].to_numpy() == pytest.approx(
        [9.36, math.hypot(6000, 3000) * 1.3 / (40000 / 60),
         math.hypot(20000, 3000) * 1.3 / (40000 / 60)], rel=1e-5)
    assert list(table["covered_primary_15"]) == [True, True, False]
    assert list(table["covered_primary_30"]) == [True, True, False]
    assert list(table["covered_referral_30"]) == [True, True, False]


def test_town_shares(table: pd.DataFrame) -> None:
    towns = town_coverage(table, make_towns(), normalise_thresholds(DEFAULT_TIER_GROUPS,
                                                                    THRESHOLDS))
    assert list(towns["town_code"]) == [URBAN, RURAL]
    assert list(towns["population"]) == [1000.0, 800.0]
    assert list(towns["covered_population_primary_15"]) == [1000.0, 500.0]
    assert towns["covered_share_primary_15"].to_numpy() == pytest.approx([1.0, 0.625])


def test_gaps_ranked_by_population() -> None:
    demand = make_demand()
    demand["population"] = [1000.0, 300.0, 300.0]
    far = make_facilities().iloc[[2]]  # only the hospital: primary has nothing
    with pytest.warns(MedallocWarning, match="no facility belongs to tier group 'primary'"):
        table = coverage_table(demand, far, make_towns(), settings=TravelSettings(),
                               thresholds=THRESHOLDS)
    listed = gaps(table, "primary", 15)
    # Everyone is uncovered: largest first, ties by id.
    assert list(listed["demand_id"]) == ["d1", "d2", "d3"]
    counts = outside_counts(table, {"primary": (15.0,)})
    assert counts.loc[0, "residents"] == 1600.0
    assert counts.loc[0, "villages"] == 3


def test_outside_counts_hand_numbers(table: pd.DataFrame) -> None:
    counts = outside_counts(table, {"primary": (15.0,), "referral": (30.0,)})
    assert counts.to_dict("records") == [
        {"group": "primary", "threshold_minutes": 15.0, "residents": 300.0, "villages": 1,
         "share_residents": pytest.approx(300 / 1800)},
        {"group": "referral", "threshold_minutes": 30.0, "residents": 300.0, "villages": 1,
         "share_residents": pytest.approx(300 / 1800)},
    ]


def test_gaps_for_a_threshold_not_run(table: pd.DataFrame) -> None:
    with pytest.raises(ScenarioError, match="'primary' at 60 minutes"):
        gaps(table, "primary", 60)


@pytest.mark.parametrize(
    ("thresholds", "message"),
    [
        ({"primary": 15}, "'referral' has no coverage threshold"),
        ({"primary": 15, "referral": 30, "dental": 20}, r"unknown tier group\(s\) \['dental'\]"),
        ({"primary": [], "referral": 30}, "empty threshold list"),
        ({"primary": -5, "referral": 30}, "must be a positive number"),
    ],
)
def test_bad_thresholds(thresholds: dict[str, object], message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        normalise_thresholds(DEFAULT_TIER_GROUPS, thresholds)  # type: ignore[arg-type]


def test_thresholds_that_share_a_column_name() -> None:
    with pytest.raises(ScenarioError, match="too close to tell apart"):
        normalise_thresholds({"primary": ["x"]}, {"primary": [15.0, 15.0000001]})


def test_thresholds_sorted_and_deduplicated() -> None:
    assert normalise_thresholds(DEFAULT_TIER_GROUPS, {"primary": [30, 15, 15],
                                                      "referral": 60}) == {
        "primary": (15.0, 30.0), "referral": (60.0,)}


def test_flags_agree_with_the_sparse_table(table: pd.DataFrame) -> None:
    demand, facilities = make_demand(), make_facilities()
    primary = facilities[facilities["tier"].isin(DEFAULT_TIER_GROUPS["primary"])]
    pairs = travel_table(demand, primary, settings=TravelSettings(), travel_mode="ebike",
                         max_minutes=15, origin_setting=demand_settings(demand, make_towns()))
    reached = set(pairs["origin_id"])
    assert [d in reached for d in table["demand_id"]] == list(table["covered_primary_15"])


coords = st.tuples(st.floats(0, 30_000), st.floats(-4_000, 4_000))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    demand_xy=st.lists(coords, min_size=1, max_size=12),
    facility_xy=st.lists(coords, min_size=1, max_size=5),
    low=st.integers(2, 120).map(lambda v: v / 2),
    extra=st.integers(0, 120).map(lambda v: v / 2),
)
def test_coverage_is_monotone_in_the_threshold(
    demand_xy: list[tuple[float, float]],
    facility_xy: list[tuple[float, float]],
    low: float,
    extra: float,
) -> None:
    n, m = len(demand_xy), len(facility_xy)
    demand = gpd.GeoDataFrame(
        {"demand_id": [f"d{k:02d}" for k in range(n)],
         "town_code": [URBAN if x < 3000 else RURAL for x, _ in demand_xy],
         "population": np.arange(1, n + 1, dtype=float) * 10},
        geometry=to_wgs84(demand_xy),
    )
    facilities = gpd.GeoDataFrame(
        {"facility_id": [f"f{k}" for k in range(m)], "tier": "village_clinic"},
        geometry=to_wgs84(facility_xy),
    )
    high = low + extra
    table = coverage_table(demand, facilities, make_towns(), settings=TravelSettings(),
                           tier_groups={"primary": ["village_clinic"]},
                           thresholds={"primary": [low, high]})
    narrow = table[f"covered_primary_{low:g}"].to_numpy()
    wide = table[f"covered_primary_{high:g}"].to_numpy()
    assert np.all(wide | ~narrow)  # covered at the lower threshold implies covered higher
    assert table.loc[wide, "population"].sum() >= table.loc[narrow, "population"].sum()
