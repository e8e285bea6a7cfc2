"""Check a vector layer's CRS, coordinates and geometries; repair invalid polygons on request."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from shapely.validation import explain_validity

from optimizer.dataset.schema import Layer
from optimizer.errors import Problem

__all__ = ["check_geometry", "lonlat_usable", "repair_polygons"]

# Geometry types accepted per layer geometry.
_GEOM_TYPES = {
    "polygon": {"Polygon", "MultiPolygon"},
    "point": {"Point"},
    "line": {"LineString", "MultiLineString"},
}
_FIX_INVALID = (
    "repair it in QGIS (Vector > Geometry Tools > Fix Geometries), or let medalloc repair it "
    "with shapely.make_valid (load_dataset(..., repair_geometry=True))"
)
_DECLARE_CRS = (
    "export the layer again in WGS84 (EPSG:4326), or declare the CRS it is in, e.g. "
    "`ogr2ogr -s_srs EPSG:4544 -t_srs EPSG:4326 towns.geojson in.geojson`"
)


def feature_name(frame: gpd.GeoDataFrame, layer: Layer, position: int) -> str:
    """A feature as a planner knows it: its id and Chinese name, when the layer has them."""
    parts = []
    for column in (layer.id_column, "name_zh"):
        if column and column in frame.columns:
            value = frame[column].iloc[position]
            if value is not None and str(value).strip() not in {"", "nan", "None"}:
                parts.append(str(value).strip())
    return " ".join(parts)


def _bounds_text(bounds: np.ndarray) -> str:
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    return f"x {minx:.6g} to {maxx:.6g}, y {miny:.6g} to {maxy:.6g}"


def lonlat_usable(frame: gpd.GeoDataFrame) -> bool:
    """Every geometry is valid and the layer is in degrees of longitude and latitude."""
    if frame.crs is None or not frame.crs.is_geographic:
        return False
    geoms = frame.geometry
    if geoms.isna().any() or geoms.is_empty.any() or not geoms.is_valid.all():
        return False
    minx, miny, maxx, maxy = frame.total_bounds
    return bool(minx >= -180 and maxx <= 180 and miny >= -90 and maxy <= 90)


def check_geometry(frame: gpd.GeoDataFrame, layer: Layer, label: str) -> list[Problem]:
    """Check the CRS, that coordinates fit it, and each feature's geometry type and validity.

    Coordinates in metres under a geographic CRS (a GeoJSON without a CRS is read as WGS84) or
    under no CRS at all are one problem for the whole layer, with the likely cause.
    """
    problems = []
    present = frame.geometry.notna() & ~frame.geometry.is_empty
    bounds = frame.geometry[present].total_bounds if present.any() else None
    metres = bounds is not None and bool(
        (np.abs(bounds[[0, 2]]) > 180).any() or (np.abs(bounds[[1, 3]]) > 90).any())
    if frame.crs is None:
        cause = (f"; its coordinates ({_bounds_text(bounds)}) look like metres of a projected CRS"
                 if metres and bounds is not None else "")
        fix = ("assign the projected CRS it was drawn in (ask whoever made it), e.g. "
               "`ogr2ogr -a_srs EPSG:4544 out.gpkg in.gpkg` for CGCS2000 3-degree zone 35"
               if cause else "assign one, e.g. `ogr2ogr -a_srs EPSG:4326 out.gpkg in.gpkg`")
        problems.append(
            Problem(label, "", "geometry", "", f"layer has no coordinate reference system (CRS)"
                    f"{cause}", f"{fix}, or in QGIS Layer Properties > Source")
        )
    elif frame.crs.is_geographic and metres and bounds is not None:
        problems.append(
            Problem(label, "", "geometry", _bounds_text(bounds),
                    f"coordinates are not longitude/latitude degrees though the layer is read as "
                    f"{frame.crs.name}: it is probably in a projected CRS (metres) that the file "
                    "does not declare (a GeoJSON without a 'crs' member is read as WGS84)",
                    _DECLARE_CRS)
        )
    allowed = _GEOM_TYPES[layer.geometry or "point"]
    for i, geom in enumerate(frame.geometry):
        row = f"feature {i + 1}"
        if geom is None or geom.is_empty:
            problems.append(Problem(label, row, "geometry", "", "feature has no geometry",
                                    "draw it or delete the feature"))
        elif geom.geom_type not in allowed:
            problems.append(Problem(label, row, "geometry", geom.geom_type,
                                    f"wrong geometry type for {layer.role}",
                                    f"use {' or '.join(sorted(allowed))}"))
        elif not geom.is_valid:
            name = feature_name(frame, layer, i)
            problems.append(Problem(label, row, "geometry", explain_validity(geom),
                                    f"invalid {geom.geom_type}" + (f" of {name}" if name else ""),
                                    _FIX_INVALID))
    return problems


def repair_polygons(
    frame: gpd.GeoDataFrame, layer: Layer, label: str
) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Repair invalid polygons with ``shapely.make_valid``; returns the frame and a note per fix.

    Only the polygonal parts of a repaired feature are kept (a bow-tie becomes two triangles; a
    spike collapses to nothing).
    """
    if layer.geometry != "polygon":
        return frame, []
    geoms = frame.geometry
    broken = np.flatnonzero((geoms.notna() & ~geoms.is_empty & ~geoms.is_valid).to_numpy())
    if not len(broken):
        return frame, []
    fixed = frame.copy()
    notes = []
    for position in (int(p) for p in broken):
        geom = geoms.iloc[position]
        repaired = _polygonal(shapely.make_valid(geom))
        fixed.loc[fixed.index[position], fixed.geometry.name] = repaired
        name = feature_name(frame, layer, position)
        notes.append(Problem(label, f"feature {position + 1}", "geometry", explain_validity(geom),
                             f"invalid polygon{' of ' + name if name else ''} repaired with "
                             "shapely.make_valid", "check its shape on a map"))
    return fixed, notes


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """The polygons of a geometry (a MultiPolygon when there are several)."""
    if shapely.get_type_id(geom) in {3, 6}:  # Polygon, MultiPolygon
        return geom
    parts = [g for g in shapely.get_parts(geom) if shapely.get_type_id(g) in {3, 6}]
    polygons = [p for g in parts for p in shapely.get_parts(g)]
    if not polygons:
        return shapely.Polygon()
    return polygons[0] if len(polygons) == 1 else shapely.MultiPolygon(polygons)
