r"""Families 2d (directions), 7 (county-hired), 8 (need) and 9 (equity) of the allocation model.

Numbers as in :mod:`optimizer.model.build`:

 (2d) L(j,r,t) ≥ b[j,r] for a ``no_cut`` resource of a directed facility, and for a
      ``keep_levels`` resource of a sub-centre (times open_sub[s]); L(j,r,T) - b[j,r] ≥ m
      (``min_change``), and ``min_level``/``max_level`` in the last plan year T.
 (7)  recruits at the named hospitals h over the period t⁻..t are up[h,d,t]; doctors seconded
      from h serving at grassroots in year t, out[h,t] ≥ 0 with out[h,t] ≤ up[h,d,t], and
      where they serve, sec[j,t] ∈ ℤ≥0 at adjustable grassroots facilities j:
      Σ_j sec[j,t] = Σ_h out[h,t] ≥ σ·Σ_h up[h,d,t]/Δt   (σ = 0.8 of a year's recruits).
      Posts stay at the hospital (each person counted once in the district's totals); who
      *serves* where is E(j,d,t) = L(j,d,t) + sec[j,t] at grassroots, L(h,d,t) - out[h,t] at h.
 (8)  need N(j,r,t) = constant + per_bed·L(j,beds,t) (see :mod:`optimizer.model.need`);
      short[j,r,t] ≥ N - E - ½, short ≥ 0 (a need met to the nearest whole unit is met);
      S_j·z[r,t] ≥ short[j,r,t]   (worst shortfall ratio,
      S_j the need at the data's beds); excess e[j,r,t,k] ≥ E - h_j - round(β_k·N), e ≥ 0,
      for the breakpoints β = 1, 1 + τ/2, 1 + τ, 1.2, 1.3, 1.4, 1.5, 1.75, 2, 2.5, 3 of
      staff and 1, 1 + τ, 1.5, 2, 3 of beds (τ the need tolerance), with h_j the whole part
      of max(0, b[j,r] - N at the data's beds) for staff (a surplus of posts the facility
      already had is kept, not counted against it) and h_j = 0 for beds. The excess rows are
      built by their stage (:func:`spread_rows`), when N is a number.

 (9)  for an ``[equity]`` resource r and decision year t, town access
      A_i = 1000/g(t)·Σ_j c_ij·E(j,r,t) (2SFCA, :mod:`optimizer.model.reach`):
      max_i A_i - min_i A_i ≤ the data's (absolute), or ≤ s₀·Σ_i (P_i/P)·A_i with s₀ the
      data's spread over its mean (relative).

Objectives built from them (:mod:`optimizer.model.objectives`): ``need`` = Σ_{r,t} z[r,t];
``shortfall`` = Σ short/D[r,t]; ``spread`` = Σ w[r,t]·e with w = round(10 000/D[r,t]),
D[r,t] = Σ_j S_j the district's need, so each resource and year counts about as a share.
Σ_k e is a convex piecewise-linear penalty of a facility's level-to-need ratio (slope k past the
k-th breakpoint): minimising it spreads a surplus in proportion to need, and puts nothing where
nobody is served (N = 0 makes every unit cost at every breakpoint). It is separable by
facility, so its LP relaxation is tight; a min-max of the ratios (the earlier form) took HiGHS
a minute to prove.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
import pulp

from optimizer.model.families import decision_years
from optimizer.model.inputs import growth_factors
from optimizer.model.need import need_table
from optimizer.model.problem import AllocationModel, add_row
from optimizer.model.results import value_of

__all__ = ["breakpoints", "county_hired", "directions", "equity_rows", "grassroots", "need_rows",
           "spread_rows"]

def breakpoints(tolerance: float, resource: str = "") -> tuple[float, ...]:
    """β_k of family (8): level-to-need ratios past which each further unit costs more.

    Staff get a finer grid (a surplus the plan's floors ask for is spread in proportion to need,
    to within 0.1 of the ratio); beds, which the cap cuts, a coarser one.
    """
    if resource == "beds":
        return tuple(sorted({1.0, 1.0 + tolerance, 1.5, 2.0, 3.0}))
    return tuple(sorted({1.0, 1.0 + tolerance / 2, 1.0 + tolerance, 1.2, 1.3, 1.4, 1.5, 1.75,
                         2.0, 2.5, 3.0}))



def directions(model: AllocationModel) -> None:
    """(2d): the plan's facility directions and sub-centres kept at least at their levels."""
    inputs = model.inputs
    years = decision_years(model)
    if not years:
        return
    last = years[-1]
    for fid, direction in sorted(inputs.directions.items()):
        name = inputs.name_of(fid)
        why = f" ({direction.role})" if direction.role else ""
        for resource in direction.no_cut:
            base = inputs.base(fid, resource)
            for year in years:
                add_row(model, model.L(fid, resource, year), ">=", base,
                        name=f"dir_keep_{resource}_{fid}_{year}", family=2, year=year,
                        resource=resource, unit=resource,
                        text=f"the direction that {name}{why} keeps at least its {base} "
                             f"{resource} in {year}")
        for resource, change in sorted(direction.min_change.items()):
            base = inputs.base(fid, resource)
            add_row(model, model.L(fid, resource, last), ">=", base + change,
                    name=f"dir_grow_{resource}_{fid}", family=2, year=last, resource=resource,
                    unit=resource,
                    text=f"the direction that {name}{why} gains at least {change} {resource} "
                         f"by {last}")
        for table, sense, word in ((direction.min_level, ">=", "at least"),
                                   (direction.max_level, "<=", "at most")):
            for resource, level in sorted(table.items()):
                add_row(model, model.L(fid, resource, last), sense, level,
                        name=f"dir_{'min' if sense == '>=' else 'max'}_{resource}_{fid}",
                        family=2, year=last, resource=resource, unit=resource,
                        text=f"the direction that {name}{why} has {word} {level} {resource} "
                             f"in {last}")
    section = inputs.scenario.sub_centres
    if section is None:
        return
    for fid in inputs.sub_candidates:
        for resource in section.keep_levels:
            base = inputs.base(fid, resource)
            for year in years:
                add_row(model, model.L(fid, resource, year) - base * model.open_sub[fid], ">=",
                        0.0, name=f"sub_keep_{resource}_{fid}_{year}", family=2, year=year,
                        resource=resource, unit=resource,
                        text=f"the rule that sub-centre {inputs.name_of(fid)} keeps at least "
                             f"its {base} {resource} in {year}")


def grassroots(model: AllocationModel) -> list[str]:
    """Adjustable facilities where seconded doctors may serve."""
    inputs = model.inputs
    section = inputs.scenario.county_hired
    if section is None:
        return []
    tiers = set(section.grassroots_tiers)
    facilities = inputs.facilities
    chosen = facilities["role"].eq("adjustable") & facilities["tier"].isin(tiers)
    if "sub_centre" in tiers:
        # a sub-centre (chosen or candidate) is a township health centre in the data
        chosen |= facilities.index.isin(list(inputs.sub_candidates))
    return [str(f) for f in facilities.index[chosen]]


def county_hired(model: AllocationModel) -> None:
    """(7) seconded doctors ≥ σ x a year's recruits at the named hospitals, placed by need."""
    inputs = model.inputs
    section = inputs.scenario.county_hired
    if section is None or not inputs.recruiters:
        return
    d = section.resource
    places = grassroots(model)
    prob = model.problem
    for year in decision_years(model):
        span = year - inputs.previous(year)
        outs = []
        for fid in inputs.recruiters:
            out = prob.add_variable(f"seconded_out_{fid}_{year}", 0, cat=pulp.LpInteger)
            model.seconded_out[(fid, d, year)] = out
            # (7) seconded from h are among its recruits of the period
            prob += (out <= model.increase(fid, d, year), f"seconded_from_{fid}_{year}")
            outs.append(out)
        serving = []
        for fid in places:
            sec = prob.add_variable(f"seconded_{fid}_{year}", 0, cat=pulp.LpInteger)
            model.seconded[(fid, d, year)] = sec
            serving.append(sec)
        prob += (pulp.lpSum(serving) == pulp.lpSum(outs), f"seconded_balance_{year}")
        recruits = pulp.lpSum(model.increase(fid, d, year) for fid in inputs.recruiters)
        add_row(model, pulp.lpSum(outs) - (section.share / span) * recruits, ">=", 0.0,
                name=f"county_hired_{year}", family=7, year=year, resource=d, unit=d,
                text=f"the county-hired, township-used rule ({section.share:.0%} of a year's "
                     f"new {d} at the named hospitals serving at grassroots, "
                     f"{inputs.previous(year)}-{year})")


def _groups(table: pd.DataFrame, years: Iterable[int]) -> dict[tuple[str, str, int],
                                                                 pd.DataFrame]:
    keep = table[table["year"].isin(list(years))]
    groups: dict[tuple[str, str, int], pd.DataFrame] = {}
    for key, part in keep.groupby(["facility_id", "resource", "year"], sort=True):
        k: Any = key
        groups[(str(k[0]), str(k[1]), int(k[2]))] = part
    return groups


def need_rows(model: AllocationModel) -> None:
    """(8) shortfall against need, the worst shortfall ratio, and the convex excess."""
    inputs = model.inputs
    section = inputs.scenario.need
    if section is None:
        return
    table = need_table(inputs)
    model.need_table = table
    prob = model.problem
    for (fid, resource, year), part in _groups(table, decision_years(model)).items():
        closed = part[~part["as_sub"]]
        opened = part[part["as_sub"]]
        first = (closed if len(closed) else opened).iloc[0]
        beds_level = model.L(fid, "beds", year) if "beds" in inputs.resources else 0
        need = float(first["constant"]) + float(first["per_bed"]) * beds_level
        base_beds = float(inputs.base(fid, "beds")) if "beds" in inputs.resources else 0.0
        scales = [float(r["constant"]) + float(r["per_bed"]) * max(base_beds,
                                                                    float(r["bed_need"]))
                  for _, r in part.iterrows()]
        if len(closed) and len(opened):
            row = opened.iloc[0]
            bed_need = float(row["bed_need"])
            delta = (float(row["constant"]) + float(row["per_bed"]) * bed_need
                     - float(first["constant"]) - float(first["per_bed"]) * bed_need)
            need = need + delta * model.open_sub[fid]
        key = (fid, resource, year)
        model.need_expr[key] = need
        scale = max(1.0, *scales)
        model.need_scale[key] = scale
        served = model.effective(fid, resource, year)
        short = prob.add_variable(f"short_{fid}_{resource}_{year}", 0)
        model.short[key] = short
        # (8) short ≥ N - E - ½: levels are whole, so a need met to the nearest whole is met
        prob += (short >= need - served - 0.5, f"need_{fid}_{resource}_{year}")
        worst = model.short_worst.get((resource, year))
        if worst is None:
            worst = prob.add_variable(f"worst_short_{resource}_{year}", 0)
            model.short_worst[(resource, year)] = worst
        # (8) S_j·z[r,t] ≥ short
        prob += (scale * worst >= short, f"worst_need_{fid}_{resource}_{year}")
        # (8) h_j = max(0, b_j - N_j at the data's beds), whole: a surplus of posts the
        # facility already had is kept (posts are not cut) and not counted against it; beds are
        # cut from their surplus, so theirs counts. The excess rows come with their stage.
        model.inherited[key] = 0 if resource == "beds" else math.floor(max(
            0.0, inputs.base(fid, resource) - float(first["constant"])
            - float(first["per_bed"]) * base_beds) + 1e-9)


SPREAD_WEIGHT = 10_000


def spread_rows(model: AllocationModel, resource: str, values: Mapping[str, float]) -> Any:
    """(8) the convex excess of one resource, and its objective.

    Built when its stage starts, with N evaluated at ``values``: the sites are fixed by then,
    and for the staff the beds too, so N is a number. Breakpoints are whole units,
    T_k = round(β_k·N), h whole, and each resource and year weighs w = round(10 000/D[r,t])
    per unit (at least 1): at whole levels the objective is a whole number, so HiGHS closes
    the last unit of gap at once instead of enumerating near-ties (on the shipped counties
    0.8-5 s where fractional thresholds and weights took 2-25 s).
    """
    inputs, prob = model.inputs, model.problem
    section = inputs.scenario.need
    tolerance = section.tolerance if section is not None else 0.1
    district = model.district_need()
    terms: list[Any] = []
    for (fid, r, year), need in sorted(model.need_expr.items()):
        if r != resource:
            continue
        level = float(value_of(need, values)) if not isinstance(need, int | float) \
            else float(need)
        weight = max(1, round(SPREAD_WEIGHT / district[(resource, year)]))
        served = model.effective(fid, resource, year)
        held = model.inherited[(fid, resource, year)]
        for k, beta in enumerate(breakpoints(tolerance, resource)):
            name = f"{fid}_{resource}_{year}_{k}"
            excess = prob.add_variable(f"excess_{name}", 0)
            model.excess[(fid, resource, year, k)] = excess
            # (8) e_k ≥ E - h - T_k, T_k = round(β_k·N)
            prob += (excess >= served - held - round(beta * level), f"spread_{name}")
            terms.append(weight * excess)
    return pulp.lpSum(terms)


def equity_rows(model: AllocationModel) -> None:
    """(9) relative spread of town access no wider than in the data: max - min ≤ s₀·mean."""
    inputs = model.inputs
    section = inputs.scenario.equity
    if section is None or inputs.access.empty:
        return
    coefficients = inputs.access
    by_town = {str(t): part for t, part in coefficients.groupby("town_code", sort=True)}
    base_growth = growth_factors(inputs.scenario, [inputs.plan.levels_year])
    people = inputs.population[inputs.years[0]].astype(float)
    towns = [t for t in inputs.towns.index if float(people[t]) > 0]
    weight = {t: float(people[t]) / float(people[towns].sum()) for t in towns}
    prob = model.problem
    for resource in section.resources:
        def access(town: str, level: Any, factor: float) -> Any:
            part = by_town.get(town)
            if part is None:
                return 0.0
            return pulp.lpSum(1000.0 / factor * float(c) * level(str(f))
                              for f, c in zip(part["facility_id"], part["coef"], strict=True))

        before = {t: float(pulp.value(access(t, lambda f, r=resource: inputs.base(f, r),
                                             base_growth[inputs.plan.levels_year])) or 0.0)
                  for t in towns}
        mean0 = sum(weight[t] * before[t] for t in towns)
        if mean0 <= 0:
            continue
        spread0 = max(before.values()) - min(before.values())
        relative = section.measure == "relative"
        for year in decision_years(model):
            factor = inputs.growth[year]
            level = {t: access(t, lambda f, r=resource, y=year: model.effective(f, r, y), factor)
                     for t in towns}
            high = prob.add_variable(f"access_max_{resource}_{year}", 0)
            low = prob.add_variable(f"access_min_{resource}_{year}", 0)
            for town in towns:
                prob += (high >= level[town], f"access_hi_{resource}_{town}_{year}")
                prob += (low <= level[town], f"access_lo_{resource}_{town}_{year}")
            if relative:
                # (9) (max - min) / mean ≤ s₀, written max - min - s₀·mean ≤ 0
                mean = pulp.lpSum(weight[t] * level[t] for t in towns)
                expr, bound = high - low - spread0 / mean0 * mean, 0.0
                what = f"{spread0 / mean0:.2f} of the mean"
            else:
                # (9) max - min ≤ the data's max - min
                expr, bound = high - low, spread0
                what = f"{spread0:.2f} per 1000"
            add_row(model, expr, "<=", bound,
                    name=f"equity_{resource}_{year}", family=8, year=year, resource=resource,
                    unit=f"{resource} per 1000", kind=section.kind,
                    text=f"the rule that the spread of {resource} within reach per 1000 "
                         f"residents across towns (largest less smallest, {what} in "
                         f"{inputs.plan.levels_year}) is no wider in {year}")
