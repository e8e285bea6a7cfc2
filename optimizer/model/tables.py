"""The run's output tables: the plan per facility, the towns, and plan targets against results.

Indicators are recomputed from the plan and town tables themselves (not from the solver), so
what ``indicators.csv`` says is what a planner gets by adding up ``plan.csv``. Rows for the
data's own year (``levels_year``) are checks of the data, not of decisions, and compare at the
precision the plan states its figure in (3.6 per 1000 is met by 3.59997): the shipped data
reproduces the plan's rounded figures. Rows for decision years are met when the achieved
figure is within 1e-9 (relative) of the target: levels are whole numbers, so a floor of 3.8 per
1000 is met by the whole number of doctors at or above 3.8 x residents / 1000.

Every row says its ``kind`` (binding or expected, as the plan marks it), and for a missed target
its ``shortfall`` in the target's unit and in % of the target. An indicator that cannot be
computed (the county-hired rule in a period without recruits) is left empty with the reason in
its note: no ``inf`` is written.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from optimizer.config.sections import RatioRule
from optimizer.dataset.summary import DEFAULT_BASE, RATE_BASE
from optimizer.model.inputs import ModelInputs
from optimizer.model.results import Solution

__all__ = ["INDICATOR_COLUMNS", "county_hired_table", "indicators_table", "per_base",
           "plan_cost", "plan_table", "towns_table"]

Add = Callable[..., None]
INDICATOR_COLUMNS = ["indicator", "year", "kind", "scope", "resource", "per", "sense", "target",
                     "achieved", "met", "shortfall", "shortfall_pct", "note"]
# What an indicator row is to the model: a target it allocates for (target, achieved, met,
# shortfall), or a plan figure it takes as an input (the outside-patient share, a stay target).
SCOPES = ("allocated", "input")


def per_base(inputs: ModelInputs, resource: str) -> int:
    """Residents per which a resource is counted (the scenario's, else 1000; GPs 10 000)."""
    rates = inputs.scenario.policy.get(resource)
    return rates.per if rates is not None else RATE_BASE.get(resource, DEFAULT_BASE)


def plan_table(inputs: ModelInputs, solution: Solution) -> pd.DataFrame:
    """``plan.csv``: one row per facility, year and resource, with before, after and change."""
    levels = solution.levels
    frame = pd.DataFrame({
        "facility_id": levels["facility_id"],
        "name_zh": levels["facility_id"].map(inputs.facilities["name_zh"]),
        "town_code": levels["facility_id"].map(inputs.facilities["town_code"]),
        "tier": levels["tier"],
        "year": levels["year"],
        "resource": levels["resource"],
        "before": levels["before"].astype(np.int64),
        "after": levels["level"].astype(np.int64),
    })
    frame["change"] = frame["after"] - frame["before"]
    return frame.sort_values(["facility_id", "year", "resource"]).reset_index(drop=True)


def towns_table(inputs: ModelInputs, solution: Solution, plan: pd.DataFrame) -> pd.DataFrame:
    """``towns.csv``: per town and year, population, each resource and its rate, coverage."""
    rows = []
    totals = plan.groupby(["town_code", "year", "resource"])["after"].sum()
    groups = inputs.groups
    cover = solution.coverage.assign(town_code=solution.coverage["group_id"].map(
        groups["town_code"]))
    for town in inputs.towns.index:
        for year in inputs.years:
            people = int(inputs.population.loc[town, year])
            row: dict[str, object] = {"town_code": town, "name_zh": inputs.town_name(town),
                                      "year": year, "population": people}
            for resource in inputs.resources:
                level = int(totals.get((town, year, resource), 0))
                per = per_base(inputs, resource)
                row[resource] = level
                row[f"{resource}_per_{per}"] = level / people * per if people else math.nan
            pop = groups["population"] * inputs.growth[year]
            for service in sorted(inputs.scenario.services):
                part = cover[cover["service"].eq(service) & cover["year"].eq(year)
                             & cover["town_code"].eq(town)]
                weight = pop.reindex(part["group_id"]).to_numpy()
                row[f"covered_share_{service}"] = (
                    float((part["covered"].to_numpy() * weight).sum() / weight.sum())
                    if weight.sum() > 0 else math.nan
                )
            if len(solution.unmet):
                part = solution.unmet[solution.unmet["year"].eq(year)]
                in_town = part["group_id"].map(groups["town_code"]).eq(town)
                town_pop = float(pop[groups["town_code"].eq(town)].sum())
                row["unmet_share"] = (float(part.loc[in_town, "unmet"].sum()) / town_pop
                                      if town_pop else math.nan)
            rows.append(row)
    return pd.DataFrame(rows)


def _decimals(value: float) -> int:
    text = f"{value:.10g}"
    return len(text.split(".")[1]) if "." in text else 0


def _met(inputs: ModelInputs, year: int, achieved: float, target: float, sense: str) -> bool:
    """Whether ``achieved`` meets ``target``; data-year rows compare at the target's precision."""
    if year == inputs.plan.levels_year:
        achieved = round(achieved, _decimals(target))
    tol = 1e-9 * max(1.0, abs(target))
    if sense == "==":
        return abs(achieved - target) <= tol
    return achieved <= target + tol if sense == "<=" else achieved >= target - tol


def _shortfall(target: float, achieved: float, sense: str, met: bool) -> float:
    if met or math.isnan(achieved):
        return 0.0
    return abs(achieved - target) if sense == "==" else (
        target - achieved if sense == ">=" else achieved - target)


def indicators_table(inputs: ModelInputs, plan: pd.DataFrame, towns: pd.DataFrame,
                     seconded: pd.DataFrame | None = None,
                     access: pd.DataFrame | None = None) -> pd.DataFrame:
    """``indicators.csv``: one row per target and year (``INDICATOR_COLUMNS``)."""
    rows: list[tuple[object, ...]] = []
    totals = plan.groupby(["year", "resource"])["after"].sum()

    def add(name: str, year: int, target: float, achieved: float, sense: str, note: str, *,
            kind: str = "binding", resource: str = "", per: str = "") -> None:
        met = True if math.isnan(achieved) else _met(inputs, year, achieved, target, sense)
        short = _shortfall(target, achieved, sense, met)
        pct = short / abs(target) * 100 if target else (0.0 if not short else math.nan)
        rows.append((name, year, kind, "allocated", resource, per, sense, target, achieved, met,
                     short, pct, note))

    for resource, rates in sorted(inputs.scenario.policy.items()):
        for year in inputs.years:
            people = inputs.residents(year)
            rate = float(totals.get((year, resource), 0)) / people * rates.per
            label = f"{resource} per {rates.per}"
            for key, sense, word in (("max", "<=", "cap"), ("min", ">=", "floor")):
                if year in getattr(rates, key):
                    add(f"{label} ({word})", year, getattr(rates, key)[year], rate, sense,
                        rates.source, kind=rates.kind, resource=resource, per=str(rates.per))
            column = f"{resource}_per_{rates.per}"
            in_year = towns[towns["year"].eq(year)]
            for key, sense, word in (("town_max", "<=", "cap"), ("town_min", ">=", "floor")):
                if year in getattr(rates, key) and len(in_year):
                    ordered = in_year.sort_values([column, "town_code"],
                                                  ascending=[sense == ">=", True])
                    add(f"{label} in every town ({word})", year, getattr(rates, key)[year],
                        float(ordered[column].iloc[0]), sense,
                        f"worst: {ordered['name_zh'].iloc[0]}", kind=rates.kind,
                        resource=resource, per=f"{rates.per} in every town")
    for rule in inputs.scenario.ratios:
        _ratio_rows(inputs, plan, rule, add)
    _site_rows(inputs, plan, add)
    _county_hired_rows(inputs, seconded, add)
    _equity_rows(inputs, access, add)
    for service, section in sorted(inputs.scenario.services.items()):
        if section.min_share is not None:
            for year in inputs.years:
                in_year = towns[towns["year"].eq(year)]
                column = f"covered_share_{service}"
                share = _weighted_share(inputs, in_year, column, section.population)
                add(f"{service} coverage within {section.minutes:g} min", year,
                    section.min_share, share, ">=", section.source, kind=section.kind,
                    resource="residents", per="share")
    rows += _input_rows(inputs)
    return pd.DataFrame(rows, columns=INDICATOR_COLUMNS)


def _input_rows(inputs: ModelInputs) -> list[tuple[object, ...]]:
    """The plan's figures the model takes as inputs: no target to meet, a number it uses."""
    section = inputs.scenario.need
    if section is None:
        return []
    nan = math.nan
    rows: list[tuple[object, ...]] = []
    tiers = ", ".join(section.inflow_tiers)
    for year, share in sorted(section.inflow.items()):
        rows.append(("patients from outside the district (share)", year, "", "input",
                     "patients", "share", "==", share, nan, None, nan, nan,
                     f"the workload of {tiers} grows with it ([need] inflow)"))
    for target in section.stay_targets:
        for year, days in sorted(target.days.items()):
            rows.append((f"average stay at {', '.join(target.tiers)} (days)", year, "",
                         "input", "days", "stay", "==", days, nan, None, nan, nan,
                         f"bed need follows it ([need] stay_targets); {target.source}"))
    return rows


def _weighted_share(inputs: ModelInputs, towns: pd.DataFrame, column: str, scope: str) -> float:
    frame = towns[towns["town_code"].map(inputs.towns["rural"])] if scope == "rural" else towns
    weight = frame["population"].astype(float)
    values = frame[column].fillna(0.0)
    return float((values * weight).sum() / weight.sum()) if weight.sum() else math.nan


def _ratio_rows(inputs: ModelInputs, plan: pd.DataFrame, rule: RatioRule, add: Add) -> None:
    scope = {"district": None, "town": "town_code", "facility": "facility_id"}[rule.scope]
    for year in rule.years or inputs.years:
        part = plan[plan["year"].eq(year)]
        if rule.scope == "facility":
            part = part[part["facility_id"].map(inputs.facilities["role"]).eq("adjustable")]
        sums = part.pivot_table(index=scope or "year", columns="resource", values="after",
                                aggfunc="sum", fill_value=0)
        num = sums[list(rule.resources)].sum(axis=1).astype(float)
        den = sums[rule.per_resource].astype(float)
        ratio = (num / den.where(den > 0) * rule.per).dropna()
        if ratio.empty:
            continue
        label = f"{' + '.join(rule.resources)} per {rule.per:g} {rule.per_resource}"
        where = "" if scope is None else f" at every {rule.scope}"
        per = f"{rule.per:g} {rule.per_resource}"
        if rule.min is not None:
            add(f"{label}{where} (floor)", year, rule.min, float(ratio.min()), ">=", rule.source,
                kind=rule.kind, resource="+".join(rule.resources), per=per)
        if rule.max is not None:
            add(f"{label}{where} (cap)", year, rule.max, float(ratio.max()), "<=", rule.source,
                kind=rule.kind, resource="+".join(rule.resources), per=per)


def _site_rows(inputs: ModelInputs, plan: pd.DataFrame, add: Add) -> None:
    """Sub-centre standards and count, central village clinic counts, county-hired rule."""
    section = inputs.scenario.sub_centres
    if section is not None:
        std = section.standard
        subs = plan[plan["tier"].eq("sub_centre")]
        for key, part in subs.groupby(["facility_id", "year"]):
            fid, year = str(key[0]), int(str(key[1]))
            if year == inputs.plan.levels_year:
                continue  # the data's levels: the standard is reached by growth from then on
            level = part.set_index("resource")["after"]
            name = inputs.name_of(fid)
            for resource, minimum in sorted(std.min_level.items()):
                add(f"sub-centre {name}: {resource} (standard minimum)", year, minimum,
                    float(level[resource]), ">=", std.source)
            for resource, maximum in sorted(std.max_level.items()):
                add(f"sub-centre {name}: {resource} (standard maximum)", year, maximum,
                    float(level[resource]), "<=", std.source)
            for rule in std.ratios:
                staff = float(level[list(rule.resources)].sum())
                beds = float(level[rule.per_resource])
                add(f"sub-centre {name}: {' + '.join(rule.resources)} per {rule.per_resource}",
                    year, rule.min, staff / beds if beds else math.nan, ">=",
                    std.source if beds else f"n/a: no {rule.per_resource}; {std.source}")
        last = inputs.years[-1]
        chosen = plan[plan["year"].eq(last) & plan["tier"].eq("sub_centre")]["facility_id"]
        count = float(chosen.nunique())
        if section.min_count:
            add("sub-centres (minimum count)", last, section.min_count, count, ">=",
                section.source)
        if section.max_count is not None:
            add("sub-centres (maximum count)", last, section.max_count, count, "<=",
                section.source)
    cvc = inputs.scenario.central_village_clinics
    if cvc is not None:
        for year in inputs.years:
            part = plan[plan["year"].eq(year) & plan["tier"].eq("central_village_clinic")]
            count = float(part["facility_id"].nunique())
            for table, sense, word in ((cvc.count, "==", "exact"), (cvc.min_count, ">=",
                                       "minimum"), (cvc.max_count, "<=", "maximum")):
                if year in table:
                    add(f"central village clinics ({word} count)", year, table[year], count,
                        sense, cvc.source)



def _county_hired_rows(inputs: ModelInputs, seconded: pd.DataFrame | None, add: Add) -> None:
    """Seconded doctors serving at grassroots per a year's recruits at the named hospitals."""
    section = inputs.scenario.county_hired
    if section is None or seconded is None:
        return
    for year in inputs.years:
        if year == inputs.plan.levels_year:
            continue
        span = year - inputs.previous(year)
        part = seconded[seconded["year"].eq(year)]
        recruits = float(part["recruits"].sum())
        serving = float(part["seconded_in"].sum())
        label = (f"county-hired, township-used: {section.resource} seconded to grassroots per "
                 "a year's recruits at the named hospitals")
        if recruits <= 0:
            add(label, year, section.share, math.nan, ">=",
                f"n/a: no recruits at the named hospitals in {inputs.previous(year)}-{year}, "
                "so the rule asks for no secondment", resource=section.resource,
                per="recruit")
            continue
        add(label, year, section.share, serving / (recruits / span), ">=",
            f"{serving:.0f} seconded for {recruits:.0f} recruits over {span} years; "
            f"{section.source}", resource=section.resource, per="recruit")


def town_spread(part: pd.DataFrame, column: str, *, relative: bool) -> float:
    """Largest less smallest figure over towns with residents (over the mean if ``relative``).

    Towns without access (NaN) are left out, of the mean's weights too.
    """
    rows = part[(part["population"] > 0) & part[column].notna()]
    values = rows[column].astype(float)
    spread = float(values.max() - values.min())
    if not relative:
        return spread
    if rows.empty:
        return math.nan
    mean = float((values * rows["population"]).sum() / rows["population"].sum())
    return spread / mean if mean > 0 else math.nan


def _equity_rows(inputs: ModelInputs, access: pd.DataFrame | None, add: Add) -> None:
    """The relative spread of access across towns against the data's (``[equity]``)."""
    section = inputs.scenario.equity
    if section is None or access is None or access.empty:
        return
    base_year = inputs.plan.levels_year
    for resource in section.resources:
        column = f"{resource}_access_per_1000"
        if column not in access:
            continue
        relative = section.measure == "relative"
        target = town_spread(access[access["year"].eq(base_year)], column, relative=relative)
        label = "spread across towns" + (" over the mean" if relative else "")
        for year in inputs.years:
            if year == base_year:
                continue
            achieved = town_spread(access[access["year"].eq(year)], column, relative=relative)
            add(f"{resource} within reach per 1000: {label}", year, target, achieved, "<=",
                f"largest less smallest town (2SFCA){' over the district mean' * relative}; "
                f"{base_year}: {target:.3f}; {section.source}", kind=section.kind,
                resource=resource, per="1000 within reach")


def county_hired_table(inputs: ModelInputs, seconded: pd.DataFrame) -> pd.DataFrame:
    """``county_hired.csv``: recruits at the named hospitals and where the seconded serve."""
    columns = ["year", "period", "facility_id", "name_zh", "role", "recruits",
               "recruits_per_year", "seconded"]
    if seconded.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    for row in seconded.itertuples(index=False):
        item: Any = row
        year = int(item.year)
        span = year - inputs.previous(year)
        period = f"{inputs.previous(year)}-{year}"
        fid = str(item.facility_id)
        if fid in inputs.recruiters:
            rows.append((year, period, fid, inputs.name_of(fid), "recruiter",
                         int(item.recruits), round(item.recruits / span, 3),
                         -int(item.seconded_out)))
        elif item.seconded_in:
            rows.append((year, period, fid, inputs.name_of(fid), "serves", 0, 0.0,
                         int(item.seconded_in)))
    return pd.DataFrame(rows, columns=columns).sort_values(
        ["year", "role", "facility_id"]).reset_index(drop=True)


def plan_cost(inputs: ModelInputs, plan: pd.DataFrame) -> float:
    """Cost of the plan (see `optimizer.model.objectives`), from ``plan.csv`` alone."""
    costs = inputs.scenario.costs
    last = inputs.years[-1]
    final = plan[plan["year"].eq(last)]
    total = costs.sub_centre_upgrade * final.loc[final["tier"].eq("sub_centre"),
                                                 "facility_id"].nunique()
    total += costs.central_village_clinic * final.loc[
        final["tier"].eq("central_village_clinic"), "facility_id"].nunique()
    for resource, price in costs.per_unit_added.items():
        rows = plan[plan["resource"].eq(resource)]
        total += price * float(rows["change"].clip(lower=0).sum())
    for resource, price in costs.per_unit_year.items():
        base = float(inputs.facilities[resource].sum())
        for year in inputs.years:
            span = year - inputs.previous(year)
            level = float(plan.loc[plan["year"].eq(year) & plan["resource"].eq(resource),
                                   "after"].sum())
            total += price * span * (level - base)
    return float(total)
