r"""Backup coverage: LSCP-B (fewest sites, then most backup) and BCLP (p sites, most backup).

Notation as in `optimizer.locate.covering`: demand points :math:`i` with weight :math:`w_i`,
:math:`N_i = \{j : c_{ij} \le S\}`, required sites :math:`R`; :math:`u_i = 1` when :math:`i`
is covered at least twice (it has a backup).

Backup coverage with a site count :math:`q` (Hogan & ReVelle 1986, BACOP1: every point covered
once, the weight covered twice maximised)::

    max  sum_i w_i u_i                                     (1)
    s.t. sum_{j in N_i} y_j - u_i >= 1        for all i    (2)
         sum_j y_j = q                                     (3)
         y_j = 1 for j in R;  y_j, u_i in {0, 1}           (4)

BCLP is (1)-(4) with :math:`q = p` given. LSCP-B (Church & Murray 2018; ``spopt.locate.LSCPB``)
first solves the LSCP (`optimizer.locate.covering.lscp`) for the fewest sites :math:`q^*` and
then (1)-(4) with :math:`q = q^*`: among the smallest covers, the one with the most backup. The
result's ``objective`` and ``backup_weight`` are the backup-covered weight; LSCP-B's site count
is ``len(selected)`` (``stats["sites"]``). LSCP-B is proven optimal only when both stages are.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp

from optimizer.errors import SolverError
from optimizer.locate._common import check_count, check_standard, remaining_time
from optimizer.locate._kernel import Inputs, begin
from optimizer.locate.costs import LONG_COLUMNS, CostInput
from optimizer.locate.covering import lscp
from optimizer.locate.result import LocateResult
from optimizer.solvers.mip import MipModel, solve_mip
from optimizer.solvers.status import SolveStatus

__all__ = ["bclp", "lscp_b"]

Weights = npt.ArrayLike | pd.Series | None


def lscp_b(
    costs: CostInput,
    weights: Weights = None,
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
) -> LocateResult:
    """Among the smallest sets covering every point within ``standard``, the most backup.

    Parameters
    ----------
    costs, weights, standard, required, forbidden, demand_ids, site_ids, columns, solver,
    time_limit, mip_gap, threads
        As in `optimizer.locate.lscp`; ``weights`` (None = 1 each) weigh the backup.

    Returns
    -------
    LocateResult
        ``objective`` = ``backup_weight`` = weight covered by at least two open sites;
        ``infeasible`` when some point has no site within the standard.
    """
    common = {"required": required, "forbidden": forbidden, "demand_ids": demand_ids,
              "site_ids": site_ids, "columns": columns, "solver": solver,
              "time_limit": time_limit, "mip_gap": mip_gap, "threads": threads}
    first = lscp(costs, weights, standard=standard, **common)  # type: ignore[arg-type]
    inputs = begin(costs, weights, **common)  # type: ignore[arg-type]
    s = check_standard(standard)
    if first.status is SolveStatus.INFEASIBLE:
        return inputs.infeasible("lscp_b", standard=s)
    out = _backup(inputs, s, len(first.selected), spent=first.solve_seconds, model="lscp_b")
    if first.status is not SolveStatus.OPTIMAL and out.status is SolveStatus.OPTIMAL:
        # the count itself is not proven smallest: nothing about the pair is proven
        return inputs.finish("lscp_b", _positions(inputs, out.selected), out.objective,
                             SolveStatus.FEASIBLE, out.best_bound,
                             solve_seconds=out.solve_seconds, standard=s,
                             stats=out.stats, backup_weight=out.backup_weight)
    return out


def bclp(
    costs: CostInput,
    weights: Weights,
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
) -> LocateResult:
    """Open ``p`` sites covering every point within ``standard``, maximising backup weight.

    Parameters
    ----------
    costs, weights, standard, required, forbidden, demand_ids, site_ids, columns, solver,
    time_limit, mip_gap, threads
        As in `optimizer.locate.mclp`.
    p : int
        Number of sites to open, required sites included.

    Returns
    -------
    LocateResult
        ``objective`` = ``backup_weight``; ``infeasible`` when ``p`` sites cannot cover every
        point once.
    """
    s = check_standard(standard)
    p = check_count(p)
    inputs = begin(costs, weights, required=required, forbidden=forbidden,
                   demand_ids=demand_ids, site_ids=site_ids, columns=columns, solver=solver,
                   time_limit=time_limit, mip_gap=mip_gap, threads=threads)
    if len(inputs.required) > p or p > inputs.data.m:
        return inputs.infeasible("bclp", standard=s)
    return _backup(inputs, s, p, spent=0.0, model="bclp")


def _positions(inputs: Inputs, ids: Sequence[Hashable]) -> npt.NDArray[np.int64]:
    return np.asarray(inputs.data.site_ids.get_indexer(pd.Index(list(ids))), dtype=np.int64)


def _backup(inputs: Inputs, standard: float, q: int, *, spent: float, model: str) -> LocateResult:
    """Solve (1)-(4) with ``q`` sites."""
    data = inputs.data
    cov = data.coverage(standard)
    n, m = cov.shape
    if (np.diff(cov.indptr) == 0).any():
        return inputs.infeasible(model, standard=standard, solve_seconds=spent)
    a = sp.hstack([cov, -sp.identity(n, format="csr")], format="csr")  # (2)
    count = sp.csr_matrix(np.concatenate([np.ones(m), np.zeros(n)])[None, :])  # (3)
    col_lower = np.zeros(m + n)
    col_lower[inputs.required] = 1.0
    w = data.weights
    mip = MipModel(
        sense="max",
        c=np.concatenate([np.zeros(m), w]),
        a_matrix=sp.vstack([a, count], format="csr"),
        row_lower=np.concatenate([np.ones(n), [float(q)]]),
        row_upper=np.concatenate([np.full(n, np.inf), [float(q)]]),
        col_lower=col_lower,
        col_upper=np.ones(m + n),
        integer=np.ones(m + n, dtype=bool),
        integral_objective=bool(np.all(w == np.round(w))),
    )
    out = solve_mip(mip, remaining_time(inputs.options, spent))
    seconds = spent + out.seconds
    if out.status is SolveStatus.INFEASIBLE:
        return inputs.infeasible(model, standard=standard, solve_seconds=seconds)
    if out.x is None:
        raise SolverError(
            f"{model}: {inputs.options.solver} returned no solution ({out.raw_status}); "
            "raise time_limit"
        )
    selected = np.flatnonzero(out.x[:m] > 0.5).astype(np.int64)
    # the backup actually achieved by the chosen sites (u may be 0 where it could be 1)
    times = np.asarray(cov[:, selected].sum(axis=1)).ravel()
    backup = float(w[times >= 2].sum())
    return inputs.finish(model, selected, backup, out.status, out.bound, solve_seconds=seconds,
                         standard=standard, stats={"sites": len(selected)},
                         backup_weight=backup)
