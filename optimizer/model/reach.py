r"""Who reaches which facility for access (2SFCA): the travel table and each town's coefficients.

(The road graph the model's travel tables use in network mode is built here too.)

Enhanced 2SFCA (:mod:`optimizer.spatial.access`) with supply S_j: A_k = Σ_j w_kj·S_j/D_j with
D_j = Σ_k w_kj·p_k; a town's figure is Σ_{k∈i} p_k·A_k / P_i. Both are linear in the supply, so
a town's access is Σ_j c_ij·S_j with c_ij = Σ_{k∈i} (p_k/P_i)·w_kj/D_j. Populations that grow
by one factor g scale every D_j by g, so in year t the coefficients are c_ij/g(t).

These coefficients average over *all* of a town's residents, those with no facility in reach
counting 0: the allocation model needs a figure linear in the supply, and keeping it unchanged
keeps the plan unchanged. The reported figures (:mod:`optimizer.model.equity`) instead average
over the residents with access and count the others.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.config.scenario import Scenario
from optimizer.dataset.load import Dataset
from optimizer.routing.context import road_network
from optimizer.spatial.access import step_weight
from optimizer.travel.table import demand_settings, travel_table

__all__ = ["access_coefficients", "access_table"]


def access_table(dataset: Dataset, scenario: Scenario) -> tuple[pd.DataFrame, dict[float, float]]:
    """The long travel table for the ``access`` purpose, and the step weights it uses."""
    steps = {float(k): v for k, v in scenario.coverage.access.step_weights.items()}
    settings = scenario.travel
    demand = dataset.demand.assign(demand_id=dataset.demand["demand_id"].astype(str))
    sites = dataset.facilities.assign(facility_id=dataset.facilities["facility_id"].astype(str))
    table = travel_table(demand, sites, settings=settings,
                         travel_mode=settings.travel_mode_for("access"), max_minutes=max(steps),
                         origin_setting=demand_settings(demand, dataset.towns),
                         network=road_network(settings, dataset.roads))
    return table, steps


def access_coefficients(dataset: Dataset, scenario: Scenario) -> pd.DataFrame:
    """``town_code``, ``facility_id``, ``coef``: c_ij at the base-year populations."""
    table, steps = access_table(dataset, scenario)
    demand = pd.DataFrame({
        "demand_id": dataset.demand["demand_id"].astype(str),
        "town_code": dataset.demand["town_code"].astype(str),
        "population": pd.to_numeric(dataset.demand["population"]).astype(float),
    }).set_index("demand_id")
    pairs = pd.DataFrame({"demand_id": table["origin_id"].astype(str),
                          "facility_id": table["destination_id"].astype(str),
                          "w": step_weight(table["minutes"].to_numpy(), steps)})
    pairs = pairs[pairs["w"] > 0]
    pairs["p"] = pairs["demand_id"].map(demand["population"])
    pairs["town_code"] = pairs["demand_id"].map(demand["town_code"])
    weighted = (pairs["w"] * pairs["p"]).groupby(pairs["facility_id"]).sum()
    town_pop = demand.groupby("town_code")["population"].sum()
    denominator = pairs["facility_id"].map(weighted) * pairs["town_code"].map(town_pop)
    with np.errstate(divide="ignore", invalid="ignore"):
        pairs["coef"] = np.where(denominator > 0, pairs["p"] * pairs["w"] / denominator, 0.0)
    coefficients = pairs.groupby(["town_code", "facility_id"], as_index=False)["coef"].sum()
    kept: pd.DataFrame = coefficients[coefficients["coef"] > 0].reset_index(drop=True)
    return kept
