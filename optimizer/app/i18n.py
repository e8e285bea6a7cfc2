"""The workbench's words in Chinese and English, and how the language is chosen.

Tier, target-kind and resource names are shared with the CLI's report
(``optimizer.report.vocabulary``).
"""

from __future__ import annotations

from optimizer.report.vocabulary import KIND_NAMES, LANGUAGES, TIER_NAMES

__all__ = ["LANGUAGES", "TIER_NAMES", "translate", "words"]

# key: (Chinese, English)
_WORDS: dict[str, tuple[str, str]] = {
    "app": ("医疗资源规划工作台", "Health planning workbench"),
    "nav.data": ("数据", "Data"),
    "nav.scenario": ("情景", "Scenario"),
    "nav.runs": ("运行", "Runs"),
    "nav.compare": ("比较", "Compare"),
    "data.title": ("数据集", "Datasets"),
    "data.pick": ("选择数据集", "Pick a dataset"),
    "data.open": ("打开", "Open"),
    "data.ok": ("数据有效", "The data is valid"),
    "data.bad": ("数据有问题：请逐条修改后重新上传",
                 "The data has problems: fix each and upload again"),
    "data.summary": ("概况", "Summary"),
    "data.units": ("乡镇街道", "Township units"),
    "data.population": ("人口（基准年）", "Population (base year)"),
    "data.demand": ("需求点（村/社区）", "Demand points (villages)"),
    "data.facilities": ("医疗机构", "Facilities"),
    "data.resources": ("资源与每千人指标", "Resources per residents"),
    "data.resource": ("资源", "resource"),
    "data.total": ("总量", "total"),
    "data.per": ("每……人", "per residents"),
    "data.rate": ("比率", "rate"),
    "data.tiers": ("按级别", "By tier"),
    "data.notes": ("提示", "Notes"),
    "data.map": ("乡镇、村与机构地图", "Map of towns, villages and facilities"),
    "upload.title": ("上传登记表", "Upload registry files"),
    "upload.help": ("CSV、.xlsx、GeoJSON 或 GeoPackage；未上传的图层取自所选数据集。",
                    "CSV, .xlsx, GeoJSON or GeoPackage; layers not uploaded are taken from the "
                    "dataset picked below."),
    "upload.workbook": ("工作簿（每个图层一张表）", "Workbook (a sheet per layer)"),
    "upload.base": ("其余图层取自", "Other layers from"),
    "upload.none": ("（无）", "(none)"),
    "upload.submit": ("上传并校验", "Upload and check"),
    "upload.limit": ("上传大小上限", "Upload limit"),
    "problems.title": ("校验问题", "Problems found"),
    "problems.cells": ("出错的单元格", "Offending cells"),
    "col.file": ("文件", "file"),
    "col.row": ("行", "row"),
    "col.column": ("列", "column"),
    "col.value": ("值", "value"),
    "col.message": ("问题", "problem"),
    "col.fix": ("修改方法", "fix"),
    "layer.towns": ("乡镇街道", "towns"),
    "layer.facilities": ("医疗机构", "facilities"),
    "layer.demand": ("村/社区", "villages"),
    "layer.boundary": ("边界", "boundary"),
    "layer.roads": ("道路", "roads"),
    "scenario.title": ("情景编辑", "Scenario editor"),
    "scenario.start": ("从此情景开始", "Start from"),
    "scenario.shipped": ("内置", "shipped"),
    "scenario.saved": ("已保存", "saved"),
    "scenario.dataset": ("数据集", "Dataset"),
    "scenario.check": ("校验", "Check"),
    "scenario.save": ("另存为", "Save as"),
    "scenario.download": ("下载 TOML", "Download TOML"),
    "scenario.solve": ("求解", "Solve"),
    "scenario.kind": ("任务", "Job"),
    "scenario.maps": ("绘制 PNG 地图（较慢）", "Draw PNG maps (slower)"),
    "scenario.sites": ("论证的站点（justify）", "Sites to justify"),
    "scenario.valid": ("情景有效", "The scenario is valid"),
    "scenario.invalid": ("情景有误", "The scenario has errors"),
    "scenario.saved_to": ("已保存", "Saved"),
    "scenario.toml": ("TOML 全文（高级）", "Full TOML (advanced)"),
    "group.general": ("概况", "General"),
    "group.sub_centres": ("区域医疗次中心", "Medical sub-centres"),
    "group.central_village_clinics": ("中心村卫生室", "Central village clinics"),
    "group.services": ("服务时间标准（分钟）", "Service thresholds (minutes)"),
    "group.thresholds": ("覆盖分析阈值（分钟）", "Coverage thresholds (minutes)"),
    "group.travel": ("出行", "Travel"),
    "group.costs": ("成本与预算", "Costs and budget"),
    "group.objective": ("目标顺序与求解", "Objective order and solver"),
    "group.policy": ("政策指标", "Policy numbers"),
    **{f"kind.{kind}": names for kind, names in KIND_NAMES.items()},
    "runs.title": ("运行记录", "Runs"),
    "runs.none": ("尚无运行。", "No runs yet."),
    "runs.compare": ("比较所选", "Compare selected"),
    "run.state": ("状态", "state"),
    "run.elapsed": ("用时（秒）", "elapsed (s)"),
    "run.cancel": ("取消", "Cancel"),
    "run.progress": ("进度", "Progress"),
    "run.downloads": ("导出", "Export"),
    "run.indicators": ("指标：目标与实现", "Indicators: target and achieved"),
    "run.plan": ("配置方案（变化及原因）", "Plan: changes and their reasons"),
    "run.towns": ("分乡镇", "By town"),
    "run.summary": ("摘要", "Summary"),
    "run.sub_centres": ("次中心", "Sub-centres"),
    "run.map": ("地图", "Map"),
    "run.measure": ("指标", "Measure"),
    "run.year": ("年份", "Year"),
    "run.cli_map": ("图层：机构级别、服务范围、覆盖缺口", "Layers: tiers, service areas, gaps"),
    "run.justify": ("次中心论证", "Sub-centre justification"),
    "run.failed": ("运行失败", "The run failed"),
    "run.solve_status": ("求解状态", "status"),
    "run.gap": ("相对间隙", "gap"),
    "solve.optimal": ("最优（已证明）", "optimal"),
    "solve.feasible": ("可行解（未证明最优）", "feasible"),
    "solve.infeasible": ("无可行解", "infeasible"),
    "solve.error": ("求解出错", "error"),
    "state.running": ("运行中", "running"),
    "state.done": ("完成", "done"),
    "state.failed": ("失败", "failed"),
    "state.cancelled": ("已取消", "cancelled"),
    "compare.title": ("情景比较", "Compare scenarios"),
    "compare.pick": ("至少选择两次已完成的运行。", "Pick two or more finished runs."),
    "compare.indicators": ("指标对比", "Indicators side by side"),
    "compare.plan": ("机构变化对比（末年）", "Facilities that differ (last year)"),
    "compare.towns": ("乡镇对比（末年）", "Towns (last year)"),
    "compare.coverage": ("覆盖率", "Coverage"),
    "compare.map": ("差异地图（后运行减先运行）", "Difference map (later run less earlier)"),
    "legend.higher": ("较高", "higher"),
    "legend.lower": ("较低", "lower"),
    "legend.nodata": ("无数据", "no data"),
    "error.title": ("出错了", "Something is wrong"),
}


def translate(key: str, lang: str) -> str:
    """The word for ``key`` in ``lang`` (``zh`` or ``en``); the key itself when unknown."""
    pair = _WORDS.get(key) or TIER_NAMES.get(key)
    if pair is None:
        return key
    return pair[0] if lang == "zh" else pair[1]


def words(lang: str, prefix: str) -> dict[str, str]:
    """Every word whose key starts with ``prefix``, for the page's scripts (map legends)."""
    index = 0 if lang == "zh" else 1
    found = {k: v[index] for k, v in _WORDS.items() if k.startswith(prefix)}
    if prefix == "tier.":
        found = {f"tier.{k}": v[index] for k, v in TIER_NAMES.items()}
    return found
