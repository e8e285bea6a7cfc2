"""Load a dataset (towns, facilities, demand points, boundary, roads) and validate it as a whole."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from optimizer.errors import DataError, Problem
from optimizer.readers import decode_text, read_csv_text, read_vector
from optimizer.schema import LAYERS, Layer
from optimizer.validate import (
    check_columns,
    check_geometry,
    check_points_inside,
    check_refs,
    check_values,
)

__all__ = ["WGS84", "Dataset", "find_layers", "load_dataset", "load_layer"]

WGS84 = "EPSG:4326"
REQUIRED_ROLES = ("towns", "facilities", "demand")


@dataclass(frozen=True)
class Dataset:
    """Validated input layers, all in WGS84, indexed by position but carrying their ids.

    Attributes
    ----------
    towns, facilities, demand : geopandas.GeoDataFrame
        The three required layers (see the README's data schema).
    boundary : geopandas.GeoDataFrame or None
        The district boundary; when absent the union of the towns stands in for it.
    roads : geopandas.GeoDataFrame or None
        Road lines for network travel times.
    files : dict
        Role -> the file each layer came from, as the user named it.
    """

    towns: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    demand: gpd.GeoDataFrame
    boundary: gpd.GeoDataFrame | None = None
    roads: gpd.GeoDataFrame | None = None
    files: dict[str, str] = field(default_factory=dict)

    @property
    def resources(self) -> list[str]:
        """The resource columns of the facilities layer (whole-number columns)."""
        skip = {"lon", "lat"}
        return [
            c for c in self.facilities.columns
            if c not in skip and pd.api.types.is_numeric_dtype(self.facilities[c])
        ]


def role_of(path: Path) -> str | None:
    """Which layer a file holds, by its name (``towns*.geojson`` -> towns)."""
    stem = path.name.lower()
    return next((role for role in LAYERS if stem.startswith(role)), None)


def find_layers(paths: Sequence[Path]) -> tuple[dict[str, Path], list[Problem]]:
    """Map roles to files: a folder is searched for the standard names, files go by their name."""
    found: dict[str, Path] = {}
    problems: list[Problem] = []
    for path in paths:
        if path.is_dir():
            for role, layer in LAYERS.items():
                match = next((path / n for n in layer.file_names if (path / n).exists()), None)
                if match is not None:
                    found.setdefault(role, match)
            continue
        file_role = role_of(path)
        if file_role is None:
            problems.append(Problem(str(path), "", "", "", "cannot tell which layer this file is",
                                    "name it towns.*, facilities.*, demand.*, boundary.* or "
                                    "roads.*"))
        elif not path.exists():
            problems.append(Problem(str(path), "", "", "", "file not found", "check the path"))
        else:
            found[file_role] = path
    where = ", ".join(str(p) for p in paths)
    for role in REQUIRED_ROLES:
        if role not in found:
            names = " or ".join(LAYERS[role].file_names)
            problems.append(Problem(where, "", "", "", f"no {role} layer found",
                                    f"add {names}"))
    return found, problems


def load_layer(path: Path, layer: Layer) -> tuple[gpd.GeoDataFrame | None, list[Problem]]:
    """Read one layer, check its columns and values, and return it in WGS84."""
    label = str(path)
    csv = path.suffix.lower() == ".csv"
    if csv:
        text, problems = decode_text(path, label)
        if text is None:
            return None, problems
        raw, problems = read_csv_text(text, label)
        if raw is None:
            return None, problems
        geometry = None
    else:
        vector, problems = read_vector(path, label, layer.role)
        if vector is None:
            return None, problems
        problems = check_geometry(vector, layer, label)
        geometry = vector.geometry
        raw = pd.DataFrame(vector.drop(columns=vector.geometry.name))
    problems += check_columns(raw, layer, label, csv)
    typed, found = check_values(raw, layer, label, csv)
    problems += found
    if csv and layer.point_columns:
        lon, lat = layer.point_columns
        if lon in typed and lat in typed:
            geometry = gpd.GeoSeries(gpd.points_from_xy(typed[lon], typed[lat]), crs=WGS84)
    if geometry is None:
        return None, problems
    frame = gpd.GeoDataFrame(typed, geometry=geometry.values, crs=geometry.crs)
    if frame.crs is not None and not frame.crs.equals(WGS84):
        frame = frame.to_crs(WGS84)
    if not csv and layer.point_columns and frame.crs is not None:
        frame[layer.point_columns[0]] = frame.geometry.x
        frame[layer.point_columns[1]] = frame.geometry.y
    return frame, problems


def load_dataset(paths: Sequence[Path | str]) -> Dataset:
    """Load and validate the layers named by ``paths`` (folders or files).

    Raises
    ------
    DataError
        Listing every problem found in every file, each with file, row, column, value and fix.
    """
    files, problems = find_layers([Path(p) for p in paths])
    frames: dict[str, gpd.GeoDataFrame] = {}
    for role, path in sorted(files.items()):
        frame, found = load_layer(path, LAYERS[role])
        problems += found
        if frame is not None:
            frames[role] = frame
    problems += _cross_checks(frames, files)
    if problems:
        raise DataError(sorted(problems, key=_reading_order))
    return Dataset(
        towns=frames["towns"],
        facilities=frames["facilities"],
        demand=frames["demand"],
        boundary=frames.get("boundary"),
        roads=frames.get("roads"),
        files={role: str(path) for role, path in files.items()},
    )


def _reading_order(problem: Problem) -> tuple[str, int, str]:
    """Sort problems by file, then row number as a person reads them, then column."""
    number = problem.row.rsplit(" ", 1)[-1]
    return problem.file, int(number) if number.isdigit() else 0, problem.column


def _cross_checks(frames: dict[str, gpd.GeoDataFrame], files: dict[str, Path]) -> list[Problem]:
    problems: list[Problem] = []
    towns = frames.get("towns")
    if towns is None or "code" not in towns:
        return problems
    codes = set(towns["code"].astype(str))
    towns_file = files["towns"].name
    if "boundary" in frames:
        area = frames["boundary"].geometry.union_all()
        area_name = f"the district boundary ({files['boundary'].name})"
    else:
        area = towns.geometry.union_all()
        area_name = f"the union of the towns ({towns_file})"
    for role in ("facilities", "demand"):
        frame = frames.get(role)
        if frame is None:
            continue
        csv = files[role].suffix.lower() == ".csv"
        label = str(files[role])
        if "town_code" in frame:
            problems += check_refs(frame, "town_code", codes, label, csv, towns_file)
        valid = frame.geometry.notna() & frame.geometry.is_valid
        problems += check_points_inside(frame.geometry.where(valid), area, label, csv, area_name)
    return problems
