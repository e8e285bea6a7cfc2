"""The Dask boundary of sweeps: start or join a cluster, run point tasks, hand back each result.

The cluster comes from :func:`optimizer.cluster.dask_client` (a local one of at most one worker
per task, or an existing scheduler). Tasks are submitted under stable keys and collected with
``distributed.as_completed`` so results arrive in the order they finish.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

from distributed import as_completed

from optimizer.cluster import dask_client
from optimizer.sweep.solve_point import PointTask, solve_point

__all__ = ["run_tasks"]

OnResult = Callable[[PointTask, dict[str, Any] | None], None]


def run_tasks(tasks: Sequence[PointTask], on_result: OnResult, *, scheduler: str | None = None,
              workers: int | None = None, key_prefix: str = "medalloc-point") -> int:
    """Solve ``tasks`` with :func:`solve_point` on a cluster; return the number of workers.

    Parameters
    ----------
    tasks : sequence of PointTask
        The points to solve.
    on_result : callable
        Called on this process as each task finishes, with the task and its record, or ``None``
        when the task was lost (its worker died, or the scheduler gave up on it). An exception
        it raises cancels the remaining tasks and propagates.
    scheduler : str, optional
        Address of a running scheduler; default: a local cluster.
    workers : int, optional
        Local cluster size (default: the CPU count, at most one per task); with ``scheduler``,
        the number of workers to wait for.
    key_prefix : str
        Prefix of the Dask keys, followed by the point id.

    Raises
    ------
    SolverError
        The scheduler cannot be reached, or has too few workers.
    """
    if not tasks:
        return 0
    local = min(workers or os.cpu_count() or 1, len(tasks))
    with dask_client(scheduler, workers, local_workers=local) as client:
        used = len(client.scheduler_info()["workers"])
        by_key = {f"{key_prefix}-{task.point_id}": task for task in tasks}
        futures = [client.submit(solve_point, task, key=key) for key, task in by_key.items()]
        try:
            for future in as_completed(futures, loop=client.loop):  # type: ignore[no-untyped-call]
                task = by_key[str(future.key)]
                try:
                    record: dict[str, Any] | None = future.result()
                except Exception:  # a lost worker: the point stays unsolved, the sweep goes on
                    record = None
                on_result(task, record)
        except BaseException:
            client.cancel(futures)  # type: ignore[no-untyped-call]
            raise
    return used
