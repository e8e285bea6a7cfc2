"""The run job: load a scenario and its data, solve the allocation, write one folder atomically.

`solve_scenario` binds a loaded scenario to a loaded dataset and returns a typed
:class:`~optimizer.results.run.RunResult` without writing anything (sweeps and the app call it
directly); ``run_scenario`` loads, solves and writes ``plan.csv``, ``towns.csv``,
``indicators.csv`` and ``summary.json`` (:func:`~optimizer.results.run.write_run`). The files
(and whatever ``finish`` adds: the report, maps, a workbook) are built in a temporary folder
beside the target and renamed into place only after everything succeeded; an existing folder is
replaced whole, never half overwritten, and only when it is medalloc's
(:mod:`optimizer.results.atomic`). The same inputs give byte-identical files (timings appear in
``summary.json`` only, and not at all with ``timings=False``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from optimizer.config.scenario import Scenario, load_scenario
from optimizer.dataset.load import Dataset, load_dataset
from optimizer.errors import InfeasibleError, SolverError
from optimizer.model.build import build_model
from optimizer.model.choice import explain_choice, objective_unit
from optimizer.model.equity import access_by_town
from optimizer.model.explain import explain_infeasible
from optimizer.model.inputs import prepare_inputs
from optimizer.model.reasons import add_reasons
from optimizer.model.results import read_solution
from optimizer.model.site_count import decide_count, hold_count
from optimizer.model.stages import main_criterion, optimise
from optimizer.model.tables import (
    county_hired_table,
    indicators_table,
    plan_table,
    towns_table,
)
from optimizer.results.atomic import replace_folder
from optimizer.results.run import RunResult, write_run
from optimizer.solvers.status import SolveStatus

__all__ = ["RunResult", "RunSummary", "run_scenario", "solve_scenario"]

Progress = Callable[[str], None]
Finish = Callable[[Path, Dataset], None]


@dataclass(frozen=True)
class RunSummary:
    """What a run produced, for the CLI and for callers.

    Attributes
    ----------
    scenario : str
        Scenario name.
    status : SolveStatus
        ``optimal`` or ``feasible`` (a time or gap limit stopped the proof).
    objective : float
        Value of the first objective in the scenario's order.
    gap : float
        Largest relative gap over the lexicographic stages (0 when all are optimal).
    runtime_s : float
        Wall time of the whole run.
    out_dir : pathlib.Path
        The folder written.
    sub_centres : tuple of str
        Chosen sub-centre facility ids.
    data : dict
        The full ``summary.json`` content.
    """

    scenario: str
    status: SolveStatus
    objective: float
    gap: float
    runtime_s: float
    out_dir: Path
    sub_centres: tuple[str, ...]
    data: dict[str, Any] = field(default_factory=dict)


def run_scenario(
    scenario: Scenario | Path | str,
    out_dir: Path | str,
    *,
    progress: Progress | None = None,
    timings: bool = True,
    finish: Finish | None = None,
) -> RunSummary:
    """Solve a scenario and write its plan, towns, indicators and summary into ``out_dir``.

    Parameters
    ----------
    scenario : Scenario or path
        A loaded scenario, or the path of its TOML file.
    out_dir : path
        Output folder; created, or replaced whole after a successful run.
    progress : callable, optional
        Called with one line of text at each step (for a terminal progress display).
    timings : bool
        Write run times into ``summary.json``; ``False`` makes every file byte-identical
        between runs of the same inputs.
    finish : callable, optional
        Called with the folder being built and the loaded dataset, after the run's files are
        in it and before it is swapped in (the CLI adds the report and maps there, so they are
        part of the swap).

    Returns
    -------
    RunSummary

    Raises
    ------
    ScenarioError
        The scenario is malformed or does not fit the data.
    UsageError
        ``out_dir`` is not medalloc's, holds the inputs, is in use or cannot be written.
    DataError
        The data files are missing or invalid.
    InfeasibleError
        The policy numbers cannot all hold; the message names the conflict and its size.
    SolverError
        The solver failed or stopped at a limit without any solution.
    """
    say = progress or (lambda _message: None)
    t0 = time.perf_counter()
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    out = Path(out_dir)
    with replace_folder(out, "run", inputs=scenario.input_paths) as tmp:
        say(f"loading data from {scenario.data.folder.name}")
        dataset = load_dataset([scenario.data.folder])
        result = solve_scenario(scenario, dataset, progress=say)
        result = replace(result, runtime_s=time.perf_counter() - t0)
        summary = write_run(result, tmp, timings=timings)
        if finish is not None:
            finish(tmp, dataset)
    say(f"wrote {out}")
    return RunSummary(scenario.name, result.status, result.objective, result.gap,
                      result.runtime_s, out, result.sub_centres, summary)


def solve_scenario(scenario: Scenario, dataset: Dataset, *,
                   progress: Progress | None = None) -> RunResult:
    """Bind the scenario to the data, build the model, solve its stages and tabulate the plan.

    Raises
    ------
    ScenarioError
        The scenario does not fit the data.
    InfeasibleError
        The policy numbers cannot all hold; the message names the conflict and its size.
    SolverError
        The solver failed or stopped at a limit without any solution.
    """
    say = progress or (lambda _message: None)
    t0 = time.perf_counter()
    inputs = prepare_inputs(dataset, scenario)
    say(f"building the model: {len(inputs.groups)} demand groups, "
        f"{len(inputs.facilities)} facilities, years {', '.join(map(str, inputs.years))}")
    model = build_model(inputs)
    count = decide_count(model, objective_unit(inputs, main_criterion(
        list(scenario.objective.order))))
    if count is not None:
        say(f"sub-centre count: {count.reason}")
        hold_count(model, count)
    say(f"solving {len(model.problem.variables())} variables, "
        f"{model.problem.numConstraints()} constraints with {scenario.solver.name}")
    run = optimise(model, scenario.solver)
    for stage in run.stages:
        say(f"  {stage.name}: {stage.result.status} {stage.result.objective:,.2f} "
            f"({stage.result.seconds:.1f} s)")
    if run.status is SolveStatus.INFEASIBLE:
        say("infeasible: relaxing the policy numbers to find the conflict")
        raise InfeasibleError(explain_infeasible(inputs, scenario.solver))
    if run.status is SolveStatus.ERROR:
        last = run.stages[-1]
        raise SolverError(
            f"{scenario.name}: the solver stopped at stage '{last.name}' without a solution "
            f"({last.result.raw_status}); raise [solver] time_limit_s "
            f"(now {scenario.solver.time_limit_s:g} s)"
        )
    solution = read_solution(model, run.values)
    plan = add_reasons(inputs, plan_table(inputs, solution), solution.need)
    access = access_by_town(dataset, inputs, plan)
    towns = towns_table(inputs, solution, plan).merge(
        access.drop(columns="population"), on=["town_code", "year"], how="left")
    indicators = indicators_table(inputs, plan, towns, solution.seconded, access)
    seconded = county_hired_table(inputs, solution.seconded)
    choice = None
    if scenario.explain.alternatives and scenario.sub_centres is not None:
        say("comparing the alternative sub-centre choices")
        choice = explain_choice(inputs, run, solution.sub_centres)
    return RunResult(scenario=scenario, dataset=dataset, inputs=inputs, run=run,
                     solution=solution, plan=plan, towns=towns, indicators=indicators,
                     county_hired=seconded, access=access, choice=choice,
                     runtime_s=time.perf_counter() - t0, site_count=count)
