"""The planning words the workbench and the report share, in Chinese and English.

One place for the names a planner reads in both the app (``optimizer.app.i18n``) and the
CLI's report (``optimizer.report.i18n``): facility tiers, target kinds and resources. Each
entry is ``(Chinese, English)``; the Chinese is the wording of the plans and the national
statistics (执业(助理)医师, 注册护士, 每千人口床位数 ...).
"""

from __future__ import annotations

__all__ = ["KIND_NAMES", "LANGUAGES", "RESOURCE_NAMES", "TIER_NAMES", "per_capita_zh"]

LANGUAGES = ("zh", "en")

TIER_NAMES: dict[str, tuple[str, str]] = {
    "tertiary_hospital": ("三级医院", "tertiary hospital"),
    "secondary_hospital": ("二级医院", "secondary hospital"),
    "specialist_hospital": ("专科医院", "specialist hospital"),
    "sub_centre": ("区域医疗次中心", "medical sub-centre"),
    "township_health_centre": ("乡镇卫生院", "township health centre"),
    "community_health_centre": ("社区卫生服务中心", "community health centre"),
    "central_village_clinic": ("中心村卫生室", "central village clinic"),
    "village_clinic": ("村卫生室", "village clinic"),
}

# 约束性 / 预期性: the two kinds of target the plans mark.
KIND_NAMES: dict[str, tuple[str, str]] = {
    "binding": ("约束性", "binding"),
    "expected": ("预期性", "expected"),
}

# The resource columns of the shipped data and scenarios; any other resource keeps its name.
RESOURCE_NAMES: dict[str, tuple[str, str]] = {
    "beds": ("床位", "beds"),
    "doctors": ("执业(助理)医师", "doctors"),
    "nurses": ("注册护士", "nurses"),
    "gps": ("全科医生", "GPs"),
    "public_health_staff": ("专业公共卫生人员", "public-health staff"),
    "pharmacists": ("临床药师", "pharmacists"),
}

_PER_ZH = {100: "百", 1000: "千", 10_000: "万"}


def per_capita_zh(resource: str, base: int) -> str:
    """``("beds", 1000)`` -> ``"每千人口床位数"``, the statistics' name of a per-capita figure."""
    name = RESOURCE_NAMES.get(resource, (resource.replace("_", " "), ""))[0]
    per = _PER_ZH.get(base, f"{base:,}")
    return f"每{per}人口{name}数"
