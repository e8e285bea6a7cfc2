"""Tests for spatial.service_areas: circle radii, agreement with coverage, river isochrones."""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
from support.points import OFFSET, make_demand, make_facilities, make_towns, to_wgs84

from optimizer.errors import ScenarioError
from optimizer.spatial.coverage import coverage_table
from optimizer.spatial.service_areas import service_areas, write_layers
from optimizer.travel.network import build_network
from optimizer.travel.table import TravelSettings, nearest_table

DATA = Path(__file__).parent / "data"


def test_circle_radius_is_speed_times_time_over_detour() -> None:
    areas = service_areas(make_facilities(), make_towns(), settings=TravelSettings(),
                          travel_mode="ebike", thresholds=[15, 30])
    assert list(areas["facility_id"]) == ["h1", "h1", "thc2", "thc2", "vc1", "vc1"]
    assert areas.crs.to_epsg() == 4326
    projected = areas.to_crs("EPSG:4544")
    # 15 km/h = 250 m/min; 15 min -> 3750 m of road -> 3750 / 1.3 = 2884.6 m radius.
    radius_m = np.sqrt(projected.area.to_numpy() / math.pi)
    expected = np.tile([3750 / 1.3, 7500 / 1.3], 3)
    np.testing.assert_allclose(radius_m, expected, rtol=2e-3)  # 16 segments a quarter circle


def test_circles_agree_with_coverage_for_same_setting_points() -> None:
    # thc2 is rural; two rural points 2 850 m and 2 920 m east of it, radius 2 884.6 m.
    facilities = make_facilities().iloc[[1]]
    xy = np.array([[6000 + 2850, 2000], [6000 + 2920, 2000]])
    demand = gpd.GeoDataFrame(
        {"demand_id": ["in", "out"], "town_code": ["500118101"] * 2, "population": [1.0, 1.0]},
        geometry=to_wgs84(xy),
    )
    table = coverage_table(demand, facilities, make_towns(), settings=TravelSettings(),
                           tier_groups={"primary": ["township_health_centre"]},
                           thresholds={"primary": 15})
    circle = service_areas(facilities, make_towns(), settings=TravelSettings(),
                           travel_mode="ebike", thresholds=[15]).geometry.iloc[0]
    inside = list(demand.geometry.within(circle))
    assert inside == list(table["covered_primary_15"]) == [True, False]


def test_isochrone_does_not_cross_the_river() -> None:
    settings = TravelSettings(mode="network", segment_max_m=1000.5)
    network = build_network(gpd.read_file(DATA / "roads_river.geojson"), settings)
    facility = gpd.GeoDataFrame(
        {"facility_id": ["F"], "tier": ["village_clinic"], "town_code": ["500118101"]},
        geometry=to_wgs84([(1000, -100)]),
    )
    iso = service_areas(facility, make_towns(), settings=settings, travel_mode="motorised",
                        thresholds=[5], network=network)
    circle = service_areas(facility, make_towns(), settings=TravelSettings(),
                           travel_mode="motorised", thresholds=[5])
    across = to_wgs84([(1000, 150)]).iloc[0]  # 250 m away, across the water
    along = to_wgs84([(2950, -100)]).iloc[0]  # on the south road, 50 m short of a node
    assert circle.geometry.iloc[0].contains(across)
    assert not iso.geometry.iloc[0].contains(across)
    # On the road itself: 1 950 m at 500 m/min = 3.9 <= 5 min.
    assert iso.geometry.iloc[0].contains(along)
    projected = iso.to_crs("EPSG:4544").geometry.iloc[0]
    # The farthest ground east is the road at x = 1 000 + 5 min x 500 m/min = 3 500 m; the
    # drawing's 20 m steps may stop it up to 10 m short.
    east = shapely.bounds(projected)[2] - OFFSET[0]
    assert 3490.0 <= east <= 3500.0 + 1.0

    # Every point is inside the isochrone exactly when the travel table reaches it in 5 min
    # (points within 0.1 min of the limit skipped: the drawn discs are polygons).
    rng = np.random.default_rng(7)
    xy = rng.uniform([-500, -600], [4000, 600], (300, 2))
    demand = gpd.GeoDataFrame({"demand_id": [f"p{k:03d}" for k in range(300)]},
                              geometry=to_wgs84(xy))
    near = nearest_table(demand, facility, settings=settings, travel_mode="motorised",
                         network=network)
    clear = (near["minutes"] - 5).abs().to_numpy() > 0.1
    inside = demand.sort_values("demand_id").geometry.within(iso.geometry.iloc[0]).to_numpy()
    np.testing.assert_array_equal(inside[clear], (near["minutes"] <= 5).to_numpy()[clear])
    assert 10 < int(inside.sum()) < 290


def test_network_mode_needs_a_network() -> None:
    with pytest.raises(ScenarioError, match="needs roads"):
        service_areas(make_facilities(), make_towns(), settings=TravelSettings(mode="network"),
                      travel_mode="walk", thresholds=[15])


def test_write_layers_to_geopackage_and_geojson(tmp_path: Path) -> None:
    areas = service_areas(make_facilities(), make_towns(), settings=TravelSettings(),
                          travel_mode="walk", thresholds=[15])
    path = write_layers({"areas": areas, "demand": make_demand()}, tmp_path / "layers.gpkg")
    assert sorted(name for name, _ in pyogrio.list_layers(path)) == ["areas", "demand"]
    single = write_layers({"areas": areas}, tmp_path / "areas.geojson")
    assert list(gpd.read_file(single)["facility_id"]) == ["h1", "thc2", "vc1"]
    with pytest.raises(ScenarioError, match="GeoJSON holds one layer"):
        write_layers({"a": areas, "b": areas}, tmp_path / "two.geojson")
