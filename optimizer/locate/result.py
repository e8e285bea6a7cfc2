"""The result of a location kernel: chosen sites, objective, proof status and timings."""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from optimizer.solvers.status import SolveStatus

__all__ = ["LocateResult"]


ALLOCATION_COLUMNS = ("demand_id", "site_id", "cost", "amount")


def _no_allocation() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object if c.endswith("id") else float)
                         for c in ALLOCATION_COLUMNS})


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
    allocation : pandas.DataFrame
        Which open sites serve which demand points: ``demand_id``, ``site_id``, ``cost`` and
        ``amount`` (the share of the point's weight the site serves: 1 for its nearest site in
        the median and center models, for every open site within the standard in the coverage
        models, the flow's share in the capacitated models). Points served by no open site have
        no row. Empty when no solution exists.
    backup_weight : float
        Demand weight covered by at least two open sites within the standard (LSCP-B, BCLP);
        NaN for the other models.
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
    allocation: pd.DataFrame = field(default_factory=_no_allocation, repr=False, compare=False)
    backup_weight: float = math.nan

    @property
    def is_optimal(self) -> bool:
        """True when the solver proved the objective optimal."""
        return self.status is SolveStatus.OPTIMAL

    @property
    def seconds(self) -> float:
        """Build plus solve time."""
        return self.build_seconds + self.solve_seconds

    @property
    def facility_clients(self) -> dict[Hashable, tuple[Hashable, ...]]:
        """Each open site's demand ids (spopt's ``fac2cli``), in input order of the points."""
        groups = self.allocation.groupby("site_id", sort=False)["demand_id"]
        served: dict[Hashable, tuple[Hashable, ...]] = {
            site: tuple(ids) for site, ids in groups}
        return {site: served.get(site, ()) for site in self.selected}

    @property
    def client_facilities(self) -> dict[Hashable, tuple[Hashable, ...]]:
        """Each demand point's serving sites (spopt's ``cli2fac``), empty when none serves it."""
        groups = self.allocation.groupby("demand_id", sort=False)["site_id"]
        served: dict[Hashable, tuple[Hashable, ...]] = {
            demand: tuple(sorted(ids, key=str)) for demand, ids in groups}
        return {d: served.get(d, ()) for d in self.assignment["demand_id"]}

    @property
    def uncovered_count(self) -> int:
        """Demand points that no open site serves (within the standard, for coverage models)."""
        n = len(self.assignment)
        return int(n - self.allocation["demand_id"].nunique()) if n else 0

    @property
    def mean_cost(self) -> float:
        """Weight-averaged cost of service over the served demand (spopt's ``mean_dist``).

        Each point counts with its weight times the share a site serves (see ``allocation``);
        NaN when nothing is served or the demand has no weight.
        """
        alloc = self.allocation
        if alloc.empty:
            return math.nan
        weight = self.assignment.set_index("demand_id")["weight"].reindex(alloc["demand_id"])
        mass = weight.to_numpy(dtype=float) * alloc["amount"].to_numpy(dtype=float)
        if self.model in _COVERAGE_MODELS:
            # coverage lists every covering site: average over each point's nearest one
            return _nearest_mean(self.assignment)
        total = float(mass.sum())
        if total <= 0:
            return math.nan
        return float(mass @ alloc["cost"].to_numpy(dtype=float)) / total


_COVERAGE_MODELS = frozenset({"lscp", "mclp", "lscp_b", "bclp"})


def _nearest_mean(assignment: pd.DataFrame) -> float:
    cost = assignment["cost"].to_numpy(dtype=float)
    weight = assignment["weight"].to_numpy(dtype=float)
    ok = math.inf > cost
    total = float(weight[ok].sum())
    return float(weight[ok] @ cost[ok]) / total if total > 0 else math.nan
