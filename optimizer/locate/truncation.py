r"""Growing the truncated p-median radius formulation in place: new levels for chosen points.

See `optimizer.locate.median` for the formulation. Point ``i`` truncated at its ``k_i`` nearest
sites has a chain of levels ending in a column :math:`z_i^{L}` whose cost is
:math:`w_i (\mathrm{cap}_i - D_i^L)`, with the cap the cost of its ``(k_i + 1)``-th nearest site.
When ``k_i`` never splits a group of equally costly sites ("tie-complete"), the cap is the next
level's cost, so enlarging ``k_i`` only appends: new level columns (each costing the step to
the following level, the last one the step to the new cap) and one row per new level, (3):
``z^l - z^{l-1} + sum_{j in S^l} y_j >= 0``. No existing row, column or cost changes, so an LP
kept in the solver re-solves warm.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from optimizer.locate.costs import CostData

__all__ = ["Extension", "extend", "tie_complete"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def tie_complete(data: CostData, rows: IntArray, k: IntArray, reach: IntArray) -> IntArray:
    """``k`` raised so that no row's ``k`` nearest sites split a group of equal costs."""
    k = np.minimum(np.maximum(k, 1), reach)
    width = int(k.max(initial=1)) + 1
    while True:
        _, cost = data.k_nearest(rows, width)
        g = np.arange(len(rows))
        last = cost[g, k - 1]
        # how many of the fetched sites cost no more than the k-th: the tie group's end
        out: IntArray = np.minimum((cost <= last[:, None]).sum(axis=1), reach).astype(np.int64)
        if not ((out >= width) & (out < reach)).any() or width >= data.m:
            return out
        width = min(2 * width, data.m)


@dataclass(frozen=True)
class Extension:
    """New columns and rows that append levels to some points' chains.

    Attributes
    ----------
    col_cost, col_upper : numpy.ndarray
        Cost and upper bound of each new level column (lower bounds are 0).
    rows : scipy.sparse.csr_matrix
        The new rows over all columns (old and new); each has bounds ``[0, inf)``.
    last_col : numpy.ndarray
        Column of each extended point's new last level.
    """

    col_cost: FloatArray
    col_upper: FloatArray
    rows: sp.csr_matrix
    last_col: IntArray


def extend(
    data: CostData,
    rows: IntArray,
    k_old: IntArray,
    k_new: IntArray,
    last_col: IntArray,
    n_col: int,
) -> Extension:
    """Levels for ranks ``k_old..k_new-1`` of each row (both tie-complete, ``k_new > k_old``).

    ``last_col`` holds each row's current last level column; new columns are numbered from
    ``n_col`` on.
    """
    w = data.weights[rows]
    pos, cost = data.k_nearest(rows, int(k_new.max()) + 1)
    g_all, width = cost.shape
    ranks = np.arange(width - 1)[None, :]
    c0 = cost[:, :-1]
    valid = (ranks >= k_old[:, None]) & (ranks < k_new[:, None])
    starts = valid & ((ranks == k_old[:, None]) | (c0 != np.roll(c0, 1, axis=1)))
    level = np.cumsum(starts, axis=1) - 1  # new level of each entry (valid entries only)
    n_levels = starts.sum(axis=1)
    first = n_col + np.concatenate([[0], np.cumsum(n_levels)[:-1]])  # column of level 0
    # each level closes at its last entry: the next entry is not valid or starts a new level
    nxt = np.concatenate([(starts | ~valid)[:, 1:], np.ones((g_all, 1), dtype=bool)], axis=1)
    closing = valid & nxt
    gi, ri = np.nonzero(closing)
    step = cost[gi, ri + 1] - cost[gi, ri]
    n_new = int(n_levels.sum())
    col_of = first[gi] + level[gi, ri]
    col_cost = np.zeros(n_new)
    col_upper = np.full(n_new, np.inf)
    finite = np.isfinite(step)
    col_cost[col_of[finite] - n_col] = w[gi[finite]] * step[finite]
    col_upper[col_of[~finite] - n_col] = 0.0  # the chain now holds every reachable site
    # rows: one per new level, numbered like the new columns
    ve_g, ve_r = np.nonzero(valid)
    y_row = first[ve_g] + level[ve_g, ve_r] - n_col
    y_col = pos[ve_g, ve_r]
    lv_g, lv_r = np.nonzero(starts)
    own = first[lv_g] + level[lv_g, lv_r]
    prev = np.where(level[lv_g, lv_r] == 0, last_col[lv_g], own - 1)
    r_idx = np.concatenate([y_row, own - n_col, own - n_col])
    c_idx = np.concatenate([y_col, own, prev])
    vals = np.concatenate([np.ones(len(y_row)), np.ones(len(own)), -np.ones(len(own))])
    mat = sp.csr_matrix((vals, (r_idx, c_idx)), shape=(n_new, n_col + n_new))
    return Extension(col_cost, col_upper, mat, first + n_levels - 1)
