r"""The vertex p-center problem, solved exactly by bisection over radii with set-cover tests.

The problem of ``spopt.locate.PCenter``: open exactly ``p`` sites (required sites included)
minimising the largest cost from any demand point to its nearest open site (weights play no
part). The optimum :math:`r^*` is one of the costs :math:`c_{ij}`, and :math:`r` is achievable
iff the set cover at radius :math:`r` needs at most ``p`` sites::

    exists y in {0,1}^J:  sum_{j: c_ij <= r} y_j >= 1  for all i,
                          sum_j y_j <= p,  y_j = 1 for j in R                     (1)

Feasibility of (1) is monotone in :math:`r`, so a bisection over the sorted distinct costs in
``[LB, UB]`` finds :math:`r^*`, with ``LB = max_i min_j c_ij`` (no radius below serves every
point) and ``UB`` the radius of a greedy farthest-point solution. Each test runs the exact LSCP
reductions (merged rows, essential and dominated sites; see `optimizer.locate.covering`) and,
when a greedy cover is not already small enough, a feasibility MIP. Under a time limit the
search stops with the smallest radius proven achievable and the largest proven unachievable
one as the bound (status ``feasible``).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from optimizer.errors import SolverError
from optimizer.locate._common import check_count, remaining_time
from optimizer.locate._kernel import begin
from optimizer.locate.costs import LONG_COLUMNS, CostData, CostInput
from optimizer.locate.covering import reduce_set_cover, solve_set_cover
from optimizer.locate.result import LocateResult
from optimizer.solvers.mip import SolverOptions
from optimizer.solvers.status import SolveStatus

__all__ = ["p_center"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def p_center(
    costs: CostInput,
    weights: npt.ArrayLike | pd.Series | None = None,
    *,
    p: int,
    required: Iterable[Hashable] = (),
    forbidden: Iterable[Hashable] = (),
    demand_ids: Sequence[Hashable] | None = None,
    site_ids: Sequence[Hashable] | None = None,
    columns: tuple[str, str, str] = LONG_COLUMNS,
    solver: str = "highs",
    time_limit: float | None = None,
    threads: int | None = None,
) -> LocateResult:
    """Open exactly ``p`` sites minimising the largest cost of any point to its nearest site.

    Parameters
    ----------
    costs : array_like, pandas.DataFrame or CostTable
        Dense ``(n_demand, n_site)`` costs (``inf`` = unreachable), a long table, or a
        `CostTable` from `optimizer.locate.geo.from_geodataframes`.
    weights : array_like or pandas.Series, optional
        Demand weights; not part of the objective, only reported (``total_weight``).
    p : int
        Number of sites to open, required sites included.
    required, forbidden, demand_ids, site_ids, columns
        As in `optimizer.locate.covering.lscp`.
    solver : {"highs", "cbc"}
        MIP solver for the set-cover tests.
    time_limit : float, optional
        Time limit in seconds for the whole search.
    threads : int, optional
        Solver threads.

    Returns
    -------
    LocateResult
        ``objective`` = the largest assignment cost; ``stats["probes"]`` = radii tested.
    """
    p = check_count(p)
    inputs = begin(costs, weights, required=required, forbidden=forbidden,
                   demand_ids=demand_ids, site_ids=site_ids, columns=columns, solver=solver,
                   time_limit=time_limit, threads=threads)
    data, req, options = inputs.data, inputs.required, inputs.options
    reach = data.reach_counts()
    if len(req) > p or p > data.m or (data.n and (p == 0 or (reach == 0).any())):
        return inputs.infeasible("p_center")
    if data.n == 0:
        sel = np.concatenate([req, np.setdiff1d(np.arange(data.m), req)[: p - len(req)]])
        return inputs.finish("p_center", sel, 0.0, SolveStatus.OPTIMAL, 0.0)
    _, nearest = data.k_nearest(np.arange(data.n, dtype=np.int64), 1)
    low = float(nearest[:, 0].max())
    ub_sel = _farthest_first(data, req, p)
    _, ub_cost = data.nearest_open(ub_sel)
    high = float(ub_cost.max())
    radii = data.finite_costs(low, high if math.isfinite(high) else math.inf)
    lo, hi = 0, len(radii) - 1  # answer index in [lo, hi]; radii[hi] achievable if finite UB
    best_sel = ub_sel if math.isfinite(high) else None
    if best_sel is None:
        hi = len(radii)  # sentinel: nothing proven achievable yet
    spent = 0.0
    probes = 0
    status = SolveStatus.OPTIMAL
    while lo < hi:
        mid = (lo + hi) // 2
        probes += 1
        outcome, sel, seconds = _achievable(
            data, radii[mid], req, p, remaining_time(options, spent)
        )
        spent += seconds
        if outcome is None:
            status = SolveStatus.FEASIBLE  # a limit stopped the proof
            break
        if outcome:
            hi, best_sel = mid, sel
        else:
            lo = mid + 1
        if options.time_limit is not None and spent >= options.time_limit and lo < hi:
            status = SolveStatus.FEASIBLE
            break
    if best_sel is None:
        raise SolverError(
            "p-center: no achievable radius found within the time limit "
            f"({time_limit} s); raise time_limit"
        )
    best_sel = _pad(best_sel, p, data.m)
    _, cost = data.nearest_open(best_sel)
    objective = float(cost.max())
    bound = float(radii[lo]) if lo < len(radii) else objective
    return inputs.finish(
        "p_center", best_sel, objective, status,
        objective if status is SolveStatus.OPTIMAL else bound,
        solve_seconds=spent,
        stats={"rows": data.n, "cols": data.m, "probes": probes, "radii": len(radii)},
    )


def _achievable(
    data: CostData, radius: float, req: IntArray, p: int, options: SolverOptions
) -> tuple[bool | None, IntArray, float]:
    """Is there a cover of radius ``radius`` with at most ``p`` sites? None = undecided."""
    cov = data.coverage(radius)
    if (np.diff(cov.indptr) == 0).any():
        return False, req, 0.0
    a, alive, fixed, _ = reduce_set_cover(cov, req)
    if len(fixed) > p:
        return False, fixed, 0.0
    status, chosen, _, seconds, _ = solve_set_cover(a, options, max_sites=p - len(fixed))
    if status is SolveStatus.INFEASIBLE:
        return False, fixed, seconds
    if status is SolveStatus.ERROR:
        return None, fixed, seconds
    return True, np.concatenate([fixed, alive[chosen]]), seconds


def _farthest_first(data: CostData, req: IntArray, p: int) -> IntArray:
    """Greedy: repeatedly open the nearest closed site of the worst-served point."""
    open_ = list(req.tolist())
    _, cost = data.nearest_open(np.asarray(open_, dtype=np.int64))
    rows = np.arange(data.n, dtype=np.int64)
    order_pos, _ = data.k_nearest(rows, min(data.m, p + 1))
    while len(open_) < p:
        i = int(np.argmax(cost))
        cand = [int(j) for j in order_pos[i] if j >= 0 and int(j) not in open_]
        if not cand:
            rest = np.setdiff1d(np.arange(data.m), np.asarray(open_, dtype=np.int64))
            cand = [int(rest[0])]
        open_.append(cand[0])
        _, cost = data.nearest_open(np.asarray(open_, dtype=np.int64))
    return np.asarray(sorted(open_), dtype=np.int64)


def _pad(selected: IntArray, p: int, m: int) -> IntArray:
    sel = np.unique(selected)
    if len(sel) >= p:
        return sel
    free = np.setdiff1d(np.arange(m), sel)[: p - len(sel)]
    return np.sort(np.concatenate([sel, free]))
