"""Hostile input data: every kind of bad or odd file is refused or read, never a traceback.

One case per kind (issue 12): non-finite and absurd numbers, broken polygons, CSV dialects and
encodings, conflicting or missing files, undeclared projections, towns and demand that disagree,
and spreadsheets. Each asserts the error class or exit code and that the message names the file,
row, column, value and fix. Every fixture is built here from the tiny dataset of conftest.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Polygon
from support.cli import ROOT, edit_csv
from support.county import write_county
from support.tiny import write_tiny
from typer.testing import CliRunner

from optimizer.cli import app
from optimizer.dataset.load import Dataset, load_dataset
from optimizer.errors import EXIT_DATA, DataError, MedallocWarning

runner = CliRunner()
NAMES_ZH = ["区人民医院", "乙镇卫生院", "丙镇卫生院"]
# A self-intersecting "bow-tie" over town B's square.
BOW_TIE = Polygon([(105.9, 29.3), (106.0, 29.4), (106.0, 29.3), (105.9, 29.4)])


def problems_of(folder: Path, **options: bool) -> list[str]:
    with pytest.raises(DataError, match="problem") as info:
        load_dataset([folder], **options)
    return [str(p) for p in info.value.problems]


def validate_cli(*args: str) -> tuple[int, str]:
    """Run ``medalloc validate``; it must end by its own exit, never an uncaught exception."""
    result = runner.invoke(app, ["validate", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        result.exception)
    output = result.output + (result.stderr if result.stderr_bytes else "")
    assert "Traceback" not in output
    return result.exit_code, output


def validate_process(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``medalloc validate`` as the user does, in its own process."""
    done = subprocess.run([sys.executable, "-m", "optimizer", "validate", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120, check=False)
    assert "Traceback" not in done.stderr + done.stdout
    return done


def edit_towns(folder: Path, position: int, column: str, value: object) -> None:
    """Set one attribute (or the geometry) of one town in towns.geojson."""
    towns = gpd.read_file(folder / "towns.geojson")
    if column != "geometry":
        towns[column] = towns[column].astype(object) if column in towns else None
    towns.loc[position, column] = value
    towns.to_file(folder / "towns.geojson", driver="GeoJSON")


def same_layers(left: Dataset, right: Dataset) -> None:
    for name in ("towns", "facilities", "demand"):
        pd.testing.assert_frame_equal(getattr(left, name), getattr(right, name))


# ---- non-finite and absurd numbers -------------------------------------------------------------

def test_infinite_population_is_refused_by_validate(tiny: Path) -> None:
    edit_csv(tiny / "demand.csv", 3, "population", "inf")
    done = validate_process(str(tiny), cwd=tiny.parent)
    assert done.returncode == EXIT_DATA
    assert ("demand.csv, line 3, column 'population': not a finite number (got 'inf'). "
            "Fix: write a number from 0 to 5,000,000 residents per demand point") in done.stderr


def test_huge_population_names_the_plausible_range(tiny: Path) -> None:
    edit_csv(tiny / "demand.csv", 2, "population", "1e300")
    code, output = validate_cli(str(tiny))
    assert code == EXIT_DATA
    assert ("demand.csv, line 2, column 'population': implausibly large (more than 5,000,000 "
            "residents per demand point) (got '1e300'). Fix: expected 0 to 5,000,000") in output


def test_huge_town_population_in_geojson(tiny: Path) -> None:
    edit_towns(tiny, 1, "pop_2020", 1e300)
    found = problems_of(tiny)
    assert any("towns.geojson, feature 2, column 'pop_2020': implausibly large" in p
               and "'1e+300'" in p and "0 to 5,000,000 residents per town" in p for p in found)


def test_nan_population_is_not_a_number(tiny: Path) -> None:
    edit_csv(tiny / "demand.csv", 4, "population", "NaN")
    found = problems_of(tiny)
    assert found == [f"{tiny / 'demand.csv'}, line 4, column 'population': not a number (NaN) "
                     "(got 'NaN'). Fix: write a number from 0 to 5,000,000 residents per demand "
                     "point"]


def test_negative_population(tiny: Path) -> None:
    edit_csv(tiny / "demand.csv", 2, "population", "-5000")
    code, output = validate_cli(str(tiny))
    assert code == EXIT_DATA
    assert ("demand.csv, line 2, column 'population': negative value (got '-5000'). Fix: counts "
            "and populations must be 0 or more") in output


@pytest.mark.parametrize(("column", "value"), [("beds", "2000000"), ("nurses", "1e9"),
                                               ("ambulances", "5e6")])
def test_absurd_resource_counts(tiny: Path, column: str, value: str) -> None:
    frame = pd.read_csv(tiny / "facilities.csv", dtype=str)
    frame["ambulances"] = "1"
    frame.to_csv(tiny / "facilities.csv", index=False)
    edit_csv(tiny / "facilities.csv", 3, column, value)
    found = problems_of(tiny)
    assert found == [f"{tiny / 'facilities.csv'}, line 3, column '{column}': implausibly large "
                     f"(more than 100,000 per facility) (got '{value}'). Fix: expected 0 to "
                     "100,000 per facility; check for extra digits, a unit mistake or a total "
                     "typed into one row"]


@pytest.mark.parametrize("share", [1.7, -0.1])
def test_share_65plus_outside_0_to_1(tiny: Path, share: float) -> None:
    edit_towns(tiny, 2, "share_65plus", share)
    found = problems_of(tiny)
    assert found == [f"{tiny / 'towns.geojson'}, feature 3, column 'share_65plus': not a share "
                     f"between 0 and 1 (got '{share}'). Fix: write e.g. 0.2029 for 20.29 %"]


# ---- geometry ----------------------------------------------------------------------------------

def test_self_intersecting_town_is_named_by_feature(tiny: Path) -> None:
    edit_towns(tiny, 1, "geometry", BOW_TIE)
    code, output = validate_cli(str(tiny))
    assert code == EXIT_DATA
    assert ("towns.geojson, feature 2, column 'geometry': invalid Polygon of 500000002 乙镇 "
            "(got 'Self-intersection[105.95 29.35]'). Fix: repair it in QGIS") in output
    assert "repair_geometry=True" in output
    assert "1 problem" in output  # not also a point outside the broken town


def test_self_intersecting_town_repaired_on_request(tiny: Path) -> None:
    edit_towns(tiny, 1, "geometry", BOW_TIE)
    with pytest.warns(MedallocWarning, match=r"feature 2, column 'geometry': invalid polygon "
                      r"of 500000002 乙镇 repaired with shapely.make_valid"):
        data = load_dataset([tiny], repair_geometry=True)
    town = data.towns.geometry.iloc[1]
    assert town.is_valid
    assert town.geom_type == "MultiPolygon"
    assert town.area == pytest.approx(0.005)  # two triangles, a quarter of the square each
    assert data.notes[0].row == "feature 2"


def test_projected_towns_without_crs_blame_the_towns_file(tiny: Path) -> None:
    metres = json.loads(gpd.read_file(tiny / "towns.geojson").to_crs("EPSG:4544").to_json())
    # Without its "crs" member a GeoJSON is read as WGS84, with coordinates in metres.
    del metres["crs"]
    (tiny / "towns.geojson").write_text(json.dumps(metres), encoding="utf-8")
    found = problems_of(tiny)
    assert len(found) == 1, found
    assert found[0].startswith(f"{tiny / 'towns.geojson'}, column 'geometry': coordinates are "
                               "not longitude/latitude degrees")
    assert "projected CRS (metres) that the file does not declare" in found[0]
    assert "Fix: export the layer again in WGS84 (EPSG:4326)" in found[0]


def test_projected_geopackage_without_crs_is_one_problem(tiny: Path) -> None:
    metres = gpd.read_file(tiny / "towns.geojson").to_crs("EPSG:4544")
    (tiny / "towns.geojson").unlink()
    with pytest.warns(UserWarning, match="crs"):
        metres.set_crs(None, allow_override=True).to_file(tiny / "towns.gpkg", driver="GPKG")
    found = problems_of(tiny)
    assert len(found) == 1, found
    assert "towns.gpkg, column 'geometry': layer has no coordinate reference system" in found[0]
    assert "look like metres of a projected CRS" in found[0]
    assert "-a_srs EPSG:4544" in found[0]


# ---- CSV dialects and encodings ----------------------------------------------------------------

def test_semicolon_csv_is_read_and_noted(tiny: Path, tmp_path: Path) -> None:
    reference = load_dataset([write_tiny(tmp_path / "reference")])
    path = tiny / "facilities.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",", ";"), encoding="utf-8")
    with pytest.warns(MedallocWarning, match=r"facilities.csv, line 1: this file uses ';' as "
                      "its delimiter"):
        code, output = validate_cli(str(tiny))
    assert code == 0, output
    assert "missing" not in output
    with pytest.warns(MedallocWarning, match="delimiter"):
        result = runner.invoke(app, ["validate", "--json", str(tiny)])
    note = json.loads(result.stdout)["datasets"][0]["notes"][0]
    assert (note["row"], note["message"][:30]) == ("line 1", "this file uses ';' as its deli")
    with pytest.warns(MedallocWarning, match="delimiter"):
        same_layers(load_dataset([tiny]), reference)


def test_decimal_commas_under_semicolons_are_read(tiny: Path, tmp_path: Path) -> None:
    reference = load_dataset([write_tiny(tmp_path / "reference")])
    path = tiny / "demand.csv"
    text = path.read_text(encoding="utf-8").replace(",", ";")
    path.write_text(text.replace(".", ",").replace("5000;", "5.000,0;"), encoding="utf-8")
    with pytest.warns(MedallocWarning, match=r"demand.csv, line 2, column 'population': numbers "
                      r"use a decimal comma; read '5.000,0' as 5000.0"):
        data = load_dataset([tiny])
    same_layers(data, reference)


def test_utf16_le_with_bom_tab_delimited(tiny: Path) -> None:
    # What Excel writes as "Unicode Text": UTF-16 LE with a byte-order mark, tab-delimited.
    path = tiny / "facilities.csv"
    text = path.read_text(encoding="utf-8").replace(",", "\t")
    path.write_bytes(text.encode("utf-16"))  # little-endian with BOM on every platform we run
    assert path.read_bytes()[:2] == b"\xff\xfe"
    with pytest.warns(MedallocWarning, match="uses a tab as its delimiter"):
        data = load_dataset([tiny])
    assert data.facilities["name_zh"].tolist() == NAMES_ZH


def test_utf16_be_with_bom(tiny: Path) -> None:
    path = tiny / "demand.csv"
    path.write_bytes(b"\xfe\xff" + path.read_text(encoding="utf-8").encode("utf-16-be"))
    data = load_dataset([tiny])
    assert data.demand["name_zh"].tolist() == ["甲社区", "乙村", "丙村"]


def test_utf16_without_bom_is_named_not_gb18030(tiny: Path) -> None:
    path = tiny / "demand.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16-le"))
    found = problems_of(tiny)
    assert len(found) == 1
    assert "demand.csv, line 1" in found[0]
    assert "looks like UTF-16 text without a byte-order mark" in found[0]
    assert "GB18030 (as" not in found[0]


def test_utf8_bom_geojson_and_csv(tiny: Path) -> None:
    for name in ("facilities.csv", "towns.geojson"):
        path = tiny / name
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    data = load_dataset([tiny])
    assert data.facilities["name_zh"].tolist() == NAMES_ZH
    assert data.towns["name_zh"].tolist() == ["甲街道", "乙镇", "丙镇"]


def test_utf16_geojson_keeps_chinese_names(tiny: Path) -> None:
    path = tiny / "towns.geojson"
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16"))
    data = load_dataset([tiny])
    assert data.towns["name_zh"].tolist() == ["甲街道", "乙镇", "丙镇"]


def test_gbk_is_named_with_the_fix(tiny: Path) -> None:
    path = tiny / "facilities.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("gbk"))
    code, output = validate_cli(str(tiny))
    assert code == EXIT_DATA
    assert "facilities.csv, line 2: is encoded in GBK/GB18030" in output
    assert "(got 'bytes " in output
    assert "Fix: re-save it as UTF-8 (Excel: File > Save As > 'CSV UTF-8'" in output


# ---- files: conflicting, missing ---------------------------------------------------------------

def test_csv_and_xlsx_for_one_layer_conflict(tiny: Path) -> None:
    pd.read_csv(tiny / "facilities.csv").to_excel(tiny / "facilities.xlsx", index=False)
    code, output = validate_cli(str(tiny))
    assert code == EXIT_DATA
    assert (f"{tiny / 'facilities.csv'}: 2 files hold the facilities layer: "
            f"{tiny / 'facilities.csv'} and {tiny / 'facilities.xlsx'}, sheet 'Sheet1'. Fix: keep "
            "one of them and move or rename the others") in output
    assert "1 problem" in output


def test_geojson_and_geopackage_for_towns_conflict(tiny: Path) -> None:
    gpd.read_file(tiny / "towns.geojson").to_file(tiny / "towns.gpkg", driver="GPKG")
    found = problems_of(tiny)
    assert found == [f"{tiny / 'towns.geojson'}: 2 files hold the towns layer: "
                     f"{tiny / 'towns.geojson'} and {tiny / 'towns.gpkg'}. Fix: keep one of them "
                     "and move or rename the others (medalloc will not guess which one is "
                     "current)"]


def test_missing_folder_says_folder_not_found(tmp_path: Path) -> None:
    done = validate_process("no_such_data", cwd=tmp_path)
    assert done.returncode == EXIT_DATA
    assert "no_such_data: folder not found. Fix: check the path" in done.stderr
    assert "cannot tell which layer" not in done.stderr
    assert "no towns layer" not in done.stderr


# ---- towns against demand ----------------------------------------------------------------------

def test_population_200_percent_off_is_an_error(tiny: Path) -> None:
    edit_csv(tiny / "demand.csv", 3, "population", "9000")
    code, output = validate_cli(str(tiny))
    assert code == EXIT_DATA
    assert ("towns.geojson, feature 2, column 'pop_2020': town 500000002 乙镇: pop_2020 is 3,000 "
            "but its 1 demand point in demand.csv sum to 9,000 (+200.0% off; tolerance 5%), "
            "beyond 50% (got '3000'). Fix: make both count the same residents") in output


def test_population_10_percent_off_is_a_note(tiny: Path) -> None:
    edit_csv(tiny / "demand.csv", 4, "population", "1800")
    with pytest.warns(MedallocWarning, match=r"town 500000003 丙镇: pop_2020 is 2,000 but its "
                      r"1 demand point in demand.csv sum to 1,800 \(-10.0% off; tolerance 5%\)"):
        data = load_dataset([tiny])
    assert data.notes[0].column == "pop_2020"
    load_dataset([tiny], population_tolerance=0.1)  # no warning: within the stated tolerance
    with pytest.raises(DataError, match="beyond 8%"):
        load_dataset([tiny], population_tolerance=0.05, population_limit=0.08)


def test_town_with_residents_but_no_demand_points(tiny: Path) -> None:
    frame = pd.read_csv(tiny / "demand.csv", dtype=str)
    frame[frame["town_code"] != "500000003"].to_csv(tiny / "demand.csv", index=False)
    found = problems_of(tiny)
    assert found == [f"{tiny / 'towns.geojson'}, feature 3, column 'pop_2020': town 500000003 "
                     "丙镇 has 2,000 residents but no demand points in demand.csv, so its "
                     "coverage cannot be measured (got '2000'). Fix: add its villages (or one "
                     "point at its seat) to demand.csv with town_code 500000003, or set pop_2020 "
                     "to 0 if nobody lives there"]


def test_unknown_town_code_in_demand(tiny: Path) -> None:
    edit_csv(tiny / "demand.csv", 2, "town_code", "500000009")
    found = problems_of(tiny)
    assert any("demand.csv, line 2, column 'town_code': unknown town code: not in "
               "towns.geojson (got '500000009')" in p for p in found)


# ---- spreadsheets ------------------------------------------------------------------------------

def to_workbook(folder: Path, name: str, *, startrow: int = 0,
                towns_sheet: bool = False) -> Path:
    """Move facilities.csv and demand.csv of ``folder`` into one workbook with a sheet each."""
    path = folder / name
    with pd.ExcelWriter(path, engine="openpyxl") as book:
        for layer in ("facilities", "demand"):
            frame = pd.read_csv(folder / f"{layer}.csv", dtype={"town_code": str})
            frame.to_excel(book, sheet_name=layer, index=False, startrow=startrow)
            (folder / f"{layer}.csv").unlink()
        if towns_sheet:
            towns = gpd.read_file(folder / "towns.geojson")
            towns.drop(columns="geometry").to_excel(book, sheet_name="towns", index=False)
    return path


def test_xlsx_one_file_per_layer(tiny: Path, tmp_path: Path) -> None:
    reference = load_dataset([write_tiny(tmp_path / "reference")])
    for layer in ("facilities", "demand"):
        frame = pd.read_csv(tiny / f"{layer}.csv", dtype={"town_code": str})
        frame.to_excel(tiny / f"{layer}.xlsx", sheet_name=layer, index=False)
        (tiny / f"{layer}.csv").unlink()
    data = load_dataset([tiny])
    same_layers(data, reference)
    assert data.files["facilities"] == str(tiny / "facilities.xlsx")


def test_xlsx_registry_validates_and_matches_csv(tiny: Path, tmp_path: Path) -> None:
    reference = load_dataset([write_tiny(tmp_path / "reference")])
    to_workbook(tiny, "registry.xlsx", towns_sheet=True)
    code, output = validate_cli(str(tiny))
    assert code == 0, output
    assert "facilities: 3 (1 secondary_hospital, 2 township_health_centre)" in output
    data = load_dataset([tiny])
    same_layers(data, reference)
    assert data.facilities["name_zh"].tolist() == NAMES_ZH
    assert data.files["demand"] == str(tiny / "registry.xlsx")
    # The workbook may also be named on its own, beside the towns file.
    again = load_dataset([tiny / "towns.geojson", tiny / "registry.xlsx"])
    same_layers(again, reference)


def test_bad_value_in_xlsx_names_sheet_and_excel_row(tiny: Path) -> None:
    frame = pd.read_csv(tiny / "facilities.csv", dtype=str)
    frame.loc[1, "beds"] = "很多"  # second data row
    frame.to_csv(tiny / "facilities.csv", index=False)
    to_workbook(tiny, "卫生资源.xlsx", startrow=2)  # header on Excel row 3, data from row 4
    code, output = validate_cli(str(tiny))
    assert code == EXIT_DATA
    assert (f"{tiny / '卫生资源.xlsx'}, sheet 'facilities', row 5, column 'beds': not a number "
            "(got '很多'). Fix: write a plain number such as 120") in output


@pytest.mark.parametrize(("name", "content", "message"), [
    ("facilities.xlsx", b"PK\x03\x04 not really a workbook", "not readable as an Excel workbook"),
    ("facilities.xls", b"\xd0\xcf\x11\xe0", ".xls files are not read"),
])
def test_unreadable_spreadsheet_is_named(tiny: Path, name: str, content: bytes,
                                         message: str) -> None:
    (tiny / "facilities.csv").unlink()
    (tiny / name).write_bytes(content)
    code, output = validate_cli(str(tiny / "towns.geojson"), str(tiny / name),
                                str(tiny / "demand.csv"))
    assert code == EXIT_DATA
    assert f"{tiny / name}: {message}" in output
    assert "Fix: save it" in output or "Fix: open it in Excel and save it again" in output
    assert "no facilities layer" not in output


def test_xlsx_registry_runs_a_scenario(tmp_path: Path) -> None:
    scenario = write_county(tmp_path / "csv")
    result = runner.invoke(app, ["run", str(scenario), "--out", str(tmp_path / "csv_out"),
                                 "--no-maps"])
    assert result.exit_code == 0, result.output
    scenario = write_county(tmp_path / "xlsx")
    to_workbook(scenario.parent / "county", "registry.xlsx")
    result = runner.invoke(app, ["run", str(scenario), "--out", str(tmp_path / "xlsx_out"),
                                 "--no-maps"])
    assert result.exit_code == 0, result.output
    for name in ("plan.csv", "towns.csv", "indicators.csv"):
        assert (tmp_path / "xlsx_out" / name).read_bytes() == (
            tmp_path / "csv_out" / name).read_bytes(), name


@pytest.mark.slow
def test_shipped_data_still_validates_without_notes() -> None:
    for folder in (ROOT / "data", ROOT / "data" / "dianjiang"):
        assert load_dataset([folder]).notes == ()
