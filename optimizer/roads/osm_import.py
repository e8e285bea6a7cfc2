"""Import roads from an OpenStreetMap extract or a QGIS export into medalloc's ``roads.gpkg``.

The output has one LineString per row in WGS84 (EPSG:4326) with the columns the travel engine
reads (see the README's "Bring your own data"):

==========  ========  ==============================================================
column      type      meaning
==========  ========  ==============================================================
osm_id      integer   the OSM way id (empty when the source had none)
highway     text      the OSM ``highway`` value as tagged (``primary_link``)
road_class  text      its class in the speed table (``primary``), see
                      :func:`optimizer.roads.tags.road_class`
oneway      integer   1 one-way along the line, -1 against it, 0 both ways
maxspeed    real      posted limit in km/h, empty when unknown
name        text      the road's name, may be empty
==========  ========  ==============================================================

Extracts (``.osm.pbf``, ``.osm``) are read with pyosmium; GeoPackages, Shapefiles and GeoJSON
exported from QGIS with pyogrio, taking the tags from ``highway`` (or Geofabrik's ``fclass``),
``oneway``, ``junction``, ``maxspeed`` columns and GDAL's ``other_tags``. Lines are clipped to
the boundary grown by a margin, so trips that leave the county briefly keep their roads. The
file is written beside its target and renamed over it, and carries the OSM attribution in its
metadata and in an ``OSM-ATTRIBUTION.txt`` beside it.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from optimizer.errors import DataError, Problem, UsageError
from optimizer.optional import optional_module
from optimizer.roads import OSM_ATTRIBUTION, OSM_LICENCE_URL
from optimizer.roads.tags import hstore_tags, oneway_direction, parse_maxspeed_kmh, road_class

__all__ = ["ATTRIBUTION_FILE", "ImportResult", "import_roads", "read_osm", "read_road_layer"]

ATTRIBUTION_FILE = "OSM-ATTRIBUTION.txt"
_WGS84 = "EPSG:4326"
_OSM_SUFFIXES = (".pbf", ".osm", ".osm.bz2", ".osm.gz", ".o5m")
_LAYER_SUFFIXES = (".gpkg", ".shp", ".geojson", ".json")
_WANTED_TAGS = ("highway", "name", "oneway", "junction", "maxspeed", "maxspeed:forward",
                "maxspeed:backward", "area")
_WRITER_KEY = "MEDALLOC_WRITER"
_WRITER = "medalloc roads import"


@dataclass(frozen=True)
class ImportResult:
    """What ``roads import`` wrote.

    Attributes
    ----------
    out : Path
        The GeoPackage written.
    lines : int
        Line features written.
    length_km : dict of str to float
        Road length per road class, in km, sorted by class.
    oneway_lines : int
        Lines that are one-way for motor traffic.
    maxspeed_lines : int
        Lines with a known maxspeed.
    dropped : dict of str to int
        Ways not imported, by ``highway`` value (construction, proposed, platforms, areas...).
    margin_km : float
        Margin around the boundary.
    attribution : str or None
        The OSM attribution when the source is OpenStreetMap data.
    """

    out: Path
    lines: int
    length_km: dict[str, float]
    oneway_lines: int
    maxspeed_lines: int
    dropped: dict[str, int]
    margin_km: float
    attribution: str | None

    def to_json(self) -> dict[str, Any]:
        """The result as plain JSON values."""
        return {
            "out": str(self.out), "lines": self.lines, "length_km": self.length_km,
            "oneway_lines": self.oneway_lines, "maxspeed_lines": self.maxspeed_lines,
            "dropped": self.dropped, "margin_km": self.margin_km,
            "attribution": self.attribution,
        }


def _is_osm(path: Path) -> bool:
    return path.name.lower().endswith(_OSM_SUFFIXES)


def read_osm(path: Path, bbox: tuple[float, float, float, float] | None = None) -> pd.DataFrame:
    """Read the ways tagged ``highway`` of an OSM file as tag columns and WGS84 lines.

    Parameters
    ----------
    path : Path
        ``.osm.pbf``, ``.osm`` (optionally compressed) or ``.o5m``.
    bbox : tuple of float, optional
        (west, south, east, north) in degrees: ways wholly outside are skipped as read.

    Returns
    -------
    pandas.DataFrame
        ``osm_id``, the tags of ``_WANTED_TAGS`` (None when absent) and ``geometry`` (shapely
        LineStrings), in file order.
    """
    osmium = optional_module("osmium", "read OSM extracts")

    rows: list[dict[str, Any]] = []
    processor = (osmium.FileProcessor(str(path)).with_locations()
                 .with_filter(osmium.filter.KeyFilter("highway"))
                 .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY)))
    try:
        for way in processor:
            coords = [(n.lon, n.lat) for n in way.nodes if n.location.valid()]
            if len(coords) < 2:
                continue  # the extract cut the way's nodes away
            xy = np.asarray(coords)
            if bbox is not None and (xy[:, 0].max() < bbox[0] or xy[:, 0].min() > bbox[2]
                                     or xy[:, 1].max() < bbox[1] or xy[:, 1].min() > bbox[3]):
                continue
            row: dict[str, Any] = {"osm_id": way.id}
            row.update({key: way.tags.get(key) for key in _WANTED_TAGS})
            row["geometry"] = shapely.linestrings(xy)
            rows.append(row)
    except RuntimeError as error:
        raise DataError([Problem(str(path), "", "", "", f"not readable as an OSM extract "
                                 f"({error})", "download the .osm.pbf again (an interrupted "
                                 "download is truncated) or export the roads from QGIS")]) from None
    return pd.DataFrame(rows, columns=["osm_id", *_WANTED_TAGS, "geometry"])


def _choose_layer(path: Path) -> str | None:
    layers = [(str(name), str(kind)) for name, kind in pyogrio.list_layers(path)]
    for preferred in ("lines", "roads"):
        if any(name == preferred for name, _ in layers):
            return preferred
    lines = [name for name, kind in layers if "LineString" in kind]
    return lines[0] if lines else (layers[0][0] if layers else None)


def read_road_layer(path: Path) -> pd.DataFrame:
    """Read a road layer exported from QGIS (GeoPackage, Shapefile, GeoJSON) as tag columns.

    Tags come from the ``highway`` column (or ``fclass`` in Geofabrik's shapefiles), ``oneway``,
    ``junction``, ``maxspeed`` and ``name`` columns, and from GDAL's ``other_tags`` (hstore text)
    when the layer was converted from an OSM file by GDAL or QGIS.

    Returns
    -------
    pandas.DataFrame
        As :func:`read_osm`, with geometries in WGS84.
    """
    try:
        layer = _choose_layer(path)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            frame = gpd.read_file(path, layer=layer, engine="pyogrio")
    except Exception as error:  # GDAL raises many kinds; all mean the file cannot be read
        raise DataError([Problem(str(path), "", "", "", f"not readable as a vector layer "
                                 f"({error})", "export the roads again as GeoPackage from "
                                 "QGIS")]) from None
    if frame.crs is None:
        raise DataError([Problem(str(path), "", "geometry", "", "the layer has no CRS",
                                 "save it with its CRS (QGIS: Export > Save Features As, "
                                 "with the layer's CRS)")])
    columns = {str(c).lower(): c for c in frame.columns}
    highway = columns.get("highway", columns.get("fclass"))
    if highway is None and "other_tags" not in columns:
        raise DataError([Problem(str(path), "", "highway", "", "the layer has no 'highway' "
                                 f"column (columns: {', '.join(map(str, frame.columns))})",
                                 "export the OSM roads with their 'highway' tag (Geofabrik's "
                                 "shapefiles call it 'fclass')")])
    extra = [hstore_tags(t) if isinstance(t, str) else {}
             for t in (frame[columns["other_tags"]] if "other_tags" in columns
                       else [None] * len(frame))]
    rows: dict[str, list[Any]] = {}
    for key in _WANTED_TAGS:
        source = highway if key == "highway" else columns.get(key)
        own = frame[source].tolist() if source is not None else [None] * len(frame)
        rows[key] = [_text(v) if _text(v) is not None else e.get(key)
                     for v, e in zip(own, extra, strict=True)]
    osm_id = frame[columns["osm_id"]] if "osm_id" in columns else pd.Series([None] * len(frame))
    out = pd.DataFrame({"osm_id": pd.to_numeric(osm_id, errors="coerce").to_numpy(), **rows})
    out["geometry"] = frame.geometry.to_crs(_WGS84).to_numpy()
    return out


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return None
    text = str(value).strip()
    return text or None


def _area(boundary: Path, margin_km: float) -> shapely.Geometry:
    """The boundary grown by ``margin_km``, in WGS84."""
    if not boundary.exists():
        raise DataError([Problem(str(boundary), "", "", "", "file not found",
                                 "give the county boundary (e.g. data/boundary.geojson)")])
    try:
        frame = gpd.read_file(boundary, engine="pyogrio")
    except Exception as error:  # GDAL raises many kinds; all mean the file cannot be read
        raise DataError([Problem(str(boundary), "", "", "", f"not readable as a vector layer "
                                 f"({error})", "give a GeoJSON or GeoPackage polygon")]) from None
    if frame.crs is None:
        raise DataError([Problem(str(boundary), "", "geometry", "", "the boundary has no CRS",
                                 "save it with its CRS (GeoJSON is WGS84 by definition)")])
    polygons = frame.geometry[frame.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    if polygons.empty:
        raise DataError([Problem(str(boundary), "", "geometry", "", "no polygon in the layer",
                                 "give the area as a polygon layer (the county boundary or "
                                 "its towns)")])
    wgs = polygons.to_crs(_WGS84)
    west, south, east, north = wgs.total_bounds
    if not (np.isfinite([west, south, east, north]).all() and -180 <= west <= east <= 180
            and -90 <= south <= north <= 90):
        raise DataError([Problem(str(boundary), "", "geometry", f"{frame.crs}",
                                 "the coordinates do not fit the layer's CRS (they fall "
                                 "outside the globe when read in it)",
                                 "set the layer's real CRS in QGIS (Layer > Set CRS) and "
                                 "save it again")])
    area = gpd.GeoSeries([shapely.union_all(wgs.to_numpy())], crs=_WGS84)
    local = area.estimate_utm_crs()
    grown: shapely.Geometry = area.to_crs(local).buffer(margin_km * 1000.0).to_crs(_WGS84).iloc[0]
    return grown


def _normalise(raw: pd.DataFrame) -> tuple[gpd.GeoDataFrame, dict[str, int]]:
    """Classes, directions and limits from the tags; ways that are no travel road dropped."""
    classes = [road_class(h) for h in raw["highway"]]
    is_area = raw["area"].fillna("").astype(str).str.lower().eq("yes").to_numpy()
    keep = np.array([c is not None for c in classes], dtype=bool) & ~is_area.astype(bool)
    dropped = Counter(str(h) if not a else f"{h} (area)"
                      for h, a, k in zip(raw["highway"], is_area, keep, strict=True) if not k)
    kept = raw.loc[keep].reset_index(drop=True)
    tags: list[dict[str, Any]] = [
        {str(k): _text(v) for k, v in row.items()}
        for row in kept[list(_WANTED_TAGS)].to_dict("records")
    ]
    maxspeed = []
    for t in tags:
        speed = parse_maxspeed_kmh(t["maxspeed"])
        if speed is None:
            sides = [parse_maxspeed_kmh(t[k]) for k in ("maxspeed:forward", "maxspeed:backward")]
            known = [s for s in sides if s is not None]
            speed = min(known) if known else None
        maxspeed.append(np.nan if speed is None else speed)
    frame = gpd.GeoDataFrame(
        {
            "osm_id": pd.to_numeric(kept["osm_id"], errors="coerce").astype("Int64"),
            "highway": kept["highway"].astype(str).to_numpy(),
            "road_class": [c for c, k in zip(classes, keep, strict=True) if k],
            "oneway": np.array([oneway_direction(t) for t in tags], dtype=np.int8),
            "maxspeed": np.array(maxspeed, dtype=np.float64),
            "name": kept["name"].fillna("").astype(str).to_numpy(),
        },
        geometry=gpd.GeoSeries(kept["geometry"].to_numpy(), crs=_WGS84),
        crs=_WGS84,
    )
    return frame, dict(sorted(dropped.items()))


def _clip(frame: gpd.GeoDataFrame, area: shapely.Geometry) -> gpd.GeoDataFrame:
    """Lines cut to ``area``, one LineString per row."""
    geoms = frame.geometry.to_numpy()
    shapely.prepare(area)
    inside = shapely.intersects(geoms, area)
    frame, geoms = frame.loc[inside], geoms[inside]
    cut = shapely.intersection(geoms, area)
    parts, row = shapely.get_parts(cut, return_index=True)
    line = (shapely.get_type_id(parts) == 1) & ~shapely.is_empty(parts)
    out = frame.iloc[row[line]].copy()
    out = out.set_geometry(gpd.GeoSeries(parts[line], crs=_WGS84, index=out.index))
    return out.reset_index(drop=True)


def _written_by_us(path: Path) -> bool:
    try:
        meta = pyogrio.read_info(path).get("layer_metadata") or {}
    except Exception:  # unreadable: not ours
        return False
    return bool(meta.get(_WRITER_KEY) == _WRITER)


def _check_out(out: Path, source: Path, boundary: Path) -> None:
    if out.suffix.lower() != ".gpkg":
        raise UsageError(f"--out {out} must end in .gpkg (the travel engine reads a GeoPackage "
                         "named roads.gpkg in the data folder)")
    resolved = out.resolve()
    if resolved in {source.resolve(), boundary.resolve()}:
        raise UsageError(f"--out {out} is one of the inputs; give a new file, e.g. "
                         "data/roads.gpkg")
    if out.exists() and not _written_by_us(out):
        raise UsageError(f"--out {out} exists and was not written by `{_WRITER}`; medalloc "
                         "will not replace a file it did not write. Give another --out, or "
                         "move that file away yourself")


def _write(frame: gpd.GeoDataFrame, out: Path, metadata: dict[str, str]) -> None:
    """Write the GeoPackage beside ``out`` and rename it over ``out`` (never half written)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp.gpkg", dir=out.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # GDAL creates the file itself
    try:
        pyogrio.write_dataframe(frame, tmp, layer="roads", driver="GPKG",
                                layer_metadata=metadata, dataset_metadata=metadata)
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if "ATTRIBUTION" not in metadata:
        return
    note = out.parent / ATTRIBUTION_FILE
    text = (f"{out.name}: road data {OSM_ATTRIBUTION} ({OSM_LICENCE_URL}). Imported with "
            f"{_WRITER} from {metadata['MEDALLOC_SOURCE']}. Maps, tables and reports made from "
            "it must carry the same attribution.\n")
    fd, tmp_note = tempfile.mkstemp(prefix=f".{note.name}.", suffix=".tmp", dir=out.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp_note, note)


def import_roads(source: Path, boundary: Path, out: Path, *, margin_km: float = 2.0,
                 osm_data: bool = True) -> ImportResult:
    """Import the roads of ``source`` inside ``boundary`` (plus a margin) into ``out``.

    Parameters
    ----------
    source : Path
        An OSM extract (``.osm.pbf``, ``.osm``) or a layer exported from QGIS (``.gpkg``,
        ``.shp``, ``.geojson``).
    boundary : Path
        A polygon layer with a CRS (the county boundary, or its towns).
    out : Path
        The GeoPackage to write (``data/roads.gpkg`` for the travel engine to find it).
    margin_km : float
        How far beyond the boundary roads are kept.
    osm_data : bool
        Whether the source is OpenStreetMap data, so the output carries its attribution (a
        QGIS layer with OSM-style ``highway`` tags from another source may say False).

    Returns
    -------
    ImportResult
        Counts and lengths of what was written.

    Raises
    ------
    DataError
        A missing or unreadable input, a layer without CRS or highway tags, an empty clip.
    UsageError
        An ``--out`` that is not a ``.gpkg``, is an input, or is a file medalloc did not write.
    """
    if not (np.isfinite(margin_km) and margin_km >= 0):
        raise UsageError(f"--margin-km must be a number >= 0 (got {margin_km!r})")
    if not source.exists():
        raise DataError([Problem(str(source), "", "", "", "file not found",
                                 "download an extract (e.g. Geofabrik's china-latest.osm.pbf) "
                                 "or give the road layer exported from QGIS")])
    if not (_is_osm(source) or source.name.lower().endswith(_LAYER_SUFFIXES)):
        raise DataError([Problem(str(source), "", "", source.suffix, "unknown road file type",
                                 "give an .osm.pbf extract or a .gpkg/.shp/.geojson layer")])
    _check_out(out, source, boundary)
    area = _area(boundary, margin_km)
    west, south, east, north = shapely.bounds(area)
    if _is_osm(source):
        raw = read_osm(source, bbox=(west, south, east, north))
    else:
        raw = read_road_layer(source)
    frame, dropped = _normalise(raw)
    clipped = _clip(frame, area)
    if clipped.empty:
        if len(raw):
            x0, y0, x1, y1 = shapely.total_bounds(raw["geometry"].to_numpy())
            extent = f"roads at lon {x0:.3f}..{x1:.3f}, lat {y0:.3f}..{y1:.3f}"
        else:
            extent = "no highway way near the boundary"
        raise DataError([Problem(str(source), "", "geometry", extent,
                                 f"no road lies within {margin_km:g} km of the boundary "
                                 f"{boundary} (lon {west:.3f}..{east:.3f}, lat "
                                 f"{south:.3f}..{north:.3f})",
                                 "use an extract that covers the county, or check that the "
                                 "boundary's CRS is right")])
    clipped = clipped.sort_values(["osm_id", "highway"], kind="stable", na_position="last")
    clipped = clipped.reset_index(drop=True)
    metadata = {_WRITER_KEY: _WRITER, "MEDALLOC_SOURCE": source.name,
                "MEDALLOC_MARGIN_KM": f"{margin_km:g}"}
    if osm_data:
        metadata |= {"ATTRIBUTION": OSM_ATTRIBUTION, "LICENSE": OSM_LICENCE_URL}
    _write(clipped, out, metadata)
    projected = clipped.to_crs(clipped.estimate_utm_crs())
    length = projected.geometry.length.groupby(clipped["road_class"]).sum() / 1000.0
    return ImportResult(
        out=out,
        lines=len(clipped),
        length_km={str(k): round(float(v), 3) for k, v in sorted(length.items())},
        oneway_lines=int((clipped["oneway"] != 0).sum()),
        maxspeed_lines=int(clipped["maxspeed"].notna().sum()),
        dropped=dropped,
        margin_km=margin_km,
        attribution=OSM_ATTRIBUTION if osm_data else None,
    )
