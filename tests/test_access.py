"""Tests for spatial.access: 2SFCA/E2SFCA by hand, supply conservation, Gini, decile ratio."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from optimizer.errors import DataError, ScenarioError
from optimizer.spatial.access import (
    access_indices,
    decile_ratio,
    inequality,
    step_weight,
    town_access,
    two_step_fca,
    weighted_gini,
)

# Two demand points, two facilities:
#   k1 1000 residents, k2 3000; j1 10 beds, j2 20 beds
#   k1-j1 5 min, k1-j2 25 min, k2-j1 15 min, k2-j2 40 min
TABLE = pd.DataFrame(
    {"origin_id": ["k1", "k1", "k2", "k2"], "destination_id": ["j1", "j2", "j1", "j2"],
     "distance_m": [0.0, 0.0, 0.0, 0.0], "minutes": [5.0, 25.0, 15.0, 40.0]}
)
POPULATION = pd.Series([1000.0, 3000.0], index=pd.Index(["k1", "k2"]))
BEDS = pd.Series([10.0, 20.0], index=pd.Index(["j1", "j2"]))


def test_step_weights_bands() -> None:
    weights = step_weight(np.array([0, 10, 10.01, 20, 25, 30, 30.01]),
                          {10: 1.0, 20: 0.68, 30: 0.22})
    np.testing.assert_allclose(weights, [1, 1, 0.68, 0.68, 0.22, 0.22, 0])


def test_enhanced_2sfca_by_hand() -> None:
    # Weights {10: 1, 20: 0.68, 30: 0.22}: k1-j1 1, k1-j2 0.22, k2-j1 0.68, k2-j2 0 (40 min).
    # Step 1: R1 = 10 / (1 * 1000 + 0.68 * 3000) = 10 / 3040 = 0.00328947
    #         R2 = 20 / (0.22 * 1000)             = 20 / 220  = 0.09090909
    # Step 2: A1 = 1 * R1 + 0.22 * R2 = 0.00328947 + 0.02 = 0.02328947
    #         A2 = 0.68 * R1                      = 0.00223684
    access = two_step_fca(TABLE, POPULATION, BEDS, step_weights={10: 1.0, 20: 0.68, 30: 0.22})
    assert list(access.index) == ["k1", "k2"]
    assert access.to_numpy() == pytest.approx([10 / 3040 + 0.02, 0.68 * 10 / 3040])


def test_plain_2sfca_by_hand() -> None:
    # One 30-minute step: R1 = 10 / 4000 = 0.0025, R2 = 20 / 1000 = 0.02 (k2-j2 is 40 min);
    # A1 = 0.0025 + 0.02 = 0.0225, A2 = 0.0025.
    access = two_step_fca(TABLE, POPULATION, BEDS, step_weights={30: 1.0})
    assert access.to_numpy() == pytest.approx([0.0225, 0.0025])


@pytest.mark.parametrize("seed", range(6))
def test_reached_supply_is_conserved(seed: int) -> None:
    # sum_k P_k A_k = sum_j R_j sum_k W P_k = sum of the supply of every reached facility.
    rng = np.random.default_rng(seed)
    n, m = 15, 6
    minutes = rng.uniform(0, 45, (n, m))
    k, j = np.nonzero(minutes <= 40)
    table = pd.DataFrame({"origin_id": [f"k{v}" for v in k], "destination_id": [f"j{v}" for v in j],
                          "minutes": minutes[k, j]})
    population = pd.Series(rng.uniform(10, 1000, n), index=[f"k{v}" for v in range(n)])
    supply = pd.Series(rng.uniform(0, 50, m), index=[f"j{v}" for v in range(m)])
    steps = {10: 1.0, 20: 0.68, 30: 0.22}
    access = two_step_fca(table, population, supply, step_weights=steps)
    reached = sorted({f"j{v}" for v in j[minutes[k, j] <= 30]})
    assert float(np.dot(access, population)) == pytest.approx(float(supply[reached].sum()))


def test_access_indices_and_town_means() -> None:
    demand = pd.DataFrame({"demand_id": ["k2", "k1"], "town_code": ["t", "t"],
                           "population": [3000.0, 1000.0]})
    facilities = pd.DataFrame({"facility_id": ["j1", "j2"], "beds": [10, 20], "doctors": [2, 0]})
    access = access_indices(TABLE, demand, facilities, step_weights={30: 1.0})
    assert list(access["demand_id"]) == ["k1", "k2"]
    assert access["beds_per_1000"].to_numpy() == pytest.approx([22.5, 2.5])
    # doctors: R1 = 2 / 4000; A1 = A2 = 0.0005 -> 0.5 per 1000
    assert access["doctors_per_1000"].to_numpy() == pytest.approx([0.5, 0.5])
    towns = town_access(access, ["beds", "doctors"])
    # (22.5 * 1000 + 2.5 * 3000) / 4000 = 7.5 = all 30 beds / 4000 residents * 1000
    assert towns.loc[0, "beds_per_1000"] == pytest.approx(7.5)


def test_missing_resource_column() -> None:
    demand = pd.DataFrame({"demand_id": ["k1"], "town_code": ["t"], "population": [1.0]})
    with pytest.raises(DataError, match="'gps'"):
        access_indices(TABLE, demand, pd.DataFrame({"facility_id": ["j1"]}), resources=["gps"])


def test_bad_step_weights() -> None:
    with pytest.raises(ScenarioError, match=r"finite and >= 0"):
        step_weight(np.array([1.0]), {10: -0.5})
    # access (pysal) allows weights above 1: they scale supply up
    assert step_weight(np.array([5.0, 15.0]), {10: 1.5, 20: 1.0}).tolist() == [1.5, 1.0]


def test_gini_by_hand() -> None:
    # Equal populations at 1 and 3: mean |xi - xj| over all ordered pairs = 4 / 4 = 1,
    # divided by 2 * mean (4) -> 0.25.
    assert weighted_gini(np.array([3.0, 1.0]), np.array([5.0, 5.0])) == pytest.approx(0.25)
    # 9 residents at 1, one at 5: sum |xi - xj| = 2 * 9 * 4 = 72, / 100 = 0.72, / (2 * 1.4).
    assert weighted_gini(np.array([1.0, 5.0]), np.array([9.0, 1.0])) == pytest.approx(0.72 / 2.8)
    assert weighted_gini(np.array([2.0, 2.0]), np.array([1.0, 7.0])) == pytest.approx(0.0)


def test_decile_ratio_by_hand() -> None:
    assert decile_ratio(np.array([1.0, 3.0]), np.array([5.0, 5.0])) == pytest.approx(3.0)
    # 9 residents at 1 and one at 5: worst 10 % (1 resident) at 1, best 10 % at 5.
    assert decile_ratio(np.array([1.0, 5.0]), np.array([9.0, 1.0])) == pytest.approx(5.0)
    # Best decile straddles two towns: 95 at 1, 5 at 3, 5 at 4 (105 residents, 10.5 a decile):
    # top = (5 * 4 + 5 * 3 + 0.5 * 1) / 10.5 = 35.5 / 10.5; bottom = 1.
    assert decile_ratio(np.array([1.0, 3.0, 4.0]),
                        np.array([95.0, 5.0, 5.0])) == pytest.approx(35.5 / 10.5)
    assert decile_ratio(np.array([0.0, 3.0]), np.array([5.0, 5.0])) == np.inf


def test_inequality_table() -> None:
    towns = pd.DataFrame({"town_code": ["a", "b"], "beds_per_1000": [1.0, 3.0]})
    table = inequality(towns, pd.Series({"a": 5.0, "b": 5.0}), ["beds"])
    assert table.to_dict("records") == [
        {"resource": "beds", "gini": pytest.approx(0.25), "decile_ratio": pytest.approx(3.0),
         "no_access_towns": 0}
    ]


# k3 reaches nothing within 30 minutes (no access); k4 reaches only j3, which has no doctors
# and is absent from the bed supply (zero supply: a true 0, not "no access").
FAR = pd.concat([TABLE, pd.DataFrame({
    "origin_id": ["k3", "k4", "k4"], "destination_id": ["j1", "j3", "j1"],
    "distance_m": [0.0, 0.0, 0.0], "minutes": [45.0, 5.0, 50.0]})], ignore_index=True)


def test_no_access_is_nan_and_zero_supply_is_zero() -> None:
    population = pd.Series([1000.0, 3000.0, 500.0, 200.0], index=["k1", "k2", "k3", "k4"])
    access = two_step_fca(FAR, population, BEDS, step_weights={30: 1.0})
    assert np.isnan(access["k3"])
    assert access["k4"] == 0.0
    # k1, k2 as in the plain 2SFCA by hand: k3 and k4 load no facility with beds
    assert access[["k1", "k2"]].to_numpy() == pytest.approx([0.0225, 0.0025])


def test_towns_average_over_points_with_access_and_count_the_rest() -> None:
    demand = pd.DataFrame({"demand_id": ["k1", "k2", "k3", "k4"],
                           "town_code": ["t", "t", "t", "u"],
                           "population": [1000.0, 3000.0, 500.0, 200.0]})
    facilities = pd.DataFrame({"facility_id": ["j1", "j2", "j3"], "beds": [10, 20, 0],
                               "doctors": [2, 0, 0]})
    access = access_indices(FAR, demand, facilities, step_weights={30: 1.0})
    assert access["no_access"].tolist() == [False, False, True, False]
    assert np.isnan(access.loc[2, "beds_per_1000"])
    assert access.loc[3, "beds_per_1000"] == 0.0
    towns = town_access(access, ["beds", "doctors"]).set_index("town_code")
    # t: (22.5 * 1000 + 2.5 * 3000) / 4000 = 7.5 over k1 and k2; k3's 500 residents counted
    assert towns.loc["t", "beds_per_1000"] == pytest.approx(7.5)
    assert towns.loc["t", "no_access_points"] == 1
    assert towns.loc["t", "no_access_population"] == 500.0
    assert towns.loc["u", "beds_per_1000"] == 0.0
    assert towns.loc["u", "no_access_points"] == 0


def test_inequality_skips_towns_without_access_and_says_so() -> None:
    towns = pd.DataFrame({"town_code": ["a", "b", "c"], "beds_per_1000": [1.0, 3.0, np.nan]})
    pop = pd.Series({"a": 5.0, "b": 5.0, "c": 90.0})
    row = inequality(towns, pop, ["beds"]).iloc[0]
    # the same as towns a and b alone: c's 90 residents do not enter as zero access
    assert row["gini"] == pytest.approx(0.25)
    assert row["decile_ratio"] == pytest.approx(3.0)
    assert row["no_access_towns"] == 1
