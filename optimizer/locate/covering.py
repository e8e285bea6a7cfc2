r"""Coverage models: the location set covering problem (LSCP) and maximal covering (MCLP).

Notation: demand points :math:`i` with weight :math:`w_i`; allowed candidate sites :math:`j`;
:math:`N_i = \{j : c_{ij} \le S\}` the sites within the service standard :math:`S` of
:math:`i`; :math:`R` the required sites.

LSCP (Toregas et al. 1971), the same problem as ``spopt.locate.LSCP``::

    min  sum_j y_j                                     (1)
    s.t. sum_{j in N_i} y_j >= 1        for all i      (2)
         y_j = 1                        for j in R     (3)
         y_j in {0, 1}                                 (4)

MCLP (Church & ReVelle 1974), the same problem and optimum as ``spopt.locate.MCLP``::

    max  sum_i w_i z_i                                 (5)
    s.t. z_i <= sum_{j in N_i} y_j      for all i      (6)
         sum_j y_j = p                                 (7)
         y_j = 1 for j in R;  y_j, z_i in {0, 1}       (8)

Both are solved after exact reductions (see `optimizer.locate.reduce`): points already covered
by a required site leave the model (MCLP: their weight becomes a constant), points with the same
covering set are one row with the summed weight, dominated sites are dropped; for the LSCP,
sites that are a point's only cover are fixed open, repeatedly. The MCLP is solved with
``sum_j y_j <= p`` in place of (7), which has the same optimum once dominated sites are gone (an
extra site never lowers coverage); the chosen set is then padded to exactly ``p`` sites. A greedy
solution is the MIP start; when it covers all coverable weight it is optimal and no solver runs.
Otherwise the trivial bound (all coverable weight) is tested exactly before the MIP: it is met
iff the coverable rows have a set cover of at most ``p`` sites, a small LSCP feasibility problem
after the LSCP reductions (a cover found this way is optimal, with no MCLP MIP at all).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp

from optimizer.errors import SolverError
from optimizer.locate._common import check_count, check_standard, greedy_cover, remaining_time
from optimizer.locate._kernel import begin
from optimizer.locate.benders import (
    AUTO_MIN_NNZ,
    AUTO_MIN_ROWS,
    mclp_benders,
    set_cover_rows,
    use_benders,
)
from optimizer.locate.costs import LONG_COLUMNS, CostInput
from optimizer.locate.cover_models import covered_rows, mclp_model
from optimizer.locate.reduce import dominated_columns, dominated_rows, merge_rows
from optimizer.locate.result import LocateResult
from optimizer.solvers.mip import MipModel, SolverOptions, solve_mip
from optimizer.solvers.status import SolveStatus

__all__ = ["lscp", "mclp"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def reduce_set_cover(
    cov: sp.csr_matrix, fixed: IntArray
) -> tuple[sp.csr_matrix, IntArray, IntArray, dict[str, int]]:
    """Exact LSCP reductions.

    Parameters
    ----------
    cov : scipy.sparse.csr_matrix
        0/1 coverage matrix (every row has at least one entry).
    fixed : numpy.ndarray
        Columns already open (required sites).

    Returns
    -------
    scipy.sparse.csr_matrix
        The remaining rows x remaining columns.
    numpy.ndarray
        Positions of the remaining columns.
    numpy.ndarray
        All fixed-open columns (``fixed`` plus the essential ones found).
    dict
        Reduction counts.
    """
    stats = {"rows": cov.shape[0], "cols": cov.shape[1]}
    fixed_set = {int(j) for j in fixed}
    a = cov[~covered_rows(cov, fixed)]
    a, _, _ = merge_rows(a, np.ones(a.shape[0]))
    stats["rows_merged"] = a.shape[0]
    alive = np.setdiff1d(np.arange(cov.shape[1]), np.asarray(sorted(fixed_set), dtype=np.int64))
    a = a[:, alive].tocsr()
    n_dominated = n_essential = n_row_dominated = 0
    for _ in range(20):
        changed = False
        if a.shape[0] == 0:
            break
        lengths = np.diff(a.indptr)
        single = np.unique(a.indices[a.indptr[:-1][lengths == 1]])
        if len(single):
            n_essential += len(single)
            fixed_set.update(int(j) for j in alive[single])
            rows_left = ~covered_rows(a, single)
            keep = np.ones(len(alive), dtype=bool)
            keep[single] = False
            a = a[rows_left][:, keep].tocsr()
            alive = alive[keep]
            changed = True
        if a.shape[0] == 0:
            break
        dom = dominated_columns(a)
        if dom.any():
            n_dominated += int(dom.sum())
            a = a[:, ~dom].tocsr()
            alive = alive[~dom]
            a, _, _ = merge_rows(a, np.ones(a.shape[0]))
            changed = True
        row_dom = dominated_rows(a)
        if row_dom.any():
            n_row_dominated += int(row_dom.sum())
            a = a[~row_dom].tocsr()
            changed = True
        if not changed:
            break
    if a.shape[0] == 0:
        alive = alive[:0]
        a = sp.csr_matrix((0, 0))
    stats.update(
        essential=n_essential,
        dominated=n_dominated,
        row_dominated=n_row_dominated,
        model_rows=a.shape[0],
        model_cols=a.shape[1],
        model_nnz=int(a.nnz),
    )
    return a, alive, np.asarray(sorted(fixed_set), dtype=np.int64), stats


def solve_set_cover(
    a: sp.csr_matrix,
    options: SolverOptions,
    *,
    max_sites: int | None = None,
) -> tuple[SolveStatus, IntArray, float, float, str]:
    """Minimum set cover of the rows of ``a`` (all rows need a cover).

    With ``max_sites`` the problem becomes a feasibility test (is there a cover with at most
    that many columns?): zero objective, the count bounded by ``max_sites``, so the solver may
    stop at the first cover it finds.

    Returns status, chosen column positions, MIP bound on the count, solver seconds and the
    solver's raw status.
    """
    n_row, n_col = a.shape
    if n_row == 0:
        return SolveStatus.OPTIMAL, np.zeros(0, dtype=np.int64), 0.0, 0.0, "empty"
    greedy = greedy_cover(a.tocsc(), np.ones(n_row), None)
    if max_sites is not None and len(greedy) <= max_sites:
        return SolveStatus.OPTIMAL, greedy, math.nan, 0.0, "greedy cover within the limit"
    start = np.zeros(n_col)
    start[greedy] = 1.0
    rows = a
    lower = np.ones(n_row)
    upper = np.full(n_row, np.inf)
    if max_sites is not None:
        rows = sp.vstack([a, sp.csr_matrix(np.ones((1, n_col)))]).tocsr()
        lower = np.append(lower, -np.inf)
        upper = np.append(upper, float(max_sites))
    model = MipModel(
        sense="min",
        c=np.ones(n_col) if max_sites is None else np.zeros(n_col),
        a_matrix=rows,
        row_lower=lower,
        row_upper=upper,
        col_lower=np.zeros(n_col),
        col_upper=np.ones(n_col),
        integer=np.ones(n_col, dtype=bool),
        start=start if max_sites is None else None,
        integral_objective=True,
    )
    out = solve_mip(model, options)
    if out.x is None:
        return out.status, np.zeros(0, dtype=np.int64), out.bound, out.seconds, out.raw_status
    chosen = np.flatnonzero(out.x > 0.5).astype(np.int64)
    if out.status is SolveStatus.FEASIBLE and len(greedy) < len(chosen):
        chosen = greedy
    return out.status, chosen, out.bound, out.seconds, out.raw_status


def lscp(
    costs: CostInput,
    weights: npt.ArrayLike | pd.Series | None = None,
    *,
    standard: float,
    required: Iterable[Hashable] = (),
    forbidden: Iterable[Hashable] = (),
    demand_ids: Sequence[Hashable] | None = None,
    site_ids: Sequence[Hashable] | None = None,
    columns: tuple[str, str, str] = LONG_COLUMNS,
    solver: str = "highs",
    time_limit: float | None = None,
    mip_gap: float = 0.0,
    threads: int | None = None,
    method: str = "auto",
) -> LocateResult:
    """Fewest sites so that every demand point is within ``standard`` of an open site.

    Parameters
    ----------
    costs : array_like, pandas.DataFrame or CostTable
        Dense ``(n_demand, n_site)`` costs (``inf`` = unreachable), a long table with
        ``columns`` (demand id, site id, cost; absent pairs are unreachable), or a `CostTable`
        from `optimizer.locate.geo.from_geodataframes`.
    weights : array_like or pandas.Series, optional
        Demand weights, only used to report covered weight (every point must be covered).
    standard : float
        Service standard: a point is covered by a site with cost ``<= standard``.
    required, forbidden : iterable of site ids
        Sites forced open, and sites kept closed.
    demand_ids, site_ids : sequence, optional
        Row and column ids (see `optimizer.locate.costs.prepare_costs`).
    columns : tuple of str
        Column names of a long table.
    solver : {"highs", "cbc"}
        MIP solver.
    time_limit : float, optional
        Solver time limit in seconds.
    mip_gap : float
        Relative gap at which the solver may stop (then the status is ``feasible``).
    threads : int, optional
        Solver threads.
    method : {"auto", "compact", "benders"}
        ``"compact"`` solves the reduced model in one MIP; ``"benders"`` adds its cover rows
        lazily (`optimizer.locate.benders`, HiGHS only); ``"auto"`` takes Benders for
        reduced matrices from `optimizer.locate.benders.AUTO_MIN_ROWS` rows on, with HiGHS
        (`mclp`: from `optimizer.locate.benders.AUTO_MIN_NNZ` nonzeros on).

    Returns
    -------
    LocateResult
        ``objective`` = number of open sites; status ``infeasible`` when some point has no
        allowed site within the standard.
    """
    s = check_standard(standard)
    inputs = begin(costs, weights, required=required, forbidden=forbidden,
                   demand_ids=demand_ids, site_ids=site_ids, columns=columns, solver=solver,
                   time_limit=time_limit, mip_gap=mip_gap, threads=threads)
    cov = inputs.data.coverage(s)
    uncoverable = int((np.diff(cov.indptr) == 0).sum())
    if uncoverable:
        return inputs.infeasible("lscp", standard=s, stats={"uncoverable": uncoverable})
    a, alive, fixed, stats = reduce_set_cover(cov, inputs.required)
    if use_benders(method, solver, a.shape[0], AUTO_MIN_ROWS):
        status, chosen, bound, seconds, _ = set_cover_rows(a, inputs.options)
        stats["benders"] = 1
    else:
        status, chosen, bound, seconds, _ = solve_set_cover(a, inputs.options)
    if status is SolveStatus.ERROR:
        raise SolverError(
            f"LSCP: {solver} stopped without a cover (time limit {time_limit} s?); raise time_limit"
        )
    selected = np.concatenate([fixed, alive[chosen]])
    objective = float(len(np.unique(selected)))
    return inputs.finish("lscp", selected, objective, status, len(fixed) + bound,
                         solve_seconds=seconds, standard=s, stats=stats)


def mclp(
    costs: CostInput,
    weights: npt.ArrayLike | pd.Series | None,
    *,
    standard: float,
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
    method: str = "auto",
) -> LocateResult:
    """Open exactly ``p`` sites covering the most demand weight within ``standard``.

    Parameters
    ----------
    costs : array_like, pandas.DataFrame or CostTable
        Dense costs, a long table or a `CostTable` (see `lscp`).
    weights : array_like or pandas.Series or None
        Demand weights (population); None = 1 each (or the `CostTable`'s weights).
    standard : float
        Service standard (cost threshold of coverage).
    p : int
        Number of sites to open, required sites included.
    required, forbidden, demand_ids, site_ids, columns, solver, time_limit, mip_gap, threads
        As in `lscp`.
    method : {"auto", "compact", "benders"}
        As in `lscp`: the MIP over the reduced matrix, or its Benders decomposition
        (`optimizer.locate.benders.mclp_benders`).

    Returns
    -------
    LocateResult
        ``objective`` = covered weight; status ``infeasible`` when ``p`` is below the number of
        required sites or above the number of allowed sites.
    """
    s = check_standard(standard)
    p = check_count(p)
    inputs = begin(costs, weights, required=required, forbidden=forbidden,
                   demand_ids=demand_ids, site_ids=site_ids, columns=columns, solver=solver,
                   time_limit=time_limit, mip_gap=mip_gap, threads=threads)
    data, req = inputs.data, inputs.required
    if len(req) > p or p > data.m:
        return inputs.infeasible("mclp", standard=s)
    cov = data.coverage(s)
    w = data.weights
    done = covered_rows(cov, req)
    constant = float(w[done].sum())
    live = ~done & (w > 0) & (np.diff(cov.indptr) > 0)
    a = cov[live]
    a, wr, _ = merge_rows(a, w[live])
    alive = np.setdiff1d(np.arange(data.m), req)
    a = a[:, alive].tocsr()
    stats = {"rows": data.n, "cols": data.m, "rows_merged": a.shape[0]}
    dom = dominated_columns(a) if a.shape[0] else np.ones(len(alive), dtype=bool)
    stats["dominated"] = int(dom.sum())
    a = a[:, ~dom].tocsr()
    alive = alive[~dom]
    q = p - len(req)
    greedy = greedy_cover(a.tocsc(), wr, q) if q > 0 and a.shape[0] else np.zeros(0, np.int64)
    benders = use_benders(method, solver, a.nnz, AUTO_MIN_NNZ)
    status, chosen, bound, seconds = _solve_reduced_mclp(a, wr, q, greedy, inputs.options, stats,
                                                     benders)
    selected = _pad(np.concatenate([req, alive[chosen]]), p, data.m)
    _, cost = data.nearest_open(selected)
    objective = float(w[cost <= s].sum())
    return inputs.finish("mclp", selected, objective, status, bound + constant,
                         solve_seconds=seconds, standard=s, stats=stats)


def _solve_reduced_mclp(
    a: sp.csr_matrix,
    wr: FloatArray,
    q: int,
    greedy: IntArray,
    options: SolverOptions,
    stats: dict[str, int],
    benders: bool = False,
) -> tuple[SolveStatus, IntArray, float, float]:
    """Best ``q`` columns of the reduced MCLP: status, columns, bound and solver seconds."""
    total_left = float(wr.sum())
    greedy_cov = float(wr[covered_rows(a, greedy)].sum()) if len(greedy) else 0.0
    seconds = 0.0
    if q > 0 and a.shape[0] and greedy_cov < total_left:
        # The trivial bound (all coverable weight) is met iff the rows have a set cover of at
        # most q sites: an exact LSCP test, cheap after its reductions, that spares the MIP.
        full_cover, seconds = _cover_within(a, q, options)
        stats["cover_test"] = 1 if full_cover is not None else 0
        if full_cover is not None:
            greedy, greedy_cov = full_cover, total_left
    if q == 0 or a.shape[0] == 0 or greedy_cov >= total_left:
        # Everything coverable is covered: the trivial bound is met.
        stats.update(model_rows=0, model_cols=0, model_nnz=0)
        return SolveStatus.OPTIMAL, greedy, total_left, seconds
    if benders:
        bo = mclp_benders(a, wr, q, greedy, remaining_time(options, seconds))
        stats.update(bo.stats, benders=1)
        return bo.status, bo.selected, bo.bound, seconds + bo.seconds
    model = mclp_model(a, wr, q, greedy)
    stats.update(
        model_rows=model.a_matrix.shape[0],
        model_cols=model.a_matrix.shape[1],
        model_nnz=int(model.a_matrix.nnz),
    )
    out = solve_mip(model, remaining_time(options, seconds))
    seconds += out.seconds
    if out.x is None:
        raise SolverError(
            f"MCLP: {options.solver} returned no solution ({out.raw_status}); raise time_limit"
        )
    chosen = np.flatnonzero(out.x[: a.shape[1]] > 0.5).astype(np.int64)
    if float(wr[covered_rows(a, chosen)].sum()) < greedy_cov:
        chosen = greedy  # a time-limited incumbent worse than the start: keep the start
    return out.status, chosen, out.bound, seconds


# The cover test is a shortcut: it gets at most this share of the time limit (and this many
# seconds without one) before the MCLP MIP takes over.
_COVER_TEST_SHARE = 0.25
_COVER_TEST_SECONDS = 10.0


def _cover_within(
    a: sp.csr_matrix, q: int, options: SolverOptions
) -> tuple[IntArray | None, float]:
    """Columns covering every row of ``a`` with at most ``q`` of them, or None if there are none.

    None also when the test was stopped by its time cap (then nothing is concluded). Returns the
    columns and the solver seconds spent.
    """
    if _disjoint_rows(a, q) > q:
        return None, 0.0  # more than q points with no site in common: no cover of q sites
    red, alive, fixed, _ = reduce_set_cover(a, np.zeros(0, dtype=np.int64))
    if len(fixed) > q:
        return None, 0.0
    cap = _COVER_TEST_SECONDS
    if options.time_limit is not None:
        cap = min(cap, _COVER_TEST_SHARE * options.time_limit)
    test = SolverOptions(options.solver, cap, 0.0, options.threads)
    status, chosen, _, seconds, _ = solve_set_cover(red, test, max_sites=q - len(fixed))
    if status is not SolveStatus.OPTIMAL:
        return None, seconds
    return np.unique(np.concatenate([fixed, alive[chosen]])).astype(np.int64), seconds


def _disjoint_rows(a: sp.csr_matrix, limit: int) -> int:
    """Size of a greedy set of rows sharing no column (stops once above ``limit``).

    Every cover needs a distinct column for each of these rows, so the count is a lower bound
    on the set-cover size.
    """
    used = np.zeros(a.shape[1], dtype=bool)
    count = 0
    indptr, indices = a.indptr, a.indices
    for i in np.argsort(np.diff(indptr), kind="stable"):
        cols = indices[indptr[i] : indptr[i + 1]]
        if not used[cols].any():
            used[cols] = True
            count += 1
            if count > limit:
                break
    return count


def _pad(selected: IntArray, p: int, m: int) -> IntArray:
    """Add sites in position order until exactly ``p`` are open (extra sites never hurt)."""
    sel = np.unique(selected)
    if len(sel) >= p:
        return sel
    free = np.setdiff1d(np.arange(m), sel)[: p - len(sel)]
    return np.sort(np.concatenate([sel, free]))
