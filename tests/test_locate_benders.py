"""Benders decomposition of the location kernels: brute force, the compact models, hand-worked
numbers, and honest statuses under a time limit."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import scipy.sparse as sp

from optimizer.errors import DataError, SolverError
from optimizer.locate import lscp, mclp, p_median
from optimizer.locate._common import solver_options
from optimizer.locate.benders import (
    _Clients,
    _Clock,
    _MedianLoop,
    _MedianTree,
    mclp_benders,
    p_median_benders,
    set_cover_rows,
)
from optimizer.locate.costs import prepare_costs
from optimizer.locate.result import SolveStatus


def _instance(seed: int, n: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    demand = rng.uniform(0, 10, size=(n, 2))
    sites = rng.uniform(0, 10, size=(m, 2))
    costs = np.round(np.sqrt(((demand[:, None, :] - sites[None, :, :]) ** 2).sum(-1)), 2)
    weights = rng.integers(1, 50, size=n).astype(float)
    return costs, weights


def _brute_median(costs: np.ndarray, w: np.ndarray, p: int) -> float:
    return min(
        float(w @ costs[:, list(s)].min(axis=1))
        for s in itertools.combinations(range(costs.shape[1]), p)
    )


def _brute_mclp(costs: np.ndarray, w: np.ndarray, standard: float, p: int) -> float:
    cov = costs <= standard
    return max(
        float(w[cov[:, list(s)].any(axis=1)].sum())
        for s in itertools.combinations(range(costs.shape[1]), p)
    )


def _brute_lscp(costs: np.ndarray, standard: float) -> int:
    cov = costs <= standard
    for k in range(1, costs.shape[1] + 1):
        for s in itertools.combinations(range(costs.shape[1]), k):
            if cov[:, list(s)].any(axis=1).all():
                return k
    raise AssertionError("no cover")


def test_hand_worked_p_median_and_its_cut() -> None:
    # Three points on a line at 0, 2 and 5 with a site at each: one site serves best from 2
    # (costs 2 + 0 + 3 = 5), against 0 + 2 + 5 = 7 from 0 and 5 + 3 + 0 = 8 from 5.
    costs = np.array([[0.0, 2.0, 5.0], [2.0, 0.0, 3.0], [5.0, 3.0, 0.0]])
    r = p_median(costs, [1, 1, 1], p=1, method="benders")
    assert r.selected == (1,)
    assert r.objective == pytest.approx(5.0)
    assert r.status is SolveStatus.OPTIMAL
    # Closed-form cut of point 0 at y = (0.5, 0.5, 0): half served at 0, half at 2, so the
    # sum reaches 1 at D = 2, phi = 2 - (2 - 0) * 0.5 = 1 and the cut reads
    # theta_0 + 2 y_0 >= 2.
    data, _ = prepare_costs(costs, None)
    phi, rhs, coef = _Clients(data, np.array([0])).separate(np.array([0.5, 0.5, 0.0]))
    assert phi[0] == pytest.approx(1.0)
    assert rhs[0] == pytest.approx(2.0)
    assert coef.toarray()[0].tolist() == [2.0, 0.0, 0.0]


@pytest.mark.parametrize("seed", range(6))
def test_p_median_benders_matches_brute_force_and_compact(seed: int) -> None:
    costs, w = _instance(seed, 18, 8)
    p = 2 + seed % 3
    best = _brute_median(costs, w, p)
    benders = p_median(costs, w, p=p, method="benders")
    compact = p_median(costs, w, p=p, method="compact")
    assert benders.status is SolveStatus.OPTIMAL
    assert benders.objective == pytest.approx(best, rel=1e-9)
    assert compact.objective == pytest.approx(best, rel=1e-9)
    assert benders.stats["benders"] == 1


def test_p_median_benders_with_unreachable_pairs_and_required_site() -> None:
    costs, w = _instance(11, 16, 7)
    costs[costs > 6.0] = np.inf  # some points reach only part of the sites: rows (B5)
    costs[:, 0] = np.minimum(costs[:, 0], 9.0)  # site 0 reaches everybody
    p = 3
    best = min(
        float(w @ costs[:, list(s)].min(axis=1))
        for s in itertools.combinations(range(7), p)
        if 0 in s and np.isfinite(costs[:, list(s)].min(axis=1)).all()
    )
    r = p_median(costs, w, p=p, required=[0], method="benders")
    assert r.status is SolveStatus.OPTIMAL
    assert 0 in r.selected
    assert r.objective == pytest.approx(best, rel=1e-9)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("groups", [1, None])
def test_mclp_benders_matches_brute_force_and_compact(seed: int, groups: int | None) -> None:
    costs, w = _instance(100 + seed, 40, 9)
    p, standard = 2 + seed % 2, 2.5
    best = _brute_mclp(costs, w, standard, p)
    assert mclp(costs, w, standard=standard, p=p, method="compact").objective == best
    assert mclp(costs, w, standard=standard, p=p, method="benders").objective == best
    # the master itself on the unreduced matrix, single cut and grouped cuts
    cov = sp.csr_matrix((costs <= standard).astype(float))
    live = np.diff(cov.indptr) > 0
    out = mclp_benders(
        cov[live],
        w[live],
        p,
        np.zeros(0, dtype=np.int64),
        solver_options("highs", None, 0.0, None),
        groups=groups,
    )
    assert out.status is SolveStatus.OPTIMAL
    assert out.objective == best
    assert len(out.selected) <= p


@pytest.mark.parametrize("seed", range(5))
def test_lscp_rows_added_lazily_match_brute_force(seed: int) -> None:
    costs, _ = _instance(200 + seed, 30, 9)
    standard = float(np.max(np.min(costs, axis=1))) + 1.0  # every point coverable
    best = _brute_lscp(costs, standard)
    r = lscp(costs, standard=standard, method="benders")
    assert r.status is SolveStatus.OPTIMAL
    assert r.objective == best
    assert r.covered_weight == r.total_weight
    # the row loop on its own, starting from only two rows of the matrix
    cov = sp.csr_matrix((costs <= standard).astype(float))
    status, chosen, bound, _, _ = set_cover_rows(cov, solver_options("highs", None, 0.0, None))
    assert status is SolveStatus.OPTIMAL
    assert len(chosen) == best == bound
    assert np.asarray(cov[:, chosen].sum(axis=1) > 0).all()


def test_time_limited_benders_is_never_called_optimal_without_proof() -> None:
    costs, w = _instance(7, 400, 60)
    data, req = prepare_costs(costs, w)
    start = np.arange(6, dtype=np.int64)
    out = p_median_benders(data, req, 6, solver_options("highs", 1e-3, 0.0, None), start)
    assert out.status is SolveStatus.FEASIBLE
    true = float(w @ costs[:, out.selected].min(axis=1))
    assert out.objective == pytest.approx(true)
    assert not out.bound >= out.objective  # no proof: the bound stays below (or is unknown)
    full = p_median(costs, w, p=6, method="benders")
    assert full.status is SolveStatus.OPTIMAL
    assert full.best_bound == pytest.approx(full.objective)
    # a time-limited bound is still a valid lower bound on the optimum
    assert math.isnan(out.bound) or out.bound <= full.objective * (1 + 1e-9)


def test_method_is_checked() -> None:
    costs, w = _instance(1, 5, 3)
    with pytest.raises(DataError, match="method: got 'fast'"):
        p_median(costs, w, p=1, method="fast")
    with pytest.raises(DataError, match="needs solver='highs'"):
        mclp(costs, w, standard=2.0, p=1, solver="cbc", method="benders")
    with pytest.raises(DataError, match="needs solver='highs'"):
        lscp(costs, standard=20.0, solver="cbc", method="benders")


def test_a_search_stopped_by_the_solution_callback_is_not_optimal() -> None:
    from optimizer.solvers.mip import MipModel, solve_mip  # noqa: PLC0415

    rng = np.random.default_rng(3)
    a = sp.csr_matrix((rng.random((200, 80)) < 0.06).astype(float))
    a = a[np.diff(a.indptr) > 0]
    n_row, n_col = a.shape
    model = MipModel(
        sense="min",
        c=np.ones(n_col),
        a_matrix=a,
        row_lower=np.ones(n_row),
        row_upper=np.full(n_row, np.inf),
        col_lower=np.zeros(n_col),
        col_upper=np.ones(n_col),
        integer=np.ones(n_col, dtype=bool),
        integral_objective=True,
    )
    # one thread: HiGHS's parallel tasks could otherwise prove optimality before the first
    # interrupt check on a loaded machine, and the run would (rightly) stand as optimal
    options = solver_options("highs", None, 0.0, 1)
    seen: list[np.ndarray] = []

    def watch(x: np.ndarray) -> bool:
        seen.append(x)
        return False

    full = solve_mip(model, options, on_solution=watch)
    assert full.status is SolveStatus.OPTIMAL  # the callback only watched
    assert seen
    assert all(np.all(a @ x >= 1 - 1e-9) for x in seen)  # every solution shown is feasible
    stopped = solve_mip(model, options, on_solution=lambda x: True)
    assert stopped.objective >= full.objective
    if stopped.status is SolveStatus.OPTIMAL:  # proven before any interrupt check: that stands
        assert "interrupt" not in stopped.raw_status.lower()
        assert stopped.objective == pytest.approx(full.objective)
    else:  # stopped at the first check after the first solution: HiGHS says so, not optimal
        assert stopped.status is SolveStatus.FEASIBLE
        assert "interrupt" in stopped.raw_status.lower()
    with pytest.raises(SolverError, match="needs HiGHS"):
        solve_mip(model, solver_options("cbc", None, 0.0, None), on_solution=lambda x: False)


def _cover_master(seed: int, q: int) -> tuple:
    from optimizer.locate.benders import _Clock, _CoverMaster  # noqa: PLC0415

    costs, w = _instance(300 + seed, 40, 10)
    cov = sp.csr_matrix((costs <= 2.5).astype(float))
    live = np.diff(cov.indptr) > 0
    a, wl = cov[live], w[live]
    master = _CoverMaster(a, wl, q, None if seed % 2 else 1)
    start = np.zeros(a.shape[1])
    start[:q] = 1.0
    master.consider(start)
    master.lp_phase(master.best, _Clock(None), solver_options("highs", None, 0.0, None))
    values = {
        s: float(wl[np.asarray(a[:, list(s)].sum(axis=1)).ravel() > 0].sum())
        for s in itertools.combinations(range(a.shape[1]), q)
    }
    return master, a, wl, values


@pytest.mark.parametrize("seed", range(6))
def test_mclp_dual_bound_and_fixing_against_enumeration(seed: int) -> None:
    q = 2 + seed % 2
    master, _, _, values = _cover_master(seed, q)
    const, slope = master.dual_bound()
    assert (slope >= 0).all()
    for s, value in values.items():  # the bound holds for every site set
        assert value <= const + slope[list(s)].sum() + 1e-9
    best = max(values.values())
    optima = [s for s, v in values.items() if v >= best - 1e-9]
    # fixing against the optimum's own weight (the hardest valid case), from a real incumbent
    master.best = np.zeros(master.n_col)
    master.best[list(optima[0])] = 1.0
    master.best_val = best
    closed = master.fixable(best)
    for s, value in values.items():
        if closed[list(s)].any():
            assert value <= best + 1e-9  # no better solution opens a closed column
    # against a weaker incumbent: every solution above it avoids the closed columns
    lower = sorted(values.values())[len(values) // 2]
    closed = master.fixable(lower)
    for s, value in values.items():
        if value > lower:
            assert not closed[list(s)].any()


@pytest.mark.parametrize("seed", range(6))
def test_mclp_swap_search_ends_at_a_local_optimum(seed: int) -> None:
    q = 2 + seed % 2
    master, a, wl, values = _cover_master(seed, q)
    start = np.zeros(a.shape[1])
    start[[0]] = 1.0  # fewer than q: the search adds first
    y = master.swap_search(start, 10.0)
    chosen = tuple(np.flatnonzero(y > 0.5).tolist())
    assert len(chosen) == q
    value = values[chosen]
    assert value >= float(wl[np.asarray(a[:, [0]].sum(axis=1)).ravel() > 0].sum())
    for r in chosen:  # no single swap improves it
        for j in set(range(a.shape[1])) - set(chosen):
            other = tuple(sorted((set(chosen) - {r}) | {j}))
            assert values[other] <= value + 1e-9


@pytest.mark.parametrize("seed", [0, 4, 15, 24])  # seeds where the LP bound alone is short
def test_mclp_benders_reduced_after_fixing_matches_brute_force(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from optimizer.locate import benders  # noqa: PLC0415

    monkeypatch.setattr(benders, "_FIX_SHARE", 0.0)  # always take the reduced compact MIP
    costs, w = _instance(500 + seed, 40, 12)
    q, standard = 3, 3.0
    cov = sp.csr_matrix((costs <= standard).astype(float))
    live = np.diff(cov.indptr) > 0
    start = np.zeros(0, dtype=np.int64)
    out = mclp_benders(cov[live], w[live], q, start, solver_options("highs", None, 0.0, None))
    assert out.status is SolveStatus.OPTIMAL
    assert out.objective == _brute_mclp(costs, w, standard, q)
    # the LP did not prove it: columns were fixed and the reduced MIP did
    assert out.stats["fixed_closed"] > 0
    assert out.stats["reduced_cols"] == 12 - out.stats["fixed_closed"]


class _StopAfter:
    """A clock that runs out after ``k`` checks (a time limit hit mid-tree, deterministically)."""

    def __init__(self, k: int) -> None:
        self.k, self.limit = k, None

    def out(self) -> bool:
        self.k -= 1
        return self.k < 0

    def left(self) -> None:
        return None


# Random instances whose master LP is fractional at its optimum (found by trying seeds): the
# tree branches on them (more than the root node), besides some where the root settles it.
_FRACTIONAL = [(7, 80, 16, 3), (12, 80, 16, 3), (18, 80, 16, 3), (3, 60, 14, 5), (15, 30, 14, 6)]


_SETTLED = [(100, 40, 12, 4), (101, 40, 12, 3)]


@pytest.mark.parametrize(("seed", "n", "m", "p"), [*_FRACTIONAL, *_SETTLED])
def test_p_median_own_branching_matches_brute_force(seed: int, n: int, m: int, p: int) -> None:
    # Whatever the tree does, the answer must be the enumerated optimum, proven.
    costs, w = _instance(seed, n, m)
    best = _brute_median(costs, w, p)
    data, req = prepare_costs(costs, w)
    out = p_median_benders(data, req, p, solver_options("highs", None, 0.0, None), None, "own")
    assert out.status is SolveStatus.OPTIMAL
    assert out.objective == pytest.approx(best, rel=1e-9)
    assert float(w @ costs[:, out.selected].min(axis=1)) == pytest.approx(best, rel=1e-9)
    assert out.bound <= best * (1 + 1e-9)


def test_p_median_tree_stopped_early_keeps_a_valid_bound() -> None:
    # The tree from the LP optimum, stopped after k node checks: the bound it returns never
    # exceeds the optimum, the incumbent is the true cost of its sites, and with enough nodes
    # it proves the optimum. Instances chosen with a fractional master LP (the tree branches).
    branched = 0
    for seed, n, m, p in _FRACTIONAL:
        costs, w = _instance(seed, n, m)
        best = _brute_median(costs, w, p)
        data, req = prepare_costs(costs, w)
        rows = np.flatnonzero(data.weights > 0).astype(np.int64)
        clients = _Clients(data, rows)
        options = solver_options("highs", None, 0.0, None)
        for k in (1, 2, 3, 5, 8, 1000):
            loop = _MedianLoop(data, clients, data.weights[rows], req, p, data.reach_counts())
            lb = loop.lp_phase(None, _Clock(None), options)
            assert lb <= best * (1 + 1e-9)
            tree = _MedianTree(loop, options)
            sel, obj, lower = tree.run(loop.best_sel, loop.best_obj, lb, _StopAfter(k))  # type: ignore[arg-type]
            assert sel is not None
            assert obj == pytest.approx(float(w @ costs[:, sel].min(axis=1)), rel=1e-12)
            assert obj >= best * (1 - 1e-9)
            assert lower <= best * (1 + 1e-9)
            if k == 1000:
                assert lower == pytest.approx(best, rel=1e-6)
                branched += loop.stats["nodes"] > 1
    assert branched >= 3  # the tree really branched (it does on all five today)


def test_branching_is_checked() -> None:
    costs, w = _instance(1, 10, 5)
    data, req = prepare_costs(costs, w)
    with pytest.raises(DataError, match="branching"):
        p_median_benders(data, req, 2, solver_options("highs", None, 0.0, None), None, "cplex")
