"""Loading and validation: every kind of bad input is reported with file, row, column and fix."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
from support.cli import edit_csv
from typer.testing import CliRunner

from optimizer.cli import app
from optimizer.dataset.load import load_dataset
from optimizer.errors import EXIT_DATA, DataError

runner = CliRunner()


def problems_of(folder: Path) -> list[str]:
    with pytest.raises(DataError, match="problem") as info:
        load_dataset([folder])
    return [str(p) for p in info.value.problems]


def run_validate(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["validate", *args])
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes else "")


def test_tiny_dataset_loads(tiny: Path) -> None:
    data = load_dataset([tiny])
    assert list(data.towns["code"]) == ["500000001", "500000002", "500000003"]
    assert data.facilities["beds"].tolist() == [40, 8, 2]
    assert data.demand["population"].sum() == 10_000
    assert data.towns.crs.to_epsg() == 4326
    assert data.resources == ["beds", "doctors", "nurses"]


def test_misspelt_column_is_named(tiny: Path) -> None:
    path = tiny / "facilities.csv"
    path.write_text(path.read_text().replace("facility_id", "facilty_id", 1), encoding="utf-8")
    code, output = run_validate(str(tiny))
    assert code == EXIT_DATA
    assert "facilities.csv, line 1, column 'facility_id'" in output
    assert "rename column 'facilty_id' to 'facility_id'" in output


def test_missing_column_is_named(tiny: Path) -> None:
    path = tiny / "demand.csv"
    path.write_text(path.read_text().replace("population", "pop"), encoding="utf-8")
    found = problems_of(tiny)
    assert any("line 1, column 'population': required column 'population' is missing" in p
               for p in found)


@pytest.mark.parametrize(
    ("value", "message"),
    [("abc", "not a number"), ("-4", "negative value"), ("2.5", "not a whole number")],
)
def test_bad_counts_name_row_and_column(tiny: Path, value: str, message: str) -> None:
    edit_csv(tiny / "facilities.csv", 3, "beds", value)
    code, output = run_validate(str(tiny))
    assert code == EXIT_DATA
    assert f"facilities.csv, line 3, column 'beds': {message} (got '{value}')" in output


def test_negative_population(tiny: Path) -> None:
    edit_csv(tiny / "demand.csv", 4, "population", "-1")
    found = problems_of(tiny)
    assert any("line 4, column 'population': negative value" in p for p in found)


def test_duplicate_ids(tiny: Path) -> None:
    edit_csv(tiny / "demand.csv", 3, "demand_id", "D1")
    found = problems_of(tiny)
    assert any("line 3, column 'demand_id': duplicate id (first used on line 2)" in p
               for p in found)


def test_unknown_town_code_with_suggestion(tiny: Path) -> None:
    edit_csv(tiny / "facilities.csv", 4, "town_code", "500000004")
    found = problems_of(tiny)
    assert any("facilities.csv, line 4, column 'town_code': unknown town code" in p
               and "'500000004'" in p for p in found)


def test_point_outside_district(tiny: Path) -> None:
    edit_csv(tiny / "demand.csv", 2, "lon", "104.5")
    found = problems_of(tiny)
    assert any("demand.csv, line 2, column 'lon/lat': point lies outside" in p for p in found)


def test_projected_coordinates_in_lon_lat(tiny: Path) -> None:
    edit_csv(tiny / "facilities.csv", 2, "lon", "395000")
    found = problems_of(tiny)
    assert any("line 2, column 'lon': longitude out of range" in p for p in found)


def test_unknown_tier_suggests_closest(tiny: Path) -> None:
    edit_csv(tiny / "facilities.csv", 2, "tier", "secondary_hospitl")
    found = problems_of(tiny)
    assert any("column 'tier': not an allowed value" in p
               and "did you mean 'secondary_hospital'" in p for p in found)


def test_missing_crs_in_geopackage(tiny: Path) -> None:
    towns = gpd.read_file(tiny / "towns.geojson")
    (tiny / "towns.geojson").unlink()
    with pytest.warns(UserWarning, match="crs"):
        towns.set_crs(None, allow_override=True).to_file(tiny / "towns.gpkg", driver="GPKG")
    found = problems_of(tiny)
    assert any("towns.gpkg, column 'geometry': layer has no coordinate reference system" in p
               for p in found)


@pytest.mark.parametrize("content", ["", "facility_id,name_zh,tier,town_code,lon,lat,beds\n"])
def test_empty_files(tiny: Path, content: str) -> None:
    (tiny / "facilities.csv").write_text(content, encoding="utf-8")
    code, output = run_validate(str(tiny))
    assert code == EXIT_DATA
    assert "facilities.csv" in output
    assert ("file is empty" in output) if not content else ("no data rows" in output)


def test_gbk_encoding_is_explained(tiny: Path) -> None:
    path = tiny / "demand.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("gb18030"))
    found = problems_of(tiny)
    assert any("demand.csv, line 2" in p and "GBK/GB18030" in p and "CSV UTF-8" in p
               for p in found)


def test_utf8_bom_keeps_chinese_names(tiny: Path) -> None:
    path = tiny / "facilities.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    data = load_dataset([tiny])
    assert data.facilities["name_zh"].tolist() == ["区人民医院", "乙镇卫生院", "丙镇卫生院"]
    assert "facility_id" in data.facilities.columns


def test_every_problem_is_collected_at_once(tiny: Path) -> None:
    edit_csv(tiny / "facilities.csv", 2, "beds", "x")
    edit_csv(tiny / "demand.csv", 4, "population", "-5")
    edit_csv(tiny / "demand.csv", 3, "town_code", "nope")
    found = problems_of(tiny)
    assert len(found) == 3
    assert found[0].startswith(str(tiny / "demand.csv") + ", line 3")


def test_missing_layer_and_unknown_file(tiny: Path, tmp_path: Path) -> None:
    (tiny / "demand.csv").unlink()
    stray = tmp_path / "notes.csv"
    stray.write_text("a\n1\n", encoding="utf-8")
    code, output = run_validate(str(tiny / "towns.geojson"), str(tiny / "facilities.csv"),
                                str(stray))
    assert code == EXIT_DATA
    assert "no demand layer found" in output
    assert "cannot tell which layer this file is" in output


def test_validate_json_reports_problems(tiny: Path) -> None:
    edit_csv(tiny / "facilities.csv", 2, "beds", "-1")
    result = runner.invoke(app, ["validate", "--json", str(tiny)])
    assert result.exit_code == EXIT_DATA
    payload = json.loads(result.stdout)
    assert payload["ok"] is False
    assert payload["problems"][0]["row"] == "line 2"
    assert payload["problems"][0]["column"] == "beds"


def test_geojson_demand_points(tiny: Path) -> None:
    data = load_dataset([tiny])
    (tiny / "demand.csv").unlink()
    data.demand.drop(columns=["lon", "lat"]).to_file(tiny / "demand.geojson", driver="GeoJSON")
    again = load_dataset([tiny])
    assert again.demand["lon"].tolist() == pytest.approx(data.demand["lon"].tolist())
    assert again.demand["population"].tolist() == [5000, 3000, 2000]


def test_projected_geopackage_is_reprojected(tiny: Path) -> None:
    towns = gpd.read_file(tiny / "towns.geojson").to_crs("EPSG:4544")
    (tiny / "towns.geojson").unlink()
    towns.to_file(tiny / "towns.gpkg", driver="GPKG")
    data = load_dataset([tiny])
    assert data.towns.crs.to_epsg() == 4326
    assert data.towns.total_bounds[0] == pytest.approx(105.8, abs=1e-6)
