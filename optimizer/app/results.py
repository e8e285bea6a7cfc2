"""Read a run's output folder, the CLI's own files, and compare runs.

The workbench shows exactly what ``medalloc run`` (``coverage``, ``justify``) wrote:
``indicators.csv``, ``plan.csv``, ``towns.csv``, ``summary.json``, ``ranking.csv``... No number
is recomputed here, only selected, joined and subtracted, so the app and the CLI agree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from optimizer.results.files import read_output_csv

__all__ = ["RunResults", "compare_indicators", "compare_plan", "compare_towns", "read_results",
           "town_measures"]

# Files a run folder may offer for download, in the order the page lists them.
DOWNLOADS = ("report.html", "results.xlsx", "results.gpkg", "gaps.gpkg", "map.html",
             "indicators.csv", "plan.csv", "towns.csv", "summary.json", "justification.md",
             "ranking.csv", "coverage.csv")


@dataclass(frozen=True)
class RunResults:
    """The tables of one output folder (``None`` where the job does not write one)."""

    folder: Path
    summary: dict[str, Any]
    indicators: pd.DataFrame | None
    plan: pd.DataFrame | None
    towns: pd.DataFrame | None
    tables: dict[str, pd.DataFrame]

    @property
    def last_year(self) -> int | None:
        """The last plan year in ``towns.csv`` or ``plan.csv``."""
        for frame in (self.towns, self.plan):
            if frame is not None and "year" in frame.columns and len(frame):
                return int(frame["year"].max())
        return None

    @property
    def changes(self) -> pd.DataFrame | None:
        """``plan.csv``'s rows whose level changed, largest moves first."""
        if self.plan is None:
            return None
        moved = self.plan[self.plan["change"] != 0]
        order = moved["change"].abs().sort_values(ascending=False, kind="stable").index
        return moved.loc[order]


def _csv(folder: Path, name: str) -> pd.DataFrame | None:
    path = folder / name
    return read_output_csv(path, dtype={"facility_id": str, "town_code": str, "code": str}) \
        if path.is_file() else None


def read_results(folder: Path) -> RunResults:
    """The CLI's files in ``folder`` (a finished run's ``out/``)."""
    summary_path = folder / "summary.json"
    summary = json.loads(summary_path.read_text(encoding="utf-8")) if summary_path.is_file() \
        else {}
    if not summary and (folder / "justification.json").is_file():
        summary = json.loads((folder / "justification.json").read_text(encoding="utf-8"))
    tables = {name: frame for name in ("ranking.csv", "marginal.csv", "robustness.csv",
                                       "pairings.csv", "towns_coverage.csv", "inequality.csv")
              if (frame := _csv(folder, name)) is not None}
    return RunResults(folder, summary, _csv(folder, "indicators.csv"), _csv(folder, "plan.csv"),
                      _csv(folder, "towns.csv"), tables)


def town_measures(towns: pd.DataFrame) -> list[str]:
    """The per-town measures a map can colour by (per-capita figures and coverage shares)."""
    return [c for c in towns.columns
            if c.endswith(("_per_1000", "_per_10000")) or c.startswith("covered_share_")]


def compare_indicators(runs: dict[str, RunResults]) -> pd.DataFrame:
    """Indicators side by side: target and achieved per run, met flags, and the difference.

    Rows are (indicator, year); with exactly two runs a ``difference`` column gives the
    second's achieved value less the first's.
    """
    frames = []
    for label, run in runs.items():
        if run.indicators is None:
            continue
        part = run.indicators.set_index(["indicator", "year"])[["target", "achieved", "met"]]
        frames.append(part.add_prefix(f"{label}: "))
    if not frames:
        return pd.DataFrame()
    table = pd.concat(frames, axis=1).sort_index()
    labels = [label for label, run in runs.items() if run.indicators is not None]
    if len(labels) == 2:
        table["difference"] = (table[f"{labels[1]}: achieved"]
                               - table[f"{labels[0]}: achieved"])
    return table.reset_index()


def compare_plan(runs: dict[str, RunResults]) -> pd.DataFrame:
    """Each facility's level in the last year per run, where any run differs from another."""
    frames = []
    for label, run in runs.items():
        year = run.last_year
        if run.plan is None or year is None:
            continue
        last = run.plan[run.plan["year"] == year]
        frames.append(last.set_index(["facility_id", "name_zh", "resource"])["after"]
                      .rename(label))
    if not frames:
        return pd.DataFrame()
    table = pd.concat(frames, axis=1)
    differs = table.ne(table.iloc[:, 0], axis=0).any(axis=1)
    table = table[differs]
    if table.shape[1] == 2:
        table["difference"] = table.iloc[:, 1] - table.iloc[:, 0]
        table = table.reindex(table["difference"].abs().sort_values(ascending=False).index)
    return table.reset_index()


def compare_towns(runs: dict[str, RunResults], measure: str) -> pd.DataFrame:
    """One per-town measure in the last year, per run, with the difference of two runs."""
    frames = []
    for label, run in runs.items():
        year = run.last_year
        if run.towns is None or year is None or measure not in run.towns.columns:
            continue
        last = run.towns[run.towns["year"] == year]
        frames.append(last.set_index(["town_code", "name_zh"])[measure].rename(label))
    if not frames:
        return pd.DataFrame()
    table = pd.concat(frames, axis=1)
    if table.shape[1] == 2:
        table["difference"] = table.iloc[:, 1] - table.iloc[:, 0]
    return table.reset_index()
