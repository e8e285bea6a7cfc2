"""The Dask boundary of uncertainty draws: batches of draws on a cluster, results as they come.

The draw base (:class:`~optimizer.uncertainty.base.DrawBase`: arrays of points, cells,
facilities and sets, about 200 kB for Yongchuan) is built once by the caller and scattered to
every worker once (``client.scatter(..., broadcast=True)``); each task is then a
:class:`DrawTask` (draw numbers, seed, fingerprint) and a reference to that base, and returns
each draw's record already encoded as the JSON its file holds (about 11 kB a draw), so the
caller only writes bytes: encoding the records in the one storing process was most of the
serial work that kept two workers from twice one worker's speed. No solver objects travel, and
no large array is pickled per draw. Batches are cut by cost (a draw with the per-group attribution
costs one ranking per input group more), about eight per worker, so two workers finish
together. A local cluster is ``n`` single-threaded worker processes on the loopback interface
(one BLAS thread each, and glibc's own memory trimming: :data:`WORKER_ENVIRON`); a scheduler
address joins an existing cluster (its workers need medalloc installed; ``--model`` also needs
the data paths). ``workers = 0`` runs the batches in this process, no Dask, with BLAS held to
one thread as on a worker (the ranking's small products run ten times slower when BLAS
threads fight over two cores).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import CancelledError
from dataclasses import dataclass

from distributed import KilledWorker, as_completed
from threadpoolctl import threadpool_limits

from optimizer.cluster import dask_client
from optimizer.uncertainty.base import DrawBase
from optimizer.uncertainty.draw import draw_record
from optimizer.uncertainty.store import draw_bytes

__all__ = ["BatchRun", "DrawTask", "batches", "run_batches", "solve_batch"]

# Dask's default worker environment minus MALLOC_TRIM_THRESHOLD_: setting it turns off
# glibc's adaptive mmap threshold, so every multi-megabyte temporary of a ranking is mapped
# and unmapped afresh; measured, a draw ran 2.5 times slower on a worker than in-process.
WORKER_ENVIRON = {"OMP_NUM_THREADS": 1, "MKL_NUM_THREADS": 1, "OPENBLAS_NUM_THREADS": 1}
# (task, [(draw, its encoded record)] or None for a lost batch)
OnRecords = Callable[["DrawTask", list[tuple[int, bytes]] | None], None]


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


@dataclass(frozen=True)
class BatchRun:
    """How the batches ran.

    Attributes
    ----------
    workers : int
        Dask workers used (0: in this process).
    startup_s : float
        Cluster start (or connection) and scattering the base.
    compute_s : float
        From the first submission to the last result handled.
    worker_cpu_s : float
        CPU seconds the workers' processes used meanwhile (summed over workers); against
        ``workers * compute_s`` it says whether they had their cores or waited for them.
    client_cpu_s : float
        CPU seconds of this process meanwhile: a local cluster's scheduler, receiving the
        records and storing them (the serial part).
    """

    workers: int
    startup_s: float
    compute_s: float
    worker_cpu_s: float = 0.0
    client_cpu_s: float = 0.0


def _cpu_seconds() -> float:
    """CPU time of the calling process (run on each worker)."""
    return time.process_time()


def solve_batch(task: DrawTask, base: DrawBase) -> list[tuple[int, bytes]]:
    """Compute every draw of ``task`` (on a worker): ``(draw, record as its file holds it)``.

    Each record carries the fingerprint.
    """
    out = []
    with threadpool_limits(limits=1, user_api="blas"):
        for draw in task.draws:
            record = draw_record(base, task.seed, draw, draw < task.sensitivity_draws)
            if task.model:
                from optimizer.uncertainty.model_draw import model_record  # noqa: PLC0415

                record["model"] = model_record(task.scenario_path, base, task.seed, draw)
            record["fingerprint"] = task.fingerprint
            out.append((draw, draw_bytes(record)))
    return out


def batches(draws: Sequence[int], workers: int, *, cost: Callable[[int], float] | None = None,
            largest: int = 25) -> list[tuple[int, ...]]:
    """Split ``draws`` (in order) into batches of about equal ``cost``.

    About eight batches per worker, so a lost or slow batch costs little and the last ones
    even out; never more than ``largest`` draws in a batch (a killed run loses at most the
    batches in flight). ``cost`` of a draw defaults to 1.
    """
    if not draws:
        return []
    weigh = cost or (lambda _draw: 1.0)
    weights = [max(float(weigh(d)), 1e-9) for d in draws]
    target = sum(weights) / (8 * max(workers, 1))
    out: list[tuple[int, ...]] = []
    current: list[int] = []
    load = 0.0
    for draw, weight in zip(draws, weights, strict=True):
        if current and (load + weight > target * (1 + 1e-9) or len(current) >= largest):
            out.append(tuple(current))
            current, load = [], 0.0
        current.append(draw)
        load += weight
    out.append(tuple(current))
    return out


def run_batches(tasks: Sequence[DrawTask], on_records: OnRecords, base: DrawBase, *,
                scheduler: str | None = None, workers: int | None = None) -> BatchRun:
    """Run ``tasks`` on ``base``; call ``on_records`` here as each finishes.

    ``on_records`` gets ``None`` for a batch whose worker was lost (its draws stay missing and
    the next run computes them).

    Raises
    ------
    SolverError
        The scheduler cannot be reached, or has too few workers.
    """
    if not tasks:
        return BatchRun(0, 0.0, 0.0)
    if workers == 0 and scheduler is None:
        t0, cpu0 = time.perf_counter(), time.process_time()
        for task in tasks:
            on_records(task, solve_batch(task, base))
        return BatchRun(0, 0.0, time.perf_counter() - t0, time.process_time() - cpu0)
    t0 = time.perf_counter()
    with dask_client(scheduler, workers, local_workers=workers or os.cpu_count() or 1,
                     worker_environ=WORKER_ENVIRON) as client:
        used = len(client.scheduler_info()["workers"])
        shared = client.scatter(base, broadcast=True)  # type: ignore[no-untyped-call]  # once
        cpu0 = client.run(_cpu_seconds)
        t1, here0 = time.perf_counter(), time.process_time()
        keys = {f"medalloc-draws-{t.fingerprint[:8]}-{t.draws[0]}": t for t in tasks}
        futures = [client.submit(solve_batch, task, shared, key=key, pure=False)
                   for key, task in keys.items()]
        try:
            for future in as_completed(futures, loop=client.loop):  # type: ignore[no-untyped-call]
                task = keys[str(future.key)]
                try:
                    records: list[tuple[int, bytes]] | None = future.result()
                except (KilledWorker, CancelledError):  # lost: these draws stay missing
                    records = None
                on_records(task, records)
        except BaseException:
            client.cancel(futures)  # type: ignore[no-untyped-call]
            raise
        t2, here = time.perf_counter(), time.process_time() - here0
        cpu1 = client.run(_cpu_seconds)
    cpu = sum(cpu1[w] - cpu0[w] for w in cpu1 if w in cpu0)
    return BatchRun(int(used), t1 - t0, t2 - t1, float(cpu), here)
