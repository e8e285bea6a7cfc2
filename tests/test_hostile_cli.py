"""Hostile probes of the command line: every failure a documented exit code, never a traceback.

Each case asserts the exit code, that the message names what it should, that no traceback is
printed and that no output folder is written when the command fails.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from support.cli import assert_clean, invoke
from support.county import write_county

import optimizer.jobs.run
from optimizer.cli import available_cores
from optimizer.cli_errors import EXIT_INTERNAL
from optimizer.errors import EXIT_INFEASIBLE, EXIT_SCENARIO, EXIT_USAGE, ScenarioError

DEMAND = "id,x,y,weight\na,0,0,10\nb,1000,0,20\nc,5000,0,5\nd,5000,900,7\n"
SITES = "id,x,y\ns1,500,0\ns2,5000,500\ns3,9000,9000\n"



@pytest.fixture
def points(tmp_path: Path) -> list[str]:
    """``--demand`` and ``--sites`` options for three candidate sites in metres (UTM 48N)."""
    (tmp_path / "demand.csv").write_text(DEMAND, encoding="utf-8")
    (tmp_path / "sites.csv").write_text(SITES, encoding="utf-8")
    return ["--demand", str(tmp_path / "demand.csv"), "--sites", str(tmp_path / "sites.csv"),
            "--crs", "EPSG:32648"]


@pytest.fixture
def county(tmp_path: Path) -> Path:
    return write_county(tmp_path / "project")


def test_threads_beyond_the_cores_are_capped_with_a_warning(county: Path,
                                                            tmp_path: Path) -> None:
    result = invoke("run", county, "--out", tmp_path / "o", "--no-maps", "--threads", "1000")
    cores = available_cores()
    assert_clean(result, 0, f"--threads 1000 is more than the {cores} cores", f"using {cores}")


def test_scenario_threads_beyond_the_cores_keep_their_brackets(county: Path,
                                                               tmp_path: Path) -> None:
    county.write_text(county.read_text(encoding="utf-8").replace(
        "time_limit_s = 20", "time_limit_s = 20\nthreads = 1000"), encoding="utf-8")
    result = invoke("run", county, "--out", tmp_path / "o", "--no-maps")
    assert_clean(result, 0, "[solver] threads = 1000 is more than the")


@pytest.mark.parametrize(("p", "shown"), [("0", "--p 0"), ("500", "--p 500")])
def test_locate_p_outside_the_candidates_is_a_usage_error(p: str, shown: str, points: list[str],
                                                          tmp_path: Path) -> None:
    out = tmp_path / "loc"
    result = invoke("locate", "pmedian", *points, "--p", p, "--out", out)
    assert_clean(result, EXIT_USAGE, shown, "between 1 and 3")
    assert not out.exists()


def test_infeasible_lscp_in_text_mode_writes_nothing(points: list[str], tmp_path: Path) -> None:
    out = tmp_path / "loc"
    result = invoke("locate", "lscp", *points, "--standard", "100", "--out", out)
    assert_clean(result, EXIT_INFEASIBLE, "demand points are farther than the standard",
                 "raise --standard")
    assert "NoneType" not in result.output
    assert not out.exists()


def test_infeasible_lscp_in_json_mode_is_an_error_object(points: list[str],
                                                         tmp_path: Path) -> None:
    out = tmp_path / "loc"
    result = invoke("locate", "lscp", *points, "--standard", "100", "--out", out, "--json")
    assert_clean(result, EXIT_INFEASIBLE)
    error = json.loads(result.stdout)["error"]
    assert error["class"] == "InfeasibleError"
    assert error["exit_code"] == EXIT_INFEASIBLE
    assert "farther than the standard" in error["message"]
    assert not out.exists()


def test_json_error_object_for_a_missing_scenario(tmp_path: Path) -> None:
    result = invoke("run", tmp_path / "nope.toml", "--json")
    assert_clean(result, EXIT_SCENARIO, "nope.toml")
    error = json.loads(result.stdout)["error"]
    assert (error["class"], error["exit_code"]) == ("ScenarioError", EXIT_SCENARIO)
    assert "nope.toml" in error["message"]


def test_json_error_object_for_a_usage_error(points: list[str]) -> None:
    result = invoke("locate", "pmedain", *points, "--p", "1", "--json")
    assert_clean(result, EXIT_USAGE, "MODEL")
    assert json.loads(result.stdout)["error"]["class"] == "UsageError"


def test_justify_refuses_more_sites_than_the_scenario_allows(county: Path,
                                                             tmp_path: Path) -> None:
    result = invoke("justify", county, "--sites", "乙镇,丙镇,丁镇", "--out", tmp_path / "j")
    assert_clean(result, EXIT_SCENARIO, "3 sites were named", "[sub_centres] allows 2",
                 "max_count 2")
    assert not (tmp_path / "j").exists()


def test_bracketed_section_names_survive_in_messages(county: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    def stopped(*_args: object, **_kwargs: object) -> None:
        raise ScenarioError("set [sub_centres] fixed or candidates; raise [solver] time_limit_s")

    monkeypatch.setattr(optimizer.jobs.run, "solve_scenario", stopped)
    result = invoke("run", county, "--out", tmp_path / "o")
    assert_clean(result, EXIT_SCENARIO, "set [sub_centres] fixed", "raise [solver] time_limit_s")
    assert not (tmp_path / "o").exists()


def test_a_bug_is_one_sentence_and_exit_1(county: Path, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    def bug(*_args: object, **_kwargs: object) -> None:
        raise TypeError("unsupported format string passed to NoneType.__format__")

    monkeypatch.setattr(optimizer.jobs.run, "solve_scenario", bug)
    result = invoke("run", county, "--out", tmp_path / "o", "--json")
    assert_clean(result, EXIT_INTERNAL, "unexpected TypeError", "please report it")
    assert json.loads(result.stdout)["error"]["class"] == "InternalError"
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
@pytest.mark.parametrize("model", ["mclp", "pmedian"])
def test_locate_json_stdout_has_no_solver_banner(model: str, points: list[str],
                                                 tmp_path: Path) -> None:
    # HiGHS writes its banner to file descriptor 1, which only a real process shows.
    done = subprocess.run(
        [sys.executable, "-m", "optimizer", "locate", model, *points, "--p", "1",
         "--standard", "600", "--out", str(tmp_path / model), "--json"],
        capture_output=True, text=True, check=False, cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert json.loads(done.stdout)["model"] == model


@pytest.mark.slow
def test_an_unknown_option_with_json_is_an_error_object_in_a_real_process(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "optimizer", "locate", "mclp", "--bogus",
                           "--json"], capture_output=True, text=True, check=False, cwd=tmp_path)
    assert done.returncode == EXIT_USAGE
    assert "Traceback" not in done.stderr
    assert "--bogus" in done.stderr
    error = json.loads(done.stdout)["error"]
    assert (error["class"], error["exit_code"]) == ("UsageError", EXIT_USAGE)
    assert "No such option: --bogus" in error["message"]
