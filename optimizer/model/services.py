"""Constraint families 5 (coverage) and 6 (capacitated service flows) of the allocation model."""

from __future__ import annotations

import pulp

from optimizer.model.problem import AllocationModel, add_row

__all__ = ["capacity", "coverage"]


def coverage(model: AllocationModel) -> None:
    """(5a) cover ≤ sites opened in reach; (5b) hard coverage share where the scenario sets one.

    Also records, per service and year, the covered residents as an expression
    (``model.covered``) and the residents in scope (``model.in_scope``) for objectives and
    results.
    """
    inputs, prob = model.inputs, model.problem
    sub_from = inputs.sub_from_year
    for service, section in sorted(inputs.scenario.services.items()):
        groups = inputs.groups
        scope = groups.index[groups["rural"]] if section.population == "rural" else groups.index
        fixed = inputs.cover_fixed[service]
        sites = inputs.cover_pairs[service].groupby("group_id")
        reach = {gid: list(zip(frame["facility_id"], frame["kind"], strict=True))
                 for gid, frame in sites}
        for year in inputs.years:
            people = inputs.group_population(year)
            terms: list[tuple[pulp.LpVariable, float]] = []
            constant = 0.0
            for gid in scope:
                built = any(kind == "sub" and fid in inputs.sub_fixed and year >= sub_from
                            for fid, kind in reach.get(gid, []))
                if gid in fixed or built:
                    # a fixed facility, or a sub-centre the scenario fixes, covers for certain
                    constant += float(people[gid])
                    if built:
                        model.certain.add((service, gid, year))
                    continue
                opened = [model.open_sub[fid] for fid, kind in reach.get(gid, [])
                          if kind == "sub" and year >= sub_from
                          and (year != inputs.plan.levels_year or fid in inputs.sub_fixed)]
                opened += [model.open_cvc[(fid, year)] for fid, kind in reach.get(gid, [])
                           if kind == "cvc" and (fid, year) in model.open_cvc]
                if not opened:
                    continue
                cover = prob.add_variable(f"cover_{service}_{gid}_{year}", 0, 1)
                model.cover[(service, gid, year)] = cover
                # (5a) cover[g,k,t] ≤ Σ open in reach
                prob += (cover <= pulp.lpSum(opened), f"reach_{service}_{gid}_{year}")
                terms.append((cover, float(people[gid])))
            covered = pulp.LpAffineExpression(terms, constant=constant)
            total = float(people[scope].sum())
            model.covered[(service, year)] = covered
            model.in_scope[(service, year)] = total
            if section.min_share is not None and year != inputs.plan.levels_year:
                who = "rural residents" if section.population == "rural" else "residents"
                # (5b) Σ p·cover ≥ share·Σ p
                add_row(model, covered, ">=", section.min_share * total,
                        name=f"coverage_{service}_{year}", family=5, year=year,
                        unit="residents", weight=0.001, kind=section.kind,
                        text=f"the target of {section.min_share:.0%} of {who} within "
                             f"{section.minutes:g} minutes of {service} care in {year} "
                             f"({section.min_share * total:,.0f} residents)")


def capacity(model: AllocationModel) -> None:
    """(6a) every resident served or unmet; (6b) served ≤ capacity; (6c) unmet allowed or not.

    Adds the worst-town unmet share ``model.worst`` (w ≥ Σ_{k in i} unmet[k,t] / p_i(t)) when
    the objective asks for it.
    """
    inputs, prob = model.inputs, model.problem
    section = inputs.scenario.capacity
    if section is None:
        return
    flows = inputs.flows.groupby("group_id")
    reach = {gid: list(frame["facility_id"]) for gid, frame in flows}
    towns = inputs.groups.groupby("town_code").groups
    if "worst_town" in inputs.scenario.objective.order:
        model.worst = prob.add_variable("worst_town_unmet_share", 0, 1)
    for year in inputs.years:
        people = inputs.group_population(year)
        load: dict[str, list[pulp.LpVariable]] = {}
        strict = not section.allow_unmet and not model.elastic
        for gid in inputs.groups.index:
            unmet = prob.add_variable(f"unmet_{gid}_{year}", 0, 0 if strict else None)
            model.unmet[(gid, year)] = unmet
            served = []
            for fid in reach.get(gid, []):
                serve = prob.add_variable(f"serve_{gid}_{fid}_{year}", 0)
                model.serve[(gid, fid, year)] = serve
                load.setdefault(fid, []).append(serve)
                served.append(serve)
            # (6a) Σ_j serve + unmet = p_k(t)
            prob += (pulp.lpSum(served) + unmet == float(people[gid]), f"demand_{gid}_{year}")
        for fid, serves in sorted(load.items()):
            for rule in section.rules:
                # (6b) Σ_k serve[k,j,t] ≤ u_r·L(j,r,t)
                prob += (pulp.lpSum(serves) <= rule.residents * model.L(fid, rule.resource, year),
                         f"capacity_{rule.resource}_{fid}_{year}")
        if not section.allow_unmet and model.elastic:
            # (6c) in elastic mode, "nobody unserved" becomes a policy row that may give way
            add_row(model, pulp.lpSum(model.unmet[(g, year)] for g in inputs.groups.index), "<=",
                    0.0, name=f"all_served_{year}", family=6, year=year, unit="residents",
                    weight=0.001,
                    text=f"the rule that every resident is served within {section.minutes:g} "
                         f"minutes in {year}")
        if model.worst is not None:
            for town, gids in sorted(towns.items()):
                town_people = float(people[gids].sum())
                if town_people > 0:
                    prob += (model.worst * town_people
                             >= pulp.lpSum(model.unmet[(g, year)] for g in gids),
                             f"worst_town_{town}_{year}")
