r"""Capacitated location: capacitated set covering (CLSCP-SO) and capacitated p-median.

Notation: demand points :math:`i` with demand :math:`a_i` (the weights), allowed sites
:math:`j` with capacity :math:`C_j`, costs :math:`c_{ij}`, required sites :math:`R`;
:math:`z_{ij}` is the share of :math:`i`'s demand served by :math:`j` (``single_source``:
:math:`z_{ij} \in \{0, 1\}`, each point served by one site; otherwise split, :math:`0 \le z_{ij}
\le 1`). :math:`P_i` is the set of sites :math:`i` may be assigned to: the sites within the
standard :math:`S` (CLSCP), every reachable site (p-median), or the :math:`k_i` nearest
(k-nearest p-median).

Capacitated LSCP, system optimal (Current & Storbeck 1988; ``spopt.locate.LSCP`` with
capacities)::

    min  sum_j y_j                                                    (1)
    s.t. sum_{j in P_i} z_ij = 1                   for all i          (2)
         sum_i a_i z_ij <= C_j y_j                 for all j          (3)
         z_ij <= y_j                               for all i, j       (4)
         y_j = 1 for j in R;  y_j in {0, 1}                           (5)

Capacitated p-median (``spopt.locate.PMedian`` with capacities)::

    min  sum_i sum_{j in P_i} a_i c_ij z_ij + sum_i a_i D_i g_i       (6)
    s.t. sum_{j in P_i} z_ij + g_i = 1             for all i          (7)
         (3), (4), (5)
         sum_j y_j = p                                                (8)
         sum_i a_i z_ij = C_j                      for j in R, when fill_required   (9)

Without a sparse variant :math:`P_i` holds every reachable site and :math:`g_i` is fixed at 0.
The k-nearest variant (after ``spopt.locate.KNearestPMedian``) keeps only the :math:`k_i`
nearest sites and lets :math:`g_i` stand for "served farther away", charged
:math:`D_i = c_i^{(k_i+1)}`, the cost of the next nearest site, a lower bound on any such
service. The sparse model is therefore a relaxation; when its optimum has every :math:`g_i = 0`
it is feasible for the full model at the same cost, hence optimal. Otherwise :math:`k_i` is
doubled for every point with :math:`g_i > 0` and the model solved again. Exactness rests on
that check alone.

Statuses come from the MIP layer (`optimizer.solvers.mip`): a time-limited incumbent is
``feasible``, never ``optimal``; a model with no solution is ``infeasible``.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp

from optimizer.errors import DataError, SolverError
from optimizer.locate._common import check_count, check_standard, remaining_time
from optimizer.locate._kernel import Inputs, begin
from optimizer.locate.costs import LONG_COLUMNS, CostData, CostInput
from optimizer.locate.result import LocateResult
from optimizer.solvers.mip import MipModel, MipOutcome, solve_mip
from optimizer.solvers.status import SolveStatus

__all__ = ["capacitated_lscp", "capacitated_p_median"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
Capacity = npt.ArrayLike | pd.Series


def _capacity(capacity: Capacity, inputs: Inputs, n_input_sites: int | None) -> FloatArray:
    """Capacities aligned with the allowed sites (a Series by site id, or one per input site)."""
    ids = inputs.data.site_ids
    if isinstance(capacity, pd.Series):
        missing = ids.difference(capacity.index)
        if len(missing):
            raise DataError(
                f"capacity: no capacity for sites {missing.tolist()[:5]}; "
                "index the Series by site id and give every allowed site a capacity"
            )
        cap = capacity.reindex(ids).to_numpy(dtype=np.float64)
    else:
        cap = np.asarray(capacity, dtype=np.float64).ravel()
        if len(cap) != len(ids):
            raise DataError(
                f"capacity: {len(cap)} values for {len(ids)} allowed sites "
                f"({n_input_sites} given); give one capacity per site in site order, or a "
                "Series indexed by site id"
            )
    bad = ~np.isfinite(cap) | (cap < 0)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"capacity: site {ids[k]!r} has capacity {cap[k]!r}; capacities must be finite, >= 0"
        )
    return cap


def capacitated_lscp(
    costs: CostInput,
    weights: npt.ArrayLike | pd.Series | None,
    *,
    standard: float,
    capacity: Capacity,
    single_source: bool = False,
    required: Iterable[Hashable] = (),
    forbidden: Iterable[Hashable] = (),
    demand_ids: Sequence[Hashable] | None = None,
    site_ids: Sequence[Hashable] | None = None,
    columns: tuple[str, str, str] = LONG_COLUMNS,
    solver: str = "highs",
    time_limit: float | None = None,
    mip_gap: float = 0.0,
    threads: int | None = None,
) -> LocateResult:
    """Fewest sites that serve all demand within ``standard`` without exceeding capacities.

    Model (1)-(5) of the module docstring.

    Parameters
    ----------
    costs, weights
        Costs and demand quantities ``a_i`` (None = 1 each), as in `optimizer.locate.lscp`.
    standard : float
        A point may be served by a site with cost ``<= standard``.
    capacity : array_like or pandas.Series
        Capacity ``C_j`` per allowed site (site order, or a Series by site id).
    single_source : bool
        Serve each point from one site (binary assignment) instead of splitting its demand.
    required, forbidden, demand_ids, site_ids, columns, solver, time_limit, mip_gap, threads
        As in `optimizer.locate.lscp`.

    Returns
    -------
    LocateResult
        ``objective`` = number of open sites; ``allocation`` holds the shares ``z_ij``.
        Status ``infeasible`` when no set of sites can serve all demand.
    """
    s = check_standard(standard)
    inputs = begin(costs, weights, required=required, forbidden=forbidden,
                   demand_ids=demand_ids, site_ids=site_ids, columns=columns, solver=solver,
                   time_limit=time_limit, mip_gap=mip_gap, threads=threads)
    cap = _capacity(capacity, inputs, None)
    rows, cols, _ = inputs.data.pairs_to(np.arange(inputs.data.m), s)
    if len(np.unique(rows)) < inputs.data.n:
        return inputs.infeasible("capacitated_lscp", standard=s)
    model = _model(inputs, cap, rows, cols, np.zeros(len(rows)), site_cost=1.0, p=None,
                   single_source=single_source, placeholder=None, fill_required=False)
    out = solve_mip(model, inputs.options)
    return _finish("capacitated_lscp", inputs, out, rows, cols, standard=s)


def capacitated_p_median(
    costs: CostInput,
    weights: npt.ArrayLike | pd.Series | None,
    *,
    p: int,
    capacity: Capacity,
    single_source: bool = False,
    k_nearest: int | None = None,
    fill_required: bool = False,
    required: Iterable[Hashable] = (),
    forbidden: Iterable[Hashable] = (),
    demand_ids: Sequence[Hashable] | None = None,
    site_ids: Sequence[Hashable] | None = None,
    columns: tuple[str, str, str] = LONG_COLUMNS,
    solver: str = "highs",
    time_limit: float | None = None,
    mip_gap: float = 0.0,
    threads: int | None = None,
) -> LocateResult:
    """Open exactly ``p`` sites minimising weighted cost, each site serving at most its capacity.

    Model (6)-(9) of the module docstring.

    Parameters
    ----------
    costs, weights
        Costs and demand quantities ``a_i`` (None = 1 each), as in `optimizer.locate.p_median`.
    p : int
        Number of sites to open, required sites included.
    capacity : array_like or pandas.Series
        Capacity ``C_j`` per allowed site (site order, or a Series by site id).
    single_source : bool
        Serve each point from one site instead of splitting its demand.
    k_nearest : int, optional
        Start from each point's ``k`` nearest sites and grow on demand (exact; see above);
        None uses every reachable pair.
    fill_required : bool
        Required sites serve exactly their capacity (spopt's ``fulfill_predefined_fac``).
    required, forbidden, demand_ids, site_ids, columns, solver, time_limit, mip_gap, threads
        As in `optimizer.locate.p_median`.

    Returns
    -------
    LocateResult
        ``objective`` = weighted total cost; ``mean_cost`` = objective / total demand;
        ``stats["rounds"]`` = models solved. Status ``infeasible`` when no ``p`` sites can serve
        all demand within capacity.
    """
    p = check_count(p)
    inputs = begin(costs, weights, required=required, forbidden=forbidden,
                   demand_ids=demand_ids, site_ids=site_ids, columns=columns, solver=solver,
                   time_limit=time_limit, mip_gap=mip_gap, threads=threads)
    data = inputs.data
    cap = _capacity(capacity, inputs, None)
    reach = data.reach_counts()
    if len(inputs.required) > p or p > data.m or (data.n and (reach == 0).any()):
        return inputs.infeasible("capacitated_p_median")
    if k_nearest is not None and (isinstance(k_nearest, bool) or int(k_nearest) < 1):
        raise DataError(f"k_nearest: got {k_nearest!r}; give a whole number >= 1, or None")
    k = reach.copy() if k_nearest is None else np.minimum(reach, int(k_nearest))
    spent, rounds = 0.0, 0
    while True:
        rounds += 1
        rows, cols, cost, placeholder = _nearest_pairs(data, k, reach)
        model = _model(inputs, cap, rows, cols, cost, site_cost=0.0, p=p,
                       single_source=single_source, placeholder=placeholder,
                       fill_required=fill_required)
        out = solve_mip(model, remaining_time(inputs.options, spent))
        spent += out.seconds
        if out.x is None or out.status is not SolveStatus.OPTIMAL:
            break
        short = out.x[data.m + len(rows):] > 1e-9
        if not short.any():
            break
        # a point served "farther away" in the relaxation: widen its candidate list and re-solve
        k = np.where(short, np.minimum(reach, 2 * k), k)
    return _finish("capacitated_p_median", inputs, out, rows, cols, spent=spent,
                   stats={"rounds": rounds, "pairs": len(rows)},
                   relaxed=bool(out.x is not None and (out.x[data.m + len(rows):] > 1e-9).any()))


def _nearest_pairs(
    data: CostData, k: IntArray, reach: IntArray
) -> tuple[IntArray, IntArray, FloatArray, FloatArray]:
    """Each point's ``k_i`` nearest pairs, and the cost of its next site (0 when none is left)."""
    kmax = int(k.max()) if len(k) else 0
    pos, cost = data.k_nearest(np.arange(data.n, dtype=np.int64), kmax + 1)
    take = np.arange(kmax + 1)[None, :] < k[:, None]
    rows = np.repeat(np.arange(data.n), take.sum(axis=1)).astype(np.int64)
    nxt = np.where(k < reach, cost[np.arange(data.n), np.minimum(k, kmax)], np.nan)
    return rows, pos[take], cost[take], nxt


def _model(
    inputs: Inputs,
    cap: FloatArray,
    rows: IntArray,
    cols: IntArray,
    cost: FloatArray,
    *,
    site_cost: float,
    p: int | None,
    single_source: bool,
    placeholder: FloatArray | None,
    fill_required: bool,
) -> MipModel:
    """Columns y (sites), z (pairs), g (points; 0 without placeholder); rows (2/7), (3), (4)."""
    data = inputs.data
    n, m, q = data.n, data.m, len(rows)
    a = data.weights
    pair = np.arange(q)
    ones = np.ones(q)
    assign = sp.csr_matrix((np.concatenate([ones, np.ones(n)]),
                            (np.concatenate([rows, np.arange(n)]),
                             np.concatenate([m + pair, m + q + np.arange(n)]))),
                           shape=(n, m + q + n))  # (2)/(7)
    load = sp.csr_matrix((np.concatenate([a[rows], -cap]),
                          (np.concatenate([cols, np.arange(m)]),
                           np.concatenate([m + pair, np.arange(m)]))),
                         shape=(m, m + q + n))  # (3)
    link = sp.csr_matrix((np.concatenate([ones, -ones]),
                          (np.concatenate([pair, pair]), np.concatenate([m + pair, cols]))),
                         shape=(q, m + q + n))  # (4)
    blocks = [assign, load, link]
    lower = [np.ones(n), np.full(m, -np.inf), np.full(q, -np.inf)]
    upper = [np.ones(n), np.zeros(m), np.zeros(q)]
    if fill_required and len(inputs.required):  # (9): load >= C_j at required sites
        lower[1][inputs.required] = 0.0
    if p is not None:  # (8)
        count = sp.csr_matrix((np.ones(m), (np.zeros(m), np.arange(m))), shape=(1, m + q + n))
        blocks.append(count)
        lower.append(np.array([float(p)]))
        upper.append(np.array([float(p)]))
    g_upper = np.zeros(n) if placeholder is None else np.where(np.isnan(placeholder), 0.0, 1.0)
    g_cost = np.zeros(n) if placeholder is None else a * np.nan_to_num(placeholder)
    col_lower = np.zeros(m + q + n)
    col_lower[inputs.required] = 1.0
    integer = np.zeros(m + q + n, dtype=bool)
    integer[:m] = True
    if single_source:
        integer[m:] = True
    c = np.concatenate([np.full(m, site_cost), a[rows] * cost, g_cost])
    return MipModel(
        sense="min",
        c=c,
        a_matrix=sp.vstack(blocks, format="csr"),
        row_lower=np.concatenate(lower),
        row_upper=np.concatenate(upper),
        col_lower=col_lower,
        col_upper=np.concatenate([np.ones(m + q), g_upper]),
        integer=integer,
        # split shares make a weighted cost fractional even on integral data
        integral_objective=site_cost > 0 or (single_source and bool(np.all(c == np.round(c)))),
    )


def _finish(
    model: str,
    inputs: Inputs,
    out: MipOutcome,
    rows: IntArray,
    cols: IntArray,
    *,
    standard: float | None = None,
    spent: float | None = None,
    stats: dict[str, int] | None = None,
    relaxed: bool = False,
) -> LocateResult:
    seconds = out.seconds if spent is None else spent
    if out.status is SolveStatus.INFEASIBLE:
        return inputs.infeasible(model, standard=standard, stats=stats, solve_seconds=seconds)
    if out.x is None:
        raise SolverError(
            f"{model}: {inputs.options.solver} returned no solution ({out.raw_status}); "
            "raise time_limit"
        )
    m = inputs.data.m
    selected = np.flatnonzero(out.x[:m] > 0.5).astype(np.int64)
    share = out.x[m : m + len(rows)]
    status, bound = out.status, out.bound
    objective = float(out.objective)
    if relaxed:
        # a limit stopped the growth while some point was still only charged its lower bound:
        # that is no assignment of the full model, so there is no solution to report
        raise SolverError(
            f"{model}: stopped before every point was assigned within its nearest sites "
            f"({out.raw_status}); raise time_limit or k_nearest"
        )
    if model == "capacitated_p_median":
        objective = float(inputs.data.weights[rows] @ (share * _pair_cost(inputs.data, rows, cols)))
    return inputs.finish(model, selected, objective, status, bound, solve_seconds=seconds,
                         standard=standard, stats=stats, flows=(rows, cols, share))


def _pair_cost(data: CostData, rows: IntArray, cols: IntArray) -> FloatArray:
    if data.dense is not None:
        return data.dense[rows, cols]
    r, c, cost = data.pairs_to(np.arange(data.m))
    lookup = pd.Series(cost, index=pd.MultiIndex.from_arrays([r, c]))
    return np.asarray(lookup.reindex(pd.MultiIndex.from_arrays([rows, cols])), dtype=np.float64)

