"""Lexicographic optimisation: solve objective after objective, each holding the ones before.

Stage i maximises (or minimises) its objective subject to every earlier objective staying within
``tolerance`` (relative) of the value its stage reached; a small absolute give (1e-7 relative,
at least 1e-6) absorbs solver round-off so the held value never makes the next stage
infeasible. The run's status is the weakest of its stages: one time-limited stage makes the
whole plan "feasible", never "optimal".
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulp

from optimizer.model.objectives import objective
from optimizer.model.problem import AllocationModel
from optimizer.model.sections import SolverSection
from optimizer.model.solve import SolveResult, SolveStatus, solve_problem

__all__ = ["ModelRun", "StageResult", "optimise", "stage_gap"]

_RANK = {SolveStatus.OPTIMAL: 0, SolveStatus.FEASIBLE: 1, SolveStatus.INFEASIBLE: 2,
         SolveStatus.ERROR: 3}


@dataclass(frozen=True)
class StageResult:
    """One lexicographic stage: its objective's name and direction, and the solve result."""

    name: str
    sense: str
    result: SolveResult


@dataclass(frozen=True)
class ModelRun:
    """All stages of one optimisation.

    Attributes
    ----------
    stages : tuple of StageResult
        In order; stops at the first stage without a solution.
    status : SolveStatus
        Weakest status over the stages.
    values : Mapping[str, float]
        Variable values of the last stage's solution (empty without one).
    """

    stages: tuple[StageResult, ...]
    status: SolveStatus
    values: Mapping[str, float] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        """Solver time over all stages."""
        return sum(stage.result.seconds for stage in self.stages)

    @property
    def objectives(self) -> dict[str, float]:
        """Objective value reached by each stage."""
        return {stage.name: stage.result.objective for stage in self.stages}


def optimise(model: AllocationModel, options: SolverSection, *, order: list[str] | None = None,
             tolerance: float | None = None) -> ModelRun:
    """Run the lexicographic stages of ``order`` (default: the scenario's) on ``model``."""
    scenario = model.inputs.scenario
    names = order if order is not None else scenario.objective.order
    give = scenario.objective.tolerance if tolerance is None else tolerance
    stages: list[StageResult] = []
    start: Mapping[str, float] | None = None
    for i, name in enumerate(names):
        sense, expr = objective(model, name)
        model.problem.sense = pulp.LpMaximize if sense == "max" else pulp.LpMinimize
        model.problem.setObjective(expr)
        result = solve_problem(model.problem, options, start)
        stages.append(StageResult(name, sense, result))
        if not result.has_solution:
            break
        start = result.values  # feasible for the next stage, whose rows hold this one
        if i + 1 < len(names) and isinstance(expr, pulp.LpAffineExpression) and expr.keys():
            value = result.objective
            slack = max(give * abs(value), 1e-7 * abs(value), 1e-6)
            if sense == "max":
                model.problem += (expr >= value - slack, f"hold_{i}_{_safe(name)}")
            else:
                model.problem += (expr <= value + slack, f"hold_{i}_{_safe(name)}")
    status = max((s.result.status for s in stages), key=_RANK.__getitem__)
    last = stages[-1].result
    values = last.values if last.has_solution else {}
    return ModelRun(tuple(stages), status, values)


def _safe(name: str) -> str:
    return name.replace(":", "_")


def stage_gap(run: ModelRun) -> float:
    """Largest relative gap over the stages (0 when all are proven optimal)."""
    gaps = [s.result.gap for s in run.stages]
    return max(gaps) if gaps else math.nan
