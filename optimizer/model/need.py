r"""Need per facility, resource and year: each facility's workload times published norms.

Norms (``[need] norms_file`` and ``norms``, :mod:`optimizer.config.norms_table`) give staff and
beds per bed, per 1000 residents served or per 10 000 visits, by tier and, for hospitals, by
specialty, each with its document. Nothing here is computed from the levels the model allocates.

Workload, for year t with projected town populations P_i(t):

* a health centre of town i (one of n_i there) serves R = P_i/n_i residents. Its beds follow a
  ``beds`` norm per 1000 served when its tier has one, else its admissions: A = g_i·a·R
  (a = ``admissions_per_1000``/1000, g_i the grassroots admission share of its setting), beds
  A·stay/(365·occupancy);
* a county medical sub-centre (from ``[sub_centres] from_year``) keeps its own town's residents
  for its per-resident norms (nothing counted twice) and also takes the share σ
  (``sub_centre_share``) of its consortium's county-level admissions: + σ·Σ_{i∈C}(1-g_i)·a·P_i,
  whose beds are added to its own; its staff follow the ``sub_centre`` norms of a resource
  where there are any (per bed: a secondary hospital for its consortium), else its tier's;
* a hospital with workload in the data (``occupancy``, and ``admissions`` with ``stay_days``)
  has patient-days D₀ = admissions·stay (or beds·occupancy·365 without them) in the data's
  year; D(t) = D₀·(P(t)/P(t₀))·(1 - φ₀)/(1 - φ_t)·s_t/s₀, with φ the share of patients from
  outside (``inflow``, for ``inflow_tiers``) and s_t/s₀ the plan's stay target over the
  hospital's own stay (``stay_targets``, linear between years). Bed need D(t)/(365·occupancy),
  the target occupancy of ``[need]``. A hospital without workload columns shares the
  district's county-level admissions by its beds in the data (the fallback, said in its basis).

Need: beds b as above; staff Σ_norms (rate·R/1000 | rate·V/10 000 | rate·beds_t), where beds_t is
the facility's bed *level* that year (a decision, so a per-bed norm moves with the beds:
N = constant + per_bed·beds_t).

A candidate sub-centre not fixed by the scenario has two rows per resource and year, ``as_sub``
False and True; the model takes N = N₀ + open·(N₁ - N₀), with the per-bed part of the
difference evaluated at the sub-centre's bed need (linear: a per-bed norm on a variable level
times a binary would not be).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizer.config.need_sections import NeedNorm, NeedSection
from optimizer.config.norms_table import read_norms
from optimizer.config.sections import HEALTH_CENTRE_TIERS, HOSPITAL_TIERS
from optimizer.model.inputs import ModelInputs, growth_factors

__all__ = ["NEED_COLUMNS", "NeedRow", "cite", "need_table", "norms_of"]

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


def norms_of(section: NeedSection) -> list[NeedNorm]:
    """The norms table's rows (``norms_file``), then the scenario's own ``norms``."""
    table = read_norms(section.norms_file) if section.norms_file is not None else []
    return [*table, *section.norms]


def _norms_for(norms: list[NeedNorm], tier: str, specialty: str, resource: str,
               as_sub: bool) -> list[NeedNorm]:
    own = [n for n in norms if n.resource == resource and n.applies(tier, specialty)]
    if as_sub:
        sub = [n for n in norms if n.resource == resource and "sub_centre" in n.tiers]
        return sub or own
    return own


def _stay_ratio(section: NeedSection, tier: str, own_stay: float, first: int,
                year: int) -> tuple[float, str]:
    """s_t/s₀: the plan's stay target for ``tier`` in ``year`` over the hospital's own stay."""
    target = next((t for t in section.stay_targets if tier in t.tiers), None)
    if target is None or not np.isfinite(own_stay) or own_stay <= 0:
        return 1.0, ""
    points = sorted((y, d) for y, d in target.days.items() if y > first)
    if not points or year <= first:
        return 1.0, ""
    days = own_stay
    previous_year, previous_days = first, own_stay
    for target_year, target_days in points:
        if year >= target_year:
            previous_year, previous_days = target_year, target_days
            days = target_days
            continue
        share = (year - previous_year) / (target_year - previous_year)
        days = previous_days + share * (target_days - previous_days)
        break
    return days / own_stay, f"stay {days:.1f} of {own_stay:g} days (the plan's target)"


def _bed_norm(norms: list[NeedNorm], tier: str, specialty: str) -> NeedNorm | None:
    """A ``beds`` norm per 1000 served for the tier, if the norms give one."""
    return next((n for n in norms if n.resource == "beds"
                 and n.applies(tier, specialty) and n.basis == "served"), None)


def _need(load: _Load, norms: list[NeedNorm], resource: str, bed_need: float,
          bed_basis: str) -> NeedRow:
    if resource == "beds" and bed_basis:
        return NeedRow(bed_need, 0.0, bed_basis)
    constant, per_bed, parts = 0.0, 0.0, []
    for norm in norms:
        if norm.basis == "bed":
            per_bed += norm.rate
            part = f"{norm.rate:g} per bed"
        elif norm.basis == "served":
            constant += norm.rate * load.served / 1000.0
            part = f"{norm.rate:g} per 1000 of {load.served:,.0f} residents served"
        else:
            constant += norm.rate * load.visits / 10000.0
            part = f"{norm.rate:g} per 10 000 of {load.visits:,.0f} visits"
        parts.append(f"{part}, {cite(norm.source)}")
    return NeedRow(constant, per_bed, " + ".join(parts))


_NUMBER = re.compile(r"[^\s(（]*〔\d{4}〕\d+号")
_TITLE = re.compile(r"《[^》]+》")


def cite(source: str) -> str:
    """The short name of a norm's source for a reason: its document number, title or kind.

    ``NATIONAL: 《医疗机构基本标准（试行）》 (卫医发〔1994〕30号); ...`` gives
    ``NATIONAL 卫医发〔1994〕30号``; a source without either keeps its first clause.
    """
    head = source.split(";", 1)[0].strip()
    kind, _, rest = head.partition(":")
    if not rest:
        kind, rest = "", head
    found = _NUMBER.search(rest) or _TITLE.search(rest)
    name = found.group(0) if found else rest.strip()
    return f"{kind.strip()} {name}".strip()


def _hospital_days(facility: pd.Series) -> float:
    """D₀: patient-days a year in the data (NaN without workload columns)."""
    admissions, stay = float(facility["admissions"]), float(facility["stay_days"])
    if np.isfinite(admissions) and np.isfinite(stay):
        return admissions * stay
    occupancy = float(facility["occupancy"])
    if np.isfinite(occupancy):
        return float(facility["beds"]) * occupancy * 365.0
    return float("nan")


@dataclass(frozen=True)
class _Year:
    """What every facility's workload in one year is computed from."""

    year: int
    people: pd.Series
    county_adm: pd.Series
    county_vis: pd.Series
    growth: float  # P(t)/P(t₀)
    inflow_scale: float  # (1 - φ₀)/(1 - φ_t)
    rest: _Load  # county-level care the hospitals share (fallback without workload columns)


@dataclass(frozen=True)
class _Context:
    section: NeedSection
    inputs: ModelInputs
    g_adm: pd.Series
    g_vis: pd.Series
    per_town: pd.Series
    bed_share: pd.Series
    days0: dict[str, float]
    known_days: float
    norms: list[NeedNorm]

    def beds_text(self, admissions: float) -> str:
        s = self.section
        return (f"{admissions:,.0f} admissions a year x {s.stay_days:g} days / (365 x "
                f"{s.occupancy:.0%} occupancy)")

    def consortium(self, fid: str, y: _Year) -> _Load:
        """σ x the county-level care of the sub-centre's town and partners."""
        town = self.inputs.town_of(fid)
        members = [town, *self.inputs.partners.get(town, ())]
        share = self.section.sub_centre_share
        return _Load(share * float(y.people[members].sum()),
                     share * float(y.county_adm[members].sum()),
                     share * float(y.county_vis[members].sum()))


_States = tuple[list[bool], dict[bool, _Load], dict[bool, tuple[float, str]]]


def _centre(c: _Context, fid: str, facility: pd.Series, y: _Year, sub_year: bool) -> _States:
    """A health centre's load and bed need, closed and (a candidate) as a sub-centre."""
    section, a, u = c.section, c.section.admissions_per_1000 / 1000.0, \
        c.section.visits_per_resident
    town, tier = str(facility["town_code"]), str(facility["tier"])
    served = float(y.people[town]) / float(c.per_town.get(town, 1))
    base = _Load(served, float(c.g_adm[town]) * a * served, float(c.g_vis[town]) * u * served)
    loads, beds = {False: base}, {}
    norm = _bed_norm(c.norms, tier, str(facility["specialty"]))
    if norm is not None:
        beds[False] = (norm.rate * served / 1000.0,
                       f"{norm.rate:g} beds per 1000 of {served:,.0f} residents served")
    else:
        beds[False] = (base.admissions * section.stay_days / (365.0 * section.occupancy),
                       c.beds_text(base.admissions))
    states = [False]
    if fid in c.inputs.sub_candidates and sub_year:
        extra = c.consortium(fid, y)
        # per-resident norms stay with the own town; the consortium's share brings beds
        loads[True] = _Load(base.served, base.admissions + extra.admissions,
                            base.visits + extra.visits)
        more = extra.admissions * section.stay_days / (365.0 * section.occupancy)
        beds[True] = (beds[False][0] + more,
                      f"{beds[False][1]} + {c.beds_text(extra.admissions)} (its consortium's "
                      f"share)")
        states = [True] if fid in c.inputs.sub_fixed else [False, True]
    return states, loads, beds


def _hospital(c: _Context, fid: str, facility: pd.Series, y: _Year) -> _States:
    """A hospital's bed need from its patient-days (or its share by beds without them)."""
    section, tier = c.section, str(facility["tier"])
    first = c.inputs.plan.levels_year
    occupancy = section.occupancy
    scale = y.inflow_scale if tier in section.inflow_tiers else 1.0
    d0 = c.days0.get(fid, float("nan"))
    if not np.isfinite(d0):
        share = float(c.bed_share.get(fid, 0.0))
        load = _Load(share * y.rest.served * scale, share * y.rest.admissions * scale,
                     share * y.rest.visits * scale)
        return [False], {False: load}, {False: (
            load.admissions * section.stay_days / (365.0 * occupancy),
            c.beds_text(load.admissions) + " (its share of the district's by beds: no "
            "workload in the data)")}
    own_stay = float(facility["stay_days"])
    ratio, stay_text = _stay_ratio(section, tier, own_stay, first, y.year)
    days = d0 * y.growth * scale * ratio
    parts = [f"{d0:,.0f} patient-days a year in {first}"]
    if abs(y.growth - 1.0) > 1e-9:
        parts.append(f"x {y.growth:.3f} residents")
    if abs(scale - 1.0) > 1e-9:
        parts.append(f"x {scale:.3f} for patients from outside")
    if stay_text:
        parts.append(f"x {stay_text}")
    stay = own_stay * ratio if np.isfinite(own_stay) else section.stay_days
    # residents served: its share of the hospitals' patient-days (shown, not used by norms)
    load = _Load(float(y.people.sum()) * d0 / c.known_days, days / stay, 0.0)
    return [False], {False: load}, {False: (
        days / (365.0 * occupancy), " ".join(parts) + f" / (365 x {occupancy:.0%} occupancy)")}


def _context(inputs: ModelInputs, section: NeedSection) -> _Context:
    towns, facilities = inputs.towns, inputs.facilities
    adjustable = facilities[facilities["role"].eq("adjustable")]
    shares = section.grassroots_admission_share, section.grassroots_visit_share
    g_adm, g_vis = (pd.Series(np.where(towns["rural"], s["rural"], s["urban"]),
                              index=towns.index) for s in shares)
    centres = adjustable[adjustable["tier"].isin(HEALTH_CENTRE_TIERS)]
    hospitals = facilities[facilities["tier"].isin(HOSPITAL_TIERS)]
    bed_share = (hospitals["beds"] / hospitals["beds"].sum()) if len(hospitals) and \
        hospitals["beds"].sum() > 0 else pd.Series(0.0, index=hospitals.index)
    days0 = {str(f): _hospital_days(row) for f, row in hospitals.iterrows()}
    known = sum(v for v in days0.values() if np.isfinite(v))
    return _Context(section, inputs, g_adm, g_vis, centres.groupby("town_code").size(),
                    bed_share, days0, known, norms_of(section))


def _year(c: _Context, year: int) -> _Year:
    inputs, section = c.inputs, c.section
    a, u = section.admissions_per_1000 / 1000.0, section.visits_per_resident
    people = inputs.population[year].astype(float)
    county_adm = (1 - c.g_adm) * a * people
    county_vis = (1 - c.g_vis) * u * people
    first = inputs.plan.levels_year
    # P(t)/P(t₀): the data's year need not be a plan year
    growth = inputs.growth[year] / growth_factors(inputs.scenario, [first])[first]
    y = _Year(year, people, county_adm, county_vis, growth,
              (1.0 - _inflow(section, first)) / (1.0 - _inflow(section, year)),
              _Load(float(people.sum()), float(county_adm.sum()), float(county_vis.sum())))
    if year < inputs.sub_from_year:
        return y
    taken = [c.consortium(fid, y) for fid in sorted(inputs.sub_fixed)]
    rest = _Load(y.rest.served - sum(t.served for t in taken),
                 y.rest.admissions - sum(t.admissions for t in taken),
                 y.rest.visits - sum(t.visits for t in taken))
    return _Year(year, people, county_adm, county_vis, y.growth, y.inflow_scale, rest)


def need_table(inputs: ModelInputs) -> pd.DataFrame:
    """The need of every adjustable facility, resource and plan year (``NEED_COLUMNS``).

    Empty without a ``[need]`` section. Resources without a norm at a facility's tier get no
    row there (beds always have one when ``[need] beds`` is on).
    """
    section = inputs.scenario.need
    if section is None:
        return pd.DataFrame(columns=NEED_COLUMNS)
    c = _context(inputs, section)
    facilities = inputs.facilities
    adjustable = facilities[facilities["role"].eq("adjustable")]
    rows: list[tuple[object, ...]] = []
    for year in inputs.years:
        y = _year(c, year)
        for fid_key, facility in adjustable.iterrows():
            fid, tier = str(fid_key), str(facility["tier"])
            if tier in HEALTH_CENTRE_TIERS:
                states, loads, beds = _centre(c, fid, facility, y,
                                              year >= inputs.sub_from_year)
            elif tier in HOSPITAL_TIERS:
                states, loads, beds = _hospital(c, fid, facility, y)
            else:
                continue
            for as_sub in states:
                load = loads[as_sub]
                bed_need, bed_basis = beds[as_sub]
                bed_basis = bed_basis if section.beds else ""
                for resource in inputs.resources:
                    norms = _norms_for(c.norms, tier, str(facility["specialty"]), resource,
                                       as_sub)
                    if not norms and not (resource == "beds" and bed_basis):
                        continue
                    need = _need(load, norms, resource, bed_need, bed_basis)
                    rows.append((fid, year, resource, as_sub, load.served, load.admissions,
                                 load.visits, bed_need, need.constant, need.per_bed,
                                 need.basis))
    return pd.DataFrame(rows, columns=NEED_COLUMNS).sort_values(
        ["facility_id", "year", "resource", "as_sub"]).reset_index(drop=True)
