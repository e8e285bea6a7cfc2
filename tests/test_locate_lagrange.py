"""Lagrangian bound and reduced-cost fixing of the p-median, against enumerated optima."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from optimizer.locate import p_median
from optimizer.locate.benders import _restrict
from optimizer.locate.costs import prepare_costs
from optimizer.locate.lagrange import MedianLagrangian, fix_sites, median_lagrangian
from optimizer.locate.result import SolveStatus


def _instance(seed: int, n: int = 30, m: int = 12) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    demand = rng.uniform(0, 10, size=(n, 2))
    sites = rng.uniform(0, 10, size=(m, 2))
    costs = np.round(np.sqrt(((demand[:, None, :] - sites[None, :, :]) ** 2).sum(-1)), 2)
    return costs, rng.integers(1, 50, size=n).astype(float)


def _all_costs(costs: np.ndarray, w: np.ndarray, p: int, req: tuple[int, ...] = ()) -> dict:
    out = {}
    for s in itertools.combinations(range(costs.shape[1]), p):
        if set(req) <= set(s):
            out[s] = float(w @ costs[:, list(s)].min(axis=1))
    return out


def _lagrangian(
    costs: np.ndarray, w: np.ndarray, p: int, req: np.ndarray, k: int, **kw: object
) -> MedianLagrangian:
    data, _ = prepare_costs(costs, w)
    pos, cost = data.k_nearest(np.arange(data.n), k)
    return median_lagrangian(pos, w[:, None] * cost, data.m, req, p, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("k", [4, 12])  # truncated lists (lambda capped) and complete ones
def test_bound_never_exceeds_the_enumerated_optimum(seed: int, k: int) -> None:
    costs, w = _instance(seed)
    p = 3
    req = np.array([seed % 12]) if seed % 2 else np.zeros(0, dtype=np.int64)
    values = _all_costs(costs, w, p, tuple(int(r) for r in req))
    best = min(values.values())
    lag = _lagrangian(costs, w, p, req, k, upper=best * 1.01, seconds=5.0)
    assert lag.bound <= best * (1 + 1e-12)
    if k == 12:  # complete lists: the search climbs near the LP bound (capped ones need not)
        assert lag.bound > 0.95 * best
    assert set(req.tolist()) <= set(lag.chosen.tolist())
    assert len(lag.chosen) == p
    # (L1) for every solution: cost(y) >= sum(lambda) + sum_{j in y} rho_j
    for s, value in values.items():
        assert lag.lam.sum() + lag.rho[list(s)].sum() <= value * (1 + 1e-12) + 1e-9


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("iterations", [3, 40, 5000])
def test_fixing_never_removes_an_optimal_site(seed: int, iterations: int) -> None:
    costs, w = _instance(50 + seed)
    p = 3 + seed % 2
    req = np.array([1]) if seed % 3 == 0 else np.zeros(0, dtype=np.int64)
    values = _all_costs(costs, w, p, tuple(int(r) for r in req))
    best = min(values.values())
    optima = [set(s) for s, v in values.items() if v <= best * (1 + 1e-12)]
    # any multipliers, converged or not, and UB = the optimum (the hardest valid case)
    lag = _lagrangian(costs, w, p, req, 8, upper=best, seconds=5.0, max_iter=iterations)
    closed, opened = fix_sites(lag, req, p, best)
    for s in optima:
        assert not closed[list(s)].any()
        assert set(np.flatnonzero(opened).tolist()) <= s
    # and a solution cheaper than UB never uses a closed site nor misses an opened one
    ub = sorted(values.values())[min(3, len(values) - 1)]
    closed, opened = fix_sites(lag, req, p, ub)
    for s, v in values.items():
        if v < ub:
            assert not closed[list(s)].any()
            assert set(np.flatnonzero(opened).tolist()) <= set(s)


def test_hand_worked_bound_and_fixing() -> None:
    # Points at 0, 2 and 5 on a line with a site at each, p = 1 (as in the Benders test): the
    # optimum is site 1 (cost 2 + 0 + 3 = 5). With lambda = (2, 2, 4):
    # rho_0 = (0-2) + 0 + 0 = -2, rho_1 = 0 + (0-2) + (3-4) = -3, rho_2 = 0 + 0 + (0-4) = -4,
    # so L = 8 - 4 = 4 with site 2 chosen. Opening site 0 instead costs >= 4 - 2 + 4 = 6 > 5:
    # closed against UB = 5; site 1 costs >= 4 - 3 + 4 = 5, not above UB: kept; closing site 2
    # costs >= 4 + 4 - 3 = 5: not fixed open.
    costs = np.array([[0.0, 2.0, 5.0], [2.0, 0.0, 3.0], [5.0, 3.0, 0.0]])
    lam0 = np.array([2.0, 2.0, 4.0])
    none = np.zeros(0, dtype=np.int64)
    lag = _lagrangian(costs, np.ones(3), 1, none, 3, upper=5.0, seconds=1.0, max_iter=1, lam0=lam0)
    assert lag.bound == pytest.approx(4.0)
    assert lag.rho.tolist() == pytest.approx([-2.0, -3.0, -4.0])
    assert lag.chosen.tolist() == [2]
    closed, opened = fix_sites(lag, np.zeros(0, dtype=np.int64), 1, 5.0)
    assert closed.tolist() == [True, False, False]
    assert opened.tolist() == [False, False, False]
    # a hand-made bound: fixing reads only bound and rho
    made = MedianLagrangian(4.9, lag.lam, lag.rho, lag.chosen, 0)
    closed, opened = fix_sites(made, np.zeros(0, dtype=np.int64), 1, 5.0)
    assert closed.tolist() == [True, True, False]  # 4.9 + 1 = 5.9 > 5 for site 1 too
    assert opened.tolist() == [False, False, True]  # 4.9 + 1 = 5.9 > 5 to close site 2


@pytest.mark.parametrize("seed", range(6))
def test_p_median_with_fixing_equals_enumeration(seed: int) -> None:
    costs, w = _instance(90 + seed, 30, 12)
    p = 3
    req = (seed,) if seed % 2 else ()
    best = min(_all_costs(costs, w, p, req).values())
    r = p_median(costs, w, p=p, required=list(req), method="benders")
    compact = p_median(costs, w, p=p, required=list(req), method="compact")
    assert r.status is SolveStatus.OPTIMAL
    assert r.objective == pytest.approx(best, rel=1e-9)
    assert compact.objective == pytest.approx(r.objective, rel=1e-9)
    assert set(req) <= set(r.selected)


def test_p_median_long_table_restricted_after_fixing() -> None:
    costs, w = _instance(7, 30, 12)
    costs[costs > 7.0] = np.inf  # unreachable pairs: the long table omits them
    costs[:, 0] = np.minimum(costs[:, 0], 9.5)  # site 0 reaches everybody
    ii, jj = np.nonzero(np.isfinite(costs))
    table = pd.DataFrame({"demand_id": ii, "site_id": jj, "cost": costs[ii, jj]})
    p = 3
    values = [
        float(w @ costs[:, list(s)].min(axis=1))
        for s in itertools.combinations(range(12), p)
        if np.isfinite(costs[:, list(s)].min(axis=1)).all()
    ]
    r = p_median(table, pd.Series(w, index=range(30)), p=p, method="benders")
    assert r.status is SolveStatus.OPTIMAL
    assert r.objective == pytest.approx(min(values), rel=1e-9)


def test_restrict_keeps_the_chosen_columns() -> None:
    costs, w = _instance(3, 10, 6)
    costs[costs > 6.0] = np.inf
    ii, jj = np.nonzero(np.isfinite(costs))
    table = pd.DataFrame({"demand_id": ii, "site_id": jj, "cost": costs[ii, jj]})
    keep = np.array([1, 3, 4])
    dense, _ = prepare_costs(costs, w)
    long, _ = prepare_costs(table, pd.Series(w, index=range(10)))
    long_keep = np.searchsorted(long.site_ids.to_numpy(), keep)  # the table's ids, sorted
    for data, kept in ((dense, keep), (long, long_keep)):
        sub = _restrict(data, kept)
        assert list(sub.site_ids) == list(data.site_ids[kept])
        _, got = sub.nearest_open(np.arange(3))
        _, want = data.nearest_open(kept)
        assert np.array_equal(got, want)


def test_lp_session_time_limit_counts_from_each_solve() -> None:
    # HiGHS's run clock keeps counting over every run() of one instance: a session's later
    # solve must get its own limit on top of the time already run, not the raw number (which
    # the clock may have passed already, ending that solve at once with no solution).
    from optimizer.locate.median import _build  # noqa: PLC0415
    from optimizer.solvers.mip import LpSession, SolverOptions  # noqa: PLC0415

    costs, w = _instance(4, 30, 12)
    data, req = prepare_costs(costs, w)
    rows = np.arange(30, dtype=np.int64)
    model, _, _ = _build(data, rows, np.full(30, 12), req, 3, None)
    session = LpSession(model, SolverOptions())
    first = session.solve(None)
    ran = session._h.getRunTime()
    assert ran > 0.0
    again = session.solve(2.0)
    assert again.status is first.status is SolveStatus.OPTIMAL
    assert session._h.getOptionValue("time_limit")[1] >= ran + 2.0
