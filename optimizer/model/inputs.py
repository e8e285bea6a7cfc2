"""Turn a dataset and a scenario into the model's inputs: populations, facilities, coverage pairs.

Everything the MIP needs and nothing geometric: projected populations per town and year, each
facility's role (adjustable, central-village-clinic candidate, fixed) and base levels, the
sub-centre candidates, and, from long travel-time tables, the coverage pairs per service and the
service-flow pairs. Demand points with identical reach are merged into groups here (see
:func:`prepare_inputs`), so the model is sized by groups and pairs, never by demand x facility.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizer.config.need_sections import FacilityDirection
from optimizer.config.scenario import Scenario
from optimizer.config.sections import HEALTH_CENTRE_TIERS, PlanSection
from optimizer.dataset.load import Dataset
from optimizer.dataset.schema import WORKLOAD_COLUMNS
from optimizer.dataset.towns import resolve_town, resolve_towns
from optimizer.errors import ScenarioError
from optimizer.model.reach import access_coefficients
from optimizer.routing.context import road_network
from optimizer.travel.table import demand_settings, travel_table

__all__ = ["FIXED", "ModelInputs", "existing_sub_centres", "growth_factors", "prepare_inputs",
           "resolve_facility"]

ADJUSTABLE = "adjustable"
CVC = "cvc"
FIXED = "fixed"


@dataclass(frozen=True)
class ModelInputs:
    """The allocation model's data, indexed by domain ids.

    Attributes
    ----------
    scenario : Scenario
        The validated scenario.
    plan : PlanSection
        Its ``[plan]`` table (required to run the model).
    resources : tuple of str
        Resource names: the data's resource columns plus ``plan.new_resources``.
    towns : pandas.DataFrame
        Index ``town_code``; ``name_zh``, ``name_en``, ``kind``, ``rural``.
    population : pandas.DataFrame
        Index ``town_code``, one integer column per plan year: projected residents.
    facilities : pandas.DataFrame
        Index ``facility_id``; ``name_zh``, ``tier``, ``town_code``, ``role`` (adjustable, cvc,
        fixed), one column per resource with the level in ``plan.levels_year``, ``specialty``
        ("" when not given) and the workload columns (NaN when not given).
    sub_candidates, sub_fixed : tuple of str
        Facility ids of candidate and forced sub-centres (health centres of the named towns).
    partners : Mapping[str, tuple of str]
        Lead sub-centre town code -> consortium partner town codes.
    groups : pandas.DataFrame
        Index ``group_id`` (the smallest member demand id); ``town_code``, ``rural``,
        ``population`` (base year), ``members`` (count).
    members : pandas.Series
        ``demand_id`` -> ``group_id``.
    growth : Mapping[int, float]
        Plan year -> factor on base-year population.
    cover_fixed : Mapping[str, frozenset of str]
        Service -> groups a fixed (always present) facility of the service covers.
    cover_pairs : Mapping[str, pandas.DataFrame]
        Service -> ``group_id``, ``facility_id``, ``kind`` (``sub`` or ``cvc``): the sites whose
        opening would cover a group not covered by a fixed facility.
    flows : pandas.DataFrame
        ``group_id``, ``facility_id``, ``minutes``: where each group may be served.
    access : pandas.DataFrame
        ``town_code``, ``facility_id``, ``coef``: 2SFCA coefficients of each town's access at
        the base-year populations (:mod:`optimizer.model.reach`); empty without ``[equity]``.
    directions : Mapping[str, FacilityDirection]
        Facility id -> the plan's direction for it (``[facilities."<id or name>"]``).
    recruiters : tuple of str
        Facility ids of the hospitals whose recruits are seconded (``[county_hired]``).
    """

    scenario: Scenario
    plan: PlanSection
    resources: tuple[str, ...]
    towns: pd.DataFrame
    population: pd.DataFrame
    facilities: pd.DataFrame
    sub_candidates: tuple[str, ...]
    sub_fixed: tuple[str, ...]
    partners: Mapping[str, tuple[str, ...]]
    groups: pd.DataFrame
    members: pd.Series
    growth: Mapping[int, float]
    cover_fixed: Mapping[str, frozenset[str]]
    cover_pairs: Mapping[str, pd.DataFrame]
    flows: pd.DataFrame
    access: pd.DataFrame
    directions: Mapping[str, FacilityDirection]
    recruiters: tuple[str, ...]

    def base(self, fid: str, resource: str) -> int:
        """Level of ``resource`` at ``fid`` in the data (``levels_year``)."""
        return self._levels[(fid, resource)]

    @functools.cached_property
    def _levels(self) -> dict[tuple[str, str], int]:
        # The builder asks for base levels tens of thousands of times: one lookup table.
        frame = self.facilities[list(self.resources)]
        return {(str(fid), r): int(v) for r in self.resources
                for fid, v in frame[r].items()}

    def name_of(self, fid: str) -> str:
        """Chinese name of a facility."""
        return str(self.facilities["name_zh"].loc[fid])

    def town_of(self, fid: str) -> str:
        """Town code of a facility."""
        return str(self.facilities["town_code"].loc[fid])

    def town_name(self, code: str) -> str:
        """Chinese name of a town."""
        return str(self.towns["name_zh"].loc[code])

    def residents(self, year: int, town: str | None = None) -> float:
        """Projected residents of the district (or of ``town``) in ``year``."""
        column = self.population[year]
        return float(column.sum() if town is None else column.loc[town])

    @property
    def years(self) -> tuple[int, ...]:
        """Plan years, increasing."""
        return tuple(self.plan.years)

    def previous(self, year: int) -> int:
        """The plan year before ``year`` (``levels_year`` for the first)."""
        position = self.years.index(year)
        return self.years[position - 1] if position else self.plan.levels_year

    def group_population(self, year: int) -> pd.Series:
        """Residents of each demand group in ``year``."""
        return self.groups["population"] * self.growth[year]

    @property
    def sub_from_year(self) -> int:
        """First year in which an upgraded sub-centre must meet the standard and counts."""
        section = self.scenario.sub_centres
        if section is None or section.from_year is None:
            return self.years[-1]
        return section.from_year


def growth_factors(scenario: Scenario, years: list[int]) -> dict[int, float]:
    """Compound growth factor from ``base_year`` to each year.

    ``growth_per_year`` as a dict maps "up to year Y" to a rate: year y uses the rate of the
    smallest key >= y, and years after the last key keep the last rate.
    """
    rates = scenario.population.growth_per_year
    schedule = sorted(rates.items()) if isinstance(rates, dict) else [(10**6, rates)]
    factors: dict[int, float] = {}
    for year in years:
        factor = 1.0
        for y in range(scenario.base_year + 1, year + 1):
            rate = next((r for until, r in schedule if y <= until), schedule[-1][1])
            factor *= 1.0 + rate
        factors[year] = factor
    return factors


def _resources(dataset: Dataset, scenario: Scenario, plan: PlanSection) -> tuple[str, ...]:
    data = [r for r in dataset.resources if r not in ("pop_2020",)]
    known = (*data, *[r for r in plan.new_resources if r not in data])
    named: list[tuple[str, str]] = [(f"policy.{r}", r) for r in scenario.policy]
    for i, rule in enumerate(scenario.ratios):
        named += [(f"ratios[{i}]", r) for r in (*rule.resources, rule.per_resource)]
    named += [(f"change_limits.{r}", r) for r in scenario.change_limits]
    costs = scenario.costs
    named += [(f"costs.per_unit_added.{r}", r) for r in costs.per_unit_added]
    named += [(f"costs.per_unit_year.{r}", r) for r in costs.per_unit_year]
    if scenario.sub_centres:
        std = scenario.sub_centres.standard
        named += [(f"sub_centres.standard.min_level.{r}", r) for r in std.min_level]
        named += [(f"sub_centres.standard.max_level.{r}", r) for r in std.max_level]
        for standard_rule in std.ratios:
            named += [("sub_centres.standard.ratios", r)
                      for r in (*standard_rule.resources, standard_rule.per_resource)]
    if scenario.central_village_clinics:
        cvc = scenario.central_village_clinics.min_level
        named += [(f"central_village_clinics.min_level.{r}", r) for r in cvc]
    if scenario.capacity:
        named += [("capacity.rules", rule.resource) for rule in scenario.capacity.rules]
    if scenario.county_hired:
        named.append(("county_hired.resource", scenario.county_hired.resource))
    if scenario.need:
        named += [(f"need.norms[{i}]", norm.resource)
                  for i, norm in enumerate(scenario.need.norms)]
    if scenario.sub_centres:
        named += [("sub_centres.keep_levels", r) for r in scenario.sub_centres.keep_levels]
    if scenario.equity:
        named += [("equity.resources", r) for r in scenario.equity.resources]
    bad = sorted({f"{where} ({r})" for where, r in named if r not in known})
    if bad:
        raise ScenarioError(
            f"unknown resource(s): {', '.join(bad)}; the data has {', '.join(data)}. A resource "
            "absent from the data must be declared in [plan] new_resources (it then starts at 0)"
        )
    return known


def _facilities(dataset: Dataset, scenario: Scenario, plan: PlanSection,
                resources: tuple[str, ...]) -> pd.DataFrame:
    raw = dataset.facilities
    frame = pd.DataFrame({
        "facility_id": raw["facility_id"].astype(str),
        "name_zh": raw["name_zh"].astype(str),
        "tier": raw["tier"].astype(str),
        "town_code": raw["town_code"].astype(str),
    })
    for resource in resources:
        values = raw[resource] if resource in raw else pd.Series(0, index=raw.index)
        frame[resource] = values.fillna(0).round().astype(np.int64).to_numpy()
    # Workload and specialty (optional columns): bed need and staffing norms read them.
    frame["specialty"] = (raw["specialty"].fillna("").astype(str).to_numpy()
                          if "specialty" in raw else "")
    for column in WORKLOAD_COLUMNS:
        frame[column] = (pd.to_numeric(raw[column], errors="coerce").to_numpy(dtype=float)
                         if column in raw else np.nan)
    role = np.where(frame["tier"].isin(plan.adjustable_tiers), ADJUSTABLE, FIXED)
    if scenario.central_village_clinics is not None:
        role = np.where(frame["tier"].eq("village_clinic"), CVC, role)
    frame["role"] = role
    return frame.set_index("facility_id").sort_index()


def _towns(dataset: Dataset) -> pd.DataFrame:
    towns = pd.DataFrame({
        "town_code": dataset.towns["code"].astype(str),
        "name_zh": dataset.towns["name_zh"].astype(str),
        "name_en": dataset.towns.get("name_en", dataset.towns["name_zh"]).astype(str),
        "kind": dataset.towns["kind"].astype(str),
    }).set_index("town_code").sort_index()
    towns["rural"] = ~towns["kind"].eq("subdistrict")
    return towns


def _health_centre(facilities: pd.DataFrame, town: str, where: str) -> str:
    centres = facilities[facilities["town_code"].eq(town)
                         & facilities["tier"].isin(HEALTH_CENTRE_TIERS)]
    if centres.empty:
        raise ScenarioError(
            f"{where}: town {town} has no township or community health centre to upgrade; "
            "add one to facilities.csv or drop the town"
        )
    if not centres["role"].eq(ADJUSTABLE).all():
        raise ScenarioError(f"{where}: the health centres of town {town} are not adjustable; "
                            "keep their tier in [plan] adjustable_tiers")
    return str(centres.index[0]) if len(centres) == 1 else str(
        centres.sort_values(["beds", "name_zh"], ascending=[False, True]).index[0]
        if "beds" in centres else centres.index[0]
    )


def _sub_centres(scenario: Scenario, towns: pd.DataFrame, facilities: pd.DataFrame
                 ) -> tuple[tuple[str, ...], tuple[str, ...], dict[str, tuple[str, ...]]]:
    section = scenario.sub_centres
    if section is None:
        return (), (), {}
    frame = towns.reset_index().rename(columns={"town_code": "code"})
    if section.candidates:
        codes = resolve_towns(section.candidates, frame, where="[sub_centres] candidates")
    else:
        codes = sorted(towns.index[towns["rural"]])
    fixed = resolve_towns(section.fixed, frame, where="[sub_centres] fixed")
    codes += [c for c in fixed if c not in codes]
    partners: dict[str, tuple[str, ...]] = {}
    for lead, names in section.partners.items():
        lead_code = resolve_town(lead, frame, where="[sub_centres] partners")
        partners[lead_code] = tuple(resolve_towns(names, frame,
                                                  where=f"[sub_centres] partners.{lead}"))
    candidates = sorted(_health_centre(facilities, c, "[sub_centres]") for c in codes)
    forced = sorted(_health_centre(facilities, c, "[sub_centres] fixed") for c in fixed)
    if len(forced) > (section.max_count if section.max_count is not None else len(candidates)):
        raise ScenarioError(f"[sub_centres]: {len(forced)} fixed sub-centres but max_count = "
                            f"{section.max_count}")
    return tuple(candidates), tuple(forced), partners


def prepare_inputs(dataset: Dataset, scenario: Scenario) -> ModelInputs:
    """Validate the scenario against the data and assemble the model inputs.

    Demand points are merged into one group when they share their town, their urban/rural
    setting, for every service the same answer to "covered by a fixed facility" and the same
    set of upgradable sites in reach, and the same service-flow facilities (and the same minutes
    to each, when the objective counts travel). Every constraint and objective of the model
    sees such points identically, so the merge is exact: their populations simply add.

    Raises
    ------
    ScenarioError
        If the scenario has no ``[plan]``, or names unknown towns or resources.
    """
    plan = scenario.plan
    if plan is None:
        raise ScenarioError(f"{scenario.source}: the scenario has no [plan] table (years, "
                            "levels_year); add one to run the allocation model")
    resources = _resources(dataset, scenario, plan)
    towns = _towns(dataset)
    growth = growth_factors(scenario, plan.years)
    base_pop = dataset.towns.set_index(dataset.towns["code"].astype(str))["pop_2020"]
    population = pd.DataFrame(
        {year: (base_pop * factor).round().astype(np.int64) for year, factor in growth.items()}
    ).reindex(towns.index)
    facilities = _facilities(dataset, scenario, plan, resources)
    candidates, fixed, partners = _sub_centres(scenario, towns, facilities)
    groups, members, cover_fixed, cover_pairs, flows = _demand_groups(
        dataset, scenario, towns, facilities, candidates
    )
    directions = {
        resolve_facility(key, facilities, where=f'[facilities."{key}"]'): direction
        for key, direction in scenario.facilities.items()
    }
    for fid, direction in directions.items():
        _check_direction(fid, direction, facilities, resources)
    return ModelInputs(
        scenario=scenario, plan=plan, resources=resources, towns=towns, population=population,
        facilities=facilities, sub_candidates=candidates, sub_fixed=fixed, partners=partners,
        groups=groups, members=members, growth=growth, cover_fixed=cover_fixed,
        cover_pairs=cover_pairs, flows=flows, directions=directions,
        access=access_coefficients(dataset, scenario) if scenario.equity is not None
        else pd.DataFrame(columns=["town_code", "facility_id", "coef"]),
        recruiters=_recruiters(scenario, facilities),
    )


def resolve_facility(key: str, facilities: pd.DataFrame, *, where: str) -> str:
    """A facility id or Chinese name -> facility id, or a ScenarioError with close matches."""
    if key in facilities.index:
        return key
    named = facilities.index[facilities["name_zh"].eq(key)]
    if len(named) == 1:
        return str(named[0])
    if len(named) > 1:
        raise ScenarioError(f"{where}: {len(named)} facilities are called '{key}' "
                            f"({', '.join(map(str, named))}); name one by its facility_id")
    spellings = [*map(str, facilities.index), *facilities["name_zh"].astype(str)]
    close = difflib.get_close_matches(key, spellings, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise ScenarioError(f"{where}: no facility with id or Chinese name '{key}' in "
                        f"facilities.csv{hint}")


def _check_direction(fid: str, direction: FacilityDirection, facilities: pd.DataFrame,
                     resources: tuple[str, ...]) -> None:
    where = f'[facilities."{fid}"]'
    for partner in direction.partners:
        resolve_facility(partner, facilities, where=f"{where} partners")
    if facilities.loc[fid, "role"] != ADJUSTABLE:
        name, tier = str(facilities["name_zh"].loc[fid]), str(facilities["tier"].loc[fid])
        raise ScenarioError(f"{where}: {name} ({tier})"
                            " is not adjustable, so a direction cannot move it; keep its tier "
                            "in [plan] adjustable_tiers or drop the direction")
    named = [*direction.no_cut, *direction.min_change, *direction.min_level,
             *direction.max_level]
    bad = sorted({r for r in named if r not in resources})
    if bad:
        raise ScenarioError(f"{where}: unknown resource(s) {', '.join(bad)}; the model has "
                            f"{', '.join(resources)}")


def _recruiters(scenario: Scenario, facilities: pd.DataFrame) -> tuple[str, ...]:
    section = scenario.county_hired
    if section is None:
        return ()
    if section.hospitals:
        ids = [resolve_facility(h, facilities, where="[county_hired] hospitals")
               for h in section.hospitals]
    else:
        ids = list(facilities.index[facilities["tier"].isin(section.hospital_tiers)])
    fixed = [f for f in ids if facilities.loc[f, "role"] != ADJUSTABLE]
    if fixed:
        raise ScenarioError(f"[county_hired] hospitals: {', '.join(fixed)} are not adjustable "
                            "(their recruits are not decisions); keep their tier in [plan] "
                            "adjustable_tiers")
    return tuple(sorted(ids))


def _service_pairs(
    dataset: Dataset, scenario: Scenario, facilities: pd.DataFrame, candidates: tuple[str, ...]
) -> tuple[dict[str, set[str]], dict[str, pd.DataFrame], pd.DataFrame]:
    """Per service: demand points covered by fixed sites, and (point, site, kind) pairs."""
    settings = scenario.travel
    network = road_network(settings, dataset.roads)
    origin_setting = demand_settings(dataset.demand, dataset.towns)
    sites = dataset.facilities.assign(facility_id=dataset.facilities["facility_id"].astype(str))
    cover_fixed: dict[str, set[str]] = {}
    cover_pairs: dict[str, pd.DataFrame] = {}
    candidate_set = set(candidates)
    for name, service in sorted(scenario.services.items()):
        mode = service.travel_mode or settings.travel_mode_for(name)
        table = travel_table(dataset.demand, sites, settings=settings, travel_mode=mode,
                             max_minutes=service.minutes, origin_setting=origin_setting,
                             network=network)
        tier = table["destination_id"].map(facilities["tier"])
        role = table["destination_id"].map(facilities["role"])
        fixed = tier.isin(service.tiers)
        kind = pd.Series("", index=table.index)
        if "sub_centre" in service.tiers:
            kind = kind.mask(table["destination_id"].isin(candidate_set), "sub")
        if "central_village_clinic" in service.tiers:
            kind = kind.mask(role.eq(CVC) & ~fixed, "cvc")
        cover_fixed[name] = set(table.loc[fixed, "origin_id"])
        variable = table[kind.ne("") & ~fixed & ~table["origin_id"].isin(cover_fixed[name])]
        cover_pairs[name] = pd.DataFrame({
            "demand_id": variable["origin_id"].to_numpy(),
            "facility_id": variable["destination_id"].to_numpy(),
            "kind": kind[variable.index].to_numpy(),
        })
    flows = pd.DataFrame(columns=["demand_id", "facility_id", "minutes"])
    if scenario.capacity is not None:
        cap = scenario.capacity
        servers = sites[sites["facility_id"].map(facilities["tier"]).isin(cap.tiers)]
        table = travel_table(dataset.demand, servers, settings=settings,
                             travel_mode=cap.travel_mode, max_minutes=cap.minutes,
                             origin_setting=origin_setting, network=network)
        flows = pd.DataFrame({"demand_id": table["origin_id"].to_numpy(),
                              "facility_id": table["destination_id"].to_numpy(),
                              "minutes": table["minutes"].round(3).to_numpy()})
    return cover_fixed, cover_pairs, flows


def _demand_groups(
    dataset: Dataset, scenario: Scenario, towns: pd.DataFrame, facilities: pd.DataFrame,
    candidates: tuple[str, ...],
) -> tuple[pd.DataFrame, pd.Series, dict[str, frozenset[str]], dict[str, pd.DataFrame],
           pd.DataFrame]:
    demand = pd.DataFrame({
        "demand_id": dataset.demand["demand_id"].astype(str),
        "town_code": dataset.demand["town_code"].astype(str),
        "population": dataset.demand["population"].astype(float),
    }).sort_values("demand_id").reset_index(drop=True)
    cover_fixed, cover_pairs, flows = _service_pairs(dataset, scenario, facilities, candidates)
    with_minutes = "travel" in scenario.objective.order
    signature = demand["town_code"].copy()
    for name in sorted(cover_fixed):
        pairs = cover_pairs[name]
        sites = pairs.groupby("demand_id")["facility_id"].agg(lambda s: ",".join(sorted(s)))
        fixed = demand["demand_id"].isin(cover_fixed[name])
        site_text = [sites.get(demand_id, "") for demand_id in demand["demand_id"]]
        part = np.where(fixed, "F", site_text)
        signature = signature + f"|{name}:" + pd.Series(part, index=demand.index, dtype=str)
    if len(flows):
        text = flows["facility_id"].astype(str)
        if with_minutes:
            text = text + "@" + flows["minutes"].map(repr).astype(str)
        reach = text.groupby(flows["demand_id"]).agg(lambda s: ",".join(sorted(s)))
        signature = signature + "|flow:" + demand["demand_id"].map(reach).fillna("")
    demand["group_id"] = demand.groupby(signature, sort=False)["demand_id"].transform("min")
    members = demand.set_index("demand_id")["group_id"]
    groups = demand.groupby("group_id").agg(
        town_code=("town_code", "first"), population=("population", "sum"),
        members=("demand_id", "size"),
    )
    groups["rural"] = groups["town_code"].map(towns["rural"]).astype(bool)
    fixed_groups = {name: frozenset(members[list(ids)].unique()) if ids else frozenset()
                    for name, ids in cover_fixed.items()}
    pair_groups = {
        name: pairs.assign(group_id=pairs["demand_id"].map(members))
        .drop_duplicates(["group_id", "facility_id"])[["group_id", "facility_id", "kind"]]
        .sort_values(["group_id", "facility_id"]).reset_index(drop=True)
        for name, pairs in cover_pairs.items()
    }
    flow_groups = (
        flows.assign(group_id=flows["demand_id"].map(members))
        .drop_duplicates(["group_id", "facility_id"])[["group_id", "facility_id", "minutes"]]
        .sort_values(["group_id", "facility_id"]).reset_index(drop=True)
    )
    return groups, members, fixed_groups, pair_groups, flow_groups


def existing_sub_centres(dataset: Dataset, scenario: Scenario) -> tuple[str, ...]:
    """Health centres of the fixed sub-centre towns when the sub-centres exist in the data's year.

    A plan may say its sub-centres are built (Yongchuan's annex 2: completed in 2025); when
    ``[sub_centres] from_year`` is not after ``[plan] levels_year``, the data's year already has
    them, so coverage measured on the data counts them as sub-centres.
    """
    section, plan = scenario.sub_centres, scenario.plan
    if section is None or plan is None or section.from_year is None \
            or section.from_year > plan.levels_year or not section.fixed:
        return ()
    towns = _towns(dataset)
    facilities = _facilities(dataset, scenario, plan, _resources(dataset, scenario, plan))
    return _sub_centres(scenario, towns, facilities)[1]
