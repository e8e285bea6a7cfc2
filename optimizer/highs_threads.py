"""HiGHS's thread scheduler is global to the process: make a run's thread count always take."""

from __future__ import annotations

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
