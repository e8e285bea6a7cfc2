"""Excel-friendly tables: CSVs with a BOM, and one results.xlsx with Chinese names intact."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from support.county import write_county
from typer.testing import CliRunner

from optimizer.cli import app
from optimizer.results.files import WORKBOOK, read_output_csv, write_csv, write_workbook

BOM = b"\xef\xbb\xbf"


def test_csv_has_the_bom_and_reads_back(tmp_path: Path) -> None:
    frame = pd.DataFrame({"town_code": ["500118001"], "name_zh": ["朱沱镇"], "beds": [1.5]})
    path = write_csv(frame, tmp_path / "t.csv")
    assert path.read_bytes().startswith(BOM + b"town_code,")
    back = read_output_csv(path, dtype={"town_code": str})
    assert back.to_dict("records") == [{"town_code": "500118001", "name_zh": "朱沱镇",
                                        "beds": 1.5}]


def test_workbook_keeps_ids_as_text_and_numbers_as_numbers(tmp_path: Path) -> None:
    write_csv(pd.DataFrame({"demand_id": ["500118001001", "500118001002"],
                            "minutes": [12.5, None], "name_zh": ["松溉村", "朱沱村"],
                            "population": [1200, 800]}), tmp_path / "coverage.csv")
    book = load_workbook(write_workbook(tmp_path), read_only=True)
    rows = list(book["coverage"].iter_rows(values_only=True))
    assert rows == [("demand_id", "minutes", "name_zh", "population"),
                    ("500118001001", 12.5, "松溉村", 1200),
                    ("500118001002", None, "朱沱村", 800)]


def test_run_xlsx_matches_the_csvs(tmp_path: Path) -> None:
    scenario = write_county(tmp_path / "project")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", str(scenario), "--out", str(out), "--no-maps",
                                      "--xlsx"])
    assert result.exit_code == 0, result.output
    csvs = sorted(out.glob("*.csv"))
    assert [p.name for p in csvs] == ["indicators.csv", "plan.csv", "towns.csv"]
    for path in csvs:
        assert path.read_bytes().startswith(BOM), path.name
    book = load_workbook(out / WORKBOOK, read_only=True)
    assert book.sheetnames == ["indicators", "plan", "towns"]
    for path in csvs:
        rows = list(book[path.stem].iter_rows(values_only=True))
        assert len(rows) - 1 == len(read_output_csv(path)), path.name
    plan = list(book["plan"].iter_rows(values_only=True))
    assert any("区人民医院" in row for row in plan)
    towns = list(book["towns"].iter_rows(values_only=True))
    assert ("500000002", "乙镇") in {row[:2] for row in towns}


@pytest.mark.parametrize("command", ["coverage", "justify"])
@pytest.mark.filterwarnings("ignore::optimizer.errors.MedallocWarning")
def test_other_jobs_write_a_workbook_too(command: str, tmp_path: Path) -> None:
    scenario = write_county(tmp_path / "project")
    extra = ["--sites", "乙镇,丙镇"] if command == "justify" else []
    result = CliRunner().invoke(app, [command, str(scenario), *extra, "--out",
                                      str(tmp_path / "o"), "--no-maps", "--xlsx"])
    assert result.exit_code == 0, result.output
    book = load_workbook(tmp_path / "o" / WORKBOOK, read_only=True)
    assert book.sheetnames == sorted(p.stem for p in (tmp_path / "o").glob("*.csv"))
