"""The coverage job: coverage, gaps, service areas and access written atomically to one folder.

Load -> bind -> compute -> write: :func:`coverage_scenario` binds a scenario to its data as a
:class:`CoverageRequest`, :func:`compute_coverage` returns a :class:`CoverageResult` (tables and
layers, nothing written), :func:`write_coverage` writes it; :func:`run_coverage` does the last
two from layers already loaded.

Files written to ``out_dir`` (built in a temporary sibling folder, with whatever ``finish`` adds
such as the report and maps, then renamed into place, so an existing medalloc folder is replaced
whole or not at all; :mod:`optimizer.results.atomic`):

* ``coverage.csv``: per demand point, nearest facility and minutes per tier group and the
  ``covered_<group>_<threshold>`` flags.
* ``towns_coverage.csv``: per town, population, covered population and share per group and
  threshold, and the population-weighted access indices (``<resource>_per_1000``).
* ``access.csv``: (E)2SFCA access per demand point; ``inequality.csv``: Gini and decile ratio.
* ``gaps.gpkg``: layers ``uncovered_<group>_<threshold>`` (largest population first) and
  ``service_areas_<group>`` (one polygon per facility and threshold).
* ``gaps_map.png`` when ``make_map`` (needs matplotlib), ``summary.json`` and ``summary.txt``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from optimizer.config.scenario import Scenario, load_scenario
from optimizer.dataset.load import Dataset, load_dataset
from optimizer.errors import ScenarioError
from optimizer.model.inputs import existing_sub_centres
from optimizer.report.coverage_map import draw_gaps_map
from optimizer.results.atomic import replace_folder
from optimizer.results.files import write_csv
from optimizer.routing.context import road_layer, road_network
from optimizer.spatial.access import (
    DEFAULT_STEP_WEIGHTS,
    access_indices,
    inequality,
    town_access,
)
from optimizer.spatial.coverage import (
    ThresholdsArg,
    coverage_table,
    gaps,
    normalise_thresholds,
    outside_counts,
    threshold_label,
    town_coverage,
)
from optimizer.spatial.coverage_models import coverage_travel_model
from optimizer.spatial.service_areas import service_areas, write_layers
from optimizer.travel.table import TravelSettings, demand_settings, travel_table

if TYPE_CHECKING:
    from optimizer.travel.network import RoadNetwork

__all__ = [
    "CoverageRequest",
    "CoverageResult",
    "CoverageSummary",
    "OutsideCount",
    "compute_coverage",
    "coverage_scenario",
    "run_coverage",
    "write_coverage",
]

FLOAT_FORMAT = "%.3f"


@dataclass(frozen=True)
class OutsideCount:
    """Residents and demand points (villages) outside one group's threshold."""

    group: str
    threshold_minutes: float
    residents: float
    villages: int
    share_residents: float


@dataclass(frozen=True)
class CoverageSummary:
    """What a coverage run found, for the CLI and the report.

    Attributes
    ----------
    out_dir : Path
        Folder the files were written to.
    mode : str
        Travel mode used (straight_line or network).
    total_residents : float
        Residents over all demand points.
    total_villages : int
        Number of demand points.
    outside : tuple[OutsideCount, ...]
        Residents and villages outside every (group, threshold), sorted.
    towns : pandas.DataFrame
        The per-town table written to ``towns_coverage.csv``.
    inequality : pandas.DataFrame
        Gini and decile ratio per resource across towns.
    files : tuple[str, ...]
        Names of the files written.
    travel_model : dict
        What the figures rest on: straight lines (detour factor, speeds), or roads with the
        shares outside each threshold on both models side by side
        (:mod:`optimizer.spatial.coverage_models`).
    """

    out_dir: Path
    mode: str
    total_residents: float
    total_villages: int
    outside: tuple[OutsideCount, ...]
    towns: pd.DataFrame
    inequality: pd.DataFrame
    files: tuple[str, ...]
    travel_model: Mapping[str, Any] | None = None

    def outside_of(self, group: str, minutes: float) -> OutsideCount:
        """Return the count outside ``minutes`` of ``group``; ScenarioError if not computed."""
        for count in self.outside:
            if count.group == group and math.isclose(count.threshold_minutes, minutes):
                return count
        raise ScenarioError(
            f"no coverage computed for {group!r} at {threshold_label(minutes)} minutes"
        )

    def _headline(self, group: str, preferred: float) -> OutsideCount | None:
        candidates = [c for c in self.outside if c.group == group]
        for count in candidates:
            if math.isclose(count.threshold_minutes, preferred):
                return count
        return candidates[0] if candidates else None

    @property
    def outside_primary(self) -> OutsideCount | None:
        """Outside 15 minutes of primary care (or primary's first threshold if 15 not run)."""
        return self._headline("primary", 15.0)

    @property
    def outside_referral(self) -> OutsideCount | None:
        """Outside 30 minutes of the referral tier (or its first threshold if 30 not run)."""
        return self._headline("referral", 30.0)

    def to_text(self) -> str:
        """Return a plain-text summary for the terminal."""
        lines = [
            f"Coverage ({self.mode}): {self.total_residents:,.0f} residents in "
            f"{self.total_villages} demand points",
        ]
        for count in self.outside:
            lines.append(
                f"  outside {threshold_label(count.threshold_minutes)} min of {count.group}: "
                f"{count.residents:,.0f} residents ({count.share_residents:.1%}) in "
                f"{count.villages} villages"
            )
        for row in self.inequality.itertuples(index=False):
            skipped = int(getattr(row, "no_access_towns", 0))
            lines.append(
                f"  {row.resource} access across towns: Gini {row.gini:.3f}, "
                f"best/worst decile {row.decile_ratio:.2f}"
                + (f" ({skipped} towns without access left out)" if skipped else "")
            )
        if self.travel_model is not None:
            lines.append(str(self.travel_model["sentence"]["en"]))
            if "attribution" in self.travel_model:
                lines.append(f"Roads: {self.travel_model['attribution']}")
        lines.append(f"Files in {self.out_dir}: {', '.join(self.files)}")
        return "\n".join(lines)


def run_coverage(
    towns: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    settings: TravelSettings,
    tier_groups: Mapping[str, Iterable[str]],
    thresholds: ThresholdsArg,
    out_dir: Path,
    roads: gpd.GeoDataFrame | None = None,
    make_map: bool = True,
    *,
    resources: Sequence[str] = ("beds", "doctors"),
    step_weights: Mapping[float, float] = DEFAULT_STEP_WEIGHTS,
    inputs: Iterable[Path | str] = (),
    finish: Callable[[Path], None] | None = None,
) -> CoverageSummary:
    """Compute coverage, gaps, service areas and access, and write them to ``out_dir``.

    Parameters
    ----------
    towns, demand, facilities, settings, tier_groups, thresholds, roads, resources, step_weights
        What to compute on, as the fields of :class:`CoverageRequest`.
    out_dir : Path
        Output folder; replaced atomically if it exists.
    make_map : bool
        Also draw ``gaps_map.png`` (needs matplotlib).
    inputs : iterable of path
        The scenario and data paths; an ``out_dir`` holding one of them is refused.
    finish : callable, optional
        Called with the folder being built, after the job's files are in it and before the swap
        (the CLI adds the report and maps there).

    Returns
    -------
    CoverageSummary
        Counts outside each threshold, the town table and the inequality table.

    Raises
    ------
    UsageError
        ``out_dir`` is not medalloc's, holds the inputs, is in use or cannot be written.
    """
    request = CoverageRequest(towns, demand, facilities, settings, tier_groups, thresholds,
                              roads, tuple(resources), dict(step_weights))
    with replace_folder(Path(out_dir), "coverage", inputs=inputs) as tmp:
        summary = write_coverage(compute_coverage(request), tmp, out_dir=Path(out_dir),
                                 make_map=make_map)
        if finish is not None:
            finish(tmp)
    return summary


def coverage_scenario(
    scenario: Scenario | Path | str,
    out_dir: Path | str,
    *,
    make_map: bool = True,
    finish: Callable[[Path, Dataset], None] | None = None,
) -> CoverageSummary:
    """Load a scenario and its data, then map coverage as the scenario describes it.

    The plan's sub-centres that already exist (``[sub_centres] built``) count as sub-centres;
    travel, tier groups, thresholds and the access resources and steps come from the scenario.
    ``finish`` is called with the folder being built and the loaded dataset.
    """
    spec = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    data = load_dataset([spec.data.folder])
    facilities = data.facilities.copy()
    built = facilities["facility_id"].astype(str).isin(existing_sub_centres(data, spec))
    facilities.loc[built, "tier"] = "sub_centre"  # the plan's sub-centres, already built
    access = spec.coverage.access

    def done(folder: Path) -> None:
        if finish is not None:
            finish(folder, data)

    return run_coverage(
        data.towns, data.demand, facilities, spec.travel, spec.coverage.groups,
        spec.coverage.thresholds, Path(out_dir), roads=road_layer(spec.travel, data.roads),
        make_map=make_map,
        resources=tuple(r for r in access.resources if r in data.facilities.columns),
        step_weights={float(k): v for k, v in access.step_weights.items()},
        inputs=spec.input_paths, finish=done,
    )


@dataclass(frozen=True)
class CoverageRequest:
    """What a coverage run computes on: validated layers, travel settings, groups and steps.

    Attributes
    ----------
    towns, demand, facilities : geopandas.GeoDataFrame
        Validated layers (WGS84 as loaded).
    settings : TravelSettings
        Travel settings (mode, CRS, speeds, travel mode per purpose).
    tier_groups : Mapping[str, Iterable[str]]
        Group name -> tiers, e.g. :data:`optimizer.spatial.coverage.DEFAULT_TIER_GROUPS`.
    thresholds : Mapping[str, float | Sequence[float]]
        Group name -> minutes, e.g. ``{"primary": [15, 30], "referral": 30}``.
    roads : geopandas.GeoDataFrame, optional
        Road lines, required when ``settings.mode == "network"``.
    resources : Sequence[str]
        Facility columns to compute (E)2SFCA access for.
    step_weights : Mapping[float, float]
        E2SFCA steps, minutes -> weight (``{30: 1.0}`` gives plain 2SFCA).
    """

    towns: gpd.GeoDataFrame
    demand: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    settings: TravelSettings
    tier_groups: Mapping[str, Iterable[str]]
    thresholds: ThresholdsArg
    roads: gpd.GeoDataFrame | None = None
    resources: Sequence[str] = ("beds", "doctors")
    step_weights: Mapping[float, float] = field(
        default_factory=lambda: dict(DEFAULT_STEP_WEIGHTS))


@dataclass(frozen=True)
class CoverageResult:
    """What a coverage run computed, before anything is written.

    Attributes
    ----------
    request : CoverageRequest
        What it was computed on.
    limits : Mapping[str, Sequence[float]]
        Minutes per tier group, normalised (sorted, as floats).
    coverage : pandas.DataFrame
        Per demand point: nearest facility and minutes per group, ``covered_*`` flags.
    towns : pandas.DataFrame
        Per town: covered shares per group and threshold, and the access indices.
    access : pandas.DataFrame
        (E)2SFCA access per demand point.
    inequality : pandas.DataFrame
        Gini and decile ratio per resource across towns.
    layers : Mapping[str, geopandas.GeoDataFrame]
        ``uncovered_<group>_<threshold>`` points and ``service_areas_<group>`` polygons.
    outside : tuple[OutsideCount, ...]
        Residents and villages outside every (group, threshold), sorted.
    travel_model : Mapping[str, Any], optional
        What the figures rest on (:mod:`optimizer.spatial.coverage_models`).
    """

    request: CoverageRequest
    limits: Mapping[str, Sequence[float]]
    coverage: pd.DataFrame
    towns: pd.DataFrame
    access: pd.DataFrame
    inequality: pd.DataFrame
    layers: Mapping[str, gpd.GeoDataFrame]
    outside: tuple[OutsideCount, ...]
    travel_model: Mapping[str, Any] | None


def compute_coverage(request: CoverageRequest) -> CoverageResult:
    """Coverage, gaps, service areas and access of ``request``; nothing is written."""
    r = request
    limits = normalise_thresholds(r.tier_groups, r.thresholds)
    network = road_network(r.settings, r.roads)
    coverage = coverage_table(
        r.demand, r.facilities, r.towns, settings=r.settings, tier_groups=r.tier_groups,
        thresholds=limits, network=network,
    )
    access, access_by_town, unequal = _access(
        r.demand, r.facilities, r.towns, r.settings, network, r.resources, r.step_weights
    )
    towns_table = town_coverage(coverage, r.towns, limits).merge(
        access_by_town, on="town_code", how="left"
    )
    layers = _gap_layers(coverage, r.demand, r.facilities, r.towns, r.settings, r.tier_groups,
                         limits, network)
    counts = outside_counts(coverage, limits)
    travel_model = coverage_travel_model(coverage, r.demand, r.facilities, r.towns, r.settings,
                                         r.tier_groups, limits, r.roads)
    outside = tuple(
        OutsideCount(str(c["group"]), float(c["threshold_minutes"]), float(c["residents"]),
                     int(c["villages"]), float(c["share_residents"]))
        for c in counts.to_dict("records")
    )
    return CoverageResult(r, limits, coverage, towns_table, access, unequal, layers, outside,
                          travel_model)


def write_coverage(result: CoverageResult, folder: Path, *, out_dir: Path,
                   make_map: bool) -> CoverageSummary:
    """Write ``result``'s files into ``folder`` (to be swapped into ``out_dir``); its summary."""
    files = ["coverage.csv", "towns_coverage.csv", "access.csv", "inequality.csv",
             "gaps.gpkg", "summary.json", "summary.txt"]
    if make_map:
        files.append("gaps_map.png")
    settings = result.request.settings
    summary = CoverageSummary(
        out_dir=Path(out_dir),
        mode=settings.mode,
        total_residents=float(result.coverage["population"].sum()),
        total_villages=len(result.coverage),
        outside=result.outside,
        towns=result.towns,
        inequality=result.inequality,
        files=tuple(sorted(files)),
        travel_model=result.travel_model,
    )
    for name, frame in (("coverage.csv", result.coverage), ("towns_coverage.csv", result.towns),
                        ("access.csv", result.access), ("inequality.csv", result.inequality)):
        write_csv(frame, folder / name, FLOAT_FORMAT)
    write_layers(dict(result.layers), folder / "gaps.gpkg")
    (folder / "summary.json").write_text(
        json.dumps(_summary_json(summary, settings, result.limits), indent=2, sort_keys=True,
                   ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    (folder / "summary.txt").write_text(summary.to_text() + "\n", encoding="utf-8")
    if make_map:
        r = result.request
        draw_gaps_map(folder / "gaps_map.png", r.towns, result.coverage, r.demand, result.limits)
    return summary


def _access(
    demand: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    towns: pd.DataFrame,
    settings: TravelSettings,
    network: RoadNetwork | None,
    resources: Sequence[str],
    step_weights: Mapping[float, float],
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    reach = max(float(b) for b in step_weights)
    table = travel_table(
        demand, facilities, settings=settings, travel_mode=settings.travel_mode_for("access"),
        max_minutes=reach, origin_setting=demand_settings(demand, towns), network=network,
    )
    access = access_indices(table, demand, facilities, resources=resources,
                            step_weights=step_weights)
    by_town = town_access(access, resources)
    population = access.groupby("town_code")["population"].sum()
    return access, by_town, inequality(by_town, population, resources)


def _gap_layers(
    coverage: pd.DataFrame,
    demand: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    towns: pd.DataFrame,
    settings: TravelSettings,
    tier_groups: Mapping[str, Iterable[str]],
    limits: Mapping[str, Sequence[float]],
    network: RoadNetwork | None,
) -> dict[str, gpd.GeoDataFrame]:
    geometry = gpd.GeoSeries(demand.geometry.to_numpy(), crs=demand.crs,
                             index=demand["demand_id"].astype(str).to_numpy()).to_crs("EPSG:4326")
    layers: dict[str, gpd.GeoDataFrame] = {}
    for group in sorted(limits):
        for limit in limits[group]:
            uncovered = gaps(coverage, group, limit)
            keep = [c for c in uncovered.columns if not c.startswith("covered_")]
            layers[f"uncovered_{group}_{threshold_label(limit)}"] = gpd.GeoDataFrame(
                uncovered[keep].reset_index(drop=True),
                geometry=geometry.loc[uncovered["demand_id"]].to_numpy(),
                crs="EPSG:4326",
            )
        tiers = {tier_groups[group]} if isinstance(tier_groups[group], str) \
            else set(tier_groups[group])
        members = facilities[facilities["tier"].astype(str).isin(tiers).to_numpy()]
        layers[f"service_areas_{group}"] = service_areas(
            members, towns, settings=settings, travel_mode=settings.travel_mode_for(group),
            thresholds=limits[group], network=network,
        )
    return layers


def _summary_json(
    summary: CoverageSummary, settings: TravelSettings, limits: Mapping[str, Sequence[float]]
) -> dict[str, Any]:
    def clean(value: float) -> float | None:
        return round(value, 6) if math.isfinite(value) else None

    return {
        "mode": summary.mode,
        "settings": settings.to_dict(),
        "thresholds": {g: list(v) for g, v in limits.items()},
        "total_residents": clean(summary.total_residents),
        "total_villages": summary.total_villages,
        "outside": [
            {"group": c.group, "threshold_minutes": c.threshold_minutes,
             "residents": clean(c.residents), "villages": c.villages,
             "share_residents": clean(c.share_residents)}
            for c in summary.outside
        ],
        "inequality": [
            {"resource": str(r["resource"]), "gini": clean(float(r["gini"])),
             "decile_ratio": clean(float(r["decile_ratio"])),
             "no_access_towns": int(r["no_access_towns"])}
            for r in summary.inequality.to_dict("records")
        ],
        "travel_model": summary.travel_model,
        **({"attribution": summary.travel_model["attribution"]}
           if summary.travel_model and "attribution" in summary.travel_model else {}),
    }
