"""Coverage: each demand point's nearest facility per tier group, covered flags, town shares, gaps.

A demand point is covered by a tier group at threshold T when its nearest facility of that group
is at most T minutes away (``minutes <= T``), by the group's travel mode (see
:class:`optimizer.travel.table.TravelSettings.travel_modes`). The nearest facility is found with no
time cap, so the gap list can say how far an uncovered village really is.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from optimizer.errors import DataError, MedallocWarning, Problem, ScenarioError
from optimizer.travel.table import TravelSettings, demand_settings, nearest_table

if TYPE_CHECKING:
    import geopandas as gpd

    from optimizer.travel.network import RoadNetwork

__all__ = [
    "DEFAULT_THRESHOLDS",
    "DEFAULT_TIER_GROUPS",
    "coverage_table",
    "flag_column",
    "gaps",
    "minutes_column",
    "nearest_column",
    "normalise_thresholds",
    "outside_counts",
    "threshold_label",
    "town_coverage",
]

DEFAULT_TIER_GROUPS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "primary": (
            "township_health_centre",
            "community_health_centre",
            "central_village_clinic",
            "village_clinic",
        ),
        "referral": ("sub_centre", "secondary_hospital", "tertiary_hospital"),
    }
)
DEFAULT_THRESHOLDS: Mapping[str, tuple[float, ...]] = MappingProxyType(
    {"primary": (15.0,), "referral": (30.0,)}
)

ThresholdsArg = Mapping[str, float | Sequence[float]]


def threshold_label(minutes: float) -> str:
    """Return a threshold as it appears in column names: ``15`` or ``7.5``."""
    return f"{minutes:g}"


def flag_column(group: str, minutes: float) -> str:
    """Return the covered-flag column name, e.g. ``covered_primary_15``."""
    return f"covered_{group}_{threshold_label(minutes)}"


def nearest_column(group: str) -> str:
    """Return the nearest-facility column name, e.g. ``nearest_primary_facility_id``."""
    return f"nearest_{group}_facility_id"


def minutes_column(group: str) -> str:
    """Return the nearest-minutes column name, e.g. ``nearest_primary_minutes``."""
    return f"nearest_{group}_minutes"


def normalise_thresholds(
    tier_groups: Mapping[str, Iterable[str]], thresholds: ThresholdsArg
) -> dict[str, tuple[float, ...]]:
    """Return sorted, de-duplicated thresholds per group, checking they match the tier groups.

    Raises
    ------
    ScenarioError
        If a group has no thresholds, thresholds name an unknown group, or a value is not a
        positive number.
    """
    unknown = sorted(set(thresholds) - set(tier_groups))
    if unknown:
        raise ScenarioError(
            f"thresholds given for unknown tier group(s) {unknown}; tier groups are "
            f"{sorted(tier_groups)}"
        )
    out: dict[str, tuple[float, ...]] = {}
    for group in sorted(tier_groups):
        if group not in thresholds:
            raise ScenarioError(
                f"tier group {group!r} has no coverage threshold; add e.g. {group} = [15]"
            )
        raw = thresholds[group]
        values = [raw] if isinstance(raw, int | float) else list(raw)
        if not values:
            raise ScenarioError(f"tier group {group!r} has an empty threshold list")
        for value in values:
            if isinstance(value, bool) or not isinstance(value, int | float) or not (
                math.isfinite(value) and value > 0
            ):
                raise ScenarioError(
                    f"threshold {value!r} of tier group {group!r} must be a positive number "
                    "of minutes"
                )
        out[group] = tuple(sorted({float(v) for v in values}))
        labels = [threshold_label(v) for v in out[group]]
        if len(set(labels)) != len(labels):
            raise ScenarioError(
                f"thresholds {list(out[group])} of tier group {group!r} are too close to tell "
                "apart in column names; round them"
            )
    return out


def _check_tier_groups(tier_groups: Mapping[str, Iterable[str]]) -> dict[str, tuple[str, ...]]:
    if not tier_groups:
        raise ScenarioError("no tier groups given; e.g. primary = ['village_clinic', ...]")
    groups: dict[str, tuple[str, ...]] = {}
    for group, tiers in tier_groups.items():
        if not group.isidentifier():
            raise ScenarioError(
                f"tier group name {group!r} must be a plain identifier (letters, digits, _)"
            )
        listed = (tiers,) if isinstance(tiers, str) else tuple(tiers)
        if not listed:
            raise ScenarioError(f"tier group {group!r} lists no tiers")
        groups[group] = listed
    return groups


def coverage_table(
    demand: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    towns: pd.DataFrame,
    *,
    settings: TravelSettings,
    tier_groups: Mapping[str, Iterable[str]] = DEFAULT_TIER_GROUPS,
    thresholds: ThresholdsArg = DEFAULT_THRESHOLDS,
    network: RoadNetwork | None = None,
) -> pd.DataFrame:
    """Return one row per demand point with its nearest facility per group and covered flags.

    Parameters
    ----------
    demand, facilities : geopandas.GeoDataFrame
        Demand points and facilities as loaded (see the data contract).
    towns : pandas.DataFrame
        Towns with ``code`` and ``kind`` (for the urban/rural setting of each demand point).
    settings : TravelSettings
        Travel settings; the travel mode of group ``g`` is ``settings.travel_mode_for(g)``.
    tier_groups : Mapping[str, Iterable[str]]
        Group name -> facility tiers.
    thresholds : Mapping[str, float | Sequence[float]]
        Group name -> threshold minutes (one or several).
    network : RoadNetwork, optional
        Road graph, required in network mode.

    Returns
    -------
    pandas.DataFrame
        Sorted by ``demand_id``: ``demand_id``, ``town_code``, ``name_zh``, ``population``, then
        per group ``nearest_<group>_facility_id``, ``nearest_<group>_minutes`` and one boolean
        ``covered_<group>_<threshold>`` per threshold.
    """
    groups = _check_tier_groups(tier_groups)
    limits = normalise_thresholds(groups, thresholds)
    for column in ("demand_id", "town_code", "population"):
        if column not in demand.columns:
            raise DataError([Problem("demand points", "", column, "", "column missing",
                                     f"add a '{column}' column")])
    setting = demand_settings(demand, towns)
    base = pd.DataFrame(
        {
            "demand_id": demand["demand_id"].astype(str).to_numpy(),
            "town_code": demand["town_code"].astype(str).to_numpy(),
            "name_zh": (demand["name_zh"].astype(str).to_numpy() if "name_zh" in demand
                        else ""),
            "population": pd.to_numeric(demand["population"]).to_numpy(dtype=np.float64),
        }
    ).sort_values("demand_id", kind="stable").reset_index(drop=True)
    tiers = facilities["tier"].astype(str)
    for group in sorted(groups):
        members = facilities[tiers.isin(groups[group]).to_numpy()]
        if members.empty:
            warnings.warn(
                f"no facility belongs to tier group {group!r} (tiers {list(groups[group])}); "
                "every demand point counts as uncovered for it",
                MedallocWarning,
                stacklevel=2,
            )
        nearest = nearest_table(
            demand,
            members,
            settings=settings,
            travel_mode=settings.travel_mode_for(group),
            origin_setting=setting,
            network=network,
        )
        # nearest_table is sorted by origin_id, as is base.
        base[nearest_column(group)] = nearest["destination_id"].to_numpy()
        base[minutes_column(group)] = nearest["minutes"].to_numpy()
        for limit in limits[group]:
            base[flag_column(group, limit)] = base[minutes_column(group)] <= limit
    return base


def town_coverage(
    coverage: pd.DataFrame, towns: pd.DataFrame, thresholds: Mapping[str, Sequence[float]]
) -> pd.DataFrame:
    """Return per town the demand population and the population and share covered.

    ``population`` is the sum over the town's demand points (towns without any get 0 and a
    missing share). Columns ``covered_population_<group>_<t>`` and ``covered_share_<group>_<t>``
    follow, one pair per group and threshold; rows are sorted by ``town_code``.
    """
    codes = towns["code"].astype(str)
    out = pd.DataFrame(
        {
            "town_code": codes.to_numpy(),
            "name_zh": (towns["name_zh"].astype(str).to_numpy() if "name_zh" in towns
                        else ""),
        }
    ).sort_values("town_code", kind="stable").reset_index(drop=True)
    grouped = coverage.groupby("town_code", sort=True)
    population = grouped["population"].sum()
    out["population"] = out["town_code"].map(population).fillna(0.0).to_numpy(dtype=np.float64)
    out["demand_points"] = (
        out["town_code"].map(grouped.size()).fillna(0).to_numpy(dtype=np.int64)
    )
    for group in sorted(thresholds):
        for limit in thresholds[group]:
            flag = flag_column(group, limit)
            covered = coverage["population"].where(coverage[flag], 0.0)
            by_town = covered.groupby(coverage["town_code"]).sum()
            label = f"{group}_{threshold_label(limit)}"
            value = out["town_code"].map(by_town).fillna(0.0).to_numpy(dtype=np.float64)
            out[f"covered_population_{label}"] = value
            with np.errstate(invalid="ignore", divide="ignore"):
                share = np.where(out["population"] > 0, value / out["population"], np.nan)
            out[f"covered_share_{label}"] = share
    return out


def gaps(coverage: pd.DataFrame, group: str, minutes: float) -> pd.DataFrame:
    """Return the demand points not covered by ``group`` within ``minutes``, largest first.

    Sorted by population (descending), then ``demand_id``.
    """
    flag = flag_column(group, minutes)
    if flag not in coverage.columns:
        raise ScenarioError(
            f"no coverage computed for group {group!r} at {threshold_label(minutes)} minutes; "
            "add the threshold to the run"
        )
    uncovered = coverage.loc[~coverage[flag]]
    return uncovered.sort_values(
        ["population", "demand_id"], ascending=[False, True], kind="stable"
    ).reset_index(drop=True)


def outside_counts(
    coverage: pd.DataFrame, thresholds: Mapping[str, Sequence[float]]
) -> pd.DataFrame:
    """Return residents and demand points outside each group's thresholds.

    Columns ``group``, ``threshold_minutes``, ``residents``, ``villages`` (demand points),
    ``share_residents``; sorted by group then threshold.
    """
    total = float(coverage["population"].sum())
    rows = []
    for group in sorted(thresholds):
        for limit in thresholds[group]:
            outside = ~coverage[flag_column(group, limit)]
            residents = float(coverage.loc[outside, "population"].sum())
            rows.append(
                {
                    "group": group,
                    "threshold_minutes": float(limit),
                    "residents": residents,
                    "villages": int(outside.sum()),
                    "share_residents": residents / total if total > 0 else float("nan"),
                }
            )
    return pd.DataFrame(
        rows, columns=["group", "threshold_minutes", "residents", "villages", "share_residents"]
    )
