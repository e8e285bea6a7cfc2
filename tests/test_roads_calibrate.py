"""Detour calibration on road layers whose detour is known by construction."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point
from support.cli import assert_clean, invoke

from optimizer.errors import ScenarioError
from optimizer.roads.calibrate import calibrate_detour, fit_bands, monotone_fit
from optimizer.travel.table import TravelSettings

CRS = "EPSG:4544"  # the travel CRS: metres
X0, Y0 = 400_000.0, 3_250_000.0
SETTINGS = TravelSettings(mode="network")


def zigzag(n_teeth: int, speed_kmh: float = 50.0) -> gpd.GeoDataFrame:
    """A saw-tooth road: up 1 km and down 1 km over every 2 km of the x axis, so a trip between
    two of its low corners is sqrt(2) times the straight line; plus an unconnected road far off."""
    coords = [(X0 + 1000.0 * k, Y0 + 1000.0 * (k % 2)) for k in range(2 * n_teeth + 1)]
    island = [(X0 + 100_000.0, Y0), (X0 + 101_000.0, Y0)]
    return gpd.GeoDataFrame({"road_class": ["primary", "primary"],
                             "speed_kmh": [speed_kmh, speed_kmh]},
                            geometry=[LineString(coords), LineString(island)], crs=CRS)


def corner_points(n_teeth: int) -> gpd.GeoDataFrame:
    points = [Point(X0 + 2000.0 * k, Y0) for k in range(n_teeth + 1)]
    points.append(Point(X0 + 100_500.0, Y0))  # on the island: no road to the others
    return gpd.GeoDataFrame({"id": range(len(points))}, geometry=points, crs=CRS)


def test_zigzag_detour_is_root_two_in_every_band() -> None:
    result = calibrate_detour(zigzag(10), corner_points(10), SETTINGS)
    assert result.pairs == 55  # 11 corners, every pair once
    assert result.unreachable == 11  # each corner with the island point
    assert result.detour_factor == pytest.approx(np.sqrt(2), rel=1e-6)
    bands = result.bands.set_index("band_from_km")
    # Corners 2k km apart for k = 1..10, with 11 - k pairs each, counted by hand per band.
    assert bands["pairs"].to_dict() == {2.0: 10 + 9, 5.0: 8 + 7, 10.0: 6 + 5 + 4 + 3 + 2,
                                        20.0: 1}
    for column in ("median", "p10", "p90", "mean", "fitted"):
        assert np.allclose(bands[column], np.sqrt(2), rtol=1e-6), column
    assert "detour_factor = 1.414" in result.toml()


def test_by_time_folds_the_road_speed_into_the_factor() -> None:
    # Roads at 30 km/h against a straight line at the rural car speed of 40 km/h.
    result = calibrate_detour(zigzag(4, speed_kmh=30.0), corner_points(4), SETTINGS, by="time")
    assert result.detour_factor == pytest.approx(np.sqrt(2) * 40.0 / 30.0, rel=1e-6)


def test_manhattan_grid_against_the_l1_oracle() -> None:
    # Roads every 1 km both ways over 6 km; points on the crossings; the shortest road trip
    # between two crossings is their L1 distance.
    lines = [LineString([(X0, Y0 + 1000.0 * k), (X0 + 6000.0, Y0 + 1000.0 * k)]) for k in range(7)]
    lines += [LineString([(X0 + 1000.0 * k, Y0), (X0 + 1000.0 * k, Y0 + 6000.0)])
              for k in range(7)]
    roads = gpd.GeoDataFrame({"road_class": ["tertiary"] * len(lines)}, geometry=lines, crs=CRS)
    xy = np.array([(X0 + 1000.0 * i, Y0 + 1000.0 * j) for i in range(7) for j in range(7)])
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=CRS)
    result = calibrate_detour(roads, points, SETTINGS, bands_km=(0.0, 2.0, 4.0))
    a, b = np.array(list(itertools.combinations(range(len(xy)), 2))).T
    straight = np.hypot(*(xy[a] - xy[b]).T)
    ratio = np.abs(xy[a] - xy[b]).sum(axis=1) / straight
    oracle = fit_bands(straight, ratio, (0.0, 2.0, 4.0))
    assert result.pairs == len(a)
    pd.testing.assert_frame_equal(result.bands, oracle, rtol=1e-9)
    assert result.detour_factor == pytest.approx(np.median(ratio), rel=1e-6)


def test_monotone_fit_pools_adjacent_violators() -> None:
    fitted = monotone_fit(np.array([1.5, 1.2, 1.3, 1.0]), np.array([1.0, 1.0, 1.0, 1.0]))
    assert np.allclose(fitted, [1.5, 1.25, 1.25, 1.0])
    weighted = monotone_fit(np.array([1.2, 1.4]), np.array([3.0, 1.0]))
    assert np.allclose(weighted, [1.25, 1.25])  # (3 x 1.2 + 1.4) / 4
    assert np.allclose(monotone_fit(np.array([2.0, 1.5, 1.1]), np.ones(3)), [2.0, 1.5, 1.1])
    rng = np.random.default_rng(3)
    values, weights = rng.uniform(1, 2, 30), rng.uniform(0.5, 5, 30)
    fit = monotone_fit(values, weights)
    assert np.all(np.diff(fit) <= 1e-12)
    assert np.isclose((fit * weights).sum(), (values * weights).sum())


def test_bands_must_rise() -> None:
    with pytest.raises(ScenarioError, match="must rise"):
        fit_bands(np.array([1.0]), np.array([1.0]), (0.0, 5.0, 2.0))
    with pytest.raises(ScenarioError, match="'distance' or 'time'"):
        calibrate_detour(zigzag(2), corner_points(2), SETTINGS, by="speed")


def test_cli_prints_the_table_and_writes_it(tmp_path: Path) -> None:
    roads = tmp_path / "roads.gpkg"
    zigzag(5).to_file(roads)
    wgs = corner_points(5).to_crs("EPSG:4326")
    points = tmp_path / "demand.csv"
    pd.DataFrame({"demand_id": wgs["id"], "lon": wgs.geometry.x,
                  "lat": wgs.geometry.y}).to_csv(points, index=False)
    out = tmp_path / "detour.csv"
    result = invoke("roads", "calibrate", roads, "--points", points, "--out", out)
    assert_clean(result, 0, "detour_factor = 1.414", "15 pairs", "6 unconnected pairs",
                 "[travel]")
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert table["pairs"].sum() == 15
    again = invoke("roads", "calibrate", roads, "--points", points, "--out", out)
    assert_clean(again, 2, "exists", "--overwrite")
    as_json = invoke("roads", "calibrate", roads, "--points", points, "--json")
    assert_clean(as_json, 0)
    assert json.loads(as_json.stdout)["detour_factor"] == pytest.approx(np.sqrt(2), rel=1e-6)
    missing = invoke("roads", "calibrate", tmp_path / "none.gpkg", "--points", points)
    assert_clean(missing, 3, "none.gpkg", "file not found", "roads import")
