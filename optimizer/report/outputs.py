"""Read a run's, a coverage job's or a justification's output files back into tables for reports.

Reports never see solver objects: everything they show comes from the files in an output
folder (``plan.csv``, ``towns.csv``, ``indicators.csv``, ``summary.json``; ``coverage.csv``,
``towns_coverage.csv``, ``gaps.gpkg``; ``justification.json``, ``ranking.csv``, ...). Files that a
folder may lack (a justification still being written, a run without a coverage subfolder) read
as ``None``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from optimizer.errors import DataError, Problem
from optimizer.results.files import read_output_csv

__all__ = [
    "CoverageOutputs",
    "JustifyOutputs",
    "RunOutputs",
    "Target",
    "facility_changes",
    "read_coverage_outputs",
    "read_justify_outputs",
    "read_run_outputs",
    "resource_targets",
]

_ID_COLUMNS = {
    "facility_id": str, "town_code": str, "demand_id": str, "code": str,
    "nearest_primary_facility_id": str, "nearest_referral_facility_id": str,
    "nearest_village_facility_id": str,
}


@dataclass(frozen=True)
class RunOutputs:
    """The files of a ``medalloc run`` folder."""

    plan: pd.DataFrame
    towns: pd.DataFrame
    indicators: pd.DataFrame
    summary: dict[str, Any]


@dataclass(frozen=True)
class CoverageOutputs:
    """The files of a ``medalloc coverage`` folder (``gaps`` is the GeoPackage's path or None)."""

    coverage: pd.DataFrame
    towns: pd.DataFrame
    inequality: pd.DataFrame | None
    summary: dict[str, Any]
    gaps: Path | None


@dataclass(frozen=True)
class JustifyOutputs:
    """The files of a justification folder; each is ``None`` when absent."""

    justification: dict[str, Any] | None
    markdown: str | None
    ranking: pd.DataFrame | None
    marginal: pd.DataFrame | None
    robustness: pd.DataFrame | None
    pairings: pd.DataFrame | None

    @property
    def empty(self) -> bool:
        """True when none of the justification files was found."""
        return all(
            part is None for part in (self.justification, self.markdown, self.ranking,
                                      self.marginal, self.robustness, self.pairings)
        )


@dataclass(frozen=True)
class Target:
    """A district-wide per-capita target read from ``indicators.csv``."""

    resource: str
    base: int
    sense: str
    year: int
    target: float
    achieved: float
    met: bool

    @property
    def column(self) -> str:
        """The matching column of ``towns.csv`` (``beds_per_1000``, ``gps_per_10000``)."""
        return f"{self.resource}_per_{self.base}"


def read_run_outputs(folder: Path) -> RunOutputs:
    """Read ``plan.csv``, ``towns.csv``, ``indicators.csv`` and ``summary.json`` of a run.

    Raises
    ------
    DataError
        A file is missing: the folder is not a finished ``medalloc run`` output.
    """
    _require(folder, ("plan.csv", "towns.csv", "indicators.csv", "summary.json"), "medalloc run")
    indicators = _csv(folder / "indicators.csv")
    indicators["met"] = indicators["met"].astype(str).str.lower().eq("true")
    return RunOutputs(
        plan=_csv(folder / "plan.csv"),
        towns=_csv(folder / "towns.csv"),
        indicators=indicators,
        summary=_json(folder / "summary.json"),
    )


def read_coverage_outputs(folder: Path) -> CoverageOutputs:
    """Read ``coverage.csv``, ``towns_coverage.csv``, ``summary.json`` (and optional files).

    Raises
    ------
    DataError
        A required file is missing: the folder is not a finished ``medalloc coverage`` output.
    """
    _require(folder, ("coverage.csv", "towns_coverage.csv", "summary.json"), "medalloc coverage")
    inequality = folder / "inequality.csv"
    gaps = folder / "gaps.gpkg"
    return CoverageOutputs(
        coverage=_csv(folder / "coverage.csv"),
        towns=_csv(folder / "towns_coverage.csv"),
        inequality=_csv(inequality) if inequality.is_file() else None,
        summary=_json(folder / "summary.json"),
        gaps=gaps if gaps.is_file() else None,
    )


def read_justify_outputs(folder: Path) -> JustifyOutputs:
    """Read whichever justification files exist in ``folder``; absent ones are ``None``."""
    def table(name: str) -> pd.DataFrame | None:
        path = folder / name
        return _csv(path) if path.is_file() else None

    data = folder / "justification.json"
    markdown = folder / "justification.md"
    return JustifyOutputs(
        justification=_json(data) if data.is_file() else None,
        markdown=markdown.read_text(encoding="utf-8") if markdown.is_file() else None,
        ranking=table("ranking.csv"),
        marginal=table("marginal.csv"),
        robustness=table("robustness.csv"),
        pairings=table("pairings.csv"),
    )


def resource_targets(indicators: pd.DataFrame) -> list[Target]:
    """District per-capita targets (beds per 1000 cap, doctors per 1000 floor...) in file order.

    Read from the structured columns of ``indicators.csv`` (``resource``, ``per``, ``sense``):
    a district target is a row with a resource, a whole-number ``per`` and a ``<=`` (cap) or
    ``>=`` (floor) sense. Rows per town, per facility or per recruit have other ``per`` values.
    """
    found: list[Target] = []
    senses = {"<=": "cap", ">=": "floor"}
    for row in indicators.itertuples(index=False):
        resource, per, sense = (str(getattr(row, c)).strip() for c in ("resource", "per", "sense"))
        year, target = float(str(row.year)), float(str(row.target))
        if (not resource or resource == "nan" or not per.isdigit() or sense not in senses
                or math.isnan(year) or math.isnan(target)):
            continue
        found.append(Target(
            resource=resource, base=int(per), sense=senses[sense], year=int(year),
            target=target, achieved=float(str(row.achieved)), met=bool(row.met),
        ))
    return found


def facility_changes(plan: pd.DataFrame, resource: str) -> pd.DataFrame:
    """Per facility: tier and level before the first plan year and after the last one.

    ``plan.csv`` holds one row per facility, year and resource with the level before and after
    that period; a facility's tier may change (an upgrade to sub-centre).

    Returns
    -------
    pandas.DataFrame
        ``facility_id, name_zh, town_code, tier_before, tier, before, after, change`` sorted by
        facility id.
    """
    rows = plan[plan["resource"] == resource].sort_values(["facility_id", "year"])
    first = rows.groupby("facility_id", sort=True).first()
    last = rows.groupby("facility_id", sort=True).last()
    frame = pd.DataFrame({
        "facility_id": first.index.astype(str),
        "name_zh": last["name_zh"].to_numpy(),
        "town_code": last["town_code"].astype(str).to_numpy(),
        "tier_before": first["tier"].to_numpy(),
        "tier": last["tier"].to_numpy(),
        "before": first["before"].astype("int64").to_numpy(),
        "after": last["after"].astype("int64").to_numpy(),
    })
    frame["change"] = frame["after"] - frame["before"]
    return frame.reset_index(drop=True)


def _require(folder: Path, names: tuple[str, ...], command: str) -> None:
    missing = [name for name in names if not (folder / name).is_file()]
    if missing:
        raise DataError([
            Problem(file=str(folder / name), row="", column="", value="",
                    message="file not found in the output folder",
                    fix=f"point the report at a finished `{command}` output folder")
            for name in missing
        ])


def _csv(path: Path) -> pd.DataFrame:
    header = read_output_csv(path, nrows=0).columns
    dtypes = {c: _ID_COLUMNS[c] for c in header if c in _ID_COLUMNS}
    return read_output_csv(path, dtype=dtypes)


def _json(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {"value": data}
