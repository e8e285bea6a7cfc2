"""Tests for optimizer.routing: edge snapping, one-way roads, islands, same place, the cache.

The fixture is a 3 x 3 km grid of roads every 1 km (EPSG:4544 metres from (X0, Y0)), all at
60 km/h, i.e. 1 km per minute. Cars go off-road at 15 km/h (250 m/min), walkers at 4.5 km/h
(75 m/min, also their pace on the road). Every expected time below is worked out by hand.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from optimizer.errors import DataError, MedallocWarning
from optimizer.routing.attributes import maxspeed_kmh, oneway_directions
from optimizer.routing.engine import route_nearest, route_pairs
from optimizer.travel.network import build_network
from optimizer.travel.table import TravelSettings, nearest_table, travel_table

X0, Y0 = 500_000.0, 3_300_000.0
CRS = "EPSG:4544"
SETTINGS = TravelSettings.from_dict({
    "mode": "network", "segment_max_m": 1000.5,
    "speeds_kmh": {"motorised": {"urban": 60.0, "rural": 60.0}},
})


def grid(oneway_bottom: str = "no", island: bool = False) -> gpd.GeoDataFrame:
    """Lines x = 0..3 km and y = 0..3 km, each drawn west->east or south->north."""
    lines, oneway = [], []
    for k in range(4):
        lines += [shapely.LineString([(0, 1000 * k), (3000, 1000 * k)]),
                  shapely.LineString([(1000 * k, 0), (1000 * k, 3000)])]
        oneway += [oneway_bottom if k == 0 else "no", "no"]
    if island:
        lines.append(shapely.LineString([(5000, 500), (5000, 1500)]))
        oneway.append("no")
    geometry = gpd.GeoSeries(lines, crs=CRS).translate(X0, Y0)
    return gpd.GeoDataFrame({"speed_kmh": 60.0, "oneway": oneway}, geometry=geometry)


def points(xy: list[tuple[float, float]], prefix: str, id_column: str) -> gpd.GeoDataFrame:
    geometry = gpd.GeoSeries(shapely.points(np.asarray(xy, dtype=float)), crs=CRS)
    return gpd.GeoDataFrame({id_column: [f"{prefix}{k}" for k in range(len(xy))]},
                            geometry=geometry.translate(X0, Y0))


def table(demand: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame, roads: gpd.GeoDataFrame,
          travel_mode: str = "motorised", max_minutes: float = 120.0) -> pd.DataFrame:
    network = build_network(roads, SETTINGS)
    return travel_table(demand, facilities, settings=SETTINGS, travel_mode=travel_mode,
                        max_minutes=max_minutes, network=network).set_index(
        ["origin_id", "destination_id"])


@pytest.fixture(autouse=True)
def no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDALLOC_CACHE_DIR", "off")


def test_mid_edge_and_off_road_points_by_hand() -> None:
    # D0 stands 100 m north of the bottom road at x = 500: its foot (500, 0) is mid-edge.
    # F0 stands 50 m north of the road y = 2 000 at x = 2 500: foot (2 500, 2 000).
    demand = points([(500, 100)], "D", "demand_id")
    facilities = points([(2500, 2050)], "F", "facility_id")
    by_car = table(demand, facilities, grid())
    # Off-road 100 m at 250 m/min = 0.4; road 2 000 m east + 2 000 m north = 4 000 m at
    # 1 000 m/min = 4.0; off-road 50 m = 0.2: 4.6 min over 4 150 m.
    assert by_car.loc[("D0", "F0"), "minutes"] == pytest.approx(4.6, abs=1e-6)
    assert by_car.loc[("D0", "F0"), "distance_m"] == pytest.approx(4150.0, abs=1e-6)
    on_foot = table(demand, facilities, grid(), travel_mode="walk")
    # Walking pace everywhere: 4 150 m at 75 m/min = 55.333 min.
    assert on_foot.loc[("D0", "F0"), "minutes"] == pytest.approx(4150 / 75, abs=1e-6)


def test_access_leg_counts_once_per_trip_end() -> None:
    # Both points 300 m off the same road at x = 1 500, on opposite sides, and a facility on
    # the road itself: the road stretch is 0 m, so only the off-road legs remain.
    demand = points([(1500, 1300)], "D", "demand_id")
    facilities = points([(1500, 1000)], "F", "facility_id")
    t = table(demand, facilities, grid())
    # Straight across on one edge: 300 m at 250 m/min = 1.2 min (not 2.4, not a walk).
    assert t.loc[("D0", "F0"), "minutes"] == pytest.approx(1.2, abs=1e-6)


def test_same_place_is_zero_minutes() -> None:
    # A village clinic at its own village's point, 100 m off the road: 0 minutes, not 0.8.
    demand = points([(500, 100), (2500, 2900)], "D", "demand_id")
    facilities = points([(500, 100), (2900, 2500)], "F", "facility_id")
    t = table(demand, facilities, grid())
    assert t.loc[("D0", "F0"), "minutes"] == pytest.approx(0.0, abs=1e-6)
    near = nearest_table(demand, facilities, settings=SETTINGS, travel_mode="motorised",
                         network=build_network(grid(), SETTINGS))
    assert list(near["destination_id"]) == ["F0", "F1"]
    assert near["minutes"].iloc[0] == pytest.approx(0.0, abs=1e-6)
    # D1 (2 500, 2 900): foot (2 500, 3 000), 0.4 min; F1 (2 900, 2 500): foot (3 000, 2 500),
    # 0.4 min; road 500 + 500 m = 1.0 min: 1.8 min.
    assert near["minutes"].iloc[1] == pytest.approx(1.8, abs=1e-6)


def test_one_way_road_binds_cars_not_walkers() -> None:
    # The bottom road is one-way eastwards. D0 at (2 500, -100) wants F0 at (1 500, -100):
    # both 100 m south of it (0.4 min each by car).
    demand = points([(2500, -100), (1500, -100)], "D", "demand_id")
    facilities = points([(1500, -100), (2500, -100)], "F", "facility_id")
    t = table(demand, facilities, grid(oneway_bottom="yes"))
    # West by car is forbidden: east 500, north 1 000, west 2 000, south 1 000, east 500 =
    # 5 000 m = 5 min, + 0.8 = 5.8 min. East (D1 -> F1) is allowed: 1 000 m, 1.8 min.
    assert t.loc[("D0", "F0"), "minutes"] == pytest.approx(5.8, abs=1e-6)
    assert t.loc[("D1", "F1"), "minutes"] == pytest.approx(1.8, abs=1e-6)
    walk = table(demand, facilities, grid(oneway_bottom="yes"), travel_mode="walk")
    # Walkers go straight west: 100 + 1 000 + 100 m at 75 m/min = 16 min.
    assert walk.loc[("D0", "F0"), "minutes"] == pytest.approx(16.0, abs=1e-6)
    # Drawn the other way (-1) the same road is one-way westwards.
    back = table(demand, facilities, grid(oneway_bottom="-1"))
    assert back.loc[("D0", "F0"), "minutes"] == pytest.approx(1.8, abs=1e-6)
    assert back.loc[("D1", "F1"), "minutes"] == pytest.approx(5.8, abs=1e-6)


def test_island_points_join_the_main_network_with_a_warning() -> None:
    # D0 at (4 800, 1 000) is 200 m from an island road (x = 5 000) and 1 800 m from the grid.
    demand = points([(4800, 1000), (500, 100)], "D", "demand_id")
    facilities = points([(3000, 1500)], "F", "facility_id")
    with pytest.warns(MedallocWarning, match=r"1 origins lie nearest to a road piece cut off"):
        t = table(demand, facilities, grid(island=True))
    # Joined at (3 000, 1 000): 1 800 m off-road = 7.2 min, then 500 m = 0.5 min: 7.7 min.
    assert t.loc[("D0", "F0"), "minutes"] == pytest.approx(7.7, abs=1e-6)
    assert np.isfinite(t["minutes"]).all()


def test_unreachable_by_one_way_is_not_silent() -> None:
    # A one-way dead end: a spur drawn away from the grid carries cars out, never back in.
    roads = pd.concat([grid(), gpd.GeoDataFrame(
        {"speed_kmh": [60.0], "oneway": ["yes"]},
        geometry=gpd.GeoSeries([shapely.LineString([(3000, 3000), (4000, 3000)])],
                               crs=CRS).translate(X0, Y0))], ignore_index=True)
    demand = points([(500, 100)], "D", "demand_id")
    facilities = points([(4000, 3050)], "F", "facility_id")
    network = build_network(gpd.GeoDataFrame(roads, crs=CRS), SETTINGS)
    near = nearest_table(demand, facilities, settings=SETTINGS, travel_mode="motorised",
                         network=network)
    # 0.4 off-road, 2 500 m east + 3 000 m north + the 1 000 m spur (6.5 min), 0.2 off-road.
    assert near["minutes"].iloc[0] == pytest.approx(0.4 + 6.5 + 0.2, abs=1e-6)
    with pytest.warns(MedallocWarning, match=r"1 origins cannot reach any destination"):
        reverse = nearest_table(facilities.rename(columns={"facility_id": "demand_id"}),
                                demand.rename(columns={"demand_id": "facility_id"}),
                                settings=SETTINGS, travel_mode="motorised", network=network)
    assert np.isinf(reverse["minutes"].iloc[0])
    assert reverse["destination_id"].isna().iloc[0]


@pytest.mark.parametrize("seed", range(3))
def test_nearest_agrees_with_the_full_table_on_one_way_grid(seed: int) -> None:
    rng = np.random.default_rng(seed)
    network = build_network(grid(oneway_bottom="yes"), SETTINGS)
    origin = rng.uniform(-300, 3300, (40, 2)) + np.array([X0, Y0])
    dest = rng.uniform(-300, 3300, (6, 2)) + np.array([X0, Y0])
    dest[0] = origin[0]  # one shared place
    i, j, _, minutes = route_pairs(network, origin, dest, speed_cap_kmh=60, offroad_kmh=15,
                                   max_minutes=1e6)
    full = pd.DataFrame({"i": i, "j": j, "minutes": minutes})
    best = full.groupby("i")["minutes"].min().reindex(range(40)).to_numpy()
    nj, _, nm = route_nearest(network, origin, dest, speed_cap_kmh=60, offroad_kmh=15)
    np.testing.assert_allclose(nm, best, rtol=1e-9, atol=1e-6)
    assert nm[0] == pytest.approx(0.0, abs=1e-6)
    chosen = full.set_index(["i", "j"])["minutes"]
    np.testing.assert_allclose([chosen[(k, nj[k])] for k in range(40)], best, atol=1e-6)


def test_oneway_and_maxspeed_columns() -> None:
    frame = pd.DataFrame({"oneway": ["yes", "-1", "no", None, "1", "reverse"]})
    assert list(oneway_directions(frame)) == [1, -1, 0, 0, 1, -1]
    with pytest.raises(DataError, match=r"feature 2, column 'oneway'.*sideways"):
        oneway_directions(pd.DataFrame({"oneway": ["yes", "sideways"]}))
    speeds = maxspeed_kmh(pd.Series(["60", "30 mph", "signals", None, 80, "50 km/h"]))
    np.testing.assert_allclose(speeds, [60, 48.28032, np.nan, np.nan, 80, 50])
    roads = grid().assign(maxspeed=["30"] + [None] * 7, highway="primary").drop(
        columns="speed_kmh")
    network = build_network(roads, TravelSettings(mode="network", segment_max_m=1000.5))
    # OSM's highway column gives the class speed (primary 50 km/h); maxspeed 30 lowers the
    # bottom road only.
    assert sorted(set(network.edge_speed_kmh)) == [30.0, 50.0]


def test_cache_returns_identical_tables_and_follows_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEDALLOC_CACHE_DIR", str(tmp_path / "cache"))
    demand = points([(500, 100), (2500, 2900)], "D", "demand_id")
    facilities = points([(2500, 2050), (100, 2900)], "F", "facility_id")
    first = table(demand, facilities, grid())
    assert len(list((tmp_path / "cache").glob("pairs-*.npz"))) == 1

    def boom(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the cached table should have been read")

    import optimizer.routing.cache as cache_module  # noqa: PLC0415 - patched below
    import optimizer.travel.table as travel_module  # noqa: PLC0415 - patched below

    monkeypatch.setattr(travel_module, "route_pairs", boom)
    cache_module._RECENT.clear()  # forget this process's tables: read the disk
    again = table(demand, facilities, grid())
    pd.testing.assert_frame_equal(first, again)
    # A smaller cap is the larger table filtered, in this process, with no search.
    shorter = table(demand, facilities, grid(), max_minutes=4.5)
    pd.testing.assert_frame_equal(shorter, first[first["minutes"] <= 4.5])
    assert len(shorter) < len(first)
    monkeypatch.undo()
    monkeypatch.setenv("MEDALLOC_CACHE_DIR", str(tmp_path / "cache"))
    slower = table(demand, facilities, grid().assign(speed_kmh=30.0))
    moved = table(points([(600, 100), (2500, 2900)], "D", "demand_id"), facilities, grid())
    assert len(list((tmp_path / "cache").glob("pairs-*.npz"))) == 3
    assert not slower["minutes"].equals(first["minutes"])
    assert moved.loc[("D0", "F0"), "minutes"] == pytest.approx(4.5, abs=1e-6)
    assert not list((tmp_path / "cache").glob("*.tmp"))


@pytest.mark.parametrize("seed", range(3))
def test_contracting_chains_keeps_every_time_between_kept_nodes(seed: int) -> None:
    from scipy.sparse import csr_matrix  # noqa: PLC0415 - only this oracle needs it
    from scipy.sparse.csgraph import dijkstra  # noqa: PLC0415 - only this oracle needs it

    from optimizer.routing.contract import contract_chains  # noqa: PLC0415

    rng = np.random.default_rng(seed)
    # A ring of 60 nodes (long chains), a few chords, one-way pieces, 8 kept nodes.
    n = 60
    a = np.arange(n)
    b = (a + 1) % n
    chords = rng.choice(n, (4, 2), replace=False)
    u = np.concatenate([a, chords[:, 0]])
    v = np.concatenate([b, chords[:, 1]])
    minutes = rng.uniform(0.1, 2.0, len(u))
    length = rng.uniform(50, 500, len(u))
    oneway = rng.random(len(u)) < 0.2
    src = np.concatenate([u, v[~oneway]])
    dst = np.concatenate([v, u[~oneway]])
    arc_min = np.concatenate([minutes, minutes[~oneway]])
    arc_len = np.concatenate([length, length[~oneway]])
    keep = np.zeros(n, dtype=bool)
    kept = rng.choice(n, 8, replace=False)
    keep[kept] = True
    cs, cd, cm, _ = contract_chains(src, dst, arc_min, arc_len, keep)
    assert len(np.unique(np.concatenate([cs, cd]))) < n  # something was merged away
    full = dijkstra(csr_matrix((arc_min, (src, dst)), shape=(n, n)), indices=kept)[:, kept]
    small = dijkstra(csr_matrix((cm, (cs, cd)), shape=(n, n)), indices=kept)[:, kept]
    np.testing.assert_allclose(small, full, rtol=1e-12)
