"""The Dask boundary of uncertainty draws: batches of draws on a cluster, results as they come.

Workers receive a :class:`DrawTask` (the scenario file's path, the sites, the seed and the draw
numbers), load the scenario and data once per process (:func:`_base`, cached) and return plain
records; no solver or data objects travel. A local cluster is ``n`` single-threaded worker
processes on the loopback interface; a scheduler address joins an existing cluster (its workers
need medalloc and the data paths). ``workers = 0`` runs the batches in this process, no Dask.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import CancelledError
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from distributed import Client, KilledWorker, LocalCluster, as_completed

from optimizer.config.scenario import load_scenario
from optimizer.dataset.load import load_dataset
from optimizer.errors import SolverError
from optimizer.uncertainty.base import DrawBase, prepare_base
from optimizer.uncertainty.draw import draw_record

__all__ = ["DrawTask", "batches", "run_batches", "solve_batch"]

OnRecords = Callable[["DrawTask", list[dict[str, Any]] | None], None]


@dataclass(frozen=True)
class DrawTask:
    """A batch of draws for one worker."""

    scenario_path: str
    sites: tuple[str, ...] | None
    seed: int
    draws: tuple[int, ...]
    sensitivity_draws: int
    fingerprint: str
    model: bool = False


@functools.lru_cache(maxsize=4)
def _base(scenario_path: str, sites: tuple[str, ...] | None, fingerprint: str) -> DrawBase:
    """The draw base of a scenario, built once per process (the fingerprint keys the cache)."""
    del fingerprint
    scenario = load_scenario(scenario_path)
    return prepare_base(scenario, load_dataset([scenario.data.folder]),
                        list(sites) if sites else None)


def solve_batch(task: DrawTask) -> list[dict[str, Any]]:
    """Compute every draw of ``task`` (on a worker); each record carries the fingerprint."""
    base = _base(task.scenario_path, task.sites, task.fingerprint)
    out = []
    for draw in task.draws:
        record = draw_record(base, task.seed, draw, draw < task.sensitivity_draws)
        if task.model:
            from optimizer.uncertainty.model_draw import model_record  # noqa: PLC0415 - slow path

            record["model"] = model_record(task.scenario_path, base, task.seed, draw)
        record["fingerprint"] = task.fingerprint
        out.append(record)
    return out


def batches(draws: Sequence[int], workers: int, *, largest: int = 25) -> list[tuple[int, ...]]:
    """Split ``draws`` into batches: about eight per worker, at most ``largest`` draws each."""
    if not draws:
        return []
    size = max(1, min(largest, math.ceil(len(draws) / (8 * max(workers, 1)))))
    return [tuple(draws[i: i + size]) for i in range(0, len(draws), size)]


@contextmanager
def _client(scheduler: str | None, workers: int | None) -> Iterator[Any]:
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="20s",  # type: ignore[no-untyped-call]
                            set_as_default=False)
        except OSError as err:
            raise SolverError(f"cannot reach the Dask scheduler at {scheduler} ({err}); check "
                              "the address, or leave it out to run on this machine") from None
        with client:
            if workers:
                try:
                    client.wait_for_workers(workers, timeout=60)
                except TimeoutError:
                    raise SolverError(f"the cluster at {scheduler} has fewer than {workers} "
                                      "workers after 60 s; start more or ask for fewer"
                                      ) from None
            yield client
        return
    count = max(1, workers or os.cpu_count() or 1)
    with LocalCluster(n_workers=count, threads_per_worker=1,  # type: ignore[no-untyped-call]
                      processes=True, host="127.0.0.1", dashboard_address=None,
                      scheduler_kwargs={"dashboard_address": "127.0.0.1:0"}) as cluster, \
            Client(cluster, set_as_default=False) as client:  # type: ignore[no-untyped-call]
        yield client


def run_batches(tasks: Sequence[DrawTask], on_records: OnRecords, *,
                scheduler: str | None = None, workers: int | None = None) -> int:
    """Run ``tasks``; call ``on_records`` here as each finishes; return the workers used.

    ``on_records`` gets ``None`` for a batch whose worker was lost (its draws stay missing and
    the next run computes them).

    Raises
    ------
    SolverError
        The scheduler cannot be reached, or has too few workers.
    """
    if not tasks:
        return 0
    if workers == 0 and scheduler is None:
        for task in tasks:
            on_records(task, solve_batch(task))
        return 0
    with _client(scheduler, workers) as client:
        used = len(client.scheduler_info()["workers"])
        keys = {f"medalloc-draws-{t.fingerprint[:8]}-{t.draws[0]}": t for t in tasks}
        futures = [client.submit(solve_batch, task, key=key, pure=False)
                   for key, task in keys.items()]
        try:
            for future in as_completed(futures, loop=client.loop):  # type: ignore[no-untyped-call]
                task = keys[str(future.key)]
                try:
                    records: list[dict[str, Any]] | None = future.result()
                except (KilledWorker, CancelledError):  # lost: these draws stay missing
                    records = None
                on_records(task, records)
        except BaseException:
            client.cancel(futures)
            raise
    return int(used)
