"""Read a solution (variable values by name) back into domain terms: levels, sites, coverage.

Works from the values mapping `optimizer.model.solve` returns, never from solver objects.
Integer decisions are rounded (solvers return 0.9999999 for 1).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

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
    need : pandas.DataFrame
        ``facility_id``, ``year``, ``resource``, ``need`` (at the solution's beds and
        sub-centres), ``basis``, ``served`` (residents), ``served_level`` (who serves there:
        the level plus seconded doctors in, less those seconded out); empty without ``[need]``.
    seconded : pandas.DataFrame
        ``facility_id``, ``year``, ``recruits`` (over the period ending that year, at a named
        hospital), ``seconded_out`` (from it, serving at grassroots that year), ``seconded_in``
        (serving at a grassroots facility that year); empty without ``[county_hired]``.
    """

    levels: pd.DataFrame
    sub_centres: tuple[str, ...]
    cvc: Mapping[int, tuple[str, ...]]
    coverage: pd.DataFrame
    unmet: pd.DataFrame
    need: pd.DataFrame
    seconded: pd.DataFrame


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
            if fid in subs and year >= inputs.sub_from_year and (
                    year != inputs.plan.levels_year or fid in inputs.sub_fixed):
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
                sure = gid in fixed or (service, gid, year) in model.certain
                share = 1.0 if sure else (_value(var, values) if var is not None else 0.0)
                cover_rows.append((service, gid, year, min(1.0, max(0.0, share))))
    coverage = pd.DataFrame(cover_rows, columns=["service", "group_id", "year", "covered"])
    unmet = pd.DataFrame(
        [(gid, year, max(0.0, _value(v, values))) for (gid, year), v in model.unmet.items()],
        columns=["group_id", "year", "unmet"],
    )
    return Solution(levels, subs, cvc, coverage, unmet, _need(model, values, subs),
                    _seconded(model, values))


def _need(model: AllocationModel, values: Mapping[str, float], subs: tuple[str, ...]
          ) -> pd.DataFrame:
    """Need of every facility, resource and year, at the solution's beds and sub-centres."""
    columns = ["facility_id", "year", "resource", "need", "basis", "served", "served_level"]
    table = model.need_table
    if table is None or table.empty:
        return pd.DataFrame(columns=columns)
    inputs = model.inputs
    rows = []
    for group, part in table.groupby(["facility_id", "year", "resource"], sort=True):
        key: Any = group
        fid, year, resource = str(key[0]), int(key[1]), str(key[2])
        as_sub = fid in subs and year >= inputs.sub_from_year
        chosen = part[part["as_sub"].eq(as_sub)]
        row = (chosen if len(chosen) else part).iloc[0]
        beds = round(_value(model.L(fid, "beds", year), values)) if "beds" in inputs.resources \
            else 0
        need = float(row["constant"]) + float(row["per_bed"]) * beds
        served = _value(model.effective(fid, resource, year), values)
        rows.append((fid, year, resource, need, str(row["basis"]), float(row["served"]),
                     round(served)))
    return pd.DataFrame(rows, columns=columns)


def _seconded(model: AllocationModel, values: Mapping[str, float]) -> pd.DataFrame:
    columns = ["facility_id", "year", "recruits", "seconded_out", "seconded_in"]
    inputs = model.inputs
    section = inputs.scenario.county_hired
    if section is None or not (model.seconded or model.seconded_out):
        return pd.DataFrame(columns=columns)
    d = section.resource
    rows = []
    for (fid, _, year), var in sorted(model.seconded_out.items()):
        rows.append((fid, year, round(_value(model.increase(fid, d, year), values)),
                     round(_value(var, values)), 0))
    for (fid, _, year), var in sorted(model.seconded.items()):
        rows.append((fid, year, 0, 0, round(_value(var, values))))
    return pd.DataFrame(rows, columns=columns).sort_values(["year", "facility_id"]
                                                           ).reset_index(drop=True)


def value_of(expr: object, values: Mapping[str, float]) -> float:
    """Public form of the expression evaluator (for objectives and policy rows)."""
    return _value(expr, values)


__all__ += ["value_of"]
