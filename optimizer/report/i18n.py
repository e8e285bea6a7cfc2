"""The report's words in English and Chinese: headings, table headers, sentences, map legends.

Every text the CLI's report, its PNG maps and ``map.html`` show is a key of one table, in
``en`` and ``zh``. The English texts are the report's wording before it was bilingual, letter
for letter, so ``lang="en"`` writes the same bytes as before. Templates use ``str.format``
fields (``{first}``, ``{label}``) and every language has the same fields. Tier, target-kind
and resource names come from ``optimizer.report.vocabulary``, shared with the workbench.
"""

from __future__ import annotations

import re
from typing import Literal

from optimizer.errors import UsageError
from optimizer.report.vocabulary import KIND_NAMES, RESOURCE_NAMES, TIER_NAMES, per_capita_zh

__all__ = [
    "LANGS",
    "TEXTS",
    "Lang",
    "check_lang",
    "group_name",
    "indicator_label",
    "kind_name",
    "measure_label",
    "reason_kind_name",
    "resource_name",
    "service_name",
    "share_column_label",
    "status_name",
    "subject_name",
    "text",
    "tier_name",
]

Lang = Literal["en", "zh"]
LANGS: tuple[Lang, ...] = ("en", "zh")

# key -> (English, Chinese). The English is today's literal; change both together.
TEXTS: dict[str, tuple[str, str]] = {
    # page frame and section titles (contents list, then the section's own heading)
    "page.contents": ("Contents", "目录"),
    "toc.overview": ("The plan in brief", "方案概要"),
    "toc.indicators": ("Plan targets and what the plan achieves", "规划目标与方案实现情况"),
    "toc.plan": ("What moves where", "资源调整去向"),
    "toc.why": ("Why here", "调整原因"),
    "toc.coverage": ("Who is still outside", "尚未覆盖的人群"),
    "toc.sites": ("Sub-centres and why", "医疗卫生次中心及选址理由"),
    "toc.map": ("Interactive map", "交互地图"),
    "toc.provenance": ("Where the data come from", "数据来源"),
    "toc.outside": ("Who is outside", "覆盖范围之外的人群"),
    "toc.gaps": ("Coverage gaps by town and village", "分乡镇和村的覆盖缺口"),
    "sec.plan": ("The allocation plan: what moves where", "配置方案：资源调整去向"),
    "sec.coverage": ("Coverage before and after: who is still outside",
                     "规划前后的覆盖：尚未覆盖的人群"),
    "title.run": ("{scenario}: health resource plan {first}–{last}",
                  "{scenario}：{first}–{last}年卫生资源配置方案"),
    "title.coverage": ("Coverage of the current network", "现有医疗卫生网络的覆盖"),
    "lead.coverage": ("Travel times from every village to the nearest care of each tier, and who "
                      "is outside each threshold.",
                      "各村到各级最近医疗卫生机构的出行时间，以及各时间标准之外的人群。"),
    "title.justify": ("{title}: why these sub-centres", "{title}：为何选择这些次中心"),
    "lead.justify": ("The chosen sub-centres against every alternative the scenario allows.",
                     "所选次中心与情景允许的每一种备选方案的比较。"),
    # common sections
    "map.not_drawn": ("Maps were not drawn for this report (--no-maps).",
                      "本报告未绘制地图（--no-maps）。"),
    "map.open": ('<p>Open <a href="map.html">map.html</a> (one file, works offline): towns with '
                 "their figures in a popup, facilities by tier, service areas and the villages "
                 "outside, each switchable in the layer list.</p>",
                 '<p>打开 <a href="map.html">map.html</a>（单个文件，离线可用）：点击乡镇查看其'
                 "指标，按级别显示医疗卫生机构、服务范围和覆盖范围之外的村，均可在图层列表中开关。"
                 "</p>"),
    "map.frame": ("interactive map", "交互地图"),
    "prov.what": ("what", "数据项"),
    "prov.status": ("status", "来源性质"),
    "prov.method": ("method (most frequent first)", "方法（按出现次数排序）"),
    "prov.more": (" | … {n} more", " | … 另有 {n} 种"),
    "prov.none": ("The dataset carries no provenance columns: check its sources before quoting "
                  "a number.", "数据集没有来源列：引用任何数字前请核实其来源。"),
    "prov.inputs": ("Input files of this run", "本次运行的输入文件"),
    "prov.role": ("role", "用途"),
    "prov.file": ("file", "文件"),
    "prov.software": ("Software: ", "软件："),
    "prov.counts": ("Resource counts reproduce district totals; facility-level figures are "
                    "estimates unless the row says sourced.",
                    "资源数量与全区总量一致；除注明有来源者外，各机构的数字均为估算。"),
    "prov.travel": ("Travel times are modelled (straight line with detour and speeds, or a road "
                    "graph), not measured.",
                    "出行时间为模型估算（直线距离乘绕行系数除以速度，或道路网络），并非实测。"),
    "prov.files": ("Files: ", "文件："),
    # run: overview
    "run.proven": ("proven optimal", "已证明最优"),
    "run.gap": ("{status}, best solution found within a relative gap of {gap}",
                "{status}，找到的最好解相对间隙为 {gap}"),
    "run.pop_year": ("{value} in {year}", "{year}年 {value}"),
    "run.scenario": ("Scenario {scenario}: {description}", "情景 {scenario}：{description}"),
    "run.years_pop": ("Plan years {first}–{last}; residents {population}.",
                      "规划年份 {first}–{last}；常住人口 {population}。"),
    "run.years": ("Plan years {first}–{last}.", "规划年份 {first}–{last}。"),
    "run.status": ("Solution status: {proof}.", "求解状态：{proof}。"),
    "run.met_all": ("{met} of {total} indicator rows the model allocates for are met.",
                    "模型配置的 {total} 项指标中 {met} 项达到。"),
    "run.scopes": ("{inputs} rows are plan figures the model takes as inputs (scope 'input' in "
                   "indicators.csv). The plan's other indicators (health outcomes, finance, "
                   "service quality) lie outside an allocation model and are not listed.",
                   "另有 {inputs} 行是模型作为输入使用的规划数字（indicators.csv 中 scope 为 "
                   "input）。规划的其他指标（健康结果、财务、服务质量等）不属于资源配置模型，未列出。"),
    "run.met_some": ("{met} of {total} indicator rows the model allocates for are met; {unmet} "
                     "are not (listed in red below).",
                     "模型配置的 {total} 项指标中 {met} 项达到；"
                     "{unmet} 项未达到（下文红色标出）。"),
    "run.within": ("Residents within {key}: {first_share} in {first}, {last_share} in {last}.",
                   "{key}内的居民：{first}年 {first_share}，{last}年 {last_share}。"),
    "run.subs": ("Sub-centres: {subs}.", "医疗卫生次中心：{subs}。"),
    "run.clinics": ("Central village clinics in {year}: {count}.",
                    "{year}年中心村卫生室：{count} 个。"),
    "run.cost": ("Cost of the additions over the plan years: {value} {unit} (one-off costs of "
                 "upgrades, clinics and new beds, plus the yearly pay of added posts over the "
                 "years they are filled; the [costs] assumptions).",
                 "规划期内新增投入：{value} {unit}（升级、卫生室和新增床位的一次性投入，加上新增"
                 "岗位在岗各年的年薪；按 [costs] 假设）。"),
    "run.fixed": ("fixed by the scenario", "情景指定"),
    "run.chosen": ("chosen by the model among the scenario's candidates",
                   "模型在情景候选中选出"),
    "run.partners": ("; partners {partners})", "；联合体成员 {partners}）"),
    "run.close": (")", "）"),
    "run.pop_sep": (", ", "，"),
    "run.bed_moves": ("Beds {first}→{last}: {before} → {after}; ",
                      "床位 {first}→{last}：{before} → {after}；"),
    "run.bed_cuts": ("{n} facilities cut {beds}", "{n} 个机构共减少 {beds} 张"),
    "run.no_cuts": ("no facility cuts beds", "没有机构减少床位"),
    "run.bed_adds": (", {n} add {beds}", "，{n} 个机构共增加 {beds} 张"),
    "run.no_adds": (", none adds beds", "，没有机构增加床位"),
    "run.largest_cuts": (" (largest cuts: {cuts})", "（减少最多：{cuts}）"),
    # run: indicators
    "ind.met": ("met", "达到"),
    "ind.input": ("input to the model", "模型输入"),
    "ind.unmet": ("NOT met", "未达到"),
    "ind.intro": ("Every policy number of the scenario with the value the plan reaches "
                  "(indicators.csv). 'cap' rows must stay at or below the target, 'floor' rows "
                  "at or above it. 'binding' targets (约束性) are hard; 'expected' ones (预期性) "
                  "may fall short, and the gap is shown in % of the target. A target counts as "
                  "met when the achieved figure is within one part in a billion of it; the "
                  "data's own year is compared at the precision the plan states.",
                  "情景中的每一项政策指标及方案达到的数值（indicators.csv）。“上限”指标须不高于"
                  "目标，“下限”指标须不低于目标。约束性指标必须达到；预期性指标可以未达到，缺口"
                  "以目标的百分比表示。实现值与目标相差不超过十亿分之一即视为达到；数据基准年按"
                  "规划所列精度比较。"),
    "ind.earlier": ("Earlier plan years", "此前各规划年份"),
    "ind.maps": ("Each town against the district targets", "各乡镇与全区目标的比较"),
    "ind.short": ("{pct} % short", "差 {pct} %"),
    "ind.na": ("n/a", "无"),
    "col.indicator": ("indicator", "指标"),
    "col.year": ("year", "年份"),
    "col.kind": ("kind", "性质"),
    "col.target": ("target", "目标"),
    "col.achieved": ("achieved", "实现值"),
    "col.met": ("met", "是否达到"),
    "col.shortfall_pct": ("shortfall_pct", "缺口（%）"),
    "col.note": ("note", "说明"),
    # run: plan
    "plan.cells": ("Each cell reads 'level before the plan → level in {last} (change)', before "
                   "meaning the data's levels entering {first} (plan.csv).",
                   "每格为“规划前数量 → {last}年数量（变化）”，规划前指进入 {first} 年时数据中的"
                   "数量（plan.csv）。"),
    "plan.by_town": ("By town", "分乡镇"),
    "plan.by_tier": ("By tier", "分机构级别"),
    "plan.tier_after": ("tier (after the plan)", "机构级别（规划后）"),
    "plan.changed": ("Facilities whose levels or tier change (central village clinics are "
                     "listed in the sub-centres section)",
                     "数量或级别变化的机构（中心村卫生室见次中心一节）"),
    "col.resource": ("resource", "资源"),
    "col.facility": ("facility", "机构"),
    "col.town": ("town", "乡镇"),
    "col.tier_before": ("tier before", "原级别"),
    "col.tier_in": ("tier in {last}", "{last}年级别"),
    "col.before": ("before", "规划前"),
    "col.in_year": ("in {last}", "{last}年"),
    "col.change": ("change", "变化"),
    # run: coverage
    "cov.nobody": ("After the plan nobody in scope is outside {label}.",
                   "规划实施后，范围内已无居民在{label}之外。"),
    "cov.town_count": ("{town} ({value})", "{town}（{value}）"),
    "cov.outside": ("Residents outside {label}: about {first_total} in {first}, about "
                    "{last_total} in {last}. Still outside in {last}: {names}",
                    "{label}之外的居民：{first}年约 {first_total} 人，{last}年约 {last_total} 人。"
                    "{last}年仍在覆盖范围之外：{names}"),
    "cov.others": (" and others.", "等。"),
    "cov.end": (".", "。"),
    "col.residents_in": ("residents {last}", "{last}年常住人口"),
    "col.outside_in": ("outside {year}", "{year}年覆盖范围外比例"),
    "col.residents_outside_in": ("residents outside {year}", "{year}年覆盖范围外人口"),
    "cov.note": ("Town shares come from towns.csv; residents outside are the town's residents "
                 "times its share outside (rounded). Which villages remain outside after the "
                 "plan is not in the run's files; the village points on the 'before' maps come "
                 "from the coverage job of the same data when the run folder holds one "
                 "(coverage/).",
                 "乡镇比例取自 towns.csv；覆盖范围外人口为乡镇常住人口乘以覆盖范围外比例（取整）。"
                 "规划实施后仍在覆盖范围之外的村不在本次运行的文件中；“规划前”地图上的村点来自同一"
                 "数据的覆盖分析（运行文件夹中有 coverage/ 时）。"),
    "cov.largest_before": ("Largest villages outside before the plan ({flag}, "
                           "coverage/coverage.csv)",
                           "规划前覆盖范围之外人口最多的村（{flag}，coverage/coverage.csv）"),
    "col.name_zh": ("name_zh", "村"),
    "col.population": ("population", "常住人口"),
    # run: sub-centres
    "col.sub_centre": ("sub-centre", "次中心"),
    "col.partners": ("consortium partners", "医共体/联合体成员"),
    "col.why": ("why", "理由"),
    "sites.none": ("This scenario upgrades no sub-centre.", "本情景不升级任何次中心。"),
    "sites.clinics": ("Central village clinics in {year}: {count}",
                      "{year}年中心村卫生室：{count} 个"),
    "sites.by_town": ("By town: {text}.", "分乡镇：{text}。"),
    "sites.list_sep": ("; ", "；"),
    "sites.none_listed": ("None.", "无。"),
    # run: why here
    "why.none": ("This run has no reasons (an older output folder).",
                 "本次运行没有调整原因（较早的输出文件夹）。"),
    "why.intro": ("Each facility whose level in {last} differs from the data's, with its need "
                  "in {last} (from the residents it serves and the scenario's norms) and the "
                  "rule behind its largest move, in the plan period ending in the year shown "
                  "(plan.csv: need, served, need_ratio, reason_kind, reason).",
                  "{last}年数量与数据不同的每个机构，及其{last}年的需要量（由服务人口和情景中的"
                  "标准算出）和其最大一次调整所依据的规则，调整发生在以所示年份结束的规划期"
                  "（plan.csv：need、served、need_ratio、reason_kind、reason）。"),
    "why.far": ("Far from need: ", "与需要量相差较大："),
    "col.from": ("from", "原数量"),
    "col.to": ("to", "调整后"),
    "col.need": ("need", "需要量"),
    "col.reason": ("reason", "原因类型"),
    "col.period": ("period", "规划期"),
    # coverage report
    "out.travel": ("Travel times: {mode}; {residents} residents in {villages} demand points.",
                   "出行时间：{mode}；{villages} 个需求点共 {residents} 名居民。"),
    "col.care": ("care", "医疗服务"),
    "col.threshold": ("threshold (min)", "时间标准（分钟）"),
    "col.residents_outside": ("residents outside", "覆盖范围外人口"),
    "col.share_outside": ("share outside", "覆盖范围外比例"),
    "col.villages_outside": ("villages outside", "覆盖范围外村数"),
    "out.inequality": ("Access inequality across towns (2SFCA)", "乡镇间可及性不平等（2SFCA）"),
    "out.gini": ("Gini 0 means every town has the same access per resident; the decile ratio "
                 "compares the best- and worst-served tenth.",
                 "基尼系数为 0 表示每个乡镇人均可及性相同；"
                 "十分位比比较可及性最好和最差的十分之一。"),
    "gaps.towns": ("Share of each town's residents covered", "各乡镇居民的覆盖比例"),
    "gaps.minutes": ("{minutes} min", "{minutes}分钟"),
    "gaps.largest": ("Largest villages outside {minutes} minutes of {group} care ({n} in all)",
                     "距{group}超过 {minutes} 分钟、人口最多的村（共 {n} 个）"),
    "col.village": ("village", "村"),
    "col.residents": ("residents", "常住人口"),
    "col.minutes_nearest": ("minutes to nearest", "到最近机构（分钟）"),
    # justification
    "just.none": ("No justification files (justification.md, ranking.csv, ...) were found "
                  "beside this run: run `medalloc justify` on the scenario to compare the "
                  "chosen sub-centres with every alternative.",
                  "本次运行旁没有选址论证文件（justification.md、ranking.csv 等）：对该情景运行 "
                  "`medalloc justify`，可将所选次中心与每一种备选方案比较。"),
    "just.title": ("Justification", "选址论证"),
    "just.ranking": ("Ranking of sub-centre sets (ranking.csv)", "次中心组合排名（ranking.csv）"),
    "just.marginal": ("What each site adds (marginal.csv)", "各站点的边际贡献（marginal.csv）"),
    "just.robustness": ("Robustness to the assumptions (robustness.csv)",
                        "对假设的稳健性（robustness.csv）"),
    "just.pairings": ("Consortium pairings (pairings.csv)", "联合体配对（pairings.csv）"),
    "just.first_rows": (" — first {rows} of {total} rows", " —— 共 {total} 行中的前 {rows} 行"),
    "col.item": ("item", "项目"),
    "col.value": ("value", "值"),
    "just.entries": ("{n} entries", "{n} 项"),
    # interactive map (map.html)
    "imap.residents": ("residents", "常住人口"),
    "imap.within": ("within {label}", "{label}内"),
    "imap.towns_year": ("towns ({last})", "乡镇（{last}年）"),
    "imap.towns": ("towns", "乡镇"),
    "imap.before": (" (before the plan)", "（规划前）"),
    "imap.title_run": ("{scenario}: the plan in {last}", "{scenario}：{last}年规划"),
    "imap.legend_run": ("{last}: residents outside {label}", "{last}年：{label}之外的居民比例"),
    "imap.coverage": ("coverage", "覆盖"),
    "imap.label_min": ("{group} {minutes} min", "{group}{minutes}分钟"),
    "imap.legend_cov": ("residents outside {label}", "{label}之外的居民比例"),
    "imap.not_in_scope": ("not in scope", "不在范围内"),
    "imap.village_outside": ("village outside (size: residents)", "覆盖范围外的村（大小：人口）"),
    "imap.tier": ("tier", "级别"),
    "imap.within_word": ("within", "服务时间"),
    "imap.id": ("id", "编号"),
    "imap.by": ("by", "出行方式"),
    "imap.town": ("town", "乡镇"),
    "imap.nearest": ("nearest {group} care", "最近{group}"),
    "imap.areas": ("{group}: {minutes}-min service areas{label}",
                   "{group}：{minutes}分钟服务范围{label}"),
    "imap.villages": ("villages outside {minutes} min of {group}{label}",
                      "距{group}超过 {minutes} 分钟的村{label}"),
    "group.hospitals": ("hospitals 医院", "医院"),
    "group.sub_centres": ("sub-centres 区域医疗次中心", "医疗卫生次中心"),
    "group.health_centres": ("health centres 卫生院/社区卫生服务中心",
                             "乡镇卫生院/社区卫生服务中心"),
    "group.central_village_clinics": ("central village clinics 中心村卫生室", "中心村卫生室"),
    "group.village_clinics": ("village clinics 村卫生室", "村卫生室"),
    # static maps (PNG)
    "fig.before": ("before the plan", "规划前"),
    "fig.after": ("after the plan", "规划后"),
    "fig.panel": ("{year}, {when}", "{year}年，{when}"),
    "fig.gaps_title": ("Residents outside {label}: towns by share outside",
                       "{label}之外的居民：各乡镇覆盖范围外比例"),
    "fig.gaps_caption": ("Share of each town's residents outside {label}, in {first} and {last} "
                         "(from towns.csv). Grey towns are outside this service's scope.",
                         "{first}年和{last}年各乡镇在{label}之外的居民比例（towns.csv）。灰色乡镇"
                         "不在该服务范围内。"),
    "fig.gaps_villages": (" Red circles on the left: villages outside, sized by residents "
                          "(coverage/coverage.csv).",
                          "左图红圈：覆盖范围外的村，大小表示人口（coverage/coverage.csv）。"),
    "fig.gaps_name": ("Coverage gaps: {label}", "覆盖缺口：{label}"),
    "fig.beds_title": ("Where beds move, {first} to {last}", "床位调整去向，{first}–{last}年"),
    "fig.beds_name": ("Where beds move", "床位调整去向"),
    "fig.beds_caption": ("Net change of beds per town from {first} (before the plan) to {last}; "
                         "circles are facilities whose beds change (blue gains, red cuts), sized "
                         "by the change (plan.csv).",
                         "各乡镇床位从{first}年（规划前）到{last}年的净变化；圆圈为床位有变化的机构"
                         "（蓝色增加，红色减少），大小表示变化量（plan.csv）。"),
    "fig.per_name": ("{label} by town", "分乡镇{label}"),
    "fig.per_caption": ("{label} residents in each town before and after the plan, coloured "
                        "against the district {sense} of {target} for {year} (towns.csv, "
                        "indicators.csv). District targets apply to the whole district: urban "
                        "towns with the hospitals sit far above, rural towns below.",
                        "规划前后各乡镇的{label}，颜色对照{year}年全区{sense} {target}（towns.csv、"
                        "indicators.csv）。全区目标针对全区：有医院的城区乡镇远高于目标，农村乡镇"
                        "低于目标。"),
    "fig.cov_panel": ("{n} villages outside {label} min", "{n} 个村在 {label} 分钟之外"),
    "fig.cov_title": ("Outside {label} minutes of {group} care",
                      "距{group}超过 {label} 分钟"),
    "fig.cov_caption": ("Towns shaded by the share of residents more than {label} minutes from "
                        "{group} care; red circles are the villages outside, sized by residents "
                        "(coverage.csv, towns_coverage.csv).",
                        "乡镇颜色表示距{group}超过 {label} 分钟的居民比例；红圈为覆盖范围外的村，"
                        "大小表示人口（coverage.csv、towns_coverage.csv）。"),
    "fig.sub_centre": ("{town} sub-centre", "{town}次中心"),
    "fig.chosen": ("chosen sub-centres", "所选次中心"),
    "fig.best": ("best-ranked set (ranking.csv)", "排名第一的组合（ranking.csv）"),
    "fig.best_site": ("{town} (best-ranked set)", "{town}（排名第一的组合）"),
    "fig.catch_title": ("Sub-centre catchments: the nearest sub-centre or county hospital",
                        "次中心服务范围：最近的次中心或县级医院"),
    "fig.catch_caption": ("Each town coloured by the site nearest (straight line) to most of "
                          "its residents; dots are villages coloured the same way. Grey: nearer "
                          "a county hospital than any sub-centre.",
                          "每个乡镇按其多数居民（直线距离）最近的站点着色；点为同样着色的村。灰色："
                          "距县级医院比距任何次中心更近。"),
    "fig.catch_right": (" Right: the best-ranked set of the justification (ranking.csv).",
                        "右图：选址论证中排名第一的组合（ranking.csv）。"),
    "fig.catch_same": (" The chosen set is also the best-ranked set of the justification.",
                       "所选组合也是选址论证中排名第一的组合。"),
    "fig.catch_name": ("Sub-centre catchments", "次中心服务范围"),
    "fig.share_bar": ("share of town residents outside", "乡镇居民中覆盖范围外比例"),
    "fig.county_hospital": ("nearest to a county hospital 县级医院", "距县级医院最近"),
    "fig.target": ("target {target}", "目标 {target}"),
    "fig.log": ("{label} (log scale)", "{label}（对数刻度）"),
    "fig.per_title": ("{label}: each town against the district target ({sense} {target} in "
                      "{year})", "{label}：各乡镇与全区目标比较（{year}年{sense} {target}）"),
    "fig.gains": ("facility gains {resource}", "机构增加{resource}"),
    "fig.loses": ("facility loses {resource}", "机构减少{resource}"),
    "fig.net": ("net change of {resource} in the town", "乡镇{resource}净变化"),
    "fig.uncovered": ("uncovered village, {population} residents",
                      "覆盖范围外的村，{population} 人"),
    # map notes and provenance (provenance.py's subjects and statuses)
    "note.line": ("{subject} {status}", "{subject}为{status}"),
    "note.geonames": ("seat points: GeoNames (geonames.org), CC BY 4.0",
                      "驻地点位：GeoNames (geonames.org)，CC BY 4.0"),
    "note.amap": ("boundary geometry: AutoNavi/Amap", "边界几何：高德地图"),
    "note.data": ("Data: ", "数据："),
    "note.sep": ("; ", "；"),
    "note.end": (". Not for navigation.", "。不可用于导航。"),
    "subject.town polygons": ("town polygons", "乡镇边界"),
    "subject.town populations": ("town populations", "乡镇人口"),
    "subject.town seat points": ("town seat points", "乡镇驻地点位"),
    "subject.village positions": ("village positions", "村位置"),
    "subject.village populations": ("village populations", "村人口"),
    "subject.facilities and their tiers": ("facilities and their tiers", "医疗卫生机构及其级别"),
    "subject.facility beds and staff": ("facility beds and staff", "机构床位与人员"),
    "subject.district boundary": ("district boundary", "区县边界"),
    "status.sourced": ("sourced", "有来源"),
    "status.estimated": ("estimated", "估算"),
    "status.synthetic": ("synthetic", "合成"),
    "status.mixed": ("mixed", "混合"),
    # plan.csv reason_kind
    "reason.need": ("need", "按需要"),
    "reason.standard": ("standard", "机构标准"),
    "reason.direction": ("direction", "规划指定"),
    "reason.floor": ("floor", "全区下限"),
    "reason.limit": ("limit", "变化限制"),
    "reason.cap": ("cap", "全区上限"),
    "reason.kept": ("kept", "保持"),
    "reason.fixed": ("fixed", "固定"),
    "reason.data": ("data", "数据"),
    # words inside sentences
    "word.cap": ("cap", "上限"),
    "word.floor": ("floor", "下限"),
    "word.primary": ("primary", "基层医疗卫生机构"),
    "word.referral": ("referral", "县级医疗机构"),
    "word.any_clinic": ("any clinic", "任一医疗卫生机构（含村卫生室）"),
    "word.county": ("county", "县级医疗机构"),
    "word.all": ("all", "全体"),
    "word.rural": ("rural", "农村"),
    "word.straight_line": ("straight_line", "直线距离估算"),
    "word.network": ("network", "道路网络"),
}

_FIELDS = re.compile(r"\{(\w+)[^}]*\}")


def check_lang(value: str) -> Lang:
    """``value`` as a report language.

    Raises
    ------
    UsageError
        When ``value`` is not ``en`` or ``zh``.
    """
    if value == "en":
        return "en"
    if value == "zh":
        return "zh"
    raise UsageError(f"unknown report language {value!r}: use --lang en or --lang zh")


def text(key: str, lang: str, /, **fields: object) -> str:
    """The text of ``key`` in ``lang``, its ``{fields}`` filled in.

    Raises
    ------
    KeyError
        For a key missing from the table (a bug, caught by the tests).
    """
    english, chinese = TEXTS[key]
    template = chinese if lang == "zh" else english
    return template.format(**fields) if fields else template


def subject_name(subject: str, lang: str) -> str:
    """What a provenance line is about (``town polygons``...) in ``lang``."""
    return text(f"subject.{subject}", lang) if f"subject.{subject}" in TEXTS else subject


def status_name(status: str, lang: str) -> str:
    """``sourced``, ``estimated``, ``synthetic`` or ``mixed`` in ``lang``."""
    return text(f"status.{status}", lang) if f"status.{status}" in TEXTS else status


def tier_name(tier: str, lang: str) -> str:
    """A tier as the report shows it: its id in English (as before), its Chinese name in zh."""
    if lang == "zh" and tier in TIER_NAMES:
        return TIER_NAMES[tier][0]
    return tier


def kind_name(kind: str, lang: str) -> str:
    """``binding`` / ``expected`` as written in English, 约束性 / 预期性 in Chinese."""
    if lang == "zh" and kind in KIND_NAMES:
        return KIND_NAMES[kind][0]
    return kind


def resource_name(resource: str, lang: str) -> str:
    """A resource column: as written in English, by its statistics name in Chinese."""
    if lang == "zh":
        return "+".join(RESOURCE_NAMES.get(r, (r,))[0] for r in resource.split("+"))
    return resource


def measure_label(column: str, lang: str) -> str:
    """``beds_per_1000`` -> ``beds per 1000`` (en) or ``每千人口床位数`` (zh)."""
    match = re.fullmatch(r"(.+)_per_(\d+)", column)
    if lang == "zh" and match:
        return per_capita_zh(match[1], int(match[2]))
    return column.replace("_", " ")


def group_name(group: str, lang: str) -> str:
    """A service or tier group (``primary``, ``referral``...): unchanged in English."""
    key = f"word.{group}"
    return text(key, lang) if lang == "zh" and key in TEXTS else group


def service_name(label: str, lang: str) -> str:
    """``primary (all, 15 min)`` -> ``基层医疗卫生机构（全体居民，15分钟）`` in Chinese."""
    match = re.fullmatch(r"(\w+) \((\w+), ([\d.]+) min\)", label)
    if lang != "zh" or match is None:
        return label
    scope = group_name(match[2], lang)
    return f"{group_name(match[1], lang)}（{scope}居民，{match[3]}分钟）"


def share_column_label(column: str, lang: str) -> str:
    """``covered_share_primary_15`` -> ``primary 15 min`` (en) or ``基层医疗卫生机构15分钟``."""
    rest = column.removeprefix("covered_share_")
    group, _, minutes = rest.rpartition("_")
    if lang == "zh" and group:
        return text("imap.label_min", lang, group=group_name(group, lang), minutes=minutes)
    return rest.replace("_", " ") + " min"


_INDICATOR = re.compile(r"(\w+) per (\d+)( in every town)? \((cap|floor)\)")
_SERVICE = re.compile(r"(\w+) coverage within ([\d.]+) min")
_STANDARD = re.compile(r"sub-centre (.+): (\w+) \(standard (minimum|maximum)\)")
_COUNT = re.compile(r"(sub-centres|central village clinics) \((minimum|maximum|exact) count\)")
_COUNTED = {"sub-centres": "医疗卫生次中心数", "central village clinics": "中心村卫生室数"}
_BOUND = {"minimum": "下限", "maximum": "上限", "exact": "目标"}
_RATIO = re.compile(r"(?:sub-centre (.+): )?(\w+(?: \+ \w+)*) per (?:([\d.]+) )?(\w+)"
                    r"(?: at every (\w+))?(?: \((cap|floor)\))?")
_SCOPES = {"facility": "各机构", "town": "各乡镇"}
_SECONDED = re.compile(r"county-hired, township-used: (\w+) seconded to grassroots per a year's "
                       r"recruits at the named hospitals")
_REACH = re.compile(r"(\w+) within reach per (\d+): spread across towns( over the mean)?")
_STAY = re.compile(r"average stay at (.+) \(days\)")


def indicator_label(indicator: str, lang: str) -> str:
    """An ``indicators.csv`` name in ``lang``; forms without a Chinese pattern stay as written."""
    if lang != "zh":
        return indicator
    match = _INDICATOR.fullmatch(indicator)
    if match:
        every = "（各乡镇）" if match[3] else ""
        sense = text("word." + match[4], lang)
        return f"{per_capita_zh(match[1], int(match[2]))}{every}（{sense}）"
    match = _SERVICE.fullmatch(indicator)
    if match:
        return f"{match[2]}分钟内{group_name(match[1], lang)}覆盖率"
    match = _STANDARD.fullmatch(indicator)
    if match:
        return f"次中心{match[1]}：{resource_name(match[2], lang)}（标准{_BOUND[match[3]]}）"
    match = _COUNT.fullmatch(indicator)
    if match:
        return f"{_COUNTED[match[1]]}（{_BOUND[match[2]]}）"
    match = _SECONDED.fullmatch(indicator)
    if match:
        return f"县聘乡用：指定医院当年招聘{resource_name(match[1], lang)}中下沉基层的比例"
    match = _REACH.fullmatch(indicator)
    if match:
        spread = "乡镇间极差与均值之比" if match[3] else "乡镇间极差"
        return f"{per_capita_zh(match[1], int(match[2]))}（可及性）：{spread}"
    if indicator == "patients from outside the district (share)":
        return "区外患者占比"
    match = _STAY.fullmatch(indicator)
    if match:
        tiers = "、".join(tier_name(t.strip(), lang) for t in match[1].split(","))
        return f"{tiers}平均住院日（天）"
    match = _RATIO.fullmatch(indicator)
    if match:
        return _ratio_label(match)
    return indicator


def _ratio_label(match: re.Match[str]) -> str:
    """A ratio row in Chinese.

    ``gps per 1 doctors at every facility (cap)`` -> ``各机构全科医生与执业(助理)医师之比（上限）``.
    """
    names = "+".join(resource_name(r, "zh") for r in match[2].split(" + "))
    per = resource_name(match[4], "zh")
    base = "" if match[3] in (None, "1") else f"（按每{match[3]}{per}计）"
    label = f"{names}与{per}之比{base}"
    if match[5]:
        label = _SCOPES.get(match[5], f"各{match[5]}") + label
    if match[1]:
        label = f"次中心{match[1]}：{label}"
    if match[6]:
        label += f"（{text('word.' + match[6], 'zh')}）"
    return label


def reason_kind_name(kind: str, lang: str) -> str:
    """A ``plan.csv`` ``reason_kind`` (need, standard, floor...) in ``lang``."""
    key = f"reason.{kind}"
    return text(key, lang) if lang == "zh" and key in TEXTS else kind


def fields_of(template: str) -> set[str]:
    """The ``{field}`` names a template fills (for the table's tests)."""
    return set(_FIELDS.findall(template))
