"""Helpers shared by the kernels: option checks, greedy starts and result assembly."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp

from optimizer.errors import DataError
from optimizer.locate.costs import CostData
from optimizer.locate.result import LocateResult
from optimizer.solvers.mip import SOLVERS, SolverOptions
from optimizer.solvers.status import SolveStatus

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def solver_options(
    solver: str, time_limit: float | None, mip_gap: float, threads: int | None
) -> SolverOptions:
    """Check the solver arguments and bundle them."""
    if solver not in SOLVERS:
        raise DataError(f"solver: got {solver!r}; use one of {', '.join(SOLVERS)}")
    if time_limit is not None and not time_limit > 0:
        raise DataError(f"time_limit: got {time_limit!r}; give seconds > 0, or None")
    if not 0 <= mip_gap < 1:
        raise DataError(f"mip_gap: got {mip_gap!r}; give a relative gap in [0, 1)")
    if threads is not None and threads < 1:
        raise DataError(f"threads: got {threads!r}; give a positive count, or None")
    return SolverOptions(solver, time_limit, float(mip_gap), threads)


def check_count(p: int, name: str = "p") -> int:
    """Check a facility count."""
    if isinstance(p, bool) or not isinstance(p, int | np.integer) or p < 0:
        raise DataError(f"{name}: got {p!r}; give a whole number of sites >= 0")
    return int(p)


def check_standard(standard: float) -> float:
    """Check a service standard (a cost threshold)."""
    value = float(standard)
    if not math.isfinite(value) or value < 0:
        raise DataError(f"standard: got {standard!r}; give a finite cost >= 0")
    return value


def remaining_time(options: SolverOptions, spent: float) -> SolverOptions:
    """The options with the time limit reduced by what has been spent already."""
    if options.time_limit is None:
        return options
    left = max(options.time_limit - spent, 1e-3)
    return SolverOptions(options.solver, left, options.mip_gap, options.threads)


def greedy_cover(cov_csc: sp.csc_matrix, weights: FloatArray, budget: int | None) -> IntArray:
    """Greedy maximal coverage (or set cover when ``budget`` is None) on a 0/1 matrix.

    Picks the column covering the most uncovered weight until the budget is used or nothing
    more can be covered. ``weights`` should be positive for a set cover.
    """
    n_row, n_col = cov_csc.shape
    left = weights.astype(np.float64).copy()
    chosen: list[int] = []
    csr = cov_csc.tocsr()
    gains = np.asarray(cov_csc.T @ left).ravel()
    limit = n_col if budget is None else min(budget, n_col)
    while len(chosen) < limit:
        k = int(np.argmax(gains))
        if gains[k] <= 0:
            break
        chosen.append(k)
        rows = cov_csc.indices[cov_csc.indptr[k] : cov_csc.indptr[k + 1]]
        rows = rows[left[rows] > 0]
        if len(rows):
            # subtract the newly covered weight from the gain of every column covering it
            sub = csr[rows]
            dec = np.bincount(
                sub.indices, weights=np.repeat(left[rows], np.diff(sub.indptr)), minlength=n_col
            )
            gains -= dec
            left[rows] = 0.0
        gains[k] = -1.0
    del n_row
    return np.asarray(chosen, dtype=np.int64)


def assignment_frame(data: CostData, selected: IntArray) -> tuple[pd.DataFrame, FloatArray]:
    """Each demand point's nearest selected site and its cost (``inf`` when none reachable)."""
    pos, cost = data.nearest_open(selected)
    site = pd.Series(data.site_ids.take(np.maximum(pos, 0)), dtype=object)
    site[pos < 0] = None
    frame = pd.DataFrame(
        {"demand_id": data.demand_ids.to_numpy(), "site_id": site.to_numpy(), "cost": cost,
         "weight": data.weights}
    )
    return frame, cost


Flows = tuple[IntArray, IntArray, FloatArray]


def allocation_frame(
    data: CostData, selected: IntArray, standard: float | None, flows: Flows | None
) -> pd.DataFrame:
    """Who serves whom (`LocateResult.allocation`) from positions.

    ``flows`` (rows, site positions, shares) when the model assigns explicitly; otherwise every
    open site within ``standard`` (coverage models) or each point's nearest open site.
    """
    if flows is not None:
        rows, cols, amount = flows
        keep = amount > 1e-9
        rows, cols, amount = rows[keep], cols[keep], amount[keep]
        if data.dense is not None:
            cost = data.dense[rows, cols]
        else:
            r_all, c_all, cost_all = data.pairs_to(np.unique(cols))
            lookup = pd.Series(cost_all, index=pd.MultiIndex.from_arrays([r_all, c_all]))
            cost = np.asarray(
                lookup.reindex(pd.MultiIndex.from_arrays([rows, cols])).to_numpy(float),
                dtype=np.float64)
    elif standard is not None:
        rows, cols, cost = data.pairs_to(selected, standard)
        amount = np.ones(len(rows))
    else:
        pos, cost_all = data.nearest_open(selected)
        rows = np.flatnonzero(pos >= 0).astype(np.int64)
        cols, cost, amount = pos[rows], cost_all[rows], np.ones(len(rows))
    order = np.lexsort((cols, rows))
    rows, cols, cost, amount = rows[order], cols[order], cost[order], amount[order]
    return pd.DataFrame({
        "demand_id": data.demand_ids.take(rows).to_numpy(),
        "site_id": data.site_ids.take(cols).to_numpy(),
        "cost": np.asarray(cost, dtype=np.float64),
        "amount": np.asarray(amount, dtype=np.float64),
    })


def result(
    *,
    model: str,
    data: CostData,
    selected: IntArray,
    objective: float,
    status: SolveStatus,
    bound: float,
    build_seconds: float,
    solve_seconds: float,
    solver: str,
    standard: float | None = None,
    stats: Mapping[str, int] | None = None,
    flows: Flows | None = None,
    backup_weight: float = math.nan,
) -> LocateResult:
    """Assemble a `LocateResult` from positions; the gap is recomputed from objective and bound.

    ``flows`` gives explicit assignments (see `allocation_frame`); ``backup_weight`` is passed
    through for the backup-coverage models.
    """
    sel = np.unique(selected.astype(np.int64))
    frame, cost = assignment_frame(data, sel)
    covered = math.nan
    if standard is not None:
        covered = float(data.weights[cost <= standard].sum())
    if status is SolveStatus.OPTIMAL:
        bound, gap = objective, 0.0
    elif status is SolveStatus.INFEASIBLE:
        bound, gap = math.nan, math.nan
    elif math.isfinite(bound):
        gap = abs(objective - bound) / max(abs(objective), 1e-9)
    else:
        gap = math.inf
    ids = sorted(data.site_ids.take(sel).tolist()) if len(sel) else []
    return LocateResult(
        model=model,
        selected=tuple(ids),
        objective=float(objective),
        status=status,
        best_bound=float(bound),
        gap=float(gap),
        build_seconds=float(build_seconds),
        solve_seconds=float(solve_seconds),
        solver=solver,
        assignment=frame,
        covered_weight=covered,
        total_weight=float(data.weights.sum()),
        stats=dict(stats or {}),
        allocation=(allocation_frame(data, sel, standard, flows)
                    if status is not SolveStatus.INFEASIBLE else _empty_allocation()),
        backup_weight=float(backup_weight),
    )


def _empty_allocation() -> pd.DataFrame:
    return pd.DataFrame({"demand_id": pd.Series(dtype=object), "site_id": pd.Series(dtype=object),
                         "cost": pd.Series(dtype=float), "amount": pd.Series(dtype=float)})
