"""Load a dataset (towns, facilities, demand points, boundary, roads) and validate it as a whole."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from optimizer.dataset.crosscheck import (
    POPULATION_LIMIT,
    POPULATION_TOLERANCE,
    LoadedLayer,
    cross_check,
)
from optimizer.dataset.geometry import check_geometry, repair_polygons
from optimizer.dataset.readers import RawTable, decode_text, read_csv_text, read_vector
from optimizer.dataset.schema import LAYERS, WORKLOAD_COLUMNS, Layer
from optimizer.dataset.sheets import SHEET_SUFFIXES, list_sheets, read_sheet
from optimizer.dataset.validate import check_columns, check_values
from optimizer.errors import DataError, MedallocWarning, Problem

__all__ = ["WGS84", "Dataset", "LayerFile", "find_layers", "load_dataset", "load_layer"]

WGS84 = "EPSG:4326"
REQUIRED_ROLES = ("towns", "facilities", "demand")
# Spreadsheet formats a planner may hand over that are not read (old Excel, LibreOffice, Numbers).
_UNREAD_TABLES = (".xls", ".ods", ".numbers")


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
        Role -> the file each layer came from, as the user named it (a workbook may hold
        several layers, one sheet each).
    notes : tuple of Problem
        What the loader worked around or found worth a look without refusing the data (a
        semicolon delimiter, decimal commas, a repaired polygon, populations a little apart);
        also issued as one ``MedallocWarning``.
    """

    towns: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    demand: gpd.GeoDataFrame
    boundary: gpd.GeoDataFrame | None = None
    roads: gpd.GeoDataFrame | None = None
    files: dict[str, str] = field(default_factory=dict)
    notes: tuple[Problem, ...] = ()

    @property
    def resources(self) -> list[str]:
        """The resource columns of the facilities layer (whole-number columns)."""
        skip = {"lon", "lat", *WORKLOAD_COLUMNS}
        return [
            c for c in self.facilities.columns
            if c not in skip and pd.api.types.is_numeric_dtype(self.facilities[c])
        ]


@dataclass(frozen=True)
class LayerFile:
    """Where one layer is read from: a file and, for a workbook, its sheet."""

    path: Path
    sheet: str | None = None

    @property
    def label(self) -> str:
        """The file as the user named it, with the sheet of a workbook."""
        return f"{self.path}, sheet '{self.sheet}'" if self.sheet is not None else str(self.path)

    @property
    def name(self) -> str:
        """The file's own name (and sheet), for messages that refer to it from other files."""
        return f"{self.path.name}, sheet '{self.sheet}'" if self.sheet is not None else (
            self.path.name)

    @property
    def kind(self) -> str:
        """``"csv"``, ``"sheet"`` or ``"vector"``."""
        suffix = self.path.suffix.lower()
        return "csv" if suffix == ".csv" else "sheet" if suffix in SHEET_SUFFIXES else "vector"


def role_of(path: Path) -> str | None:
    """Which layer a file holds, by its name (``towns*.geojson`` -> towns)."""
    stem = path.name.lower()
    return next((role for role in LAYERS if stem.startswith(role)), None)


def _sheet_role(sheet: str) -> str | None:
    """The layer a workbook sheet is named after (``Facilities`` -> facilities).

    Only the point layers can come from a sheet; a ``towns`` sheet in a registry is left alone
    (the towns' polygons and attributes come from ``towns.geojson``), so a workbook that keeps
    the town list beside the facilities still works.
    """
    name = sheet.strip().lower()
    return name if name in LAYERS else None


def _layer_workbook(path: Path, role: str) -> tuple[LayerFile | None, list[Problem]]:
    """A workbook named after a layer: its sheet named like the layer, else its first sheet."""
    sheets, problems = list_sheets(path, str(path))
    if not sheets:
        return None, problems
    sheet = next((s for s in sheets if _sheet_role(s) == role), sheets[0])
    return LayerFile(path, sheet), []


def _registry(path: Path, explicit: bool) -> tuple[list[tuple[str, LayerFile]], list[Problem]]:
    """The sheets of a workbook named after no layer (``registry.xlsx``) that hold layers."""
    sheets, problems = list_sheets(path, str(path))
    if problems:
        return [], problems
    found = [(role, LayerFile(path, s)) for s in sheets
             if (role := _sheet_role(s)) is not None and LAYERS[role].tabular]
    if not found and explicit:
        problems.append(Problem(str(path), "", "", ", ".join(sheets),
                                "no sheet named after a layer",
                                "name the sheets 'facilities' and 'demand' (or name the file "
                                "facilities.xlsx or demand.xlsx)"))
    return found, problems


def _scan_folder(folder: Path) -> tuple[list[tuple[str, LayerFile]], list[Problem]]:
    """Every layer file in a folder: the standard names, and layer sheets of other workbooks."""
    found: list[tuple[str, LayerFile]] = []
    problems: list[Problem] = []
    for role, layer in LAYERS.items():
        for name in layer.file_names:
            path = folder / name
            if not path.is_file():
                continue
            if path.suffix.lower() in SHEET_SUFFIXES:
                source, trouble = _layer_workbook(path, role)
                problems += trouble
                if source is not None:
                    found.append((role, source))
            else:
                found.append((role, LayerFile(path)))
    for path in sorted(folder.iterdir()):
        # Excel keeps a "~$name.xlsx" lock file beside an open workbook.
        if (path.suffix.lower() in SHEET_SUFFIXES and role_of(path) is None
                and not path.name.startswith("~$")):
            sheets, trouble = _registry(path, explicit=False)
            found += sheets
            problems += trouble
    return found, problems


def _path_layers(path: Path) -> tuple[list[tuple[str, LayerFile]], list[Problem], set[str]]:
    """The layers one path given by the user holds, its problems, and the roles it excuses.

    A role is excused from "no such layer found" when the path meant to hold it is missing or
    unreadable (that problem is already reported).
    """
    if path.is_dir():
        found, problems = _scan_folder(path)
        return found, problems, set()
    role = role_of(path)
    if not path.exists():
        if role is None and not path.suffix:
            return [], [Problem(str(path), "", "", "", "folder not found",
                                "check the path (it is read relative to the current folder, "
                                "or give it in full)")], set(LAYERS)
        return [], [Problem(str(path), "", "", "", "file not found", "check the path")], (
            {role} if role else set(LAYERS))
    workbook = path.suffix.lower() in SHEET_SUFFIXES
    if role is None and workbook:
        found, problems = _registry(path, explicit=True)
        return found, problems, set(LAYERS) if problems else set()
    if role is None:
        return [], [Problem(str(path), "", "", "", "cannot tell which layer this file is",
                            "name it towns.*, facilities.*, demand.*, boundary.* or roads.*, "
                            "or give a workbook with sheets named after layers")], set()
    if workbook:
        source, problems = _layer_workbook(path, role)
        return ([(role, source)] if source else []), problems, set() if source else {role}
    return [(role, LayerFile(path))], [], set()


def find_layers(
    paths: Sequence[Path],
) -> tuple[dict[str, LayerFile], list[Problem]]:
    """Map roles to files: a folder is searched for the standard names, files go by their name.

    A workbook named after no layer contributes its sheets named after layers. Two sources for
    one layer are a problem (medalloc will not guess which one is current), as is a missing
    required layer, unless the folder or file that should hold it was not found at all.
    """
    candidates: list[tuple[str, LayerFile]] = []
    problems: list[Problem] = []
    excused: set[str] = set()
    for path in paths:
        found, trouble, excuses = _path_layers(path)
        candidates += found
        problems += trouble
        excused |= excuses
    chosen: dict[str, LayerFile] = {}
    for role in LAYERS:
        sources = list(dict.fromkeys(s for r, s in candidates if r == role))
        if len(sources) == 1:
            chosen[role] = sources[0]
        elif len(sources) > 1:
            named = " and ".join(s.label for s in sources)
            problems.append(Problem(
                sources[0].label, "", "", "", f"{len(sources)} files hold the {role} layer: "
                f"{named}", "keep one of them and move or rename the others (medalloc will not "
                "guess which one is current)"))
            excused.add(role)
    where = ", ".join(str(p) for p in paths)
    for role in REQUIRED_ROLES:
        if role not in chosen and role not in excused:
            names = ", ".join(LAYERS[role].file_names)
            sheet = f", or a sheet named '{role}' in a workbook" if LAYERS[role].tabular else ""
            problems.append(Problem(where, "", "", "", f"no {role} layer found",
                                    f"add {names}{sheet}"))
    return chosen, problems


def _read_table(source: LayerFile) -> tuple[RawTable | None, list[Problem]]:
    """A CSV file or a workbook sheet as text cells."""
    if source.sheet is not None:
        return read_sheet(source.path, source.sheet, source.label)
    text, problems = decode_text(source.path, source.label)
    if text is None:
        return None, problems
    return read_csv_text(text, source.label)


def load_layer(
    source: LayerFile, layer: Layer, *, repair_geometry: bool = False
) -> tuple[LoadedLayer | None, list[Problem], list[Problem]]:
    """Read one layer, check its columns and values, and return it in WGS84.

    Returns the layer (None when it cannot be read), its problems and its notes.
    """
    label = source.label
    notes: list[Problem] = []
    decimal_comma = False
    if source.path.suffix.lower() in _UNREAD_TABLES:
        return None, [Problem(label, "", "", "", f"{source.path.suffix} files are not read",
                              "save it as an Excel Workbook (.xlsx) or as 'CSV UTF-8'")], notes
    if source.kind == "vector":
        vector, problems = read_vector(source.path, label, layer.role)
        if vector is None:
            return None, problems, notes
        if repair_geometry:
            vector, notes = repair_polygons(vector, layer, label)
        problems = check_geometry(vector, layer, label)
        geometry: gpd.GeoSeries | None = vector.geometry
        raw = pd.DataFrame(vector.drop(columns=vector.geometry.name))
        rows = tuple(f"feature {i + 1}" for i in range(len(raw)))
        header = ""
    elif not layer.tabular:
        kinds = {"polygon": "polygons", "line": "lines"}.get(layer.geometry or "", "geometry")
        return None, [Problem(label, "", "", "", f"the {layer.role} layer needs {kinds}, which "
                              "a table cannot hold", f"use {' or '.join(layer.file_names)}")], notes
    else:
        table, problems = _read_table(source)
        if table is None:
            return None, problems, notes
        raw, rows, header = table.frame, table.rows, table.header
        decimal_comma = table.decimal_comma
        notes = list(table.notes)
        geometry = None
    problems += check_columns(raw, layer, label, header, tabular=source.kind != "vector")
    typed, found = check_values(raw, layer, label, rows, decimal_comma)
    problems += found
    if source.kind != "vector" and layer.point_columns:
        lon, lat = layer.point_columns
        if lon in typed and lat in typed:
            geometry = gpd.GeoSeries(gpd.points_from_xy(typed[lon], typed[lat]), crs=WGS84)
    if geometry is None:
        return None, problems, notes
    frame = gpd.GeoDataFrame(typed, geometry=geometry.values, crs=geometry.crs)
    if frame.crs is not None and not frame.crs.equals(WGS84):
        frame = frame.to_crs(WGS84)
    if source.kind == "vector" and layer.point_columns and frame.crs is not None:
        frame[layer.point_columns[0]] = frame.geometry.x
        frame[layer.point_columns[1]] = frame.geometry.y
    return LoadedLayer(frame, label, source.name, rows), problems, notes


def load_dataset(
    paths: Sequence[Path | str],
    *,
    repair_geometry: bool = False,
    population_tolerance: float = POPULATION_TOLERANCE,
    population_limit: float = POPULATION_LIMIT,
) -> Dataset:
    """Load and validate the layers named by ``paths`` (folders, files or workbooks).

    Parameters
    ----------
    paths : sequence of path
        Dataset folders, or files named ``towns.*``, ``facilities.*``, ``demand.*``,
        ``boundary.*``, ``roads.*``, or workbooks with sheets named after layers.
    repair_geometry : bool
        Repair invalid polygons with ``shapely.make_valid`` (each repair is noted) instead of
        reporting them as problems.
    population_tolerance, population_limit : float
        How far the sum of a town's demand points may stray from its ``pop_2020``, as a share
        of it: beyond the tolerance (default 5 %) it is noted, beyond the limit (default 50 %)
        it is an error.

    Raises
    ------
    DataError
        Listing every problem found in every file, each with file, row, column, value and fix.

    Warns
    -----
    MedallocWarning
        Once, listing the notes (also kept in ``Dataset.notes``).
    """
    files, problems = find_layers([Path(p) for p in paths])
    layers: dict[str, LoadedLayer] = {}
    notes: list[Problem] = []
    for role, source in sorted(files.items()):
        loaded, found, noted = load_layer(source, LAYERS[role], repair_geometry=repair_geometry)
        problems += found
        notes += noted
        if loaded is not None:
            layers[role] = loaded
    # A rejected population or town code already has its problem; a sum over it would repeat it.
    counted = {("towns", "pop_2020"), ("towns", "code"), ("demand", "population"),
               ("demand", "town_code")}
    labels = {files[role].label: role for role in files}
    populations = not any((labels.get(p.file), p.column) in counted for p in problems)
    found, noted = cross_check(layers, tolerance=population_tolerance, limit=population_limit,
                               populations=populations)
    problems += found
    notes += noted
    notes.sort(key=_reading_order)
    if notes:
        count = len(notes)
        lines = [f"{count} note{'s' if count != 1 else ''} on the input data:"]
        warnings.warn("\n".join(lines + [f"  - {note}" for note in notes]), MedallocWarning,
                      stacklevel=2)
    if problems:
        raise DataError(sorted(problems, key=_reading_order))
    return Dataset(
        towns=layers["towns"].frame,
        facilities=layers["facilities"].frame,
        demand=layers["demand"].frame,
        boundary=layers["boundary"].frame if "boundary" in layers else None,
        roads=layers["roads"].frame if "roads" in layers else None,
        files={role: str(source.path) for role, source in files.items()},
        notes=tuple(notes),
    )


def _reading_order(problem: Problem) -> tuple[str, int, str]:
    """Sort problems by file, then row number as a person reads them, then column."""
    number = problem.row.rsplit(" ", 1)[-1]
    return problem.file, int(number) if number.isdigit() else 0, problem.column
