"""Lexicographic optimisation: solve objective after objective, each holding the ones before.

Stage i maximises (or minimises) its objective subject to every earlier objective staying within
``tolerance`` (relative) of the value its stage reached. The held value is the objective
*evaluated at the stage's own solution* (not the solver's report of it), plus a give for
round-off of 1e-6 relative and 1e-6 per unit of the objective's coefficients (integer variables
may sit 1e-6 off a whole number), so the row can never cut that solution off. Should a later
stage still find nothing (a numerical failure, since the previous solution is feasible for it),
it is retried once with a hundred times the give; failing that, the run keeps the previous
stage's solution, is reported "feasible" (not proven lexicographically optimal) and names the
stage: a scenario whose first stage has a solution is never reported infeasible.

When the scenario has expected (预期性) targets, a ``targets`` stage (their relative shortfall)
comes first unless the order places it.

Sites are decided first. Right after the last ``coverage:<service>`` stage, the site choices
(``open_sub``, ``open_cvc``) are fixed at that stage's solution: the placement stages that
follow choose levels for those sites. The plan is then lexicographically optimal for the order
"coverage, then placement given the sites", which is how a plan is read (where the sites are,
then what each gets), and the placement stages solve in seconds where, with every site still
free, the later stages took tens of seconds. Among sites of equal coverage the choice is
HiGHS's, which is deterministic (one thread, fixed seed, no time limit reached).

The ``spread`` objective runs as one stage per resource, ``spread:beds`` first, each fixing
its resource for the stages after it (staff follow beds through the per-bed norms; GPs are
doctors): on the shipped counties the five or six stages take 2-3 s together where the joint
stage took 4-60 s, depending on the path HiGHS took. The service flows leave the model as soon
as the ``unmet`` stage has served everyone, and each later stage's levels are checked by the
flow LP until the beds are fixed (:func:`_run_stages`); without that check, once the capacity
resources are fixed and no stage left counts flows (:func:`_drop_flows`). The run's status is
the weakest of its stages: one time-limited stage makes the whole plan "feasible", never
"optimal".
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pulp

from optimizer.config.sections import SolverSection
from optimizer.model.flow_check import flows_for
from optimizer.model.objectives import objective
from optimizer.model.problem import AllocationModel
from optimizer.model.results import value_of
from optimizer.model.solve import SolveResult, solve_problem
from optimizer.solvers.status import SolveStatus

__all__ = ["ModelRun", "StageResult", "limit_note", "main_criterion", "optimise", "stage_gap",
           "stage_order"]

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
    note: str = ""

    @property
    def seconds(self) -> float:
        """Solver time over all stages."""
        return sum(stage.result.seconds for stage in self.stages)

    @property
    def main(self) -> StageResult:
        """The stage of the first objective that decides something (not ``targets``)."""
        criterion = main_criterion([s.name for s in self.stages])
        return next(s for s in self.stages if s.name == criterion)

    @property
    def objectives(self) -> dict[str, float]:
        """Objective value reached by each stage."""
        return {stage.name: stage.result.objective for stage in self.stages}


def stage_order(model: AllocationModel, order: list[str] | None = None) -> list[str]:
    """The objectives in the order they are solved.

    The scenario's own order gets ``targets`` first when it has expected targets and does not
    place it; an explicit ``order`` (a single criterion, for choices) is taken as given.
    """
    if order is not None:
        names = list(order)
    else:
        names = list(model.inputs.scenario.objective.order)
        if model.target_slack and "targets" not in names:
            names.insert(0, "targets")
    if "spread" in names:
        # one resource at a time, beds first (staff follow beds through per-bed norms): small
        # stages prove in a second where the joint one took up to a minute (module docstring)
        i = names.index("spread")
        spread = sorted({r for (_, r, _) in model.need_expr}, key=lambda r: (r != "beds", r))
        names[i:i + 1] = [f"spread:{r}" for r in spread]
    return names


def main_criterion(order: list[str]) -> str:
    """The first objective that decides something (``targets`` only holds the plan's rates)."""
    return next((name for name in order if name != "targets"), order[0])


def _hold(model: AllocationModel, i: int, name: str, sense: str, expr: pulp.LpAffineExpression,
          value: float, give: float, widen: float = 1.0) -> None:
    size = sum(abs(float(c)) for c in expr.values())
    slack = max(give * abs(value), 1e-6 * max(1.0, abs(value))) + 1e-6 * size
    slack *= widen
    row = f"hold_{i}_{_safe(name)}"
    bound = value - slack if sense == "max" else value + slack
    held = model.problem.get_constraint_by_name(row)
    if held is not None:
        held.changeRHS(bound)  # widening a hold already in the model
    elif sense == "max":
        model.problem += (expr >= bound, row)
    else:
        model.problem += (expr <= bound, row)


def optimise(model: AllocationModel, options: SolverSection, *, order: list[str] | None = None,
             tolerance: float | None = None) -> ModelRun:
    """Run the lexicographic stages of ``order`` (default: the scenario's) on ``model``.

    Variables a stage decides for good (the sites, then the beds) are fixed for the stages
    after it and given back their bounds at the end: the model is left as it came.
    """
    scenario = model.inputs.scenario
    names = stage_order(model, order)
    give = scenario.objective.tolerance if tolerance is None else tolerance
    stages: list[StageResult] = []
    note = ""
    for lazy in (True, False):
        fixed: list[_Bounds] = []
        problem = model.problem
        try:
            stages, note = _run_stages(model, options, names, give, fixed, lazy=lazy)
            break
        except _FlowsNeeded:
            continue  # a stage's levels left residents unserved: solve again with the flows
        finally:
            model.problem = problem  # the stages may have solved a smaller copy (_drop_flows)
            for variable, low, high in reversed(fixed):
                variable.lowBound, variable.upBound = low, high
    status = max((s.result.status for s in stages), key=_RANK.__getitem__)
    if note and status is SolveStatus.OPTIMAL:
        status = SolveStatus.FEASIBLE
    note = "; ".join(part for part in (note, limit_note(stages)) if part)
    last = stages[-1].result
    values = last.values if last.has_solution else {}
    return ModelRun(tuple(stages), status, values, note)


_Bounds = tuple[pulp.LpVariable, "float | None", "float | None"]


class _FlowsNeeded(Exception):  # noqa: N818  (a signal inside this module, not an error)
    """A stage solved without the flows chose levels no flow can serve: solve with them."""


def _run_stages(model: AllocationModel, options: SolverSection, names: list[str], give: float,
                fixed: list[_Bounds], *, lazy: bool) -> tuple[list[StageResult], str]:
    """The stages in order; ``lazy``: flows checked after the ``unmet`` stage, not carried.

    With ``lazy``, once the ``unmet`` stage has served everyone the flow rows leave the model
    and each later stage's levels are checked by the flow LP (:mod:`optimizer.model.flow_check`)
    until the capacity resources are fixed: a stage whose levels every resident can be served
    at is optimal for the full model too (its relaxation's optimum is feasible). A failed
    check raises :class:`_FlowsNeeded` and the run starts again with the flows carried.
    """
    stages: list[StageResult] = []
    start: Mapping[str, float] | None = None
    held: tuple[int, str, str, pulp.LpAffineExpression, float] | None = None
    last_site_stage = max((i for i, n in enumerate(names) if n.startswith("coverage:")),
                          default=-1)
    capacity = model.inputs.scenario.capacity
    waiting = {f"spread:{rule.resource}" for rule in capacity.rules} if capacity else set()
    last_flow_stage = max((i for i, n in enumerate(names) if n in _FLOW_OBJECTIVES), default=-1)
    carried: dict[str, float] = {}
    checking = False  # flows left the model early and each stage's levels are checked
    for i, name in enumerate(names):
        sense, expr = objective(model, name, start)
        model.problem.sense = pulp.LpMaximize if sense == "max" else pulp.LpMinimize
        model.problem.setObjective(expr)
        result = solve_problem(model.problem, options, start)
        if not result.has_solution and held is not None:
            _hold(model, *held, give, widen=100.0)  # round-off, not a real conflict: widen once
            result = solve_problem(model.problem, options, start)
        if not result.has_solution and stages:
            return stages, (f"stage '{name}' found no solution ({result.raw_status}) although "
                            f"the previous stage's solution satisfies it; the plan is that of "
                            f"stage '{stages[-1].name}'")
        if checking and result.has_solution:
            carried = _checked_flows(model, result.values)  # this stage's own flows
        if carried and result.has_solution:
            result = dataclasses.replace(result, values={**carried, **result.values})
        stages.append(StageResult(name, sense, result))
        if not result.has_solution:
            break
        start = result.values  # feasible for the next stage, whose rows hold this one
        if i + 1 == len(names):
            break
        fixed += _decided(model, name, i == last_site_stage, result.values)
        if isinstance(expr, pulp.LpAffineExpression) and expr.keys():
            held = (i, name, sense, expr, value_of(expr, result.values))
            _hold(model, *held, give)
        waiting.discard(name)
        if not waiting:
            checking = False  # capacity fixed: the last checked flows stay feasible
        if model.serve and not carried and i >= last_flow_stage and (
                not waiting or (lazy and i == last_flow_stage and name == "unmet"
                                and not model.elastic and result.objective <= 1e-6)):
            carried = _drop_flows(model, names[:i + 1], result.values)
            checking = bool(waiting)
    return stages, ""


def _decided(model: AllocationModel, name: str, sites: bool, values: Mapping[str, float]
             ) -> list[_Bounds]:
    """Fix what stage ``name`` decided for good; return the bounds before, to restore."""
    fixed: list[_Bounds] = []
    if name == "targets":
        # each expected target keeps the shortfall this stage left it (0 when met): the sum
        # alone, held with its round-off give, let a later stage shave a post off a floor
        # (0.86 public-health staff per 1000 became 0.859999)
        for variable, _ in model.target_slack.values():
            fixed.append((variable, variable.lowBound, variable.upBound))
            value = max(0.0, float(values.get(variable.name, 0.0)))
            variable.upBound = value * (1 + 1e-9) + (1e-9 if value else 0.0)
    if sites:
        fixed += _fix((*model.open_sub.values(), *model.open_cvc.values()), values)
    if name.startswith("spread:"):
        resource = name.removeprefix("spread:")
        decided = [v for (_, r, _), v in model.level.items() if r == resource]
        decided += [v for (_, r, _), v in (*model.seconded.items(),
                                           *model.seconded_out.items()) if r == resource]
        fixed += _fix(decided, values)
    return fixed


def _checked_flows(model: AllocationModel, values: Mapping[str, float]) -> dict[str, float]:
    """The flows serving everyone at the levels of ``values``, or :class:`_FlowsNeeded`."""
    found: dict[str, float] = {}
    for year in model.inputs.years:
        unmet, flows = flows_for(model, values, year)
        demand = float(model.inputs.group_population(year).sum())
        if not unmet <= 1e-7 * max(1.0, demand):
            raise _FlowsNeeded
        found.update(flows)
    return found


_FLOW_OBJECTIVES = frozenset({"unmet", "travel", "worst_town"})
_FLOW_ROWS = ("demand_", "capacity_", "worst_town_", "all_served_")


def _drop_flows(model: AllocationModel, done: list[str],
                values: Mapping[str, float]) -> dict[str, float]:
    """Solve on without the service flows (rows 6a-6c, their variables, the flow stages' holds).

    Called once the capacity resources (beds) are fixed and no later stage counts flows, so
    every later solution keeps the flows of ``values`` feasible; or, lazily, right after the
    ``unmet`` stage has served everyone, when each later stage's levels are checked instead
    (:func:`_checked_flows`). The later stages solve a model a quarter the size. Returns the
    flows' values, carried into the results.
    """
    flow_holds = tuple(f"hold_{i}_{_safe(n)}" for i, n in enumerate(done)
                       if n in _FLOW_OBJECTIVES)
    smaller = pulp.LpProblem(model.problem.name, model.problem.sense)
    for row in model.problem.constraints():
        if not row.name.startswith(_FLOW_ROWS) and row.name not in flow_holds:
            smaller.addConstraint(row, row.name)
    model.problem = smaller
    flows = [*model.serve.values(), *model.unmet.values()]
    if model.worst is not None:
        flows.append(model.worst)
    return {v.name: values[v.name] for v in flows if v.name in values}


def limit_note(stages: Iterable[StageResult]) -> str:
    """What a run must say of stages a limit stopped before the proof.

    A time limit depends on the machine and its load, so the plan may differ elsewhere; a node
    limit (``[solver] node_limit``) stops at the same place on any machine.
    """
    parts = []
    for stage in stages:
        result = stage.result
        if result.status is not SolveStatus.FEASIBLE:
            continue
        gap = f"{result.gap:.2%}" if math.isfinite(result.gap) else "an unknown gap"
        if "time" in result.raw_status.lower():
            parts.append(f"stage '{stage.name}' ended on its time limit, {gap} from proven: "
                         "the plan may differ on a faster or less loaded machine")
        else:
            parts.append(f"stage '{stage.name}' ended on a limit ({result.raw_status}), {gap} "
                         "from proven")
    return "; ".join(parts)


def _fix(variables: Iterable[pulp.LpVariable], values: Mapping[str, float]) -> list[_Bounds]:
    """Fix whole-valued ``variables`` at ``values``; return their bounds before, to restore."""
    before: list[_Bounds] = []
    for variable in variables:
        before.append((variable, variable.lowBound, variable.upBound))
        value = float(round(values.get(variable.name, variable.lowBound or 0.0)))
        variable.lowBound = value
        variable.upBound = value
    return before


def _safe(name: str) -> str:
    return name.replace(":", "_")


def stage_gap(run: ModelRun) -> float:
    """Largest relative gap over the stages (0 when all are proven optimal)."""
    gaps = [s.result.gap for s in run.stages]
    return max(gaps) if gaps else math.nan
