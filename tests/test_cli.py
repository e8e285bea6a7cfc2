"""The command line: exit codes per error class, commands on the shipped data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ROOT
from typer.testing import CliRunner

from optimizer.cli import app
from optimizer.errors import EXIT_DATA, EXIT_USAGE

runner = CliRunner()


def test_help_lists_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("validate", "locate"):
        assert command in result.stdout


def test_unknown_option_is_usage_error() -> None:
    assert runner.invoke(app, ["validate", "--bogus"]).exit_code == EXIT_USAGE


def test_locate_mclp_on_shipped_village_clinics(tmp_path: Path) -> None:
    out = tmp_path / "locate"
    result = runner.invoke(app, [
        "locate", "mclp", "--demand", str(ROOT / "data" / "demand.csv"),
        "--sites", str(ROOT / "data" / "facilities.csv"), "--tier", "village_clinic",
        "--p", "10", "--standard", "15", "--speed-kmh", "15", "--out", str(out), "--json",
    ])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["status"] == "optimal"
    assert summary["n_selected"] == 10
    assert all(site.startswith("VC") for site in summary["selected"])
    assert sorted(p.name for p in out.iterdir()) == ["sites.csv", "sites.geojson", "summary.json"]


@pytest.mark.parametrize(("args", "hint"), [
    (["locate", "mclp", "--p", "3"], "--standard"),
    (["locate", "pmedain", "--p", "3"], "MODEL"),
])
def test_locate_usage_errors(args: list[str], hint: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == EXIT_USAGE
    assert hint in result.output


def test_locate_unknown_tier_is_data_error(tmp_path: Path) -> None:
    result = runner.invoke(app, [
        "locate", "pmedian", "--demand", str(ROOT / "data" / "demand.csv"),
        "--sites", str(ROOT / "data" / "facilities.csv"), "--tier", "hospitl", "--p", "2",
        "--out", str(tmp_path / "o"),
    ])
    assert result.exit_code == EXIT_DATA
    assert "column 'tier': no candidate site has these tiers" in result.output
    assert not (tmp_path / "o").exists()
