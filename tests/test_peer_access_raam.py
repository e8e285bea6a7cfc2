"""RAAM: access (pysal)'s RAAM cases on its 5 x 5 grid, hand-worked costs, oracles, invariants.

access's six RAAM cases (five in test_raam.py, one in test_misc.py) put one person on a random
cell of the unit-supply grid; with rho = 1/25 that person pays 1 / (rho * 1) = 25 at its own
cell and 25 plus travel anywhere else, so 25 is the equilibrium whatever the step settings.
Beyond them: one-facility and two-facility costs worked by hand, every equilibrium of tiny
instances found by enumeration (our answer must be one of them), the continuous limit in closed
form, and on a random county-sized instance: all demand placed, only pairs in reach used, and
no person able to lower their cost by moving alone.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from support.access_grid import CELLS, COLUMNS, grid

from optimizer.errors import DataError, ScenarioError
from optimizer.spatial.access_models import AccessWarning, TravelColumns, fca_ratio, normalise
from optimizer.spatial.raam import raam, raam_allocation

SUPPLY_TOTAL = 25.0  # access's expected value: self.model.supply_df.value.sum()


def quiet_raam(table: pd.DataFrame, demand: pd.Series, supply: pd.Series,
               **kwargs: object) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AccessWarning)  # the grid lists non-demand origins
        return raam(table, demand, supply, columns=COLUMNS, **kwargs)  # type: ignore[arg-type]


def one_cell(cell: int) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    table, _, supply = grid(1)
    return table, pd.Series(1.0, index=[cell]), supply


# --- access/tests/test_raam.py and test_misc.py ------------------------------------------------

@pytest.mark.parametrize("cell", CELLS)
def test_raam_single_demand_location_equals_sum_of_supply(cell: int) -> None:
    """test_raam_single_demand_location_equals_sum_of_supply, for every cell access may draw."""
    out = quiet_raam(*one_cell(cell))
    assert out["access"].iloc[0] == SUPPLY_TOTAL
    assert not out["no_access"].any()


@pytest.mark.parametrize("seed", range(3))
def test_raam_initial_step_int(seed: int) -> None:
    """..._equals_sum_of_supply_initial_step_int: access's integer step is a number of agents."""
    out = quiet_raam(*grid(1, seed), initial_step=1, step_unit="agents")
    assert out["access"].iloc[0] == SUPPLY_TOTAL


@pytest.mark.parametrize("seed", range(3))
def test_raam_min_step(seed: int) -> None:
    """..._equals_sum_of_supply_min_step: a floor of 1 lets the whole person move; it stays."""
    out = quiet_raam(*grid(1, seed), min_step=1)
    assert out["access"].iloc[0] == SUPPLY_TOTAL


@pytest.mark.parametrize("seed", range(3))
def test_raam_run_again(seed: int) -> None:
    """test_raam_run_again_and_test_overwrite: a second run gives the same, inputs untouched."""
    table, demand, supply = grid(1, seed)
    before = (table.copy(), demand.copy(), supply.copy())
    first = quiet_raam(table, demand, supply)
    second = quiet_raam(table, demand, supply)
    pd.testing.assert_frame_equal(first, second)
    assert second["access"].iloc[0] == SUPPLY_TOTAL
    pd.testing.assert_frame_equal(table, before[0])
    pd.testing.assert_series_equal(demand, before[1])
    pd.testing.assert_series_equal(supply, before[2])


@pytest.mark.parametrize("seed", range(3))
def test_raam_normalize_keeps_raw(seed: int) -> None:
    """..._equals_sum_of_supply_normalize: access_df keeps the raw 25; normalised it is 1."""
    table, demand, supply = grid(1, seed)
    raw = quiet_raam(table, demand, supply)
    flat = normalise(raw, demand)
    assert raw["access"].iloc[0] == SUPPLY_TOTAL
    assert flat["access"].iloc[0] == 1


@pytest.mark.parametrize("seed", range(3))
def test_norm_access_df(seed: int) -> None:
    """test_misc.py test_norm_access_df: after raam() and fca_ratio(), both normalise to 1."""
    table, demand, supply = grid(1, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AccessWarning)
        fca = fca_ratio(table, table, demand, supply, columns=COLUMNS)
    assert normalise(fca, demand)["access"].iloc[0] == 1
    assert normalise(quiet_raam(table, demand, supply), demand)["access"].iloc[0] == 1


# --- worked by hand ------------------------------------------------------------------------------

def pairs(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["origin_id", "destination_id", "minutes"])


def test_one_point_one_facility() -> None:
    """cost = t / tau + P / (rho S): 30/60 + 10/(5 * 2) = 1.5 (rho = 10/2), 0.5 + 5 = 5.5."""
    table = pairs([("a", "F", 30.0)])
    demand, supply = pd.Series({"a": 10.0}), pd.Series({"F": 2.0})
    assert raam(table, demand, supply)["access"]["a"] == pytest.approx(1.5, rel=1e-12)
    assert raam(table, demand, supply, rho=1.0)["access"]["a"] == pytest.approx(5.5, rel=1e-12)
    assert raam(table, demand, supply, tau=15.0, rho=1.0)["access"]["a"] == pytest.approx(7.0)


def test_two_facilities_split_six_four() -> None:
    """10 people, S = 1 each, rho = tau = 1, t = 0 and 2: at A pay n_A, at B 2 + n_B.
    6 / 4 costs 6 at both; a seventh at A would pay 7, a fifth at B 7: the only equilibrium."""
    table = pairs([("a", "A", 0.0), ("a", "B", 2.0)])
    demand, supply = pd.Series({"a": 10.0}), pd.Series({"A": 1.0, "B": 1.0})
    for kw in ({}, {"max_cycles": 0}, {"initial_step": 5.0, "step_unit": "agents"}):
        alloc = raam_allocation(table, demand, supply, tau=1, rho=1,
                                **kw).set_index("destination_id")  # type: ignore[arg-type]
        assert alloc["demand"].to_dict() == {"A": 6.0, "B": 4.0}
        assert alloc["cost"].to_list() == [6.0, 6.0]
        assert raam(table, demand, supply, tau=1, rho=1, **kw)["access"]["a"] == 6.0  # type: ignore[arg-type]


def test_agent_unit_halves_the_step() -> None:
    """With unit = 0.5 the same split is 6 / 4 in people (12 / 8 agents): cost 6."""
    table = pairs([("a", "A", 0.0), ("a", "B", 2.0)])
    out = raam(table, pd.Series({"a": 10.0}), pd.Series({"A": 1.0, "B": 1.0}), tau=1, rho=1,
               unit=0.5)
    assert out["access"]["a"] == 6.0


def test_no_access_zero_supply_and_zero_demand() -> None:
    """b has only a facility beyond max_cost: NaN, flagged. Z supplies nothing: unused. c has
    no people: it reads the cost one more person would pay, 1 + (4 + 1)/(rho 1) = 2.25."""
    table = pairs([("a", "F", 1.0), ("a", "Z", 0.0), ("b", "F", 9.0), ("c", "F", 1.0)])
    demand = pd.Series({"a": 4.0, "b": 2.0, "c": 0.0})
    supply = pd.Series({"F": 1.0, "Z": 0.0})
    with pytest.warns(AccessWarning, match="1 demand points have no facility in reach"):
        out = raam(table, demand, supply, tau=1.0, rho=4.0, max_cost=5.0)
    assert out["no_access"].to_dict() == {"a": False, "b": True, "c": False}
    assert math.isnan(out["access"]["b"])
    assert out["access"]["a"] == pytest.approx(1 + 4 / 4)
    assert out["access"]["c"] == pytest.approx(1 + 5 / 4)
    alloc = raam_allocation(table, demand, supply, tau=1.0, rho=4.0, max_cost=5.0)
    assert alloc[["origin_id", "destination_id", "demand"]].to_numpy().tolist() == [["a", "F", 4.0]]


# --- oracles -------------------------------------------------------------------------------------

def compositions(n: int, parts: int) -> Iterator[tuple[int, ...]]:
    """Every way to put n agents in ``parts`` ordered boxes."""
    for cut in itertools.combinations(range(n + parts - 1), parts - 1):
        edges = (-1, *cut, n + parts - 1)
        yield tuple(edges[i + 1] - edges[i] - 1 for i in range(parts))


def is_equilibrium(x: dict[tuple[int, int], int], t: np.ndarray, s: np.ndarray, tau: float,
                   rho: float) -> bool:
    """Plain Python: no agent can lower its cost by moving alone to another facility."""
    load = [sum(x.get((k, j), 0) for k in range(t.shape[0])) for j in range(t.shape[1])]
    for (k, j), count in x.items():
        if count == 0:
            continue
        here = t[k, j] / tau + load[j] / (rho * s[j])
        for j2 in range(t.shape[1]):
            if j2 != j and here > t[k, j2] / tau + (load[j2] + 1) / (rho * s[j2]) + 1e-9:
                return False
    return True


def long_table(t: np.ndarray) -> pd.DataFrame:
    k, j = np.indices(t.shape)
    return pd.DataFrame({"origin_id": k.ravel(), "destination_id": j.ravel(),
                         "minutes": t.ravel()})


@pytest.mark.parametrize("seed", range(12))
def test_answer_is_one_of_the_enumerated_equilibria(seed: int) -> None:
    rng = np.random.default_rng(seed)
    t = np.round(rng.uniform(0, 30, (2, 3)), 1)
    n = rng.integers(1, 6, 2)
    s = rng.integers(1, 4, 3).astype(float)
    tau, rho = 10.0, float(rng.choice([0.5, 1.0, 2.0]))
    equilibria = []
    for a in compositions(int(n[0]), 3):
        for b in compositions(int(n[1]), 3):
            x = {(0, j): a[j] for j in range(3)} | {(1, j): b[j] for j in range(3)}
            if is_equilibrium(x, t, s, tau, rho):
                equilibria.append(x)
    assert equilibria  # a finite congestion game always has one
    demand, supply = pd.Series(n.astype(float)), pd.Series(s)
    alloc = raam_allocation(long_table(t), demand, supply, tau=tau, rho=rho)
    found = {(int(r.origin_id), int(r.destination_id)): int(r.demand)
             for r in alloc.itertuples()}
    assert any({key: v for key, v in eq.items() if v} == found for eq in equilibria)
    # the reported cost is what each person pays there, averaged per point
    load = [sum(found.get((k, j), 0) for k in range(2)) for j in range(3)]
    mean = [sum(c * (t[k, j] / tau + load[j] / (rho * s[j]))
                for (kk, j), c in found.items() if kk == k) / n[k] for k in range(2)]
    out = raam(long_table(t), demand, supply, tau=tau, rho=rho)
    assert out["access"].to_numpy() == pytest.approx(mean, rel=1e-12)


def test_continuous_limit_in_closed_form() -> None:
    """Many people, one point: costs equalise at lambda with sum_j rho S_j (lambda - t_j/tau)^+
    = P. t = (0, 10, 40), S = (1, 2, 1), tau = 10, rho = 100, P = 500: with the first two,
    100 lambda + 200 (lambda - 1) = 500, lambda = 7/3 < 4, so the third stays empty."""
    table = pairs([("a", "A", 0.0), ("a", "B", 10.0), ("a", "C", 40.0)])
    demand, supply = pd.Series({"a": 500.0}), pd.Series({"A": 1.0, "B": 2.0, "C": 1.0})
    out = raam(table, demand, supply, tau=10.0, rho=100.0)
    # whole people: within one person's congestion (1/100) of the continuous answer
    assert out["access"]["a"] == pytest.approx(7 / 3, abs=0.01)
    alloc = raam_allocation(table, demand, supply, tau=10.0, rho=100.0).set_index(
        "destination_id")
    assert set(alloc.index) == {"A", "B"}
    assert alloc.loc["A", "demand"] == pytest.approx(700 / 3, abs=1)


# --- invariants at county size -------------------------------------------------------------------

def county(seed: int) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """150 villages (the first five empty) and 12 clinics on a 40 km square, 30 km/h, 25-minute
    reach (so some villages have none)."""
    rng = np.random.default_rng(seed)
    villages, clinics = rng.uniform(0, 40, (150, 2)), rng.uniform(0, 40, (12, 2))
    minutes = np.linalg.norm(villages[:, None] - clinics[None], axis=2) / 30 * 60
    table = long_table(minutes)
    table = table[table["minutes"] <= 25]
    demand = pd.Series(rng.integers(0, 3000, 150).astype(float))
    demand[:5] = 0.0
    supply = pd.Series(rng.integers(0, 8, 12).astype(float))
    return table, demand, supply


def open_pairs(table: pd.DataFrame, supply: pd.Series) -> pd.Series:
    """Minutes by (village, clinic) for the clinics that supply something."""
    minutes = table.set_index(["origin_id", "destination_id"])["minutes"]
    return minutes[supply.reindex(minutes.index.get_level_values(1)).to_numpy() > 0]


def movers(alloc: pd.DataFrame, pairs_open: pd.Series, supply: pd.Series, tau: float,
           rho: float) -> int:
    """Rows of the allocation whose people could lower their cost by moving alone (costs
    recomputed here from the allocation, not taken from the solver)."""
    load = alloc.groupby("destination_id")["demand"].sum().reindex(supply.index, fill_value=0)
    count = 0
    for row in alloc.itertuples():
        here = pairs_open[(row.origin_id, row.destination_id)] / tau + load[
            row.destination_id] / (rho * supply[row.destination_id])
        assert row.cost == pytest.approx(here, rel=1e-12)
        options = pairs_open.loc[row.origin_id].drop(row.destination_id)
        to = options.index
        move = options.to_numpy() / tau + (load[to].to_numpy() + 1) / (rho * supply[to].to_numpy())
        count += int((here > move + 1e-9).any())
    return count


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("settings", [{}, {"max_cycles": 0},
                                      {"initial_step": 50.0, "step_unit": "agents"}])
def test_county_equilibrium_invariants(seed: int, settings: dict[str, object]) -> None:
    table, demand, supply = county(seed)
    tau = 30.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AccessWarning)
        out = raam(table, demand, supply, tau=tau, **settings)  # type: ignore[arg-type]
        alloc = raam_allocation(table, demand, supply, tau=tau,
                                **settings)  # type: ignore[arg-type]
    rho = demand.sum() / supply.sum()
    minutes = table.set_index(["origin_id", "destination_id"])["minutes"]
    pairs_open = open_pairs(table, supply)
    # only pairs in reach, only facilities with supply
    assert alloc.set_index(["origin_id", "destination_id"]).index.isin(minutes.index).all()
    assert (supply[alloc["destination_id"]] > 0).all()
    # every person of every point with a facility in reach is placed
    reached = set(pairs_open.index.get_level_values(0))
    placed = alloc.groupby("origin_id")["demand"].sum()
    load = alloc.groupby("destination_id")["demand"].sum().reindex(supply.index, fill_value=0)
    for k in demand.index:
        if k not in reached:
            assert out.loc[k, "no_access"]
            assert math.isnan(out.loc[k, "access"])
        elif demand[k] > 0:
            assert placed[k] == demand[k]
        else:  # an empty village reads what one more person would pay
            to = pairs_open.loc[k].index
            one_more = pairs_open.loc[k].to_numpy() / tau + (load[to].to_numpy() + 1) / (
                rho * supply[to].to_numpy())
            assert out.loc[k, "access"] == pytest.approx(one_more.min(), rel=1e-12)
    assert movers(alloc, pairs_open, supply, tau, rho) == 0
    # a point's RAAM is what its people pay on average
    mean = (alloc["demand"] * alloc["cost"]).groupby(alloc["origin_id"]).sum() / placed
    assert out.loc[mean.index, "access"].to_numpy() == pytest.approx(mean.to_numpy(), rel=1e-12)


def test_stopping_early_is_caught_and_said() -> None:
    """With no cycles and no finishing rounds everyone stays at the nearest clinic: the
    equilibrium check above finds people who would move, and raam warns."""
    table, demand, supply = county(0)
    tau, rho = 30.0, demand.sum() / supply.sum()
    with pytest.warns(AccessWarning, match="could still lower their cost"):
        alloc = raam_allocation(table, demand, supply, tau=tau, max_cycles=0, max_rounds=0)
    assert movers(alloc, open_pairs(table, supply), supply, tau, rho) > 0


# --- refusals ------------------------------------------------------------------------------------

def test_bad_input_is_refused_with_the_fix() -> None:
    table = pairs([("a", "F", 1.0)])
    demand, supply = pd.Series({"a": 3.0}), pd.Series({"F": 1.0})
    with pytest.raises(ScenarioError, match="tau must be a travel cost > 0"):
        raam(table, demand, supply, tau=0)
    with pytest.raises(ScenarioError, match="step_unit"):
        raam(table, demand, supply, step_unit="people")  # type: ignore[arg-type]
    with pytest.raises(DataError, match=r"not a whole number of agents.*unit="):
        raam(table, pd.Series({"a": 2.5}), supply)
    with pytest.raises(DataError, match="total demand"):
        raam(table, pd.Series({"a": 0.0}), supply)
    with pytest.raises(DataError, match="missing columns"):
        raam(table, demand, supply, columns=TravelColumns("o", "d", "c"))
    with pytest.raises(DataError, match="costs must be numbers >= 0"):
        raam(pairs([("a", "F", -1.0)]), demand, supply)
