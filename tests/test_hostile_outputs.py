"""Hostile probes of output folders, interrupts and concurrency: nothing foreign or old is lost.

Each case asserts the exit code, that the message names what it should, that no traceback is
printed and that no partial or foreign file is touched. The county is the five-town fixture of
the model tests (``test_model_fixtures.write_county``); every solve takes well under a second.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from support.cli import ROOT, assert_clean, invoke
from support.county import write_county

import optimizer.jobs.justify
import optimizer.report.writer
import optimizer.results.atomic
import optimizer.results.run
from optimizer.cli_errors import EXIT_INTERNAL, EXIT_INTERRUPTED
from optimizer.errors import EXIT_USAGE
from optimizer.results.atomic import MARKER

# The five-town fixture has no village clinics; coverage says so with a MedallocWarning.
quiet = pytest.mark.filterwarnings("ignore::optimizer.errors.MedallocWarning")


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative path -> bytes), to compare byte for byte."""
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}



def no_leftovers(folder: Path) -> None:
    names = [p.name for p in folder.iterdir()]
    assert not [n for n in names if ".tmp-" in n or ".old-" in n or n.endswith(".lock")], names


@pytest.fixture
def county(tmp_path: Path) -> Path:
    """The scenario file of the five-town county (its data in ``county/`` beside it)."""
    return write_county(tmp_path / "project")


# --- output folders -------------------------------------------------------------------------


@pytest.mark.slow
@quiet
@pytest.mark.parametrize("command", ["run", "coverage", "justify", "locate", "sweep"])
def test_a_users_folder_is_refused_and_untouched(command: str, county: Path,
                                                 tmp_path: Path) -> None:
    docs = tmp_path / "documents"
    docs.mkdir()
    (docs / "预算.xlsx").write_bytes(b"PK\x03\x04 budget")
    (docs / "notes").mkdir()
    (docs / "notes" / "会议.txt").write_text("meeting\n", encoding="utf-8")
    before = snapshot(docs)
    data = county.parent / "county"
    args = {"run": ["run", county], "coverage": ["coverage", county],
            "justify": ["justify", county, "--sites", "乙镇,丙镇"],
            "locate": ["locate", "pmedian", "--demand", data / "demand.csv",
                       "--sites", data / "facilities.csv", "--p", "2"],
            "sweep": ["sweep", ROOT / "tests" / "data" / "sweep_small.toml"]}[command]
    result = invoke(*args, "--out", docs, "--json" if command in ("locate", "sweep")
                    else "--no-maps")
    assert_clean(result, EXIT_USAGE, "not empty", MARKER, "--out")
    assert snapshot(docs) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["documents", "project"]
    no_leftovers(tmp_path)


def test_out_dot_is_refused(county: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(county.parent)
    before = snapshot(county.parent)
    result = invoke("run", county.name, "--out", ".")
    assert_clean(result, EXIT_USAGE, "the folder you are working in")
    assert snapshot(county.parent) == before
    no_leftovers(county.parent)
    no_leftovers(county.parent.parent)


def test_a_folder_holding_the_scenario_and_data_is_refused(county: Path, tmp_path: Path) -> None:
    before = snapshot(tmp_path)
    result = invoke("coverage", county, "--out", tmp_path)
    assert_clean(result, EXIT_USAGE, "holds the input")
    assert snapshot(tmp_path) == before


@quiet
def test_rerun_keeps_coverage_and_justify(county: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "oracle"
    assert_clean(invoke("run", county, "--out", out, "--no-maps"), 0)
    assert_clean(invoke("coverage", county, "--out", out / "coverage", "--no-maps"), 0)
    assert_clean(invoke("justify", county, "--sites", "乙镇,丙镇", "--out", out / "justify",
                        "--no-maps"), 0)
    (out / "我的笔记.txt").write_text("planner's notes\n", encoding="utf-8")
    kept = {name: snapshot(out / name) for name in ("coverage", "justify")}
    assert_clean(invoke("run", county, "--out", out, "--no-maps"), 0)
    for name, files in kept.items():
        assert snapshot(out / name) == files, name
    assert (out / "我的笔记.txt").read_text(encoding="utf-8") == "planner's notes\n"
    assert (out / "report.html").is_file()
    assert (out / MARKER).read_text(encoding="utf-8").splitlines()[0] == "medalloc run"
    no_leftovers(out)
    no_leftovers(out.parent)


@quiet
def test_justify_into_a_coverage_folder_keeps_the_coverage(county: Path, tmp_path: Path) -> None:
    cov = tmp_path / "cov"
    assert_clean(invoke("coverage", county, "--out", cov, "--no-maps"), 0)
    before = snapshot(cov)
    result = invoke("justify", county, "--sites", "乙镇,丙镇", "--out", cov, "--no-maps")
    assert_clean(result, EXIT_USAGE, "holds the output of `medalloc coverage`")
    assert snapshot(cov) == before
    no_leftovers(tmp_path)


def test_an_impossible_out_is_a_clean_error(county: Path, tmp_path: Path) -> None:
    result = invoke("run", county, "--out", county / "sub", "--no-maps")
    assert_clean(result, EXIT_USAGE, "is a file, not a folder")
    assert county.is_file()


def test_an_unwritable_out_is_a_clean_error(county: Path, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # Root may write anywhere, so permission is denied by hand where the folder is made.
    def denied(*_args: object, **_kwargs: object) -> str:
        raise PermissionError(13, "Permission denied", str(tmp_path / "ro"))

    monkeypatch.setattr(optimizer.results.atomic.tempfile, "mkdtemp", denied)
    result = invoke("run", county, "--out", tmp_path / "ro" / "x", "--no-maps")
    assert_clean(result, EXIT_USAGE, "Permission denied", "ro", "--out")
    assert not (tmp_path / "ro" / "x").exists()


def test_a_file_system_error_while_writing_names_the_path(county: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    assert_clean(invoke("run", county, "--out", out, "--no-maps"), 0)
    before = snapshot(out)

    def disk_full(_frame: object, path: Path, *_args: object) -> Path:
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(optimizer.results.run, "write_csv", disk_full)
    result = invoke("run", county, "--out", out, "--no-maps")
    assert_clean(result, EXIT_USAGE, "No space left on device", "plan.csv", "free some disk")
    assert snapshot(out) == before
    no_leftovers(tmp_path)


# --- interrupts -----------------------------------------------------------------------------


def test_interrupt_while_drawing_run_maps_keeps_the_old_folder(
        county: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    assert_clean(invoke("run", county, "--out", out, "--no-maps"), 0)
    before = snapshot(out)

    def ctrl_c(*_args: object, **_kwargs: object) -> list[object]:
        raise KeyboardInterrupt

    monkeypatch.setattr(optimizer.report.writer, "run_figures", ctrl_c)
    result = invoke("run", county, "--out", out)
    assert_clean(result, EXIT_INTERRUPTED, "interrupted", "no output folder was changed")
    assert snapshot(out) == before
    no_leftovers(tmp_path)


@quiet
def test_failure_while_writing_the_coverage_report_keeps_the_old_folder(
        county: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "cov"
    assert_clean(invoke("coverage", county, "--out", out, "--no-maps"), 0)
    before = snapshot(out)

    def broken(*_args: object, **_kwargs: object) -> str:
        raise ValueError("Invalid vmin or vmax")

    monkeypatch.setattr(optimizer.report.writer, "page", broken)
    result = invoke("coverage", county, "--out", out, "--no-maps")
    assert_clean(result, EXIT_INTERNAL, "unexpected ValueError: Invalid vmin or vmax",
                 "MEDALLOC_DEBUG")
    assert snapshot(out) == before
    no_leftovers(tmp_path)


def test_interrupt_while_drawing_the_justify_map_writes_nothing(
        county: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def ctrl_c(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(optimizer.jobs.justify, "draw_map", ctrl_c)
    result = invoke("justify", county, "--sites", "乙镇,丙镇", "--out", tmp_path / "j")
    assert_clean(result, EXIT_INTERRUPTED, "interrupted")
    assert not (tmp_path / "j").exists()
    no_leftovers(tmp_path)


# --- concurrency ----------------------------------------------------------------------------


def test_a_held_lock_stops_a_second_writer_cleanly(county: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert_clean(invoke("run", county, "--out", out, "--no-maps"), 0)
    before = snapshot(out)
    lock = tmp_path / ".out.lock"
    lock.write_text(f"{os.getppid()} {socket.gethostname()} 0\n", encoding="utf-8")
    result = invoke("run", county, "--out", out, "--no-maps", "--json")
    assert_clean(result, EXIT_USAGE, "is being written by medalloc process", ".out.lock",
                 '"class": "UsageError"')
    assert lock.read_text(encoding="utf-8").startswith(str(os.getppid()))
    assert snapshot(out) == before


@quiet
def test_a_subcommand_waits_for_no_one_while_the_run_folder_is_locked(county: Path,
                                                                    tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert_clean(invoke("run", county, "--out", out, "--no-maps"), 0)
    (tmp_path / ".out.lock").write_text(f"{os.getppid()} {socket.gethostname()} 0\n",
                                        encoding="utf-8")
    result = invoke("coverage", county, "--out", out / "coverage", "--no-maps")
    assert_clean(result, EXIT_USAGE, "being written")
    assert not (out / "coverage").exists()


def test_a_stale_lock_is_taken_over(county: Path, tmp_path: Path) -> None:
    (tmp_path / ".out.lock").write_text(f"999999999 {socket.gethostname()} 0\n",
                                        encoding="utf-8")
    assert_clean(invoke("run", county, "--out", tmp_path / "out", "--no-maps"), 0)
    assert (tmp_path / "out" / "plan.csv").is_file()
    no_leftovers(tmp_path)


@pytest.mark.slow
def test_two_processes_at_once_end_cleanly(county: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    command = [sys.executable, "-m", "optimizer", "run", str(county), "--out", str(out)]
    procs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, cwd=tmp_path) for _ in range(2)]
    outcomes = [(p.wait(timeout=300), p.stdout.read() + p.stderr.read())  # type: ignore[union-attr]
                for p in procs]
    for code, output in outcomes:
        assert "Traceback" not in output
        assert code in (0, EXIT_USAGE), output
        if code == EXIT_USAGE:
            assert "being written" in output
    assert 0 in [code for code, _ in outcomes]
    for name in ("plan.csv", "summary.json", "report.html", "map.html", MARKER):
        assert (out / name).is_file(), name
    no_leftovers(tmp_path)
