"""Read a solution (variable values by name) back into domain terms: levels, sites, coverage.

Works from the values mapping `optimizer.model.solve` returns, never from solver objects.
Integer decisions are rounded (solvers return 0.9999999 for 1).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
import pulp

from optimizer.model.problem import AllocationModel

__all__ = ["Solution", "read_solution"]


@dataclass(frozen=True)
class Solution:
    """A plan in domain terms.

    Attributes
    ----------
    levels : pandas.DataFrame
        ``facility_id``, ``year``, ``resource``, ``level`` for every facility and plan year,
        plus ``before`` (the level in the previous year, the data's in the first) and ``tier``
        (the facility's tier in that year: ``sub_centre`` or ``central_village_clinic`` once
        upgraded).
    sub_centres : tuple of str
        Facility ids of the chosen sub-centres.
    cvc : Mapping[int, tuple of str]
        Year -> central village clinics.
    coverage : pandas.DataFrame
        ``service``, ``group_id``, ``year``, ``covered`` (share of the group within reach; only
        groups in the service's scope).
    unmet : pandas.DataFrame
        ``group_id``, ``year``, ``unmet`` (residents); empty without ``[capacity]``.
    """

    levels: pd.DataFrame
    sub_centres: tuple[str, ...]
    cvc: Mapping[int, tuple[str, ...]]
    coverage: pd.DataFrame
    unmet: pd.DataFrame


def _value(expr: object, values: Mapping[str, float]) -> float:
    """Value of a number, variable or affine expression under ``values``."""
    if isinstance(expr, int | float):
        return float(expr)
    if isinstance(expr, pulp.LpVariable):
        # A variable in no row or objective is not sent to the solver; it sits at its bound.
        return float(values.get(expr.name, float(expr.lowBound or 0.0)))
    if isinstance(expr, pulp.LpAffineExpression):
        total = float(expr.constant)
        for v, coef in expr.items():
            total += float(coef) * float(values.get(v.name, float(v.lowBound or 0.0)))
        return total
    raise TypeError(f"cannot evaluate {type(expr).__name__}")


def read_solution(model: AllocationModel, values: Mapping[str, float]) -> Solution:
    """Turn variable values into a `Solution`."""
    inputs = model.inputs
    subs = tuple(sorted(f for f, v in model.open_sub.items() if _value(v, values) > 0.5))
    cvc = {year: tuple(sorted(f for (f, y), v in model.open_cvc.items()
                              if y == year and _value(v, values) > 0.5))
           for year in inputs.years}
    rows = []
    tiers = inputs.facilities["tier"]
    for fid in inputs.facilities.index:
        for year in inputs.years:
            tier = str(tiers.loc[fid])
            if fid in subs and year >= inputs.sub_from_year and year != inputs.plan.levels_year:
                tier = "sub_centre"
            elif fid in cvc[year]:
                tier = "central_village_clinic"
            before = inputs.previous(year)
            for resource in inputs.resources:
                level = round(_value(model.L(fid, resource, year), values))
                prior = (inputs.base(fid, resource) if before == inputs.plan.levels_year
                         else round(_value(model.L(fid, resource, before), values)))
                rows.append((fid, year, resource, tier, prior, level))
    levels = pd.DataFrame(rows, columns=["facility_id", "year", "resource", "tier", "before",
                                         "level"])
    cover_rows = []
    for service, section in sorted(inputs.scenario.services.items()):
        groups = inputs.groups
        scope = groups.index[groups["rural"]] if section.population == "rural" else groups.index
        fixed = inputs.cover_fixed[service]
        for year in inputs.years:
            for gid in scope:
                var = model.cover.get((service, gid, year))
                share = 1.0 if gid in fixed else (_value(var, values) if var is not None else 0.0)
                cover_rows.append((service, gid, year, min(1.0, max(0.0, share))))
    coverage = pd.DataFrame(cover_rows, columns=["service", "group_id", "year", "covered"])
    unmet = pd.DataFrame(
        [(gid, year, max(0.0, _value(v, values))) for (gid, year), v in model.unmet.items()],
        columns=["group_id", "year", "unmet"],
    )
    return Solution(levels, subs, cvc, coverage, unmet)


def value_of(expr: object, values: Mapping[str, float]) -> float:
    """Public form of the expression evaluator (for objectives and policy rows)."""
    return _value(expr, values)


__all__ += ["value_of"]
