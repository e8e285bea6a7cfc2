"""Road attributes an OpenStreetMap import carries: one-way direction and posted maximum speed.

``oneway`` is read per line relative to the direction it is drawn in: ``yes``, ``true``, ``1``,
``forward`` mean traffic flows from the first vertex to the last; ``-1``, ``reverse``,
``backward`` the other way; ``no``, ``false``, ``0``, empty or missing mean both ways. Anything
else is an error naming the feature. ``maxspeed`` is a number in km/h (``"60"``, ``"60 km/h"``;
``"30 mph"`` is converted); it only ever lowers a road's speed, since the class speeds are
typical travel speeds, already below most posted limits. Blank or unreadable values
(``"signals"``, ``"none"``) leave the class speed.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from optimizer.errors import DataError, Problem

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["MAXSPEED_COLUMN", "ONEWAY_COLUMN", "limit_by_maxspeed", "maxspeed_kmh",
           "oneway_directions"]

ONEWAY_COLUMN = "oneway"
MAXSPEED_COLUMN = "maxspeed"
_FORWARD = frozenset({"yes", "true", "1", "forward", "t", "y", "+1"})
_BACKWARD = frozenset({"-1", "reverse", "backward"})
_BOTH = frozenset({"no", "false", "0", "", "f", "n", "both", "none", "nan"})
_SPEED = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(km/h|kmh|kph|mph)?\s*$", re.IGNORECASE)
_MPH_KMH = 1.609344


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip().lower()


def oneway_directions(roads: pd.DataFrame) -> np.ndarray:
    """Direction per road line: 1 as drawn, -1 against, 0 both ways (see the module docstring).

    Raises
    ------
    DataError
        Naming every feature (up to 20) whose ``oneway`` value is not understood.
    """
    if ONEWAY_COLUMN not in roads.columns:
        return np.zeros(len(roads), dtype=np.int8)
    texts = [_text(v) for v in roads[ONEWAY_COLUMN].tolist()]
    out = np.zeros(len(texts), dtype=np.int8)
    problems: list[Problem] = []
    for pos, text in enumerate(texts):
        if text in _FORWARD:
            out[pos] = 1
        elif text in _BACKWARD:
            out[pos] = -1
        elif text not in _BOTH and len(problems) < 20:
            problems.append(Problem(
                "roads", f"feature {pos + 1}", ONEWAY_COLUMN, text,
                "not a one-way direction",
                "use yes (as drawn), -1 (against the drawing) or no (both ways)"))
    if problems:
        raise DataError(problems)
    return out


def maxspeed_kmh(values: pd.Series) -> np.ndarray:
    """Posted maximum speed in km/h per value, NaN where blank or not a speed."""
    out = np.full(len(values), np.nan)
    for pos, value in enumerate(values.tolist()):
        if isinstance(value, int | float) and not isinstance(value, bool):
            out[pos] = float(value) if float(value) > 0 else np.nan
            continue
        found = _SPEED.match(_text(value))
        if found:
            speed = float(found.group(1))
            if (found.group(2) or "").lower() == "mph":
                speed *= _MPH_KMH
            out[pos] = speed if speed > 0 else np.nan
    return out


def limit_by_maxspeed(roads: gpd.GeoDataFrame | pd.DataFrame, speed_kmh: np.ndarray) -> np.ndarray:
    """Each road's speed, lowered to its posted ``maxspeed`` where one is given."""
    if MAXSPEED_COLUMN not in roads.columns:
        return speed_kmh
    posted = maxspeed_kmh(roads[MAXSPEED_COLUMN])
    return np.where(np.isfinite(posted), np.minimum(speed_kmh, posted), speed_kmh)
