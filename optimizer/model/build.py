r"""Build the allocation MIP (PuLP) from `ModelInputs`: variables and constraint families 1-7.

Sets: towns i; demand groups k (merged demand points, in town i(k)); facilities j with tier and
town; resources r; plan years t with previous year t⁻ (``levels_year`` before the first) and
Δt = t - t⁻; candidate sub-centres s (health centres of the named towns); central-village-clinic
candidates c (village clinics); services g (``[services.<g>]``).

Decisions
    open_sub[s] ∈ {0,1}        s is upgraded to a county medical sub-centre (from ``from_year``)
    open_cvc[c,t] ∈ {0,1}      village clinic c is a central village clinic in year t
    level[j,r,t] ∈ ℤ≥0         resource r at adjustable facility j (hospitals, health centres)
    up, down[j,r,t] ≥ 0        level[j,r,t] - L(j,r,t⁻) = up - down
    cover[g,k,t] ∈ [0,1]       share of group k covered by service g (only where an upgradable
                               site decides it; 1 where a fixed facility covers, 0 where none)
    serve[k,j,t] ≥ 0           residents of k served by j (only pairs within capacity reach)
    unmet[k,t] ≥ 0             residents of k not served

The level of facility j is L(j,r,t) = level[j,r,t] when j is adjustable, the data's value b[j,r]
when j is fixed or t = ``levels_year`` (the data's own year is not a decision), and
b[c,r] + need[c,r]·open_cvc[c,t] for a village clinic, need = max(0, m_r - b[c,r]) with m the
CVC's minimum staffing: village clinics stay as they are except what a CVC needs. P(t), P_i(t)
are the projected district and town populations, p_k(t) a group's residents.

Constraints (numbers reused in code comments; each family applies only when configured)
 (1a) Σ_j L(j,r,t) ≤ cap[r,t]·P(t)/per_r              district cap (beds ≤ 7.5 per 1000)
 (1b) Σ_j L(j,r,t) ≥ floor[r,t]·P(t)/per_r            district floor (doctors ≥ 3.8 per 1000)
 (1c) Σ_{j in i} L(j,r,t) ≤ / ≥ rate·P_i(t)/per_r     the same in every town
 (1d) Σ_{a∈A} L(a,t) ≥ ρ/per·L(b,t)  (or ≤)           ratios at district, town or facility
                                                       scope (nurses ≥ 1.3 per doctor)
 (2a) L(s,r,t) ≥ min_r·open_sub[s]                     standard minimum (100 beds), t ≥ from_year
 (2b) L(s,r,t) ≤ max_r + (U[s,r,t] - max_r)(1 - open_sub[s])      standard maximum (499 beds)
 (2c) Σ_{a∈A} L(s,a,t) - ρ·L(s,b,t) ≥ -ρ·U[s,b,t]·(1 - open_sub[s])
                                                       staffing per bed (0.88 technicians, 0.4
                                                       nurses); M = ρ·U is the tightest valid M
 (3a) down[j,r,t] ≤ cut_r·Δt·L(j,r,t⁻)                 a facility shrinks at most cut_r a year
 (3b) up[j,r,t] ≤ inc_r·Δt                             a facility grows at most inc_r a year
 (3c) -dec_r·Δt ≤ Σ_j L(j,r,t) - L(j,r,t⁻) ≤ inc_r·Δt   district hiring/construction capacity
 (3d) cost ≤ budget                                    see `optimizer.model.objectives.cost`
 (4a) n_min ≤ Σ_s open_sub[s] ≤ n_max;  open_sub[s] = 1 for fixed choices
 (4b) Σ_c open_cvc[c,t] = n_t (or between min and max)
 (4c) open_cvc[c,t⁻] ≤ open_cvc[c,t]                    a central village clinic stays one
 (5a) cover[g,k,t] ≤ Σ_{s in reach} open_sub[s] + Σ_{c in reach} open_cvc[c,t]
 (5b) Σ_k p_k(t)·cover[g,k,t] ≥ share_g·Σ_k p_k(t)      hard coverage target (k rural if asked)
 (6a) Σ_{j in reach k} serve[k,j,t] + unmet[k,t] = p_k(t)
 (6b) Σ_k serve[k,j,t] ≤ u_r·L(j,r,t)                   u_r residents per bed (admissions, stay,
                                                        occupancy) for each capacity rule r
 (6c) unmet[k,t] = 0 unless ``allow_unmet``
 (2d) the plan's facility directions and kept sub-centre levels (`optimizer.model.placement`)
 (7)  Σ_h out[h,t] ≥ σ·Σ_h up[h,d,t]/Δt, out[h,t] ≤ up[h,d,t], Σ_j sec[j,t] = Σ_h out[h,t]
      county-hired, township-used (σ = 0.8): recruits at the named hospitals h, seconded to
      grassroots j; posts stay at h (`optimizer.model.placement`)
 (8)  short ≥ need - serving - ½; worst shortfall ratio; largest level-to-need ratio; convex
      excess (`optimizer.model.placement`, need from `optimizer.model.need`)
 (9)  town access (2SFCA) spread no wider, relative to the mean, than in the data

Targets are binding (hard) or expected (soft: a shortfall variable per row, minimised by the
``targets`` stage, which comes first when the scenario has expected targets).

Modelling choices a planner should know
* U[j,r,t] (upper bounds, and the big-M of family 2) come from the tightest configured limit:
  the district or town cap, or the change limits; a standard on a resource with none of these
  is refused, since its M would be arbitrary.
* A chosen sub-centre counts as a ``sub_centre`` for coverage, and must meet the standard, from
  ``from_year`` (default: the last plan year). Its staff count in the district totals.
* Policy figures are continuous (7.5 x P/1000 = 8,835.6 beds); levels are whole, so a cap means
  at most the whole number below it and a floor at least the whole number above it.
* Coverage is measured at demand-point resolution and weighted by residents; services and
  capacity use the scenario's travel settings (``optimizer.travel.table``).
* (7) counts the seconded doctors serving at grassroots in a plan year against a year's recruits
  at the named hospitals (the period's recruits over its length): the same people, counted once
  in the district's totals.
* A fixed sub-centre whose ``from_year`` is the data's year exists (and covers) from that year;
  its standard binds from the first decision year on.
* In elastic mode (``elastic=True``, used to explain infeasibility) every policy row of families
  1-5 and 7 gets a penalised slack; see :mod:`optimizer.model.explain`.
"""

from __future__ import annotations

import math

import pulp

from optimizer.model import families, objectives, placement, services
from optimizer.model.inputs import ModelInputs
from optimizer.model.problem import AllocationModel

__all__ = ["build_model", "upper_bound"]


def build_model(inputs: ModelInputs, *, elastic: bool = False) -> AllocationModel:
    """Build the allocation MIP (no objective yet; :mod:`optimizer.model.stages` sets them).

    Parameters
    ----------
    inputs : ModelInputs
        Prepared data and scenario.
    elastic : bool
        Give every policy row a penalised slack and minimise their weighted sum (used to name
        the conflict when the strict model is infeasible).

    Raises
    ------
    ScenarioError
        If a standard needs a big-M on a resource that has no cap or change limit.
    """
    model = AllocationModel(inputs, pulp.LpProblem(f"medalloc_{inputs.scenario.name}",
                                                   pulp.LpMinimize), elastic)
    _sites(model)
    _levels(model)
    families.policy_rates(model)  # (1a)-(1d)
    families.standards(model)  # (2a)-(2c)
    families.change_limits(model)  # (3a)-(3c); (3d) is added with the cost in objectives
    families.counts(model)  # (4a)-(4c)
    services.coverage(model)  # (5a)-(5b)
    services.capacity(model)  # (6a)-(6c)
    placement.directions(model)  # (2d)
    placement.county_hired(model)  # (7)
    placement.need_rows(model)  # (8)
    placement.equity_rows(model)  # (9)
    objectives.budget(model)  # (3d)
    if elastic:
        model.problem.setObjective(
            pulp.lpSum(row.weight * model.slack[name] for row in model.rows
                       for name in row.slacks)
        )
    return model


def _sites(model: AllocationModel) -> None:
    """open_sub (fixed ones at 1) and open_cvc (none in the data's own year)."""
    inputs, prob = model.inputs, model.problem
    for fid in inputs.sub_candidates:
        fixed = fid in inputs.sub_fixed
        # LpInteger in [0, 1], not LpBinary: PuLP resets a binary's bounds to 0..1, which
        # would silently free a fixed choice.
        model.open_sub[fid] = prob.add_variable(f"open_sub_{fid}", 1 if fixed else 0, 1,
                                                cat=pulp.LpInteger)
    cvc = inputs.scenario.central_village_clinics
    if cvc is None:
        return
    clinics = inputs.facilities.index[inputs.facilities["role"].eq("cvc")]
    for year in inputs.years:
        if year == inputs.plan.levels_year:
            continue
        for fid in clinics:
            model.open_cvc[(fid, year)] = prob.add_variable(f"open_cvc_{fid}_{year}", 0, 1,
                                                            cat=pulp.LpInteger)
    for fid in clinics:
        for resource, minimum in cvc.min_level.items():
            base = inputs.base(fid, resource)
            model.need[(fid, resource)] = max(0, minimum - base)


def upper_bound(inputs: ModelInputs, fid: str, resource: str, year: int, *,
                elastic: bool) -> float | None:
    """U[j,r,t]: the tightest level a facility can reach under caps and change limits."""
    base = float(inputs.base(fid, resource))
    years = year - inputs.plan.levels_year
    bounds: list[float] = []
    rates = inputs.scenario.policy.get(resource)
    if rates is not None:
        if year in rates.max:
            bounds.append(math.floor(rates.max[year] * inputs.residents(year) / rates.per))
        if year in rates.town_max:
            town = inputs.town_of(fid)
            bounds.append(math.floor(rates.town_max[year] * inputs.residents(year, town)
                                     / rates.per))
    limit = inputs.scenario.change_limits.get(resource)
    if limit is not None:
        for inc in (limit.facility_increase, limit.district_increase):
            if inc is not None:
                bounds.append(math.floor(base + inc * years))
    if not bounds:
        return None
    tight = min(bounds)
    # Relaxed rows may be violated in elastic mode, so the bound must leave room for that.
    return max(2.0 * tight, 2.0 * base, 1000.0) if elastic else float(max(tight, 0))


def _levels(model: AllocationModel) -> None:
    """level, up, down for adjustable facilities in every plan year after the data's year."""
    inputs, prob = model.inputs, model.problem
    adjustable = inputs.facilities.index[inputs.facilities["role"].eq("adjustable")]
    for year in inputs.years:
        if year == inputs.plan.levels_year:
            continue
        before = inputs.previous(year)
        for fid in adjustable:
            for resource in inputs.resources:
                ub = upper_bound(inputs, fid, resource, year, elastic=model.elastic)
                model.upper[(fid, resource, year)] = ub
                key = (fid, resource, year)
                level = prob.add_variable(f"level_{fid}_{resource}_{year}", 0, ub,
                                          cat=pulp.LpInteger)
                model.level[key] = level
                model.up[key] = prob.add_variable(f"up_{fid}_{resource}_{year}", 0)
                model.down[key] = prob.add_variable(f"down_{fid}_{resource}_{year}", 0)
                # level[j,r,t] - L(j,r,t⁻) = up - down
                prob += (level - model.L(fid, resource, before)
                         == model.up[key] - model.down[key], f"delta_{fid}_{resource}_{year}")
