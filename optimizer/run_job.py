"""Run an allocation scenario end to end and write its outputs into one folder, atomically.

``run_scenario`` loads the scenario and its data, builds and solves the allocation model
(:mod:`optimizer.model`), and writes ``plan.csv``, ``towns.csv``, ``indicators.csv`` and
``summary.json``. The files (and whatever ``finish`` adds: the report, maps, a workbook) are
built in a temporary folder beside the target and renamed into place only after everything
succeeded; an existing folder is replaced whole, never half overwritten, and only when it is
medalloc's (:mod:`optimizer.atomic`). The same inputs give byte-identical files (timings appear
in ``summary.json`` only, and not at all with ``timings=False``).
"""

from __future__ import annotations

import hashlib
import json
import math
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from optimizer.atomic import replace_folder
from optimizer.csv_out import write_csv
from optimizer.dataset import Dataset, load_dataset
from optimizer.errors import InfeasibleError, SolverError
from optimizer.model.build import build_model
from optimizer.model.choice import explain_choice
from optimizer.model.equity import access_by_town, equity_summary
from optimizer.model.explain import explain_infeasible
from optimizer.model.inputs import ModelInputs, prepare_inputs
from optimizer.model.objectives import unit_of
from optimizer.model.reasons import add_reasons, far_from_need
from optimizer.model.results import Solution, read_solution
from optimizer.model.solve import SolveStatus
from optimizer.model.stages import ModelRun, optimise, stage_gap
from optimizer.model.tables import (
    county_hired_table,
    indicators_table,
    per_base,
    plan_cost,
    plan_table,
    towns_table,
)
from optimizer.scenario import Scenario, load_scenario

__all__ = ["RunSummary", "run_scenario"]

Progress = Callable[[str], None]
Finish = Callable[[Path], None]
_PACKAGES = ("medalloc", "pulp", "highspy", "numpy", "pandas", "scipy", "pydantic")


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
        Called with the folder being built, after the run's files are in it and before it is
        swapped in (the CLI adds the report and maps there, so they are part of the swap).

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
        result = _solve_and_write(scenario, tmp, out, say, t0, timings=timings)
        if finish is not None:
            finish(tmp)
    say(f"wrote {out}")
    return result


def _solve_and_write(scenario: Scenario, tmp: Path, out: Path, say: Progress, t0: float, *,
                     timings: bool) -> RunSummary:
    """Solve, then write the run's four files into ``tmp``."""
    say(f"loading data from {scenario.data.folder.name}")
    dataset = load_dataset([scenario.data.folder])
    inputs = prepare_inputs(dataset, scenario)
    say(f"building the model: {len(inputs.groups)} demand groups, "
        f"{len(inputs.facilities)} facilities, years {', '.join(map(str, inputs.years))}")
    model = build_model(inputs)
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
    runtime = time.perf_counter() - t0
    summary = _summary(inputs, dataset, run, solution, plan, access, choice,
                       runtime if timings else None)
    tables = [("plan.csv", plan), ("towns.csv", towns), ("indicators.csv", indicators)]
    if inputs.scenario.county_hired:
        tables.insert(0, ("county_hired.csv", seconded))
    for name, frame in tables:
        write_csv(frame, tmp / name)
    (tmp / "summary.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=2, sort_keys=False, allow_nan=False)
        + "\n", encoding="utf-8")
    first = run.main.result
    return RunSummary(scenario.name, run.status, first.objective, stage_gap(run), runtime, out,
                      solution.sub_centres, summary)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def _clean(value: float) -> float | None:
    """JSON has no NaN/inf: they become null."""
    return round(value, 6) if math.isfinite(value) else None


def _summary(inputs: ModelInputs, dataset: Dataset, run: ModelRun, solution: Solution,
             plan: pd.DataFrame, access: pd.DataFrame, choice: dict[str, Any] | None,
             runtime: float | None) -> dict[str, Any]:
    scenario = inputs.scenario
    files: dict[str, dict[str, str]] = {}
    if scenario.source is not None:
        files["scenario"] = {"file": Path(scenario.source).name,
                             "sha256": _sha256(Path(scenario.source))}
    for role, name in sorted(dataset.files.items()):
        files[role] = {"file": Path(name).name, "sha256": _sha256(Path(name))}
    stages = []
    for stage in run.stages:
        result = stage.result
        entry: dict[str, Any] = {"objective": stage.name, "sense": stage.sense,
                                 "unit": unit_of(stage.name),
                                 "status": str(result.status), "value": _clean(result.objective),
                                 "bound": _clean(result.bound), "gap": _clean(result.gap)}
        if runtime is not None:
            entry["seconds"] = round(result.seconds, 3)
        stages.append(entry)
    per_capita: dict[str, dict[str, float | None]] = {}
    totals = plan.groupby(["year", "resource"])["after"].sum()
    for year in inputs.years:
        people = inputs.residents(year)
        per_capita[str(year)] = {
            f"{r}_per_{per_base(inputs, r)}": _clean(
                float(totals.get((year, r), 0)) / people * per_base(inputs, r))
            for r in inputs.resources
        }
    coverage: dict[str, dict[str, float | None]] = {}
    for service, section in sorted(scenario.services.items()):
        shares = {}
        for year in inputs.years:
            covered = solution.coverage[solution.coverage["service"].eq(service)
                                        & solution.coverage["year"].eq(year)]
            pop = inputs.group_population(year).reindex(covered["group_id"]).to_numpy()
            shares[str(year)] = _clean(float((covered["covered"].to_numpy() * pop).sum()
                                             / pop.sum()) if pop.sum() else math.nan)
        coverage[f"{service} ({section.population}, {section.minutes:g} min)"] = shares
    facilities = inputs.facilities
    subs = [{"facility_id": fid, "name_zh": inputs.name_of(fid), "town_code": inputs.town_of(fid),
             "town": inputs.town_name(inputs.town_of(fid)),
             "fixed_by_scenario": fid in inputs.sub_fixed,
             "partners": [inputs.town_name(t)
                          for t in inputs.partners.get(inputs.town_of(fid), ())]}
            for fid in solution.sub_centres]
    summary: dict[str, Any] = {
        "scenario": scenario.name,
        "description": scenario.description,
        "status": str(run.status),
        "objective": {"name": run.main.name, "value": _clean(run.main.result.objective),
                      "unit": unit_of(run.main.name)},
        "gap": _clean(stage_gap(run)),
        "stages": stages,
        "years": list(inputs.years),
        "population": {str(y): int(inputs.residents(y)) for y in inputs.years},
        "sub_centres": subs,
        "central_village_clinics": {
            str(y): {"count": len(ids), "facility_ids": list(ids)}
            for y, ids in solution.cvc.items()
        },
        "per_capita": per_capita,
        "coverage_shares": coverage,
        "cost": {"value": round(plan_cost(inputs, plan), 3), "unit": scenario.costs.unit,
                 "unit_words": _money_words(scenario.costs.unit)},
        "warnings": far_from_need(plan, scenario.need.tolerance if scenario.need else 0.1),
        "placement": _placement(plan, scenario.need is not None),
        "equity": equity_summary(access),
        "resources_absent_from_data": [r for r in inputs.resources
                                       if int(facilities[r].sum()) == 0],
        "model": {"demand_groups": len(inputs.groups), "demand_points": len(inputs.members),
                  "flow_pairs": len(inputs.flows)},
        "inputs": files,
        "versions": _versions(),
    }
    if run.note:
        summary["note"] = run.note
    if choice is not None:
        summary["sub_centre_choice"] = choice
    if runtime is not None:
        summary["runtime_s"] = round(runtime, 3)
    return summary


def _money_words(unit: str) -> str:
    """The [costs] unit in words (the shipped scenarios count in 万元, ten thousand yuan)."""
    return "万元 (ten thousand yuan)" if unit.replace(" ", "").lower() in (
        "10kcny", "万元", "10000cny") else unit


def _placement(plan: pd.DataFrame, with_need: bool) -> dict[str, Any]:
    """How many plan rows of the decision years each reason explains."""
    if not with_need:
        return {"need": "no [need] table: levels follow the objectives only; placement among "
                        "facilities is arbitrary where they tie"}
    decided = plan[~plan["reason_kind"].isin(["data"])]
    counts = decided["reason_kind"].value_counts().sort_index()
    return {"rows_by_reason": {str(k): int(v) for k, v in counts.items()}}
