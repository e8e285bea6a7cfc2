"""The village map of the draws: how often each village is outside the primary-care circle.

Part of the one drawing layer (the CJK font from :mod:`optimizer.report.fonts`); matplotlib is
imported only when a map is drawn.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd

from optimizer.dataset.load import Dataset
from optimizer.errors import MedallocWarning

__all__ = ["draw_outside_map"]


def draw_outside_map(path: Path, dataset: Dataset, villages: pd.DataFrame, *, crs: str,
                     minutes: float) -> None:
    """Colour each demand point by its share of draws outside ``minutes`` of primary care."""
    import matplotlib as mpl  # noqa: PLC0415 - optional extra, only when a map is drawn

    mpl.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415 - see above

    from optimizer.report.fonts import cjk_font  # noqa: PLC0415 - imports matplotlib

    font = cjk_font()
    if font is None:
        warnings.warn("no CJK font found for matplotlib; the map title is in English only",
                      MedallocWarning, stacklevel=2)
    demand = dataset.demand.assign(demand_id=dataset.demand["demand_id"].astype(str))
    points = demand.set_index("demand_id").loc[list(villages["demand_id"])].to_crs(crs)
    share = villages["share_outside_primary"].to_numpy(dtype=float)
    size = 6 + 40 * villages["population"].to_numpy(dtype=float) / max(
        float(villages["population"].max()), 1.0)
    with mpl.rc_context({"font.family": [font, "DejaVu Sans"]} if font else None):
        fig, ax = plt.subplots(figsize=(8, 7), dpi=110)
        try:
            dataset.towns.to_crs(crs).boundary.plot(ax=ax, color="#999999", linewidth=0.5)
            art = ax.scatter(points.geometry.x, points.geometry.y, c=share, s=size,
                             cmap="Reds", vmin=0.0, vmax=1.0, linewidths=0.3,
                             edgecolors="#555555")
            fig.colorbar(art, ax=ax, shrink=0.7,
                         label=f"share of draws outside {minutes:g} min")
            title = f"Villages outside {minutes:g} minutes of primary care, share of draws"
            if font:
                title += f"\n各村在{minutes:g}分钟基层医疗圈外的抽样比例"
            ax.set_title(title, fontsize=10)
            ax.set_axis_off()
            ax.set_aspect("equal")
            fig.tight_layout()
            fig.savefig(path, metadata={"Software": None})
        finally:
            plt.close(fig)
