r"""Lagrangian lower bound and reduced-cost fixing for the p-median (Beasley 1993).

Relaxing the assignment rows :math:`\sum_j x_{ij} = 1` of the p-median with multipliers
:math:`\lambda_i` leaves, for every site set :math:`y` (``sum y = p``, required sites open)::

    cost(y) >= L(lambda, y) = sum_i lambda_i + sum_j rho_j y_j,
    rho_j = sum_i min(0, w_i c_ij - lambda_i)                                   (L1)

(for fixed ``y`` the cost is :math:`\min_x \sum_{ij} w_i c_{ij} x_{ij}` over
:math:`\sum_j x_{ij} = 1, 0 \le x_{ij} \le y_j`; adding :math:`\sum_i \lambda_i (1 - \sum_j
x_{ij}) = 0` and dropping the assignment rows can only lower it). Minimising (L1) over ``y``
opens the required sites and the ``p - |R|`` free sites of smallest :math:`\rho_j`: that is the
Lagrangian bound :math:`L(\lambda)`, a lower bound on every solution whatever
:math:`\lambda` is. Its maximum over :math:`\lambda` is the LP bound; it is approached by
subgradient steps (Polyak's step towards an upper bound, halved when the bound stalls). Only a
client's nearest sites enter :math:`\rho`: :math:`\lambda_i` is kept at most the weighted cost
of the last site of its list, so every site beyond contributes 0 and (L1) stays exact.

**Reduced-cost fixing.** Forcing a free site :math:`j` outside the Lagrangian solution open
costs at least :math:`L(\lambda) + \rho_j - \rho_{(k)}` (:math:`\rho_{(k)}` the largest
:math:`\rho` of the chosen free sites, which ``j`` replaces); forcing a chosen free site closed
costs at least :math:`L(\lambda) - \rho_j + \rho_{(k+1)}`. When that exceeds the cost
``UB`` of a known solution, no solution better than it opens (closes) the site, so the
optimum is ``min(UB, optimum with the site closed (open))``: the site may be removed (made
required) for the rest of the solve. The fixing is exact, not a heuristic: it rests only on
(L1) and on ``UB`` being the true cost of a feasible solution.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["MedianLagrangian", "fix_sites", "median_lagrangian"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_STALL = 20  # iterations without a better bound before the step is halved
_MIN_STEP = 1e-5  # the subgradient search stops when the step factor falls below this
_FIX_MARGIN = 1e-9  # relative: a bound must exceed UB by this much to fix (float noise)
_GAP_FLOOR = 1.0  # Polyak step towards at least twice the bound: long first steps, then halved


@dataclass(frozen=True)
class MedianLagrangian:
    r"""The best Lagrangian bound found and its multipliers.

    Attributes
    ----------
    bound : float
        :math:`L(\lambda)` at the best multipliers: a lower bound on every solution.
    lam : numpy.ndarray
        The multipliers, one per client row.
    rho : numpy.ndarray
        :math:`\rho_j` per site at those multipliers.
    chosen : numpy.ndarray
        Sites of the Lagrangian solution (required first, then the smallest ``rho``).
    iterations : int
        Subgradient iterations run.
    """

    bound: float
    lam: FloatArray
    rho: FloatArray
    chosen: IntArray
    iterations: int


def _solve_inner(
    lam: FloatArray,
    pos: IntArray,
    wd: FloatArray,
    m: int,
    req: IntArray,
    free_k: int,
) -> tuple[float, FloatArray, IntArray, FloatArray]:
    """``L(lambda)``, ``rho``, the chosen sites and the reduced weighted costs per pair."""
    red = np.minimum(0.0, wd - lam[:, None])
    valid = pos >= 0
    rho = np.bincount(pos[valid], weights=red[valid], minlength=m).astype(np.float64)
    score = rho.copy()
    score[req] = -np.inf
    k = len(req) + free_k
    chosen = np.argpartition(score, k - 1)[:k] if 0 < k < m else np.arange(m)[:k]
    value = float(lam.sum() + rho[chosen].sum())
    return value, rho, np.asarray(chosen, dtype=np.int64), red


def median_lagrangian(
    pos: IntArray,
    wcost: FloatArray,
    m: int,
    req: IntArray,
    p: int,
    upper: float,
    seconds: float,
    max_iter: int = 5000,
    lam0: FloatArray | None = None,
) -> MedianLagrangian:
    """Maximise the Lagrangian bound (L1) by subgradient steps.

    Parameters
    ----------
    pos : numpy.ndarray
        ``(rows, K)`` each client's nearest sites sorted by cost, ``-1`` padded (as
        `optimizer.locate.costs.CostData.k_nearest` returns them).
    wcost : numpy.ndarray
        ``(rows, K)`` weighted costs :math:`w_i c_{ij}` of those pairs, ``inf`` padded.
    m : int
        Number of sites.
    req : numpy.ndarray
        Required sites.
    p : int
        Sites to open (``len(req) <= p <= m``).
    upper : float
        Cost of a known solution (Polyak's step target); ``inf`` for none.
    seconds : float
        Time budget.
    max_iter : int
        Iteration cap.
    lam0 : numpy.ndarray, optional
        Starting multipliers (default: each client's weighted cost to its second site).

    Returns
    -------
    MedianLagrangian
        The best bound and its multipliers; every bound returned is valid.
    """
    deadline = time.perf_counter() + seconds
    valid = pos >= 0
    n_valid = valid.sum(axis=1)
    last = np.maximum(n_valid - 1, 0)
    rows = np.arange(len(pos))
    cap = np.where(n_valid > 0, wcost[rows, last], 0.0)  # beyond the list: contributes 0
    low = np.where(n_valid > 0, wcost[:, 0], 0.0)
    free_k = p - len(req)
    lam = wcost[rows, np.minimum(1, last)].copy() if lam0 is None else lam0.copy()
    lam = np.clip(lam, low, cap)
    best_val, best_lam, stall, step = -math.inf, lam, 0, 1.0
    best_rho = np.zeros(m)
    best_chosen = np.zeros(0, dtype=np.int64)
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007  (the count is reported)
        val, rho, chosen, red = _solve_inner(lam, pos, wcost, m, req, free_k)
        if val > best_val:
            best_val, best_lam, best_rho, best_chosen, stall = val, lam, rho, chosen, 0
        else:
            stall += 1
            if stall >= _STALL:
                step, stall = 0.5 * step, 0
        if step < _MIN_STEP or time.perf_counter() > deadline:
            break
        opened = np.zeros(m + 1, dtype=bool)  # the last entry stands for the -1 padding
        opened[chosen] = True
        served = ((red < 0.0) & opened[pos]).sum(axis=1)
        g = 1.0 - served
        gg = float(g @ g)
        if gg == 0.0:
            break  # the Lagrangian solution assigns every client once: the bound is the LP's
        target = upper if math.isfinite(upper) else val + 0.05 * abs(val) + 1.0
        gap = max(target - val, _GAP_FLOOR * abs(val), 1e-9)
        lam = np.clip(lam + step * gap / gg * g, low, cap)
    return MedianLagrangian(best_val, best_lam, best_rho, np.sort(best_chosen), it)


def fix_sites(
    lag: MedianLagrangian, req: IntArray, p: int, upper: float
) -> tuple[BoolArray, BoolArray]:
    """Sites closed, and sites open, in every solution cheaper than ``upper`` (module docstring).

    Parameters
    ----------
    lag : MedianLagrangian
        A Lagrangian bound with its ``rho``.
    req : numpy.ndarray
        Required sites (never fixed either way here).
    p : int
        Sites to open.
    upper : float
        True cost of a feasible solution.

    Returns
    -------
    tuple of numpy.ndarray
        Boolean masks over the sites: ``closed`` and ``opened``.
    """
    rho = lag.rho
    m = len(rho)
    closed = np.zeros(m, dtype=bool)
    opened = np.zeros(m, dtype=bool)
    free = np.ones(m, dtype=bool)
    free[req] = False
    k = p - len(req)
    if not math.isfinite(upper) or not math.isfinite(lag.bound) or k <= 0 or k >= free.sum():
        return closed, opened
    idx = np.flatnonzero(free)
    order = idx[np.argsort(rho[idx], kind="stable")]
    inside, outside = order[:k], order[k:]
    kth, next_ = float(rho[inside[-1]]), float(rho[outside[0]])
    margin = _FIX_MARGIN * max(abs(upper), 1.0)
    closed[outside] = lag.bound + rho[outside] - kth > upper + margin
    opened[inside] = lag.bound - rho[inside] + next_ > upper + margin
    return closed, opened
