"""Sweeps on a local Dask cluster: results agree with single runs, failures are recorded, an
interrupted sweep resumes with only the missing points."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from distributed import LocalCluster

from optimizer.jobs.run import run_scenario
from optimizer.results.atomic import MARKER
from optimizer.sweep import SweepProgress, SweepSummary, expand_points, load_sweep, run_sweep
from optimizer.sweep.table import parquet_available

pytestmark = pytest.mark.slow  # the shipped data, a cluster or a browser

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
SMALL = DATA / "sweep_small.toml"


class InterruptedSweepError(Exception):
    """Raised by a progress hook to stop a sweep midway, as Ctrl-C would."""


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[SweepSummary, list[SweepProgress]]:
    events: list[SweepProgress] = []
    out = tmp_path_factory.mktemp("sweep") / "out"
    return run_sweep(SMALL, out, workers=2, progress=events.append), events


def single_run(tmp_path: Path, minutes: float, cap: float) -> Any:
    """The same point solved alone from an edited copy of the scenario file."""
    folder = tmp_path / f"m{minutes}-c{cap}"
    shutil.copytree(DATA / "sweep_county", folder / "sweep_county")
    text = (DATA / "sweep_county.toml").read_text(encoding="utf-8")
    edited = (text.replace("minutes = 12", f"minutes = {minutes}")
                  .replace("max = { 2025 = 8.5 }", f"max = {{ 2025 = {cap} }}")
                  .replace("time_limit_s = 20", "time_limit_s = 10"))
    assert f"minutes = {minutes}\n" in edited
    assert f"max = {{ 2025 = {cap} }}" in edited
    path = folder / "scenario.toml"
    path.write_text(edited, encoding="utf-8")
    return run_scenario(path, folder / "out", timings=False)


def test_small_sweep_on_two_workers(small: tuple[SweepSummary, list[SweepProgress]]) -> None:
    summary, events = small
    assert summary.points == 4
    assert summary.computed == 4
    assert summary.skipped == 0
    assert summary.workers == 2
    assert summary.missing == ()
    assert dict(summary.statuses) == {"infeasible": 2, "optimal": 2}
    assert events[0] == SweepProgress(0, 4, 0)
    assert [e.done for e in events] == [0, 1, 2, 3, 4]
    ids = sorted(p.point_id for p in expand_points(load_sweep(SMALL)))
    assert sorted(e.point_id for e in events[1:] if e.point_id) == ids
    table = pd.read_csv(summary.out_dir / "results.csv")
    assert list(table["point_id"]) == ids
    assert (summary.out_dir / "results.parquet").exists() == parquet_available()
    assert sorted(p.stem for p in (summary.out_dir / "points").glob("*.json")) == ids
    text = summary.to_text()
    assert "4 points: 4 solved now on 2 workers, 0 from an earlier run, 0 missing" in text
    assert "statuses: infeasible 2, optimal 2" in text


def test_points_agree_with_single_runs(small: tuple[SweepSummary, list[SweepProgress]],
                                       tmp_path: Path) -> None:
    table = pd.read_csv(small[0].out_dir / "results.csv").set_index(
        ["services.referral.minutes", "policy.beds.max.2025"])
    for minutes in (9, 20):
        alone = single_run(tmp_path, minutes, 9.5)
        row = table.loc[(minutes, 9.5)]
        assert row["status"] == str(alone.status)
        assert row["objective"] == pytest.approx(alone.objective)
        assert row["sub_centres"] == ";".join(sorted(alone.sub_centres))
    # the two thresholds pick different sites: the sweep shows a decision that moves
    assert table.loc[(9, 9.5), "sub_centres"] != table.loc[(20, 9.5), "sub_centres"]


def test_infeasible_points_are_recorded_with_the_reason(
        small: tuple[SweepSummary, list[SweepProgress]]) -> None:
    table = pd.read_csv(small[0].out_dir / "results.csv")
    failed = table[table["policy.beds.max.2025"].eq(7.6)]
    assert list(failed["status"]) == ["infeasible", "infeasible"]
    assert failed["reason"].str.contains("7.6 beds per 1000 residents in 2025").all()
    assert failed["objective"].isna().all()
    data = json.loads((small[0].out_dir / "summary.json").read_text(encoding="utf-8"))
    assert data["objective"]["infeasible"] == {"points": 2}
    assert data["influence"]["services.referral.minutes"]["held_fixed"] == {
        "groups": 1, "changed": 1, "changed_at_full_coverage": 0}


def test_interrupted_sweep_resumes_with_the_missing_points(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first: list[SweepProgress] = []

    def stop_after_two(event: SweepProgress) -> None:
        first.append(event)
        if event.done == 2:
            raise InterruptedSweepError("stopped after two points")

    with pytest.raises(InterruptedSweepError, match="stopped after two points"):
        run_sweep(SMALL, out, workers=2, progress=stop_after_two)
    finished = {e.point_id for e in first if e.point_id}
    stored = {p.stem: p.read_bytes() for p in (out / "points").glob("*.json")}
    assert set(stored) == finished
    assert len(finished) == 2
    assert not (out / "results.csv").exists()  # the table is written when every point is in

    second: list[SweepProgress] = []
    summary = run_sweep(SMALL, out, workers=1, progress=second.append)
    assert summary.skipped == 2
    assert summary.computed == 2
    assert second[0] == SweepProgress(2, 4, 2)
    solved_now = {e.point_id for e in second if e.point_id}
    all_ids = {p.point_id for p in expand_points(load_sweep(SMALL))}
    assert solved_now == all_ids - finished
    assert {p: (out / "points" / f"{p}.json").read_bytes() for p in finished} == stored
    assert len(pd.read_csv(out / "results.csv")) == 4

    # a third run has nothing to solve: no cluster, same table and summary byte for byte
    table, text = (out / "results.csv").read_bytes(), (out / "summary.json").read_bytes()
    third = run_sweep(SMALL, out)
    assert (third.computed, third.skipped, third.workers) == (0, 4, 0)
    assert (out / "results.csv").read_bytes() == table
    assert (out / "summary.json").read_bytes() == text


def test_a_stale_point_is_solved_again(tmp_path: Path) -> None:
    """A point file from another base scenario (fingerprint) or a damaged one is redone."""
    out = tmp_path / "out"
    ids = sorted(p.point_id for p in expand_points(load_sweep(SMALL)))
    (out / "points").mkdir(parents=True)
    (out / MARKER).write_text("medalloc sweep\n", encoding="utf-8")  # an earlier sweep's folder
    stale = {"point_id": ids[0], "fingerprint": "another base", "status": "optimal"}
    (out / "points" / f"{ids[0]}.json").write_text(json.dumps(stale), encoding="utf-8")
    (out / "points" / f"{ids[1]}.json").write_text("{ half a fi", encoding="utf-8")
    events: list[SweepProgress] = []
    summary = run_sweep(SMALL, out, workers=2, progress=events.append)
    assert summary.computed == 4
    assert summary.skipped == 0
    redone = json.loads((out / "points" / f"{ids[0]}.json").read_text(encoding="utf-8"))
    assert redone["fingerprint"] != "another base"


def test_a_failing_point_does_not_stop_the_sweep(tmp_path: Path) -> None:
    """One point's data folder holds no dataset: that point is a data error, the other solves.

    Run on an existing cluster given by its scheduler address, keeping each point's plan.
    """
    empty = tmp_path / "empty"
    empty.mkdir()
    sweep = tmp_path / "sweep.toml"
    sweep.write_text(
        f'name = "t"\nbase = "{(DATA / "sweep_county.toml").as_posix()}"\nkeep_runs = true\n'
        f'[parameters]\n"data.folder" = ["{(DATA / "sweep_county").as_posix()}", '
        f'"{empty.as_posix()}"]\n', encoding="utf-8")
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None,
                      scheduler_kwargs={"dashboard_address": "127.0.0.1:0"}) as cluster:
        summary = run_sweep(sweep, tmp_path / "out", scheduler=cluster.scheduler_address,
                            workers=1)
    assert summary.workers == 1
    assert dict(summary.statuses) == {"data_error": 1, "optimal": 1}
    table = pd.read_csv(tmp_path / "out" / "results.csv").set_index("status")
    assert "towns" in table.loc["data_error", "reason"]
    solved = table.loc["optimal", "point_id"]
    assert (tmp_path / "out" / "runs" / solved / "plan.csv").is_file()
    assert [p.name for p in (tmp_path / "out" / "runs").iterdir()] == [solved]
