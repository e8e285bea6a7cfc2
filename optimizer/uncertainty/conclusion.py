"""The written conclusion of the draws, in English and Chinese, from the computed facts only.

Percentages with one decimal, ranks as whole numbers; every number comes from the facts dict
(:func:`optimizer.uncertainty.summary.summarise`), never typed by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["SETTLE_SHARE", "sentences"]

Sentence = dict[str, str]
SETTLE_SHARE = 0.05  # a group below 5 % of the variance "would not change the answer"


def _pct(p: float | None) -> str:
    return "n/a" if p is None else f"{100 * p:.1f}"


def sentences(facts: Mapping[str, Any]) -> list[Sentence]:
    """The conclusion's sentences (``en`` and ``zh``) in reading order."""
    head = facts["probabilities"][facts["headline"]]
    service = facts["service"]
    who = "rural residents" if service["population"] == "rural" else "residents"
    who_zh = "农村居民" if service["population"] == "rural" else "居民"
    n, within, k = facts["draws"], facts["within_percent"], facts["top_k"]
    out: list[Sentence] = [{
        "en": (f"Over {n} draws of what is estimated or assumed, the chosen set "
               f"{facts['chosen']} ({facts['chosen_en']}) is the best of {facts['sets']} sets by "
               f"{who} within {service['minutes']:g} minutes of a sub-centre or hospital in "
               f"{_pct(head['p_best'])} % of draws, within {within:g} % of the best in "
               f"{_pct(head['p_within'])} % and among the best {k} in {_pct(head['p_top_k'])} % "
               f"(with the scenario's own numbers: rank {head['nominal_rank']}, "
               f"{head['nominal_regret_pct']:.2f} % short)."),
        "zh": (f"对估计和假设的输入进行{n}次抽样：按{service['minutes']:g}分钟内可达分中心或医院的"
               f"{who_zh}计，所选方案{facts['chosen']}在{facts['sets']}个方案中为最优的概率为"
               f"{_pct(head['p_best'])}%，与最优相差不超过{within:g}%的概率为"
               f"{_pct(head['p_within'])}%，位列前{k}的概率为{_pct(head['p_top_k'])}%"
               f"（按情景原值：排第{head['nominal_rank']}，差距"
               f"{head['nominal_regret_pct']:.2f}%）。"),
    }, {
        "en": (f"Its rank lies between {head['rank_p05']:.0f} and {head['rank_p95']:.0f} in 90 % "
               f"of draws (median {head['rank_median']:.0f}); its shortfall against the best "
               f"between {head['regret_pct_p05']:.2f} % and {head['regret_pct_p95']:.2f} %."),
        "zh": (f"90%的抽样中其排名在第{head['rank_p05']:.0f}至第{head['rank_p95']:.0f}之间"
               f"（中位数第{head['rank_median']:.0f}），与最优方案的差距在"
               f"{head['regret_pct_p05']:.2f}%至{head['regret_pct_p95']:.2f}%之间。"),
    }]
    top = [t for t in facts["towns_in_best"] if t["share"]][:4]
    if top:
        out.append({
            "en": "Towns most often in the best set: " + ", ".join(
                f"{t['name_zh']} ({_pct(t['share'])} %)" for t in top) + ".",
            "zh": "最常出现在最优方案中的乡镇：" + "、".join(
                f"{t['name_zh']}（{_pct(t['share'])}%）" for t in top) + "。",
        })
    groups = facts["sensitivity"]
    if groups:
        big = [g for g in groups if (g["variance_share"] or 0) >= SETTLE_SHARE][:3]
        small = [g for g in groups if (g["variance_share"] or 0) < SETTLE_SHARE]
        if big:
            moved = "; ".join(f"{g['label']} ({_pct(g['variance_share'])} % of the variance; "
                              f"alone, within {within:g} % in {_pct(g['p_within_alone'])} % "
                              "of draws)" for g in big)
            moved_zh = "；".join(f"{g['label_zh']}（占方差{_pct(g['variance_share'])}%）"
                                 for g in big)
            settle = ", ".join(g["settle"] for g in big)
            settle_zh = "、".join(g["settle_zh"] for g in big)
            not_en = not_zh = ""
            if small:
                names = ", ".join(g["label"] for g in small[:3])
                names_zh = "、".join(g["label_zh"] for g in small[:3])
                not_en = f"; {names} would not (each below {SETTLE_SHARE:.0%} of the variance)"
                not_zh = f"；{names_zh}则不会（各占方差不足{SETTLE_SHARE:.0%}）"
            out.append({
                "en": (f"What moves the conclusion most: {moved}. Data that would settle the "
                       f"question: {settle}{not_en}."),
                "zh": (f"对结论影响最大的输入：{moved_zh}。能够定论的数据：{settle_zh}"
                       f"{not_zh}。"),
            })
    primary = facts["coverage"].get("primary")
    if primary:
        minutes = facts["primary_minutes"]
        out.append({
            "en": (f"Residents outside {minutes:g} minutes of primary care: "
                   f"{primary['nominal']:,.0f} with the scenario's numbers, between "
                   f"{primary['p05']:,.0f} and {primary['p95']:,.0f} in 90 % of draws; "
                   f"{primary['villages_mostly_outside']} villages are outside in more than half "
                   f"the draws and {primary['villages_sometimes_outside']} in some."),
            "zh": (f"{minutes:g}分钟内无法到达基层医疗点的居民：按情景原值{primary['nominal']:,.0f}"
                   f"人，90%的抽样在{primary['p05']:,.0f}至{primary['p95']:,.0f}人之间；"
                   f"{primary['villages_mostly_outside']}个村在过半抽样中位于圈外，"
                   f"{primary['villages_sometimes_outside']}个村在部分抽样中位于圈外。"),
        })
    out.append(verdict(facts))
    return out


def verdict(facts: Mapping[str, Any]) -> Sentence:
    """The closing sentence: how sure the chosen set is close to the best."""
    head = facts["probabilities"][facts["headline"]]
    within, p = facts["within_percent"], head["p_within"]
    if p >= 0.9:
        en, zh = "defensible with confidence", "有较充分的把握成立"
    elif p >= 0.5:
        en, zh = "more likely defensible than not", "成立的可能性大于不成立"
    else:
        en, zh = ("more likely not within the tolerance: the committee should weigh the "
                  "alternatives", "更可能超出容差，委员会应权衡替代方案")
    return {
        "en": (f"Conclusion: {facts['chosen']} is within {within:g} % of the best choice with "
               f"probability {_pct(p)} % (± {_pct(head['p_within_se'])}): {en}."),
        "zh": (f"结论：{facts['chosen']}与最优方案相差不超过{within:g}%的概率为{_pct(p)}%"
               f"（±{_pct(head['p_within_se'])}），{zh}。"),
    }


__all__ += ["verdict"]
