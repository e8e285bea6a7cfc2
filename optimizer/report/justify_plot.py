"""A plain map of the chosen sub-centres and the optimum, with their catchments (PNG, Agg).

Two panels side by side: the chosen set and the optimum by the headline criterion. Demand
points take the colour of their nearest site of the set; points nearer to a hospital (the
service's fixed tiers) are grey. Town labels are Chinese when matplotlib can use a CJK font
(Noto Sans CJK, Source Han Sans, WenQuanYi, SimHei, ... found among the system fonts), else
pinyin with a `MedallocWarning`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from optimizer.dataset.load import Dataset
from optimizer.justify.measures import LocationData
from optimizer.justify.sites import SitePool
from optimizer.report.fonts import cjk_font, warn_no_cjk

if TYPE_CHECKING:
    from pathlib import Path

    from matplotlib.axes import Axes

__all__ = ["draw_map"]

_COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d")


def _panel(ax: Axes, dataset: Dataset, data: LocationData, pool: SitePool,
           positions: tuple[int, ...], title: str, chinese: bool, crs: str) -> None:
    dataset.towns.to_crs(crs).boundary.plot(ax=ax, color="#999999", linewidth=0.5)
    chosen = list(positions)
    minutes = data.minutes[:, chosen]
    nearest = minutes.argmin(axis=1)
    to_site = minutes[np.arange(len(nearest)), nearest]
    hospital = data.fixed_minutes < to_site
    demand = dataset.demand.assign(demand_id=dataset.demand["demand_id"].astype(str))
    points = demand.set_index("demand_id").loc[list(data.demand_ids)].to_crs(crs)
    x, y = points.geometry.x.to_numpy(), points.geometry.y.to_numpy()
    size = 4 + 40 * data.population / max(float(data.population.max()), 1.0)
    ax.scatter(x[hospital], y[hospital], s=size[hospital], c="#bbbbbb", linewidths=0)
    facilities = dataset.facilities.assign(facility_id=dataset.facilities["facility_id"]
                                           .astype(str)).set_index("facility_id").to_crs(crs)
    for i, position in enumerate(chosen):
        colour = _COLOURS[position % len(_COLOURS)]  # a site keeps its colour in both panels
        mine = (nearest == i) & ~hospital
        ax.scatter(x[mine], y[mine], s=size[mine], c=colour, linewidths=0, alpha=0.8)
        site = facilities.loc[pool.facility_ids[position]]
        ax.scatter([site.geometry.x], [site.geometry.y], marker="*", s=220, c=colour,
                   edgecolors="black", linewidths=0.8, zorder=3)
        label = pool.names_zh[position] if chinese else pool.names_en[position]
        ax.annotate(label, (site.geometry.x, site.geometry.y), xytext=(4, 4),
                    textcoords="offset points", fontsize=9, zorder=4)
    ax.set_title(title, fontsize=10)
    ax.set_axis_off()
    ax.set_aspect("equal")


def draw_map(path: Path, dataset: Dataset, data: LocationData, pool: SitePool,
             optimum: tuple[int, ...], *, crs: str) -> None:
    """Write the two-panel map (chosen set, optimum) to ``path``, drawn in ``crs`` (metres)."""
    import matplotlib as mpl  # noqa: PLC0415 - the maps extra, loaded only to draw

    mpl.use("Agg")  # before pyplot is imported
    import matplotlib.pyplot as plt  # noqa: PLC0415

    font = cjk_font()
    chinese = font is not None
    if not chinese:
        warn_no_cjk()
    chosen = tuple(pool.chosen)  # in the order named
    names = pool.names_zh if chinese else pool.names_en

    def label(positions: tuple[int, ...]) -> str:
        return ("、" if chinese else ", ").join(names[p] for p in positions)

    with mpl.rc_context({"font.family": [font, "DejaVu Sans"]} if font else None):
        fig, axes = plt.subplots(1, 2, figsize=(12, 6), dpi=110)
        try:
            for ax, sites, title in ((axes[0], chosen, "chosen"), (axes[1], optimum, "optimum")):
                _panel(ax, dataset, data, pool, sites, f"{title}: {label(sites)}", chinese, crs)
            fig.suptitle("Sub-centre catchments (grey: nearer to a hospital)", fontsize=11)
            fig.tight_layout()
            fig.savefig(path, metadata={"Software": None})
        finally:
            plt.close(fig)
