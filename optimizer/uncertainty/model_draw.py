"""``--model``: the scenario's own objective per draw, by re-optimising the allocation model.

A draw's positions, populations, detour, speeds, travel model and road speeds (those its
ranking used: :func:`~optimizer.uncertainty.draw.draw_settings`) are written into a copy of
the dataset and the scenario; the choice model
(:func:`optimizer.justify.objective.choice_scenario`) is built, the chosen set forced and the
free optimum found (:mod:`optimizer.model.choice`). Two MIP solves and one build per draw:
seconds each on the shipped county (README), so this is for tens of draws, not a thousand.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import geopandas as gpd

from optimizer.config.scenario import load_scenario
from optimizer.dataset.load import load_dataset
from optimizer.justify.objective import choice_scenario
from optimizer.model.build import build_model
from optimizer.model.choice import evaluate_sets, k_best_sets
from optimizer.model.inputs import prepare_inputs
from optimizer.model.stages import main_criterion
from optimizer.uncertainty.base import DrawBase
from optimizer.uncertainty.draw import draw_roads, draw_settings, populations, sample_inputs

__all__ = ["model_record"]


def model_record(scenario_path: str, base: DrawBase, seed: int, draw: int) -> dict[str, Any]:
    """The chosen set's and the free optimum's first objective under draw ``draw``."""
    scenario = load_scenario(scenario_path)
    dataset = load_dataset([scenario.data.folder])
    inputs = sample_inputs(base, seed, draw)
    demand = dataset.demand.assign(demand_id=dataset.demand["demand_id"].astype(str))
    demand = demand.set_index("demand_id").loc[list(base.demand_ids)].reset_index()
    moved = gpd.GeoSeries(gpd.points_from_xy(inputs.demand_xy[:, 0], inputs.demand_xy[:, 1]),
                          crs=base.settings.crs).to_crs(demand.crs)
    demand = demand.set_geometry(moved.to_numpy())
    demand["population"] = populations(base, inputs).round().astype(int)
    # the draw's travel model, speeds, detour and roads: the ones its ranking used
    scenario = scenario.model_copy(update={"travel": draw_settings(base, inputs)})
    drawn = dataclasses.replace(dataset, demand=demand, roads=draw_roads(base, inputs))
    pool = base.pool
    model = build_model(prepare_inputs(drawn, choice_scenario(scenario, pool.town_codes,
                                                              pool.sizes)))
    criterion = main_criterion(scenario.objective.order)
    limit = scenario.justify.time_limit_s
    chosen = evaluate_sets(model, [pool.ids(pool.chosen)], criterion=criterion,
                           time_limit_s=limit)[0]
    best = k_best_sets(model, 1, sizes=pool.sizes, criterion=criterion, time_limit_s=limit)
    top = best[0] if best else None
    value, best_value = chosen.value, top.value if top else None
    regret = None
    if value is not None and best_value is not None:
        gap = best_value - value if chosen.sense == "max" else value - best_value
        regret = 100.0 * max(gap, 0.0) / abs(best_value) if best_value else 0.0
    return {"criterion": criterion, "chosen": value, "best": best_value,
            "status": chosen.status, "regret_pct": regret,
            "best_set": list(top.facility_ids) if top else []}
