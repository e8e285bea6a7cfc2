"""Road-network costs for ``medalloc locate --roads``: minutes on the roads instead of lines.

Demand points and candidate sites are snapped onto the road graph as in every other command
(:mod:`optimizer.routing.engine`): edges run at ``min(road speed, --speed-kmh)``, the off-road
legs at ``min(--speed-kmh, 15 km/h)`` (the default off-road speed of motor traffic; walking
speeds stay as given), and one-way roads are respected. Covering models get the sparse pairs
within the standard; p-median and p-center a dense matrix in which an unreachable pair (only
possible on the wrong side of one-way roads) costs :data:`UNREACHABLE_MINUTES`, with a warning.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from optimizer.errors import MedallocWarning
from optimizer.routing.context import read_roads, road_network
from optimizer.routing.engine import route_pairs
from optimizer.travel.table import TravelSettings

__all__ = ["UNREACHABLE_MINUTES", "road_cost_matrix", "road_cost_pairs"]

UNREACHABLE_MINUTES = 1e6
_OFFROAD_MAX_KMH = 15.0


def _pairs(roads_path: Path, crs: Any, dxy: np.ndarray, sxy: np.ndarray, speed_kmh: float,
           max_minutes: float) -> tuple[np.ndarray, ...]:
    settings = TravelSettings(mode="network", crs=crs.to_string() if hasattr(crs, "to_string")
                              else str(crs), roads=str(roads_path))
    network = road_network(settings, read_roads(roads_path))
    assert network is not None  # network mode always builds one
    return route_pairs(network, dxy, sxy, speed_cap_kmh=speed_kmh,
                       offroad_kmh=min(speed_kmh, _OFFROAD_MAX_KMH), max_minutes=max_minutes,
                       snap_warn_m=settings.snap_warn_m)


def road_cost_pairs(roads_path: Path, crs: Any, dxy: np.ndarray, sxy: np.ndarray,
                    speed_kmh: float, standard_minutes: float, demand_ids: np.ndarray,
                    site_ids: np.ndarray) -> pd.DataFrame:
    """``demand_id``, ``site_id``, ``cost`` (minutes) for pairs within the standard."""
    i, j, _, minutes = _pairs(roads_path, crs, dxy, sxy, speed_kmh, standard_minutes)
    return pd.DataFrame({"demand_id": demand_ids[i], "site_id": site_ids[j], "cost": minutes})


def road_cost_matrix(roads_path: Path, crs: Any, dxy: np.ndarray, sxy: np.ndarray,
                     speed_kmh: float) -> np.ndarray:
    """Dense (demand, site) minutes; unreachable pairs cost :data:`UNREACHABLE_MINUTES`."""
    i, j, _, minutes = _pairs(roads_path, crs, dxy, sxy, speed_kmh, np.inf)
    costs = np.full((len(dxy), len(sxy)), UNREACHABLE_MINUTES)
    costs[i, j] = minutes
    missing = int((costs >= UNREACHABLE_MINUTES).sum())
    if missing:
        warnings.warn(f"{missing} demand-site pairs cannot be reached on the roads (one-way "
                      f"roads); they cost {UNREACHABLE_MINUTES:g} minutes",
                      MedallocWarning, stacklevel=2)
    return costs
