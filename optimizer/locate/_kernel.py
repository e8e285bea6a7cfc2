"""What every kernel does before and after its model: check inputs, time, and assemble results.

Every kernel reads ``inputs = begin(costs, weights, **common)``, then its model, then
``inputs.finish(...)`` (or ``inputs.infeasible(...)``), so that the kernel function reads as its
model and nothing else.
"""

from __future__ import annotations

import math
import time
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from optimizer.locate._common import Flows, result, solver_options
from optimizer.locate.costs import LONG_COLUMNS, CostData, CostInput, prepare_costs
from optimizer.locate.result import LocateResult
from optimizer.solvers.mip import SolverOptions
from optimizer.solvers.status import SolveStatus

__all__ = ["Inputs", "begin"]

IntArray = npt.NDArray[np.int64]
Weights = npt.ArrayLike | pd.Series | None


@dataclass(frozen=True)
class Inputs:
    """Validated costs, required sites, solver options and the start time of one kernel call."""

    data: CostData
    required: IntArray
    options: SolverOptions
    started: float

    def elapsed(self) -> float:
        """Seconds since the kernel was called."""
        return time.perf_counter() - self.started

    def finish(
        self,
        model: str,
        selected: IntArray,
        objective: float,
        status: SolveStatus,
        bound: float,
        *,
        solve_seconds: float = 0.0,
        build_seconds: float | None = None,
        standard: float | None = None,
        stats: Mapping[str, int] | None = None,
        flows: Flows | None = None,
        backup_weight: float = math.nan,
    ) -> LocateResult:
        """The `LocateResult` of a solved model (build time defaults to elapsed less solving)."""
        build = self.elapsed() - solve_seconds if build_seconds is None else build_seconds
        return result(
            model=model,
            data=self.data,
            selected=selected,
            objective=objective,
            status=status,
            bound=bound,
            build_seconds=max(build, 0.0),
            solve_seconds=solve_seconds,
            solver=self.options.solver,
            standard=standard,
            stats=stats,
            flows=flows,
            backup_weight=backup_weight,
        )

    def infeasible(
        self,
        model: str,
        *,
        standard: float | None = None,
        stats: Mapping[str, int] | None = None,
        solve_seconds: float = 0.0,
    ) -> LocateResult:
        """The `LocateResult` of a model proven to have no solution."""
        return self.finish(
            model,
            self.required,
            math.nan,
            SolveStatus.INFEASIBLE,
            math.nan,
            solve_seconds=solve_seconds,
            standard=standard,
            stats=stats,
        )


def begin(
    costs: CostInput,
    weights: Weights,
    *,
    required: Iterable[Hashable] = (),
    forbidden: Iterable[Hashable] = (),
    demand_ids: Sequence[Hashable] | None = None,
    site_ids: Sequence[Hashable] | None = None,
    columns: tuple[str, str, str] = LONG_COLUMNS,
    solver: str = "highs",
    time_limit: float | None = None,
    mip_gap: float = 0.0,
    threads: int | None = None,
) -> Inputs:
    """Validate the arguments every kernel shares (see `optimizer.locate.costs.prepare_costs`)."""
    started = time.perf_counter()
    options = solver_options(solver, time_limit, mip_gap, threads)
    data, req = prepare_costs(
        costs,
        weights,
        demand_ids=demand_ids,
        site_ids=site_ids,
        required=required,
        forbidden=forbidden,
        columns=columns,
    )
    return Inputs(data, req, options, started)
