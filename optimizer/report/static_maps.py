"""Static PNG maps: coverage gaps, sub-centre catchments, per-capita resources, plan changes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from optimizer.dataset.load import Dataset
from optimizer.report.cartography import (
    TIER_STYLE,
    add_north_arrow,
    add_scale_bar,
    add_source_note,
    frame_limits,
    label_towns,
    map_figure,
    map_style,
    save_png,
)
from optimizer.report.i18n import text
from optimizer.report.outputs import Target

__all__ = [
    "GapPanel",
    "MapLayers",
    "catchments_map",
    "coverage_gaps_map",
    "map_layers",
    "nearest_site",
    "per_capita_map",
    "plan_changes_map",
]

_CATCHMENT_COLOURS = ("#a6cee3", "#b2df8a", "#fdbf6f", "#cab2d6", "#fb9a99", "#ffff99",
                      "#8dd3c7", "#bebada", "#80b1d3", "#fccde5")


@dataclass(frozen=True)
class MapLayers:
    """The dataset's layers in one projected CRS (metres), with the map's source note."""

    towns: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    demand: gpd.GeoDataFrame
    boundary: gpd.GeoDataFrame | None
    note: str

    @property
    def extent(self) -> tuple[float, float, float, float]:
        """``(minx, miny, maxx, maxy)`` of the towns and boundary, in metres."""
        frames = [self.towns] + ([self.boundary] if self.boundary is not None else [])
        bounds = np.array([f.total_bounds for f in frames])
        return (float(bounds[:, 0].min()), float(bounds[:, 1].min()),
                float(bounds[:, 2].max()), float(bounds[:, 3].max()))


@dataclass(frozen=True)
class GapPanel:
    """One panel of the gaps map.

    Attributes
    ----------
    title : str
        Panel title (for example ``"2025, before the plan"``).
    share_outside : Mapping
        Town code -> share of residents outside the threshold (0-1).
    villages : pandas.DataFrame or None
        Uncovered demand points (``demand_id``, ``population``), or None when unknown.
    tiers : Mapping
        Facility id -> tier to draw (facilities absent are not drawn).
    """

    title: str
    share_outside: Mapping[str, float]
    villages: pd.DataFrame | None
    tiers: Mapping[str, str]


def map_layers(dataset: Dataset, crs: str, note: str) -> MapLayers:
    """Project the dataset's layers to ``crs`` with string ids."""
    towns = dataset.towns.to_crs(crs).sort_values("code").reset_index(drop=True)
    towns["code"] = towns["code"].astype(str)
    facilities = dataset.facilities.to_crs(crs).reset_index(drop=True)
    facilities["facility_id"] = facilities["facility_id"].astype(str)
    demand = dataset.demand.to_crs(crs).reset_index(drop=True)
    demand["demand_id"] = demand["demand_id"].astype(str)
    boundary = dataset.boundary.to_crs(crs) if dataset.boundary is not None else None
    return MapLayers(towns=towns, facilities=facilities, demand=demand, boundary=boundary,
                     note=note)


def nearest_site(layers: MapLayers, site_ids: Sequence[str]) -> pd.Series:
    """Demand id -> the nearest of ``site_ids`` by straight-line distance (ties: lowest id)."""
    sites = layers.facilities.set_index("facility_id").loc[sorted(site_ids)]
    sx, sy = sites.geometry.x.to_numpy(), sites.geometry.y.to_numpy()
    dx = layers.demand.geometry.x.to_numpy()[:, None] - sx[None, :]
    dy = layers.demand.geometry.y.to_numpy()[:, None] - sy[None, :]
    best = np.argmin(np.hypot(dx, dy), axis=1)
    return pd.Series(sites.index.to_numpy()[best], index=layers.demand["demand_id"].to_numpy())


def coverage_gaps_map(path: Path, layers: MapLayers, panels: Sequence[GapPanel],
                      title: str, *, lang: str = "en") -> None:
    """Towns shaded by share of residents outside; uncovered villages sized by population."""
    import matplotlib.pyplot as plt  # noqa: PLC0415 - optional extra
    from matplotlib.cm import ScalarMappable  # noqa: PLC0415
    from matplotlib.colors import Normalize  # noqa: PLC0415

    with map_style() as chinese:
        fig, axes, cax = map_figure(layers.extent, len(panels), colorbar=True)
        norm = Normalize(0.0, 1.0)
        cmap = plt.get_cmap("OrRd")
        biggest = max((float(p.villages["population"].max()) for p in panels
                       if p.villages is not None and not p.villages.empty), default=1.0)
        for ax, panel in zip(axes, panels, strict=True):
            towns = layers.towns.copy()
            towns["share"] = towns["code"].map(panel.share_outside).astype(float)
            towns.plot(ax=ax, column="share", cmap=cmap, norm=norm, edgecolor="#555555",
                       linewidth=0.5, missing_kwds={"color": "#eeeeee"})
            _facilities(ax, layers, panel.tiers)
            if panel.villages is not None and not panel.villages.empty:
                points = layers.demand.merge(panel.villages[["demand_id"]], on="demand_id")
                size = _village_size(points["population"].to_numpy(float) / biggest)
                ax.scatter(points.geometry.x, points.geometry.y, s=size, facecolor="#d7301f",
                           edgecolor="white", linewidth=0.4, alpha=0.85, zorder=4)
            extra = {code: f"{share:.0%}" for code, share in panel.share_outside.items()
                     if share >= 0.005}
            label_towns(ax, layers.towns, chinese=chinese, extra=extra)
            _finish(ax, layers, panel.title)
        handles = _tier_handles({t for p in panels for t in p.tiers.values()}, lang)
        if any(p.villages is not None and not p.villages.empty for p in panels):
            handles += _size_handles(biggest, lang)
        _legend(fig, handles)
        fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), cax=cax, format="{x:.0%}",
                     label=text("fig.share_bar", lang))
        _title(fig, title)
        add_source_note(fig, layers.note)
        save_png(fig, path)


def catchments_map(path: Path, layers: MapLayers, panels: Sequence[tuple[str, Sequence[str]]],
                   names: Mapping[str, str], anchors: Sequence[str], title: str, *,
                   lang: str = "en") -> None:
    """Each town coloured by the site nearest to most of its residents, per panel.

    ``panels`` is a list of (title, sub-centre ids); ``anchors`` are sites every panel shares
    (the county hospitals), coloured grey; ``names`` maps a site id to its legend text.
    """
    from matplotlib.patches import Patch  # noqa: PLC0415

    all_sites = sorted({s for _, ids in panels for s in ids})
    colour = {site: _CATCHMENT_COLOURS[i % len(_CATCHMENT_COLOURS)]
              for i, site in enumerate(all_sites)}
    colour.update(dict.fromkeys(anchors, "#e0e0e0"))
    with map_style() as chinese:
        fig, axes, _ = map_figure(layers.extent, len(panels), colorbar=False, legend_rows=3)
        for ax, (panel_title, ids) in zip(axes, panels, strict=True):
            sites = sorted(set(ids) | set(anchors))
            nearest = nearest_site(layers, sites)
            towns = layers.towns.copy()
            towns["site"] = towns["code"].map(_majority(layers.demand, nearest))
            towns["colour"] = towns["site"].map(colour).fillna("#ffffff")
            towns.plot(ax=ax, color=towns["colour"], edgecolor="#555555", linewidth=0.5)
            members = layers.demand.assign(site=nearest.to_numpy())
            ax.scatter(members.geometry.x, members.geometry.y, s=3,
                       c=members["site"].map(colour).fillna("#999999").map(_darker),
                       zorder=4, linewidths=0)
            tiers = dict.fromkeys(ids, "sub_centre") | {a: _tier_of(layers, a) for a in anchors}
            _facilities(ax, layers, tiers)
            label_towns(ax, layers.towns, chinese=chinese)
            _finish(ax, layers, panel_title)
        handles: list[Any] = [Patch(facecolor=colour[s], edgecolor="#555555",
                                    label=names.get(s, s)) for s in all_sites]
        if anchors:
            handles.append(Patch(facecolor="#e0e0e0", edgecolor="#555555",
                                 label=text("fig.county_hospital", lang)))
        handles += _tier_handles({"sub_centre"} | {_tier_of(layers, a) for a in anchors}, lang)
        _legend(fig, handles)
        _title(fig, title)
        add_source_note(fig, layers.note)
        save_png(fig, path)


def per_capita_map(path: Path, layers: MapLayers, panels: Sequence[tuple[str, Mapping[str, float]]],
                   target: Target, label: str, *, lang: str = "en",
                   sense: str | None = None) -> None:
    """Towns coloured by their per-capita figure (log scale), the district target marked.

    ``sense`` is the target's sense in words (``cap``/``floor``), in ``lang``.
    """
    sense = target.sense if sense is None else sense
    import matplotlib.pyplot as plt  # noqa: PLC0415 - optional extra
    from matplotlib.cm import ScalarMappable  # noqa: PLC0415
    from matplotlib.colors import LogNorm  # noqa: PLC0415
    from matplotlib.ticker import FuncFormatter  # noqa: PLC0415

    values_all = np.array([v for _, values in panels for v in values.values()], dtype=float)
    positive = values_all[np.isfinite(values_all) & (values_all > 0)]
    low = float(min(positive.min(), target.target)) if positive.size else target.target / 10
    high = float(max(positive.max(), target.target)) if positive.size else target.target * 10
    norm = LogNorm(vmin=low / 1.05, vmax=high * 1.05)
    cmap = plt.get_cmap("YlGnBu")
    with map_style() as chinese:
        fig, axes, cax = map_figure(layers.extent, len(panels), colorbar=True, legend_rows=0)
        for ax, (panel_title, values) in zip(axes, panels, strict=True):
            towns = layers.towns.copy()
            value = towns["code"].map(values).astype(float)
            towns["value"] = value.clip(lower=low / 1.05)
            towns.plot(ax=ax, column="value", cmap=cmap, norm=norm, edgecolor="#555555",
                       linewidth=0.5, missing_kwds={"color": "#eeeeee"})
            extra = {code: f"{v:.2f}" for code, v in values.items() if np.isfinite(v)}
            label_towns(ax, layers.towns, chinese=chinese, extra=extra)
            _finish(ax, layers, panel_title)
        bar = fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), cax=cax)
        plain = FuncFormatter(lambda v, _: f"{v:g}")
        bar.ax.yaxis.set_major_formatter(plain)
        bar.ax.yaxis.set_minor_formatter(plain)
        bar.ax.tick_params(which="minor", labelsize=6)
        bar.ax.axhline(target.target, color="#d7301f", linewidth=2)
        bar.ax.text(-0.6, target.target, text("fig.target", lang, target=f"{target.target:g}"),
                    color="#d7301f",
                    ha="right", va="center", fontsize=7, transform=bar.ax.get_yaxis_transform())
        bar.set_label(text("fig.log", lang, label=label))
        _title(fig, text("fig.per_title", lang, label=label, sense=sense,
                         target=f"{target.target:g}", year=target.year))
        add_source_note(fig, layers.note)
        save_png(fig, path)


def plan_changes_map(path: Path, layers: MapLayers, changes: pd.DataFrame, resource: str,
                     title: str, *, lang: str = "en") -> None:
    """Towns shaded by the net change of ``resource``; each facility that changes as a circle."""
    import matplotlib.pyplot as plt  # noqa: PLC0415 - optional extra
    from matplotlib.cm import ScalarMappable  # noqa: PLC0415
    from matplotlib.colors import TwoSlopeNorm  # noqa: PLC0415
    from matplotlib.lines import Line2D  # noqa: PLC0415

    by_town = changes.groupby("town_code")["change"].sum()
    limit = max(float(by_town.abs().max()) if len(by_town) else 0.0, 1.0)
    norm = TwoSlopeNorm(vmin=-limit, vcenter=0.0, vmax=limit)
    cmap = plt.get_cmap("RdBu")
    with map_style() as chinese:
        fig, (ax,), cax = map_figure(layers.extent, 1, colorbar=True, legend_rows=1,
                                     panel_height=6.4)
        towns = layers.towns.copy()
        towns["change"] = towns["code"].map(by_town).fillna(0.0).astype(float)
        towns.plot(ax=ax, column="change", cmap=cmap, norm=norm, edgecolor="#555555",
                   linewidth=0.5)
        moved = changes[changes["change"] != 0].merge(
            layers.facilities[["facility_id", "geometry"]], on="facility_id")
        biggest = max(float(moved["change"].abs().max()) if len(moved) else 1.0, 1.0)
        size = 12 + 300 * np.sqrt(moved["change"].abs().to_numpy(float) / biggest)
        ax.scatter([g.x for g in moved.geometry], [g.y for g in moved.geometry], s=size,
                   c=np.where(moved["change"] > 0, "#2166ac", "#b2182b"), alpha=0.75,
                   edgecolor="black", linewidth=0.5, zorder=5)
        upgraded = changes[(changes["tier"] == "sub_centre") &
                           (changes["tier_before"] != "sub_centre")]
        _facilities(ax, layers, dict.fromkeys(upgraded["facility_id"], "sub_centre"))
        extra = {str(code): f"{v:+,.0f}" for code, v in by_town.items() if v != 0}
        label_towns(ax, layers.towns, chinese=chinese, extra=extra)
        _finish(ax, layers, "")
        handles: list[Any] = [
            Line2D([], [], marker="o", linestyle="", markerfacecolor="#2166ac",
                   markeredgecolor="black", markersize=7,
                   label=text("fig.gains", lang, resource=resource)),
            Line2D([], [], marker="o", linestyle="", markerfacecolor="#b2182b",
                   markeredgecolor="black", markersize=7,
                   label=text("fig.loses", lang, resource=resource)),
        ]
        if len(upgraded):
            handles += _tier_handles({"sub_centre"}, lang)
        _legend(fig, handles)
        fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), cax=cax,
                     label=text("fig.net", lang, resource=resource))
        _title(fig, title)
        add_source_note(fig, layers.note)
        save_png(fig, path)


def _majority(demand: gpd.GeoDataFrame, nearest: pd.Series) -> dict[str, str]:
    """Town code -> the site nearest to most of its residents (ties: lowest id)."""
    frame = pd.DataFrame({"town": demand["town_code"].astype(str).to_numpy(),
                          "site": nearest.to_numpy(),
                          "population": demand["population"].to_numpy(float)})
    totals = frame.groupby(["town", "site"])["population"].sum().reset_index()
    totals = totals.sort_values(["town", "population", "site"], ascending=[True, False, True])
    first = totals.drop_duplicates("town")
    return dict(zip(first["town"].astype(str), first["site"].astype(str), strict=True))


def _tier_of(layers: MapLayers, facility_id: str) -> str:
    match = layers.facilities.loc[layers.facilities["facility_id"] == facility_id, "tier"]
    return str(match.iloc[0]) if len(match) else "secondary_hospital"


def _darker(colour: str) -> tuple[float, float, float]:
    from matplotlib.colors import to_rgb  # noqa: PLC0415 - optional extra

    red, green, blue = to_rgb(colour)
    return (red * 0.6, green * 0.6, blue * 0.6)


def _facilities(ax: Any, layers: MapLayers, tiers: Mapping[str, str]) -> None:
    """Draw the given facilities with their tier's marker, hospitals last (on top)."""
    if not tiers:
        return
    frame = layers.facilities[layers.facilities["facility_id"].isin(list(tiers))].copy()
    frame["tier_drawn"] = frame["facility_id"].map(tiers)
    for tier, (marker, colour, size, _) in TIER_STYLE.items():
        part = frame[frame["tier_drawn"] == tier]
        if part.empty:
            continue
        ax.scatter(part.geometry.x, part.geometry.y, marker=marker, s=size, c=colour,
                   edgecolor="black" if size > 10 else "none", linewidth=0.4, zorder=5)


def _tier_handles(tiers: set[str], lang: str = "en") -> list[Any]:
    from matplotlib.lines import Line2D  # noqa: PLC0415 - optional extra

    handles: list[Any] = []
    seen: set[str] = set()
    for tier, (marker, colour, size, both) in TIER_STYLE.items():
        # TIER_STYLE's legend texts are "english 中文": Chinese maps keep the Chinese word.
        label = both.rsplit(" ", 1)[-1] if lang == "zh" else both
        if tier in tiers and label not in seen:
            seen.add(label)
            handles.append(Line2D([], [], marker=marker, linestyle="", markerfacecolor=colour,
                                  markeredgecolor="black", markersize=max(size ** 0.5, 4),
                                  label=label))
    return handles


def _size_handles(biggest: float, lang: str = "en") -> list[Any]:
    from matplotlib.lines import Line2D  # noqa: PLC0415 - optional extra

    handles: list[Any] = []
    for fraction in (0.1, 0.5, 1.0):
        population = biggest * fraction
        size = float(_village_size(np.array([fraction]))[0])
        handles.append(Line2D([], [], marker="o", linestyle="", markerfacecolor="#d7301f",
                              markeredgecolor="white", markersize=size ** 0.5,
                              label=text("fig.uncovered", lang,
                                         population=f"{population:,.0f}")))
    return handles


def _village_size(fraction: np.ndarray) -> np.ndarray:
    """Marker area (points²) for a village holding ``fraction`` of the largest one's residents."""
    return np.asarray(4.0 + 70.0 * np.sqrt(fraction), dtype=float)


def _legend(fig: Any, handles: list[Any]) -> None:
    if handles:
        fig.legend(handles=handles, loc="lower center", ncol=min(len(handles), 4),
                   fontsize=6.5, frameon=False, bbox_to_anchor=(0.5, 0.045))


def _title(fig: Any, title: str) -> None:
    fig.text(0.5, 0.985, title, ha="center", va="top", fontsize=11)


def _finish(ax: Any, layers: MapLayers, title: str) -> None:
    if layers.boundary is not None:
        layers.boundary.boundary.plot(ax=ax, color="black", linewidth=1.0, zorder=3)
    xlim, ylim = frame_limits(layers.extent)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=9.5)
    add_scale_bar(ax)
    add_north_arrow(ax)
