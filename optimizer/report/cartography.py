"""Map furniture for the static maps: projected frame, town labels, scale bar, north arrow, note."""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd

from optimizer.report.fonts import cjk_font, place_label, warn_no_cjk

__all__ = [
    "DPI",
    "TIER_STYLE",
    "add_north_arrow",
    "add_scale_bar",
    "add_source_note",
    "frame_limits",
    "label_towns",
    "map_figure",
    "map_style",
    "nice_length_m",
    "projected_crs",
    "save_png",
]

DPI = 200
_CJK = re.compile(r"[\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]+")
# tier -> (marker, colour, size, legend text); drawn in this order, hospitals on top.
TIER_STYLE: dict[str, tuple[str, str, float, str]] = {
    "village_clinic": (".", "#8c8c8c", 6, "village clinic 村卫生室"),
    "central_village_clinic": ("^", "#1b9e77", 22, "central village clinic 中心村卫生室"),
    "community_health_centre": ("o", "#2c7fb8", 26, "community health centre 社区卫生服务中心"),
    "township_health_centre": ("o", "#2c7fb8", 26, "township health centre 乡镇卫生院"),
    "sub_centre": ("*", "#7b3294", 150, "sub-centre 区域医疗次中心"),
    "specialist_hospital": ("s", "#b2182b", 40, "hospital 医院"),
    "secondary_hospital": ("s", "#b2182b", 40, "hospital 医院"),
    "tertiary_hospital": ("s", "#b2182b", 40, "hospital 医院"),
}


def projected_crs(towns: gpd.GeoDataFrame, summary: dict[str, Any] | None = None) -> str:
    """The metric CRS to draw in: the job's own ``settings.crs`` when given, else a UTM zone."""
    settings = (summary or {}).get("settings")
    if isinstance(settings, dict) and isinstance(settings.get("crs"), str):
        return str(settings["crs"])
    return str(towns.to_crs("EPSG:4326").estimate_utm_crs().to_string())


@contextmanager
def map_style() -> Iterator[bool]:
    """Matplotlib settings for the maps; yields True when Chinese labels can be drawn.

    Warns (:class:`~optimizer.errors.MedallocWarning`) and yields False when no CJK font is
    installed: callers then label with romanised names.
    """
    import matplotlib  # noqa: PLC0415 - optional extra, loaded on demand

    matplotlib.use("Agg")
    font = cjk_font()
    if font is None:
        warn_no_cjk()
    families = [font, "DejaVu Sans"] if font else ["DejaVu Sans"]
    settings: dict[str, Any] = {
        "font.family": families,
        "font.size": 8,
        "axes.titlesize": 10,
        "svg.hashsalt": "medalloc",
        "path.simplify": True,
    }
    with matplotlib.rc_context(settings):  # type: ignore[arg-type]
        yield font is not None


def label_towns(ax: Any, towns: gpd.GeoDataFrame, *, chinese: bool,
                extra: dict[str, str] | None = None, size: float = 6.0) -> None:
    """Write each town's name (and an optional second line) at a point inside it."""
    import matplotlib.patheffects as effects  # noqa: PLC0415 - optional extra

    halo = [effects.withStroke(linewidth=2.2, foreground="white")]
    points = towns.geometry.representative_point()
    for row, point in zip(towns.itertuples(index=False), points, strict=True):
        code = str(row.code)
        text = place_label(str(row.name_zh), getattr(row, "name_en", None), code,
                           chinese=chinese)
        if extra and extra.get(code):
            text += "\n" + extra[code]
        ax.text(point.x, point.y, text, ha="center", va="center", fontsize=size,
                color="#222222", path_effects=halo, zorder=6)


def nice_length_m(width_m: float) -> float:
    """A round scale-bar length near a fifth of the map width (1, 2 or 5 times a power of ten)."""
    target = max(width_m / 5.0, 1.0)
    power = 10.0 ** math.floor(math.log10(target))
    return max(step * power for step in (1.0, 2.0, 5.0) if step * power <= target)


def map_figure(extent: tuple[float, float, float, float], panels: int, *,
               colorbar: bool, legend_rows: int = 2,
               panel_height: float = 5.4) -> tuple[Any, list[Any], Any]:
    """A figure with ``panels`` map axes sized to the extent, a colour-bar axes and room below.

    ``extent`` is the data's ``(minx, miny, maxx, maxy)`` in metres; every panel shows it with
    margins for the north arrow (right) and the scale bar (bottom).

    Returns
    -------
    (figure, list of map axes, colour-bar axes or None)
    """
    import matplotlib.pyplot as plt  # noqa: PLC0415 - optional extra

    xlim, ylim = frame_limits(extent)
    aspect = (xlim[1] - xlim[0]) / (ylim[1] - ylim[0])
    panel_width = min(panel_height * aspect, 8.0)
    panel_height = panel_width / aspect
    bar_width = 1.1 if colorbar else 0.0
    title_h, below_h = 0.55, 0.35 + 0.2 * legend_rows + 0.3
    fig_w = max(panels * panel_width + bar_width + 0.2, 6.0)
    fig_h = panel_height + title_h + below_h
    fig = plt.figure(figsize=(fig_w, fig_h))
    left0 = (fig_w - panels * panel_width - bar_width) / 2
    axes = []
    for i in range(panels):
        ax = fig.add_axes((
            (left0 + i * panel_width) / fig_w, below_h / fig_h,
            panel_width / fig_w, panel_height / fig_h,
        ))
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        ax.set_aspect("equal")
        ax.set_axis_off()
        axes.append(ax)
    cax = None
    if colorbar:
        cax = fig.add_axes(((left0 + panels * panel_width + 0.15) / fig_w,
                            (below_h + panel_height * 0.2) / fig_h,
                            0.14 / fig_w, panel_height * 0.6 / fig_h))
    return fig, axes, cax


def frame_limits(extent: tuple[float, float, float, float]
                 ) -> tuple[tuple[float, float], tuple[float, float]]:
    """Axis limits around ``extent`` with room for the north arrow (right), scale bar (bottom)."""
    minx, miny, maxx, maxy = extent
    width, height = maxx - minx, maxy - miny
    return ((minx - 0.04 * width, maxx + 0.14 * width),
            (miny - 0.08 * height, maxy + 0.03 * height))


def add_scale_bar(ax: Any) -> None:
    """A two-segment black and white bar in the lower right, in km (axes are in metres)."""
    from matplotlib.patches import Rectangle  # noqa: PLC0415 - optional extra

    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = nice_length_m(x1 - x0)
    height = (y1 - y0) * 0.012
    left = x1 - (x1 - x0) * 0.05 - length
    bottom = y0 + (y1 - y0) * 0.04
    for i, colour in enumerate(("black", "white")):
        ax.add_patch(Rectangle((left + i * length / 2, bottom), length / 2, height,
                               facecolor=colour, edgecolor="black", linewidth=0.6, zorder=8))
    km = length / 1000.0
    for x, value in ((left, 0.0), (left + length / 2, km / 2), (left + length, km)):
        ax.text(x, bottom + height * 1.6, f"{value:g}", ha="center", va="bottom", fontsize=6,
                zorder=8)
    ax.text(left + length + (x1 - x0) * 0.01, bottom, "km", ha="left", va="bottom",
            fontsize=6, zorder=8)


def add_north_arrow(ax: Any) -> None:
    """An arrow marked N in the upper right (the projected grid's north)."""
    ax.annotate("N", xy=(0.95, 0.97), xytext=(0.95, 0.88), xycoords="axes fraction",
                ha="center", va="center", fontsize=9, fontweight="bold",
                arrowprops={"facecolor": "black", "width": 3, "headwidth": 9,
                            "headlength": 8}, zorder=8)


def add_source_note(fig: Any, note: str) -> None:
    """The data's provenance, wrapped, under the map."""
    width = fig.get_size_inches()[0]
    fig.text(0.01, 0.005, "\n".join(textwrap.wrap(note, int(width * 24))), ha="left",
             va="bottom", fontsize=5.5, color="#444444")


def save_png(fig: Any, path: Path) -> None:
    """Save at print resolution without a timestamp or version in the metadata."""
    import matplotlib.pyplot as plt  # noqa: PLC0415 - optional extra
    from matplotlib.text import Text  # noqa: PLC0415

    if cjk_font() is None:
        # Without a CJK font, drop Chinese characters left in legends and titles rather than
        # draw empty boxes (town labels already use the romanised names).
        for text in fig.findobj(Text):
            content = text.get_text()
            if _CJK.search(content):
                text.set_text(" ".join(_CJK.sub(" ", content).split()))
    try:
        fig.savefig(path, dpi=DPI, format="png", metadata={"Software": None},
                    facecolor="white")
    finally:
        plt.close(fig)
