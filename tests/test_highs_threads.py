"""A HiGHS run that sets its thread count works after any earlier run in the process."""

from __future__ import annotations

import highspy

from optimizer.highs_threads import reset_scheduler_for


def _run(threads: int | None) -> highspy.HighsStatus:
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    if threads is not None:
        h.setOptionValue("threads", threads)
    h.addVar(0.0, 1.0)
    return h.run()


def test_thread_count_takes_after_a_default_run() -> None:
    assert _run(None) == highspy.HighsStatus.kOk  # starts the global scheduler at its default
    reset_scheduler_for(1)
    assert _run(1) == highspy.HighsStatus.kOk
    reset_scheduler_for(2)
    assert _run(2) == highspy.HighsStatus.kOk
    assert _run(None) == highspy.HighsStatus.kOk
