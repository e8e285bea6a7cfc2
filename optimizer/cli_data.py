"""The ``medalloc roads`` and ``medalloc demand`` commands: bring real roads and population in."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from optimizer.cli_common import JsonOption, console, guarded, print_json

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["demand_app", "roads_app"]

roads_app = typer.Typer(help="Road layers: import an OpenStreetMap extract, calibrate the "
                        "straight-line detour factor.", no_args_is_help=True)
demand_app = typer.Typer(help="Demand points from a population grid.", no_args_is_help=True)


@roads_app.command("import")
def import_command(
    source: Annotated[Path, typer.Argument(help="An OSM extract (.osm.pbf) or a road layer "
                                           "exported from QGIS (.gpkg, .shp, .geojson).")],
    boundary: Annotated[Path, typer.Option(help="Polygon layer of the area, e.g. "
                                           "data/boundary.geojson.")],
    out: Annotated[Path, typer.Option(help="GeoPackage to write; data/roads.gpkg is where "
                                      "the travel engine looks.")],
    margin_km: Annotated[float, typer.Option(min=0, help="Keep roads this far beyond the "
                                             "boundary.")] = 2.0,
    osm: Annotated[bool, typer.Option("--osm/--not-osm", help="The source is OpenStreetMap "
                                      "data (its attribution is written).")] = True,
    as_json: JsonOption = False,
) -> None:
    """Import roads: highway class, one-way and maxspeed, clipped to the boundary + margin."""
    from optimizer.roads.osm_import import import_roads

    result = guarded(lambda: import_roads(source, boundary, out, margin_km=margin_km,
                                          osm_data=osm), as_json=as_json)
    if as_json:
        print_json(result.to_json())
        return
    total = sum(result.length_km.values())
    console.print(f"wrote {escape(str(result.out))}: {result.lines:,} lines, {total:,.1f} km "
                  f"within {result.margin_km:g} km of the boundary", highlight=False)
    for name, km in result.length_km.items():
        console.print(f"  {name:<13} {km:>10,.1f} km", highlight=False)
    console.print(f"  one-way lines: {result.oneway_lines:,}; lines with a maxspeed: "
                  f"{result.maxspeed_lines:,}", highlight=False)
    if result.dropped:
        shown = ", ".join(f"{k} {v}" for k, v in list(result.dropped.items())[:8])
        console.print(f"  not travel roads, left out: {escape(shown)}", highlight=False)
    if result.attribution:
        console.print(f"road data {result.attribution}; keep this attribution on every map "
                      "and report made from it", highlight=False)


def _points(path: Path) -> gpd.GeoDataFrame:
    import geopandas as gpd
    import pandas as pd

    from optimizer.dataset.readers import read_vector
    from optimizer.errors import DataError, Problem

    if not path.exists():
        raise DataError([Problem(str(path), "", "", "", "file not found", "check the path")])
    if path.suffix.lower() == ".csv":
        table = pd.read_csv(path, encoding="utf-8-sig")
        if not {"lon", "lat"} <= set(table.columns):
            raise DataError([Problem(str(path), "", "lon", "", "the table has no lon/lat "
                                     "columns", "give WGS84 'lon' and 'lat' columns (as in "
                                     "demand.csv)")])
        return gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(table["lon"], table["lat"]),
                                crs="EPSG:4326")
    frame, problems = read_vector(path, str(path), "points")
    if frame is None:
        raise DataError(problems)
    return frame


@roads_app.command("calibrate")
def calibrate_command(
    roads: Annotated[Path, typer.Argument(help="Road layer (roads.gpkg from `roads import`).")],
    points: Annotated[Path, typer.Option(help="Points to pair: demand.csv (lon/lat) or a "
                                         "point layer.")],
    out: Annotated[Path | None, typer.Option(help="Also write the band table to this "
                                             "CSV.")] = None,
    by: Annotated[str, typer.Option(help="'distance': road over straight-line metres; "
                                    "'time': network over straight-line minutes.")] = "distance",
    scenario: Annotated[Path | None, typer.Option(help="Take the [travel] settings (CRS, "
                                                  "speeds) from this scenario.")] = None,
    max_points: Annotated[int, typer.Option(min=2, help="Points sampled (every pair of them "
                                            "is measured).")] = 300,
    seed: Annotated[int, typer.Option(help="Seed of the point sample.")] = 0,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing "
                                            "--out file.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Fit the straight-line detour factor by trip length from shortest paths on the roads."""

    def work() -> Any:
        import geopandas as gpd

        from optimizer.config.scenario import load_scenario
        from optimizer.errors import DataError, Problem, UsageError
        from optimizer.results.files import csv_bytes
        from optimizer.results.records import write_atomically
        from optimizer.roads.calibrate import calibrate_detour
        from optimizer.travel.table import TravelSettings

        if not roads.exists():
            raise DataError([Problem(str(roads), "", "", "", "file not found",
                                     "import roads first: medalloc roads import")])
        settings = load_scenario(scenario).travel if scenario else TravelSettings()
        road_frame = gpd.read_file(roads, engine="pyogrio")
        if out is not None and out.exists() and not overwrite:
            raise UsageError(f"--out {out} exists; pass --overwrite or give another file")
        result = calibrate_detour(road_frame, _points(points), settings, by=by,
                                  max_points=max_points, seed=seed)
        if out is not None:
            write_atomically(out, csv_bytes(result.bands))
        return result

    result = guarded(work, as_json=as_json)
    if as_json:
        print_json(result.to_json())
        return
    console.print(f"detour factor (road {result.by} / straight line), {result.pairs:,} pairs"
                  + (f", {result.unreachable:,} unconnected pairs left out"
                     if result.unreachable else ""), highlight=False)
    for row in result.bands.itertuples():
        upper = f"{row.band_to_km:g}" if row.band_to_km != float("inf") else "  "
        console.print(f"  {row.band_from_km:>4g}-{upper:<3} km  pairs {row.pairs:>6,}  "
                      f"median {row.median:.3f}  p10-p90 {row.p10:.3f}-{row.p90:.3f}  "
                      f"fitted {row.fitted:.3f}", highlight=False)
    console.print(escape("paste into the scenario's [travel]:"), highlight=False)
    console.print(escape(result.toml()), highlight=False, end="")


@demand_app.command("from-raster")
def from_raster_command(
    raster: Annotated[Path, typer.Argument(help="Population GeoTIFF (WorldPop, GHS-POP).")],
    towns: Annotated[Path, typer.Option(help="Towns layer with 'code' and populations, e.g. "
                                        "data/towns.geojson.")],
    out: Annotated[Path, typer.Option(help="Demand CSV to write (columns of demand.csv).")],
    aggregate: Annotated[int, typer.Option(min=1, help="Sum N x N cells into one point per "
                                           "town.")] = 1,
    population_column: Annotated[str, typer.Option(help="Town totals to rescale to.")] =
        "pop_2020",
    rescale: Annotated[bool, typer.Option("--rescale/--no-rescale", help="Rescale each "
                                          "town's points to its total.")] = True,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing "
                                            "--out file.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Turn a population grid into demand points: cells in towns, rescaled to town totals."""
    from optimizer.dataset.demand_grid import raster_demand, write_demand

    def work() -> Any:
        result = raster_demand(raster, towns, aggregate=aggregate,
                               population_column=population_column if rescale else None)
        write_demand(result.points, out, inputs=(raster, towns), overwrite=overwrite)
        return result

    result = guarded(work, as_json=as_json)
    summary = {"out": str(out), "points": len(result.points), "cells": result.cells,
               "raster_population": round(result.raster_population, 3),
               "population": round(float(result.points["population"].sum()), 3),
               "towns": len(result.scale), "empty_towns": list(result.empty_towns),
               "scale": {k: round(v, 6) for k, v in result.scale.items()}}
    if as_json:
        print_json(summary)
        return
    console.print(f"wrote {escape(str(out))}: {summary['points']:,} demand points from "
                  f"{result.cells:,} cells in {summary['towns']} towns; population "
                  f"{summary['population']:,.0f} (raster {summary['raster_population']:,.0f})",
                  highlight=False)
    factors = sorted(result.scale.values())
    if factors and rescale:
        console.print(f"  rescaling factors per town: {factors[0]:.3f} to {factors[-1]:.3f}",
                      highlight=False)
