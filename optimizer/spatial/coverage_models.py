"""Coverage under both travel models: the shares outside each threshold on roads and on lines.

With roads (network mode) the coverage table is recomputed in straight-line mode and the share
of residents outside every (group, threshold) is set side by side, with how many of the
residents outside on straight lines are outside on roads too; :mod:`optimizer.routing.models`
says whether the gaps survive. Without roads, the record says the figures rest on straight
lines and names the detour factor and speeds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from optimizer.routing.context import OSM_ATTRIBUTION, from_openstreetmap
from optimizer.routing.models import (
    basis_facts,
    basis_sentence,
    shares_sentence,
    straight_line_settings,
)
from optimizer.spatial.coverage import coverage_table, flag_column, outside_counts
from optimizer.travel.table import NETWORK, TravelSettings

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["coverage_travel_model"]


def coverage_travel_model(
    coverage: pd.DataFrame,
    demand: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    towns: pd.DataFrame,
    settings: TravelSettings,
    tier_groups: Mapping[str, Iterable[str]],
    limits: Mapping[str, Sequence[float]],
    roads: gpd.GeoDataFrame | None,
) -> dict[str, Any]:
    """The ``travel_model`` record of a coverage run (see the module docstring)."""
    modes = [settings.travel_mode_for(group) for group in limits]
    if settings.mode != NETWORK:
        basis = basis_facts(settings, modes)
        return {"basis": "straight_line", **basis, "sentence": basis_sentence(basis)}
    lines = coverage_table(demand, facilities, towns, settings=straight_line_settings(settings),
                           tier_groups=tier_groups, thresholds=limits)
    on_roads = outside_counts(coverage, limits)
    on_lines = outside_counts(lines, limits).set_index(
        ["group", "threshold_minutes"])["share_residents"].to_dict()
    by_id = lines.set_index("demand_id")
    rows = []
    for row in on_roads.to_dict("records"):
        group, minutes = str(row["group"]), float(row["threshold_minutes"])
        flag = flag_column(group, minutes)
        out_lines = ~by_id[flag].astype(bool)
        out_roads = ~coverage.set_index("demand_id")[flag].astype(bool).reindex(by_id.index)
        pop = by_id["population"].astype(float)
        both = float(pop[out_lines & out_roads].sum())
        lines_out = float(pop[out_lines].sum())
        share_roads = float(row["share_residents"])
        share_lines = float(on_lines[(group, minutes)])
        rows.append({
            "group": str(group), "threshold_minutes": float(minutes),
            "share_network": round(share_roads, 6), "share_straight_line": round(share_lines, 6),
            "change_points": round(100 * (share_roads - share_lines), 3),
            "straight_line_gaps_confirmed": round(both / lines_out, 6) if lines_out else None,
        })
    record: dict[str, Any] = {
        "basis": "road_network",
        "comparison": rows,
        "straight_line": basis_facts(settings, modes),
        "sentence": shares_sentence(rows),
    }
    if from_openstreetmap(roads):
        record["attribution"] = OSM_ATTRIBUTION
    return record
