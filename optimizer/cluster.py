"""The Dask connection of sweeps and uncertainty draws: join a scheduler or start a local cluster.

A scheduler address joins an existing cluster (waiting up to 60 s for the workers asked for); no
address starts a local cluster of single-threaded worker processes on the loopback interface,
with no dashboard (the scheduler's plain HTTP routes go to a free port, not 8787, which another
cluster on the machine may hold). ``worker_environ`` replaces Dask's default environment of the
local workers' processes (:data:`distributed.nanny.pre-spawn-environ`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, nullcontext

import dask
from distributed import Client, LocalCluster

from optimizer.errors import SolverError

__all__ = ["dask_client"]

_TRIM = "MALLOC_TRIM_THRESHOLD_"


@contextmanager
def _without_trim() -> Iterator[None]:
    """Start workers without ``MALLOC_TRIM_THRESHOLD_`` even if an earlier cluster left it.

    Dask's nanny writes its pre-spawn environment into this process's ``os.environ`` and
    never takes it back, so a cluster started earlier in the same process (a sweep, a test)
    would hand it to later workers through inheritance.
    """
    saved = os.environ.pop(_TRIM, None)
    try:
        yield
    finally:
        if saved is not None:
            os.environ[_TRIM] = saved


@contextmanager
def dask_client(scheduler: str | None, workers: int | None, *, local_workers: int,
                worker_environ: Mapping[str, object] | None = None) -> Iterator[Client]:
    """A client of the cluster at ``scheduler``, or of a local one of ``local_workers``.

    Raises
    ------
    SolverError
        The scheduler cannot be reached, or has fewer than ``workers`` workers after 60 s.
    """
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
                    have = len(client.scheduler_info()["workers"])
                    raise SolverError(f"the cluster at {scheduler} has {have} of the {workers} "
                                      "workers asked for after 60 s; start more workers or ask "
                                      "for fewer") from None
            yield client
        return
    environ = {} if worker_environ is None else {
        "distributed.nanny.pre-spawn-environ": dict(worker_environ)}
    with _without_trim() if worker_environ is not None else nullcontext(), \
            dask.config.set(environ), \
            LocalCluster(n_workers=max(1, local_workers),  # type: ignore[no-untyped-call]
                         threads_per_worker=1, processes=True, host="127.0.0.1",
                         dashboard_address=None,
                         scheduler_kwargs={"dashboard_address": "127.0.0.1:0"}) as cluster, \
            Client(cluster, set_as_default=False) as client:  # type: ignore[no-untyped-call]
        yield client
