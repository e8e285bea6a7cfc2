"""run_locate: files in, projected costs, atomic outputs out."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from optimizer.errors import DataError
from optimizer.jobs.locate import run_locate, utm_crs
from optimizer.locate import mclp

DEMAND = """id,x,y,weight
a,0,0,10
b,1000,0,20
c,5000,0,5
d,5000,900,7
"""
SITES = """id,x,y
s1,500,0
s2,5000,500
s3,9000,9000
"""


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "demand.csv").write_text(DEMAND)
    (tmp_path / "sites.csv").write_text(SITES)
    return tmp_path / "demand.csv", tmp_path / "sites.csv"


def test_mclp_run_writes_three_files(files: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    summary = run_locate("mclp", *files, out_dir=out, standard=600.0, p=1, crs="EPSG:32648")
    assert summary["selected"] == ["s1"]  # covers a and b (30) against c and d (12)
    assert summary["objective"] == 30.0
    assert summary["status"] == "optimal"
    assert sorted(p.name for p in out.iterdir()) == [
        ".medalloc-output", "sites.csv", "sites.geojson", "summary.json"]
    assert json.loads((out / "summary.json").read_text())["objective"] == 30.0
    table = pd.read_csv(out / "sites.csv")
    assert table.set_index("site_id")["selected"].to_dict() == {
        "s1": True,
        "s2": False,
        "s3": False,
    }
    assert gpd.read_file(out / "sites.geojson")["id"].tolist() == ["s1"]
    # same answer as the kernel on a hand-built matrix
    d = np.array([[0, 0], [1000, 0], [5000, 0], [5000, 900]], float)
    s = np.array([[500, 0], [5000, 500], [9000, 9000]], float)
    costs = np.sqrt(((d[:, None] - s[None]) ** 2).sum(-1))
    assert mclp(costs, [10, 20, 5, 7], standard=600.0, p=1).objective == summary["objective"]


def test_rerun_replaces_output_and_minutes_with_speed(files, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_locate("pmedian", *files, out_dir=out, p=2, crs="EPSG:32648")
    (out / "stale.txt").write_text("old")
    summary = run_locate(
        "lscp", *files, out_dir=out, standard=1.0, crs="EPSG:32648", speed_kmh=60.0
    )  # 1 minute = 1000 m at 60 km/h
    assert summary["parameters"]["cost_unit"] == "minutes"
    assert summary["selected"] == ["s1", "s2"]
    assert (out / "stale.txt").read_text() == "old"  # not written by medalloc: carried over
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]


def test_lon_lat_is_projected_to_utm(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("id,lon,lat,weight\n1,105.9,29.35,1\n2,105.91,29.35,1\n")
    (tmp_path / "s.csv").write_text("id,lon,lat\nA,105.9,29.35\n")
    summary = run_locate(
        "pcenter", tmp_path / "d.csv", tmp_path / "s.csv", out_dir=tmp_path / "o", p=1
    )
    assert summary["parameters"]["crs"] == "EPSG:32648"
    assert summary["objective"] == pytest.approx(970, rel=0.01)  # 0.01 deg of lon at 29.35 N
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([-70.0], [-33.0]), crs="EPSG:4326")
    assert utm_crs(pts) == "EPSG:32719"


def test_bad_files_report_every_problem(tmp_path: Path, files) -> None:
    (tmp_path / "bad.csv").write_text("id,x,y,weight\na,0,0,-1\na,zz,0,1\n")
    with pytest.raises(DataError, match=r"3 problems(?s:.*)line 3, column 'id': duplicate"):
        run_locate(
            "pmedian", tmp_path / "bad.csv", files[1], out_dir=tmp_path / "o", p=1, crs="EPSG:32648"
        )
    with pytest.raises(DataError, match="x/y given without a CRS"):
        run_locate("pmedian", *files, out_dir=tmp_path / "o", p=1)
    with pytest.raises(DataError, match="missing standard"):
        run_locate("mclp", *files, out_dir=tmp_path / "o", p=1, crs="EPSG:32648")
    assert not (tmp_path / "o").exists()
