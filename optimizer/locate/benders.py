r"""Benders decomposition of the p-median, maximal covering and set covering, HiGHS as master.

**p-median** (Duran-Mateluna, Alès and Elloumi, EJOR 2023, "An efficient Benders decomposition
for the p-median problem"). Elloumi's radius formulation (see `optimizer.locate.median`) splits
into one subproblem per client :math:`i`; projecting its :math:`z_i^\ell` out leaves a master
over the sites and one variable :math:`\theta_i` per client (its service cost)::

    min  sum_i w_i theta_i                                                 (B1)
    s.t. theta_i >= D - sum_j max(0, D - c_ij) y_j   for all i, every D    (B2)
         sum_j y_j = p;  y_j = 1 for j in R;  y_j in {0, 1}                (B3)
         theta_i >= D_i^1                                                  (B4)
         sum_{j reachable from i} y_j >= 1     when i cannot reach every site  (B5)

Every cut (B2) is valid whatever :math:`D` is (it is the dual value of a feasible dual point of
the client's subproblem); at a master point :math:`\bar y` the most violated one is closed
form: walk the client's sites in order of cost, adding up :math:`\bar y_j`, and take :math:`D`
where the sum first reaches 1. Its right-hand side at :math:`\bar y` is then the subproblem's
optimum :math:`\varphi_i(\bar y)` (the cost of serving :math:`i` fractionally from its nearest
sites), so :math:`\sum_i w_i \varphi_i(\bar y)` is an upper bound on the LP and, for integral
:math:`\bar y`, the true cost of those sites. Only sites cheaper than :math:`D` enter the cut, so
cuts are short. The LP is solved first by Kelley's cutting planes stabilised in-out (Ben-Ameur
and Neto 2007: separate at a point between the LP solution and a core point that starts at
``p / m`` everywhere, or half-way to a given solution, and moves towards each LP solution);
each LP solution's ``p`` largest sites are an incumbent; then the MIP. No reduction of the
candidate radii is needed: the separation only ever looks at a client's sites up to the radius
where the point's service reaches 1.

*Presolve* (`optimizer.locate.lagrange`, Beasley 1993). Before the master: subgradient steps on
the Lagrangian of the assignment rows (a lower bound whatever the multipliers), then vertex
substitution from the Lagrangian solution's sites (an incumbent), then reduced-cost fixing:
a site whose forced opening costs more than the incumbent, by the Lagrangian bound, is in no
better solution and is removed (the Benders solve then runs over the remaining sites, and the
bound returned is ``max(L, min(incumbent, bound over the remaining sites))``: solutions with a
removed site cost more than the incumbent); a site whose forced closing costs more becomes
required. The multipliers also give each client one first cut (B2) at
:math:`D_i = \lambda_i / w_i`; together those cuts hold the first master LP at or above the
Lagrangian bound. After the LP phase, vertex substitution from the last LP solution's ``p``
largest sites gives the incumbent the MIP starts from. Measured at 20 000 x 1 000, p = 100:
the LP bound (11,117,152) is reached in about 64 s, the incumbent is 0.24 % above it, and the
LP solution is far from integral (305 fractional sites): the Lagrangian fixing then removes no
site, and neither does fixing by the LP's own reduced costs at its optimum (exact:
:math:`LB + d_j > UB \Rightarrow y_j = 0`; the largest :math:`d_j` is about 25,900, below the
gap of about 26,300). On the 5 000 x 300 case the fixing leaves a problem proven in about 2 s.

*Branching* (`_MedianTree`, from `_OWN_BRANCH_CUTS` cuts on): best-first branch-and-Benders-cut
in the LP phase's warm HiGHS session, the cuts separated again at every node and shared by all
(each is valid for every site set). At 20 000 x 1 000 a node takes 4-13 s and one branching on
the most fractional site lifts its children by 2,000-5,000 of the 26,000 gap, so 120 s end
with a few nodes and the gap at about 0.19 %, not a proof.

**Maximal covering** (Cordeau, Furini and Ljubić, EJOR 2019, "Benders decomposition for very
large scale partial set covering and maximal covering location problems"). On the reduced
coverage matrix :math:`a` (merged rows with weights :math:`w_i`, see
`optimizer.locate.covering`), the coverage variables :math:`z_i` are projected out and one
variable :math:`\theta` stands for the covered weight (the paper's single cut)::

    max  theta                                                            (C1)
    s.t. theta <= sum_{i: a_i ybar >= 1} w_i + sum_j (sum_{i: a_i ybar < 1, a_ij = 1} w_i) y_j
                                                       for master points ybar   (C2)
         sum_j y_j <= q;  y_j in {0, 1}                                   (C3)

Cut (C2) is the subproblem's optimal dual at :math:`\bar y`, tight there: its right-hand side is
:math:`F(\bar y) = \sum_i w_i \min(1, a_i \bar y)`. Here the rows are split into groups, each
with its own :math:`\theta_g` and cuts (C2) over its rows (``groups=1`` is the single cut; the
default, about the square root of the rows, converged in far fewer LP rounds on the shared
instances). The LP phase and MIP phase are as for the p-median, with a swap local search
(best single swap, priced for all pairs by one sparse product) from the greedy cover and from
the last LP solution's ``q`` largest columns. After the LP phase the master's duals give, for
every ``y``, :math:`F(y) \le c + s^\top y` (per group, a convex combination of its cuts (C2)
and :math:`\theta_g \le w_g`, valid whatever the duals are); a column whose forced opening
cannot beat the incumbent by that bound is fixed closed, and when half the columns are, the
compact model over the rest is solved instead of the master MIP. At 20 000 x 1 000, q = 10,
that bound equals the LP bound but the LP is degenerate (hundreds of columns priced at the
budget's dual), so only a dozen columns close.

**Set covering** (the same paper's partial set covering with every point to be covered): the
cover rows are Benders feasibility cuts, added lazily. A set cover of a subset of the rows is a
relaxation; its optimum covering every row is optimal; otherwise the rows it leaves uncovered
join the subset. Most rows of a geographic instance are covered whenever a few tight rows are.

**The master solver.** highspy (1.16) has no lazy-constraint callback (the callback type exists
but HiGHS never calls it), so the branch-and-Benders-cut is an iterative cut loop: the master
MIP is solved with the cuts found so far, started from the best known solution; HiGHS's MIP
solution callback shows every integer solution it finds to the separation, and a solution whose
master value the cuts over-state (a missing cut) stops the search at once, like a rejected
incumbent; its cuts are added and the master re-solved. Each master is a relaxation of the
problem, so HiGHS's dual bound of every master is a valid bound; the answer is optimal only
when that bound meets the true objective of the returned sites (relative 1e-6, or less than
one unit on an integer-valued objective). A time limit leaves the best true solution with the
best bound, as ``feasible``. The p-median's own tree (above) replaces this loop on large
masters, where HiGHS did not finish the master MIP's root LP in the time left.
(HiGHS's ``time_limit`` counts the run time of every ``run()`` of
one instance, so `optimizer.solvers.mip.LpSession` sets each solve's limit from that clock.)
"""

from __future__ import annotations

import heapq
import math
import time
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from optimizer.errors import DataError, SolverError
from optimizer.locate._common import greedy_cover
from optimizer.locate.costs import CostData
from optimizer.locate.cover_models import mclp_model
from optimizer.locate.heuristic import finite_costs, substitute
from optimizer.locate.lagrange import fix_sites, median_lagrangian
from optimizer.solvers.mip import LpSession, MipModel, MipOutcome, SolverOptions, solve_mip
from optimizer.solvers.status import SolveStatus, relative_gap

__all__ = ["BendersOutcome", "mclp_benders", "p_median_benders", "set_cover_rows"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

# An objective this close (relative) to a proven bound is optimal: float noise, as in `_solve`.
PROVEN_REL_GAP = 1e-6
_LP_REL_GAP = 1e-7  # the LP phase stops when its two bounds are this close
_MAX_LP_ROUNDS = 60
_VIOLATION = 1e-7  # a cut must be violated by this much (relative to the client's cost) to enter
_MAX_CUTS = 10000  # cuts added per LP round (warm dual simplex slows down past this)
_WIDTH = 48  # nearest sites per client kept for the separation (more are fetched on demand)
_WARM_SLOWDOWN = 2.0  # a warm LP re-solve this many times slower than a cold one: go cold
# The p-median presolve (`_presolve`): each of its two Lagrangian passes and its vertex
# substitution get at most these seconds and this share of the time limit.
_LAG_SECONDS, _LAG_SHARE = 8.0, 0.07
_SEARCH_SECONDS, _SEARCH_SHARE = 15.0, 0.12
# After the LP phase the p-median branches in its own LP session (`_MedianTree`) from this many
# cuts on: at 20 000 x 1 000 (54 000 cuts) HiGHS's master MIP did not finish its root LP in the
# 25 s left (its bound stayed trivial), while a warm node re-solve takes seconds.
_OWN_BRANCH_CUTS = 20_000
_BRANCHINGS = ("auto", "highs", "own")
_NODE_ROUNDS = 4  # cut rounds per fractional node at most (every round's bound is valid)
# The MCLP solves the compact model over the columns left once this share is fixed closed.
_FIX_SHARE = 0.5


@dataclass(frozen=True)
class BendersOutcome:
    """What a Benders solve found.

    Attributes
    ----------
    status : SolveStatus
        ``OPTIMAL`` when the best bound meets the true objective of ``selected``.
    selected : numpy.ndarray
        Positions of the chosen sites (columns of the input the function received).
    objective : float
        True objective of ``selected``, evaluated on the input, not taken from the master.
    bound : float
        Best bound proven by a master (lower for p-median, upper for MCLP).
    seconds : float
        Wall time of the solve.
    stats : dict
        ``lp_rounds``, ``cuts``, ``mip_rounds``, ``rejected`` (incumbents stopped by a cut).
    """

    status: SolveStatus
    selected: IntArray
    objective: float
    bound: float
    seconds: float
    stats: dict[str, int] = field(default_factory=dict)


def _proven(objective: float, bound: float, integral: bool) -> bool:
    if not (math.isfinite(objective) and math.isfinite(bound)):
        return False
    return relative_gap(objective, bound) <= PROVEN_REL_GAP or (
        integral and abs(objective - bound) < 1.0 - 1e-6
    )


class _Clock:
    """Wall time left of an optional limit."""

    def __init__(self, limit: float | None) -> None:
        self.t0 = time.perf_counter()
        self.limit = limit

    def spent(self) -> float:
        return time.perf_counter() - self.t0

    def left(self) -> float | None:
        return None if self.limit is None else max(self.limit - self.spent(), 1e-3)

    def out(self) -> bool:
        return self.limit is not None and self.spent() >= self.limit

    def options(self, options: SolverOptions) -> SolverOptions:
        return SolverOptions(options.solver, self.left(), options.mip_gap, options.threads)


# ----------------------------------------------------------------------------- p-median


class _Clients:
    """Closed-form separation of cuts (B2) over each client's sites sorted by cost."""

    def __init__(self, data: CostData, rows: IntArray) -> None:
        self.data, self.rows = data, rows
        self.pos, self.cost = data.k_nearest(rows, min(_WIDTH, data.m))

    def separate(self, y: FloatArray) -> tuple[FloatArray, FloatArray, sp.csr_matrix]:
        """Subproblem values ``phi`` at ``y`` and the cuts (B2) separated there.

        ``phi`` is inf for a client ``y`` cannot serve; the cuts read
        ``theta_i + coef_i @ y >= rhs_i`` and are returned as (rhs, coef rows over the sites).
        """
        n_r = len(self.rows)
        rhs, phi = np.empty(n_r), np.empty(n_r)
        parts: list[tuple[IntArray, IntArray, FloatArray]] = []
        miss = self._block(np.arange(n_r), self.pos, self.cost, y, rhs, phi, parts, False)
        step = max(1, 2_000_000 // max(self.data.m, 1))
        for a in range(0, len(miss), step):
            sub = miss[a : a + step]
            pos, cost = self.data.k_nearest(self.rows[sub], self.data.m)
            self._block(sub, pos, cost, y, rhs, phi, parts, True)
        r = np.concatenate([p[0] for p in parts])
        c = np.concatenate([p[1] for p in parts])
        v = np.concatenate([p[2] for p in parts])
        coef = sp.csr_matrix((v, (r, c)), shape=(n_r, self.data.m))
        return phi, rhs, coef

    def at_radius(self, radius: FloatArray) -> tuple[FloatArray, sp.csr_matrix]:
        """Cuts (B2) with ``D = radius`` per client (clipped to its list): (rhs, coef rows).

        Every ``D`` gives a valid cut; Lagrangian multipliers give ``D_i = lambda_i / w_i``,
        and those cuts together hold the master LP at or above the Lagrangian bound.
        """
        valid: BoolArray = self.pos >= 0
        last = np.maximum(valid.sum(axis=1) - 1, 0)
        d = np.minimum(radius, self.cost[np.arange(len(self.rows)), last])
        enter = valid & (self.cost < d[:, None])
        gi, ti = np.nonzero(enter)
        vals = d[gi] - self.cost[gi, ti]
        coef = sp.csr_matrix((vals, (gi, self.pos[gi, ti])), shape=(len(self.rows), self.data.m))
        return d, coef

    @staticmethod
    def _block(
        idx: IntArray,
        pos: IntArray,
        cost: FloatArray,
        y: FloatArray,
        rhs: FloatArray,
        phi: FloatArray,
        parts: list[tuple[IntArray, IntArray, FloatArray]],
        complete: bool,
    ) -> IntArray:
        valid: BoolArray = pos >= 0
        yy = np.where(valid, y[np.maximum(pos, 0)], 0.0)
        cum = np.cumsum(yy, axis=1)
        hit: BoolArray = cum >= 1.0 - 1e-9
        ok: BoolArray = np.asarray(hit.any(axis=1), dtype=bool)
        if not complete:
            keep = ok | (valid.sum(axis=1) < pos.shape[1])  # the block holds every reachable site
            miss = idx[~keep]
            idx, pos, cost, yy, hit, ok, valid = (
                idx[keep],
                pos[keep],
                cost[keep],
                yy[keep],
                hit[keep],
                ok[keep],
                valid[keep],
            )
        else:
            miss = np.zeros(0, dtype=np.int64)
        g = np.arange(len(idx))
        last = np.maximum(valid.sum(axis=1) - 1, 0)
        k = np.where(ok, hit.argmax(axis=1), last)
        d = cost[g, k]
        enter = (np.arange(pos.shape[1])[None, :] < k[:, None]) & (cost < d[:, None]) & valid
        gi, ti = np.nonzero(enter)
        vals = d[gi] - cost[gi, ti]
        rhs[idx] = d
        served = d - np.bincount(gi, weights=vals * yy[gi, ti], minlength=len(idx))
        phi[idx] = np.where(ok, served, np.inf)
        parts.append((idx[gi], pos[gi, ti], vals))
        return np.asarray(miss, dtype=np.int64)


def p_median_benders(
    data: CostData,
    req: IntArray,
    p: int,
    options: SolverOptions,
    start: IntArray | None = None,
    branching: str = "auto",
) -> BendersOutcome:
    """Solve the p-median by Benders decomposition (formulation (B1)-(B5) of this module).

    Parameters
    ----------
    data : CostData
        Prepared costs (`optimizer.locate.costs.prepare_costs`); every point with weight must
        reach an allowed site.
    req : numpy.ndarray
        Positions of the required sites.
    p : int
        Number of sites to open (``len(req) <= p <= data.m``).
    options : SolverOptions
        HiGHS only; ``time_limit`` bounds the whole solve.
    start : numpy.ndarray, optional
        Positions of a good solution (upper bound, core point and MIP start).
    branching : {"auto", "highs", "own"}
        After the LP phase: ``"highs"`` re-solves the master MIP with HiGHS (cuts added
        between solves), ``"own"`` branches in the LP session itself (`_MedianTree`, cuts
        separated at every node); ``"auto"`` picks ``"own"`` from `_OWN_BRANCH_CUTS` cuts on.

    Returns
    -------
    BendersOutcome
        The best sites found, their true cost and the best lower bound.
    """
    if options.solver != "highs":
        raise SolverError(
            "Benders decomposition needs HiGHS; use solver='highs' or method='compact'"
        )
    if branching not in _BRANCHINGS:
        raise DataError(f"branching: got {branching!r}; use one of {', '.join(_BRANCHINGS)}")
    clock = _Clock(options.time_limit)
    crow = np.flatnonzero(data.weights > 0).astype(np.int64)
    clients = _Clients(data, crow)
    best_sel, best_obj = _best(data, start, None, math.inf)
    pre = _presolve(data, clients, req, p, best_sel, best_obj, clock)
    best_sel, best_obj = pre.best_sel, pre.best_obj
    stats = dict(pre.stats)
    if pre.keep is None:
        core = _median_core(
            data, clients, req, p, best_sel, clock, options, pre.radius, branching
        )
        core_sel = core.selected
    else:  # sites closed by reduced-cost fixing are gone: solve over the rest
        sub = _restrict(data, pre.keep)
        sub_req = np.searchsorted(pre.keep, np.union1d(req, pre.opened)).astype(np.int64)
        sub_start = None if best_sel is None else np.searchsorted(pre.keep, best_sel)
        sub_clients = _Clients(sub, crow)
        core = _median_core(
            sub, sub_clients, sub_req, p, sub_start, clock, options, pre.radius, branching
        )
        core_sel = None if core.selected is None else pre.keep[core.selected]
    stats.update(core.stats)
    best_sel, best_obj = _best(data, core_sel, best_sel, best_obj)
    if best_sel is None:
        raise SolverError("p-median (Benders): no solution within the time limit; raise time_limit")
    # Solutions outside the kept sites cost more than pre.fixed_upper (when sites were fixed);
    # those inside cost at least the core's bound; every solution at least the Lagrangian's.
    lb = core.bound if pre.keep is None else min(core.bound, pre.fixed_upper)
    lb = max(lb, pre.bound)
    proven = _proven(best_obj, lb, False)
    return BendersOutcome(
        SolveStatus.OPTIMAL if proven else SolveStatus.FEASIBLE,
        best_sel,
        best_obj,
        best_obj if proven else lb,
        clock.spent(),
        stats,
    )


@dataclass(frozen=True)
class _Presolved:
    """What the Lagrangian presolve found (see `_presolve`)."""

    best_sel: IntArray | None
    best_obj: float
    bound: float  # the Lagrangian bound (-inf if not run)
    keep: IntArray | None  # sites left after fixing, None when nothing was fixed
    opened: IntArray  # sites open in every solution cheaper than fixed_upper
    fixed_upper: float  # the solution cost the fixing was measured against
    stats: dict[str, int]
    radius: FloatArray | None = None  # lambda_i / w_i of the best multipliers


def _presolve(
    data: CostData,
    clients: _Clients,
    req: IntArray,
    p: int,
    best_sel: IntArray | None,
    best_obj: float,
    clock: _Clock,
) -> _Presolved:
    """Lagrangian bound, an incumbent by vertex substitution, then reduced-cost fixing.

    See `optimizer.locate.lagrange`: the Lagrangian solution's sites start a vertex
    substitution (dense costs only); the bound is then pushed towards that solution's cost and
    the sites whose forced opening (closing) costs more than it are closed (opened).
    """
    m, wc = data.m, data.weights[clients.rows]
    wcost = wc[:, None] * clients.cost
    none = np.zeros(0, dtype=np.int64)
    stats = {"lagrange_iter": 0, "fixed_closed": 0, "fixed_open": 0}
    if len(clients.rows) == 0 or p <= len(req) or p >= m:
        return _Presolved(best_sel, best_obj, -math.inf, None, none, math.inf, stats)
    share = math.inf if clock.limit is None else clock.limit
    lag = median_lagrangian(
        clients.pos, wcost, m, req, p, best_obj, min(_LAG_SECONDS, _LAG_SHARE * share)
    )
    best_sel, best_obj = _best(data, lag.chosen, best_sel, best_obj)
    found = _search(data, clients.rows, best_sel, req, min(_SEARCH_SECONDS, _SEARCH_SHARE * share))
    best_sel, best_obj = _best(data, found, best_sel, best_obj)
    stats["lagrange_iter"] = lag.iterations
    radius = lag.lam / wc
    _, everyone = data.nearest_open(best_sel) if best_sel is not None else (None, None)
    if everyone is None or not np.isfinite(everyone).all():
        # the incumbent leaves a (weightless) point unserved: it is no proof of anything
        return _Presolved(best_sel, best_obj, lag.bound, None, none, math.inf, stats, radius)
    closed, opened = fix_sites(lag, req, p, best_obj)
    closed[best_sel] = False  # never true (the incumbent costs UB), kept against float noise
    stats["fixed_closed"], stats["fixed_open"] = int(closed.sum()), int(opened.sum())
    keep = np.flatnonzero(~closed).astype(np.int64) if closed.any() else None
    fixed_open = np.flatnonzero(opened).astype(np.int64)
    if keep is None and len(fixed_open):
        keep = np.arange(m, dtype=np.int64)
    return _Presolved(best_sel, best_obj, lag.bound, keep, fixed_open, best_obj, stats, radius)


def _search(
    data: CostData, rows: IntArray, sel: IntArray | None, req: IntArray, seconds: float
) -> IntArray | None:
    """Vertex substitution (`optimizer.locate.heuristic.substitute`) from ``sel`` on ``rows``.

    Dense costs only (None otherwise, or without a start): it prices every swap over the whole
    matrix.
    """
    if data.dense is None or sel is None or len(sel) == 0:
        return None
    dense = data.dense if len(rows) == data.n else data.dense[rows]
    costs = finite_costs(dense) if not np.isfinite(dense).all() else dense
    return substitute(costs, data.weights[rows], sel, req, seconds)


def _restrict(data: CostData, keep: IntArray) -> CostData:
    """``data`` over the sites ``keep`` only (sorted positions), the same demand rows."""
    if data.dense is not None:
        return CostData(
            data.demand_ids, data.site_ids[keep], data.weights,
            dense=np.ascontiguousarray(data.dense[:, keep]),
        )  # fmt: skip
    assert data.indptr is not None
    assert data.indices is not None
    assert data.pair_costs is not None
    new_pos = np.full(data.m, -1, dtype=np.int64)
    new_pos[keep] = np.arange(len(keep))
    mask = new_pos[data.indices] >= 0
    row_of = np.repeat(np.arange(data.n), np.diff(data.indptr))
    counts = np.bincount(row_of[mask], minlength=data.n)
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return CostData(
        data.demand_ids, data.site_ids[keep], data.weights,
        indptr=indptr, indices=new_pos[data.indices[mask]], pair_costs=data.pair_costs[mask],
    )  # fmt: skip


@dataclass(frozen=True)
class _Core:
    selected: IntArray | None
    bound: float
    stats: dict[str, int]


def _median_core(
    data: CostData,
    clients: _Clients,
    req: IntArray,
    p: int,
    start: IntArray | None,
    clock: _Clock,
    options: SolverOptions,
    radius: FloatArray | None,
    branching: str = "auto",
) -> _Core:
    """The Benders LP phase and MIP rounds on ``data``: best sites found and the best bound."""
    wc = data.weights[clients.rows]
    reach = data.reach_counts()
    best_sel, best_obj = _best(data, start, None, math.inf)
    loop = _MedianLoop(data, clients, wc, req, p, reach)
    lb = loop.lp_phase(start, clock, options, radius)
    best_sel, best_obj = _best(data, loop.best_sel, best_sel, best_obj)
    if loop.y_lp is not None and not _proven(best_obj, lb, False) and not clock.out():
        # the last LP solution's p largest sites, improved by vertex substitution: on the
        # 20 000 x 1 000 case far better than any rounding alone (0.24 % above the LP bound)
        rounded = _MedianLoop.largest(loop.y_lp, req, p)
        share = math.inf if clock.limit is None else clock.limit
        left = clock.left()
        seconds = min(_SEARCH_SECONDS, _SEARCH_SHARE * share, math.inf if left is None else left)
        improved = _search(data, clients.rows, rounded, req, seconds)
        best_sel, best_obj = _best(data, improved, best_sel, best_obj)
    own = branching == "own" or (branching == "auto" and len(loop.cut_rhs) >= _OWN_BRANCH_CUTS)
    if own and not _proven(best_obj, lb, False) and not clock.out():
        tree = _MedianTree(loop, options)
        best_sel, best_obj, lb = tree.run(best_sel, best_obj, lb, clock)
    while not own and not _proven(best_obj, lb, False) and not clock.out():
        out, found = loop.mip_round(best_sel, clock, options)
        for sel in found:
            best_sel, best_obj = _best(data, sel, best_sel, best_obj)
        if math.isfinite(out.bound):
            lb = max(lb, out.bound)
        if out.x is None or not loop.rejected:
            break  # solved without a missing cut, or stopped by a limit: nothing left to add
    if _proven(best_obj, lb, False):
        lb = best_obj
    return _Core(best_sel, lb, loop.stats)


def _best(
    data: CostData, sel: IntArray | None, best_sel: IntArray | None, best_obj: float
) -> tuple[IntArray | None, float]:
    if sel is None:
        return best_sel, best_obj
    sel = np.unique(np.asarray(sel, dtype=np.int64))
    _, cost = data.nearest_open(sel)
    pos_w = data.weights > 0
    obj = float(data.weights[pos_w] @ cost[pos_w]) if np.isfinite(cost).all() else math.inf
    if obj < best_obj:
        return sel, obj
    return best_sel, best_obj


class _LpRunner:
    """The master LP in one HiGHS instance re-solved warm, or rebuilt when warm is slower.

    After thousands of new cuts the warm dual simplex can take many times longer than an
    interior-point solve from scratch (measured on the 20 000-client master): from the first
    warm solve that slow on, every round starts from scratch, without the cuts slack at the
    last solution. While warm, the cuts slack at each LP optimum leave the session too (their
    rows are basic, so the basis stays optimal): at 20 000 x 1 000 the LP then stays near
    30 000 rows, its warm rounds take 1-2 s instead of 5-13 s, and the LP bound comes at
    about 64 s instead of 86 s. Dropped cuts can come back when violated again; every master
    is still a relaxation, so every LP value is a valid bound.
    """

    def __init__(self, loop: _MedianLoop, options: SolverOptions) -> None:
        self.loop, self.options = loop, options
        self.session: LpSession | None = None
        self.cold = math.inf  # seconds of the last solve from scratch (interior point)
        self.warm = True

    def solve(self, clock: _Clock) -> MipOutcome:
        fresh = self.session is None
        if self.session is None:
            self.session = LpSession(self.loop.master(False, None), self.options)
        out = self.session.solve(clock.left())  # interior point first, then warm dual simplex
        if fresh:
            self.cold = out.seconds
        elif out.seconds > _WARM_SLOWDOWN * self.cold:
            self.warm = False
        if not self.warm:
            self.session = None
            if out.x is not None:
                self.loop.purge(out.x)
        elif out.x is not None:
            self.loop.purge(out.x, self.session)
        return out

    def add(self, take: IntArray, rhs: FloatArray, coef: sp.csr_matrix) -> None:
        n_old = len(self.loop.cut_rhs)
        self.loop.add(take, rhs, coef)
        if self.session is not None:
            rows = self.loop.cuts[n_old:]
            self.session.add_rows(rows, rhs[take], np.full(len(take), np.inf))


class _MedianLoop:
    """The p-median master: its LP phase (in-out Kelley) and its MIP rounds."""

    def __init__(
        self,
        data: CostData,
        clients: _Clients,
        wc: FloatArray,
        req: IntArray,
        p: int,
        reach: IntArray,
    ) -> None:
        self.data, self.clients, self.wc, self.req, self.p = data, clients, wc, req, p
        m, nc = data.m, len(wc)
        self.n_col = m + nc
        self.col_lower = np.concatenate([np.zeros(m), clients.cost[:, 0]])  # (B4)
        self.col_lower[req] = 1.0
        self.col_upper = np.concatenate([np.ones(m), np.full(nc, np.inf)])
        rows = [sp.csr_matrix(np.concatenate([np.ones(m), np.zeros(nc)])[None, :])]  # (B3)
        lower, upper = [float(p)], [float(p)]
        short = np.flatnonzero(reach < m)  # (B5) for points that cannot reach every site
        if len(short):
            pos, _ = data.k_nearest(short, m)
            r, t = np.nonzero(pos >= 0)
            shape = (len(short), self.n_col)
            rows.append(sp.csr_matrix((np.ones(len(r)), (r, pos[r, t])), shape=shape))
            lower += [1.0] * len(short)
            upper += [math.inf] * len(short)
        self.fixed = sp.vstack(rows, format="csr")
        self.fixed_lower, self.fixed_upper = np.asarray(lower), np.asarray(upper)
        self.cuts = sp.csr_matrix((0, self.n_col))
        self.cut_rhs = np.zeros(0)
        self.stats: dict[str, int] = {"lp_rounds": 0, "cuts": 0, "mip_rounds": 0, "rejected": 0}
        self.y_lp: FloatArray | None = None
        self.best_sel: IntArray | None = None
        self.best_obj = math.inf
        self.rejected = False
        self.runner: _LpRunner | None = None

    def add(self, take: IntArray, rhs: FloatArray, coef: sp.csr_matrix) -> None:
        """Append the cuts (B2) of clients ``take``: ``theta_i + coef_i @ y >= rhs_i``."""
        m = self.data.m
        sub = coef[take].tocoo()
        r = np.concatenate([sub.row, np.arange(len(take))])
        c = np.concatenate([sub.col, m + take])
        v = np.concatenate([sub.data, np.ones(len(take))])
        block = sp.csr_matrix((v, (r, c)), shape=(len(take), self.n_col))
        self.cuts = sp.vstack([self.cuts, block], format="csr")
        self.cut_rhs = np.concatenate([self.cut_rhs, rhs[take]])
        self.stats["cuts"] += len(take)

    def round(self, y: FloatArray) -> None:
        """Keep the ``p`` sites of largest LP value (required first) if they beat the best.

        That is the LP solution itself when it is integral, else a rounding that is usually
        close on geographic instances.
        """
        rounded = self.largest(y, self.req, self.p)
        self.best_sel, self.best_obj = _best(self.data, rounded, self.best_sel, self.best_obj)

    @staticmethod
    def largest(y: FloatArray, req: IntArray, p: int) -> IntArray:
        """The required sites, then the largest ``y``: ``p`` sites in all."""
        score = y.copy()
        score[req] = 2.0
        return np.sort(np.argsort(-score, kind="stable")[:p]).astype(np.int64)

    def purge(self, x: FloatArray, session: LpSession | None = None) -> None:
        """Drop the cuts slack at ``x`` (an LP optimum): every master stays a relaxation.

        With ``session`` (holding this master, solved at ``x``) their rows go from it too:
        they are basic there, so its basis stays optimal and warm.
        """
        if self.cuts.shape[0] == 0:
            return
        slack = self.cuts @ x - self.cut_rhs
        keep = slack <= 1e-6 * np.maximum(np.abs(self.cut_rhs), 1.0)
        if session is not None:
            drop = np.flatnonzero(~keep)
            if len(drop) == 0:
                return
            session.delete_rows(len(self.fixed_lower) + drop)
        self.cuts = self.cuts[keep]
        self.cut_rhs = self.cut_rhs[keep]

    def master(self, integer: bool, start: FloatArray | None, ipx: bool = False) -> MipModel:
        m, n_cut = self.data.m, len(self.cut_rhs)
        return MipModel(
            sense="min",
            c=np.concatenate([np.zeros(m), self.wc]),
            a_matrix=sp.vstack([self.fixed, self.cuts], format="csr"),
            row_lower=np.concatenate([self.fixed_lower, self.cut_rhs]),
            row_upper=np.concatenate([self.fixed_upper, np.full(n_cut, np.inf)]),
            col_lower=self.col_lower,
            col_upper=self.col_upper,
            integer=np.concatenate([np.full(m, integer), np.zeros(len(self.wc), dtype=bool)]),
            start=start,
            interior_point=ipx,
        )

    def lp_phase(
        self,
        start: IntArray | None,
        clock: _Clock,
        options: SolverOptions,
        radius: FloatArray | None = None,
    ) -> float:
        """Kelley's cutting planes on the master LP, stabilised in-out; returns the LP bound.

        ``radius`` (per client, from Lagrangian multipliers) adds one cut each at the start.
        """
        m, p = self.data.m, self.p
        core = np.full(m, p / m)
        if start is not None:
            core = 0.5 * core
            core[start] += 0.5
        # first cuts at the core point: they bound every theta from the start
        _, rhs, coef = self.clients.separate(core)
        self.add(np.arange(len(self.wc)), rhs, coef)
        if radius is not None:
            rhs, coef = self.clients.at_radius(radius)
            self.add(np.arange(len(self.wc)), rhs, coef)
        runner = self.runner = _LpRunner(self, options)
        lb, ub, lam = -math.inf, math.inf, 0.5
        for _ in range(_MAX_LP_ROUNDS):
            if clock.out():
                break
            out = runner.solve(clock)
            self.stats["lp_rounds"] += 1
            if out.x is None:
                break
            y, theta = np.clip(out.x[:m], 0.0, 1.0), out.x[m:]
            self.y_lp = y
            self.round(y)
            lb = max(lb, out.objective)
            phi, _, _ = self.clients.separate(y)
            ub = min(ub, float(self.wc @ phi))  # y is LP-feasible: its value bounds the LP
            if math.isfinite(ub) and ub - lb <= _LP_REL_GAP * abs(ub):
                break
            take, block_rhs, coef = self._violated(lam * y + (1 - lam) * core, y, theta)
            ub = min(ub, self._last_value)
            if len(take) == 0 and lam < 1.0:
                lam = 1.0
                take, block_rhs, coef = self._violated(y, y, theta)
                ub = min(ub, self._last_value)
            if len(take) == 0:
                break  # no cut violated at the LP solution: the LP is solved
            if len(take) > _MAX_CUTS:  # the most violated (by weighted amount) first
                at_y = block_rhs[take] - coef[take] @ y
                gain = self.wc[take] * (at_y - theta[take])
                take = np.sort(take[np.argsort(-gain)[:_MAX_CUTS]])
            runner.add(take, block_rhs, coef)
            core = 0.5 * (core + y)
        return lb

    _last_value = math.inf

    def _violated(
        self, y_sep: FloatArray, y: FloatArray, theta: FloatArray
    ) -> tuple[IntArray, FloatArray, sp.csr_matrix]:
        """Cuts separated at ``y_sep`` that the master point ``(y, theta)`` violates."""
        phi, rhs, coef = self.clients.separate(y_sep)
        self._last_value = float(self.wc @ phi)
        at_y = rhs - coef @ y
        take = np.flatnonzero(at_y > theta + _VIOLATION * np.maximum(np.abs(at_y), 1.0))
        return take.astype(np.int64), rhs, coef

    def mip_round(
        self, best_sel: IntArray | None, clock: _Clock, options: SolverOptions
    ) -> tuple[MipOutcome, list[IntArray]]:
        """Solve the master MIP once, stopping at an incumbent that violates a cut.

        The cuts found are added for the next round. Returns HiGHS's outcome and the site sets
        it found.
        """
        m = self.data.m
        self.stats["mip_rounds"] += 1
        start = None
        if best_sel is not None:
            y0 = np.zeros(m)
            y0[best_sel] = 1.0
            phi, _, _ = self.clients.separate(y0)
            start = np.concatenate([y0, phi])
        found: list[IntArray] = []
        pending: list[tuple[IntArray, FloatArray, sp.csr_matrix]] = []
        self.rejected = False

        def check(x: FloatArray) -> bool:
            y = (x[:m] > 0.5).astype(np.float64)
            found.append(np.flatnonzero(y).astype(np.int64))
            take, rhs, coef = self._violated(y, y, x[m:])
            if len(take) == 0:
                return False
            pending.append((take, rhs, coef))
            self.stats["rejected"] += 1
            self.rejected = True
            return True

        out = solve_mip(self.master(True, start), clock.options(options), on_solution=check)
        if out.x is not None:
            check(out.x)
        for take, rhs, coef in pending:
            self.add(take, rhs, coef)
        return out, found


class _MedianTree:
    r"""Best-first branch-and-Benders-cut over the p-median master LP, in one HiGHS session.

    A node is the master LP (B1)-(B5) with some sites fixed open (``lo``) or closed (``hi``).
    Its LP value over any subset of the cuts (B2) is a lower bound on every site set obeying
    its fixings (each cut holds for every :math:`D`, so it is valid at every node: the cuts
    are shared); at each node the cuts violated at its LP solution are added and the LP
    re-solved, up to `_NODE_ROUNDS` rounds while the solution is fractional (the bound of each
    round holds, so stopping early only weakens it). A node is dropped when

    * its LP is infeasible (no site set obeys the fixings, sum = p and (B5)), or
    * its bound is at least the incumbent's true cost less the proof tolerance, or
    * its LP solution is integral with no cut violated: then :math:`\theta_i = \varphi_i(y)`
      and the LP value is the true cost of those sites, the best of the subtree.

    Every dropped feasible node's bound enters ``floor``; a branched node passes its bound to
    both children (:math:`y_j = 1` and :math:`y_j = 0` for its most fractional site, which
    together hold every integral point of the node). So at any time every site set lies in an
    open node, in a dropped node, or costs at least the incumbent, and
    ``min(incumbent, floor, open bounds)`` is a lower bound on the optimum; with no open node
    left it meets the incumbent up to the tolerance: a proof. A node stopped by the time limit
    stays open with the best bound of the solves it finished. Each node's LP solution also gives
    a rounding (fixed-open sites, then the largest ``y``) priced by its true cost.
    """

    def __init__(self, loop: _MedianLoop, options: SolverOptions) -> None:
        self.loop = loop
        runner = loop.runner
        if runner is not None and runner.session is not None:
            self.session = runner.session  # warm: the basis of the LP phase's last solve
            self._purge()
        else:
            self.session = LpSession(loop.master(False, None), options)
        self.m = loop.data.m
        self.sites = np.arange(self.m, dtype=np.int64)
        loop.stats["nodes"] = 0

    def _purge(self) -> None:
        """Drop the cuts slack at the session's last LP solution, from the session too.

        Their rows are basic there, so the basis stays optimal; fewer rows make every node's
        re-solve faster (at 20 000 x 1 000, 37 000 of 54 000 cuts are tight at the LP
        optimum). Dropping cuts only relaxes the master.
        """
        x = self.session.values()
        if len(x) == self.loop.n_col:
            self.loop.purge(x, self.session)

    def _settle(self, best_obj: float, z: float) -> bool:
        return z >= best_obj or _proven(best_obj, z, False)

    def _node(
        self, lo: FloatArray, hi: FloatArray, best_obj: float, clock: _Clock
    ) -> tuple[bool, float, FloatArray | None, bool]:
        """Solve a node: (finished, bound, LP solution or None if infeasible, cuts all met)."""
        loop, m = self.loop, self.m
        self.session.set_col_bounds(self.sites, lo, hi)
        rounds, z = 0, -math.inf
        while True:
            out = self.session.solve(clock.left())
            loop.stats["lp_rounds"] += 1
            if out.x is None:
                if out.status is SolveStatus.INFEASIBLE:
                    return True, math.inf, None, True
                return False, z, None, False  # a limit stopped it: the node stays open
            z = max(z, out.objective)
            y, theta = np.clip(out.x[:m], 0.0, 1.0), out.x[m:]
            if self._settle(best_obj, z):
                return True, z, y, False
            take, rhs, coef = loop._violated(y, y, theta)
            if len(take) == 0:
                return True, z, y, True
            rounds += 1
            fractional = bool(np.any((y > 1e-6) & (y < 1.0 - 1e-6)))
            n_old = len(loop.cut_rhs)
            loop.add(take, rhs, coef)
            block = loop.cuts[n_old:]
            self.session.add_rows(block, rhs[take], np.full(len(take), np.inf))
            if fractional and rounds >= _NODE_ROUNDS:
                out = self.session.solve(clock.left())
                loop.stats["lp_rounds"] += 1
                if out.x is None:
                    if out.status is SolveStatus.INFEASIBLE:
                        return True, math.inf, None, True
                    return False, z, None, False
                z = max(z, out.objective)
                return True, z, np.clip(out.x[:m], 0.0, 1.0), False

    def run(
        self, best_sel: IntArray | None, best_obj: float, bound: float, clock: _Clock
    ) -> tuple[IntArray | None, float, float]:
        """Branch from the root until proven or out of time: (sites, their cost, lower bound)."""
        loop, m, data = self.loop, self.m, self.loop.data
        lo0 = loop.col_lower[:m].copy()
        hi0 = loop.col_upper[:m].copy()
        count = 0
        heap: list[tuple[float, int, FloatArray, FloatArray]] = [(bound, count, lo0, hi0)]
        floor = math.inf
        while heap and not clock.out():
            z0, _, lo, hi = heapq.heappop(heap)
            if self._settle(best_obj, z0):
                floor = min(floor, z0)
                continue
            loop.stats["nodes"] += 1
            done, z, y, exact = self._node(lo, hi, best_obj, clock)
            if not done:
                count += 1  # unfinished: a solve that ended before the limit still bounds it
                heapq.heappush(heap, (max(z0, z), count, lo, hi))
                break
            if y is None:
                continue  # infeasible: no site set obeys the node's fixings
            z = max(z, z0)
            score = np.where(lo > 0.5, 2.0, np.where(hi < 0.5, -1.0, y))
            rounded = np.sort(np.argsort(-score, kind="stable")[: loop.p]).astype(np.int64)
            best_sel, best_obj = _best(data, rounded, best_sel, best_obj)
            frac = np.flatnonzero((y > 1e-6) & (y < 1.0 - 1e-6) & (lo < 0.5) & (hi > 0.5))
            if self._settle(best_obj, z) or (exact and len(frac) == 0):
                floor = min(floor, z)
                continue
            if len(frac) == 0:
                # integral but a cut was still violated after the round cap: branch anyway on
                # a free open site (its y = 1 child is this point again, now separated further)
                frac = np.flatnonzero((y > 0.5) & (lo < 0.5))
                if len(frac) == 0:
                    frac = np.flatnonzero((lo < 0.5) & (hi > 0.5))
                if len(frac) == 0:
                    floor = min(floor, z)  # every site fixed: z is this point's bound
                    continue
            j = int(frac[np.argmin(np.abs(y[frac] - 0.5))])
            for value in (0.0, 1.0):  # equal bounds: y_j = 0 first
                lo2, hi2 = lo.copy(), hi.copy()
                lo2[j] = hi2[j] = value
                count += 1
                heapq.heappush(heap, (z, count, lo2, hi2))
        lower = min([best_obj, floor] + [h[0] for h in heap])
        return best_sel, best_obj, lower


# ----------------------------------------------------------------------------- covering


def _coverage_value(a: sp.csr_matrix, w: FloatArray, y: FloatArray) -> tuple[float, FloatArray]:
    """``F(y) = sum_i w_i min(1, a_i y)`` and the row activities ``a y``."""
    act = a @ y
    return float(w @ np.minimum(act, 1.0)), act


def mclp_benders(
    a: sp.csr_matrix,
    w: FloatArray,
    q: int,
    start: IntArray,
    options: SolverOptions,
    groups: int | None = None,
) -> BendersOutcome:
    """Maximal covering by Benders decomposition (formulation (C1)-(C3) of this module).

    Parameters
    ----------
    a : scipy.sparse.csr_matrix
        Reduced 0/1 coverage matrix: rows are (merged) demand points, columns candidate sites.
    w : numpy.ndarray
        Row weights (> 0).
    q : int
        Sites to open at most (``sum y <= q``: the same optimum as ``= q`` once dominated
        sites are gone, see `optimizer.locate.covering`).
    start : numpy.ndarray
        Columns of a good solution (the greedy one), the MIP start and first core point.
    options : SolverOptions
        HiGHS only; ``time_limit`` bounds the whole solve.
    groups : int, optional
        Number of covered-weight variables: the rows are split into this many groups, each with
        its own ``theta_g`` and cuts (1 = the single cut (C2); the number of rows = the compact
        model's rows added lazily). Default ``ceil(sqrt(rows))``.

    Returns
    -------
    BendersOutcome
        Columns chosen, their covered weight and the best upper bound.
    """
    if options.solver != "highs":
        raise SolverError(
            "Benders decomposition needs HiGHS; use solver='highs' or method='compact'"
        )
    clock = _Clock(options.time_limit)
    master = _CoverMaster(a.tocsr(), w, q, groups)
    best = np.zeros(a.shape[1])
    best[start] = 1.0
    master.consider(best)
    share = math.inf if clock.limit is None else clock.limit
    search = min(_SEARCH_SECONDS, _SEARCH_SHARE * share)
    master.consider(master.swap_search(best, search))
    ub = master.lp_phase(master.best, clock, options)
    if master.y_lp is not None and not _proven(master.best_val, ub, master.integral):
        rounded = np.zeros(a.shape[1])
        rounded[np.argsort(-master.y_lp, kind="stable")[:q]] = 1.0
        master.consider(master.swap_search(rounded, search))
    if not _proven(master.best_val, ub, master.integral) and not clock.out():
        closed = master.fixable(master.best_val)
        master.stats["fixed_closed"] = int(closed.sum())
        if closed.sum() >= _FIX_SHARE * a.shape[1]:
            ub = _reduced_mclp(master, ~closed, ub, clock, options)
    while not _proven(master.best_val, ub, master.integral) and not clock.out():
        out, rejected = master.mip_round(clock, options)
        if math.isfinite(out.bound):
            ub = min(ub, out.bound)  # the master is a relaxation: its bound holds
        if out.x is None or not rejected:
            break
    proven = _proven(master.best_val, ub, master.integral)
    return BendersOutcome(
        SolveStatus.OPTIMAL if proven else SolveStatus.FEASIBLE,
        np.flatnonzero(master.best > 0.5).astype(np.int64),
        master.best_val,
        master.best_val if proven else ub,
        clock.spent(),
        master.stats,
    )


def _reduced_mclp(
    master: _CoverMaster, keep: BoolArray, ub: float, clock: _Clock, options: SolverOptions
) -> float:
    """The compact MCLP over the columns ``keep`` (the others fixed closed); the new bound.

    Solutions opening a fixed column cover at most the incumbent's weight (`fixable`), so the
    bound is the larger of the incumbent's weight and the reduced MIP's bound.
    """
    lower = master.best_val
    cols = np.flatnonzero(keep)
    sub = master.a[:, cols].tocsr()
    live = np.diff(sub.indptr) > 0
    sub = sub[live]
    start = np.flatnonzero(master.best[cols] > 0.5).astype(np.int64)
    out = solve_mip(mclp_model(sub, master.w[live], master.q, start), clock.options(options))
    master.stats["reduced_cols"] = len(cols)
    if out.x is not None:
        y = np.zeros(master.n_col)
        y[cols[out.x[: len(cols)] > 0.5]] = 1.0
        master.consider(y)
    if math.isfinite(out.bound):
        ub = min(ub, max(out.bound, lower))
    return ub


class _CoverMaster:
    """The MCLP master (C1)-(C3) with one ``theta_g`` per group of rows."""

    def __init__(self, a: sp.csr_matrix, w: FloatArray, q: int, groups: int | None) -> None:
        n_row, n_col = a.shape
        self.a, self.w, self.q, self.n_col = a, w, q, n_col
        self.n_g = max(1, min(n_row, groups or math.ceil(math.sqrt(n_row))))
        self.group = np.arange(n_row) % self.n_g  # merged rows come in order of first sight
        self.w_g = np.bincount(self.group, weights=w, minlength=self.n_g)
        self.integral = bool(np.all(w == np.round(w)))
        self.stats = {"lp_rounds": 0, "cuts": 0, "mip_rounds": 0, "rejected": 0, "groups": self.n_g}
        self.cut_rows: list[sp.csr_matrix] = []
        self.cut_rhs: list[FloatArray] = []
        self.cut_group: list[IntArray] = []
        self.best = np.zeros(n_col)
        self.best_val = -math.inf
        self.duals: FloatArray | None = None  # cut-row duals of the last master LP solved
        self.y_lp: FloatArray | None = None

    def consider(self, y: FloatArray) -> float:
        """Keep ``y`` (integral) if it covers more than the best so far; its covered weight."""
        value = _coverage_value(self.a, self.w, y)[0]
        if value > self.best_val:
            self.best, self.best_val = y, value
        return value

    def separate(self, y: FloatArray) -> tuple[FloatArray, sp.csr_matrix, FloatArray]:
        """Per group: ``F_g(y)``, and cuts ``theta_g - coef_g @ y <= rhs_g`` (tight at y)."""
        act = self.a @ y
        short = act < 1.0 - 1e-9
        n_g, g, w = self.n_g, self.group, self.w
        value = np.bincount(g, weights=w * np.minimum(act, 1.0), minlength=n_g).astype(np.float64)
        rhs = np.bincount(g, weights=np.where(short, 0.0, w), minlength=n_g).astype(np.float64)
        rows = np.arange(len(w))
        pick = sp.csr_matrix((np.where(short, w, 0.0), (g, rows)), shape=(n_g, len(w)))
        return value, (pick @ self.a).tocsr(), rhs

    def add(self, take: IntArray, coef: sp.csr_matrix, rhs: FloatArray) -> None:
        sub = coef[take].tocoo()
        r = np.concatenate([sub.row, np.arange(len(take))])
        c = np.concatenate([sub.col, self.n_col + take])
        v = np.concatenate([-sub.data, np.ones(len(take))])
        shape = (len(take), self.n_col + self.n_g)
        self.cut_rows.append(sp.csr_matrix((v, (r, c)), shape=shape))  # (C2)
        self.cut_rhs.append(rhs[take])
        self.cut_group.append(take)
        self.stats["cuts"] += len(take)

    def violated(self, y_sep: FloatArray, y: FloatArray, theta: FloatArray) -> tuple[int, float]:
        """Add the cuts separated at ``y_sep`` that ``(y, theta)`` violates; count and F."""
        value, coef, rhs = self.separate(y_sep)
        at_y = rhs + coef @ y
        take = np.flatnonzero(theta > at_y + _VIOLATION * np.maximum(np.abs(at_y), 1.0))
        if len(take):
            self.add(take.astype(np.int64), coef, rhs)
        return len(take), float(value.sum())

    def model(self, integer: bool, y0: FloatArray | None) -> MipModel:
        n_col, n_g = self.n_col, self.n_g
        budget = sp.csr_matrix(np.concatenate([np.ones(n_col), np.zeros(n_g)])[None, :])  # (C3)
        rhs = np.concatenate(self.cut_rhs)
        start = None if y0 is None else np.concatenate([y0, self.separate(y0)[0]])
        return MipModel(
            sense="max",
            c=np.concatenate([np.zeros(n_col), np.ones(n_g)]),
            a_matrix=sp.vstack([budget, *self.cut_rows], format="csr"),
            row_lower=np.full(len(rhs) + 1, -np.inf),
            row_upper=np.concatenate([[float(self.q)], rhs]),
            col_lower=np.zeros(n_col + n_g),
            col_upper=np.concatenate([np.ones(n_col), self.w_g]),
            integer=np.concatenate([np.full(n_col, integer), np.zeros(n_g, dtype=bool)]),
            start=start,
            integral_objective=self.integral,
        )

    def lp_phase(self, best: FloatArray, clock: _Clock, options: SolverOptions) -> float:
        """Kelley's cutting planes on the master LP, stabilised in-out; returns its bound."""
        n_col = self.n_col
        core = 0.5 * best + 0.5 * min(self.q / max(n_col, 1), 1.0)
        for point in (core, best):
            _, coef, rhs = self.separate(point)
            self.add(np.arange(self.n_g, dtype=np.int64), coef, rhs)
        session = LpSession(self.model(False, None), options)
        lam, ub, low = 0.5, math.inf, -math.inf
        for _ in range(_MAX_LP_ROUNDS):
            if clock.out():
                break
            out = session.solve(clock.left())
            self.stats["lp_rounds"] += 1
            if out.x is None:
                break
            y, theta = np.clip(out.x[:n_col], 0.0, 1.0), out.x[n_col:]
            self.duals = session.row_duals()[1:]  # row 0 is the budget (C3)
            self.y_lp = y
            ub = min(ub, out.objective)  # every master LP is a relaxation of the problem
            low = max(low, _coverage_value(self.a, self.w, y)[0])
            if ub - low <= _LP_REL_GAP * abs(ub):
                break
            n_old = len(self.cut_rows)
            added, value = self.violated(lam * y + (1 - lam) * core, y, theta)
            low = max(low, value)
            if not added and lam < 1.0:
                lam = 1.0
                added, _ = self.violated(y, y, theta)
            if not added:
                break  # no cut violated at the LP solution: the LP is solved
            for block, rhs in zip(self.cut_rows[n_old:], self.cut_rhs[n_old:], strict=True):
                session.add_rows(block, np.full(len(rhs), -np.inf), rhs)
            core = 0.5 * (core + y)
        return ub

    def dual_bound(self) -> tuple[float, FloatArray]:
        """An upper bound ``F(y) <= const + s @ y`` for every ``y`` from the LP duals: (const, s).

        For each group, cuts (C2) with multipliers ``u_k >= 0``, ``sum_k u_k <= 1`` (the duals,
        scaled down where they sum above 1) and ``theta_g <= w_g`` with ``1 - sum_k u_k`` give
        ``F_g(y) <= sum_k u_k (rhs_k + coef_k @ y) + (1 - sum_k u_k) w_g`` for every ``y`` in
        ``[0, 1]``: a convex combination of valid over-estimates. Valid whatever the duals are.
        """
        n = sum(len(r) for r in self.cut_rhs)
        if self.duals is None or n == 0:
            return float(self.w.sum()), np.zeros(self.n_col)
        u = np.abs(self.duals[:n])
        rhs = np.concatenate(self.cut_rhs)[: len(u)]
        group = np.concatenate(self.cut_group)[: len(u)]
        cuts = sp.vstack(self.cut_rows, format="csr")[: len(u)]
        total = np.bincount(group, weights=u, minlength=self.n_g)
        scale = np.where(total > 1.0, 1.0 / np.maximum(total, 1e-300), 1.0)
        u = u * scale[group]
        total = np.minimum(total, 1.0)
        const = float(u @ rhs + (1.0 - total) @ self.w_g)
        slope = -np.asarray(cuts[:, : self.n_col].T @ u).ravel()  # cuts hold -coef on y
        return const, np.maximum(slope, 0.0)

    def fixable(self, lower: float) -> BoolArray:
        """Columns in no solution covering more than ``lower``, by `dual_bound`.

        Opening column ``j`` covers at most ``const + s_j + (sum of the q - 1 largest other
        s)``; when that is at most ``lower`` (the incumbent's weight), no better solution opens
        ``j``. The incumbent's own columns are never returned.
        """
        const, slope = self.dual_bound()
        q = min(self.q, self.n_col)
        if q <= 0:
            return np.zeros(self.n_col, dtype=bool)
        top = np.argsort(-slope, kind="stable")[:q]
        bound = const + float(slope[top].sum())
        with_j = bound - float(slope[top[-1]]) + slope
        with_j[top] = bound
        closed: BoolArray = with_j < lower - 1e-9 * max(abs(lower), 1.0)
        closed[self.best > 0.5] = False
        return closed

    def swap_search(self, y: FloatArray, seconds: float) -> FloatArray:
        """Best-improvement swaps (and additions while fewer than q) from the integral ``y``.

        Swapping open ``r`` for closed ``j`` changes the covered weight by
        ``gain_j - loss_r + both_rj``: the uncovered weight ``j`` covers, the weight only ``r``
        covers, and the weight covered only by ``r`` that ``j`` also covers.
        """
        deadline = time.perf_counter() + seconds
        a, w = self.a, self.w
        at = a.T.tocsr()
        y = (y > 0.5).astype(np.float64)
        tol = 1e-9 * max(float(w.sum()), 1.0)
        while time.perf_counter() < deadline:
            cnt = a @ y
            gain = at @ (w * (cnt < 0.5))
            opened = np.flatnonzero(y > 0.5)
            gain[opened] = -np.inf
            if len(opened) < self.q:
                j = int(np.argmax(gain))
                if not gain[j] > tol:
                    break
                y[j] = 1.0
                continue
            if len(opened) == 0:
                break
            once = w * (np.abs(cnt - 1.0) < 0.5)
            loss = at[opened] @ once
            both = (at[opened].multiply(once[None, :]) @ a).toarray()  # (open, columns)
            delta = gain[None, :] - loss[:, None] + both
            r, c = (int(v) for v in np.unravel_index(int(np.argmax(delta)), delta.shape))
            if not delta[r, c] > tol:
                break
            y[opened[r]], y[c] = 0.0, 1.0
        return y

    def mip_round(self, clock: _Clock, options: SolverOptions) -> tuple[MipOutcome, bool]:
        """The master MIP with every cut so far; an incumbent a cut would cut off stops it."""
        self.stats["mip_rounds"] += 1
        rejected = False

        def check(x: FloatArray) -> bool:
            nonlocal rejected
            y = (x[: self.n_col] > 0.5).astype(np.float64)
            self.consider(y)
            added, _ = self.violated(y, y, x[self.n_col :])
            if added:
                self.stats["rejected"] += 1
                rejected = True
            return added > 0

        out = solve_mip(self.model(True, self.best), clock.options(options), on_solution=check)
        if out.x is not None:
            check(out.x)
        return out, rejected


METHODS = ("auto", "compact", "benders")
# "auto" picks Benders from these sizes on (HiGHS only), as measured on the shared instances:
# demand x sites for the p-median (the 5 000 x 300 one is proven in seconds by Benders, not in
# 120 s by the compact model); nonzeros of the reduced coverage matrix for the MCLP (the compact
# model proves the 113 000-nonzero medium tight MCLP, Benders ends its 2.2 million-nonzero large
# one far closer); rows of the reduced matrix for the LSCP, from where row dominance is too
# costly to run (there the lazily added rows do its work).
AUTO_MIN_PAIRS = 1_000_000
AUTO_MIN_NNZ = 1_000_000
AUTO_MIN_ROWS = 20_000


def use_benders(method: str, solver: str, size: float, threshold: float) -> bool:
    """Whether a kernel should solve by Benders decomposition.

    Parameters
    ----------
    method : {"auto", "compact", "benders"}
        The kernel's ``method`` argument.
    solver : str
        The kernel's solver; Benders needs HiGHS.
    size, threshold : float
        The instance's size and the size from which "auto" chooses Benders.

    Raises
    ------
    DataError
        For an unknown method, or ``method="benders"`` with a solver other than HiGHS.
    """
    if method not in METHODS:
        raise DataError(f"method: got {method!r}; use one of {', '.join(METHODS)}")
    if method == "benders" and solver != "highs":
        raise DataError(
            f"method='benders' needs solver='highs' (got {solver!r}); "
            "use solver='highs', or method='compact' with CBC"
        )
    if method == "auto":
        return solver == "highs" and size >= threshold
    return method == "benders"


_FIRST_ROWS = 2000  # rows of the first set-cover master (the most constraining ones)
_ROWS_PER_ROUND = 5000  # uncovered rows added per round, fewest covering sites first


def set_cover_rows(
    a: sp.csr_matrix, options: SolverOptions
) -> tuple[SolveStatus, IntArray, float, float, str]:
    """Minimum set cover of the rows of ``a``, its cover rows added lazily (feasibility cuts).

    Parameters
    ----------
    a : scipy.sparse.csr_matrix
        Reduced 0/1 coverage matrix; every row has at least one column.
    options : SolverOptions
        Solver and limits; ``time_limit`` bounds the whole loop.

    Returns
    -------
    tuple
        Status, chosen columns, best lower bound on the count, seconds and a status text, as
        `optimizer.locate.covering.solve_set_cover` returns them.
    """
    clock = _Clock(options.time_limit)
    a = a.tocsr()
    n_row, n_col = a.shape
    if n_row == 0:
        return SolveStatus.OPTIMAL, np.zeros(0, dtype=np.int64), 0.0, 0.0, "empty"
    size = np.diff(a.indptr)
    order = np.argsort(size, kind="stable")
    active = np.zeros(n_row, dtype=bool)
    active[order[:_FIRST_ROWS]] = True
    full = greedy_cover(a.tocsc(), np.ones(n_row), None)  # a full cover: upper bound, start
    best = full
    lb, rounds, raw = 0.0, 0, ""
    status = SolveStatus.FEASIBLE
    while not clock.out():
        rounds += 1
        sub = a[active]
        y0 = np.zeros(n_col)
        y0[best] = 1.0  # covers every row, so it is feasible for every subset
        out = solve_mip(
            MipModel(
                sense="min",
                c=np.ones(n_col),
                a_matrix=sub,
                row_lower=np.ones(sub.shape[0]),
                row_upper=np.full(sub.shape[0], np.inf),
                col_lower=np.zeros(n_col),
                col_upper=np.ones(n_col),
                integer=np.ones(n_col, dtype=bool),
                start=y0,
                integral_objective=True,
            ),
            clock.options(options),
        )
        raw = out.raw_status
        if math.isfinite(out.bound):
            lb = max(lb, out.bound)  # a cover of some rows never needs more sites than of all
        if out.x is None:
            break
        y = (out.x > 0.5).astype(np.float64)
        short = (a @ y) < 0.5
        chosen = np.flatnonzero(y).astype(np.int64)
        if not short.any():
            if len(chosen) < len(best):
                best = chosen
            status = out.status
            break
        repair = greedy_cover(a[short].tocsc(), np.ones(int(short.sum())), None)
        repaired = np.union1d(chosen, repair).astype(np.int64)
        if len(repaired) < len(best):
            best = repaired
        if out.status is not SolveStatus.OPTIMAL:
            break  # a limit stopped this round: keep the best full cover and the bound
        new = np.flatnonzero(short)
        new = new[np.argsort(size[new], kind="stable")[:_ROWS_PER_ROUND]]
        active[new] = True
    if status is SolveStatus.OPTIMAL or _proven(float(len(best)), lb, True):
        return SolveStatus.OPTIMAL, best, float(len(best)), clock.spent(), f"{raw}, {rounds} rounds"
    return SolveStatus.FEASIBLE, best, lb, clock.spent(), f"{raw}, {rounds} rounds"
