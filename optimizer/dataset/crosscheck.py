"""Check layers against each other: town codes, points inside the district, populations."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from optimizer.dataset.geometry import lonlat_usable
from optimizer.dataset.validate import closest
from optimizer.errors import Problem

__all__ = [
    "POPULATION_LIMIT",
    "POPULATION_TOLERANCE",
    "LoadedLayer",
    "check_points_inside",
    "check_populations",
    "check_refs",
    "cross_check",
]

# A town's pop_2020 and the sum of its demand points may differ by this share before a note is
# given (rounding, points placed a little differently), and by the larger share before it is an
# error: registered (户籍) and resident (常住) populations of rural Chongqing differ by up to a
# third, but no mix of sources makes one twice the other.
POPULATION_TOLERANCE = 0.05
POPULATION_LIMIT = 0.5
# Points this close outside the district (in degrees, about 10 m) still count as inside:
# coordinates are rounded to 6 decimals and polygons to their precision grid.
_INSIDE_TOLERANCE_DEG = 1e-4


@dataclass(frozen=True)
class LoadedLayer:
    """A validated layer and where it came from.

    ``label`` names the file (and sheet) as the user gave it, ``name`` the file alone (for
    messages about other files), ``rows`` each row's place in it (``"line 4"``, ``"row 4"``,
    ``"feature 4"``).
    """

    frame: gpd.GeoDataFrame
    label: str
    name: str
    rows: tuple[str, ...]


def check_refs(
    frame: pd.DataFrame, column: str, known: set[str], label: str, rows: Sequence[str],
    target: str,
) -> list[Problem]:
    """Report values of ``column`` that name no row of the target layer."""
    problems = []
    for i, value in enumerate(frame[column].astype(str)):
        if value and value not in known:
            guess = closest(value, known)
            hint = f" (did you mean {guess}?)" if guess else ""
            problems.append(Problem(label, rows[i], column, value,
                                    f"unknown town code: not in {target}",
                                    f"use a code listed in {target}{hint}"))
    return problems


def check_points_inside(
    points: gpd.GeoSeries, area: shapely.Geometry, label: str, rows: Sequence[str],
    area_name: str,
) -> list[Problem]:
    """Report points that fall outside the district (WGS84, small tolerance for rounding)."""
    grown = shapely.buffer(area, _INSIDE_TOLERANCE_DEG)
    shapely.prepare(grown)
    inside = shapely.covers(grown, points.to_numpy())
    problems = []
    for i in np.flatnonzero(~inside):
        geom = points.iloc[int(i)]
        if geom is None or geom.is_empty or math.isnan(geom.x) or math.isnan(geom.y):
            continue  # missing coordinates are reported by the column checks
        problems.append(Problem(label, rows[int(i)], "lon/lat",
                                f"{geom.x:.6f}, {geom.y:.6f}", f"point lies outside {area_name}",
                                "check the coordinates (lon and lat swapped? another CRS?)"))
    return problems


def check_populations(
    towns: LoadedLayer, demand: LoadedLayer, tolerance: float = POPULATION_TOLERANCE,
    limit: float = POPULATION_LIMIT,
) -> tuple[list[Problem], list[Problem]]:
    """Compare each town's ``pop_2020`` with the sum of its demand points' populations.

    Returns ``(errors, notes)``: a town with residents but no demand points is an error (its
    coverage would be 0 of 0); a sum off by more than ``limit`` (a share of ``pop_2020``) is an
    error; off by more than ``tolerance``, a note.
    """
    errors: list[Problem] = []
    notes: list[Problem] = []
    frame = towns.frame
    if not {"code", "pop_2020"} <= set(frame.columns):
        return errors, notes
    if not {"town_code", "population"} <= set(demand.frame.columns):
        return errors, notes
    points = demand.frame.groupby("town_code")["population"].agg(["sum", "count"])
    for position, (code, pop) in enumerate(zip(frame["code"], frame["pop_2020"], strict=True)):
        name = f"{code} {frame['name_zh'].iloc[position]}" if "name_zh" in frame else str(code)
        row = towns.rows[position]
        residents = int(pop)
        count = int(points["count"].get(code, 0))
        total = float(points["sum"].get(code, 0.0))
        if count == 0:
            if residents > 0:
                errors.append(Problem(
                    towns.label, row, "pop_2020", str(residents),
                    f"town {name} has {residents:,} residents but no demand points in "
                    f"{demand.name}, so its coverage cannot be measured",
                    f"add its villages (or one point at its seat) to {demand.name} with "
                    f"town_code {code}, or set pop_2020 to 0 if nobody lives there"))
            continue
        if residents == 0:
            off = math.inf if total > 0 else 0.0
        else:
            off = (total - residents) / residents
        if abs(off) <= tolerance:
            continue
        share = "more than" if math.isinf(off) else f"{off:+.1%}"
        message = (f"town {name}: pop_2020 is {residents:,} but its {count} demand "
                   f"point{'s' if count != 1 else ''} in "
                   f"{demand.name} sum to {total:,.0f} ({share} off; tolerance {tolerance:.0%})")
        if abs(off) > limit:
            errors.append(Problem(
                towns.label, row, "pop_2020", str(residents), message + f", beyond {limit:.0%}",
                "make both count the same residents in the same year (check for a missing or "
                "doubled village, or a town code on the wrong points)"))
        else:
            notes.append(Problem(
                towns.label, row, "pop_2020", str(residents), message,
                f"nothing if the sources differ (registered vs resident population); up to "
                f"{limit:.0%} is accepted"))
    return errors, notes


def cross_check(
    layers: dict[str, LoadedLayer], *, tolerance: float = POPULATION_TOLERANCE,
    limit: float = POPULATION_LIMIT, populations: bool = True,
) -> tuple[list[Problem], list[Problem]]:
    """Every check between layers; returns ``(errors, notes)``.

    ``populations=False`` skips the population comparison (when a population cell was already
    rejected, comparing sums would only report the same problem again).
    """
    errors: list[Problem] = []
    notes: list[Problem] = []
    towns = layers.get("towns")
    if towns is None or "code" not in towns.frame:
        return errors, notes
    codes = set(towns.frame["code"].astype(str))
    boundary = layers.get("boundary")
    area_layer = boundary if boundary is not None else towns
    area_name = (f"the district boundary ({boundary.name})" if boundary is not None
                 else f"the union of the towns ({towns.name})")
    # An area in the wrong units or with broken polygons is reported once, on its own file;
    # testing every point against it would only bury that under one error per point.
    usable = lonlat_usable(area_layer.frame)
    area = area_layer.frame.geometry.union_all() if usable else None
    for role in ("facilities", "demand"):
        layer = layers.get(role)
        if layer is None:
            continue
        if "town_code" in layer.frame:
            errors += check_refs(layer.frame, "town_code", codes, layer.label, layer.rows,
                                 towns.name)
        if area is not None:
            geoms = layer.frame.geometry
            valid = geoms.notna() & geoms.is_valid
            errors += check_points_inside(geoms.where(valid), area, layer.label, layer.rows,
                                          area_name)
    demand = layers.get("demand")
    if demand is not None and populations:
        found, noted = check_populations(towns, demand, tolerance, limit)
        errors += found
        notes += noted
    return errors, notes
