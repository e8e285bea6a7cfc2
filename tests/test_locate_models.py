"""The added models (capacitated, backup, dispersion) against enumeration of every site set."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from optimizer.errors import DataError
from optimizer.locate import (
    SolveStatus,
    bclp,
    capacitated_lscp,
    capacitated_p_median,
    lscp,
    lscp_b,
    mclp,
    p_dispersion,
    p_median,
)


def instance(seed: int, n: int = 6, m: int = 4) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    demand = rng.uniform(0, 10, (n, 2))
    sites = rng.uniform(0, 10, (m, 2))
    costs = np.round(np.sqrt(((demand[:, None, :] - sites[None, :, :]) ** 2).sum(-1)), 2)
    weights = rng.integers(1, 9, n).astype(float)
    capacity = rng.integers(8, 25, m).astype(float)
    return costs, weights, capacity


def subsets(m: int, sizes=None):
    for p in sizes if sizes is not None else range(m + 1):
        yield from (list(c) for c in itertools.combinations(range(m), p))


# Oracles, independent of the kernels: every site set; for split service a transportation LP
# per set (scipy's linprog), for single-source service every assignment of points to sites.
def split_cost(costs, w, cap, chosen, allowed):
    """Least weighted cost serving all demand from ``chosen`` (None when impossible)."""
    n = len(w)
    pairs = [(i, j) for i in range(n) for j in chosen if allowed[i, j]]
    if not pairs:
        return None if n else 0.0
    c = [w[i] * costs[i, j] for i, j in pairs]
    a_eq = np.zeros((n, len(pairs)))
    a_ub = np.zeros((len(chosen), len(pairs)))
    for k, (i, j) in enumerate(pairs):
        a_eq[i, k] = 1.0
        a_ub[chosen.index(j), k] = w[i]
    res = linprog(c, A_ub=a_ub, b_ub=cap[chosen], A_eq=a_eq, b_eq=np.ones(n), bounds=(0, 1))
    return float(res.fun) if res.status == 0 else None


def single_cost(costs, w, cap, chosen, allowed):
    options = [[j for j in chosen if allowed[i, j]] for i in range(len(w))]
    best = None
    for pick in itertools.product(*options):
        load = dict.fromkeys(chosen, 0.0)
        for i, j in enumerate(pick):
            load[j] += w[i]
        if all(load[j] <= cap[j] + 1e-9 for j in chosen):
            value = float(sum(w[i] * costs[i, j] for i, j in enumerate(pick)))
            best = value if best is None else min(best, value)
    return best


def bf_capacitated_lscp(costs, w, cap, s, single):
    allowed = costs <= s
    oracle = single_cost if single else split_cost
    for chosen in subsets(costs.shape[1]):
        if oracle(costs, w, cap, chosen, allowed) is not None:
            return len(chosen)
    return None


def bf_capacitated_p_median(costs, w, cap, p, single):
    allowed = np.isfinite(costs)
    oracle = single_cost if single else split_cost
    values = [oracle(costs, w, cap, c, allowed) for c in subsets(costs.shape[1], [p])]
    values = [v for v in values if v is not None]
    return min(values) if values else None


def backup_of(costs, w, s, chosen):
    times = (costs[:, chosen] <= s).sum(axis=1)
    return None if (times == 0).any() else float(w[times >= 2].sum())


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("single", [False, True])
def test_capacitated_lscp_matches_enumeration(seed: int, single: bool) -> None:
    costs, w, cap = instance(seed)
    s = float(np.quantile(costs, 0.6))
    expected = bf_capacitated_lscp(costs, w, cap, s, single)
    r = capacitated_lscp(costs, w, standard=s, capacity=cap, single_source=single)
    if expected is None:
        assert r.status is SolveStatus.INFEASIBLE
        return
    assert (r.status, r.objective) == (SolveStatus.OPTIMAL, expected)
    alloc = r.allocation
    assert (alloc["cost"] <= s).all()
    load = (alloc["amount"] * w[alloc["demand_id"].to_numpy()]).groupby(alloc["site_id"]).sum()
    assert all(load[j] <= cap[j] + 1e-6 for j in load.index)
    assert set(alloc["site_id"]) <= set(r.selected)
    served = alloc.groupby("demand_id")["amount"].sum()
    assert np.allclose(served.reindex(range(len(w))).to_numpy(), 1.0)
    if single:
        assert alloc["demand_id"].is_unique
    # capacity can only make the set cover larger
    assert r.objective >= lscp(costs, standard=s).objective


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("single", [False, True])
def test_capacitated_p_median_matches_enumeration(seed: int, single: bool) -> None:
    costs, w, cap = instance(seed)
    for p in (2, 3):
        expected = bf_capacitated_p_median(costs, w, cap, p, single)
        r = capacitated_p_median(costs, w, p=p, capacity=cap, single_source=single)
        if expected is None:
            assert r.status is SolveStatus.INFEASIBLE
            continue
        assert r.status is SolveStatus.OPTIMAL
        assert r.objective == pytest.approx(expected, rel=1e-7, abs=1e-6)
        assert r.mean_cost == pytest.approx(expected / w.sum(), rel=1e-7)
        # the sparse variant grows its nearest lists until exact: the same optimum
        sparse = capacitated_p_median(costs, w, p=p, capacity=cap, single_source=single,
                                      k_nearest=1)
        assert sparse.status is SolveStatus.OPTIMAL
        assert sparse.objective == pytest.approx(expected, rel=1e-7, abs=1e-6)
        assert sparse.stats["rounds"] >= 1


def test_capacitated_p_median_long_table_and_fill_required() -> None:
    costs, w, cap = instance(11)
    table = pd.DataFrame(
        [(f"d{i}", f"s{j}", costs[i, j]) for i in range(costs.shape[0])
         for j in range(costs.shape[1])],
        columns=["demand_id", "site_id", "cost"],
    )
    dense = capacitated_p_median(costs, w, p=2, capacity=cap)
    long = capacitated_p_median(table, pd.Series(w, index=[f"d{i}" for i in range(len(w))]),
                                p=2, capacity=pd.Series(cap, index=[f"s{j}" for j in range(4)]))
    assert long.objective == pytest.approx(dense.objective)
    # a required site that must run full: its load equals its capacity
    small = cap.copy()
    small[0] = 3.0
    r = capacitated_p_median(costs, w, p=2, capacity=small, required=[0], fill_required=True)
    if r.status is SolveStatus.OPTIMAL:
        alloc = r.allocation
        load = (alloc["amount"] * w[alloc["demand_id"].to_numpy()])[alloc["site_id"].eq(0)].sum()
        assert load == pytest.approx(3.0)


@pytest.mark.parametrize("seed", range(6))
def test_backup_models_match_enumeration(seed: int) -> None:
    costs, w, _ = instance(seed, n=9, m=6)
    s = float(np.quantile(costs, 0.5))
    m = costs.shape[1]
    fewest = next((len(c) for c in subsets(m) if backup_of(costs, w, s, c) is not None), None)
    r = lscp_b(costs, w, standard=s)
    if fewest is None:
        assert r.status is SolveStatus.INFEASIBLE
        return
    best = max(b for c in subsets(m, [fewest]) if (b := backup_of(costs, w, s, c)) is not None)
    assert (r.status, len(r.selected), r.objective) == (SolveStatus.OPTIMAL, fewest, best)
    assert r.backup_weight == best
    for p in range(fewest, m + 1):
        best_p = max(b for c in subsets(m, [p]) if (b := backup_of(costs, w, s, c)) is not None)
        rp = bclp(costs, w, standard=s, p=p)
        assert (rp.status, rp.objective, len(rp.selected)) == (SolveStatus.OPTIMAL, best_p, p)
    if fewest > 1:
        assert bclp(costs, w, standard=s, p=fewest - 1).status is SolveStatus.INFEASIBLE


@pytest.mark.parametrize("seed", range(5))
def test_p_dispersion_matches_enumeration(seed: int) -> None:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 10, (8, 2))
    d = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1))
    for p in (2, 3, 4):
        best = max(d[np.ix_(c, c)][np.triu_indices(p, 1)].min()
                   for c in subsets(8, [p]))
        r = p_dispersion(d, p=p)
        assert r.status is SolveStatus.OPTIMAL
        assert r.objective == pytest.approx(best)
        req = p_dispersion(d, p=p, required=[0])
        best_req = max(d[np.ix_(c, c)][np.triu_indices(p, 1)].min()
                       for c in subsets(8, [p]) if 0 in c)
        assert req.objective == pytest.approx(best_req)
        assert 0 in req.selected
    assert p_dispersion(d, p=9).status is SolveStatus.INFEASIBLE
    assert math.isnan(p_dispersion(d, p=1).objective)


def test_derived_results_follow_the_allocation() -> None:
    costs = np.array([[1.0, 5.0], [4.0, 1.0], [9.0, 9.0]])
    r = lscp(costs[:2], standard=4.0, demand_ids=["a", "b"], site_ids=["x", "y"])
    # one site covers both points; the derived maps list every open site within the standard
    assert r.uncovered_count == 0
    assert sum(len(v) for v in r.facility_clients.values()) == 2
    m = mclp(costs, [1, 1, 2], standard=4.0, p=1, site_ids=["x", "y"])
    assert m.uncovered_count == 1  # site x covers points 0 and 1 (cost 4 <= 4), not 2
    assert m.client_facilities[2] == ()
    pm = p_median(costs, [1, 1, 2], p=2, site_ids=["x", "y"])
    assert pm.facility_clients == {"x": (0, 2), "y": (1,)}
    assert pm.client_facilities == {0: ("x",), 1: ("y",), 2: ("x",)}
    assert pm.mean_cost == pytest.approx(pm.objective / 4.0)


def test_bad_capacity_is_refused() -> None:
    costs, w, cap = instance(0)
    with pytest.raises(DataError, match="capacity: 3 values for 4 allowed sites"):
        capacitated_lscp(costs, w, standard=5.0, capacity=cap[:3])
    with pytest.raises(DataError, match="capacities must be finite"):
        capacitated_p_median(costs, w, p=2, capacity=-cap)
    with pytest.raises(DataError, match="k_nearest"):
        capacitated_p_median(costs, w, p=2, capacity=cap, k_nearest=0)
    with pytest.raises(DataError, match="must be square"):
        p_dispersion(costs, p=2)
