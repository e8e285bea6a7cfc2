"""`demand from-raster`: small GeoTIFFs written here, demand points worked out by hand."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine
from support.cli import assert_clean, invoke
from support.tiny import TOWNS, write_tiny

from optimizer.dataset.demand_grid import DEMAND_COLUMNS, raster_demand
from optimizer.dataset.load import load_dataset
from optimizer.errors import DataError, MedallocWarning

NODATA = -9999.0
# Over the tiny dataset's three towns (0.1-degree squares from 105.8 E, 29.3-29.4 N):
# 0.05-degree cells, two per town and row.
GRID = np.array([[10, 20, 30, NODATA, 0, 50],
                 [40, -5, 60, 70, 80, 90]], dtype="float32")
A, B, C = (t[0] for t in TOWNS)


def write_tif(path: Path, values: np.ndarray, *, crs: str | None = "EPSG:4326",
              west: float = 105.8, north: float = 29.4, cell: float = 0.05) -> Path:
    with rasterio.open(path, "w", driver="GTiff", height=values.shape[0],
                       width=values.shape[1], count=1, dtype="float32", crs=crs,
                       transform=Affine(cell, 0.0, west, 0.0, -cell, north), nodata=NODATA) as out:
        out.write(values.astype("float32"), 1)
    return path


@pytest.fixture
def tiny_tif(tmp_path: Path) -> Path:
    return write_tif(tmp_path / "pop.tif", GRID)


def test_cells_become_points_rescaled_to_town_totals(tiny: Path, tiny_tif: Path) -> None:
    result = raster_demand(tiny_tif, tiny / "towns.geojson")
    # Kept: A 10, 20, 40 (the -5 cell dropped); B 30, 60, 70 (nodata dropped); C 50, 80, 90
    # (the 0 cell dropped).
    assert result.cells == 9
    assert result.raster_population == 450.0
    assert result.scale == pytest.approx({A: 5000 / 70, B: 3000 / 160, C: 2000 / 220})
    points = result.points.set_index("demand_id")
    assert list(result.points.columns) == list(DEMAND_COLUMNS)
    assert len(points) == 9
    first = points.loc[f"{A}-g0-0"]
    assert first["population"] == pytest.approx(10 * 5000 / 70, abs=1e-3)
    assert (first["lon"], first["lat"]) == pytest.approx((105.825, 29.375))
    assert points.loc[f"{C}-g1-5", "population"] == pytest.approx(90 * 2000 / 220, abs=1e-3)
    assert points.loc[f"{B}-g1-3", ["lon", "lat"]].tolist() == pytest.approx([105.975, 29.325])
    totals = result.points.groupby("town_code")["population"].sum()
    assert totals.to_dict() == pytest.approx({A: 5000, B: 3000, C: 2000}, abs=0.01)
    assert (result.points["kind"] == "grid").all()
    assert result.points["population_method"].str.contains("rescaled to the town's pop_2020 "
                                                           r"\(factor 71.4286\)").sum() == 3
    assert result.points["source"].str.contains("pop.tif").all()
    assert result.empty_towns == ()


def test_aggregation_sums_blocks_at_their_weighted_centre(tiny: Path, tiny_tif: Path) -> None:
    result = raster_demand(tiny_tif, tiny / "towns.geojson", aggregate=2, population_column=None)
    points = result.points.set_index("demand_id")
    assert sorted(points.index) == [f"{A}-g0-0", f"{B}-g0-1", f"{C}-g0-2"]
    a = points.loc[f"{A}-g0-0"]
    assert a["population"] == 70  # not rescaled
    # (10 x 105.825 + 20 x 105.875 + 40 x 105.825) / 70 and the same for latitude
    assert a["lon"] == pytest.approx(105.825 + 20 * 0.05 / 70, abs=1e-6)
    assert a["lat"] == pytest.approx(29.375 - 40 * 0.05 / 70, abs=1e-6)
    assert "not rescaled" in a["population_method"]


def test_a_block_split_by_a_town_border_gives_a_point_per_town(tiny: Path,
                                                                tiny_tif: Path) -> None:
    # 3 x 3 blocks: columns 0-2 straddle towns A and B.
    result = raster_demand(tiny_tif, tiny / "towns.geojson", aggregate=3)
    assert sorted(result.points["demand_id"]) == [f"{A}-g0-0", f"{B}-g0-0", f"{B}-g0-1",
                                                  f"{C}-g0-1"]


def test_projected_raster_is_read_in_its_own_crs(tiny: Path, tmp_path: Path) -> None:
    # A UTM 48N grid of 2 km cells over the three towns, ones everywhere.
    towns = gpd.read_file(tiny / "towns.geojson").to_crs("EPSG:32648")
    west, south, east, north = towns.total_bounds
    shape = (int(np.ceil((north - south) / 2000)) + 2, int(np.ceil((east - west) / 2000)) + 2)
    tif = write_tif(tmp_path / "utm.tif", np.ones(shape), crs="EPSG:32648",
                    west=west - 2000, north=north + 2000, cell=2000.0)
    result = raster_demand(tif, tiny / "towns.geojson")
    points = gpd.GeoDataFrame(result.points, crs="EPSG:4326",
                              geometry=gpd.points_from_xy(result.points["lon"],
                                                          result.points["lat"]))
    joined = gpd.sjoin(points, gpd.read_file(tiny / "towns.geojson"), predicate="within")
    assert (joined["town_code"] == joined["code"]).all()  # every point inside its own town
    assert len(joined) == len(points)
    totals = result.points.groupby("town_code")["population"].sum()
    # populations are written to 3 decimals: at most 0.0005 off per point
    assert totals.to_dict() == pytest.approx({A: 5000, B: 3000, C: 2000},
                                             abs=0.0005 * len(points))


def test_town_without_cells_is_warned_about(tiny: Path, tmp_path: Path) -> None:
    values = GRID.copy()
    values[:, 4:] = NODATA  # nobody in town C
    tif = write_tif(tmp_path / "pop.tif", values)
    with pytest.warns(MedallocWarning, match=rf"1 town\(s\) have no populated.*{C}"):
        result = raster_demand(tif, tiny / "towns.geojson")
    assert result.empty_towns == (C,)
    assert set(result.points["town_code"]) == {A, B}


def test_bad_rasters_name_the_file_and_the_fix(tiny: Path, tmp_path: Path) -> None:
    towns = tiny / "towns.geojson"
    bare = write_tif(tmp_path / "bare.tif", GRID, crs=None)
    with pytest.raises(DataError, match=r"bare\.tif, column 'crs': the raster has no CRS.*"
                                        r"Assign Projection"):
        raster_demand(bare, towns)
    far = write_tif(tmp_path / "far.tif", GRID, west=110.0, north=35.0)
    with pytest.raises(DataError, match=r"far\.tif.*does not cover the towns.*Fix: download"):
        raster_demand(far, towns)
    with pytest.raises(DataError, match=r"none\.tif.*file not found"):
        raster_demand(tmp_path / "none.tif", towns)
    junk = tmp_path / "junk.tif"
    junk.write_text("not a raster")
    with pytest.raises(DataError, match=r"junk\.tif.*not readable as a raster"):
        raster_demand(junk, towns)
    with pytest.raises(DataError, match=r"column 'pop_2030'.*--no-rescale"):
        raster_demand(write_tif(tmp_path / "ok.tif", GRID), towns, population_column="pop_2030")


def test_cli_output_is_a_valid_demand_layer(tmp_path: Path, tiny_tif: Path) -> None:
    folder = write_tiny(tmp_path / "county")
    out = folder / "demand.csv"
    before = out.read_bytes()
    refused = invoke("demand", "from-raster", tiny_tif, "--towns", folder / "towns.geojson",
                     "--out", out)
    assert_clean(refused, 2, "exists", "--overwrite")
    assert out.read_bytes() == before  # the planner's file is untouched
    result = invoke("demand", "from-raster", tiny_tif, "--towns", folder / "towns.geojson",
                    "--out", out, "--overwrite")
    assert_clean(result, 0, "9 demand points", "9 cells", "3 towns", "population 10,000")
    dataset = load_dataset([folder])  # the dataset's own validation accepts it
    assert len(dataset.demand) == 9
    assert dataset.demand["population"].sum() == pytest.approx(10_000, abs=0.05)
    as_json = invoke("demand", "from-raster", tiny_tif, "--towns", folder / "towns.geojson",
                     "--out", tmp_path / "agg.csv", "--aggregate", "2", "--json")
    assert_clean(as_json, 0)
    summary = json.loads(as_json.stdout)
    assert summary["points"] == 3
    assert pd.read_csv(tmp_path / "agg.csv", encoding="utf-8-sig", dtype={"town_code": str})[
        "town_code"].tolist() == [A, B, C]
    bad = invoke("demand", "from-raster", tmp_path / "missing.tif", "--towns",
                 folder / "towns.geojson", "--out", tmp_path / "x.csv")
    assert_clean(bad, 3, "missing.tif", "file not found")
