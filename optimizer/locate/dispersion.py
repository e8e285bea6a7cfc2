r"""The p-dispersion problem: open ``p`` sites as far from each other as possible.

Notation: candidate sites :math:`j, k` with inter-site costs :math:`d_{jk}` (a square matrix,
symmetrised as :math:`\min(d_{jk}, d_{kj})`), required sites :math:`R`, :math:`M` the largest
finite cost. The problem of ``spopt.locate.PDispersion`` (Kuby 1987)::

    max  D                                                              (1)
    s.t. D <= d_jk + M (2 - y_j - y_k)          for all j < k          (2)
         sum_j y_j = p                                                  (3)
         y_j = 1 for j in R;  y_j in {0, 1};  D >= 0                    (4)

The objective is the smallest cost between two open sites. Unreachable pairs (``inf``) are
treated as cost :math:`M`: never the binding pair. Solved as one MIP through
`optimizer.solvers.mip`; the statuses are the MIP layer's.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence

import numpy as np
import scipy.sparse as sp

from optimizer.errors import DataError, SolverError
from optimizer.locate._common import check_count
from optimizer.locate._kernel import begin
from optimizer.locate.costs import LONG_COLUMNS, CostInput
from optimizer.locate.result import LocateResult
from optimizer.solvers.mip import MipModel, solve_mip
from optimizer.solvers.status import SolveStatus

__all__ = ["p_dispersion"]


def p_dispersion(
    costs: CostInput,
    *,
    p: int,
    required: Iterable[Hashable] = (),
    forbidden: Iterable[Hashable] = (),
    site_ids: Sequence[Hashable] | None = None,
    columns: tuple[str, str, str] = LONG_COLUMNS,
    solver: str = "highs",
    time_limit: float | None = None,
    mip_gap: float = 0.0,
    threads: int | None = None,
) -> LocateResult:
    """Open ``p`` sites maximising the smallest cost between two of them.

    Parameters
    ----------
    costs : array_like or pandas.DataFrame
        Square site-by-site costs (dense, ``inf`` = unreachable), or a long table whose demand
        and site columns both hold site ids. There are no demand points, hence no weights.
    p : int
        Number of sites to open (at least 2 for a finite objective), required sites included.
    required, forbidden, site_ids, columns, solver, time_limit, mip_gap, threads
        As in `optimizer.locate.p_median`; ``site_ids`` name both rows and columns.

    Returns
    -------
    LocateResult
        ``objective`` = the smallest cost between two open sites (NaN for ``p < 2``);
        ``infeasible`` when ``p`` exceeds the allowed sites or is below the required ones.
    """
    p = check_count(p)
    forbidden = list(forbidden)
    inputs = begin(costs, None, required=required, forbidden=forbidden, demand_ids=site_ids,
                   site_ids=site_ids, columns=columns, solver=solver, time_limit=time_limit,
                   mip_gap=mip_gap, threads=threads)
    data = inputs.data
    rows = data.demand_ids.get_indexer(data.site_ids)
    if (rows < 0).any() or data.n != data.m + len(set(forbidden)):
        raise DataError(
            f"p-dispersion: costs must be square, site by site (got {data.n} rows for "
            f"{data.m} allowed sites); pass the matrix of costs between candidate sites"
        )
    if len(inputs.required) > p or p > data.m:
        return inputs.infeasible("p_dispersion")
    if data.dense is not None:
        d = data.dense[rows]
    else:
        r, c, cost = data.pairs_to(np.arange(data.m))
        d_all = np.full((data.n, data.m), np.inf)
        d_all[r, c] = cost
        d = d_all[rows]
    d = np.minimum(d, d.T)
    finite = d[np.isfinite(d)]
    big = float(finite.max()) if finite.size else 0.0
    d = np.where(np.isfinite(d), d, big)
    j, k = np.triu_indices(data.m, 1)
    q = len(j)
    m = data.m
    # columns: y (m), D; rows (2): D + M y_j + M y_k <= d_jk + 2M
    pair = np.arange(q)
    a_pairs = sp.csr_matrix(
        (np.concatenate([np.full(q, big), np.full(q, big), np.ones(q)]),
         (np.concatenate([pair, pair, pair]), np.concatenate([j, k, np.full(q, m)]))),
        shape=(q, m + 1))
    count = sp.csr_matrix(np.concatenate([np.ones(m), [0.0]])[None, :])  # (3)
    col_lower = np.zeros(m + 1)
    col_lower[inputs.required] = 1.0
    mip = MipModel(
        sense="max",
        c=np.concatenate([np.zeros(m), [1.0]]),
        a_matrix=sp.vstack([a_pairs, count], format="csr"),
        row_lower=np.concatenate([np.full(q, -np.inf), [float(p)]]),
        row_upper=np.concatenate([d[j, k] + 2 * big, [float(p)]]),
        col_lower=col_lower,
        col_upper=np.concatenate([np.ones(m), [big]]),
        integer=np.concatenate([np.ones(m, dtype=bool), [False]]),
    )
    out = solve_mip(mip, inputs.options)
    if out.x is None:
        if out.status is SolveStatus.INFEASIBLE:
            return inputs.infeasible("p_dispersion", solve_seconds=out.seconds)
        raise SolverError(
            f"p-dispersion: {solver} returned no solution ({out.raw_status}); raise time_limit"
        )
    selected = np.flatnonzero(out.x[:m] > 0.5).astype(np.int64)
    sub = d[np.ix_(selected, selected)]
    objective = float(sub[np.triu_indices(len(selected), 1)].min()) if p >= 2 else math.nan
    bound = out.bound if p >= 2 else math.nan
    return inputs.finish("p_dispersion", selected, objective, out.status, bound,
                         solve_seconds=out.seconds, stats={"pairs": q})
