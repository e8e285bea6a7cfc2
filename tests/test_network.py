"""Tests for travel.network: graph building, snapping and shortest paths on a river fixture."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from optimizer.errors import DataError
from optimizer.routing.engine import route_nearest, route_pairs
from optimizer.travel.network import build_network
from optimizer.travel.table import TravelSettings, nearest_table, point_xy, travel_table

DATA = Path(__file__).parent / "data"
X0, Y0 = 500_000.0, 3_300_000.0
OFFSET = np.array([X0, Y0])

# tests/data/roads_river.geojson, drawn in EPSG:4544 metres around (X0, Y0) and stored in WGS84:
# a river along y = 0; the south bank road runs y = -100 from x = 0 to 10 000, the north bank
# road y = +100 likewise, and the only bridge joins them at x = 10 000 (200 m). All 30 km/h.
# Roads are split every 1 000 m (segment_max_m just above 1 000 so that the round trip through
# WGS84 cannot make it 11 pieces), so nodes sit at whole kilometres and snapping is exact.
NETWORK = TravelSettings(mode="network", segment_max_m=1000.5)


def points(ids: list[str], xy: list[tuple[float, float]], id_column: str) -> gpd.GeoDataFrame:
    coords = np.asarray(xy, dtype=float) + OFFSET
    geometry = gpd.GeoSeries(shapely.points(coords), crs="EPSG:4544").to_crs("EPSG:4326")
    return gpd.GeoDataFrame({id_column: ids}, geometry=geometry)


@pytest.fixture
def roads() -> gpd.GeoDataFrame:
    return gpd.read_file(DATA / "roads_river.geojson")


def test_graph_merges_the_shared_bridge_end(roads: gpd.GeoDataFrame) -> None:
    network = build_network(roads, NETWORK)
    # 10 km banks in 1 km pieces: 11 vertices each; the bridge adds no new node (its ends
    # coincide with the bank ends); 10 + 10 + 1 edges.
    assert network.n_nodes == 22
    assert len(network.edge_u) == 21
    assert network.edge_length_m.sum() == pytest.approx(20_200.0, abs=0.01)


def test_river_far_by_road_close_in_straight_line(roads: gpd.GeoDataFrame) -> None:
    south = points(["A"], [(1000, -150)], "demand_id")
    north = points(["B"], [(1000, 150)], "facility_id")
    straight = travel_table(south, north, settings=TravelSettings(), travel_mode="motorised",
                            max_minutes=60)
    # 300 m * 1.3 = 390 m at 40 km/h (rural, 666.67 m/min) = 0.585 min
    assert straight["minutes"].iloc[0] == pytest.approx(0.585, abs=1e-4)

    settings = NETWORK
    network = build_network(roads, settings)
    road = travel_table(south, north, settings=settings, travel_mode="motorised",
                        max_minutes=60, network=network)
    # 50 m off-road to the south road (motorised off-road 15 km/h, 250 m/min: 0.2 min), drive
    # 9 000 m east, 200 m over the bridge, 9 000 m back west = 18 200 m at 30 km/h (500 m/min:
    # 36.4 min), 50 m off-road: 36.4 + 2 * 0.2 = 36.8 min over 18 300 m.
    assert road["minutes"].iloc[0] == pytest.approx(36.8, abs=1e-6)
    assert road["distance_m"].iloc[0] == pytest.approx(18_300.0, abs=0.1)

    capped = travel_table(south, north, settings=settings, travel_mode="motorised",
                          max_minutes=30, network=network)
    assert capped.empty


def test_walking_on_the_network_is_capped_at_walking_pace(roads: gpd.GeoDataFrame) -> None:
    settings = NETWORK
    network = build_network(roads, settings)
    a = points(["A"], [(1000, -100)], "demand_id")
    b = points(["B"], [(3000, -100)], "facility_id")
    table = travel_table(a, b, settings=settings, travel_mode="walk", max_minutes=60,
                         network=network)
    # 2 000 m at 4.5 km/h (75 m/min) = 26.667 min, not 4 min at the road's 30 km/h.
    assert table["minutes"].iloc[0] == pytest.approx(26.6667, abs=1e-3)


def test_nearest_on_network_picks_the_same_bank(roads: gpd.GeoDataFrame) -> None:
    settings = NETWORK
    network = build_network(roads, settings)
    demand = points(["A", "C"], [(1000, -150), (9000, 150)], "demand_id")
    # F1 faces A across the river; F2 is 4 km away on A's own bank.
    facilities = points(["F1", "F2"], [(1000, 150), (5000, -100)], "facility_id")
    near = nearest_table(demand, facilities, settings=settings, travel_mode="motorised",
                         network=network)
    # Off-road legs of 50 m at 250 m/min are 0.2 min. A: 0.2 + 4 000 m / 500 = 8 -> 8.2 min
    # to F2. C (north, x = 9 000): to F1 by the north road 8 000 m = 16 + 0.2 + 0.2 = 16.4;
    # to F2 via the bridge 1 000 + 200 + 5 000 = 6 200 m = 12.4 + 0.2 = 12.6 min.
    assert list(near["destination_id"]) == ["F2", "F2"]
    assert near["minutes"].to_numpy() == pytest.approx([8.2, 12.6], abs=1e-6)
    assert near["distance_m"].to_numpy() == pytest.approx([4050.0, 6250.0], abs=0.1)


@pytest.mark.parametrize("seed", range(4))
def test_nearest_agrees_with_the_full_table(roads: gpd.GeoDataFrame, seed: int) -> None:
    rng = np.random.default_rng(seed)
    settings = NETWORK
    network = build_network(roads, settings)
    origin_xy = rng.uniform([0, -600], [11_000, 600], (25, 2)) + OFFSET
    dest_xy = rng.uniform([0, -600], [11_000, 600], (5, 2)) + OFFSET
    i, j, distance_m, minutes = route_pairs(
        network, origin_xy, dest_xy, speed_cap_kmh=40, offroad_kmh=4.5, max_minutes=1e6
    )
    full = pd.DataFrame({"i": i, "j": j, "distance_m": distance_m, "minutes": minutes})
    best = full.loc[full.groupby("i")["minutes"].idxmin()].set_index("i")
    nj, nd, nm = route_nearest(network, origin_xy, dest_xy, speed_cap_kmh=40,
                               offroad_kmh=4.5)
    np.testing.assert_allclose(nm, best["minutes"].reindex(range(25)).to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(nd, best["distance_m"].reindex(range(25)).to_numpy(), rtol=1e-9)
    np.testing.assert_array_equal(nj, best["j"].reindex(range(25)).to_numpy())


def test_road_class_speeds_and_unknown_class(roads: gpd.GeoDataFrame) -> None:
    classed = roads.drop(columns="speed_kmh").assign(road_class=["county", "county", "village"])
    network = build_network(classed, TravelSettings())
    assert sorted(set(network.edge_speed_kmh)) == [20.0, 40.0]
    classed.loc[1, "road_class"] = "goat track"
    with pytest.raises(DataError, match=r"feature 2, column 'road_class'.*goat track"):
        build_network(classed, TravelSettings())


def test_roads_without_speed_or_class(roads: gpd.GeoDataFrame) -> None:
    with pytest.raises(DataError, match="neither a 'speed_kmh' nor a 'road_class'"):
        build_network(roads.drop(columns="speed_kmh"), TravelSettings())


def test_network_is_in_the_settings_crs(roads: gpd.GeoDataFrame) -> None:
    network = build_network(roads, TravelSettings())
    south_west = point_xy(points(["p"], [(0, -100)], "id"), "EPSG:4544", layer="p")[0]
    assert np.min(np.hypot(*(network.node_xy - south_west).T)) == pytest.approx(0.0, abs=0.01)
