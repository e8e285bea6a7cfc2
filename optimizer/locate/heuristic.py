"""p-median upper bounds: greedy add, then vertex substitution (Teitz & Bart 1968).

The interchange is Whitaker's (1983) fast form, vectorised: with each point's cheapest and
second cheapest open cost :math:`d^1_i, d^2_i` and its nearest open site :math:`a_i`, swapping
site :math:`r` out and :math:`j` in changes the cost by

    sum_i w_i min(0, c_ij - d1_i)  +  sum_{i: a_i = r} w_i (min(d2_i, c_ij) - min(d1_i, c_ij))

so one pass over the ``(n, m)`` matrix prices every swap; the best improving swap is made until
none improves (a local optimum) or the time budget is spent. Only a heuristic: it gives the MIP
start and an upper bound, never a proof.
"""

from __future__ import annotations

import time

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

__all__ = ["finite_costs", "greedy_add", "substitute"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def finite_costs(costs: FloatArray) -> FloatArray:
    """``costs`` with ``inf`` replaced by a cost larger than any finite sum (kept comparable)."""
    finite = costs[np.isfinite(costs)]
    big = (float(finite.max()) + 1.0) * (costs.shape[0] + 1) if finite.size else 1.0
    return np.where(np.isfinite(costs), costs, big)


def greedy_add(costs: FloatArray, weights: FloatArray, required: IntArray, p: int) -> IntArray:
    """Open ``p`` sites one by one, each time the one saving the most weighted cost.

    ``costs`` must be finite (see `finite_costs`).
    """
    n, m = costs.shape
    open_ = [int(j) for j in required]
    big = float(costs.max(initial=0.0)) * 2.0 + 1.0
    cur = costs[:, open_].min(axis=1) if open_ else np.full(n, big)
    while len(open_) < min(p, m):
        gain = weights @ np.maximum(cur[:, None] - costs, 0.0)
        gain[open_] = -1.0
        j = int(np.argmax(gain))
        open_.append(j)
        cur = np.minimum(cur, costs[:, j])
    return np.asarray(sorted(open_), dtype=np.int64)


def substitute(
    costs: FloatArray,
    weights: FloatArray,
    selected: IntArray,
    required: IntArray,
    seconds: float,
) -> IntArray:
    """Best-improvement vertex substitution from ``selected``, within ``seconds``.

    ``costs`` must be finite. Required sites never leave. Returns the sorted open sites.
    """
    n, m = costs.shape
    sel = np.asarray(sorted(int(j) for j in selected), dtype=np.int64)
    p = len(sel)
    if p == 0 or p >= m or n == 0:
        return sel
    deadline = time.perf_counter() + seconds
    fixed = np.isin(sel, required)
    tol = 1e-12 * max(float(weights @ costs.min(axis=1)), 1.0)
    rows = np.arange(n)
    while time.perf_counter() < deadline:
        sub = costs[:, sel]
        if p > 1:
            two = np.argpartition(sub, 1, axis=1)[:, :2]
            c2 = sub[rows[:, None], two]
            flip = c2[:, 1] < c2[:, 0]
            nearest = np.where(flip, two[:, 1], two[:, 0])
            d1 = np.minimum(c2[:, 0], c2[:, 1])
            d2 = np.maximum(c2[:, 0], c2[:, 1])
        else:
            nearest = np.zeros(n, dtype=np.int64)
            d1 = sub[:, 0]
            d2 = np.full(n, float(costs.max()) * 2.0 + 1.0)
        gain = weights @ np.minimum(costs - d1[:, None], 0.0)  # adding j (<= 0 is better)
        loss_terms = weights[:, None] * (
            np.minimum(d2[:, None], costs) - np.minimum(d1[:, None], costs)
        )
        owner = sp.csr_matrix((np.ones(n), (nearest, rows)), shape=(p, n))
        delta = np.asarray(owner @ loss_terms) + gain[None, :]  # (out position, in site)
        delta[:, sel] = np.inf
        delta[fixed, :] = np.inf
        r, j = np.unravel_index(int(np.argmin(delta)), delta.shape)
        if not delta[r, j] < -tol:
            break
        sel[r] = j
        order = np.argsort(sel)
        sel, fixed = sel[order], fixed[order]
    return sel
