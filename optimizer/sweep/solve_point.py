"""Solve one sweep point on a worker and return its result record (a plain, JSON-ready dict).

This is the only code that runs on Dask workers. A worker receives a :class:`PointTask` (the
point's raw scenario table, the base scenario's path for relative data paths, and where to keep
the run if asked), never a solver object, and returns a record. A point that fails in a way the
package knows (infeasible, solver stopped without a solution, bad data or scenario) or does not
know (any other exception) gives a record with that status and the reason, so one point never
stops the sweep.
"""

from __future__ import annotations

import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optimizer.errors import DataError, InfeasibleError, ScenarioError, SolverError
from optimizer.run_job import RunSummary, run_scenario
from optimizer.scenario import scenario_from_dict

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


def _solved(summary: RunSummary) -> dict[str, Any]:
    data = summary.data
    subs = sorted(data.get("sub_centres", []), key=lambda s: str(s["facility_id"]))
    gap = data.get("gap")
    reason = ""
    if str(summary.status) == "feasible":
        reason = (f"a time or gap limit stopped the proof; relative gap {gap:.4%}"
                  if gap is not None else "a time or gap limit stopped the proof")
    return {
        "status": str(summary.status),
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
        if task.keep_dir is not None:
            result = _solved(run_scenario(scenario, task.keep_dir, timings=False))
        else:
            with tempfile.TemporaryDirectory(prefix="medalloc-point-") as tmp:
                result = _solved(run_scenario(scenario, Path(tmp) / "run", timings=False))
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
