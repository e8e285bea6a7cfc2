"""Run a sweep on Dask: every point an independent solve, resumable, then one table and a summary.

Points are solved on a ``dask.distributed`` cluster: a ``LocalCluster`` of single-threaded
worker processes by default, or an existing cluster given by its scheduler address (its workers
need medalloc installed and the data paths reachable). Workers get :class:`PointTask` objects
(raw scenario table, base path) and return plain records; the client writes each record to
``points/<point_id>.json`` as it arrives (:mod:`optimizer.sweep.store`), so a killed sweep keeps
every finished point and a rerun solves only the others. A worker that dies leaves its point
without a file: the point is listed as missing and solved by the next run.

Output folder::

    points/<point_id>.json     one record per point (status, reason, objective, decision, ...)
    results.csv                the table (:mod:`optimizer.sweep.table`), sorted by point id
    results.parquet            the same, when pyarrow is installed
    summary.json, summary.txt  site frequencies, objective spread, influence of each parameter

``results.*`` and ``summary.*`` are byte-identical between runs of the same sweep (point files
also hold each point's solve time, ``seconds``).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optimizer.config.scenario import read_scenario_toml
from optimizer.results.atomic import claim_folder
from optimizer.results.records import write_atomically
from optimizer.sweep.analysis import summarise
from optimizer.sweep.cluster import run_tasks
from optimizer.sweep.points import Point, expand_points, point_tables
from optimizer.sweep.report import summary_text
from optimizer.sweep.solve_point import PointTask
from optimizer.sweep.spec import SweepSpec, load_sweep
from optimizer.sweep.store import read_points, write_point
from optimizer.sweep.table import results_table, write_table

__all__ = ["SweepProgress", "SweepSummary", "run_sweep"]


@dataclass(frozen=True)
class SweepProgress:
    """One step of a sweep, for a progress display.

    Attributes
    ----------
    done : int
        Points with a result, including those found from an earlier run.
    total : int
        Points in the sweep.
    skipped : int
        Points found from an earlier run (not solved again).
    point_id : str or None
        The point just finished; ``None`` at the first call, before any solve.
    status : str or None
        Its status (``optimal``, ``feasible``, ``infeasible``, ..., or ``missing`` when its
        worker failed).
    params : Mapping or None
        Its parameters.
    """

    done: int
    total: int
    skipped: int
    point_id: str | None = None
    status: str | None = None
    params: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class SweepSummary:
    """What a sweep produced.

    Attributes
    ----------
    name : str
        The sweep's name.
    out_dir : pathlib.Path
        The folder written.
    points : int
        Points in the sweep.
    computed : int
        Points solved by this run.
    skipped : int
        Points whose result was found from an earlier run.
    missing : tuple of str
        Point ids without a result because their worker failed; a rerun solves them.
    statuses : Mapping[str, int]
        Points per status.
    workers : int
        Dask workers used (0 when nothing was left to solve).
    wall_s : float
        Wall time of the run.
    files : tuple of pathlib.Path
        The table and summary files written.
    data : dict
        The ``summary.json`` content.
    """

    name: str
    out_dir: Path
    points: int
    computed: int
    skipped: int
    missing: tuple[str, ...]
    statuses: Mapping[str, int]
    workers: int
    wall_s: float
    files: tuple[Path, ...]
    data: dict[str, Any] = field(default_factory=dict)

    def to_text(self) -> str:
        """The summary for a terminal: what ran, then :func:`summary_text`."""
        where = f"on {self.workers} worker{'s' if self.workers != 1 else ''}"
        head = (f"{self.points} points: {self.computed} solved now {where}, "
                f"{self.skipped} from an earlier run, {len(self.missing)} missing "
                f"({self.wall_s:.1f} s)")
        files = "written: " + ", ".join(str(p) for p in self.files)
        return "\n".join([head, summary_text(self.data), files])


def fingerprint(base_raw: Mapping[str, Any], spec: SweepSpec) -> str:
    """Hash of the base scenario's table and the fixed overrides; stored with every point."""
    text = json.dumps({"base": base_raw, "set": spec.set}, sort_keys=True, default=str,
                      ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def run_sweep(
    sweep_path: Path | str,
    out_dir: Path | str,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    progress: Callable[[SweepProgress], None] | None = None,
    finish: Callable[[Path], None] | None = None,
) -> SweepSummary:
    """Solve every point of a sweep file on Dask and write the table and summary into ``out_dir``.

    Parameters
    ----------
    sweep_path : path
        The sweep file (TOML, :mod:`optimizer.sweep.spec`).
    out_dir : path
        Output folder (module docstring). Points already in ``out_dir/points`` from the same
        base scenario and overrides are not solved again.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``); default: a local cluster.
    workers : int, optional
        Local cluster: number of single-threaded worker processes (default: the CPU count, at
        most one per point to solve). With ``scheduler``: wait for that many workers.
    progress : callable, optional
        Called with a :class:`SweepProgress` before the first solve and after each point. An
        exception it raises stops the sweep (finished points are kept).
    finish : callable, optional
        Called with the output folder after the table and summary are written (the CLI writes
        ``results.xlsx`` there).

    Returns
    -------
    SweepSummary

    Raises
    ------
    ScenarioError
        The sweep file is invalid, or a dotted key or value makes the base scenario invalid
        (raised before any solve, naming the key).
    DataError
        A point's data folder does not exist.
    SolverError
        The scheduler cannot be reached or has too few workers.
    UsageError
        ``out_dir`` is not a sweep's folder, holds the inputs, is in use or cannot be written.
    """
    t0 = time.perf_counter()
    say = progress or (lambda _event: None)
    spec = load_sweep(sweep_path)
    base_raw = read_scenario_toml(spec.base)
    points = expand_points(spec)
    tables = point_tables(spec, base_raw, points)
    sources = [Path(sweep_path), spec.base]
    with claim_folder(Path(out_dir), "sweep", inputs=sources) as out:
        return _run(spec, base_raw, points, tables, out, Path(out_dir), scheduler=scheduler,
                    workers=workers, say=say, t0=t0, finish=finish)


def _run(spec: SweepSpec, base_raw: dict[str, Any], points: list[Point],
         tables: Mapping[str, dict[str, Any]], out: Path, shown: Path, *, scheduler: str | None,
         workers: int | None, say: Callable[[SweepProgress], None], t0: float,
         finish: Callable[[Path], None] | None) -> SweepSummary:
    """Solve the points not yet stored in ``out`` and write the table and summary there."""
    stamp = fingerprint(base_raw, spec)
    ids = [p.point_id for p in points]
    earlier = read_points(out / "points", ids, stamp)
    tasks = [PointTask(p.point_id, p.as_dict(), tables[p.point_id], str(spec.base), stamp,
                       str(out / "runs" / p.point_id) if spec.keep_runs else None)
             for p in points if p.point_id not in earlier]
    done, missing = len(earlier), []

    def store(task: PointTask, record: dict[str, Any] | None) -> None:
        nonlocal done
        if record is None:
            missing.append(task.point_id)
        else:
            write_point(out / "points", record)
            done += 1
        say(SweepProgress(done, len(points), len(earlier), task.point_id,
                          "missing" if record is None else str(record["status"]), task.params))

    say(SweepProgress(done, len(points), len(earlier)))
    used = run_tasks(tasks, store, scheduler=scheduler, workers=workers,
                     key_prefix=f"medalloc-point-{stamp[:8]}")
    records = list(read_points(out / "points", ids, stamp).values())
    data = summarise(spec, records, missing)
    files = write_table(results_table(records, list(spec.parameters)), out)
    text = json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False) + "\n"
    for name, content in (("summary.json", text), ("summary.txt", summary_text(data) + "\n")):
        write_atomically(out / name, content.encode("utf-8"))
        files.append(out / name)
    if finish is not None:
        finish(out)
    return SweepSummary(spec.name, shown, len(points), len(tasks) - len(missing), len(earlier),
                        tuple(sorted(missing)), dict(data["statuses"]), used,
                        time.perf_counter() - t0, tuple(files), data)
