"""A solved allocation scenario as a typed result, and the files it is written as.

`RunResult` holds what `optimizer.jobs.run.solve_scenario` computed (the model's inputs, the
lexicographic run, the solution and the plan, towns, indicators and county-hired tables);
`write_run` writes ``plan.csv``, ``towns.csv``, ``indicators.csv`` (and ``county_hired.csv``)
and ``summary.json`` into a folder, and `run_summary` builds the ``summary.json`` document. The
same result gives byte-identical files (timings appear in ``summary.json`` only, and not at all
with ``timings=False``).
"""

from __future__ import annotations

import json
import math
import platform
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from optimizer.config.scenario import Scenario
from optimizer.dataset.load import Dataset
from optimizer.model.choice import SubCentreChoice
from optimizer.model.equity import equity_summary
from optimizer.model.inputs import ModelInputs
from optimizer.model.objectives import unit_of
from optimizer.model.reasons import far_from_need
from optimizer.model.results import Solution
from optimizer.model.site_count import SiteCount
from optimizer.model.stages import ModelRun, stage_gap
from optimizer.model.tables import per_base, plan_cost
from optimizer.results.files import write_csv
from optimizer.results.provenance import input_files
from optimizer.solvers.status import SolveStatus

__all__ = ["RunResult", "run_summary", "write_run"]

_PACKAGES = ("medalloc", "pulp", "highspy", "numpy", "pandas", "scipy", "pydantic")

#: The ``summary.json`` document: plain JSON values, keys as documented in the README.
SummaryDoc = dict[str, Any]


@dataclass(frozen=True)
class RunResult:
    """A solved allocation scenario, before anything is written.

    Attributes
    ----------
    scenario : Scenario
        The scenario solved.
    dataset : Dataset
        The data it was solved on.
    inputs : ModelInputs
        The model's inputs (groups, facilities, years, need, coverage pairs).
    run : ModelRun
        The lexicographic stages and their solver results.
    solution : Solution
        The solution read back from the solver (levels, sites, coverage, seconded staff).
    plan, towns, indicators, county_hired, access : pandas.DataFrame
        The tables of ``plan.csv``, ``towns.csv``, ``indicators.csv``, ``county_hired.csv``
        and the per-town access figures behind the equity summary.
    choice : SubCentreChoice or None
        The comparison of alternative sub-centre choices (``[explain] alternatives``).
    site_count : SiteCount or None
        How many sub-centres, when ``[sub_centres] min_gain`` states the trade-off.
    runtime_s : float
        Wall time from loading to the solved tables.
    """

    scenario: Scenario
    dataset: Dataset
    inputs: ModelInputs
    run: ModelRun
    solution: Solution
    plan: pd.DataFrame
    towns: pd.DataFrame
    indicators: pd.DataFrame
    county_hired: pd.DataFrame
    access: pd.DataFrame
    choice: SubCentreChoice | None
    runtime_s: float
    site_count: SiteCount | None = None

    @property
    def status(self) -> SolveStatus:
        """``optimal`` or ``feasible`` (a time or gap limit stopped a stage's proof)."""
        return self.run.status

    @property
    def objective(self) -> float:
        """Value of the main objective (the first after the automatic targets stage)."""
        return self.run.main.result.objective

    @property
    def gap(self) -> float:
        """Largest relative gap over the stages (0 when all are optimal)."""
        return stage_gap(self.run)

    @property
    def sub_centres(self) -> tuple[str, ...]:
        """Facility ids of the sub-centres in the plan."""
        return tuple(self.solution.sub_centres)


def write_run(result: RunResult, folder: Path, *, timings: bool = True) -> SummaryDoc:
    """Write the run's tables and ``summary.json`` into ``folder``; return the summary."""
    summary = run_summary(result, timings=timings)
    tables = [("plan.csv", result.plan), ("towns.csv", result.towns),
              ("indicators.csv", result.indicators)]
    if result.scenario.county_hired:
        tables.insert(0, ("county_hired.csv", result.county_hired))
    for name, frame in tables:
        write_csv(frame, folder / name)
    (folder / "summary.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=2, sort_keys=False, allow_nan=False)
        + "\n", encoding="utf-8")
    return summary


def run_summary(result: RunResult, *, timings: bool = True) -> SummaryDoc:
    """The ``summary.json`` document of a run (without timings when ``timings`` is False)."""
    summary = _summary(result.inputs, result.dataset, result.run, result.solution,
                       result.plan, result.access, result.choice,
                       result.runtime_s if timings else None)
    if result.site_count is not None:
        summary["sub_centre_count"] = result.site_count.to_json()
    return summary


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
             plan: pd.DataFrame, access: pd.DataFrame, choice: SubCentreChoice | None,
             runtime: float | None) -> dict[str, Any]:
    scenario = inputs.scenario
    files = input_files(scenario, dataset)
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
        "warnings": far_from_need(plan),
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
        summary["sub_centre_choice"] = choice.to_json()
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
