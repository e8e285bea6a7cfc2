"""HiGHS's process-wide quirks: its global thread scheduler, and its banner on stdout.

The thread scheduler is global to the process: :func:`reset_scheduler_for` makes a run's thread
count always take. A new ``Highs()`` may print HiGHS's banner to file descriptor 1 before any
option can silence it: :func:`silent_highs` builds one with descriptor 1 pointed at devnull, so
``--json`` output stays pure JSON.
"""

from __future__ import annotations

import os
import sys
from typing import Any

__all__ = ["reset_scheduler_for", "silent_highs"]


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
    # corrupt `--json` output; build that first instance silently.
    silent_highs()


def silent_highs() -> Any:
    """A new ``highspy.Highs`` whose start-up banner does not reach standard output."""
    import highspy  # noqa: PLC0415  (heavy import, only when HiGHS runs)

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 1)
            return highspy.Highs()  # type: ignore[no-untyped-call]
    finally:
        os.dup2(saved, 1)
        os.close(saved)
