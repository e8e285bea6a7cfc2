"""Solve one sweep point on a worker and return its result record (a plain, JSON-ready dict).

This is the only code that runs on Dask workers. A worker receives a :class:`PointTask` (the
point's raw scenario table, the base scenario's path for relative data paths, and where to keep
the run if asked), never a solver object, and returns a record. A point that fails in a way the
package knows (infeasible, solver stopped without a solution, bad data or scenario) or does not
know (any other exception) gives a record with that status and the reason, so one point never
stops the sweep. Each worker loads a data folder once and reuses it for its points
(`worker_dataset`); a point writes files only when kept.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from optimizer.config.scenario import scenario_from_dict
from optimizer.dataset.load import Dataset, load_dataset
from optimizer.errors import DataError, InfeasibleError, ScenarioError, SolverError
from optimizer.jobs.run import solve_scenario
from optimizer.results.atomic import replace_folder
from optimizer.results.run import SummaryDoc, run_summary, write_run

__all__ = ["FAILED", "SOLVED", "PointTask", "solve_point"]

# Statuses of a point: a solution exists (the solver's own words) or the run failed, and why.
SOLVED = ("optimal", "feasible")
FAILED = ("infeasible", "solver_error", "data_error", "scenario_error", "error")


@dataclass(frozen=True)
class PointTask:
    """What a worker needs to solve one point.

    Attributes
    ----------
    point_id : str
        The point's stable id.
    params : dict
        The varied dotted keys and their values.
    raw : dict
        The point's whole raw scenario table (base with the keys set).
    base : str
        Path of the base scenario file: data paths in ``raw`` are relative to it.
    fingerprint : str
        Hash of the base table and the fixed overrides, stored with the result.
    keep_dir : str or None
        Folder to keep the run's plan, towns, indicators and summary in; ``None`` discards them.
    """

    point_id: str
    params: dict[str, Any]
    raw: dict[str, Any]
    base: str
    fingerprint: str
    keep_dir: str | None = None


def _service(label: str) -> str:
    """``"referral (rural, 30 min)"`` -> ``"referral"``: the threshold may vary between points."""
    return label.split(" (", 1)[0]


def _stamp(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """Name, size and modification time of the files in a data folder (the cache key)."""
    return tuple(sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns)
                        for p in folder.iterdir() if p.is_file()))


@lru_cache(maxsize=4)
def _cached_dataset(folder: str, stamp: tuple[tuple[str, int, int], ...]) -> Dataset:
    del stamp  # part of the key only: a changed file loads the folder again
    return load_dataset([Path(folder)])


def worker_dataset(folder: Path) -> Dataset:
    """The dataset of ``folder``, loaded once per worker process and reused by its points.

    Each call gets copies of the layers, so no point can change what the next one reads.
    """
    data = _cached_dataset(str(folder.resolve()), _stamp(folder))
    return replace(data, towns=data.towns.copy(), facilities=data.facilities.copy(),
                   demand=data.demand.copy())


def _solved(status: str, data: SummaryDoc) -> dict[str, Any]:
    subs = sorted(data.get("sub_centres", []), key=lambda s: str(s["facility_id"]))
    gap = data.get("gap")
    reason = ""
    if status == "feasible":
        reason = (f"a time or gap limit stopped the proof; relative gap {gap:.4%}"
                  if gap is not None else "a time or gap limit stopped the proof")
    return {
        "status": status,
        "reason": reason,
        "objective_name": data["objective"]["name"],
        "objective": data["objective"]["value"],
        "gap": gap,
        "cost": data.get("cost", {}).get("value"),
        "sub_centres": [str(s["facility_id"]) for s in subs],
        "sub_centre_towns": [str(s["town"]) for s in subs],
        "central_village_clinics": {year: entry["count"] for year, entry
                                    in data.get("central_village_clinics", {}).items()},
        "per_capita": data.get("per_capita", {}),
        "coverage_shares": {_service(label): shares
                            for label, shares in data.get("coverage_shares", {}).items()},
        "inputs": data.get("inputs", {}),
    }


def _failed(status: str, reason: str) -> dict[str, Any]:
    return {"status": status, "reason": reason, "objective_name": None, "objective": None,
            "gap": None, "cost": None, "sub_centres": [], "sub_centre_towns": [],
            "central_village_clinics": {}, "per_capita": {}, "coverage_shares": {},
            "inputs": {}}


def solve_point(task: PointTask) -> dict[str, Any]:
    """Solve one point and return its record; never raises for a failed solve.

    Returns
    -------
    dict
        ``point_id``, ``params``, ``fingerprint``, ``status`` (``optimal``, ``feasible``,
        ``infeasible``, ``solver_error``, ``data_error``, ``scenario_error`` or ``error``),
        ``reason``, ``objective_name``, ``objective``, ``gap``, ``cost``, ``sub_centres``
        (facility ids, sorted) and their ``sub_centre_towns``, ``central_village_clinics`` and
        ``per_capita`` and ``coverage_shares`` per year, the ``inputs`` hashes and ``seconds``.
    """
    t0 = time.perf_counter()
    try:
        scenario = scenario_from_dict(task.raw, task.base)
        solved = solve_scenario(scenario, worker_dataset(scenario.data.folder))
        if task.keep_dir is not None:
            with replace_folder(Path(task.keep_dir), "run", inputs=scenario.input_paths) as tmp:
                summary = write_run(solved, tmp, timings=False)
        else:
            summary = run_summary(solved, timings=False)
        result = _solved(str(solved.status), summary)
    except InfeasibleError as err:
        result = _failed("infeasible", str(err))
    except SolverError as err:
        result = _failed("solver_error", str(err))
    except DataError as err:
        result = _failed("data_error", str(err))
    except ScenarioError as err:
        result = _failed("scenario_error", str(err))
    except Exception as err:
        last = traceback.extract_tb(err.__traceback__)[-1]
        result = _failed("error", f"{type(err).__name__}: {err} "
                                  f"({Path(last.filename).name}, line {last.lineno})")
    return {"point_id": task.point_id, "params": dict(task.params),
            "fingerprint": task.fingerprint, **result,
            "seconds": round(time.perf_counter() - t0, 3)}
