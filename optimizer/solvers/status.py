"""What a solver proved, in the project's own words: one status enum and one gap rule for all."""

from __future__ import annotations

import math
from enum import StrEnum

__all__ = ["PROVEN_GAP", "SolveStatus", "classify", "relative_gap"]

#: A relative (or absolute, for objectives near zero) gap at or below this counts as closed.
PROVEN_GAP = 1e-6


class SolveStatus(StrEnum):
    """What the solver proved.

    ``OPTIMAL`` only when optimality is proven (gap zero, or below one unit on an integral
    objective); ``FEASIBLE`` when a solution exists but a time or gap limit stopped the proof;
    ``INFEASIBLE`` when no solution exists; ``ERROR`` when the solver failed or stopped at a
    limit without any solution (the kernels raise `SolverError` in that case).
    """

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    ERROR = "error"


def relative_gap(objective: float, bound: float) -> float:
    """Relative distance between an objective and a bound, ``|obj - bound| / max(|obj|, 1e-9)``."""
    if not (math.isfinite(objective) and math.isfinite(bound)):
        return math.inf
    return abs(objective - bound) / max(abs(objective), 1e-9)


def classify(objective: float, bound: float, solver_proved: bool, *,
             integral: bool = False) -> tuple[SolveStatus, float]:
    """``OPTIMAL`` with gap 0 when the solver proved it and the bound closes, else ``FEASIBLE``.

    The bound closes when the relative gap, or the absolute one (objectives near zero), is at
    most `PROVEN_GAP`, or, for an integral objective, when the two differ by less than one unit.
    """
    gap = relative_gap(objective, bound)
    if not math.isfinite(gap):
        return SolveStatus.FEASIBLE, math.inf
    diff = abs(objective - bound)
    closed = gap <= PROVEN_GAP or diff <= PROVEN_GAP or (integral and diff < 1.0 - PROVEN_GAP)
    if closed and solver_proved:
        return SolveStatus.OPTIMAL, 0.0
    return SolveStatus.FEASIBLE, gap
