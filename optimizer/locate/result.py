"""The result of a location kernel: chosen sites, objective, proof status and timings."""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from optimizer.solvers.status import SolveStatus

__all__ = ["LocateResult"]


@dataclass(frozen=True)
class LocateResult:
    """Outcome of one location model.

    Attributes
    ----------
    model : str
        ``"lscp"``, ``"mclp"``, ``"p_median"`` or ``"p_center"``.
    selected : tuple of Hashable
        Ids of the open sites, sorted.
    objective : float
        Objective of ``selected`` evaluated on the full (unreduced) cost data: number of sites
        (LSCP), covered weight (MCLP), weighted total cost (p-median), largest cost of any demand
        point to its nearest open site (p-center). NaN when infeasible.
    status : SolveStatus
        Whether optimality is proven.
    best_bound : float
        Best proven bound on the optimum (upper bound for MCLP, lower bound otherwise); equals
        ``objective`` when optimal, NaN when infeasible.
    gap : float
        ``|objective - best_bound| / |objective|``; 0 when optimal.
    build_seconds : float
        Time spent building and reducing the model.
    solve_seconds : float
        Time spent in the solver (all solver calls together).
    solver : str
        ``"highs"`` or ``"cbc"``.
    assignment : pandas.DataFrame
        One row per demand point (in input order): ``demand_id``, ``site_id`` of its nearest open
        site (missing when no open site is reachable) and ``cost`` to it (``inf`` when none).
    covered_weight : float
        Demand weight within the service standard of an open site (LSCP, MCLP); NaN otherwise.
    total_weight : float
        Sum of all demand weights.
    stats : Mapping[str, int]
        Model sizes and reduction counts (rows merged, columns dropped, iterations, ...).
    """

    model: str
    selected: tuple[Hashable, ...]
    objective: float
    status: SolveStatus
    best_bound: float
    gap: float
    build_seconds: float
    solve_seconds: float
    solver: str
    assignment: pd.DataFrame = field(repr=False, compare=False)
    covered_weight: float = math.nan
    total_weight: float = math.nan
    stats: Mapping[str, int] = field(default_factory=dict, compare=False)

    @property
    def is_optimal(self) -> bool:
        """True when the solver proved the objective optimal."""
        return self.status is SolveStatus.OPTIMAL

    @property
    def seconds(self) -> float:
        """Build plus solve time."""
        return self.build_seconds + self.solve_seconds
