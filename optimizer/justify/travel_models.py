"""The sub-centre ranking under both travel models, and the sentence that says if it survives.

With roads, every ranked set is measured again in straight-line mode (the same sets, service,
threshold and population) and, per location measure, the chosen set's rank and the best set
under each model are set side by side with the Spearman correlation of the two rankings. The
ranking *survives* the change of travel model when the correlation of the headline measure
(``covered``) is at least :data:`optimizer.routing.models.RANK_CORRELATION` and both models
name the same best set. Without roads the facts say the ranking rests on straight lines.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from optimizer.dataset.load import Dataset
from optimizer.justify.measures import MEASURES, SENSES, location_data, measure_values
from optimizer.justify.ranking import compare
from optimizer.justify.sites import SitePool
from optimizer.routing.context import OSM_ATTRIBUTION, from_openstreetmap, road_layer
from optimizer.routing.models import (
    RANK_CORRELATION,
    basis_facts,
    basis_sentence,
    rank_correlation,
    straight_line_settings,
)
from optimizer.travel.table import NETWORK, TravelSettings

__all__ = ["HEADLINE", "travel_model_facts", "travel_model_sentence"]

HEADLINE = "covered"
IntArray = npt.NDArray[np.int64]


def travel_model_facts(dataset: Dataset, settings: TravelSettings, pool: SitePool,
                       sets: IntArray, chosen_row: int, values: dict[str, np.ndarray], *,
                       travel_mode: str, fixed_tiers: tuple[str, ...], rural_only: bool,
                       minutes: float, exhaustive: bool) -> dict[str, Any]:
    """The ``travel_model`` facts of a justification (see the module docstring)."""
    if settings.mode != NETWORK:
        return {"basis": "straight_line", **basis_facts(settings, [travel_mode])}
    lines = location_data(dataset, straight_line_settings(settings), travel_mode=travel_mode,
                          fixed_tiers=fixed_tiers, site_ids=pool.facility_ids,
                          rural_only=rural_only)
    line_values = measure_values(lines, sets, minutes)
    rows = []
    for name in MEASURES:
        on_roads = compare(name, SENSES[name], sets, values[name], chosen_row,
                           float(values[name][chosen_row]), exhaustive=exhaustive)
        on_lines = compare(name, SENSES[name], sets, line_values[name], chosen_row,
                           float(line_values[name][chosen_row]), exhaustive=exhaustive)
        rho = rank_correlation(values[name], line_values[name])
        rows.append({
            "measure": name, "sets": len(sets),
            "chosen_rank_network": on_roads.rank, "chosen_rank_straight_line": on_lines.rank,
            "best_network": pool.label(on_roads.best),
            "best_straight_line": pool.label(on_lines.best),
            "chosen_value_network": float(values[name][chosen_row]),
            "chosen_value_straight_line": float(line_values[name][chosen_row]),
            "rank_correlation": None if rho is None else round(rho, 4),
        })
    head = next(r for r in rows if r["measure"] == HEADLINE)
    head_rho = rank_correlation(values[HEADLINE], line_values[HEADLINE])
    survives = (head_rho is not None and head_rho >= RANK_CORRELATION
                and head["best_network"] == head["best_straight_line"])
    facts: dict[str, Any] = {"basis": "road_network", "comparison": rows,
                             "headline": HEADLINE, "survives": survives,
                             "threshold_correlation": RANK_CORRELATION,
                             "straight_line": basis_facts(settings, [travel_mode])}
    if from_openstreetmap(road_layer(settings, dataset.roads)):
        facts["attribution"] = OSM_ATTRIBUTION
    return facts


def travel_model_sentence(facts: dict[str, Any]) -> dict[str, str]:
    """The conclusion's sentence on the travel model, generated from the facts only."""
    model = facts["travel_model"]
    if model["basis"] != "road_network":
        return basis_sentence(model)
    head = next(r for r in model["comparison"] if r["measure"] == HEADLINE)
    rho = head["rank_correlation"]
    rho_text = "n/a" if rho is None else f"{rho:.2f}"
    same = head["best_network"] == head["best_straight_line"]
    best_en = (f"both name {head['best_network']} best" if same else
               f"the best set is {head['best_network']} on roads and "
               f"{head['best_straight_line']} on straight lines")
    best_zh = (f"两者最优方案均为{head['best_network']}" if same else
               f"最优方案路网为{head['best_network']}、直线为{head['best_straight_line']}")
    verdict_en = ("the ranking survives the change of travel model" if model["survives"] else
                  "the ranking does not survive the change of travel model, so a best set named "
                  "from straight lines alone claims more than it knows")
    verdict_zh = ("排序在两种出行模型下稳健" if model["survives"] else
                  "排序随出行模型改变，仅凭直线距离选出的最优方案并不可靠")
    return {
        "en": (f"On the road network the chosen set ranks {head['chosen_rank_network']} of "
               f"{head['sets']} by coverage, on straight lines {head['chosen_rank_straight_line']}"
               f"; the rank correlation of the {head['sets']} sets between the two travel models"
               f" is {rho_text} and {best_en}: {verdict_en}."),
        "zh": (f"按覆盖人口，所选方案在路网模型下排第{head['chosen_rank_network']}"
               f"（共{head['sets']}个），在直线模型下排第{head['chosen_rank_straight_line']}；"
               f"两种模型下{head['sets']}个方案排序的秩相关系数为{rho_text}，{best_zh}："
               f"{verdict_zh}。"),
    }
