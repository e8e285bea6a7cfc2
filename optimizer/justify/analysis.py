"""Compute a justification: rankings, regrets, marginal values, pairings and robustness.

Validate -> compute -> assemble: the chosen towns are resolved, the pool and the admissible
sets built (:mod:`~optimizer.justify.sites`), the location measures evaluated for every set
when there are at most ``[justify] max_sets`` (:mod:`~optimizer.justify.measures`), the
scenario's own objective re-optimised by the model for the sets
:mod:`~optimizer.justify.objective` names, and the results assembled into tables and one
JSON-ready ``facts`` dict from which the written conclusion is generated.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from optimizer.config.scenario import Scenario
from optimizer.dataset.load import Dataset
from optimizer.errors import ScenarioError
from optimizer.justify.marginal import loo_and_swap_sets, marginal_table
from optimizer.justify.measures import (
    MEASURES,
    SENSES,
    LocationData,
    location_data,
    measure_values,
    town_means,
)
from optimizer.justify.objective import ObjectiveValues, objective_values
from optimizer.justify.pairings import pairing_table
from optimizer.justify.ranking import (
    Comparison,
    compare,
    rank_values,
    ranking_table,
    regret_of,
    set_positions,
)
from optimizer.justify.robustness import robustness_table
from optimizer.justify.sites import (
    SitePool,
    count_sets,
    enumerate_sets,
    resolve_sites,
    site_pool,
)
from optimizer.justify.travel_models import travel_model_facts
from optimizer.travel.table import TravelSettings

__all__ = ["Analysis", "ServiceSpec", "analyse", "service_spec"]

IntArray = npt.NDArray[np.int64]
OBJECTIVE = "objective"


@dataclass(frozen=True)
class ServiceSpec:
    """What the location measures measure to: tiers, travel mode, threshold, population."""

    name: str
    tiers: tuple[str, ...]
    travel_mode: str
    minutes: float
    rural_only: bool


@dataclass(frozen=True, eq=False)
class Analysis:
    """Everything a justification computed, ready to write.

    Attributes
    ----------
    facts : dict
        JSON-ready numbers behind every sentence of the conclusion.
    ranking, marginal, robustness, pairings : pandas.DataFrame
        The tables written as CSV.
    pool : SitePool
        The pool and the chosen positions.
    optimum : tuple of int
        Pool positions of the optimum by the headline criterion (the map's comparison set).
    data : LocationData
        Travel minutes under the scenario's own assumptions (for the map).
    """

    facts: dict[str, Any]
    ranking: pd.DataFrame
    marginal: pd.DataFrame
    robustness: pd.DataFrame
    pairings: pd.DataFrame
    pool: SitePool
    optimum: tuple[int, ...]
    data: LocationData


def service_spec(scenario: Scenario, settings: TravelSettings) -> ServiceSpec:
    """The service ``[justify] service`` names, from ``[services]`` or ``[coverage] groups``.

    Raises
    ------
    ScenarioError
        If neither defines it.
    """
    name = scenario.justify.service
    if name in scenario.services:
        service = scenario.services[name]
        mode = service.travel_mode or settings.travel_mode_for(name)
        return ServiceSpec(name, tuple(service.tiers), mode, float(service.minutes),
                           service.population == "rural")
    if name in scenario.coverage.groups:
        minutes = scenario.coverage.thresholds.get(name, [30.0])[0]
        return ServiceSpec(name, tuple(scenario.coverage.groups[name]),
                           settings.travel_mode_for(name), float(minutes), True)
    raise ScenarioError(
        f"{scenario.source}: [justify] service = {name!r} is neither a [services] table "
        f"({sorted(scenario.services) or 'none'}) nor a [coverage] group "
        f"({sorted(scenario.coverage.groups)}); name one of them"
    )


def _chosen_names(scenario: Scenario, sites: Sequence[str] | str | None) -> list[str]:
    if isinstance(sites, str):
        sites = [s for s in sites.replace("，", ",").replace("、", ",").split(",") if s.strip()]
    if sites:
        return list(sites)
    if scenario.justify.sites:
        return list(scenario.justify.sites)
    if scenario.sub_centres is not None and scenario.sub_centres.fixed:
        return list(scenario.sub_centres.fixed)
    raise ScenarioError(f"{scenario.source}: no sites to justify; name them (e.g. --sites "
                        "朱沱镇,三教镇,来苏镇) or set [justify] sites or [sub_centres] fixed")


def _clean(value: float | None, digits: int = 6) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)


def _comparison_facts(found: Comparison, pool: SitePool) -> dict[str, Any]:
    return {"sense": found.sense, "chosen_value": _clean(found.chosen_value),
            "best_value": _clean(found.best_value), "best": pool.label(found.best),
            "best_en": pool.label_en(found.best), "ties": found.ties,
            "regret": _clean(found.regret), "regret_pct": _clean(found.regret_pct),
            "rank": found.rank, "ranked": found.ranked, "exhaustive": found.exhaustive}


def _objective_facts(values: ObjectiveValues, pool: SitePool, limit: int) -> dict[str, Any]:
    """Chosen vs best by the scenario objective, with an honest rank."""
    chosen_key = tuple(sorted(pool.town_codes[p] for p in pool.chosen))
    chosen = values.by_set[chosen_key]
    position = {code: i for i, code in enumerate(pool.town_codes)}
    solved = [(key, v.value) for key, v in values.by_set.items() if v.value is not None
              and pool.sizes[0] <= len(key) <= pool.sizes[1]]
    sign = -1.0 if values.sense == "max" else 1.0
    best_key, best_value = min(solved, key=lambda kv: (sign * (kv[1] or 0.0), kv[0]))
    if values.best_order:
        first = values.by_set[values.best_order[0]].value
        if first is not None and sign * first <= sign * (best_value or 0.0):
            best_key, best_value = values.best_order[0], first
    rank: int | None = None
    note = "exact: every admissible set was re-optimised"
    if chosen.value is not None:
        better = sum(1 for _, v in solved if sign * (v or 0.0) < sign * chosen.value
                     - 1e-9 * max(abs(chosen.value), 1.0))
        listed = len(values.best_order)
        edge = values.exact_from
        if values.exhaustive:
            rank = better + 1
        elif edge is not None and sign * chosen.value <= sign * edge + 1e-9 * max(abs(edge),
                                                                                  1.0):
            rank = better + 1
            note = (f"exact: the model listed the {listed} best sets, down past the "
                    "chosen set's value")
        else:
            note = (f"not established: the model listed {listed} sets and cannot rule out "
                    f"an unlisted set better than the chosen one (raise [justify] max_listed, "
                    f"now {limit})")
    regret, pct = regret_of(chosen.value if chosen.value is not None else math.nan,
                            best_value or 0.0, values.sense)
    best_positions = tuple(sorted(position[c] for c in best_key))
    statuses = sorted({v.status for v in values.by_set.values()})
    return {"criterion": values.criterion, "sense": values.sense, "unit": values.unit,
            "chosen_value": _clean(chosen.value), "chosen_status": chosen.status,
            "best_value": _clean(best_value), "best": pool.label(best_positions),
            "best_en": pool.label_en(best_positions), "best_codes": list(best_key),
            "years": list(values.years), "data_year": values.data_year,
            "regret": _clean(regret), "regret_pct": _clean(pct), "rank": rank,
            "rank_note": note, "solved": len(values.by_set), "exhaustive": values.exhaustive,
            "statuses": statuses}


def _ranked_sets(pool: SitePool, exhaustive: bool, loo_swaps: list[tuple[int, ...]],
                 objective: ObjectiveValues | None) -> IntArray:
    """Every admissible set, or (too many) the chosen set, its swaps and the model's best."""
    if exhaustive:
        return enumerate_sets(len(pool.town_codes), pool.sizes)
    chosen = tuple(sorted(pool.chosen))
    listed = [chosen, *(s for s in loo_swaps if len(s) == len(chosen))]
    if objective is not None:
        index = {c: i for i, c in enumerate(pool.town_codes)}
        listed += [tuple(sorted(index[c] for c in key)) for key in objective.best_order]
    unique = list(dict.fromkeys(listed))
    sets = np.full((len(unique), pool.sizes[1]), -1, dtype=np.int64)
    for i, positions in enumerate(unique):
        sets[i, : len(positions)] = positions
    return sets


def _add_objective(ranking: pd.DataFrame, objective: ObjectiveValues, pool: SitePool) -> None:
    """The objective's value, status and rank per ranked set (rank only where it is exact)."""
    fid_town = dict(zip(pool.facility_ids, pool.town_codes, strict=True))
    found = [objective.by_set.get(tuple(sorted(fid_town[f] for f in key.split("+"))))
             for key in ranking["set"]]
    ranking["objective"] = [v.value if v is not None and v.value is not None else np.nan
                            for v in found]
    ranking["objective_status"] = [v.status if v is not None else "" for v in found]
    values = ranking["objective"].to_numpy(dtype=float)
    ranks = rank_values(values, objective.sense)
    exact = ~np.isnan(values)
    if not objective.exhaustive:
        # exact where every better set was listed
        last = objective.exact_from if objective.exact_from is not None else math.nan
        with np.errstate(invalid="ignore"):
            exact &= values >= last if objective.sense == "max" else values <= last
    ranking["objective_rank"] = pd.array(
        [int(r) if ok else pd.NA for r, ok in zip(ranks, exact, strict=True)], dtype="Int64")


Valuer = Callable[[tuple[int, ...]], float | None]


def _criteria(data: LocationData, threshold: float, objective: ObjectiveValues | None,
              pool: SitePool) -> tuple[dict[str, tuple[str, Valuer]], list[str]]:
    """Criterion -> (sense, value of any set), the objective first when there is one."""
    cache: dict[tuple[int, ...], dict[str, float]] = {}

    def measure_of(name: str) -> Valuer:
        def value(positions: tuple[int, ...]) -> float | None:
            if positions not in cache:
                row = np.full((1, max(len(positions), 1)), -1, dtype=np.int64)
                row[0, : len(positions)] = positions
                cache[positions] = {k: float(v[0]) for k, v in
                                    measure_values(data, row, threshold).items()}
            return cache[positions][name]
        return value

    criteria: dict[str, tuple[str, Valuer]] = {}
    if objective is not None:
        solved = objective

        def objective_of(positions: tuple[int, ...]) -> float | None:
            found = solved.by_set.get(tuple(sorted(pool.town_codes[p] for p in positions)))
            return found.value if found is not None else None

        criteria[OBJECTIVE] = (objective.sense, objective_of)
    for name in MEASURES:
        criteria[name] = (SENSES[name], measure_of(name))
    return criteria, list(criteria)


def analyse(scenario: Scenario, dataset: Dataset, sites: Sequence[str] | str | None, *,
            progress: Callable[[str], None] | None = None) -> Analysis:
    """Compute the justification of ``sites`` (see the module docstring)."""
    say = progress or (lambda _message: None)
    section = scenario.justify
    codes = resolve_sites(_chosen_names(scenario, sites), dataset.towns,
                          aliases=dict(section.aliases), where="sites")
    pool = site_pool(scenario, dataset.towns, dataset.facilities, codes)
    settings = scenario.travel
    spec = service_spec(scenario, settings)
    data = location_data(dataset, settings, travel_mode=spec.travel_mode,
                         fixed_tiers=spec.tiers, site_ids=pool.facility_ids,
                         rural_only=spec.rural_only)
    chosen = tuple(sorted(pool.chosen))
    n_sets = count_sets(len(pool.town_codes), pool.sizes)
    exhaustive = n_sets <= section.max_sets
    say(f"{len(pool.town_codes)} pool towns ({pool.source}); {n_sets} admissible sets of "
        f"{pool.sizes[0]}-{pool.sizes[1]}")
    loo_swaps = loo_and_swap_sets(pool)

    def towns_key(positions: tuple[int, ...]) -> tuple[str, ...]:
        return tuple(sorted(pool.town_codes[p] for p in positions))

    objective: ObjectiveValues | None = None
    if scenario.plan is not None:
        all_sets = ([towns_key(set_positions(r)) for r in enumerate_sets(len(pool.town_codes),
                                                                          pool.sizes)]
                    if n_sets <= section.max_model_sets else None)
        objective = objective_values(
            dataset, scenario, pool.town_codes, pool.sizes, all_sets=all_sets,
            extra_sets=[towns_key(chosen), *(towns_key(s) for s in loo_swaps
                                             if len(s) < len(chosen))],
            swaps_of=[pool.town_codes[p] for p in pool.chosen], progress=say)
    sets = _ranked_sets(pool, exhaustive, loo_swaps, objective)
    chosen_row = next(i for i, row in enumerate(sets) if set_positions(row) == chosen)
    say(f"ranking {len(sets)} sets by the location measures")
    values = measure_values(data, sets, spec.minutes)
    ranking = ranking_table(pool, sets, values, SENSES, chosen)
    comparisons = {name: compare(name, SENSES[name], sets, values[name], chosen_row,
                                 float(values[name][chosen_row]), exhaustive=exhaustive)
                   for name in MEASURES}
    if objective is not None:
        _add_objective(ranking, objective, pool)
    marginal = marginal_table(pool, *_criteria(data, spec.minutes, objective, pool))
    town_names = dict(zip(dataset.towns["code"].astype(str), dataset.towns["name_zh"].astype(str),
                          strict=True))
    pairings = pairing_table(data, pool, _partners(scenario, dataset), town_names,
                             dict(zip(pool.town_codes, pool.names_en, strict=True)))
    speeds = section.speed_factors or [1.0]
    detours = section.detour_factors or [settings.detour_factor]
    thresholds = section.thresholds or [spec.minutes]
    robustness = robustness_table(
        dataset, settings, pool, sets, chosen_row, travel_mode=spec.travel_mode,
        fixed_tiers=spec.tiers, rural_only=spec.rural_only, speed_factors=speeds,
        detour_factors=detours, thresholds=thresholds, within_percent=section.within_percent,
        exhaustive=exhaustive, progress=say)
    facts_objective = (_objective_facts(objective, pool, max(section.max_listed, section.k))
                       if objective is not None else None)
    if facts_objective is not None:
        optimum = tuple(sorted(pool.town_codes.index(c) for c in facts_objective["best_codes"]))
    else:
        optimum = comparisons["covered"].best
    worst = town_means(data, chosen)
    model_facts = travel_model_facts(
        dataset, settings, pool, sets, chosen_row, values, travel_mode=spec.travel_mode,
        fixed_tiers=spec.tiers, rural_only=spec.rural_only, minutes=spec.minutes,
        exhaustive=exhaustive)
    worst_code = str(worst.idxmax()) if len(worst) else ""
    facts = {
        "scenario": scenario.name,
        "sites": [{"town_code": pool.town_codes[p], "name_zh": pool.names_zh[p],
                   "name_en": pool.names_en[p], "facility_id": pool.facility_ids[p]}
                  for p in pool.chosen],
        "chosen": "、".join(pool.names_zh[p] for p in pool.chosen),
        "chosen_en": ", ".join(pool.names_en[p] for p in pool.chosen),
        "pool": {"source": pool.source, "towns": len(pool.town_codes),
                 "names": list(pool.names_zh)},
        "sizes": list(pool.sizes), "admissible_sets": n_sets, "ranked_sets": len(sets),
        "exhaustive": exhaustive,
        "service": {"name": spec.name, "tiers": list(spec.tiers), "travel_mode": spec.travel_mode,
                    "minutes": spec.minutes,
                    "population": "rural" if spec.rural_only else "all",
                    "residents": _clean(float(data.population[data.in_scope].sum()))},
        "objective": facts_objective,
        "measures": {name: _comparison_facts(found, pool) for name, found in comparisons.items()},
        "worst_town": {"code": worst_code, "name_zh": town_names.get(worst_code, ""),
                       "minutes": _clean(float(worst.max())) if len(worst) else None},
        "optimum": {"towns": pool.label(optimum), "towns_en": pool.label_en(optimum)},
        "same_size": _same_size(ranking, pool, objective),
        "grid": {"speed_factors": speeds, "detour_factors": detours, "thresholds": thresholds,
                 "within_percent": section.within_percent},
        "robustness": _robust_facts(robustness),
        "travel_model": model_facts,
        **({"attribution": model_facts["attribution"]} if "attribution" in model_facts else {}),
    }
    return Analysis(facts, ranking, marginal, robustness, pairings, pool, optimum, data)


def _same_size(ranking: pd.DataFrame, pool: SitePool, objective: ObjectiveValues | None
               ) -> dict[str, Any] | None:
    """The best set of the chosen set's size by the headline, when sizes vary (2-3 of six)."""
    if pool.sizes[0] == pool.sizes[1]:
        return None
    column = OBJECTIVE if objective is not None else "covered"
    sense = objective.sense if objective is not None else SENSES["covered"]
    size = len(pool.chosen)
    rows = ranking[ranking["size"].eq(size) & ranking[column].notna()]
    if rows.empty:
        return None
    best = rows.sort_values([column, "set"], ascending=[sense == "min", True],
                            kind="stable").iloc[0]
    chosen = ranking.loc[ranking["chosen"], column]
    value = float(chosen.iloc[0]) if len(chosen) else math.nan
    regret, pct = regret_of(value, float(best[column]), sense)
    name = objective.criterion if objective is not None else column
    return {"size": size, "criterion": name, "best": str(best["towns"]),
            "best_en": str(best["towns_en"]), "best_value": _clean(float(best[column])),
            "regret": _clean(regret), "regret_pct": _clean(pct)}


def _partners(scenario: Scenario, dataset: Dataset) -> dict[str, list[str]]:
    section = scenario.sub_centres
    if section is None:
        return {}
    aliases = dict(scenario.justify.aliases)
    found: dict[str, list[str]] = {}
    for lead, names in section.partners.items():
        code = resolve_sites([lead], dataset.towns, aliases=aliases,
                             where="[sub_centres] partners")[0]
        found[code] = resolve_sites(names, dataset.towns, aliases=aliases,
                                    where=f"[sub_centres] partners.{lead}")
    return found


def _robust_facts(table: pd.DataFrame) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in MEASURES:
        rows = table[table["measure"].eq(name)]
        if rows.empty:
            continue
        worst = rows.sort_values(["regret_pct", "speed_factor", "detour_factor"],
                                 ascending=[False, True, True], kind="stable").iloc[0]
        out[name] = {"within": int(rows["within"].sum()), "points": len(rows),
                     "worst_regret_pct": _clean(float(worst["regret_pct"])),
                     "worst_speed_factor": float(worst["speed_factor"]),
                     "worst_detour_factor": float(worst["detour_factor"]),
                     "worst_threshold": _clean(float(worst["threshold_minutes"])),
                     "worst_best_set": str(worst["best_set"])}
    return out
