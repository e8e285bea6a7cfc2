"""The model's objectives (coverage, travel, unmet, worst town, cost, changes) and the budget.

``cost`` = Σ_s c_sub·open_sub[s] + Σ_c c_cvc·open_cvc[c,T] + Σ_{j,r,t} a_r·increase[j,r,t]
+ Σ_t Δt·Σ_r y_r·(Σ_j L(j,r,t) - Σ_j b[j,r]): one-off costs of upgrades and of every unit added
(a bed built, a post recruited), plus the yearly cost of the change in posts over each period's
years (negative when posts are cut). Money is in ``[costs] unit``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulp

from optimizer.errors import ScenarioError
from optimizer.model.placement import spread_rows
from optimizer.model.problem import AllocationModel, add_row

__all__ = ["SENSES", "UNITS", "budget", "cost", "objective", "unit_of"]

# Direction of each objective; "coverage:<service>" is maximised.
SENSES = {"targets": "min", "travel": "min", "unmet": "min", "need": "min", "shortfall": "min",
          "spread": "min", "worst_town": "min", "cost": "min", "changes": "min"}
# What each objective's value counts, for a planner reading the stage table.
UNITS = {
    "targets": "relative shortfall of the expected targets, summed (0 = all met)",
    "coverage": "residents covered, summed over the plan years",
    "travel": "resident-minutes to the serving facility, summed over the plan years",
    "unmet": "residents without a bed in reach, summed over the plan years",
    "need": "worst facility shortfall against need (share of its need), summed over resources "
            "and decision years",
    "shortfall": "shortfall against need as a share of the district's need, summed over "
                 "resources and decision years",
    "spread": "convex penalty of whole units above need (net of a surplus of posts already "
              "held), each resource and year weighed by 10 000 over the district's need",
    "worst_town": "largest share of a town's residents without a bed in reach",
    "cost": "money in the [costs] unit over the horizon",
    "changes": "units added or removed at facilities, summed over the periods",
}


def unit_of(name: str) -> str:
    """What the value of objective ``name`` counts."""
    return UNITS[name.split(":", 1)[0] if ":" in name else name]


def cost(model: AllocationModel) -> Any:
    """The cost expression of the module docstring."""
    inputs = model.inputs
    costs = inputs.scenario.costs
    terms: list[Any] = [costs.sub_centre_upgrade * pulp.lpSum(model.open_sub.values())]
    last = inputs.years[-1]
    terms.append(costs.central_village_clinic * pulp.lpSum(
        v for (_, year), v in model.open_cvc.items() if year == last))
    changeable = inputs.facilities.index[inputs.facilities["role"].ne("fixed")]
    for resource, price in sorted(costs.per_unit_added.items()):
        terms += [price * model.increase(fid, resource, year)
                  for fid in changeable for year in inputs.years]
    for resource, price in sorted(costs.per_unit_year.items()):
        base = float(inputs.facilities[resource].sum())
        for year in inputs.years:
            span = year - inputs.previous(year)
            if span:
                terms.append(price * span * (model.total(resource, year) - base))
    return pulp.lpSum(terms)


def budget(model: AllocationModel) -> None:
    """(3d) cost ≤ budget."""
    costs = model.inputs.scenario.costs
    if costs.budget is None:
        return
    add_row(model, cost(model), "<=", costs.budget, name="budget", family=3, year=None,
            unit=costs.unit, weight=0.01,
            text=f"the budget of {costs.budget:,.0f} {costs.unit}")


def objective(model: AllocationModel, name: str,
              values: Mapping[str, float] | None = None) -> tuple[str, Any]:
    """Return ``(sense, expression)`` of the objective called ``name``.

    ``values`` (the previous stage's solution) is needed by the spread stages, whose rows are
    built when they start (:func:`optimizer.model.placement.spread_rows`).

    Raises
    ------
    ScenarioError
        When the objective needs a table the scenario lacks (flows need ``[capacity]``).
    """
    inputs = model.inputs
    if name.startswith("coverage:"):
        service = name.removeprefix("coverage:")
        return "max", pulp.lpSum(model.covered[(service, y)] for y in inputs.years)
    if name in ("travel", "unmet", "worst_town") and inputs.scenario.capacity is None:
        raise ScenarioError(f"objective '{name}' needs service flows: add a [capacity] table")
    if name == "travel":
        minutes = inputs.flows.set_index(["group_id", "facility_id"])["minutes"]
        return "min", pulp.lpSum(float(minutes[(gid, fid)]) * v
                                 for (gid, fid, _), v in model.serve.items())
    if name == "unmet":
        return "min", pulp.lpSum(model.unmet.values())
    if name == "worst_town":
        return "min", model.worst
    if name == "cost":
        return "min", cost(model)
    if name == "targets":
        return "min", pulp.lpSum(weight * v for v, weight in model.target_slack.values())
    family = name.split(":", maxsplit=1)[0]
    if family in ("need", "shortfall", "spread") and inputs.scenario.need is None:
        raise ScenarioError(f"objective '{name}' needs a [need] table (norms and utilisation)")
    if name == "need":
        return "min", pulp.lpSum(model.short_worst.values())
    district = model.district_need()
    if name == "shortfall":
        return "min", pulp.lpSum(v / district[(r, y)] for (_, r, y), v in model.short.items())
    if name == "spread" or name.startswith("spread:"):
        if name == "spread" or values is None:
            raise ScenarioError(f"objective '{name}' runs as one stage per resource, built from "
                                "the previous stage's solution (optimizer.model.stages)")
        return "min", spread_rows(model, name.removeprefix("spread:"), values)
    return "min", pulp.lpSum([*model.up.values(), *model.down.values()])
