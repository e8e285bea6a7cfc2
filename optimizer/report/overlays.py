"""Build the interactive map's layers: towns with their figures, facilities, service areas, gaps."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from optimizer.report.html import esc
from optimizer.report.i18n import group_name, text, tier_name
from optimizer.report.interactive import Overlay

__all__ = [
    "facility_overlays",
    "gap_overlays",
    "legend_html",
    "service_area_overlays",
    "share_colour",
    "town_overlay",
]

# tier group (its i18n key) for the layer control -> (tiers, fill colour, radius, shown at start)
_FACILITY_GROUPS: tuple[tuple[str, tuple[str, ...], str, float, bool], ...] = (
    ("group.hospitals", ("tertiary_hospital", "secondary_hospital", "specialist_hospital"),
     "#b2182b", 8, True),
    ("group.sub_centres", ("sub_centre",), "#7b3294", 9, True),
    ("group.health_centres",
     ("township_health_centre", "community_health_centre"), "#2c7fb8", 6, True),
    ("group.central_village_clinics", ("central_village_clinic",), "#1b9e77", 4.5, True),
    ("group.village_clinics", ("village_clinic",), "#8c8c8c", 3, False),
)
_SHARE_STEPS = ((0.0, "#fff7ec"), (0.05, "#fdd49e"), (0.2, "#fc8d59"), (0.4, "#d7301f"),
                (0.6, "#7f0000"))


def share_colour(share: float) -> str:
    """Fill colour for a share of residents outside (five steps, as in the legend)."""
    if not np.isfinite(share):
        return "#eeeeee"
    colour = _SHARE_STEPS[0][1]
    for lower, step in _SHARE_STEPS:
        if share >= lower:
            colour = step
    return colour


def legend_html(share_title: str, *, gaps: bool, lang: str = "en") -> str:
    """The legend box: share-outside steps, facility groups, uncovered villages."""
    rows = [f"<b>{esc(share_title)}</b>"]
    uppers = [s for s, _ in _SHARE_STEPS[1:]] + [1.0]
    for (lower, colour), upper in zip(_SHARE_STEPS, uppers, strict=True):
        rows.append(f'<i style="background:{colour}"></i>{lower:.0%}–{upper:.0%}')
    rows.append(f'<i style="background:#eeeeee"></i>{esc(text("imap.not_in_scope", lang))}')
    for key, _, colour, _, _ in _FACILITY_GROUPS:
        rows.append(f'<i class="dot" style="background:{colour}"></i>{esc(text(key, lang))}')
    if gaps:
        rows.append('<i class="dot" style="background:#d7301f;border-color:#fff"></i>'
                    + esc(text("imap.village_outside", lang)))
    return "<br>".join(rows)


def town_overlay(towns: gpd.GeoDataFrame, share_outside: Mapping[str, float],
                 figures: Mapping[str, Sequence[tuple[str, str]]], name: str,
                 lang: str = "en") -> Overlay:
    """Towns coloured by share outside, labelled, with a popup table of ``figures`` per code."""
    frame = towns[["code", "name_zh", "geometry"]].copy()
    frame["label"] = frame["name_zh"].astype(str)
    shares = frame["code"].map(share_outside).astype(float)
    frame["fill"] = [share_colour(v) for v in shares]
    frame["opacity"] = 0.7
    frame["color"] = "#444444"
    frame["weight"] = 1.2
    frame["popup"] = [
        _popup(f"{row.name_zh} ({row.code})", figures.get(str(row.code), ()))
        for row in frame.itertuples(index=False)
    ]
    return Overlay(name=name, frame=frame, kind="towns", show=True)


def facility_overlays(facilities: gpd.GeoDataFrame, tiers: Mapping[str, str],
                      figures: Mapping[str, Sequence[tuple[str, str]]],
                      lang: str = "en") -> list[Overlay]:
    """One layer per tier group; ``tiers`` gives each facility's tier to show."""
    frame = facilities[["facility_id", "name_zh", "geometry"]].copy()
    frame["tier"] = frame["facility_id"].map(tiers)
    overlays = []
    for key, group, colour, radius, show in _FACILITY_GROUPS:
        part = frame[frame["tier"].isin(group)].sort_values("facility_id").copy()
        if part.empty:
            continue
        part["fill"], part["radius"], part["color"], part["weight"] = colour, radius, "#222", 1
        part["popup"] = [
            _popup(f"{row.name_zh}", [(text("imap.tier", lang), tier_name(str(row.tier), lang)),
                                      (text("imap.id", lang), str(row.facility_id)),
                                      *figures.get(str(row.facility_id), ())])
            for row in part.itertuples(index=False)
        ]
        overlays.append(Overlay(name=text(key, lang), frame=part.drop(columns=["tier"]),
                                kind="points",
                                show=show))
    return overlays


def service_area_overlays(gpkg: Path | None, label: str, lang: str = "en") -> list[Overlay]:
    """The ``service_areas_<group>`` layers of a coverage job's ``gaps.gpkg``, hidden at start."""
    if gpkg is None:
        return []
    overlays = []
    for layer in sorted(str(n) for n in pyogrio.list_layers(gpkg)[:, 0]):
        if not layer.startswith("service_areas_"):
            continue
        frame = gpd.read_file(gpkg, layer=layer)
        if frame.empty:
            continue
        group = layer.removeprefix("service_areas_")
        smallest = frame["threshold_minutes"].min()
        frame = frame[frame["threshold_minutes"] == smallest].copy()
        frame["geometry"] = frame.geometry.simplify(0.0003)
        frame["fill"], frame["color"], frame["weight"], frame["opacity"] = (
            "#2c7fb8", "#2c7fb8", 0.6, 0.12)
        frame["popup"] = [
            _popup(str(r.facility_id), [
                (text("imap.tier", lang), tier_name(str(r.tier), lang)),
                (text("imap.within_word", lang),
                 text("gaps.minutes", lang, minutes=f"{r.threshold_minutes:g}")),
                (text("imap.by", lang), group_name(str(getattr(r, "travel_mode", "")), lang))])
            for r in frame.itertuples(index=False)
        ]
        keep = ["facility_id", "fill", "color", "weight", "opacity", "popup", "geometry"]
        overlays.append(Overlay(name=text("imap.areas", lang, group=group_name(group, lang),
                                          minutes=f"{smallest:g}", label=label),
                                frame=gpd.GeoDataFrame(frame[keep], crs=frame.crs),
                                kind="areas", show=False))
    return overlays


def gap_overlays(demand: gpd.GeoDataFrame, coverage: pd.DataFrame,
                 town_names: Mapping[str, str], label: str,
                 groups: Sequence[str] | None = None, *,
                 show_first: bool = True, lang: str = "en") -> list[Overlay]:
    """One layer per ``covered_<group>_<minutes>`` column: the villages outside, by residents.

    Only the first layer is on at start, and none unless ``show_first``.
    """
    overlays = []
    flags = sorted(c for c in coverage.columns if c.startswith("covered_")
                   and (groups is None or c.split("_")[1] in groups))
    biggest = max(float(coverage["population"].max()), 1.0) if len(coverage) else 1.0
    for number, flag in enumerate(flags):
        outside = coverage[~coverage[flag].astype(bool)]
        if outside.empty:
            continue
        _, group, minutes = flag.split("_", 2)
        frame = demand[["demand_id", "geometry"]].merge(
            outside[["demand_id", "town_code", "name_zh", "population"]], on="demand_id")
        frame = frame.sort_values("demand_id")
        frame["radius"] = 3 + 9 * np.sqrt(frame["population"].to_numpy(float) / biggest)
        frame["fill"], frame["color"], frame["weight"] = "#d7301f", "#ffffff", 1
        minutes_col = f"nearest_{group}_minutes"
        reach: dict[str, float] = (
            dict(zip(coverage["demand_id"].astype(str), coverage[minutes_col].astype(float),
                     strict=True)) if minutes_col in coverage.columns else {})
        frame["popup"] = [
            _popup(f"{r.name_zh}", [
                (text("imap.town", lang), town_names.get(str(r.town_code), str(r.town_code))),
                (text("imap.residents", lang), f"{r.population:,.0f}"),
                (text("imap.nearest", lang, group=group_name(group, lang)),
                 f"{reach[str(r.demand_id)]:.1f} min" if str(r.demand_id) in reach else ""),
            ])
            for r in frame.itertuples(index=False)
        ]
        overlays.append(Overlay(
            name=text("imap.villages", lang, minutes=minutes, group=group_name(group, lang),
                      label=label),
            frame=gpd.GeoDataFrame(frame, geometry="geometry", crs=demand.crs),
            kind="points", show=show_first and number == 0))
    return overlays


def _popup(title: str, rows: Sequence[tuple[str, str]]) -> str:
    body = "".join(f'<tr><td>{esc(k)}</td><td class="num">{esc(v)}</td></tr>' for k, v in rows)
    return f"<b>{esc(title)}</b><table>{body}</table>"
