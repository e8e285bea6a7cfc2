"""GeoPackage layers of a run for QGIS: towns with their per-year figures, facilities with the plan.

The figures are ``towns.csv`` and ``plan.csv`` as the CLI wrote them, joined to the dataset's
geometry by town code and facility id; nothing is recomputed.
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import pandas as pd

from optimizer.app.results import RunResults
from optimizer.dataset.load import Dataset

__all__ = ["write_geopackage"]


def _towns_layer(dataset: Dataset, towns: pd.DataFrame, year: int) -> gpd.GeoDataFrame:
    shapes = dataset.towns[["code", "name_en", "geometry"]].copy()
    shapes["code"] = shapes["code"].astype(str)
    rows = towns[towns["year"] == year].copy()
    rows["town_code"] = rows["town_code"].astype(str)
    merged = shapes.merge(rows, left_on="code", right_on="town_code", how="left")
    return gpd.GeoDataFrame(merged.drop(columns=["town_code"]), geometry="geometry",
                            crs=dataset.towns.crs)


def _facilities_layer(dataset: Dataset, plan: pd.DataFrame, year: int) -> gpd.GeoDataFrame:
    last = plan[plan["year"] == year]
    wide = last.pivot_table(index="facility_id", columns="resource",
                            values=["after", "change"], aggfunc="first")
    wide.columns = [f"{pair[1]}_{'plan' if pair[0] == 'after' else 'change'}"
                    for pair in wide.columns]
    points = dataset.facilities[["facility_id", "name_zh", "name_en", "tier", "town_code",
                                 "geometry"]].copy()
    points["facility_id"] = points["facility_id"].astype(str)
    merged = points.merge(wide.reset_index(), on="facility_id", how="left")
    return gpd.GeoDataFrame(merged, geometry="geometry", crs=dataset.facilities.crs)


def write_geopackage(results: RunResults, dataset: Dataset, path: Path) -> Path:
    """Write ``towns_<year>`` and ``facilities_<last year>`` layers to ``path``, atomically.

    Raises
    ------
    ValueError
        When the run has no ``towns.csv`` or ``plan.csv`` (a coverage or justify job).
    """
    year = results.last_year
    if results.towns is None or results.plan is None or year is None:
        raise ValueError("this run has no plan.csv and towns.csv; only a 'run' job has "
                         "GeoPackage layers of its plan")
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temp.unlink(missing_ok=True)
    for each in sorted(results.towns["year"].unique()):
        _towns_layer(dataset, results.towns, int(each)).to_file(
            temp, layer=f"towns_{int(each)}", driver="GPKG")
    _facilities_layer(dataset, results.plan, year).to_file(
        temp, layer=f"facilities_{year}", driver="GPKG")
    temp.replace(path)
    return path
