"""A HiGHS run that sets its thread count works after any earlier run in the process."""

from __future__ import annotations

import itertools

import highspy
import numpy as np
import pytest

from optimizer.locate import p_median
from optimizer.solvers.highs import reset_scheduler_for


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


def test_locate_with_threads_after_a_default_run() -> None:
    rng = np.random.default_rng(7)
    costs = rng.uniform(1.0, 100.0, size=(40, 12))
    weights = rng.uniform(1.0, 5.0, size=40)
    best = min(float((weights * costs[:, list(c)].min(axis=1)).sum())
               for c in itertools.combinations(range(12), 3))
    assert _run(None) == highspy.HighsStatus.kOk
    result = p_median(costs, weights, p=3, threads=1)
    assert result.status == "optimal"
    assert result.objective == pytest.approx(best)
