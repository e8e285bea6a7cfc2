"""The written conclusion, in English and Chinese, generated from the computed facts only.

Every number in a sentence is formatted from the ``facts`` dict or a table of the analysis
(never typed by hand), with fixed formats: residents and objective values as whole numbers with
thousands separators, minutes with one decimal, percentages with two.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

__all__ = ["MEASURE_TEXT", "Sentence", "conclusion", "fmt"]

Sentence = dict[str, str]

MEASURE_TEXT: Mapping[str, tuple[str, str, str]] = {
    # measure -> (English description, Chinese description, format kind)
    "covered": ("{who} within {minutes:g} minutes of a sub-centre or hospital",
                "{minutes:g}分钟内可达分中心或医院的{who_zh}", "count"),
    "mean_minutes": ("mean travel time to the nearest sub-centre or hospital (minutes)",
                     "到最近分中心或医院的人口加权平均出行时间（分钟）", "minutes"),
    "worst_town_minutes": ("the worst-served town's mean travel time (minutes)",
                           "服务最差乡镇的平均出行时间（分钟）", "minutes"),
}


def fmt(value: float | None, kind: str) -> str:
    """Format a number the way the conclusion writes it (``count``, ``minutes``, ``pct``)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    if kind == "count":
        return f"{value:,.0f}"
    if kind == "minutes":
        return f"{value:.1f}"
    return f"{value:.2f}"


def _describe(name: str, facts: Mapping[str, Any]) -> tuple[str, str, str]:
    service = facts["service"]
    rural = service["population"] == "rural"
    en, zh, kind = MEASURE_TEXT[name]
    return (en.format(who="rural residents" if rural else "residents",
                      minutes=service["minutes"]),
            zh.format(who_zh="农村居民" if rural else "居民", minutes=service["minutes"]), kind)


def _sizes(facts: Mapping[str, Any]) -> str:
    low, high = facts["sizes"]
    return f"{low}" if low == high else f"{low}-{high}"


def _rank_text(rank: int | None, ranked: int, exhaustive: bool) -> tuple[str, str]:
    if rank is None:
        return "not ranked", "未排名"
    scope = f"all {ranked}" if exhaustive else f"{ranked} listed"
    scope_zh = f"全部{ranked}个" if exhaustive else f"所列{ranked}个"
    return f"rank {rank} of {scope} sets", f"在{scope_zh}方案中排第{rank}"


def _objective(facts: Mapping[str, Any]) -> Sentence | None:
    obj = facts.get("objective")
    if not obj:
        return None
    chosen, best = fmt(obj["chosen_value"], "count"), fmt(obj["best_value"], "count")
    regret, pct = fmt(obj["regret"], "count"), fmt(obj["regret_pct"], "pct")
    if obj["rank"] is not None:
        rank_en = f"rank {obj['rank']}"
        rank_zh = f"排第{obj['rank']}"
    else:
        rank_en, rank_zh = "not among the best sets found", "不在模型找到的最优方案之列"
    how = ("every admissible set re-optimised" if obj["exhaustive"] else
           f"the model listed every better set by no-good cuts; {obj['solved']} solves in all")
    how_zh = ("逐一重新优化全部可行方案" if obj["exhaustive"]
              else f"模型依次求出优于所选方案的全部方案，共求解{obj['solved']}个方案")
    return {
        "en": (f"By the scenario's own objective ({obj['criterion']}, {obj['unit']}), the chosen "
               f"set reaches {chosen} and the best set, {obj['best']} ({obj['best_en']}), "
               f"reaches {best}: a regret of {regret} ({pct} %); the chosen set is {rank_en} "
               f"({how})."),
        "zh": (f"按情景自身目标（{obj['criterion']}），所选方案为{chosen}，最优方案"
               f"{obj['best']}为{best}，差距{regret}（{pct}%）；所选方案{rank_zh}（{how_zh}）。"),
    }


def _measures(facts: Mapping[str, Any]) -> list[Sentence]:
    out = []
    for name, found in facts["measures"].items():
        en, zh, kind = _describe(name, facts)
        rank_en, rank_zh = _rank_text(found["rank"], found["ranked"], found["exhaustive"])
        chosen, best = fmt(found["chosen_value"], kind), fmt(found["best_value"], kind)
        regret, pct = fmt(found["regret"], kind), fmt(found["regret_pct"], "pct")
        if found["regret"] is not None and found["regret"] <= 0:
            out.append({
                "en": f"For {en}, the chosen set is the best of the pool ({chosen}; {rank_en}).",
                "zh": f"就{zh}而言，所选方案即为最优（{chosen}；{rank_zh}）。",
            })
            continue
        out.append({
            "en": (f"For {en}, the chosen set gives {chosen} against {best} for the best set, "
                   f"{found['best']} ({found['best_en']}): a regret of {regret} ({pct} %), "
                   f"{rank_en}."),
            "zh": (f"就{zh}而言，所选方案为{chosen}，最优方案{found['best']}为{best}，"
                   f"差距{regret}（{pct}%），{rank_zh}。"),
        })
    worst = facts.get("worst_town") or {}
    if worst.get("name_zh"):
        minutes = fmt(worst["minutes"], "minutes")
        out.append({
            "en": (f"With the chosen set the worst-served town is {worst['name_zh']}, at "
                   f"{minutes} minutes on average."),
            "zh": f"采用所选方案时，服务最差的乡镇是{worst['name_zh']}，平均{minutes}分钟。",
        })
    return out


def _marginal(facts: Mapping[str, Any], marginal: pd.DataFrame) -> list[Sentence]:
    headline = "objective" if facts.get("objective") else "covered"
    kind = "count" if headline in ("objective", "covered") else "minutes"
    rows = marginal[marginal["criterion"].eq(headline)]
    if rows.empty:
        return []
    label = facts["objective"]["criterion"] if headline == "objective" else _describe(
        "covered", facts)[0]
    out = []
    for row in rows.to_dict("records"):
        lose = fmt(float(row["marginal"]), kind)
        gain = float(row["swap_gain"])
        swap_in, swap_in_en = str(row["swap_in"]), str(row["swap_in_en"])
        if swap_in and gain > 0:
            swap_en = f"swapping it for {swap_in} ({swap_in_en}) would gain {fmt(gain, kind)}"
            swap_zh = f"若换成{swap_in}可增加{fmt(gain, kind)}"
        elif swap_in:
            swap_en = (f"no single swap does better (the best, {swap_in}, loses "
                       f"{fmt(-gain, kind)})")
            swap_zh = f"任何单点替换都不更优（最佳替换{swap_in}减少{fmt(-gain, kind)}）"
        else:
            swap_en, swap_zh = "no swap was valued", "无替换方案可比"
        out.append({
            "en": f"{row['site']} ({row['site_en']}) adds {lose} to {label}; {swap_en}.",
            "zh": f"{row['site']}对该目标的边际贡献为{lose}；{swap_zh}。",
        })
    return out


def _robustness(facts: Mapping[str, Any]) -> list[Sentence]:
    grid = facts["grid"]
    robust = facts.get("robustness") or {}
    if not robust:
        return []
    pct = fmt(grid["within_percent"], "pct")
    parts_en, parts_zh = [], []
    for name, found in robust.items():
        en, zh, _ = _describe(name, facts)
        parts_en.append(f"{found['within']} of {found['points']} for {en}")
        parts_zh.append(f"{zh}{found['points']}种情形中{found['within']}种")
    speeds = ", ".join(f"{s:g}" for s in grid["speed_factors"])
    detours = ", ".join(f"{d:g}" for d in grid["detour_factors"])
    thresholds = ", ".join(f"{t:g}" for t in grid["thresholds"])
    sentences = [{
        "en": (f"Across speeds x{speeds}, detour factors {detours} and thresholds {thresholds} "
               f"minutes, the chosen set stays within {pct} % of the optimum in "
               f"{'; '.join(parts_en)}."),
        "zh": (f"在速度系数{speeds}、绕行系数{detours}、阈值{thresholds}分钟的组合下，所选方案与"
               f"最优方案差距不超过{pct}%的情形：{'；'.join(parts_zh)}。"),
    }]
    cover = robust.get("covered")
    if cover and cover["worst_regret_pct"]:
        sentences.append({
            "en": (f"Its largest shortfall in coverage, {fmt(cover['worst_regret_pct'], 'pct')} %, "
                   f"comes with speeds x{cover['worst_speed_factor']:g}, detour "
                   f"{cover['worst_detour_factor']:g} and {cover['worst_threshold']:g} minutes, "
                   f"where {cover['worst_best_set']} would be best."),
            "zh": (f"覆盖人口差距最大为{fmt(cover['worst_regret_pct'], 'pct')}%，出现在速度系数"
                   f"{cover['worst_speed_factor']:g}、绕行系数{cover['worst_detour_factor']:g}、"
                   f"{cover['worst_threshold']:g}分钟时，此时最优方案为{cover['worst_best_set']}。"),
        })
    return sentences


def _pairings(pairings: pd.DataFrame) -> list[Sentence]:
    out = []
    for row in pairings.to_dict("records"):
        lead, partner = str(row["lead"]), str(row["partner"])
        if not row["lead_chosen"]:
            out.append({"en": f"{partner}'s named lead {lead} is not in the chosen set.",
                        "zh": f"{partner}的牵头单位{lead}不在所选方案中。"})
            continue
        share = fmt(float(row["share_nearest_lead"]), "pct")
        minutes = fmt(float(row["minutes_to_lead"]), "minutes")
        nearest = fmt(float(row["minutes_to_best"]), "minutes")
        if row["named_is_best"]:
            tail_en = "it is the nearest chosen sub-centre, so the pairing also minimises travel"
            tail_zh = "且为最近的分中心，该配对同时使出行最省"
        else:
            tail_en = f"{row['best_lead']} ({row['best_lead_en']}) is nearer, at {nearest} minutes"
            tail_zh = f"{row['best_lead']}更近，为{nearest}分钟"
        out.append({
            "en": (f"{partner} ({row['partner_en']}) with {lead}: {share} % of its residents "
                   f"are nearest to {lead}, {minutes} minutes on average; {tail_en}."),
            "zh": (f"{partner}与{lead}：{share}%的居民以{lead}为最近分中心，"
                   f"平均{minutes}分钟；{tail_zh}。"),
        })
    return out


def _verdict(facts: Mapping[str, Any]) -> Sentence:
    within = facts["grid"]["within_percent"]
    head = facts.get("objective") or facts["measures"]["covered"]
    pct = head["regret_pct"]
    chosen = facts["chosen"]
    if pct is not None and pct <= 0:
        return {"en": f"Conclusion: {chosen} is an optimal choice on the headline criterion.",
                "zh": f"结论：{chosen}在首要指标上是最优选择。"}
    if pct is not None and pct <= within:
        return {"en": (f"Conclusion: {chosen} is within {fmt(pct, 'pct')} % of the best "
                       f"choice on the headline criterion, inside the {fmt(within, 'pct')} % "
                       "tolerance: defensible."),
                "zh": (f"结论：{chosen}在首要指标上与最优方案相差{fmt(pct, 'pct')}%，在"
                       f"{fmt(within, 'pct')}%的容差之内，可以成立。")}
    return {"en": (f"Conclusion: {chosen} falls {fmt(pct, 'pct')} % short of the best choice on "
                   f"the headline criterion, beyond the {fmt(within, 'pct')} % tolerance; the "
                   "committee should weigh the alternative."),
            "zh": (f"结论：{chosen}在首要指标上比最优方案低{fmt(pct, 'pct')}%，超出"
                   f"{fmt(within, 'pct')}%的容差，委员会应权衡替代方案。")}


def conclusion(facts: Mapping[str, Any], marginal: pd.DataFrame,
               pairings: pd.DataFrame) -> list[Sentence]:
    """The conclusion's sentences, each with ``en`` and ``zh`` text, in reading order."""
    sentences: list[Sentence] = [{
        "en": (f"The chosen sites {facts['chosen']} ({facts['chosen_en']}) were compared with "
               f"{facts['admissible_sets']} admissible sets of {_sizes(facts)} "
               f"drawn from {facts['pool']['towns']} towns "
               f"({facts['pool']['source']})."),
        "zh": (f"将所选{facts['chosen']}与从{facts['pool']['towns']}个乡镇中选取"
               f"{_sizes(facts)}个的{facts['admissible_sets']}种可行方案"
               "逐一比较。"),
    }]
    objective = _objective(facts)
    if objective is not None:
        sentences.append(objective)
    same = facts.get("same_size")
    head = facts.get("objective") or facts["measures"]["covered"]
    if same and same["best"] != head["best"]:
        best = fmt(same["best_value"], "count")
        regret, pct = fmt(same["regret"], "count"), fmt(same["regret_pct"], "pct")
        sentences.append({
            "en": (f"Among sets of {same['size']} only, the best by {same['criterion']} is "
                   f"{same['best']} ({same['best_en']}) with {best}; the chosen set's regret "
                   f"against it is {regret} ({pct} %)."),
            "zh": (f"仅比较{same['size']}个分中心的方案，按{same['criterion']}最优的是"
                   f"{same['best']}（{best}），所选方案与之差距{regret}（{pct}%）。"),
        })
    sentences += _measures(facts)
    sentences += _marginal(facts, marginal)
    sentences += _pairings(pairings)
    sentences += _robustness(facts)
    if "travel_model" in facts:
        from optimizer.justify.travel_models import travel_model_sentence  # noqa: PLC0415

        sentences.append(travel_model_sentence(dict(facts)))
    sentences.append(_verdict(facts))
    return sentences
