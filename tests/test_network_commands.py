"""Every command completes in network mode on the shipped county, over a synthetic road grid.

The roads (tests/roadgrid.py) are written outside the data folder and named by ``[travel]
roads``, as a planner would after ``medalloc roads import``. The scenarios are the shipped ones
with only the travel mode and the roads changed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from support.roadgrid import ROOT, write_grid_roads
from typer.testing import CliRunner

from optimizer.cli import app
from optimizer.routing.context import OSM_ATTRIBUTION

runner = CliRunner()


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("network")
    write_grid_roads(folder / "roads.gpkg")
    return folder


@pytest.fixture(autouse=True)
def cache(place: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDALLOC_CACHE_DIR", str(place / "cache"))


def network_scenario(place: Path, name: str) -> Path:
    """The shipped scenario ``name`` in network mode over the grid, saved in ``place``."""
    text = (ROOT / "scenarios" / f"{name}.toml").read_text(encoding="utf-8")
    data = (ROOT / "data").as_posix()
    text = text.replace('folder = "../data', f'folder = "{data}', 1)
    assert 'mode = "straight_line"' in text
    text = text.replace('mode = "straight_line"', 'mode = "network"\nroads = "roads.gpkg"', 1)
    path = place / f"{name}_network.toml"
    path.write_text(text, encoding="utf-8")
    return path


def invoke(*args: str) -> None:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output


def test_coverage_on_roads_sets_both_models_side_by_side(place: Path) -> None:
    out = place / "coverage"
    invoke("coverage", str(network_scenario(place, "yongchuan_2025")), "--out", str(out),
           "--no-maps")
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "Road network against straight lines" in report
    assert OSM_ATTRIBUTION in report
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["mode"] == "network"
    model = summary["travel_model"]
    assert model["basis"] == "road_network"
    assert summary["attribution"] == OSM_ATTRIBUTION
    rows = {(r["group"], r["threshold_minutes"]): r for r in model["comparison"]}
    primary = rows[("primary", 15.0)]
    outside = next(o for o in summary["outside"]
                   if o["group"] == "primary" and o["threshold_minutes"] == 15.0)
    assert primary["share_network"] == pytest.approx(outside["share_residents"], abs=1e-6)
    # The grid's roads run at 20-40 km/h with detours, never faster than straight lines at 40.
    assert primary["share_network"] >= primary["share_straight_line"]
    assert primary["change_points"] == pytest.approx(
        100 * (primary["share_network"] - primary["share_straight_line"]), abs=1e-3)
    text = (out / "summary.txt").read_text(encoding="utf-8")
    assert "survive the change of travel model" in text
    coverage = pd.read_csv(out / "coverage.csv")
    assert coverage.filter(like="minutes").apply(lambda c: c.dropna().map(
        lambda v: v < float("inf")).all()).all()


def test_coverage_on_straight_lines_says_what_it_rests_on(place: Path) -> None:
    out = place / "coverage_lines"
    invoke("coverage", str(ROOT / "scenarios" / "yongchuan_2025.toml"), "--out", str(out),
           "--no-maps")
    model = json.loads((out / "summary.json").read_text(encoding="utf-8"))["travel_model"]
    assert model["basis"] == "straight_line"
    assert model["detour_factor"] == 1.3
    assert "rest on straight-line distances" in model["sentence"]["en"]
    assert "detour factor of 1.3" in model["sentence"]["en"]


def test_locate_on_roads(place: Path) -> None:
    out = place / "locate"
    invoke("locate", "mclp", "--demand", str(ROOT / "data" / "demand.csv"),
           "--sites", str(ROOT / "data" / "facilities.csv"), "--tier", "village_clinic",
           "--p", "10", "--standard", "15", "--speed-kmh", "15",
           "--roads", str(place / "roads.gpkg"), "--out", str(out))
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["roads"]["file"] == "roads.gpkg"
    assert summary["attribution"] == OSM_ATTRIBUTION
    assert int(pd.read_csv(out / "sites.csv")["selected"].sum()) == 10
    median = place / "locate_median"
    invoke("locate", "pmedian", "--demand", str(ROOT / "data" / "demand.csv"),
           "--sites", str(ROOT / "data" / "facilities.csv"), "--tier", "township_health_centre",
           "--p", "5", "--speed-kmh", "40", "--roads", str(place / "roads.gpkg"),
           "--out", str(median))
    assert int(pd.read_csv(median / "sites.csv")["selected"].sum()) == 5


@pytest.mark.slow
def test_run_on_roads(place: Path) -> None:
    out = place / "run"
    invoke("run", str(network_scenario(place, "yongchuan_2025")), "--out", str(out),
           "--no-maps")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["status"] in ("optimal", "feasible")


@pytest.mark.slow
def test_justify_on_roads_ranks_under_both_models(place: Path) -> None:
    out = place / "justify"
    scenario = network_scenario(place, "yongchuan_2030")
    # At most two sets listed by the model (each a chain of MIP solves; 80 solves, 70 s, by
    # default): what is checked here is the two travel models side by side, not the
    # scenario-objective ranking (tests/test_justify_shipped.py checks that).
    text = scenario.read_text(encoding="utf-8")
    assert "\nk = 10 " in text
    scenario.write_text(text.replace("\nk = 10 ", "\nk = 2\nmax_listed = 2 ", 1),
                        encoding="utf-8")
    invoke("justify", str(scenario), "--out", str(out), "--no-maps")
    facts = json.loads((out / "justification.json").read_text(encoding="utf-8"))
    model = facts["travel_model"]
    assert model["basis"] == "road_network"
    head = next(r for r in model["comparison"] if r["measure"] == "covered")
    assert head["sets"] == facts["ranked_sets"]
    assert head["chosen_rank_network"] == facts["measures"]["covered"]["rank"]
    assert -1.0 <= head["rank_correlation"] <= 1.0
    assert facts["attribution"] == OSM_ATTRIBUTION
    markdown = (out / "justification.md").read_text(encoding="utf-8")
    assert "## Travel model: road network against straight lines" in markdown
    assert "travel model" in " ".join(s["en"] for s in facts["conclusion"])


@pytest.mark.slow
def test_sweep_on_roads(place: Path) -> None:
    base = network_scenario(place, "yongchuan_2025")
    sweep = place / "sweep.toml"
    sweep.write_text(f'name = "roads_sweep"\nbase = "{base.name}"\nmode = "grid"\n\n'
                     '[parameters]\n"travel.speeds_kmh.motorised.rural" = [30, 40]\n',
                     encoding="utf-8")
    out = place / "sweep"
    invoke("sweep", str(sweep), "--workers", "1", "--out", str(out))
    results = pd.read_csv(out / "results.csv")
    assert len(results) == 2
    assert set(results["status"]) <= {"optimal", "feasible"}
