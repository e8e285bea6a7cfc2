"""Service flows checked, not carried: who is served where, given the levels a stage chose.

Family (6) of :mod:`optimizer.model.build` asks that a flow exists: every resident within
reach of capacity, Σ_j serve[k,j,t] + unmet[k,t] = p_k(t) and Σ_k serve[k,j,t] ≤ u·L(j,r,t).
Once the ``unmet`` stage has shown that nobody need be left out, the later stages only have to
keep such a flow possible; carrying its 200,000 columns (ten-fold county) through every stage
made them ten to sixty times slower. :func:`flows_for` solves the flow LP for given levels:
when every resident is served the levels are flow-feasible, the relaxed stage's optimum is the
full model's, and the LP's flows are the ones reported.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import scipy.sparse as sp

from optimizer.model.problem import AllocationModel
from optimizer.model.results import value_of
from optimizer.solvers.mip import MipModel, SolverOptions, solve_mip
from optimizer.solvers.status import SolveStatus

__all__ = ["flows_for"]


def flows_for(model: AllocationModel, values: Mapping[str, float], year: int
              ) -> tuple[float, dict[str, float]]:
    """The least unserved residents in ``year`` at the levels of ``values``, and the flows.

    Returns the smallest Σ_k unmet[k,t] (``inf`` when the LP fails) and the values of the
    year's ``serve`` and ``unmet`` variables, by name.
    """
    inputs = model.inputs
    section = inputs.scenario.capacity
    if section is None:
        return 0.0, {}
    pairs = [(gid, fid) for (gid, fid, y) in model.serve if y == year]
    groups = [gid for (gid, y) in model.unmet if y == year]
    facilities = sorted({fid for _, fid in pairs})
    people = inputs.group_population(year)
    n_pairs, n_groups = len(pairs), len(groups)
    row_of_group = {gid: i for i, gid in enumerate(groups)}
    row_of_facility = {fid: n_groups + i for i, fid in enumerate(facilities)}
    rows = [row_of_group[g] for g, _ in pairs] + [row_of_facility[f] for _, f in pairs]
    cols = list(range(n_pairs)) * 2
    rows += [row_of_group[g] for g in groups]
    cols += [n_pairs + i for i in range(n_groups)]
    matrix = sp.csr_matrix((np.ones(len(rows)), (rows, cols)),
                           shape=(n_groups + len(facilities), n_pairs + n_groups))
    capacity = np.full(len(facilities), np.inf)
    for i, fid in enumerate(facilities):
        for rule in section.rules:
            term = model.L(fid, rule.resource, year)
            level = float(term) if isinstance(term, int | float) else \
                float(value_of(term, values))
            capacity[i] = min(capacity[i], rule.residents * max(level, 0.0))
    demand = np.array([float(people[g]) for g in groups])
    lp = MipModel(
        sense="min", c=np.concatenate([np.zeros(n_pairs), np.ones(n_groups)]),
        a_matrix=matrix, row_lower=np.concatenate([demand, np.full(len(facilities), -np.inf)]),
        row_upper=np.concatenate([demand, capacity]),
        col_lower=np.zeros(n_pairs + n_groups),
        col_upper=np.full(n_pairs + n_groups, np.inf),
        integer=np.zeros(n_pairs + n_groups, dtype=bool))
    outcome = solve_mip(lp, SolverOptions(threads=1))
    if outcome.status is not SolveStatus.OPTIMAL or outcome.x is None:
        return float("inf"), {}
    found = {model.serve[(g, f, year)].name: float(x)
             for (g, f), x in zip(pairs, outcome.x[:n_pairs], strict=True)}
    found.update({model.unmet[(g, year)].name: float(x)
                  for g, x in zip(groups, outcome.x[n_pairs:], strict=True)})
    return float(outcome.objective), found
