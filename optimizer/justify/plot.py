"""A plain map of the chosen sub-centres and the optimum, with their catchments (PNG, Agg).

Two panels side by side: the chosen set and the optimum by the headline criterion. Demand
points take the colour of their nearest site of the set; points nearer to a hospital (the
service's fixed tiers) are grey. Town labels are Chinese when matplotlib can use a CJK font
(Noto Sans CJK, Source Han Sans, WenQuanYi, SimHei, ... found among the system fonts), else
pinyin with a `MedallocWarning`.
"""

from __future__ import annotations

import warnings
from functools import lru_cache
from pathlib import Path

import matplotlib as mpl

mpl.use("Agg")  # before pyplot is imported

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import font_manager
from matplotlib.axes import Axes

from optimizer.dataset import Dataset
from optimizer.errors import MedallocWarning
from optimizer.justify.measures import LocationData
from optimizer.justify.sites import SitePool

__all__ = ["cjk_font", "draw_map"]

_CJK_HINTS = ("notosanscjk", "notoserifcjk", "sourcehansans", "wqy", "simhei", "msyh",
              "droidsansfallback", "arplumingcn", "pingfang")
_COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d")


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The family name of a CJK font matplotlib can use, registering it if needed; or None."""
    for font in font_manager.fontManager.ttflist:
        if any(h in font.name.lower().replace(" ", "") for h in _CJK_HINTS):
            return str(font.name)
    # regular faces first, so text is not drawn bold
    for path in sorted(font_manager.findSystemFonts(), key=lambda f: ("Regular" not in f, f)):
        if any(h in Path(path).name.lower().replace("-", "") for h in _CJK_HINTS):
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):
                continue
            return str(font_manager.FontProperties(fname=path).get_name())
    return None


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
    font = cjk_font()
    chinese = font is not None
    if not chinese:
        warnings.warn("no CJK font found for matplotlib; the map labels towns in pinyin "
                      "(install fonts-noto-cjk for Chinese labels)", MedallocWarning,
                      stacklevel=2)
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
