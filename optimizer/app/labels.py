"""Table headers and category cells of the workbench in the page's language.

The pages show the CLI's output files; in Chinese their column names and category values
(indicator names, target kinds, tiers, resources, reason kinds) are shown by the report's own
Chinese names (:mod:`optimizer.report.i18n`), numbers and free text (notes, reasons, town names)
as written. The files and downloads stay exactly as the CLI wrote them; each header keeps its
column name in ``data-column``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from optimizer.report.i18n import (
    group_name,
    indicator_label,
    kind_name,
    measure_label,
    reason_kind_name,
    resource_name,
    share_column_label,
    tier_name,
)
from optimizer.report.vocabulary import per_capita_zh

__all__ = ["cell_label", "header_label"]

# Chinese column names of indicators.csv, plan.csv, towns.csv and the comparison tables
_HEADERS_ZH = {
    "indicator": "指标", "year": "年份", "kind": "性质", "scope": "范围", "resource": "资源",
    "per": "每",
    "sense": "方向", "target": "目标", "achieved": "实现值", "met": "是否达到",
    "shortfall": "缺口", "shortfall_pct": "缺口（%）", "note": "说明",
    "facility_id": "机构编码", "name_zh": "名称", "tier": "级别", "before": "规划前",
    "after": "规划后", "change": "变化", "need": "需要量", "reason_kind": "原因类型",
    "reason": "原因", "town_code": "乡镇编码", "town": "乡镇", "population": "常住人口",
    "demand_points": "需求点数", "no_access_points": "无可及机构的需求点",
    "no_access_population": "无可及机构的人口", "difference": "差值", "period": "规划期",
    "role": "角色", "recruits": "招聘数", "unmet_share": "未满足需求比例",
}
_COVERED_POPULATION = re.compile(r"covered_population_(\w+)_(\d+(?:\.\d+)?)")

_SCOPES_ZH = {"allocated": "配置", "input": "输入"}  # short: a table cell

_CELLS: dict[str, Callable[[str, str], str]] = {
    "indicator": indicator_label,
    "scope": lambda value, lang: _SCOPES_ZH.get(value, value),
    "kind": kind_name,
    "tier": tier_name,
    "resource": resource_name,
    "reason_kind": reason_kind_name,
}


def header_label(column: str, lang: str) -> str:
    """A column name as a header in ``lang`` (English headers are the column names)."""
    if lang != "zh":
        return column
    run, sep, field = column.rpartition(": ")
    if sep:  # a comparison column, "<run>: <field>"
        return f"{run}：{header_label(field, lang)}"
    if column in _HEADERS_ZH:
        return _HEADERS_ZH[column]
    match = re.fullmatch(r"covered_share_(\w+?)(?:_(\d+(?:\.\d+)?))?", column)
    if match and match[2]:
        return share_column_label(column, lang) + "覆盖率"
    if match:  # towns.csv: the group at the scenario's own threshold
        return group_name(match[1], lang) + "覆盖率"
    match = re.fullmatch(r"(\w+)_access_per_(\d+)", column)
    if match:
        return f"{per_capita_zh(match[1], int(match[2]))}（可及性，2SFCA）"
    match = _COVERED_POPULATION.fullmatch(column)
    if match:
        return share_column_label(f"covered_share_{match[1]}_{match[2]}", lang) + "覆盖人口"
    if re.fullmatch(r".+_per_\d+", column):
        return measure_label(column, lang)
    return column


def cell_label(column: str, value: object, lang: str) -> object:
    """A cell in ``lang``: category values of known columns translated, the rest unchanged."""
    if lang != "zh" or not isinstance(value, str):
        return value
    translate = _CELLS.get(column.rpartition(": ")[2])
    return translate(value, lang) if translate is not None else value
