"""Scenario files: shipped ones load; unknown keys, bad values and bad TOML are named."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.cli import ROOT

from optimizer.config.scenario import load_scenario
from optimizer.errors import ScenarioError

MINIMAL = 'name = "t"\n[data]\nfolder = "here"\n'


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", ["yongchuan_2025", "dianjiang_2025"])
def test_shipped_scenarios_load(name: str) -> None:
    scenario = load_scenario(ROOT / "scenarios" / f"{name}.toml")
    assert scenario.name == name
    assert scenario.data.folder.is_dir()
    assert (scenario.data.folder / "towns.geojson").is_file()
    assert scenario.coverage.thresholds["primary"][0] == 15


def test_data_folder_is_relative_to_the_scenario(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path, MINIMAL))
    assert scenario.data.folder == (tmp_path / "here").resolve()
    assert scenario.coverage.groups["referral"] == [
        "sub_centre", "secondary_hospital", "tertiary_hospital"
    ]


def test_unknown_key_names_key_and_allowed_keys(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + "[coverage]\nthreshold = {primary = [15]}\n")
    with pytest.raises(ScenarioError, match=r"unknown key 'coverage\.threshold' \(did you mean "
                       r"'thresholds'\?\); allowed here: access, groups, thresholds"):
        load_scenario(path)


def test_unknown_top_level_key(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"unknown key 'speed' \(did you mean 'need'\?\); "
                                            r"allowed here: .*travel"):
        load_scenario(write(tmp_path, "speed = 3\n" + MINIMAL))


def test_unknown_tier_in_group(tmp_path: Path) -> None:
    text = MINIMAL + '[coverage.groups]\nprimary = ["village_clinc"]\n'
    text += "[coverage.thresholds]\nprimary = [15]\n"
    with pytest.raises(ScenarioError, match=r"unknown tier 'village_clinc'; allowed: "):
        load_scenario(write(tmp_path, text))


def test_threshold_for_undefined_group(tmp_path: Path) -> None:
    text = MINIMAL + "[coverage.thresholds]\nemergency = [15]\n"
    with pytest.raises(ScenarioError, match=r"names group\(s\) \['emergency'\]"):
        load_scenario(write(tmp_path, text))


def test_negative_threshold(tmp_path: Path) -> None:
    text = MINIMAL + "[coverage.thresholds]\nprimary = [-5]\n"
    with pytest.raises(ScenarioError, match=r"'primary' needs one or more thresholds above 0"):
        load_scenario(write(tmp_path, text))


def test_missing_name_and_data(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"missing key 'name'\n.*missing key 'data'"):
        load_scenario(write(tmp_path, "base_year = 2020\n"))


def test_toml_syntax_error_names_line(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"not valid TOML .*line 2"):
        load_scenario(write(tmp_path, 'name = "t"\n[data\n'))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="scenario file not found"):
        load_scenario(tmp_path / "nope.toml")
