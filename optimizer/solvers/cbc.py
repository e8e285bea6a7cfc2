"""Run PuLP's bundled CBC with its log captured, so callers read CBC's own result and bounds."""

from __future__ import annotations

import os
import re
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from optimizer.errors import SolverError

__all__ = ["CbcRun", "solve_logged"]

_RESULT = re.compile(r"Result - (.*)")


@dataclass(frozen=True)
class CbcRun:
    """What one CBC run left behind.

    Attributes
    ----------
    log : str
        CBC's full log.
    result : str
        CBC's own result line ("Optimal solution found", "Stopped on time limit", ...), or PuLP's
        status name when the log has none.
    seconds : float
        Wall time of the solve.
    """

    log: str
    result: str
    seconds: float


def solve_logged(problem: Any, make_command: Callable[[str], Any]) -> CbcRun:
    """Solve a PuLP problem with the command ``make_command(log_path)`` and read CBC's log.

    Raises
    ------
    SolverError
        When PuLP reports that CBC failed to run.
    """
    import pulp  # noqa: PLC0415  (only when CBC is asked for)

    fd, log_path = tempfile.mkstemp(prefix="medalloc_cbc_", suffix=".log")
    os.close(fd)
    with warnings.catch_warnings():
        # PuLP 3.3 announces PULP_CBC_CMD's removal in 4.0; it is the bundled CBC we want.
        warnings.simplefilter("ignore", DeprecationWarning)
        command = make_command(log_path)
    t0 = time.perf_counter()
    try:
        problem.solve(command)
        with open(log_path, encoding="utf-8", errors="replace") as fh:
            log = fh.read()
    except pulp.PulpSolverError as exc:
        raise SolverError(f"CBC failed: {exc}") from exc
    finally:
        os.unlink(log_path)
    seconds = time.perf_counter() - t0
    found = _RESULT.search(log)
    result = found.group(1).strip() if found else pulp.LpStatus.get(problem.status, "unknown")
    return CbcRun(log, result, seconds)
