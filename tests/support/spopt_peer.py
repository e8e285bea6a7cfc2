"""Run spopt (a test dependency) on the same inputs and read its answers in spopt's own terms.

spopt stores some expected answers of its test suite as pickles; we never load them. Instead the
peer tests build the same inputs and ask spopt for the answer here, then compare it with ours:
equal where the optimum is unique, equal objective (a tie) where it is not.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from optimizer.locate import LocateResult

pulp = pytest.importorskip("pulp")


def solve(build: Callable[[], Any]) -> Any:
    """Build a spopt model and solve it to proven optimality with CBC (quietly)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # spopt's PuLP-3 and geographic-CRS warnings
        model = build()
        return model.solve(pulp.PULP_CBC_CMD(msg=False, gapRel=0))


def selected(model: Any) -> set[int]:
    """Positions of spopt's open facilities."""
    return {j for j, v in enumerate(model.fac_vars) if (v.value() or 0) > 0.5}


def objective(model: Any) -> float:
    """spopt's objective value."""
    return float(pulp.value(model.problem.objective))


def as_lists(result: LocateResult, n: int, m: int) -> tuple[list[list[int]], list[list[int]]]:
    """Our result as spopt's ``fac2cli`` and ``cli2fac`` (positions, sorted)."""
    fac = result.facility_clients
    cli = result.client_facilities
    fac2cli = [sorted(int(i) for i in fac.get(j, ())) for j in range(m)]
    cli2fac = [sorted(int(j) for j in cli.get(i, ())) for i in range(n)]
    return fac2cli, cli2fac


def spopt_lists(model: Any) -> tuple[list[list[int]], list[list[int]]]:
    """spopt's ``fac2cli`` and ``cli2fac`` with each inner list sorted."""
    return ([sorted(int(i) for i in row) for row in model.fac2cli],
            [sorted(int(j) for j in row) for row in model.cli2fac])


def covering_lists(costs: np.ndarray, sites: set[int], standard: float
                   ) -> tuple[list[list[int]], list[list[int]]]:
    """``fac2cli``/``cli2fac`` of a coverage model for an open set: who is within the standard."""
    n, m = costs.shape
    within = costs <= standard
    fac2cli = [sorted(np.flatnonzero(within[:, j]).tolist()) if j in sites else []
               for j in range(m)]
    cli2fac = [sorted(j for j in sites if within[i, j]) for i in range(n)]
    return fac2cli, cli2fac
