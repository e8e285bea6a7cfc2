r"""The p-median problem, solved exactly with a truncated radius formulation grown on demand.

Notation: demand points :math:`i` with weight :math:`w_i`, allowed sites :math:`j`, costs
:math:`c_{ij}` (``inf`` = unreachable), required sites :math:`R`. The problem is the one of
``spopt.locate.PMedian``: open exactly ``p`` sites and assign each point to its cheapest open site,
minimising the weighted total cost.

Formulation (Elloumi 2010, "A computational study of a new formulation for the p-median
problem", Discrete Applied Mathematics 158): for point :math:`i` let
:math:`D_i^1 < D_i^2 < \dots` be its distinct costs over its :math:`K_i` nearest sites and
:math:`S_i^\ell` the sites at cost :math:`D_i^\ell`; :math:`z_i^\ell \ge 0` is 1 when no site at
cost :math:`\le D_i^\ell` is open. With :math:`L_i` levels and cap
:math:`D_i^{L_i+1}` = the cost of the :math:`(K_i+1)`-th nearest site::

    min  sum_i w_i (D_i^1 + sum_{l=1..L_i} (D_i^{l+1} - D_i^l) z_i^l)        (1)
    s.t. z_i^1 + sum_{j in S_i^1} y_j >= 1                    for all i      (2)
         z_i^l - z_i^{l-1} + sum_{j in S_i^l} y_j >= 0        l = 2..L_i     (3)
         sum_j y_j = p                                                      (4)
         y_j = 1 for j in R;  y_j in {0, 1};  z >= 0                        (5)
         z_i^{L_i} = 0  when K_i is all sites reachable from i              (6)

With every site included this is exact. Truncated at :math:`K_i` it is a relaxation: a point
whose nearest open site lies beyond its :math:`K_i` nearest is charged only the cap. After each
solve the chosen sites are evaluated on the true costs; if no point with positive weight is
charged less than its true cost, the relaxation's optimum is feasible at the same cost and hence
optimal. Otherwise :math:`K_i` is enlarged (at least doubled) for the under-charged points and
the model is solved again, starting from the best solution so far. Under a time limit the best
true solution is returned with the relaxation's bound, as ``feasible``.

How the truncation is chosen (all exactness rests on the check above, none on these choices):

* Upper bound and MIP start: greedy add, then vertex substitution (`optimizer.locate.heuristic`).
* First :math:`K_i`: the rank of the point's second nearest open site in that solution (at
  least 4), so the truncation still holds if any single site of it is swapped out.
* LP fitting: the LP relaxation of the truncation (HiGHS interior point with crossover) is
  solved and :math:`K_i` enlarged, to where the point's LP service reaches 1 plus a margin, for
  every point the LP serves short, until none is; the new levels are appended to the LP held
  in HiGHS, which re-solves warm (`optimizer.locate.truncation`). That LP optimum is then
  feasible for the untruncated LP at the same cost, i.e. it is the formulation's full LP
  bound. When its ``y`` is integral, those sites cost exactly that bound and are optimal
  without any MIP (the usual case on the benchmark instances); otherwise the MIP rounds above
  start from this ``K``.

What "optimal" means here: costs are floats, so HiGHS runs with ``mip_rel_gap = 0`` and the
result is reported optimal only when a bound proven by HiGHS (the MIP dual bound, within
relative 1e-6 via `optimizer.solvers.mip`, or an LP bound within relative 1e-9) meets the
true cost of the returned sites, re-evaluated on the input costs. Both bounds are HiGHS's
under its default feasibility tolerances (1e-7); nothing else is assumed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Hashable, Iterable, Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp

from optimizer.errors import SolverError
from optimizer.locate._common import check_count, remaining_time
from optimizer.locate._kernel import begin
from optimizer.locate.benders import AUTO_MIN_PAIRS, p_median_benders, use_benders
from optimizer.locate.costs import LONG_COLUMNS, CostData, CostInput
from optimizer.locate.heuristic import finite_costs, greedy_add, substitute
from optimizer.locate.result import LocateResult
from optimizer.locate.truncation import extend, tie_complete
from optimizer.solvers.mip import LpSession, MipModel, SolverOptions, solve_mip
from optimizer.solvers.status import SolveStatus

__all__ = ["p_median"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
_GREEDY_MAX_WORK = 3e9  # demand x sites x p above which the greedy start is skipped
_SEARCH_SECONDS = 10.0  # vertex substitution budget (seconds) ...
_SEARCH_SHARE = 0.1  # ... and at most this share of the time limit
_MAX_LP_ROUNDS = 12
# An LP bound this close (relative) to a solution's true cost proves it optimal: float noise of
# the LP value, far below any difference between two solutions' costs at the data's precision.
_LP_PROOF_REL = 1e-9
_LP_MARGIN = 2  # sites added beyond the rank where a short point's LP service reaches 1


def p_median(
    costs: CostInput,
    weights: npt.ArrayLike | pd.Series | None,
    *,
    p: int,
    required: Iterable[Hashable] = (),
    forbidden: Iterable[Hashable] = (),
    demand_ids: Sequence[Hashable] | None = None,
    site_ids: Sequence[Hashable] | None = None,
    columns: tuple[str, str, str] = LONG_COLUMNS,
    solver: str = "highs",
    time_limit: float | None = None,
    mip_gap: float = 0.0,
    threads: int | None = None,
    initial_k: int | None = None,
    fit_lp: bool = True,
    method: str = "auto",
) -> LocateResult:
    """Open exactly ``p`` sites minimising the weighted cost to each point's nearest open site.

    Parameters
    ----------
    costs : array_like, pandas.DataFrame or CostTable
        Dense ``(n_demand, n_site)`` costs (``inf`` = unreachable), a long table, or a
        `CostTable` from `optimizer.locate.geo.from_geodataframes`.
    weights : array_like or pandas.Series or None
        Demand weights; None = 1 each (or the `CostTable`'s weights).
    p : int
        Number of sites to open, required sites included.
    required, forbidden : iterable of site ids
        Sites forced open, and sites kept closed.
    demand_ids, site_ids, columns
        Ids and long-table column names (see `optimizer.locate.costs.prepare_costs`).
    solver : {"highs", "cbc"}
        MIP solver.
    time_limit : float, optional
        Time limit in seconds for all solver calls together.
    mip_gap : float
        Relative gap at which the solver may stop (the status is then ``feasible``).
    threads : int, optional
        Solver threads.
    initial_k : int, optional
        Nearest sites per point in the first model; default ``ceil(m / p) + 1`` (at least 4).
    fit_lp : bool
        Fit the truncation to the LP relaxation first (compact method, HiGHS).
    method : {"auto", "compact", "benders"}
        ``"compact"``: the truncated radius formulation above; ``"benders"``: its Benders
        decomposition (`optimizer.locate.benders.p_median_benders`, HiGHS only); ``"auto"``:
        Benders from `optimizer.locate.benders.AUTO_MIN_PAIRS` demand-site pairs on, with HiGHS.

    Returns
    -------
    LocateResult
        ``objective`` = weighted total cost; ``stats`` holds ``rounds`` and the last model size.
        Status ``infeasible`` when ``p`` is out of range or a point reaches no allowed site.
    """
    p = check_count(p)
    inputs = begin(costs, weights, required=required, forbidden=forbidden,
                   demand_ids=demand_ids, site_ids=site_ids, columns=columns, solver=solver,
                   time_limit=time_limit, mip_gap=mip_gap, threads=threads)
    data, req, options = inputs.data, inputs.required, inputs.options
    reach = data.reach_counts()
    if len(req) > p or p > data.m or (data.n and (p == 0 or (reach == 0).any())):
        return inputs.infeasible("p_median")
    w = data.weights
    in_model = (w > 0) | (reach < data.m)
    rows = np.flatnonzero(in_model).astype(np.int64)
    if len(rows) == 0:
        # no point with weight that could be left unserved: any p sites cost nothing
        free = np.setdiff1d(np.arange(data.m), req)[: p - len(req)]
        sel = np.concatenate([req, free]).astype(np.int64)
        return inputs.finish("p_median", sel, 0.0, SolveStatus.OPTIMAL, 0.0)
    benders = use_benders(method, solver, float(inputs.data.n) * inputs.data.m, AUTO_MIN_PAIRS)
    budget = _SEARCH_SHARE * time_limit if time_limit is not None else _SEARCH_SECONDS
    if benders:
        # no heuristic start: its greedy pass alone costs demand x sites x p (20 s at
        # 20 000 x 1 000, p = 100), while the LP phase's rounding is as good and comes free
        spent = inputs.elapsed()
        bo = p_median_benders(data, req, p, remaining_time(options, spent), None)
        return inputs.finish("p_median", bo.selected, bo.objective, bo.status, bo.bound,
                             solve_seconds=bo.seconds, build_seconds=spent,
                             stats={"rows": data.n, "cols": data.m, "benders": 1, **bo.stats})
    best_sel = _greedy_start(data, req, p, min(budget, _SEARCH_SECONDS))
    if initial_k is not None:
        k = np.minimum(reach[rows], max(1, int(initial_k)))
    elif best_sel is not None:
        # Each point's second nearest open site of the heuristic solution: the truncation
        # then survives closing any one of its sites, so few points come out short.
        k = np.minimum(reach[rows], np.maximum(_open_rank(data, rows, best_sel, 2) + 1, 4))
    else:
        k = np.minimum(reach[rows], max(4, math.ceil(data.m / max(p, 1)) + 1))
    build = inputs.elapsed()
    rounds = _Rounds(data, rows, reach, req, p, options, best_sel)
    if fit_lp:
        rounds.fit_lp(k)
    rounds.run(k)
    status, bound = rounds.status, rounds.bound
    best_sel, best_obj = rounds.best_sel, rounds.best_obj
    build += rounds.build_seconds
    solve_seconds = rounds.solve_seconds
    stats: dict[str, int] = {"rows": data.n, "cols": data.m, **rounds.stats}
    if best_sel is None or not math.isfinite(best_obj):
        raise SolverError(
            f"p-median: {solver} found no solution within the time limit "
            f"({time_limit} s); raise time_limit"
        )
    if status is SolveStatus.OPTIMAL:
        best_obj = bound = float(best_obj)
    return inputs.finish("p_median", best_sel, best_obj, status,
                         bound if math.isfinite(bound) else math.nan,
                         build_seconds=build, solve_seconds=solve_seconds, stats=stats)


class _Rounds:
    """Solve the truncated model, check for under-charged points, enlarge, repeat."""

    def __init__(
        self,
        data: CostData,
        rows: IntArray,
        reach: IntArray,
        req: IntArray,
        p: int,
        options: SolverOptions,
        start: IntArray | None,
    ) -> None:
        self.data, self.rows, self.reach, self.req, self.p = data, rows, reach, req, p
        self.options = options
        self.best_sel = start
        self.best_obj = _true_cost(data, start)
        self.status = SolveStatus.FEASIBLE
        # trivial bound: every point served by its nearest site (the LP rounds raise it)
        _, nearest = data.k_nearest(rows, 1)
        self.bound = float(data.weights[rows] @ nearest[:, 0])
        self.build_seconds = 0.0
        self.solve_seconds = 0.0
        self.stats: dict[str, int] = {"rounds": 0}

    def fit_lp(self, k: IntArray) -> None:
        """Enlarge ``k`` (in place) until the truncated LP relaxation serves no point short.

        The LP optimum of a truncation whose points are all fully served within their ``k``
        nearest sites is feasible, at the same cost, for the untruncated LP, so it is the full
        LP bound: the MIP then starts from the strongest root bound of the formulation. Each
        short point gets ``k`` up to the rank where its LP service reaches 1, plus a margin;
        its new levels are appended to the LP kept in HiGHS (`optimizer.locate.truncation`),
        which re-solves warm. If the LP's sites are integral and nobody is short, that is a
        proof. HiGHS only (with CBC the MIP rounds start from ``k`` as given).
        """
        if self.options.solver != "highs":
            return
        data, rows, w = self.data, self.rows, self.data.weights
        reach = self.reach[rows]
        k[:] = tie_complete(data, rows, k, reach)
        tb = time.perf_counter()
        model, _, last_col = _build(data, rows, k, self.req, self.p, None)
        session = LpSession(model, self.options)
        n_row, nnz = model.a_matrix.shape[0], int(model.a_matrix.nnz)
        self.build_seconds += time.perf_counter() - tb
        for _ in range(_MAX_LP_ROUNDS):
            if self._out_of_time():
                return
            out = session.solve(remaining_time(self.options, self.solve_seconds).time_limit)
            self.solve_seconds += out.seconds
            self.stats["lp_rounds"] = self.stats.get("lp_rounds", 0) + 1
            self.stats.update(
                model_rows=n_row, model_cols=session.n_col, model_nnz=nnz, max_k=int(k.max())
            )
            if out.status is not SolveStatus.OPTIMAL or out.x is None:
                return
            # any truncation's LP optimum is a lower bound (truncated LP <= full LP <= optimum)
            self.bound = max(self.bound, out.objective)
            y = np.clip(out.x[: data.m], 0.0, 1.0)
            probe = min(int(reach.max(initial=1)), max(2 * int(k.max()), 16))
            pos, _ = data.k_nearest(rows, probe)
            served = np.cumsum(np.where(pos >= 0, y[np.maximum(pos, 0)], 0.0), axis=1)
            within = served[np.arange(len(rows)), np.minimum(k, probe) - 1]
            short = np.flatnonzero((within < 1.0 - 1e-7) & (k < reach) & (w[rows] > 0))
            if len(short) == 0:
                if bool(np.all(np.minimum(y, 1.0 - y) < 1e-7)):
                    sel = np.flatnonzero(y > 0.5).astype(np.int64)
                    obj = _true_cost(data, sel)
                    if obj < self.best_obj:
                        self.best_sel, self.best_obj = sel, obj
                return
            full = served[short] >= 1.0 - 1e-7
            crit = np.where(full.any(axis=1), full.argmax(axis=1) + 1, probe)
            grow = np.minimum(reach[short], np.maximum(crit, k[short]) + _LP_MARGIN)
            grow = tie_complete(data, rows[short], grow, reach[short])
            tb = time.perf_counter()
            ext = extend(data, rows[short], k[short], grow, last_col[short], session.n_col)
            session.add_columns(ext.col_cost, np.zeros(len(ext.col_cost)), ext.col_upper)
            session.add_rows(
                ext.rows, np.zeros(ext.rows.shape[0]), np.full(ext.rows.shape[0], np.inf)
            )
            n_row, nnz = n_row + ext.rows.shape[0], nnz + int(ext.rows.nnz)
            last_col[short] = ext.last_col
            k[short] = grow
            self.build_seconds += time.perf_counter() - tb

    def _out_of_time(self) -> bool:
        limit = self.options.time_limit
        return limit is not None and self.solve_seconds >= limit

    def run(self, k: IntArray) -> None:
        """Run rounds until proven optimal or stopped by a limit."""
        data, rows, w = self.data, self.rows, self.data.weights
        if self.best_sel is not None and self.bound >= self.best_obj - _LP_PROOF_REL * abs(
            self.best_obj
        ):
            self.status = SolveStatus.OPTIMAL  # the LP bound meets a known solution
            return
        while True:
            self.stats["rounds"] += 1
            tb = time.perf_counter()
            model, cap, _ = _build(data, rows, k, self.req, self.p, self.best_sel)
            self.build_seconds += time.perf_counter() - tb
            self.stats.update(
                model_rows=model.a_matrix.shape[0],
                model_cols=model.a_matrix.shape[1],
                model_nnz=int(model.a_matrix.nnz),
                max_k=int(k.max(initial=0)),
            )
            out = solve_mip(model, remaining_time(self.options, self.solve_seconds))
            self.solve_seconds += out.seconds
            if out.status is SolveStatus.INFEASIBLE:
                # cannot happen for a reachable instance: every y with sum p is feasible
                raise SolverError(
                    f"p-median: {self.options.solver} reported the relaxation infeasible "
                    f"({out.raw_status}); please report this"
                )
            if out.x is None:
                return
            sel = np.flatnonzero(out.x[: data.m] > 0.5).astype(np.int64)
            obj = _true_cost(data, sel)
            if obj < self.best_obj:
                self.best_sel, self.best_obj = sel, obj
            if math.isfinite(out.bound):
                self.bound = max(self.bound, out.bound)  # each round is a relaxation
            _, true_cost = data.nearest_open(sel)
            tc = true_cost[rows]
            under = (tc > cap * (1 + 1e-12) + 1e-12) & ((w[rows] > 0) | ~np.isfinite(tc))
            if out.status is SolveStatus.OPTIMAL and not under.any():
                self.status, self.bound = SolveStatus.OPTIMAL, obj
                self.best_sel, self.best_obj = sel, obj
                return
            if out.status is not SolveStatus.OPTIMAL:
                return  # a limit stopped this round: keep the best true solution and bound
            limit = self.options.time_limit
            if limit is not None and self.solve_seconds >= limit:
                return
            k[under] = np.minimum(self.reach[rows[under]], 2 * k[under])


def _open_rank(data: CostData, rows: IntArray, selected: IntArray, nth: int) -> IntArray:
    """Rank (1-based) among each row's sites by cost of its ``nth`` nearest open site."""
    is_open = np.zeros(data.m, dtype=bool)
    is_open[selected] = True
    out = np.empty(len(rows), dtype=np.int64)
    step = max(1, 4_000_000 // max(data.m, 1))
    for a in range(0, len(rows), step):
        pos, _ = data.k_nearest(rows[a : a + step], data.m)
        hits = np.cumsum((pos >= 0) & is_open[np.maximum(pos, 0)], axis=1)
        reached = hits >= min(nth, len(selected))
        out[a : a + step] = np.where(reached.any(axis=1), reached.argmax(axis=1) + 1, data.m)
    return out


def _true_cost(data: CostData, selected: IntArray | None) -> float:
    if selected is None:
        return math.inf
    _, cost = data.nearest_open(selected)
    finite = np.isfinite(cost)
    if not finite[data.weights > 0].all() or not finite.all():
        return math.inf
    return float(data.weights @ cost)


def _greedy_start(data: CostData, req: IntArray, p: int, seconds: float) -> IntArray | None:
    """Greedy add, then vertex substitution for up to ``seconds`` (dense input of moderate size)."""
    if data.dense is None or data.n * data.m * max(p, 1) > _GREEDY_MAX_WORK:
        return None
    c = finite_costs(data.dense)
    sel = greedy_add(c, data.weights, req, p)
    return substitute(c, data.weights, sel, req, seconds)


_Entry = tuple[
    IntArray, npt.NDArray[np.bool_], IntArray, npt.NDArray[np.bool_], FloatArray, IntArray
]


def _levels(
    data: CostData, rows: IntArray, k: IntArray
) -> tuple[list[_Entry], IntArray, float, FloatArray]:
    """Each row's ``k`` nearest sites grouped into cost levels.

    Returns, per bucket of rows with similar ``k``: (row numbers, valid entry mask, level of each
    entry, entry-closes-its-level mask, the ``k + 1`` nearest costs, their site positions); then
    the level count per row, the objective constant ``sum w_i D_i^1`` and each row's cap.
    """
    w = data.weights
    # Fetch the k+1 nearest per row (the extra one is the cap), in buckets of similar k.
    bucket = np.ceil(np.log2(np.maximum(k, 1))).astype(np.int64)
    cap = np.empty(len(rows))
    lvl_counts = np.zeros(len(rows), dtype=np.int64)
    entries: list[_Entry] = []
    offset = 0.0
    for b in np.unique(bucket):
        sel = np.flatnonzero(bucket == b).astype(np.int64)
        kr = k[sel]
        pos, cost = data.k_nearest(rows[sel], int(kr.max()) + 1)
        cap[sel] = cost[np.arange(len(sel)), kr]
        g, kk1 = cost.shape
        valid = np.arange(kk1 - 1)[None, :] < kr[:, None]
        c0 = cost[:, :-1]
        new = np.zeros_like(valid)
        new[:, 1:] = c0[:, 1:] != c0[:, :-1]
        lvl = np.cumsum(new, axis=1).astype(np.int64)  # level of each entry (0-based)
        # an entry closes its level when the next valid entry starts a new one (or none follows)
        nxt_new = np.concatenate([new[:, 1:] | ~valid[:, 1:], np.ones((g, 1), dtype=bool)], 1)
        last = valid & nxt_new
        lvl_counts[sel] = np.where(valid, lvl, -1).max(axis=1) + 1
        entries.append((sel, valid, lvl, last, cost, pos))
        offset += float(w[rows[sel]] @ cost[:, 0])
    return entries, lvl_counts, offset, cap


def _build(
    data: CostData,
    rows: IntArray,
    k: IntArray,
    req: IntArray,
    p: int,
    start_sel: IntArray | None,
) -> tuple[MipModel, FloatArray, IntArray]:
    """Truncated formulation (1)-(6) for ``rows`` with ``k[r]`` nearest sites each.

    Returns the model, each row's cap and the column of each row's last level.
    """
    m = data.m
    w = data.weights
    entries, lvl_counts, offset, cap = _levels(data, rows, k)
    z_start = np.concatenate([[0], np.cumsum(lvl_counts)])  # z index of (row, level 0)
    n_z = int(z_start[-1])
    obj_z = np.zeros(n_z)
    ub_z = np.full(n_z, np.inf)
    open_mask = np.zeros(m, dtype=bool)
    if start_sel is not None:
        open_mask[start_sel] = True
    z0 = np.zeros(n_z)
    y_cols, y_rows = [], []
    integral = bool(np.all(w == np.round(w)))
    for sel, valid, lvl, last, cost, pos in entries:
        base = z_start[sel][:, None] + lvl
        y_cols.append(pos[:, :-1][valid])  # (2)/(3): y_j in the row of its level
        y_rows.append(base[valid])
        step = cost[:, 1:] - cost[:, :-1]
        ii, tt = np.nonzero(last)
        zi = base[ii, tt]
        st = step[ii, tt]
        finite = np.isfinite(st)
        obj_z[zi[finite]] = w[rows[sel[ii[finite]]]] * st[finite]  # (1)
        ub_z[zi[~finite]] = 0.0  # (6): the last level holds every reachable site
        used = cost[:, :-1][valid]
        integral = integral and bool(np.all(used == np.round(used)))
        if start_sel is not None:
            hit = valid & open_mask[np.maximum(pos[:, :-1], 0)]
            none_yet = np.cumsum(hit, axis=1) == 0
            z0[zi] = none_yet[ii, tt].astype(np.float64)
    y_c = np.concatenate(y_cols)
    y_r = np.concatenate(y_rows)
    # z entries: +1 on its own row, -1 on the next level's row of the same point
    z_idx = np.arange(n_z)
    row_of_z = np.repeat(np.arange(len(rows)), lvl_counts)
    is_first = z_idx == z_start[row_of_z]
    prev_r = z_idx[~is_first]
    r_idx = np.concatenate([y_r, z_idx, prev_r])
    c_idx = np.concatenate([y_c, m + z_idx, m + prev_r - 1])
    vals = np.concatenate([np.ones(len(y_r)), np.ones(n_z), -np.ones(len(prev_r))])
    a = sp.csr_matrix((vals, (r_idx, c_idx)), shape=(n_z, m + n_z))
    budget = sp.csr_matrix(np.concatenate([np.ones(m), np.zeros(n_z)])[None, :])  # (4)
    a_full = sp.vstack([a, budget], format="csr")
    lower = np.concatenate([np.where(is_first, 1.0, 0.0), [float(p)]])  # (2), (3), (4)
    upper = np.concatenate([np.full(n_z, np.inf), [float(p)]])
    col_lower = np.zeros(m + n_z)
    col_lower[req] = 1.0  # (5)
    col_upper = np.concatenate([np.ones(m), ub_z])
    model = MipModel(
        sense="min",
        c=np.concatenate([np.zeros(m), obj_z]),
        a_matrix=a_full,
        row_lower=lower,
        row_upper=upper,
        col_lower=col_lower,
        col_upper=col_upper,
        integer=np.concatenate([np.ones(m, dtype=bool), np.zeros(n_z, dtype=bool)]),
        offset=offset,
        start=None if start_sel is None else np.concatenate([open_mask.astype(np.float64), z0]),
        integral_objective=integral and round(offset) == offset,
    )
    return model, cap, m + z_start[1:] - 1
