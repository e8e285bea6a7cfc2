"""Check input layers cell by cell and across files, collecting every problem before failing."""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from optimizer.errors import Problem
from optimizer.schema import COUNT_COLUMNS, Column, Kind, Layer

__all__ = ["check_columns", "check_geometry", "check_points_inside", "check_refs", "check_values"]

# Geometry types accepted per layer geometry.
_GEOM_TYPES = {
    "polygon": {"Polygon", "MultiPolygon"},
    "point": {"Point"},
    "line": {"LineString", "MultiLineString"},
}
# Points this close outside the district (in degrees, about 10 m) still count as inside:
# coordinates are rounded to 6 decimals and polygons to their precision grid.
_INSIDE_TOLERANCE_DEG = 1e-4


def closest(name: str, options: Iterable[str]) -> str | None:
    """The option most like ``name`` (for "did you mean" hints), or None."""
    found = difflib.get_close_matches(name, list(options), n=1, cutoff=0.6)
    return found[0] if found else None


def row_label(index: int, csv: bool) -> str:
    """Where a row is, as the user's tool shows it."""
    return f"line {index + 2}" if csv else f"feature {index + 1}"


def check_columns(frame: pd.DataFrame, layer: Layer, label: str, csv: bool) -> list[Problem]:
    """Report required columns that are missing, naming a misspelt column when there is one."""
    present = [c for c in frame.columns if c != "geometry"]
    needed = [c for c in layer.columns if c.required]
    if not csv and layer.point_columns:
        needed = [c for c in needed if c.name not in layer.point_columns]
    problems = []
    known = [c.name for c in layer.columns]
    for column in needed:
        if column.name in present:
            continue
        unclaimed = [c for c in present if c not in known]
        guess = closest(column.name, unclaimed)
        if guess:
            message = f"required column '{column.name}' is missing; '{guess}' looks misspelt"
            fix = f"rename column '{guess}' to '{column.name}'"
        else:
            message = f"required column '{column.name}' is missing"
            fix = f"add a column '{column.name}'" + (f" ({column.help})" if column.help else "")
        problems.append(Problem(label, "line 1" if csv else "", column.name, "", message, fix))
    return problems


def _parse_number(text: str) -> float | None:
    try:
        value = float(text.replace(",", "")) if text.strip() else math.nan
    except ValueError:
        return None
    return value


def check_values(
    frame: pd.DataFrame, layer: Layer, label: str, csv: bool
) -> tuple[pd.DataFrame, list[Problem]]:
    """Check and convert every cell; returns the typed frame and the problems found.

    ``frame`` holds strings (as read from CSV, or vector attributes turned into text).
    """
    problems: list[Problem] = []
    typed = frame.copy()
    columns = [c for c in layer.columns if c.name in frame.columns]
    if layer.extra_counts:
        known = {c.name for c in layer.columns}
        for name in frame.columns:
            if name in known or name == "geometry":
                continue
            values = frame[name].astype(str).str.strip()
            filled = values[values != ""]
            if len(filled) and all(_parse_number(v) is not None for v in filled):
                columns.append(Column(name, Kind.AMOUNT, required=False))
    for column in columns:
        values, found = _check_column(frame[column.name], column, label, csv)
        typed[column.name] = values
        problems += found
    if layer.id_column and layer.id_column in frame.columns:
        ids = frame[layer.id_column].astype(str).str.strip()
        for position in np.flatnonzero(ids.duplicated(keep="first").to_numpy()):
            first = int(np.flatnonzero((ids == ids.iloc[position]).to_numpy())[0])
            problems.append(
                Problem(label, row_label(int(position), csv), layer.id_column, ids.iloc[position],
                        f"duplicate id (first used on {row_label(first, csv)})",
                        "give every row its own id")
            )
    return typed, problems


def _check_column(
    cells: pd.Series, column: Column, label: str, csv: bool
) -> tuple[pd.Series, list[Problem]]:
    texts = cells.astype(str).str.strip().where(cells.notna(), "")
    problems: list[Problem] = []
    out: list[object] = []

    def bad(i: int, value: str, message: str, fix: str) -> None:
        problems.append(Problem(label, row_label(i, csv), column.name, value, message, fix))

    for i, cell in enumerate(texts):
        text = "" if cell in {"nan", "None", "<NA>"} else cell
        if column.kind in (Kind.ID, Kind.REF, Kind.TEXT):
            if not text and column.kind != Kind.TEXT:
                bad(i, text, "value is empty", "fill in the id")
            out.append(text)
            continue
        if column.kind == Kind.CHOICE:
            if text in column.choices or (not text and not column.required):
                out.append(text)
                continue
            guess = closest(text, column.choices)
            hint = f"did you mean '{guess}'? " if guess else ""
            bad(i, text, "not an allowed value",
                f"{hint}use one of: {', '.join(column.choices)}")
            out.append(text)
            continue
        number = _parse_number(text)
        if number is None:
            bad(i, text, "not a number", "write a plain number such as 120 (no units or text)")
            out.append(math.nan)
            continue
        if math.isnan(number):
            if column.required and column.kind not in (Kind.FRACTION, Kind.SPEED):
                bad(i, text, "value is empty", "fill in a number (0 if there is none)")
            out.append(math.nan)
            continue
        problem = _range_problem(column, number)
        if problem:
            bad(i, text, *problem)
        out.append(number)
    typed = pd.Series(out, index=cells.index, name=column.name)
    if column.kind not in (Kind.ID, Kind.REF, Kind.TEXT, Kind.CHOICE):
        typed = typed.astype(float)
        if column.kind == Kind.COUNT and column.name in (*COUNT_COLUMNS, "pop_2020"):
            typed = typed.fillna(0).round().astype("int64")
    return typed, problems


def _range_problem(column: Column, number: float) -> tuple[str, str] | None:
    if column.kind == Kind.LON and not -180 <= number <= 180:
        return ("longitude out of range", "use WGS84 degrees (e.g. 105.9), not projected metres")
    if column.kind == Kind.LAT and not -90 <= number <= 90:
        return ("latitude out of range", "use WGS84 degrees (e.g. 29.35), not projected metres")
    if column.kind in (Kind.COUNT, Kind.AMOUNT) and number < 0:
        return ("negative value", "counts and populations must be 0 or more")
    if column.kind == Kind.COUNT and number != round(number):
        return ("not a whole number", "write a whole count such as 12")
    if column.kind == Kind.FRACTION and not 0 <= number <= 1:
        return ("not a share between 0 and 1", "write e.g. 0.2029 for 20.29 %")
    if column.kind == Kind.SPEED and number <= 0:
        return ("speed must be above 0", "give the speed in km/h, e.g. 40")
    return None


def check_geometry(frame: gpd.GeoDataFrame, layer: Layer, label: str) -> list[Problem]:
    """Check the CRS and each feature's geometry type and validity."""
    problems = []
    if frame.crs is None:
        problems.append(
            Problem(label, "", "geometry", "", "layer has no coordinate reference system (CRS)",
                    "assign one, e.g. `ogr2ogr -a_srs EPSG:4326 out.gpkg in.gpkg` or in QGIS "
                    "Layer Properties > Source")
        )
    allowed = _GEOM_TYPES[layer.geometry or "point"]
    for i, geom in enumerate(frame.geometry):
        if geom is None or geom.is_empty:
            problems.append(Problem(label, row_label(i, False), "geometry", "",
                                    "feature has no geometry", "draw it or delete the feature"))
        elif geom.geom_type not in allowed:
            problems.append(Problem(label, row_label(i, False), "geometry", geom.geom_type,
                                    f"wrong geometry type for {layer.role}",
                                    f"use {' or '.join(sorted(allowed))}"))
        elif not geom.is_valid:
            problems.append(Problem(label, row_label(i, False), "geometry",
                                    shapely.is_valid_reason(geom), "invalid geometry",
                                    "repair it (QGIS: Fix geometries; shapely.make_valid)"))
    return problems


def check_refs(
    frame: pd.DataFrame, column: str, known: set[str], label: str, csv: bool, target: str
) -> list[Problem]:
    """Report values of ``column`` that name no row of the target layer."""
    problems = []
    for i, value in enumerate(frame[column].astype(str)):
        if value and value not in known:
            guess = closest(value, known)
            hint = f" (did you mean {guess}?)" if guess else ""
            problems.append(Problem(label, row_label(i, csv), column, value,
                                    f"unknown town code: not in {target}",
                                    f"use a code listed in {target}{hint}"))
    return problems


def check_points_inside(
    points: gpd.GeoSeries, area: shapely.Geometry, label: str, csv: bool, area_name: str
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
        problems.append(Problem(label, row_label(int(i), csv), "lon/lat",
                                f"{geom.x:.6f}, {geom.y:.6f}", f"point lies outside {area_name}",
                                "check the coordinates (lon and lat swapped? another CRS?)"))
    return problems
