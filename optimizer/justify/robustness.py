"""Robustness: the chosen set against the optimum under other speeds, detours and thresholds.

Every point of the grid ``[justify] speed_factors x detour_factors x thresholds`` recomputes the
travel table (all speeds times the factor; the detour factor replaced; in network mode the road
speeds scale and the detour has no effect) and ranks the same sets by the location measures.
The coverage measure is repeated for every threshold; the travel-time measures do not depend on
the threshold and appear once per speed and detour. A grid point counts as "within" when the
chosen set's regret is at most ``within_percent`` % of the optimum's value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from optimizer.dataset.load import Dataset
from optimizer.justify.measures import (
    MEASURES,
    SENSES,
    LocationData,
    location_data,
    measure_values,
    scaled_settings,
)
from optimizer.justify.ranking import compare
from optimizer.justify.sites import SitePool
from optimizer.travel.table import TravelSettings

__all__ = ["robustness_table"]

IntArray = npt.NDArray[np.int64]


def robustness_table(
    dataset: Dataset,
    settings: TravelSettings,
    pool: SitePool,
    sets: IntArray,
    chosen_row: int,
    *,
    travel_mode: str,
    fixed_tiers: tuple[str, ...],
    rural_only: bool,
    speed_factors: Sequence[float],
    detour_factors: Sequence[float],
    thresholds: Sequence[float],
    within_percent: float,
    exhaustive: bool,
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """One row per grid point and measure (see the module docstring).

    Returns
    -------
    pandas.DataFrame
        ``speed_factor``, ``detour_factor``, ``threshold_minutes`` (NaN for the travel-time
        measures), ``measure``, ``chosen_value``, ``best_value``, ``best_set`` (towns),
        ``regret``, ``regret_pct``, ``chosen_rank``, ``sets_ranked``, ``within``.
    """
    say = progress or (lambda _message: None)
    rows = []
    for speed in speed_factors:
        for detour in detour_factors:
            say(f"robustness: speeds x{speed:g}, detour {detour:g}")
            data: LocationData = location_data(
                dataset, scaled_settings(settings, speed, detour), travel_mode=travel_mode,
                fixed_tiers=fixed_tiers, site_ids=pool.facility_ids, rural_only=rural_only)
            for i, threshold in enumerate(thresholds):
                values = measure_values(data, sets, threshold)
                for name in MEASURES:
                    if name != "covered" and i > 0:
                        continue
                    found = compare(name, SENSES[name], sets, values[name], chosen_row,
                                    float(values[name][chosen_row]), exhaustive=exhaustive)
                    rows.append({
                        "speed_factor": speed, "detour_factor": detour,
                        "threshold_minutes": threshold if name == "covered" else np.nan,
                        "measure": name, "chosen_value": found.chosen_value,
                        "best_value": found.best_value, "best_set": pool.label(found.best),
                        "best_set_en": pool.label_en(found.best),
                        "regret": found.regret, "regret_pct": found.regret_pct,
                        "chosen_rank": found.rank, "sets_ranked": found.ranked,
                        "within": bool(found.regret_pct <= within_percent + 1e-9),
                    })
    return pd.DataFrame(rows)
