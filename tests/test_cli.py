"""The command line: exit codes per error class, commands on the shipped data."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from support.cli import ROOT
from typer.testing import CliRunner, Result

from optimizer.cli import app
from optimizer.errors import EXIT_DATA, EXIT_SCENARIO, EXIT_USAGE

runner = CliRunner()


def test_help_lists_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("validate", "run", "coverage", "justify", "locate", "sweep"):
        assert command in result.stdout


def test_unknown_option_is_usage_error() -> None:
    assert runner.invoke(app, ["validate", "--bogus"]).exit_code == EXIT_USAGE


@pytest.mark.slow
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
    assert sorted(p.name for p in out.iterdir()) == [
        ".medalloc-output", "sites.csv", "sites.geojson", "summary.json"]


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


@pytest.mark.slow
def test_coverage_on_shipped_yongchuan(tmp_path: Path) -> None:
    out = tmp_path / "cov"
    result = runner.invoke(app, ["coverage", str(ROOT / "scenarios" / "yongchuan_2025.toml"),
                                 "--out", str(out), "--no-maps"])
    assert result.exit_code == 0, result.output
    assert "outside 15 min of primary:" in result.stdout
    assert "outside 30 min of referral:" in result.stdout
    for name in ("coverage.csv", "towns_coverage.csv", "gaps.gpkg", "summary.json",
                 "report.html"):
        assert (out / name).is_file(), name
    assert not (out / "gaps_map.png").exists()


def test_coverage_bad_scenario_key_is_scenario_error(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(f'name = "x"\n[data]\nfolder = "{ROOT / "data"}"\n[travel]\nspeed = 3\n',
                    encoding="utf-8")
    result = runner.invoke(app, ["coverage", str(path), "--out", str(tmp_path / "o")])
    assert result.exit_code == EXIT_SCENARIO
    assert "speed" in result.output
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_run_dianjiang_prints_choice_and_indicators(
        dianjiang_2025_run: tuple[Result, Path]) -> None:
    result, out = dianjiang_2025_run
    assert result.exit_code == 0, result.output
    assert "dianjiang_2025: optimal" in result.stdout
    assert "why: " in result.stdout
    assert "doctors per 1000 (floor)" in result.stdout
    assert sorted(p.name for p in out.iterdir()) == [
        ".medalloc-output", "indicators.csv", "plan.csv", "report.html", "summary.json", "towns.csv"
    ]


@pytest.mark.slow
def test_run_json_is_the_summary(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", str(ROOT / "scenarios" / "yongchuan_2025.toml"),
                                 "--out", str(tmp_path / "r"), "--json", "--no-maps"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["scenario"] == "yongchuan_2025"
    assert payload["status"] == "optimal"
    assert json.loads((tmp_path / "r" / "summary.json").read_text(encoding="utf-8")) == payload


@pytest.mark.slow
def test_json_stdout_is_pure_json_in_a_real_process(tmp_path: Path) -> None:
    # Solver libraries may write to file descriptor 1 directly, which CliRunner cannot see.
    done = subprocess.run(
        [sys.executable, "-m", "optimizer", "run", str(ROOT / "scenarios" / "yongchuan_2025.toml"),
         "--out", str(tmp_path / "r"), "--json", "--no-maps"],
        capture_output=True, text=True, check=False, cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["scenario"] == "yongchuan_2025"


@pytest.mark.slow
def test_justify_dianjiang_pick(tmp_path: Path) -> None:
    out = tmp_path / "j"
    result = runner.invoke(app, ["justify", str(ROOT / "scenarios" / "dianjiang_2025.toml"),
                                 "--sites", "Shaping,周嘉镇", "--out", str(out), "--no-maps"])
    assert result.exit_code == 0, result.output
    assert "regret" in result.stdout
    assert "结论" in result.stdout
    assert (out / "justification.json").is_file()
    assert (out / "justification.md").is_file()
    assert (out / "report.html").is_file()


def test_justify_unknown_town_suggests(tmp_path: Path) -> None:
    result = runner.invoke(app, ["justify", str(ROOT / "scenarios" / "yongchuan_2030.toml"),
                                 "--sites", "Sanjao,朱沱镇,来苏镇", "--out", str(tmp_path / "j")])
    assert result.exit_code == EXIT_SCENARIO
    assert "Sanjiao" in result.output
    assert not (tmp_path / "j").exists()


@pytest.mark.slow
def test_sweep_small_on_a_local_cluster(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    result = runner.invoke(app, ["sweep", str(ROOT / "tests" / "data" / "sweep_small.toml"),
                                 "--workers", "2", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary == json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert (out / "results.csv").is_file()
    assert len(list((out / "points").glob("*.json"))) == 4
