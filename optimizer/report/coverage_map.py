"""The coverage gaps map (``gaps_map.png``): covered and uncovered demand points per tier group.

matplotlib is imported only when the map is drawn (the ``maps`` extra).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from optimizer.spatial.coverage import flag_column, threshold_label

__all__ = ["draw_gaps_map"]


def draw_gaps_map(
    path: Path,
    towns: gpd.GeoDataFrame,
    coverage: pd.DataFrame,
    demand: gpd.GeoDataFrame,
    limits: Mapping[str, Sequence[float]],
) -> None:
    """Draw, per tier group at its first threshold, covered and uncovered demand points."""
    import matplotlib  # noqa: PLC0415 - optional extra, imported only when a map is asked for

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415 - see above

    groups = sorted(limits)
    points = demand.to_crs("EPSG:4326").set_index(demand["demand_id"].astype(str).to_numpy())
    ordered = points.loc[coverage["demand_id"]]
    x, y = ordered.geometry.x.to_numpy(), ordered.geometry.y.to_numpy()
    size = 4 + 60 * np.sqrt(coverage["population"].to_numpy() / max(
        float(coverage["population"].max()), 1.0))
    fig, axes = plt.subplots(1, len(groups), figsize=(6 * len(groups), 6), squeeze=False)
    try:
        for ax, group in zip(axes[0], groups, strict=True):
            limit = limits[group][0]
            covered = coverage[flag_column(group, limit)].to_numpy(dtype=bool)
            towns.to_crs("EPSG:4326").boundary.plot(ax=ax, color="0.6", linewidth=0.5)
            ax.scatter(x[covered], y[covered], s=4, color="0.7", label="covered")
            ax.scatter(x[~covered], y[~covered], s=size[~covered], color="tab:red", alpha=0.7,
                       label="outside")
            ax.set_title(f"Outside {threshold_label(limit)} min of {group} care")
            ax.set_aspect("equal")
            ax.legend(loc="lower left")
        fig.savefig(path, dpi=110, bbox_inches="tight")
    finally:
        plt.close(fig)
