"""Constraint families 1-4 of the allocation model (numbers as in `optimizer.model.build`).

Rows about the data's own year (``levels_year``) are not added: its levels are data, not
decisions, and are only reported against the targets (see `optimizer.model.results`).
"""

from __future__ import annotations

import pulp

from optimizer.errors import ScenarioError
from optimizer.model.problem import AllocationModel, add_row

__all__ = ["change_limits", "counts", "decision_years", "policy_rates", "standards"]


def per_label(per: int | float) -> str:
    """``1000`` -> ``"1000"``, ``10000`` -> ``"10 000"`` (as the plans write it)."""
    return f"{per:,.0f}".replace(",", " ") if per >= 10000 else f"{per:.0f}"


def decision_years(model: AllocationModel) -> list[int]:
    """Plan years after the data's own (the years the model decides)."""
    return [y for y in model.inputs.years if y != model.inputs.plan.levels_year]


def policy_rates(model: AllocationModel) -> None:
    """(1a)-(1c) caps and floors per resident; (1d) ratios between resources."""
    inputs = model.inputs
    towns = {str(t): [str(f) for f in ids]
             for t, ids in inputs.facilities.groupby("town_code").groups.items()}
    for resource, rates in sorted(inputs.scenario.policy.items()):
        per = per_label(rates.per)
        for year in decision_years(model):
            people = inputs.residents(year)
            for key, sense, word in (("max", "<=", "cap"), ("min", ">=", "floor")):
                rate = getattr(rates, key).get(year)
                if rate is None:
                    continue
                bound = rate * people / rates.per
                limit = "at most" if sense == "<=" else "at least"
                # (1a) / (1b)
                add_row(model, model.total(resource, year), sense, bound,
                        name=f"{word}_{resource}_{year}", family=1, year=year,
                        resource=resource, unit=resource, kind=rates.kind,
                        text=f"the {word} of {rate:g} {resource} per {per} residents in {year} "
                             f"({limit} {bound:,.1f} {resource})")
            for key, sense, word in (("town_max", "<=", "cap"), ("town_min", ">=", "floor")):
                rate = getattr(rates, key).get(year)
                if rate is None:
                    continue
                for town, ids in sorted(towns.items()):
                    bound = rate * inputs.residents(year, town) / rates.per
                    name_zh = inputs.town_name(town)
                    # (1c)
                    add_row(model, model.total(resource, year, ids), sense, bound,
                            name=f"town_{word}_{resource}_{town}_{year}", family=1, year=year,
                            resource=resource, unit=resource, kind=rates.kind,
                            text=f"the town {word} of {rate:g} {resource} per {per} residents "
                                 f"in {name_zh} in {year} ({bound:,.1f} {resource})")
    _ratios(model, towns)


def _ratios(model: AllocationModel, towns: dict[str, list[str]]) -> None:
    """(1d) Σ_{a∈A} L(a) ≥ ρ/per·L(b) (and/or ≤) at district, town or facility scope."""
    inputs = model.inputs
    roles = inputs.facilities["role"]
    adjustable = [str(f) for f in inputs.facilities.index[roles.eq("adjustable")]]
    for i, rule in enumerate(inputs.scenario.ratios):
        years = [y for y in (rule.years or inputs.years) if y != inputs.plan.levels_year]
        scopes: list[tuple[str, str, list[str] | None]]
        if rule.scope == "district":
            scopes = [("district", "the district", None)]
        elif rule.scope == "town":
            scopes = [(t, inputs.town_name(t), ids) for t, ids in sorted(towns.items())]
        else:
            scopes = [(f, inputs.name_of(f), [f]) for f in adjustable]
        numerator = " + ".join(rule.resources)
        for year in years:
            for scope_id, label, ids in scopes:
                lhs = pulp.lpSum(model.total(a, year, ids) for a in rule.resources)
                base = model.total(rule.per_resource, year, ids)
                for bound, sense, word in ((rule.min, ">=", "at least"),
                                           (rule.max, "<=", "at most")):
                    if bound is None:
                        continue
                    expr = lhs - (bound / rule.per) * base
                    if not isinstance(expr, pulp.LpAffineExpression) or not expr.keys():
                        continue  # only data in it: nothing to decide
                    add_row(model, expr, sense, 0.0,
                            name=f"ratio{i}_{'min' if sense == '>=' else 'max'}_{scope_id}_{year}",
                            family=1, year=year, resource=rule.resources[0],
                            unit=rule.resources[0], kind=rule.kind,
                            text=f"the ratio of {word} {bound:g} {numerator} per "
                                 f"{rule.per:g} {rule.per_resource} in {label} in {year}")


def _upper(model: AllocationModel, fid: str, resource: str, year: int, what: str) -> float:
    upper = model.upper.get((fid, resource, year))
    if upper is None:
        raise ScenarioError(
            f"[sub_centres.standard] {what} needs an upper bound on {resource} at {fid} in {year} "
            f"for its big-M: give [policy.{resource}] a 'max' for {year} or "
            f"[change_limits.{resource}] an increase limit"
        )
    return upper


def standards(model: AllocationModel) -> None:
    """(2a)-(2c): an upgraded sub-centre meets the tier standard, linked by big-M."""
    inputs = model.inputs
    section = inputs.scenario.sub_centres
    if section is None:
        return
    std = section.standard
    years = [y for y in decision_years(model) if y >= inputs.sub_from_year]
    for fid in inputs.sub_candidates:
        is_open = model.open_sub[fid]
        name = inputs.name_of(fid)
        for year in years:
            for resource, minimum in sorted(std.min_level.items()):
                # (2a) L(s,r,t) ≥ min_r·open_sub[s]
                add_row(model, model.L(fid, resource, year) - minimum * is_open, ">=", 0.0,
                        name=f"std_min_{resource}_{fid}_{year}", family=2, year=year,
                        resource=resource, unit=resource,
                        text=f"the sub-centre standard of at least {minimum} {resource} at "
                             f"{name} in {year}")
            for resource, maximum in sorted(std.max_level.items()):
                upper = _upper(model, fid, resource, year, f"max_level.{resource}")
                if upper <= maximum:
                    continue
                # (2b) L ≤ max + (U - max)(1 - open)  <=>  L + (U - max)·open ≤ U
                add_row(model, model.L(fid, resource, year) + (upper - maximum) * is_open, "<=",
                        upper, name=f"std_max_{resource}_{fid}_{year}", family=2, year=year,
                        resource=resource, unit=resource,
                        text=f"the sub-centre standard of at most {maximum} {resource} at "
                             f"{name} in {year}")
            for i, rule in enumerate(std.ratios):
                upper = _upper(model, fid, rule.per_resource, year, "ratios")
                staff = pulp.lpSum(model.L(fid, a, year) for a in rule.resources)
                big_m = rule.min * upper
                # (2c) Σ_a L(s,a,t) - ρ·L(s,b,t) ≥ -ρ·U·(1 - open)
                add_row(model, staff - rule.min * model.L(fid, rule.per_resource, year)
                        - big_m * is_open, ">=", -big_m,
                        name=f"std_ratio{i}_{fid}_{year}", family=2, year=year,
                        resource=rule.resources[0], unit=" + ".join(rule.resources),
                        text=f"the sub-centre standard of {rule.min:g} "
                             f"{' + '.join(rule.resources)} per {rule.per_resource} at {name} "
                             f"in {year}")


def change_limits(model: AllocationModel) -> None:
    """(3a)-(3c): how fast levels may change at a facility and in the district."""
    inputs = model.inputs
    for resource, limit in sorted(inputs.scenario.change_limits.items()):
        for year in decision_years(model):
            before = inputs.previous(year)
            span = year - before
            for fid in inputs.facilities.index[inputs.facilities["role"].eq("adjustable")]:
                key = (fid, resource, year)
                name = inputs.name_of(fid)
                if limit.facility_cut_share is not None:
                    share = min(1.0, limit.facility_cut_share * span)
                    # (3a) down ≤ cut·Δt·L(j,r,t⁻)
                    add_row(model, model.down[key] - share * model.L(fid, resource, before),
                            "<=", 0.0, name=f"cut_{resource}_{fid}_{year}", family=3,
                            year=year, resource=resource, unit=resource,
                            text=f"the limit of a {limit.facility_cut_share:.0%} cut in {resource} "
                                 f"a year at {name} ({before}-{year})")
                if limit.facility_increase is not None:
                    # (3b) up ≤ inc·Δt
                    add_row(model, model.up[key], "<=", limit.facility_increase * span,
                            name=f"grow_{resource}_{fid}_{year}", family=3, year=year,
                            resource=resource, unit=resource,
                            text=f"the limit of {limit.facility_increase:g} more {resource} a "
                                 f"year at {name} ({before}-{year})")
            change = model.total(resource, year) - model.total(resource, before)
            for bound, sense, word in ((limit.district_increase, "<=", "more"),
                                       (limit.district_decrease, ">=", "fewer")):
                if bound is None:
                    continue
                rhs = bound * span if sense == "<=" else -bound * span
                # (3c) district hiring / construction capacity
                add_row(model, change, sense, rhs, name=f"district_{word}_{resource}_{year}",
                        family=3, year=year, resource=resource, unit=resource,
                        text=f"the district limit of {bound:g} {word} {resource} a year "
                             f"({before}-{year}: {abs(rhs):,.0f})")


def counts(model: AllocationModel) -> None:
    """(4a) sub-centre count; (4b) central village clinics per year; (4c) they stay."""
    inputs = model.inputs
    section = inputs.scenario.sub_centres
    if section is not None and model.open_sub:
        chosen = pulp.lpSum(model.open_sub.values())
        if section.min_count:
            add_row(model, chosen, ">=", section.min_count, name="sub_centres_min", family=4,
                    year=None, unit="sub-centres", weight=100.0,
                    text=f"the count of at least {section.min_count} sub-centres")
        if section.max_count is not None:
            add_row(model, chosen, "<=", section.max_count, name="sub_centres_max", family=4,
                    year=None, unit="sub-centres", weight=100.0,
                    text=f"the count of at most {section.max_count} sub-centres")
    cvc = inputs.scenario.central_village_clinics
    if cvc is None:
        return
    clinics = sorted({fid for fid, _ in model.open_cvc})
    for year in decision_years(model):
        opened = pulp.lpSum(model.open_cvc[(fid, year)] for fid in clinics)
        for table, sense, word in ((cvc.count, "==", "exactly"), (cvc.min_count, ">=",
                                   "at least"), (cvc.max_count, "<=", "at most")):
            if year in table:
                # (4b)
                add_row(model, opened, sense, table[year], name=f"cvc_{word.replace(' ', '_')}_"
                        f"{year}", family=4, year=year, unit="central village clinics",
                        text=f"the count of {word} {table[year]} central village clinics in "
                             f"{year}")
        before = inputs.previous(year)
        if (clinics[0] if clinics else None, before) in model.open_cvc:
            for fid in clinics:
                # (4c) open_cvc[c,t⁻] ≤ open_cvc[c,t]
                model.problem += (model.open_cvc[(fid, before)] <= model.open_cvc[(fid, year)],
                                  f"cvc_stays_{fid}_{year}")
