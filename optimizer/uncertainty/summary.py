"""Turn the draw records into the tables and facts a committee reads.

Probabilities are shares of draws, each with its binomial standard error
``sqrt(p (1 - p) / n)``. Intervals are the 5th and 95th percentiles of the draws (``numpy``'s
default linear interpolation). Which input moves the conclusion: for each input group, the
draws with only that group uncertain (the same values as in the full draw,
:func:`optimizer.uncertainty.draw.mix`) give the variance of the chosen set's regret (%) with
that group alone; its share is that variance over the sum across groups (first-order,
one-group-at-a-time shares: interactions are not apportioned). Every table is sorted by ids,
so the same draws give byte-identical files.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from optimizer.justify.measures import MEASURES, SENSES
from optimizer.uncertainty.base import DrawBase

__all__ = ["HEADLINE", "Tables", "group_label", "summarise"]

HEADLINE = "covered"
Tables = dict[str, pd.DataFrame]


def _q(values: Sequence[float] | np.ndarray | pd.Series, q: float) -> float:
    array = np.asarray([v for v in values if v is not None], dtype=float)
    return float(np.quantile(array, q)) if len(array) else math.nan


def _se(p: float, n: int) -> float:
    return math.sqrt(p * (1 - p) / n) if n else math.nan


def group_label(base: DrawBase, group: str) -> tuple[str, str, str, str]:
    """(English label, Chinese label, data that would settle it, in Chinese) of a group."""
    names = dict(zip(base.towns, base.town_names, strict=True))
    if group.startswith("positions:"):
        what = group.removeprefix("positions:")
        if what == "hospitals":
            return ("hospital positions", "医院位置", "geocoded hospital positions",
                    "医院的真实坐标")
        if what == "health_centres":
            return ("health-centre positions", "卫生院位置", "geocoded health-centre positions",
                    "卫生院的真实坐标")
        name = names.get(what, what)
        return (f"village positions in {name}", f"{name}的村庄位置",
                f"real village positions in {name}", f"{name}的真实村庄位置")
    labels = {
        "detour_factor": ("the detour factor", "绕行系数",
                          "road distances (a road network or a calibrated detour factor)",
                          "实际道路距离（路网或校准的绕行系数）"),
        "speed_factor": ("travel speeds", "出行速度", "measured travel speeds", "实测出行速度"),
        "threshold_minutes": ("the threshold", "时间阈值", "the threshold the plan means",
                              "规划所指的时间阈值"),
        "travel_model": ("the travel model", "出行模型", "a road network", "路网"),
        "town_growth": ("growth by town", "各乡镇人口增长", "town population projections",
                        "分乡镇人口预测"),
        "town_populations": ("town populations", "乡镇人口", "town populations (a census)",
                             "乡镇人口（普查）"),
        "village_populations": ("village populations", "村人口", "village populations",
                                "村人口"),
    }
    return labels.get(group, (group, group, group, group))


def _draws_table(base: DrawBase, records: list[dict[str, Any]]) -> pd.DataFrame:
    names = dict(zip(base.towns, base.town_names, strict=True))
    rows = []
    for rec in records:
        row: dict[str, Any] = {"draw": rec["draw"], **rec["inputs"]}
        for name in MEASURES:
            found = rec["measures"][name]
            row.update({f"{name}_chosen": found["chosen"], f"{name}_best": found["best"],
                        f"{name}_regret_pct": found["regret_pct"], f"{name}_rank": found["rank"],
                        f"{name}_best_set": "、".join(names[c] for c in found["best_set"])})
        for kind in ("primary", "referral"):
            if f"town_outside_{kind}" in rec:
                row[f"outside_{kind}"] = float(sum(rec[f"town_outside_{kind}"]))
        if "model" in rec:
            row.update({f"model_{k}": v for k, v in sorted(rec["model"].items())
                        if not isinstance(v, list | dict)})
        rows.append(row)
    return pd.DataFrame(rows).sort_values("draw", kind="stable").reset_index(drop=True)


def _probabilities(draws: pd.DataFrame, nominal: dict[str, Any], within: float, top_k: int
                   ) -> pd.DataFrame:
    rows = []
    n = len(draws)
    for name in MEASURES:
        rank = draws[f"{name}_rank"].to_numpy(dtype=float)
        regret = draws[f"{name}_regret_pct"].to_numpy(dtype=float)
        p_best, p_within = float((rank == 1).mean()), float((regret <= within + 1e-9).mean())
        p_top = float((rank <= top_k).mean())
        rows.append({
            "measure": name, "sense": SENSES[name], "draws": n,
            "nominal_rank": nominal[name]["rank"],
            "nominal_regret_pct": nominal[name]["regret_pct"],
            "p_best": p_best, "p_best_se": _se(p_best, n),
            "within_percent": within, "p_within": p_within, "p_within_se": _se(p_within, n),
            "top_k": top_k, "p_top_k": p_top, "p_top_k_se": _se(p_top, n),
            "rank_p05": _q(rank, 0.05), "rank_median": _q(rank, 0.5), "rank_p95": _q(rank, 0.95),
            "regret_pct_p05": _q(regret, 0.05), "regret_pct_median": _q(regret, 0.5),
            "regret_pct_p95": _q(regret, 0.95), "regret_pct_mean": float(np.mean(regret)),
        })
    return pd.DataFrame(rows)


def _ranks(draws: pd.DataFrame) -> pd.DataFrame:
    parts = []
    for name in MEASURES:
        counts = draws[f"{name}_rank"].value_counts().sort_index()
        parts.append(pd.DataFrame({"measure": name, "rank": counts.index.astype(int),
                                   "draws": counts.to_numpy(), "share": counts.to_numpy()
                                   / len(draws)}))
    return pd.concat(parts, ignore_index=True)


def _towns_in_best(base: DrawBase, records: list[dict[str, Any]]) -> pd.DataFrame:
    pool = base.pool
    frame = pd.DataFrame({"town_code": list(pool.town_codes), "name_zh": list(pool.names_zh),
                          "name_en": list(pool.names_en),
                          "chosen": [i in pool.chosen for i in range(len(pool.town_codes))]})
    for name in MEASURES:
        counts = dict.fromkeys(pool.town_codes, 0)
        for rec in records:
            for code in rec["measures"][name]["best_set"]:
                counts[code] += 1
        frame[f"share_in_best_{name}"] = [counts[c] / len(records) for c in pool.town_codes]
    return frame


def _best_sets(draws: pd.DataFrame) -> pd.DataFrame:
    parts = []
    for name in MEASURES:
        counts = draws[f"{name}_best_set"].value_counts()
        frame = pd.DataFrame({"measure": name, "best_set": counts.index,
                              "draws": counts.to_numpy(), "share": counts.to_numpy()
                              / len(draws)})
        parts.append(frame.sort_values(["draws", "best_set"], ascending=[False, True],
                                       kind="stable"))
    return pd.concat(parts, ignore_index=True)


def _gaps(base: DrawBase, records: list[dict[str, Any]], nominal: dict[str, Any]
          ) -> tuple[pd.DataFrame, pd.DataFrame]:
    towns = pd.DataFrame({"town_code": list(base.towns), "name_zh": list(base.town_names)})
    points = pd.DataFrame({"demand_id": list(base.demand_ids),
                           "town_code": list(base.town_codes),
                           "population": base.population, "in_scope": base.in_scope})
    for kind, threshold in (("primary", base.primary_minutes), ("referral", None)):
        key = f"town_outside_{kind}"
        if key not in nominal:
            continue
        stack = np.asarray([rec[key] for rec in records], dtype=float)
        towns[f"outside_{kind}_nominal"] = np.asarray(nominal[key], dtype=float)
        for q, label in ((0.05, "p05"), (0.5, "median"), (0.95, "p95")):
            towns[f"outside_{kind}_{label}"] = np.quantile(stack, q, axis=0)
        minutes = np.asarray([[np.inf if v is None else v for v in rec[f"{kind}_minutes"]]
                              for rec in records], dtype=float)
        limits = (np.full(len(records), threshold) if threshold is not None else
                  np.asarray([rec["inputs"]["threshold_minutes"] for rec in records]))
        outside = minutes > limits[:, None] + 1e-9
        if kind == "referral":
            outside &= base.in_scope[None, :]
        points[f"share_outside_{kind}"] = outside.mean(axis=0)
        with np.errstate(invalid="ignore"):
            for q, label in ((0.05, "p05"), (0.5, "median"), (0.95, "p95")):
                points[f"{kind}_minutes_{label}"] = np.quantile(minutes, q, axis=0)
    return towns, points


def _sensitivity(base: DrawBase, records: list[dict[str, Any]], within: float) -> pd.DataFrame:
    with_groups = [rec for rec in records if "groups" in rec]
    if not with_groups:
        return pd.DataFrame(columns=["measure", "group", "label", "draws", "regret_pct_var",
                                     "variance_share", "p_within_alone", "p_best_alone"])
    names = list(with_groups[0]["groups"])
    rows = []
    for measure in MEASURES:
        variances = {}
        for group in names:
            values = np.asarray([rec["groups"][group][measure][0] for rec in with_groups],
                                dtype=float)
            ranks = np.asarray([rec["groups"][group][measure][1] for rec in with_groups])
            variances[group] = float(np.var(values))
            rows.append({"measure": measure, "group": group,
                         "label": group_label(base, group)[0], "draws": len(with_groups),
                         "regret_pct_var": variances[group],
                         "p_within_alone": float((values <= within + 1e-9).mean()),
                         "p_best_alone": float((ranks == 1).mean())})
        total = sum(variances.values())
        for row in rows[-len(names):]:
            row["variance_share"] = row["regret_pct_var"] / total if total > 0 else 0.0
    frame = pd.DataFrame(rows)
    columns = ["measure", "group", "label", "draws", "regret_pct_var", "variance_share",
               "p_within_alone", "p_best_alone"]
    return frame[columns]


def summarise(base: DrawBase, records: list[dict[str, Any]], nominal: dict[str, Any],
              *, within: float, top_k: int) -> tuple[Tables, dict[str, Any]]:
    """The tables (name -> frame) and the JSON-ready facts of a set of draws."""
    records = sorted(records, key=lambda r: int(r["draw"]))
    draws = _draws_table(base, records)
    probabilities = _probabilities(draws, nominal["measures"], within, top_k)
    town_gaps, village_gaps = _gaps(base, records, nominal)
    sensitivity = _sensitivity(base, records, within)
    tables: Tables = {
        "draws.csv": draws, "probabilities.csv": probabilities, "ranks.csv": _ranks(draws),
        "towns_in_best.csv": _towns_in_best(base, records), "best_sets.csv": _best_sets(draws),
        "town_gaps.csv": town_gaps, "village_gaps.csv": village_gaps,
        "sensitivity.csv": sensitivity,
    }
    facts = _facts(base, tables, nominal, within, top_k)
    return tables, facts


def _r(value: Any, digits: int = 6) -> Any:
    if isinstance(value, float | np.floating):
        return round(float(value), digits) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def _facts(base: DrawBase, tables: Tables, nominal: dict[str, Any], within: float,
           top_k: int) -> dict[str, Any]:
    pool = base.pool
    probs = {row["measure"]: {k: _r(v) for k, v in row.items()}
             for row in tables["probabilities.csv"].to_dict("records")}
    towns = tables["towns_in_best.csv"].sort_values(
        [f"share_in_best_{HEADLINE}", "town_code"], ascending=[False, True], kind="stable")
    sens = tables["sensitivity.csv"]
    head = sens[sens["measure"].eq(HEADLINE)].sort_values(
        ["variance_share", "group"], ascending=[False, True], kind="stable")
    groups = [{"group": g, "label": group_label(base, g)[0], "label_zh": group_label(base, g)[1],
               "settle": group_label(base, g)[2], "settle_zh": group_label(base, g)[3],
               "variance_share": _r(s), "p_within_alone": _r(p)}
              for g, s, p in zip(head["group"], head["variance_share"], head["p_within_alone"],
                                 strict=True)]
    gaps = tables["town_gaps.csv"]
    coverage: dict[str, Any] = {}
    for kind in ("primary", "referral"):
        if f"outside_{kind}_nominal" in gaps:
            village = tables["village_gaps.csv"][f"share_outside_{kind}"]
            totals = tables["draws.csv"][f"outside_{kind}"]
            coverage[kind] = {
                "nominal": _r(float(gaps[f"outside_{kind}_nominal"].sum())),
                "p05": _r(_q(totals, 0.05)), "median": _r(_q(totals, 0.5)),
                "p95": _r(_q(totals, 0.95)),
                "villages_mostly_outside": int((village > 0.5).sum()),
                "villages_sometimes_outside": int(((village > 0) & (village <= 0.5)).sum()),
            }
    return {
        "chosen": "、".join(pool.names_zh[p] for p in pool.chosen),
        "chosen_en": ", ".join(pool.names_en[p] for p in pool.chosen),
        "chosen_codes": [pool.town_codes[p] for p in pool.chosen],
        "sets": len(base.sets), "draws": len(tables["draws.csv"]),
        "headline": HEADLINE, "within_percent": within, "top_k": top_k,
        "service": {"name": base.spec.name, "minutes": base.spec.minutes,
                    "population": "rural" if base.spec.rural_only else "all"},
        "primary_minutes": base.primary_minutes,
        "probabilities": probs,
        "towns_in_best": [{"town_code": c, "name_zh": z, "share": _r(s)} for c, z, s in zip(
            towns["town_code"], towns["name_zh"], towns[f"share_in_best_{HEADLINE}"],
            strict=True)],
        "sensitivity": groups,
        "coverage": coverage,
    }
