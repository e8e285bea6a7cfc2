"""The solver boundary: a MIP in matrix form in, a `MipOutcome` with an honest status out.

This is the only module that talks to a solver. HiGHS is driven through ``highspy`` directly:
the whole constraint matrix is handed over in one ``passModel`` call (CSR arrays), and the
result is read from HiGHS's own model status, dual bound and gap, so a run stopped by a time
limit is never reported as optimal. CBC runs through PuLP (``PULP_CBC_CMD``); its outcome is
read from CBC's own log (``Result - ...``, ``Objective value``, ``Lower bound``), not from
PuLP's status, which maps "stopped on time with a solution" to ``Optimal``.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from optimizer.errors import SolverError
from optimizer.solvers.cbc import solve_logged
from optimizer.solvers.highs import reset_scheduler_for, silent_highs
from optimizer.solvers.status import SolveStatus, classify

__all__ = ["SOLVERS", "LpSession", "MipModel", "MipOutcome", "SolverOptions", "solve_mip"]

SOLVERS = ("highs", "cbc")
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
# A relative gap this small is float noise in the solver's own bound, not an open question.


@dataclass(frozen=True)
class SolverOptions:
    """How to run the solver.

    Attributes
    ----------
    solver : {"highs", "cbc"}
        HiGHS through highspy (default) or CBC through PuLP.
    time_limit : float or None
        Wall-clock limit in seconds for one solver call; None for no limit.
    mip_gap : float
        Relative MIP gap at which the solver may stop. Any stop with a gap above float noise is
        reported as `SolveStatus.FEASIBLE`, never as optimal.
    threads : int or None
        Solver threads; None leaves the solver's default.
    """

    solver: str = "highs"
    time_limit: float | None = None
    mip_gap: float = 0.0
    threads: int | None = None


@dataclass(frozen=True)
class MipModel:
    """``min/max c @ x + offset`` s.t. ``row_lower <= A @ x <= row_upper``, column bounds.

    Attributes
    ----------
    sense : {"min", "max"}
        Direction of the objective.
    c : numpy.ndarray
        Objective coefficients, one per column.
    a_matrix : scipy.sparse.csr_matrix
        Constraint matrix (rows x columns).
    row_lower, row_upper : numpy.ndarray
        Row bounds (``-inf``/``inf`` for free sides).
    col_lower, col_upper : numpy.ndarray
        Column bounds.
    integer : numpy.ndarray
        Boolean mask of integer columns.
    offset : float
        Constant added to the objective.
    start : numpy.ndarray or None
        A feasible solution to start from (MIP start), or None.
    integral_objective : bool
        True when every feasible objective value is an integer (unit costs, integer weights):
        a bound within less than one unit of the incumbent then proves optimality.
    interior_point : bool
        For a pure LP (no integer column): solve it with HiGHS's interior-point method (IPX,
        with crossover to a basic solution) instead of the dual simplex; faster on large
        sparse LPs such as the p-median relaxations. Ignored for MIPs and by CBC.
    """

    sense: Literal["min", "max"]
    c: FloatArray
    a_matrix: sp.csr_matrix
    row_lower: FloatArray
    row_upper: FloatArray
    col_lower: FloatArray
    col_upper: FloatArray
    integer: npt.NDArray[np.bool_]
    offset: float = 0.0
    start: FloatArray | None = None
    integral_objective: bool = False
    interior_point: bool = False


@dataclass(frozen=True)
class MipOutcome:
    """What came back from the solver.

    Attributes
    ----------
    status : SolveStatus
        Proven optimal, feasible (a limit stopped the proof), infeasible, or error.
    x : numpy.ndarray or None
        Column values of the best solution, None when there is none.
    objective : float
        Objective of ``x`` including the offset (NaN without a solution).
    bound : float
        Solver's best bound on the optimum (NaN when unknown).
    gap : float
        Relative gap between objective and bound.
    seconds : float
        Wall time of the solver call.
    raw_status : str
        The solver's own status text, for logs and reports.
    """

    status: SolveStatus
    x: FloatArray | None
    objective: float
    bound: float
    gap: float
    seconds: float
    raw_status: str


def solve_mip(
    model: MipModel,
    options: SolverOptions,
    on_solution: Callable[[FloatArray], bool] | None = None,
) -> MipOutcome:
    """Solve ``model`` with the solver named in ``options``.

    Parameters
    ----------
    model : MipModel
        The problem in matrix form.
    options : SolverOptions
        Solver name and limits.
    on_solution : callable, optional
        HiGHS only: called with every integer-feasible solution the MIP search finds (column
        values); returning True stops the search as soon as HiGHS allows (a Benders loop uses
        it to reject an incumbent that a missing cut made look too good). A stopped search is
        never reported optimal.

    Returns
    -------
    MipOutcome
        Status read from the solver's own report.

    Raises
    ------
    SolverError
        If the solver name is unknown or the solver cannot be run.
    """
    if options.solver == "highs":
        return _solve_highs(model, options, on_solution)
    if on_solution is not None:
        raise SolverError("a solution callback needs HiGHS; use solver='highs'")
    if options.solver == "cbc":
        return _solve_cbc(model, options)
    raise SolverError(f"unknown solver {options.solver!r}; use one of {', '.join(SOLVERS)}")


def _classify(
    model: MipModel, objective: float, bound: float, solver_says_optimal: bool
) -> tuple[SolveStatus, float]:
    """Map an incumbent and a bound to OPTIMAL or FEASIBLE, with the relative gap."""
    return classify(objective, bound, solver_says_optimal, integral=model.integral_objective)

def _new_highs(highspy: Any, options: SolverOptions) -> Any:
    """A silent, seeded HiGHS instance with the requested threads."""
    reset_scheduler_for(options.threads)
    h = silent_highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("random_seed", 0)
    if options.threads is not None:
        h.setOptionValue("threads", int(options.threads))
    return h


def _pass_model(highspy: Any, h: Any, model: MipModel, integrality: np.ndarray) -> Any:
    """Hand the whole model to HiGHS in one call (CSR rows); returns HiGHS's status."""
    a = model.a_matrix.tocsr()
    a.sort_indices()
    n_row, n_col = a.shape
    return h.passModel(
        int(n_col),
        int(n_row),
        int(a.nnz),
        int(highspy.MatrixFormat.kRowwise),
        int(highspy.ObjSense.kMaximize if model.sense == "max" else highspy.ObjSense.kMinimize),
        float(model.offset),
        np.ascontiguousarray(model.c, dtype=np.float64),
        np.ascontiguousarray(model.col_lower, dtype=np.float64),
        np.ascontiguousarray(model.col_upper, dtype=np.float64),
        np.ascontiguousarray(model.row_lower, dtype=np.float64),
        np.ascontiguousarray(model.row_upper, dtype=np.float64),
        np.ascontiguousarray(a.indptr[:-1], dtype=np.int32),
        np.ascontiguousarray(a.indices, dtype=np.int32),
        np.ascontiguousarray(a.data, dtype=np.float64),
        integrality,
    )


def _watch_solutions(highspy: Any, h: Any, on_solution: Callable[[FloatArray], bool]) -> None:
    """Show HiGHS's MIP solutions to ``on_solution``; interrupt once it returns True."""
    stop = [False]
    kinds = highspy.cb.HighsCallbackType

    def callback(kind: Any, _msg: str, data_out: Any, data_in: Any, _user: Any) -> None:
        if int(kind) == int(kinds.kCallbackMipSolution):
            # a copy: the array is HiGHS's buffer, reused after the callback returns
            if not stop[0] and on_solution(np.array(data_out.mip_solution, dtype=np.float64)):
                stop[0] = True
        elif stop[0]:
            data_in.user_interrupt = True  # only the interrupt callback may stop the search

    h.setCallback(callback, None)
    h.startCallback(kinds.kCallbackMipSolution)
    h.startCallback(kinds.kCallbackMipInterrupt)


def _solve_highs(
    model: MipModel,
    options: SolverOptions,
    on_solution: Callable[[FloatArray], bool] | None = None,
) -> MipOutcome:
    import highspy  # noqa: PLC0415  (heavy import, only when HiGHS is asked for)

    h = _new_highs(highspy, options)
    if on_solution is not None:
        _watch_solutions(highspy, h, on_solution)
    h.setOptionValue("mip_rel_gap", float(options.mip_gap))
    if model.integral_objective and options.mip_gap == 0.0:
        # Integral objective: a bound less than one unit away already proves optimality.
        h.setOptionValue("mip_abs_gap", 1.0 - 1e-6)
    if options.time_limit is not None:
        h.setOptionValue("time_limit", float(max(options.time_limit, 1e-3)))
    if model.interior_point and not bool(model.integer.any()):
        h.setOptionValue("solver", "ipx")
        h.setOptionValue("run_crossover", "on")
    n_col = model.a_matrix.shape[1]
    t0 = time.perf_counter()
    status = _pass_model(highspy, h, model, model.integer.astype(np.int32))
    if status == highspy.HighsStatus.kError:
        raise SolverError("HiGHS rejected the model (passModel returned an error)")
    if model.start is not None:
        h.setSolution(
            int(n_col),
            np.arange(n_col, dtype=np.int32),
            np.ascontiguousarray(model.start, dtype=np.float64),
        )
    h.run()
    seconds = time.perf_counter() - t0
    model_status = h.getModelStatus()
    raw = h.modelStatusToString(model_status)
    info = h.getInfo()
    ms = highspy.HighsModelStatus
    if model_status in (ms.kInfeasible, ms.kUnboundedOrInfeasible):
        return MipOutcome(SolveStatus.INFEASIBLE, None, math.nan, math.nan, math.nan, seconds, raw)
    has_solution = int(info.primal_solution_status) == 2  # kSolutionStatusFeasible
    if not has_solution:
        return MipOutcome(SolveStatus.ERROR, None, math.nan, math.nan, math.nan, seconds, raw)
    x = np.asarray(h.getSolution().col_value, dtype=np.float64)
    objective = float(info.objective_function_value)
    bound = float(info.mip_dual_bound) if bool(model.integer.any()) else objective
    if not math.isfinite(bound):
        bound = math.nan
    solver_optimal = model_status == ms.kOptimal
    st, gap = _classify(
        model, objective, bound if math.isfinite(bound) else math.inf, solver_optimal
    )
    if st is SolveStatus.OPTIMAL:
        bound = objective
    return MipOutcome(st, x, objective, bound, gap, seconds, raw)


_CBC_NUMBER = r"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?inf(?:inity)?)"


def _cbc_value(log: str, label: str) -> float:
    m = re.search(label + r":\s+" + _CBC_NUMBER, log, flags=re.IGNORECASE)
    return float(m.group(1)) if m else math.nan


def _pulp_problem(model: MipModel) -> tuple[Any, list[Any]]:
    """The model as a PuLP problem (one affine expression per CSR row) and its variables."""
    import pulp  # noqa: PLC0415  (only when CBC is asked for)

    a = model.a_matrix.tocsr()
    n_row, n_col = a.shape
    sense = pulp.LpMaximize if model.sense == "max" else pulp.LpMinimize
    prob = pulp.LpProblem("medalloc_locate", sense)

    def make_var(k: int) -> Any:
        lower = None if math.isinf(model.col_lower[k]) else float(model.col_lower[k])
        upper = None if math.isinf(model.col_upper[k]) else float(model.col_upper[k])
        cat = pulp.LpInteger if model.integer[k] else pulp.LpContinuous
        if hasattr(prob, "add_variable"):  # PuLP >= 3.3 (the constructor is deprecated there)
            return prob.add_variable(f"x{k}", lower, upper, cat=cat)
        return pulp.LpVariable(f"x{k}", lower, upper, cat=cat)

    cols = [make_var(k) for k in range(n_col)]
    nz = np.flatnonzero(model.c)
    prob += pulp.LpAffineExpression([(cols[k], float(model.c[k])) for k in nz]) + float(
        model.offset
    )
    indptr, indices, data = a.indptr, a.indices, a.data
    for r in range(n_row):
        lo, hi = float(model.row_lower[r]), float(model.row_upper[r])
        terms = [
            (cols[int(k)], float(v))
            for k, v in zip(
                indices[indptr[r] : indptr[r + 1]], data[indptr[r] : indptr[r + 1]], strict=True
            )
        ]
        if lo == hi:
            prob += pulp.LpConstraint(
                pulp.LpAffineExpression(terms), pulp.LpConstraintEQ, f"r{r}", lo
            )
            continue
        if math.isfinite(lo):
            prob += pulp.LpConstraint(
                pulp.LpAffineExpression(terms), pulp.LpConstraintGE, f"r{r}l", lo
            )
        if math.isfinite(hi):
            prob += pulp.LpConstraint(
                pulp.LpAffineExpression(terms), pulp.LpConstraintLE, f"r{r}u", hi
            )
    if model.start is not None:
        for var, value in zip(cols, model.start, strict=True):
            var.setInitialValue(float(value))
    return prob, cols


def _solve_cbc(model: MipModel, options: SolverOptions) -> MipOutcome:
    import pulp  # noqa: PLC0415  (only when CBC is asked for)

    prob, cols = _pulp_problem(model)
    run = solve_logged(prob, lambda log_path: _cbc_command(pulp, model, options, log_path))
    log, raw, seconds = run.log, run.result, run.seconds
    low = raw.lower()
    if "infeasible" in low:
        return MipOutcome(SolveStatus.INFEASIBLE, None, math.nan, math.nan, math.nan, seconds, raw)
    values = [v.value() for v in cols]
    if prob.sol_status not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible) or any(
        v is None for v in values
    ):
        return MipOutcome(SolveStatus.ERROR, None, math.nan, math.nan, math.nan, seconds, raw)
    x = np.asarray(values, dtype=np.float64)
    objective = float(model.c @ x) + float(model.offset)
    solver_optimal = low.startswith("optimal solution found")
    if solver_optimal and "gap" not in low:
        bound = objective
    else:
        # CBC prints its bound without the objective constant, as "Lower bound" when
        # minimising and "Upper bound" when maximising.
        label = "Upper bound" if model.sense == "max" else "Lower bound"
        bound = _cbc_value(log, label) + float(model.offset)
    st, gap = _classify(
        model, objective, bound if math.isfinite(bound) else math.inf, solver_optimal
    )
    if st is SolveStatus.OPTIMAL:
        bound = objective
    return MipOutcome(st, x, objective, bound, gap, seconds, raw)


def _cbc_command(pulp: Any, model: MipModel, options: SolverOptions, log_path: str) -> Any:
    return pulp.PULP_CBC_CMD(
        msg=False,
        timeLimit=options.time_limit,
        gapRel=options.mip_gap,
        gapAbs=(1.0 - 1e-6) if (model.integral_objective and options.mip_gap == 0.0) else None,
        threads=options.threads,
        warmStart=model.start is not None,
        logPath=log_path,
    )


class LpSession:
    """An LP kept alive in one HiGHS instance, so that added rows and columns re-solve warm.

    The first solve uses the interior-point method with crossover (fast on large sparse LPs);
    later solves start the dual simplex from the previous basis, which after adding rows
    typically needs few iterations. Integrality in ``model`` is ignored. HiGHS only.
    """

    def __init__(self, model: MipModel, options: SolverOptions) -> None:
        import highspy  # noqa: PLC0415  (heavy import, only when HiGHS is asked for)

        self._hs = highspy
        h = _new_highs(highspy, options)
        h.setOptionValue("solver", "ipx")
        h.setOptionValue("run_crossover", "on")
        n_col = model.a_matrix.shape[1]
        status = _pass_model(highspy, h, model, np.zeros(n_col, dtype=np.int32))
        if status == highspy.HighsStatus.kError:
            raise SolverError("HiGHS rejected the LP (passModel returned an error)")
        self._h = h
        self.n_col = int(n_col)

    def add_columns(self, cost: FloatArray, lower: FloatArray, upper: FloatArray) -> None:
        """Append columns with no entries yet (rows added later may use them)."""
        k = len(cost)
        self._h.addCols(
            int(k),
            np.ascontiguousarray(cost, dtype=np.float64),
            np.ascontiguousarray(lower, dtype=np.float64),
            np.ascontiguousarray(upper, dtype=np.float64),
            0,
            np.zeros(k, dtype=np.int32),
            np.zeros(0, dtype=np.int32),
            np.zeros(0, dtype=np.float64),
        )
        self.n_col += k

    def add_rows(self, rows: sp.csr_matrix, lower: FloatArray, upper: FloatArray) -> None:
        """Append rows given over all current columns."""
        a = rows.tocsr()
        a.sort_indices()
        self._h.addRows(
            int(a.shape[0]),
            np.ascontiguousarray(lower, dtype=np.float64),
            np.ascontiguousarray(upper, dtype=np.float64),
            int(a.nnz),
            np.ascontiguousarray(a.indptr[:-1], dtype=np.int32),
            np.ascontiguousarray(a.indices, dtype=np.int32),
            np.ascontiguousarray(a.data, dtype=np.float64),
        )

    def set_col_bounds(self, cols: IntArray, lower: FloatArray, upper: FloatArray) -> None:
        """Change the bounds of columns ``cols`` (a branch-and-bound node's fixings)."""
        k = len(cols)
        self._h.changeColsBounds(
            int(k),
            np.ascontiguousarray(cols, dtype=np.int32),
            np.ascontiguousarray(lower, dtype=np.float64),
            np.ascontiguousarray(upper, dtype=np.float64),
        )

    def delete_rows(self, rows: IntArray) -> None:
        """Delete rows by position (later rows move up); the basis stays warm."""
        self._h.deleteRows(len(rows), np.ascontiguousarray(rows, dtype=np.int32))

    def values(self) -> FloatArray:
        """Column values of the last solve."""
        return np.asarray(self._h.getSolution().col_value, dtype=np.float64)

    def row_duals(self) -> FloatArray:
        """Row dual values of the last solve (HiGHS's signs), one per row."""
        return np.asarray(self._h.getSolution().row_dual, dtype=np.float64)

    def solve(self, time_limit: float | None) -> MipOutcome:
        """Solve (warm after the first call); OPTIMAL only when HiGHS proves the LP optimum."""
        h, ms = self._h, self._hs.HighsModelStatus
        if time_limit is not None:
            # HiGHS measures time_limit on the instance's run clock, which keeps counting over
            # every run() (HiGHS issue 1477): the limit of this solve starts from it.
            h.setOptionValue("time_limit", float(h.getRunTime() + max(time_limit, 1e-3)))
        t0 = time.perf_counter()
        h.run()
        seconds = time.perf_counter() - t0
        h.setOptionValue("solver", "simplex")  # later calls: warm dual simplex
        model_status = h.getModelStatus()
        raw = h.modelStatusToString(model_status)
        if model_status != ms.kOptimal:
            status = SolveStatus.INFEASIBLE if model_status == ms.kInfeasible else SolveStatus.ERROR
            return MipOutcome(status, None, math.nan, math.nan, math.nan, seconds, raw)
        x = np.asarray(h.getSolution().col_value, dtype=np.float64)
        objective = float(h.getInfo().objective_function_value)
        return MipOutcome(SolveStatus.OPTIMAL, x, objective, objective, 0.0, seconds, raw)
