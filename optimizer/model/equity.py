"""Equity by town of residence: staff and beds within reach per 1000 residents, before and after.

For every plan year, the enhanced 2SFCA of :mod:`optimizer.spatial.access` (the scenario's
``[coverage.access]`` resources and step weights, the travel mode of the ``access`` purpose) is
computed with the plan's levels as supply, where a facility's supply is who *serves* there
(``plan.csv`` ``served``: posts plus doctors seconded in, less those seconded out) and each
demand point's residents are projected to the year. A town's figure is the population-weighted
mean of its demand points with access (a point with no facility in reach has NaN, not 0, and
``no_access_population`` counts its residents). The spread across towns (largest less
smallest, and the Gini of :func:`optimizer.spatial.access.weighted_gini`, which leaves towns
without access out and counts them) says whether the plan narrows or widens the gaps.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from optimizer.dataset.load import Dataset
from optimizer.model.inputs import ModelInputs, growth_factors
from optimizer.model.reach import access_table
from optimizer.spatial.access import (
    access_column,
    access_indices,
    gini_skipping_nan,
    town_access,
)

__all__ = ["access_by_town", "equity_summary"]


def access_by_town(dataset: Dataset, inputs: ModelInputs, plan: pd.DataFrame) -> pd.DataFrame:
    """Per town and year: population, access per 1000 over the points with access, no access.

    Columns ``town_code``, ``year``, ``population``, ``<resource>_access_per_1000`` and
    ``no_access_population``.

    Rows for every plan year and, when it is not a plan year, for the data's year (``before``
    of the first plan year): the situation the plan starts from.
    """
    scenario = inputs.scenario
    resources = [r for r in scenario.coverage.access.resources if r in inputs.resources]
    columns = ["town_code", "year", "population",
               *(f"{r}_access_per_1000" for r in resources), "no_access_population"]
    if not resources:
        return pd.DataFrame(columns=columns)
    table, steps = access_table(dataset, scenario)
    demand = dataset.demand.assign(demand_id=dataset.demand["demand_id"].astype(str),
                                   town_code=dataset.demand["town_code"].astype(str))
    first = inputs.years[0]
    cases = [(year, plan[plan["year"].eq(year)], "served", inputs.growth[year])
             for year in inputs.years]
    if inputs.plan.levels_year != first:
        base = growth_factors(scenario, [inputs.plan.levels_year])[inputs.plan.levels_year]
        cases.insert(0, (inputs.plan.levels_year, plan[plan["year"].eq(first)], "before", base))
    frames = []
    for year, rows, column, factor in cases:
        supply = rows.pivot_table(index="facility_id", columns="resource", values=column,
                                  aggfunc="sum").reset_index()
        people = demand.assign(population=pd.to_numeric(demand["population"]) * factor)
        access = access_indices(table, people, supply, resources=resources,
                                step_weights=steps)
        by_town = town_access(access, resources).rename(
            columns={access_column(r): f"{r}_access_per_1000" for r in resources})
        population = access.groupby("town_code")["population"].sum()
        frames.append(by_town.assign(year=year,
                                     population=by_town["town_code"].map(population)))
    return pd.concat(frames, ignore_index=True)[columns]


def _rounded(value: float) -> float | None:
    return round(value, 6) if math.isfinite(value) else None


def equity_summary(access: pd.DataFrame) -> dict[str, dict[str, object]]:
    """Per access resource and year: the smallest and largest town figure, spread and Gini."""
    result: dict[str, dict[str, object]] = {}
    for column in [c for c in access.columns if c.endswith("_access_per_1000")]:
        by_year: dict[str, object] = {}
        for year, part in access.groupby("year", sort=True):
            values = part[column].to_numpy(dtype=np.float64)
            pop = part["population"]
            ok = np.isfinite(values)
            low, high = (float(values[ok].min()), float(values[ok].max())) if ok.any() \
                else (math.nan, math.nan)
            gini, skipped = gini_skipping_nan(values, pop.to_numpy(dtype=np.float64))
            # A figure that cannot be computed (no town with access; everyone at zero has no
            # Gini) is null in summary.json, never NaN (which is not JSON).
            entry: dict[str, object] = {
                "lowest": _rounded(low), "highest": _rounded(high),
                "spread": _rounded(high - low), "gini": _rounded(gini),
            }
            if skipped:  # towns with no access are left out of the Gini, and said so
                entry["no_access_skipped"] = skipped
            if "no_access_population" in part:
                without = float(part["no_access_population"].fillna(0).sum())
                if without > 0:  # residents left out of their town's mean, and said so
                    entry["no_access_residents"] = round(without, 6)
            by_year[str(year)] = entry
        result[column] = by_year
    return result
