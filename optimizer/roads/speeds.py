"""The default speed of each road class for each travel mode, read from ``speeds.csv``.

``speeds.csv`` (shipped in this package) has one row per road class: the speed in km/h by
motorised transport, e-bike and on foot (blank where the mode may not use the road: no e-bikes
or pedestrians on expressways), the Chinese road class it stands for, the design-speed range of
the Chinese standards (JTG B01-2014 *Technical Standard of Highway Engineering* for highways,
CJJ 37-2012 *Code for Design of Urban Road Engineering* for urban roads) and the basis of the
chosen value. Chosen speeds sit at or below the low end of the design range: design speeds are
what the alignment allows, not what mixed traffic on hilly county roads achieves.

A scenario overrides the motorised column with ``[travel] road_speeds_kmh`` (the key the travel
engine has always read) and caps every mode at its ``[travel] speeds_kmh``.
"""

from __future__ import annotations

import io
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from optimizer.errors import ScenarioError

if TYPE_CHECKING:
    from optimizer.travel.table import TravelSettings

__all__ = ["SPEED_COLUMNS", "road_speeds_kmh", "speed_table"]

SPEED_COLUMNS = {"motorised": "motorised_kmh", "ebike": "ebike_kmh", "walk": "walk_kmh"}


@cache
def _table_text() -> str:
    return resources.files("optimizer.roads").joinpath("speeds.csv").read_text(encoding="utf-8")


def speed_table() -> pd.DataFrame:
    """The shipped speed table, one row per road class (a fresh copy each call).

    Returns
    -------
    pandas.DataFrame
        ``road_class``, ``motorised_kmh``, ``ebike_kmh``, ``walk_kmh`` (NaN where the mode may
        not use the road), ``china_class``, ``design_speed_kmh``, ``basis``.
    """
    frame = pd.read_csv(io.StringIO(_table_text()), dtype={"design_speed_kmh": "string"})
    return frame


def road_speeds_kmh(travel_mode: str, settings: TravelSettings | None = None) -> dict[str, float]:
    """Speed per road class for one travel mode; classes the mode may not use are left out.

    Parameters
    ----------
    travel_mode : str
        ``motorised``, ``ebike`` or ``walk``.
    settings : TravelSettings, optional
        A scenario's travel settings: its ``road_speeds_kmh`` replace the motorised column
        (classes it adds are added), and every speed is capped at the mode's fastest
        ``speeds_kmh``. Without settings the table's values are returned as they are.

    Returns
    -------
    dict of str to float
        Road class to km/h, sorted by class.
    """
    if travel_mode not in SPEED_COLUMNS:
        raise ScenarioError(
            f"travel mode {travel_mode!r} has no road speeds; use one of {list(SPEED_COLUMNS)}"
        )
    table = speed_table()
    column = table[SPEED_COLUMNS[travel_mode]].to_numpy(dtype=np.float64)
    speeds = {str(c): float(v) for c, v in zip(table["road_class"], column, strict=True)
              if np.isfinite(v)}
    if settings is None:
        return dict(sorted(speeds.items()))
    if travel_mode == "motorised":
        speeds.update({str(k): float(v) for k, v in settings.road_speeds_kmh.items()})
    cap = settings.max_speed_kmh(travel_mode)
    return {name: min(speed, cap) for name, speed in sorted(speeds.items())}
