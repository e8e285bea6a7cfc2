"""Status honesty: a run stopped by a limit is never reported as optimal."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

from optimizer.errors import SolverError
from optimizer.locate import SolveStatus, p_median
from optimizer.solvers.mip import MipModel, SolverOptions, _classify, solve_mip


def knapsack(n: int = 4) -> MipModel:
    """max 5a + 4b + 3c + 2d s.t. 2a + 3b + 2c + d <= 5 (optimum 10: a, c, d)."""
    return MipModel(
        sense="max",
        c=np.array([5.0, 4.0, 3.0, 2.0]),
        a_matrix=sp.csr_matrix(np.array([[2.0, 3.0, 2.0, 1.0]])),
        row_lower=np.array([-np.inf]),
        row_upper=np.array([5.0]),
        col_lower=np.zeros(n),
        col_upper=np.ones(n),
        integer=np.ones(n, dtype=bool),
        integral_objective=True,
    )


@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_solver_boundary_reads_optimum_and_infeasibility(solver: str) -> None:
    out = solve_mip(knapsack(), SolverOptions(solver=solver))
    assert out.status is SolveStatus.OPTIMAL
    assert out.objective == pytest.approx(10.0)
    assert out.x is not None
    np.testing.assert_allclose(out.x, [1, 0, 1, 1])
    model = knapsack()
    infeasible = MipModel(**{**model.__dict__, "row_lower": np.array([20.0])})
    assert solve_mip(infeasible, SolverOptions(solver=solver)).status is SolveStatus.INFEASIBLE


def test_classification_needs_both_solver_word_and_closed_gap() -> None:
    model = knapsack()
    # solver says optimal and the gap is closed
    assert _classify(model, 10.0, 10.0, solver_says_optimal=True) == (SolveStatus.OPTIMAL, 0.0)
    # integral objective: a bound less than one unit away proves optimality
    assert _classify(model, 10.0, 10.9, solver_says_optimal=True)[0] is SolveStatus.OPTIMAL
    # a gap-limited stop ("optimal within mip_gap") is only feasible
    status, gap = _classify(model, 10.0, 12.0, solver_says_optimal=True)
    assert status is SolveStatus.FEASIBLE
    assert gap == pytest.approx(0.2)
    # a time-limited stop is never optimal, even with a closed gap
    assert _classify(model, 10.0, 10.0, solver_says_optimal=False)[0] is SolveStatus.FEASIBLE
    assert _classify(model, 10.0, math.inf, solver_says_optimal=True)[0] is SolveStatus.FEASIBLE


def test_time_limited_p_median_reports_what_was_proven() -> None:
    # 1500 points, 150 sites, p = 8: far beyond what HiGHS proves in a fraction of a second.
    rng = np.random.default_rng(42)
    demand = rng.uniform(0, 50, (1500, 2))
    sites = rng.uniform(0, 50, (150, 2))
    costs = np.sqrt(((demand[:, None, :] - sites[None, :, :]) ** 2).sum(-1))
    weights = rng.integers(1, 100, len(demand)).astype(float)
    try:
        r = p_median(costs, weights, p=8, time_limit=0.2, initial_k=60)
    except SolverError:
        return  # stopped before any solution: also an honest outcome (raised, not hidden)
    assert len(r.selected) == 8
    # the objective is always the true cost of the returned sites
    assert r.objective == pytest.approx(weights @ costs[:, list(r.selected)].min(axis=1))
    if r.status is SolveStatus.OPTIMAL:  # finished after all: then it must be a proof
        assert (r.gap, r.best_bound) == (0.0, r.objective)
    else:
        assert r.status is SolveStatus.FEASIBLE
        assert not r.best_bound >= r.objective  # a lower bound below the incumbent, or NaN
        assert r.gap > 0
