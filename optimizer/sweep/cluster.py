"""The Dask boundary of sweeps: start or join a cluster, run point tasks, hand back each result.

The only module that imports ``distributed``. A local cluster is ``n`` single-threaded worker
processes on the loopback interface with no dashboard; a scheduler address joins an existing
cluster instead. Tasks are submitted under stable keys and collected with
``distributed.as_completed`` so results arrive in the order they finish.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from distributed import Client, LocalCluster, as_completed

from optimizer.errors import SolverError
from optimizer.sweep.solve_point import PointTask, solve_point

__all__ = ["run_tasks"]

OnResult = Callable[[PointTask, dict[str, Any] | None], None]


@contextmanager
def _client(scheduler: str | None, workers: int | None, pending: int) -> Iterator[Client]:
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="20s",  # type: ignore[no-untyped-call]
                            set_as_default=False)
        except OSError as err:
            raise SolverError(f"cannot reach the Dask scheduler at {scheduler} ({err}); check "
                              "the address, or leave it out to run on this machine") from None
        with client:
            if workers is not None:
                try:
                    client.wait_for_workers(workers, timeout=60)
                except TimeoutError:
                    have = len(client.scheduler_info()["workers"])
                    raise SolverError(f"the cluster at {scheduler} has {have} of the {workers} "
                                      "workers asked for after 60 s; start more workers or ask "
                                      "for fewer") from None
            yield client
        return
    count = max(1, min(workers or os.cpu_count() or 1, pending))
    # No dashboard; the scheduler's plain HTTP routes go to a free port, not 8787 (which another
    # cluster on the machine may hold, with a warning)
    with LocalCluster(n_workers=count, threads_per_worker=1,  # type: ignore[no-untyped-call]
                      processes=True, host="127.0.0.1", dashboard_address=None,
                      scheduler_kwargs={"dashboard_address": "127.0.0.1:0"}) as cluster, \
            Client(cluster, set_as_default=False) as client:  # type: ignore[no-untyped-call]
        yield client


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
    with _client(scheduler, workers, len(tasks)) as client:
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
