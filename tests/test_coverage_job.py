"""Tests for optimizer.jobs.coverage: files and columns, determinism, nothing partial on failure."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from support.points import make_demand, make_facilities, make_towns

from optimizer.errors import MedallocWarning, ScenarioError
from optimizer.jobs import coverage as coverage_job
from optimizer.jobs.coverage import run_coverage
from optimizer.routing.snap import snap_points
from optimizer.spatial.coverage import DEFAULT_TIER_GROUPS
from optimizer.travel.network import build_network
from optimizer.travel.table import TravelSettings, point_xy

THRESHOLDS = {"primary": [15, 30], "referral": 30}


def run(out_dir: Path, make_map: bool = False) -> coverage_job.CoverageSummary:
    return run_coverage(make_towns(), make_demand(), make_facilities(), TravelSettings(),
                        DEFAULT_TIER_GROUPS, THRESHOLDS, out_dir, make_map=make_map)


def test_writes_every_file_with_the_right_columns(tmp_path: Path) -> None:
    out = tmp_path / "coverage"
    summary = run(out, make_map=True)
    assert sorted(p.name for p in out.iterdir()) == [
        ".medalloc-output", "access.csv", "coverage.csv", "gaps.gpkg", "gaps_map.png",
        "inequality.csv", "summary.json", "summary.txt", "towns_coverage.csv",
    ]
    coverage = pd.read_csv(out / "coverage.csv", dtype={"town_code": str})
    assert list(coverage.columns) == [
        "demand_id", "town_code", "name_zh", "population",
        "nearest_primary_facility_id", "nearest_primary_minutes",
        "covered_primary_15", "covered_primary_30",
        "nearest_referral_facility_id", "nearest_referral_minutes", "covered_referral_30",
    ]
    assert list(coverage["covered_primary_15"]) == [True, True, False]
    towns = pd.read_csv(out / "towns_coverage.csv", dtype={"town_code": str})
    assert list(towns.columns) == [
        "town_code", "name_zh", "population", "demand_points",
        "covered_population_primary_15", "covered_share_primary_15",
        "covered_population_primary_30", "covered_share_primary_30",
        "covered_population_referral_30", "covered_share_referral_30",
        "beds_per_1000", "doctors_per_1000", "no_access_points", "no_access_population",
    ]
    access = pd.read_csv(out / "access.csv", dtype={"town_code": str})
    assert list(access.columns) == ["demand_id", "town_code", "population", "beds_per_1000",
                                    "doctors_per_1000", "no_access"]
    # no access is NaN (an empty cell) with the flag, never a 0
    assert access["beds_per_1000"].isna().tolist() == access["no_access"].tolist()
    inequality = pd.read_csv(out / "inequality.csv")
    assert list(inequality.columns) == ["resource", "gini", "decile_ratio", "no_access_towns"]
    layers = sorted(name for name, _ in pyogrio.list_layers(out / "gaps.gpkg"))
    assert layers == ["service_areas_primary", "service_areas_referral",
                      "uncovered_primary_15", "uncovered_primary_30", "uncovered_referral_30"]
    uncovered = gpd.read_file(out / "gaps.gpkg", layer="uncovered_primary_15")
    assert list(uncovered["demand_id"]) == ["d3"]
    assert uncovered.crs.to_epsg() == 4326
    areas = gpd.read_file(out / "gaps.gpkg", layer="service_areas_primary")
    assert list(zip(areas["facility_id"], areas["threshold_minutes"], strict=True)) == [
        ("thc2", 15.0), ("thc2", 30.0), ("vc1", 15.0), ("vc1", 30.0)]
    # Summary: d3 (300 residents) is outside 15 min of primary care and 30 min of referral.
    assert summary.outside_primary is not None
    assert (summary.outside_primary.residents, summary.outside_primary.villages) == (300.0, 1)
    assert summary.outside_referral is not None
    assert summary.outside_referral.threshold_minutes == 30.0
    assert summary.outside_referral.villages == 1
    assert summary.total_residents == 1800.0
    text = summary.to_text()
    assert "outside 15 min of primary: 300 residents (16.7%) in 1 villages" in text


def test_outputs_are_deterministic(tmp_path: Path) -> None:
    run(tmp_path / "a")
    run(tmp_path / "b")
    for name in ("coverage.csv", "towns_coverage.csv", "access.csv", "inequality.csv",
                 "summary.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_rerun_replaces_the_folder_whole(tmp_path: Path) -> None:
    out = tmp_path / "coverage"
    run(out, make_map=True)
    run(out)
    assert not (out / "gaps_map.png").exists()  # the earlier run's map is not this run's
    assert (out / "coverage.csv").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["coverage"]


def test_failure_leaves_nothing_partial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "coverage"
    run(out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def broken_map(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full while drawing")

    monkeypatch.setattr(coverage_job, "draw_gaps_map", broken_map)
    with pytest.raises(RuntimeError, match="disk full"):
        run(out, make_map=True)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["coverage"]  # no temp folder left


def test_network_mode_without_roads_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="no roads were given"):
        run_coverage(make_towns(), make_demand(), make_facilities(),
                     TravelSettings(mode="network"), DEFAULT_TIER_GROUPS, THRESHOLDS,
                     tmp_path / "coverage")
    assert list(tmp_path.iterdir()) == []


def test_summary_rejects_a_threshold_not_run(tmp_path: Path) -> None:
    summary = run(tmp_path / "coverage")
    with pytest.raises(ScenarioError, match="'referral' at 60 minutes"):
        summary.outside_of("referral", 60)


def test_network_mode_runs_on_the_river_roads(tmp_path: Path) -> None:
    roads = gpd.read_file(Path(__file__).parent / "data" / "roads_river.geojson")
    settings = TravelSettings(mode="network")
    # d3 (x = 20 km) lies 10 km beyond the road ends: a warning, not a failure.
    with pytest.warns(MedallocWarning, match="from any road"):
        summary = run_coverage(make_towns(), make_demand(), make_facilities(), settings,
                               DEFAULT_TIER_GROUPS, THRESHOLDS, tmp_path / "net", roads=roads,
                               make_map=False)
    assert summary.mode == "network"
    coverage = pd.read_csv(tmp_path / "net" / "coverage.csv")
    # d2 (6 000, 0) sits midway between the banks (100 m from each); thc2 (6 000, 2 000) snaps
    # 1 900 m onto the north road. Primary care is by e-bike: 10 km/h off-road (166.67 m/min),
    # 15 km/h on the road (250 m/min). Snapped north, d2 shares thc2's edge and foot:
    # (100 + 1 900) / 166.67 = 12 min. Snapped south, it rides 4 km east, the 200 m bridge and
    # 4 km back: 0.6 + 8 200 / 250 + 11.4 = 44.8 min. Which bank is nearer is float noise of
    # the WGS84 round trip, so the expectation follows the snap.
    network = build_network(roads, settings)
    xy = point_xy(make_demand().iloc[[1]], settings.crs, layer="demand")
    edge = snap_points(network, xy, what="demand").edge[0]
    north = bool(network.node_xy[network.edge_u[edge], 1] > xy[0, 1])
    expected = 12.0 if north else 44.8
    assert coverage["nearest_primary_minutes"].iloc[1] == pytest.approx(expected, abs=1e-6)
    assert list(coverage["covered_primary_15"])[1:] == [north, False]
    assert list(coverage["covered_primary_30"])[1:] == [north, False]
    # d3's off-road leg alone is 10 km at 166.67 m/min = 60 min.
    assert coverage["nearest_primary_minutes"].iloc[2] > 60
