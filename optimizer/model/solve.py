"""The solve boundary: run a PuLP problem on HiGHS or CBC and read an honest result back.

The only module that reads solver results. HiGHS runs through PuLP's ``HiGHS`` class (highspy);
its status, objective and dual bound are read from the ``highspy.Highs`` object PuLP keeps in
``problem.solverModel``, never from PuLP's status, which calls a time-limited incumbent
"Optimal". CBC runs through ``PULP_CBC_CMD``; its outcome is read from CBC's log.

A result is `SolveStatus.OPTIMAL` only when the solver proved optimality *and* the relative gap
between objective and bound is float noise (<= 1e-6): a run stopped by a time limit or by a
``mip_gap`` above zero is `SolveStatus.FEASIBLE`, with its gap.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulp

from optimizer.config.sections import SolverSection
from optimizer.errors import SolverError
from optimizer.solvers.cbc import solve_logged
from optimizer.solvers.highs import reset_scheduler_for
from optimizer.solvers.status import SolveStatus, classify

__all__ = ["SolveResult", "solve_problem"]

_NUMBER = r"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"


@dataclass(frozen=True)
class SolveResult:
    """What one solver call proved.

    Attributes
    ----------
    status : SolveStatus
        ``optimal`` (proven), ``feasible`` (a time or gap limit stopped the proof),
        ``infeasible`` or ``error`` (solver failure, or a limit reached without a solution).
    objective : float
        Objective of the returned solution, in the problem's own sense (NaN without one).
    bound : float
        Solver's best bound on the optimum (equal to ``objective`` when optimal).
    gap : float
        ``|objective - bound| / |objective|``; 0 when optimal, ``inf`` when unknown.
    seconds : float
        Wall time of the solver call.
    raw_status : str
        The solver's own status text.
    values : Mapping[str, float]
        Variable name -> value (empty without a solution).
    """

    status: SolveStatus
    objective: float
    bound: float
    gap: float
    seconds: float
    raw_status: str
    values: Mapping[str, float] = field(default_factory=dict)

    @property
    def has_solution(self) -> bool:
        """True when a solution (proven optimal or not) came back."""
        return self.status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)


def solve_problem(problem: pulp.LpProblem, options: SolverSection,
                  start: Mapping[str, float] | None = None) -> SolveResult:
    """Solve ``problem`` with the solver and limits of ``options``.

    ``start`` (variable name -> value) is handed to HiGHS as a starting incumbent, which the
    lexicographic stages use: the previous stage's optimum is feasible for the next one.

    Raises
    ------
    SolverError
        If the solver cannot be run at all.
    """
    if options.name == "cbc":
        return _solve_cbc(problem, options)
    return _solve_highs(problem, options, start)


def _classify(objective: float, bound: float, proven: bool) -> tuple[SolveStatus, float, float]:
    status, gap = classify(objective, bound, proven)
    return status, (objective if status is SolveStatus.OPTIMAL else bound), gap


def _values(problem: pulp.LpProblem) -> dict[str, float]:
    return {v.name: float(v.varValue) for v in problem.variables() if v.varValue is not None}


def _solve_highs(problem: pulp.LpProblem, options: SolverSection,
                 start: Mapping[str, float] | None) -> SolveResult:
    result = _solve_highs_once(problem, options, start)
    if start and result.has_solution and not _consistent(problem, result):
        # Seen with highspy 1.16: after a MIP start, the reported objective is the new
        # optimum's but the column values handed back are the start's. Values that do not
        # reproduce the objective are never used: solve again without the start.
        result = _solve_highs_once(problem, options, None)
    return result


def _consistent(problem: pulp.LpProblem, result: SolveResult) -> bool:
    """Whether the returned values reproduce the reported objective."""
    expr = problem.objective
    if expr is None:
        return True
    total = float(expr.constant) + sum(float(c) * result.values.get(v.name, 0.0)
                                       for v, c in expr.items())
    return abs(total - result.objective) <= 1e-6 * max(1.0, abs(result.objective))


def _solve_highs_once(problem: pulp.LpProblem, options: SolverSection,
                      start: Mapping[str, float] | None) -> SolveResult:
    import highspy  # noqa: PLC0415  (only when HiGHS runs)
    import numpy as np  # noqa: PLC0415

    solver = pulp.HiGHS(msg=False, timeLimit=options.time_limit_s, gapRel=options.mip_gap,
                        threads=options.threads, random_seed=0)
    reset_scheduler_for(options.threads)
    t0 = time.perf_counter()
    try:
        # PuLP's own HiGHS.actualSolve, with a MIP start slotted in before the run.
        variables = problem.variables()
        solver.createAndConfigureSolver(problem)
        if options.node_limit is not None:
            problem.solverModel.setOptionValue("mip_max_nodes", int(options.node_limit))
        solver.buildSolverModel(problem)
        if start:
            values = np.array([start.get(v.name, v.lowBound or 0.0) for v in variables],
                              dtype=np.float64)
            problem.solverModel.setSolution(len(values), np.arange(len(values), dtype=np.int32),
                                            values)
        solver.callSolver(problem)
        problem.assignStatus(*solver.findSolutionValues(problem))
    except pulp.PulpSolverError as exc:
        raise SolverError(f"HiGHS failed: {exc}") from exc
    seconds = time.perf_counter() - t0
    h = problem.solverModel
    status = h.getModelStatus()
    raw = h.modelStatusToString(status)
    info = h.getInfo()
    ms = highspy.HighsModelStatus
    if status in (ms.kInfeasible, ms.kUnboundedOrInfeasible):
        return SolveResult(SolveStatus.INFEASIBLE, math.nan, math.nan, math.nan, seconds, raw)
    if int(info.primal_solution_status) != 2:  # no feasible solution at hand
        return SolveResult(SolveStatus.ERROR, math.nan, math.nan, math.nan, seconds, raw)
    # PuLP hands HiGHS the negated objective when maximising, and drops the constant.
    sign = -1.0 if problem.sense == pulp.LpMaximize else 1.0
    constant = float(problem.objective.constant) if problem.objective is not None else 0.0
    objective = sign * float(info.objective_function_value) + constant
    if problem.isMIP():
        dual = float(info.mip_dual_bound)
        bound = sign * dual + constant if math.isfinite(dual) else math.nan
    else:
        bound = objective
    st, bound, gap = _classify(objective, bound, status == ms.kOptimal)
    return SolveResult(st, objective, bound, gap, seconds, raw, _values(problem))


def _solve_cbc(problem: pulp.LpProblem, options: SolverSection) -> SolveResult:
    run = solve_logged(problem, lambda log_path: pulp.PULP_CBC_CMD(
        msg=False, timeLimit=options.time_limit_s, gapRel=options.mip_gap,
        threads=options.threads, logPath=log_path))
    log, raw, seconds = run.log, run.result, run.seconds
    low = raw.lower()
    if "infeasible" in low or problem.status == pulp.LpStatusInfeasible:
        return SolveResult(SolveStatus.INFEASIBLE, math.nan, math.nan, math.nan, seconds, raw)
    if problem.sol_status not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        return SolveResult(SolveStatus.ERROR, math.nan, math.nan, math.nan, seconds, raw)
    objective = float(pulp.value(problem.objective) or 0.0)
    proven = low.startswith("optimal solution found") and "gap" not in low
    bound = objective
    if not proven:
        label = "Upper bound" if problem.sense == pulp.LpMaximize else "Lower bound"
        m = re.search(label + r":\s+" + _NUMBER, log, flags=re.IGNORECASE)
        constant = float(problem.objective.constant) if problem.objective is not None else 0.0
        bound = float(m.group(1)) + constant if m else math.nan
    st, bound, gap = _classify(objective, bound, proven)
    return SolveResult(st, objective, bound, gap, seconds, raw, _values(problem))
