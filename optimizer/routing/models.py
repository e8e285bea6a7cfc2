"""Key figures under both travel models, side by side, and what the conclusion may claim.

When roads are given, a conclusion drawn from road travel times is set against the same figure
from straight lines (distance x detour factor / speed): the share of residents outside each
threshold for ``coverage``, the ranking of sub-centre sets for ``justify``. A figure *survives*
the change of travel model when:

* a share outside a threshold moves by less than :data:`SHARE_POINTS` percentage points, and
* a ranking keeps a Spearman rank correlation of at least :data:`RANK_CORRELATION` and the
  same best set.

When roads are absent, the conclusion says it rests on straight-line distances and names the
detour factor and speeds it used.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np
from scipy.stats import spearmanr

from optimizer.travel.table import STRAIGHT_LINE, TravelSettings

__all__ = ["RANK_CORRELATION", "SHARE_POINTS", "basis_facts", "basis_sentence",
           "rank_correlation", "shares_sentence", "straight_line_settings"]

SHARE_POINTS = 5.0
RANK_CORRELATION = 0.9
_MODE_ZH = {"walk": "步行", "ebike": "电动自行车", "motorised": "机动车"}


def straight_line_settings(settings: TravelSettings) -> TravelSettings:
    """The same settings in straight-line mode (the comparison's other model)."""
    return replace(settings, mode=STRAIGHT_LINE)


def rank_correlation(first: np.ndarray, second: np.ndarray) -> float | None:
    """Spearman rank correlation of two value arrays; None when either is constant or short."""
    a, b = np.asarray(first, dtype=float), np.asarray(second, dtype=float)
    keep = np.isfinite(a) & np.isfinite(b)
    if keep.sum() < 3 or np.ptp(a[keep]) == 0 or np.ptp(b[keep]) == 0:
        return None
    rho = float(spearmanr(a[keep], b[keep]).statistic)
    return rho if math.isfinite(rho) else None


def basis_facts(settings: TravelSettings, travel_modes: list[str]) -> dict[str, Any]:
    """The straight-line assumptions a conclusion rests on: detour factor and speeds used."""
    return {
        "detour_factor": settings.detour_factor,
        "speeds_kmh": {mode: {where: settings.speed_kmh(mode, where)
                              for where in ("urban", "rural")}
                       for mode in sorted(set(travel_modes))},
    }


def basis_sentence(facts: dict[str, Any]) -> dict[str, str]:
    """Say that a conclusion rests on straight-line distances, naming detour and speeds."""
    speeds = facts["speeds_kmh"]
    en = "; ".join(f"{mode} {by['urban']:g} km/h urban, {by['rural']:g} km/h rural"
                   for mode, by in speeds.items())
    zh = "；".join(f"{_MODE_ZH.get(mode, mode)}城区{by['urban']:g}、农村{by['rural']:g}公里/小时"
                  for mode, by in speeds.items())
    detour = f"{facts['detour_factor']:g}"
    return {
        "en": (f"These figures rest on straight-line distances: travel time is the straight "
               f"line times a detour factor of {detour} at set speeds ({en}); no road network "
               "was given, so they are not checked against road travel times."),
        "zh": (f"以上结论基于直线距离：出行时间按直线距离乘以绕行系数{detour}、以设定速度"
               f"（{zh}）计算；未提供路网，未经道路出行时间检验。"),
    }


def shares_sentence(rows: list[dict[str, Any]]) -> dict[str, str]:
    """Whether the shares outside each threshold survive the change to straight lines.

    ``rows`` hold ``group``, ``threshold_minutes``, ``share_network``, ``share_straight_line``
    (fractions) and ``change_points`` (percentage points, network minus straight line).
    """
    parts_en, parts_zh = [], []
    for row in rows:
        parts_en.append(f"{row['group']} {row['threshold_minutes']:g} min: "
                        f"{100 * row['share_network']:.1f} % on roads against "
                        f"{100 * row['share_straight_line']:.1f} % on straight lines")
        parts_zh.append(f"{row['group']} {row['threshold_minutes']:g}分钟：路网"
                        f"{100 * row['share_network']:.1f}%，直线"
                        f"{100 * row['share_straight_line']:.1f}%")
    moved = [r for r in rows if abs(r["change_points"]) >= SHARE_POINTS]
    if moved:
        worst = max(moved, key=lambda r: abs(r["change_points"]))
        verdict_en = (f"the gaps do not survive the change of travel model: the share outside "
                      f"{worst['threshold_minutes']:g} minutes of {worst['group']} moves by "
                      f"{worst['change_points']:+.1f} points")
        verdict_zh = (f"缺口结论不因出行模型而稳健：{worst['group']} "
                      f"{worst['threshold_minutes']:g}分钟以外的人口比例变化"
                      f"{worst['change_points']:+.1f}个百分点")
    else:
        verdict_en = (f"the gaps survive the change of travel model (every share within "
                      f"{SHARE_POINTS:g} points)")
        verdict_zh = f"缺口结论在两种出行模型下均成立（各比例相差不超过{SHARE_POINTS:g}个百分点）"
    return {
        "en": f"Residents outside each threshold, {'; '.join(parts_en)}: {verdict_en}.",
        "zh": f"各阈值以外居民比例，{'；'.join(parts_zh)}：{verdict_zh}。",
    }
