"""The shipped data: valid, traceable, faithful to the sources and rebuilt byte for byte."""

from __future__ import annotations

import filecmp
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from support.cli import ROOT
from typer.testing import CliRunner

from optimizer.cli import app
from optimizer.dataset.load import load_dataset
from optimizer.dataset.summary import summarise

REFERENCE = ROOT / "data" / "reference"
COUNTIES = {
    # folder, reference slug, units, demand points, 2020 census population
    "yongchuan": (ROOT / "data", "yongchuan", 23, 267, 1_148_896),
    "dianjiang": (ROOT / "data" / "dianjiang", "dianjiang", 26, 301, 650_694),
}
# The plans' published figures the shipped counts must reproduce (within rounding).
PLAN_RATES = {
    "yongchuan": {"beds": 7.9, "doctors": 3.6, "nurses": 4.7, "gps": 2.9,
                  "public_health_staff": 0.83},
    "dianjiang": {"doctors": 2.48},
}


@pytest.fixture(scope="module", params=sorted(COUNTIES))
def county(request: pytest.FixtureRequest) -> tuple[str, object]:
    name = request.param
    return name, load_dataset([COUNTIES[name][0]])


def test_summary_matches_plan(county: tuple[str, object]) -> None:
    name, data = county
    summary = summarise(data)  # type: ignore[arg-type]
    _, _, units, points, population = COUNTIES[name]
    assert summary["units"] == units
    assert summary["demand_points"] == points
    assert summary["population"] == population
    assert summary["demand_population"] == population
    for resource, rate in PLAN_RATES[name].items():
        assert round(summary["resources"][resource]["rate"], 2) == pytest.approx(rate)


def test_sourced_fields_are_exact(county: tuple[str, object]) -> None:
    name, data = county
    slug = COUNTIES[name][1]
    ref = pd.read_csv(REFERENCE / f"towns_{slug}.csv", dtype={"code": str}).sort_values("code")
    towns = data.towns.sort_values("code")  # type: ignore[attr-defined]
    assert towns["code"].tolist() == ref["code"].tolist()
    assert towns["name_zh"].tolist() == ref["name_zh"].tolist()
    assert towns["seat_lon"].tolist() == ref["lon"].tolist()
    assert towns["seat_lat"].tolist() == ref["lat"].tolist()
    villages = pd.read_csv(REFERENCE / f"villages_{slug}.csv", dtype={"code": str})
    demand = data.demand  # type: ignore[attr-defined]
    assert sorted(demand["demand_id"]) == sorted(villages["code"])
    by_id = villages.set_index("code")
    assert (demand.set_index("demand_id")["town_code"] == by_id["town_code"].astype(str)).all()
    clinics = data.facilities[data.facilities["tier"] == "village_clinic"]  # type: ignore[attr-defined]
    assert len(clinics) == (villages["kind"] == "village").sum()


def test_every_number_is_traceable(county: tuple[str, object]) -> None:
    _, data = county
    for frame, columns in [
        (data.towns, ["code_source", "seat_source", "pop_method", "geometry_method",  # type: ignore[attr-defined]
                      "share_65plus_method"]),
        (data.demand, ["source", "population_method", "position_method"]),  # type: ignore[attr-defined]
        (data.facilities, ["tier_method", "coord_quality", "resource_method"]),  # type: ignore[attr-defined]
    ]:
        for column in columns:
            assert frame[column].str.len().gt(10).all(), column
    estimated = data.towns["pop_method"].str.startswith("ESTIMATED")  # type: ignore[attr-defined]
    assert estimated.all()  # no per-town 2020 figure is sourced: every one says so


def test_sourced_cqmu_beds_kept() -> None:
    facilities = load_dataset([ROOT / "data"]).facilities
    cqmu = facilities[facilities["name_zh"] == "重庆医科大学附属永川医院"]
    assert cqmu["beds"].tolist() == [1480]
    assert cqmu["resource_method"].str.contains("sourced").all()


@pytest.mark.slow
def test_validate_command_on_shipped_data() -> None:
    result = CliRunner().invoke(app, ["validate", str(ROOT / "data"),
                                      str(ROOT / "data" / "dianjiang")])
    assert result.exit_code == 0, result.output
    assert "1,148,896" in result.stdout
    assert "650,694" in result.stdout
    assert "beds                 9,076  per 1,000      7.90" in result.stdout


@pytest.mark.slow
def test_build_is_deterministic(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(ROOT / "data" / "build.py"), "--out", str(tmp_path)],
                   check=True, capture_output=True)
    names = ["towns.geojson", "demand.csv", "facilities.csv", "boundary.geojson",
             "resource_totals.csv"]
    for sub in ("", "dianjiang"):
        _, mismatch, errors = filecmp.cmpfiles(ROOT / "data" / sub, tmp_path / sub, names,
                                               shallow=False)
        assert mismatch == [], (sub, mismatch)
        assert errors == [], (sub, errors)
