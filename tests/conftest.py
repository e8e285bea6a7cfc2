"""Shared fixtures: a tiny hand-made dataset written to a temporary folder."""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box
from typer.testing import CliRunner, Result

from optimizer.cli import app

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True, scope="session")
def _travel_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Road tables are cached in a temporary folder, never in the user's cache."""
    os.environ["MEDALLOC_CACHE_DIR"] = str(tmp_path_factory.mktemp("travel-cache"))


def invoke(*args: str | Path) -> Result:
    """Run the CLI in-process with ``args`` (paths as text)."""
    return CliRunner().invoke(app, [str(a) for a in args])


def assert_clean(result: Result, code: int, *needles: str) -> None:
    """The exit code, every needle in the output, and no traceback."""
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in result.output, (needle, result.output)


# Three 0.1-degree squares side by side near Yongchuan; towns A (urban) B and C (rural).
TOWNS = [
    ("500000001", "甲街道", "Jia Subdistrict", "subdistrict", 5000, box(105.8, 29.3, 105.9, 29.4)),
    ("500000002", "乙镇", "Yi Town", "town", 3000, box(105.9, 29.3, 106.0, 29.4)),
    ("500000003", "丙镇", "Bing Town", "town", 2000, box(106.0, 29.3, 106.1, 29.4)),
]
FACILITIES_CSV = """facility_id,name_zh,tier,town_code,lon,lat,beds,doctors,nurses
H1,区人民医院,secondary_hospital,500000001,105.85,29.35,40,20,30
T2,乙镇卫生院,township_health_centre,500000002,105.95,29.35,8,5,6
T3,丙镇卫生院,township_health_centre,500000003,106.05,29.35,2,3,4
"""
DEMAND_CSV = """demand_id,name_zh,kind,town_code,population,lon,lat
D1,甲社区,community,500000001,5000,105.86,29.36
D2,乙村,village,500000002,3000,105.96,29.36
D3,丙村,village,500000003,2000,106.06,29.31
"""


def write_tiny(folder: Path) -> Path:
    """Write the tiny dataset (towns.geojson, facilities.csv, demand.csv) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    towns = gpd.GeoDataFrame(
        [t[:5] for t in TOWNS],
        columns=["code", "name_zh", "name_en", "kind", "pop_2020"],
        geometry=[t[5] for t in TOWNS],
        crs="EPSG:4326",
    )
    towns.to_file(folder / "towns.geojson", driver="GeoJSON")
    (folder / "facilities.csv").write_text(FACILITIES_CSV, encoding="utf-8")
    (folder / "demand.csv").write_text(DEMAND_CSV, encoding="utf-8")
    return folder


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """A valid tiny dataset folder."""
    return write_tiny(tmp_path / "tiny")


def edit_csv(path: Path, line: int, column: str, value: str) -> None:
    """Set one cell of a CSV (``line`` counted as a spreadsheet shows it: header is line 1)."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[line - 2, column] = value
    frame.to_csv(path, index=False)
