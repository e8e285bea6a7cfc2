r"""Need per facility, resource and year: the workload of the residents it serves times norms.

Workload (``[need]``, :class:`~optimizer.config.need_sections.NeedSection`), for year t with
projected town populations P_i(t), admissions a per resident (``admissions_per_1000``/1000),
grassroots admission share g_i and visit share v_i by the town's setting (urban subdistrict or
rural town), visits per resident u:

* a health centre of town i (one of n_i there) serves R = P_i/n_i residents at grassroots
  level: admissions A = g_i·a·R, visits V = v_i·u·R;
* a county medical sub-centre (from ``[sub_centres] from_year``) also takes the share σ
  (``sub_centre_share``) of its consortium's county-level care: + σ·Σ_{i∈C}(1-g_i)·a·P_i
  admissions, + σ·Σ_{i∈C}(1-v_i)·u·P_i visits and σ·Σ_{i∈C} P_i residents served, where C is
  its town and its ``partners``;
* the hospitals share the rest of the district's county-level care by their beds in the data
  (each keeps its current share); a hospital of ``inflow_tiers`` has its workload scaled by
  (1 - φ₀)/(1 - φ_t), φ_t the share of its patients from outside the district (``inflow``) and
  φ₀ that share in the data's year: its beds in the data already serve that year's inflow, so
  its need grows with the change in the share.

Need: beds b = A·stay/(365·occupancy); staff Σ_norms (rate·R/1000 | rate·V/10 000 |
rate·beds_t), where beds_t is the facility's bed *level* that year (a decision, so the need of a
per-bed norm moves with the beds: N = constant + per_bed·beds_t). A sub-centre uses the
``sub_centre`` norms of a resource where there are any, else its own tier's.

A candidate sub-centre not fixed by the scenario has two rows per resource and year, ``as_sub``
False and True; the model takes N = N₀ + open·(N₁ - N₀), with the per-bed part of the
difference evaluated at the sub-centre's bed need (linear: a per-bed norm on a variable level
times a binary would not be).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizer.config.need_sections import NeedNorm, NeedSection
from optimizer.config.sections import HEALTH_CENTRE_TIERS, HOSPITAL_TIERS
from optimizer.model.inputs import ModelInputs

__all__ = ["NEED_COLUMNS", "NeedRow", "need_table"]

NEED_COLUMNS = ["facility_id", "year", "resource", "as_sub", "served", "admissions", "visits",
                "bed_need", "constant", "per_bed", "basis"]


@dataclass(frozen=True)
class _Load:
    served: float
    admissions: float
    visits: float


@dataclass(frozen=True)
class NeedRow:
    """One facility's need of one resource in one year (in one sub-centre state)."""

    constant: float
    per_bed: float
    basis: str


def _inflow(section: NeedSection, year: int) -> float:
    """φ_t: the share given for the latest year at or before ``year`` (0 before any)."""
    years = [y for y in sorted(section.inflow) if y <= year]
    return section.inflow[years[-1]] if years else 0.0


def _norms_for(section: NeedSection, tier: str, resource: str, as_sub: bool) -> list[NeedNorm]:
    own = [n for n in section.norms if n.resource == resource and tier in n.tiers]
    if as_sub:
        sub = [n for n in section.norms if n.resource == resource and "sub_centre" in n.tiers]
        return sub or own
    return own


def _need(section: NeedSection, load: _Load, norms: list[NeedNorm], resource: str,
          bed_need: float) -> NeedRow:
    if resource == "beds" and section.beds:
        return NeedRow(bed_need, 0.0, f"{load.admissions:,.0f} admissions a year x "
                       f"{section.stay_days:g} days / (365 x {section.occupancy:.0%} occupancy)")
    constant, per_bed, parts = 0.0, 0.0, []
    for norm in norms:
        if norm.basis == "bed":
            per_bed += norm.rate
            parts.append(f"{norm.rate:g} per bed")
        elif norm.basis == "served":
            constant += norm.rate * load.served / 1000.0
            parts.append(f"{norm.rate:g} per 1000 of {load.served:,.0f} residents served")
        else:
            constant += norm.rate * load.visits / 10000.0
            parts.append(f"{norm.rate:g} per 10 000 of {load.visits:,.0f} visits")
    return NeedRow(constant, per_bed, " + ".join(parts))


def need_table(inputs: ModelInputs) -> pd.DataFrame:  # noqa: PLR0915  (one pass, read in order)
    """The need of every adjustable facility, resource and plan year (``NEED_COLUMNS``).

    Empty without a ``[need]`` section. Resources without a norm at a facility's tier get no
    row there (beds always have one when ``[need] beds`` is on).
    """
    section = inputs.scenario.need
    if section is None:
        return pd.DataFrame(columns=NEED_COLUMNS)
    facilities = inputs.facilities
    adjustable = facilities[facilities["role"].eq("adjustable")]
    towns = inputs.towns
    grass_adm = np.where(towns["rural"], section.grassroots_admission_share["rural"],
                         section.grassroots_admission_share["urban"])
    grass_vis = np.where(towns["rural"], section.grassroots_visit_share["rural"],
                         section.grassroots_visit_share["urban"])
    g_adm = pd.Series(grass_adm, index=towns.index)
    g_vis = pd.Series(grass_vis, index=towns.index)
    a = section.admissions_per_1000 / 1000.0
    u = section.visits_per_resident
    centres = adjustable[adjustable["tier"].isin(HEALTH_CENTRE_TIERS)]
    per_town = centres.groupby("town_code").size()
    hospitals = facilities[facilities["tier"].isin(HOSPITAL_TIERS)]
    bed_share = (hospitals["beds"] / hospitals["beds"].sum()) if len(hospitals) and \
        hospitals["beds"].sum() > 0 else pd.Series(0.0, index=hospitals.index)
    fixed = set(inputs.sub_fixed)
    candidates = set(inputs.sub_candidates)
    rows: list[tuple[object, ...]] = []
    for year in inputs.years:
        people = inputs.population[year].astype(float)
        county_adm = (1 - g_adm) * a * people
        county_vis = (1 - g_vis) * u * people
        is_sub_year = year >= inputs.sub_from_year

        def consortium(fid: str, people: pd.Series = people, county_adm: pd.Series = county_adm,
                       county_vis: pd.Series = county_vis) -> _Load:
            town = inputs.town_of(fid)
            members = [town, *inputs.partners.get(town, ())]
            return _Load(section.sub_centre_share * float(people[members].sum()),
                         section.sub_centre_share * float(county_adm[members].sum()),
                         section.sub_centre_share * float(county_vis[members].sum()))

        taken = _Load(0.0, 0.0, 0.0)
        if is_sub_year:
            for fid in sorted(fixed):
                extra = consortium(fid)
                taken = _Load(taken.served + extra.served, taken.admissions + extra.admissions,
                              taken.visits + extra.visits)
        rest = _Load(float(people.sum()) - taken.served,
                     float(county_adm.sum()) - taken.admissions,
                     float(county_vis.sum()) - taken.visits)
        for fid_key, facility in adjustable.iterrows():
            fid, tier = str(fid_key), str(facility["tier"])
            states: list[bool] = [False]
            loads: dict[bool, _Load] = {}
            if tier in HEALTH_CENTRE_TIERS:
                town = str(facility["town_code"])
                served = float(people[town]) / float(per_town.get(town, 1))
                base = _Load(served, float(g_adm[town]) * a * served,
                             float(g_vis[town]) * u * served)
                loads[False] = base
                if fid in candidates and is_sub_year:
                    extra = consortium(str(fid))
                    loads[True] = _Load(base.served + extra.served,
                                        base.admissions + extra.admissions,
                                        base.visits + extra.visits)
                    states = [True] if fid in fixed else [False, True]
            elif tier in HOSPITAL_TIERS:
                share = float(bed_share.get(fid, 0.0))
                base_inflow = _inflow(section, inputs.plan.levels_year)
                scale = (1.0 - base_inflow) / (1.0 - _inflow(section, year)) \
                    if tier in section.inflow_tiers else 1.0
                loads[False] = _Load(share * rest.served * scale,
                                     share * rest.admissions * scale,
                                     share * rest.visits * scale)
            else:
                continue
            for as_sub in states:
                load = loads[as_sub]
                bed_need = load.admissions * section.stay_days / (365.0 * section.occupancy)
                for resource in inputs.resources:
                    norms = _norms_for(section, tier, resource, as_sub)
                    if not norms and not (resource == "beds" and section.beds):
                        continue
                    need = _need(section, load, norms, resource, bed_need)
                    rows.append((str(fid), year, resource, as_sub, load.served,
                                 load.admissions, load.visits, bed_need, need.constant,
                                 need.per_bed, need.basis))
    return pd.DataFrame(rows, columns=NEED_COLUMNS).sort_values(
        ["facility_id", "year", "resource", "as_sub"]).reset_index(drop=True)
