"""p-median heuristic and exactness aids: never below the optimum, never changing it."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from optimizer.locate import SolveStatus, p_median
from optimizer.locate.costs import prepare_costs
from optimizer.locate.heuristic import finite_costs, greedy_add, substitute
from optimizer.locate.median import _build
from optimizer.locate.truncation import extend, tie_complete
from optimizer.solvers.mip import LpSession, MipModel, SolverOptions, solve_mip


def instance(seed: int, n: int = 30, m: int = 8) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    demand = rng.uniform(0, 10, (n, 2))
    sites = rng.uniform(0, 10, (m, 2))
    costs = np.sqrt(((demand[:, None, :] - sites[None, :, :]) ** 2).sum(-1))
    return costs, rng.integers(1, 50, n).astype(float)


def brute(costs: np.ndarray, w: np.ndarray, p: int, required: tuple[int, ...] = ()) -> float:
    pool = [j for j in range(costs.shape[1]) if j not in required]
    return min(
        float(w @ costs[:, list(required) + list(c)].min(axis=1))
        for c in itertools.combinations(pool, p - len(required))
    )


@pytest.mark.parametrize("seed", range(6))
def test_heuristic_never_beats_the_optimum_and_substitution_never_hurts(seed: int) -> None:
    costs, w = instance(seed)
    req = np.array([2], dtype=np.int64) if seed % 2 else np.zeros(0, dtype=np.int64)
    for p in (1, 2, 3, 4):
        g = greedy_add(costs, w, req, p)
        s = substitute(costs, w, g, req, seconds=5.0)
        assert len(s) == len(set(s.tolist())) == p
        assert set(req.tolist()) <= set(s.tolist())
        cost_g = w @ costs[:, g].min(axis=1)
        cost_s = w @ costs[:, s].min(axis=1)
        optimum = brute(costs, w, p, tuple(req.tolist()))
        assert cost_s <= cost_g + 1e-9
        assert cost_s >= optimum - 1e-9


def test_finite_costs_keeps_unreachable_pairs_last() -> None:
    c = finite_costs(np.array([[1.0, np.inf], [np.inf, 2.0]]))
    assert np.isfinite(c).all()
    assert c[0, 1] > 2 * 2.0
    assert c[1, 0] > 2 * 2.0


@pytest.mark.parametrize("seed", range(4))
def test_lp_fitting_start_and_initial_k_do_not_change_the_optimum(seed: int) -> None:
    costs, w = instance(seed + 10, n=40, m=9)
    for p in (2, 3):
        expected = brute(costs, w, p)
        for kwargs in ({}, {"fit_lp": False}, {"initial_k": 1}, {"initial_k": 1, "fit_lp": False}):
            r = p_median(costs, w, p=p, **kwargs)
            assert r.status is SolveStatus.OPTIMAL, kwargs
            assert r.objective == pytest.approx(expected, rel=1e-12), kwargs
            assert r.best_bound == r.objective


def test_mip_start_does_not_change_the_optimum() -> None:
    costs, w = instance(3, n=40, m=9)
    data, req = prepare_costs(costs, w)
    rows = np.arange(data.n, dtype=np.int64)
    k = np.full(data.n, data.m)  # untruncated: the MIP optimum is the p-median optimum
    bad_start = np.array([0, 1, 2], dtype=np.int64)  # a poor but feasible start
    with_start, _, _ = _build(data, rows, k, req, 3, bad_start)
    without, _, _ = _build(data, rows, k, req, 3, None)
    assert with_start.start is not None
    assert without.start is None
    a = solve_mip(with_start, SolverOptions())
    b = solve_mip(without, SolverOptions())
    assert a.status is b.status is SolveStatus.OPTIMAL
    assert a.objective == pytest.approx(b.objective, rel=1e-12)
    assert a.objective == pytest.approx(brute(costs, w, 3), rel=1e-12)


def test_time_limited_lp_fitting_keeps_a_valid_bound() -> None:
    costs, w = instance(8, n=300, m=40)
    r = p_median(costs, w, p=4, time_limit=0.05, initial_k=2)
    assert r.objective == pytest.approx(w @ costs[:, list(r.selected)].min(axis=1))
    if r.status is not SolveStatus.OPTIMAL:
        assert r.status is SolveStatus.FEASIBLE
        assert not r.best_bound > r.objective  # a lower bound, or NaN


@pytest.mark.parametrize("seed", range(3))
def test_growing_levels_in_place_equals_building_the_larger_truncation(seed: int) -> None:
    costs, w = instance(seed + 20, n=40, m=9)
    costs = np.round(costs)  # integer costs: many ties between sites
    data, req = prepare_costs(costs, w)
    rows = np.arange(data.n, dtype=np.int64)
    reach = data.reach_counts()
    k_old = tie_complete(data, rows, np.full(data.n, 2), reach)
    grow = rows[rows % 2 == 0]  # extend every other point only
    k_new = k_old.copy()
    k_new[grow] = tie_complete(data, grow, np.minimum(k_old[grow] + 3, reach[grow]), reach[grow])
    model, _, last_col = _build(data, rows, k_old, req, 3, None)
    session = LpSession(model, SolverOptions())
    ext = extend(data, grow, k_old[grow], k_new[grow], last_col[grow], session.n_col)
    session.add_columns(ext.col_cost, np.zeros(len(ext.col_cost)), ext.col_upper)
    n_new = ext.rows.shape[0]
    session.add_rows(ext.rows, np.zeros(n_new), np.full(n_new, np.inf))
    grown = session.solve(None)
    direct, _, _ = _build(data, rows, k_new, req, 3, None)
    relaxed = MipModel(**{**direct.__dict__, "integer": np.zeros_like(direct.integer)})
    expected = solve_mip(relaxed, SolverOptions())
    assert grown.status is expected.status is SolveStatus.OPTIMAL
    assert grown.objective == pytest.approx(expected.objective, rel=1e-9)


def test_zero_weights_everywhere_cost_nothing() -> None:
    costs, _ = instance(1, n=6, m=4)
    r = p_median(costs, np.zeros(6), p=2, required=[3])
    assert (r.status, r.objective, len(r.selected)) == (SolveStatus.OPTIMAL, 0.0, 2)
    assert 3 in r.selected
