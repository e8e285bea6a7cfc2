"""Shared fixtures: the tiny dataset, and one run per session of the shipped Yongchuan 2030 plan
and of Dianjiang's 2025 plan (its sub-centre choice is the slowest solve of the shipped data)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from support.cli import ROOT, invoke
from support.tiny import write_tiny
from typer.testing import Result

from optimizer.jobs.run import run_scenario


@pytest.fixture(autouse=True, scope="session")
def _travel_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Road tables are cached in a temporary folder, never in the user's cache."""
    os.environ["MEDALLOC_CACHE_DIR"] = str(tmp_path_factory.mktemp("travel-cache"))


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """A valid tiny dataset folder."""
    return write_tiny(tmp_path / "tiny")


@pytest.fixture(scope="session")
def yongchuan_2030_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The output folder of one run of ``scenarios/yongchuan_2030.toml``, shared by the session.

    Tests read it and never write into it.
    """
    folder = tmp_path_factory.mktemp("yongchuan_2030") / "run"
    run_scenario(ROOT / "scenarios" / "yongchuan_2030.toml", folder, timings=False)
    return folder


@pytest.fixture(scope="session")
def dianjiang_2025_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, Path]:
    """``medalloc run scenarios/dianjiang_2025.toml --no-maps`` once per session, in-process:
    the CLI's result (exit code, stdout) and the output folder. Tests never write into it."""
    folder = tmp_path_factory.mktemp("dianjiang_2025") / "run"
    return invoke("run", ROOT / "scenarios" / "dianjiang_2025.toml", "--out", folder,
                  "--no-maps"), folder
