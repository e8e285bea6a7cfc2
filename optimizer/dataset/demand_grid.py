"""Demand points from a population grid (WorldPop, GHS-POP GeoTIFF): cells inside towns.

Each raster cell whose centre lies inside a town becomes population of that town; nodata, zero
and negative cells are dropped. With ``aggregate = N`` the cells of each N x N block of the
raster are summed per town into one point at their population-weighted centre (a block split by
a town border gives one point per town, so no point mixes towns). When the towns layer gives a
population total (``pop_2020`` by default) the points of each town are rescaled to it, so the
grid supplies where people live and the towns' statistics how many; the factor is recorded in
``population_method``.

The points have the columns of ``data/demand.csv``: ``demand_id`` (``<town code>-g<block
row>-<block col>``, stable for a raster and block size), ``name_zh`` (empty), ``kind``
(``grid``), ``town_code``, ``population``, ``lon``, ``lat`` (WGS84) and the provenance columns
``source``, ``population_method``, ``position_method``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

from optimizer.dataset.readers import read_vector
from optimizer.errors import DataError, MedallocWarning, Problem, UsageError
from optimizer.optional import optional_module
from optimizer.results.files import csv_bytes
from optimizer.results.records import write_atomically

__all__ = ["DEMAND_COLUMNS", "GridDemand", "raster_demand", "write_demand"]

DEMAND_COLUMNS = ("demand_id", "name_zh", "kind", "town_code", "population", "lon", "lat",
                  "source", "population_method", "position_method")
_WGS84 = "EPSG:4326"


@dataclass(frozen=True)
class GridDemand:
    """Demand points made from a raster, and how they were made.

    Attributes
    ----------
    points : pandas.DataFrame
        One row per point, columns :data:`DEMAND_COLUMNS`, sorted by ``demand_id``.
    cells : int
        Raster cells with population inside a town.
    raster_population : float
        Their population as the raster gives it (before rescaling).
    scale : dict of str to float
        Rescaling factor per town code (1.0 where the town has no total).
    empty_towns : tuple of str
        Town codes no populated cell centre falls in (they get no point).
    """

    points: pd.DataFrame
    cells: int
    raster_population: float
    scale: dict[str, float]
    empty_towns: tuple[str, ...]


def _read_towns(towns: Path, population_column: str | None) -> gpd.GeoDataFrame:
    frame, problems = read_vector(towns, str(towns), "towns")
    if frame is None:
        raise DataError(problems)
    if frame.crs is None:
        raise DataError([Problem(str(towns), "", "geometry", "", "the towns layer has no CRS",
                                 "save it with its CRS (GeoJSON is WGS84 by definition)")])
    missing = [c for c in ("code", population_column) if c and c not in frame.columns]
    if missing:
        raise DataError([Problem(str(towns), "", c, "", "the column is missing",
                                 "give each town its 9-digit 'code'" if c == "code" else
                                 "name an existing population column with --population-column "
                                 "or pass --no-rescale")
                         for c in missing])
    bad = ~frame.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    if bad.any():
        raise DataError([Problem(str(towns), f"feature {pos + 1}", "geometry",
                                 str(frame.geometry.iloc[pos])[:40], "a polygon is required",
                                 "give every town its polygon")
                         for pos in np.flatnonzero(bad)[:20]])
    frame = frame.assign(code=frame["code"].astype(str))
    return frame


@dataclass(frozen=True)
class _Cells:
    """The populated cells of the raster window over the towns."""

    rows: np.ndarray  # absolute raster rows
    cols: np.ndarray
    population: np.ndarray
    x: np.ndarray  # cell centres in the raster's CRS
    y: np.ndarray
    crs: pyproj.CRS


def _read_cells(raster: Path, frame: gpd.GeoDataFrame) -> _Cells:
    """Populated cells (finite, > 0, not nodata) of the window covering the towns."""
    rasterio = optional_module("rasterio", "read population rasters")
    windows = optional_module("rasterio.windows", "read population rasters")
    if not raster.exists():
        raise DataError([Problem(str(raster), "", "", "", "file not found",
                                 "download the GeoTIFF (WorldPop or GHS-POP) and give its path")])
    try:
        dataset = rasterio.open(raster)
    except rasterio.errors.RasterioIOError as error:
        raise DataError([Problem(str(raster), "", "", "", f"not readable as a raster ({error})",
                                 "give a GeoTIFF, e.g. WorldPop's chn_ppp_2020_UNadj.tif")]) \
            from None
    with dataset:
        if dataset.crs is None:
            raise DataError([Problem(str(raster), "", "crs", "", "the raster has no CRS",
                                     "assign it (QGIS: Raster > Projections > Assign "
                                     "Projection; WorldPop and GHS-POP files carry it as "
                                     "downloaded: download again)")])
        crs = pyproj.CRS.from_user_input(dataset.crs.to_wkt())
        west, south, east, north = frame.to_crs(crs).total_bounds
        t = dataset.transform
        # Cell (col, row) of the towns' corners, by the inverse of the affine transform.
        inverse = np.linalg.inv(np.array([[t.a, t.b], [t.d, t.e]]))
        corners = np.array([[west, south], [west, north], [east, south], [east, north]])
        col_row = (corners - np.array([t.c, t.f])) @ inverse.T
        col0 = max(int(np.floor(col_row[:, 0].min())), 0)
        row0 = max(int(np.floor(col_row[:, 1].min())), 0)
        col1 = min(int(np.ceil(col_row[:, 0].max())), dataset.width)
        row1 = min(int(np.ceil(col_row[:, 1].max())), dataset.height)
        if col1 <= col0 or row1 <= row0:
            wb = frame.to_crs(_WGS84).total_bounds
            raise DataError([Problem(str(raster), "", "", f"raster bounds {tuple(dataset.bounds)}",
                                     f"the raster does not cover the towns (lon {wb[0]:.3f}.."
                                     f"{wb[2]:.3f}, lat {wb[1]:.3f}..{wb[3]:.3f})",
                                     "download the tile or country file that covers them")])
        window = windows.Window(col0, row0, col1 - col0, row1 - row0)
        values = dataset.read(1, window=window, masked=True).astype(np.float64)
    data = np.ma.filled(values, np.nan)
    rows, cols = np.nonzero(np.isfinite(data) & (data > 0))
    rows, cols = rows + row0, cols + col0
    xs = t.c + t.a * (cols + 0.5) + t.b * (rows + 0.5)
    ys = t.f + t.d * (cols + 0.5) + t.e * (rows + 0.5)
    return _Cells(rows=rows, cols=cols, population=data[rows - row0, cols - col0],
                  x=np.asarray(xs, dtype=np.float64), y=np.asarray(ys, dtype=np.float64),
                  crs=crs)


def raster_demand(raster: Path, towns: Path, *, aggregate: int = 1,
                  population_column: str | None = "pop_2020") -> GridDemand:
    """Turn a population raster into demand points inside the towns.

    Parameters
    ----------
    raster : Path
        A single-band GeoTIFF of residents per cell with a CRS (WorldPop, GHS-POP).
    towns : Path
        The towns layer (``towns.geojson``): polygons with ``code`` and, for rescaling,
        ``population_column``.
    aggregate : int
        Sum N x N blocks of cells into one point per town and block.
    population_column : str or None
        Town totals to rescale to; None keeps the raster's values.

    Returns
    -------
    GridDemand
        The points and the counts behind them.

    Raises
    ------
    DataError
        A missing or unreadable file, a raster without CRS, towns without CRS or code, or a
        raster that does not cover the towns.
    """
    if aggregate < 1:
        raise UsageError(f"--aggregate must be a whole number >= 1 (got {aggregate})")
    if not raster.exists():
        raise DataError([Problem(str(raster), "", "", "", "file not found",
                                 "download the GeoTIFF (WorldPop or GHS-POP) and give its path")])
    frame = _read_towns(towns, population_column)
    cells_in = _read_cells(raster, frame)
    crs, population, xs, ys = cells_in.crs, cells_in.population, cells_in.x, cells_in.y
    local = frame.to_crs(crs)
    centres = gpd.GeoSeries(gpd.points_from_xy(xs, ys), crs=crs)
    cell_pos, town_pos = local.sindex.query(centres, predicate="within")
    # A centre exactly on a shared border falls in two towns: it goes to the first.
    first = np.unique(cell_pos, return_index=True)[1]
    cell_pos, town_pos = cell_pos[first], town_pos[first]
    codes = frame["code"].to_numpy()[town_pos]
    cells = pd.DataFrame({
        "town_code": codes,
        "block_row": cells_in.rows[cell_pos] // aggregate,
        "block_col": cells_in.cols[cell_pos] // aggregate,
        "population": population[cell_pos],
        "wx": xs[cell_pos] * population[cell_pos],
        "wy": ys[cell_pos] * population[cell_pos],
    })
    blocks = cells.groupby(["town_code", "block_row", "block_col"], as_index=False).sum()
    x = blocks["wx"] / blocks["population"]
    y = blocks["wy"] / blocks["population"]
    lon, lat = pyproj.Transformer.from_crs(crs, _WGS84, always_xy=True).transform(
        x.to_numpy(), y.to_numpy())
    raw_by_town = blocks.groupby("town_code")["population"].sum()
    scale = dict.fromkeys(sorted(map(str, raw_by_town.index)), 1.0)
    totals: dict[str, float] = {}
    if population_column is not None:
        known = pd.to_numeric(frame[population_column], errors="coerce")
        totals = {c: float(t) for c, t in zip(frame["code"], known, strict=True)
                  if np.isfinite(t) and t > 0}
        scale.update({c: totals[c] / float(raw_by_town[c]) for c in scale if c in totals})
    factor = blocks["town_code"].map(scale).to_numpy(dtype=np.float64)
    empty = tuple(sorted(set(frame["code"]) - set(raw_by_town.index)))
    if empty:
        warnings.warn(f"{len(empty)} town(s) have no populated raster cell centre inside them "
                      f"and get no demand point: {', '.join(empty[:10])}; use a finer raster "
                      "or check that the towns and the raster overlap", MedallocWarning,
                      stacklevel=2)
    size = f"{aggregate} x {aggregate} cells" if aggregate > 1 else "one cell"
    method = np.where(
        blocks["town_code"].isin(list(totals)),
        [f"ESTIMATED: raster cells summed over {size} per town, rescaled to the town's "
         f"{population_column} (factor {scale[c]:.4f})" for c in blocks["town_code"]],
        f"ESTIMATED: raster cells summed over {size} per town (not rescaled)",
    )
    points = pd.DataFrame({
        "demand_id": [f"{c}-g{r}-{k}" for c, r, k in
                      zip(blocks["town_code"], blocks["block_row"], blocks["block_col"],
                          strict=True)],
        "name_zh": "",
        "kind": "grid",
        "town_code": blocks["town_code"].to_numpy(),
        "population": np.round(blocks["population"].to_numpy() * factor, 3),
        "lon": np.round(lon, 6),
        "lat": np.round(lat, 6),
        "source": f"sourced: population raster {raster.name}",
        "population_method": method,
        "position_method": f"ESTIMATED: population-weighted centre of {size} of the raster "
                           "whose centres lie in the town",
    }).sort_values("demand_id", kind="stable").reset_index(drop=True)
    return GridDemand(points=points.loc[:, list(DEMAND_COLUMNS)], cells=len(cells),
                      raster_population=float(cells["population"].sum()),
                      scale=scale, empty_towns=empty)


def write_demand(points: pd.DataFrame, out: Path, *, inputs: tuple[Path, ...] = (),
                 overwrite: bool = False) -> Path:
    """Write the points as an Excel-friendly CSV, atomically.

    An input is never overwritten, and an existing file only with ``overwrite``.
    """
    if out.suffix.lower() != ".csv":
        raise UsageError(f"--out {out} must end in .csv (the dataset reads demand.csv)")
    if any(out.resolve() == p.resolve() for p in inputs):
        raise UsageError(f"--out {out} is one of the inputs; give a new file, e.g. "
                         "data/demand.csv after moving the old one away")
    if out.exists() and not overwrite:
        raise UsageError(f"--out {out} exists; medalloc will not replace it unless asked: "
                         "pass --overwrite, or give another --out")
    write_atomically(out, csv_bytes(points, float_format="%.6f"))
    return out
