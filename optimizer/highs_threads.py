"""HiGHS's thread scheduler is global to the process: make a run's thread count always take."""

from __future__ import annotations

import os
import sys

__all__ = ["reset_scheduler_for"]


def reset_scheduler_for(threads: int | None) -> None:
    """Let the next HiGHS run use ``threads``, whatever an earlier run in this process set.

    HiGHS starts one global scheduler at its first run; a later run that asks for another number
    of threads fails with "the scheduler has already been initialized" and no solution. Resetting
    it (blocking until idle) before a run that sets ``threads`` makes solves independent of what
    ran before them in the same process (a CLI session, a test suite, a Dask worker).
    """
    if threads is None:
        return
    import highspy  # noqa: PLC0415  (heavy import, only when HiGHS runs)

    highspy.Highs.resetGlobalScheduler(True)
    # After a reset the next Highs() prints HiGHS's banner to file descriptor 1, which would
    # corrupt `--json` output; build that first instance with descriptor 1 pointed at devnull.
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 1)
            highspy.Highs()  # type: ignore[no-untyped-call]
    finally:
        os.dup2(saved, 1)
        os.close(saved)
