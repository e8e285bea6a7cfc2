"""Write a justification's files into one folder: Markdown, JSON, CSV tables, map.

The job (:mod:`optimizer.jobs.justify`) hands a temporary folder that it swaps in whole only after
every file, report and map succeeded (:mod:`optimizer.results.atomic`). Tables are written with
sorted,
fixed float formats so two runs of the same inputs give identical files.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from optimizer.justify.analysis import Analysis
from optimizer.justify.conclusion import Sentence, fmt
from optimizer.results.files import write_csv

__all__ = ["TABLES", "markdown", "write_outputs"]

TABLES = ("ranking.csv", "marginal.csv", "robustness.csv", "pairings.csv")
_TOP = 10


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _table_md(frame: pd.DataFrame, columns: dict[str, str], kinds: dict[str, str]) -> str:
    head = "| " + " | ".join(columns.values()) + " |"
    rule = "|" + "|".join("---" for _ in columns) + "|"
    lines = [head, rule]
    for row in frame.to_dict("records"):
        cells = []
        for key in columns:
            value = row.get(key)
            if key in kinds and isinstance(value, int | float) and not isinstance(value, bool):
                cells.append(fmt(float(value), kinds[key]))
            elif value is None or (isinstance(value, float) and math.isnan(value)):
                cells.append("")
            else:
                cells.append(str(value))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def markdown(analysis: Analysis, sentences: list[Sentence]) -> str:
    """The committee's document: conclusion in English and Chinese, then the key tables."""
    facts = analysis.facts
    parts = [f"# Sub-centre justification: {facts['chosen']} ({facts['scenario']})", "",
             "## Conclusion", ""]
    parts += [s["en"] for s in sentences]
    parts += ["", "## 结论", ""]
    parts += [s["zh"] for s in sentences]
    ranking = analysis.ranking
    shown = pd.concat([ranking.head(_TOP), ranking[ranking["chosen"]]]).drop_duplicates("set")
    columns = {"towns": "set", "size": "size", "covered": "covered", "covered_rank": "rank",
               "mean_minutes": "mean min", "mean_minutes_rank": "rank",
               "worst_town_minutes": "worst town min", "worst_town_minutes_rank": "rank"}
    kinds = {"covered": "count", "mean_minutes": "minutes", "worst_town_minutes": "minutes"}
    if "objective" in ranking:
        columns |= {"objective": "objective", "objective_rank": "rank"}
        kinds["objective"] = "count"
    parts += ["", f"## Ranking (top {_TOP} and the chosen set; all in ranking.csv)", "",
              _table_md(shown, columns, kinds)]
    parts += ["", "## Marginal value and best swap (marginal.csv)", "",
              _table_md(analysis.marginal,
                        {"site": "site", "criterion": "criterion", "chosen_value": "chosen",
                         "without_value": "without it", "marginal": "marginal",
                         "swap_in": "best swap", "swap_gain": "swap gain"},
                        {"chosen_value": "pct", "without_value": "pct", "marginal": "pct",
                         "swap_gain": "pct"})]
    if len(analysis.pairings):
        parts += ["", "## Consortium pairings (pairings.csv)", "",
                  _table_md(analysis.pairings,
                            {"lead": "lead", "partner": "partner",
                             "share_nearest_lead": "% nearest to lead",
                             "minutes_to_lead": "min to lead", "best_lead": "nearest lead",
                             "minutes_to_best": "min to nearest"},
                            {"share_nearest_lead": "pct", "minutes_to_lead": "minutes",
                             "minutes_to_best": "minutes"})]
    robust = analysis.robustness
    if len(robust):
        summary = robust.groupby("measure", sort=False).agg(
            within=("within", "sum"), points=("within", "size"),
            worst_regret_pct=("regret_pct", "max")).reset_index()
        parts += ["", "## Robustness (robustness.csv)", "",
                  _table_md(summary, {"measure": "measure", "within": "within tolerance",
                                      "points": "grid points",
                                      "worst_regret_pct": "worst regret %"},
                            {"worst_regret_pct": "pct"})]
    model = facts.get("travel_model") or {}
    if model.get("basis") == "road_network":
        parts += ["", "## Travel model: road network against straight lines", "",
                  _table_md(pd.DataFrame(model["comparison"]),
                            {"measure": "measure", "chosen_rank_network": "rank on roads",
                             "chosen_rank_straight_line": "rank on lines",
                             "best_network": "best on roads",
                             "best_straight_line": "best on lines",
                             "rank_correlation": "rank correlation"},
                            {"rank_correlation": "pct"})]
    if "attribution" in model:
        parts += ["", f"Roads: {model['attribution']}"]
    parts += ["", "## Method", "", _method(facts)]
    return "\n".join(parts) + "\n"


def _method(facts: dict[str, Any]) -> str:
    service = facts["service"]
    obj = facts.get("objective")
    lines = [
        f"- Pool: {facts['pool']['towns']} towns ({facts['pool']['source']}); each town is "
        "represented by its health centre, the facility the model would upgrade.",
        f"- Location measures: {service['population']} residents (base year), travel by "
        f"{service['travel_mode']} to the nearest of the chosen sites or a facility of tiers "
        f"{', '.join(service['tiers'])}; threshold {service['minutes']:g} minutes. "
        + ("Every admissible set was ranked." if facts["exhaustive"] else
           f"Only {facts['ranked_sets']} sets were ranked (too many to enumerate)."),
    ]
    if obj:
        years = ", ".join(str(y) for y in obj["years"])
        counted = (f"; each set's sub-centres count from {obj['data_year']}, the data year, "
                   "as in `medalloc run` with that set fixed" if obj["data_year"] is not None
                   else "")
        lines.append(f"- Scenario objective {obj['criterion']} ({obj['unit']}; plan years {years}"
                     f"{counted}): the allocation model re-optimised with each set forced "
                     f"({obj['solved']} solves; "
                     f"{'exhaustive' if obj['exhaustive'] else 'k best by no-good cuts'}); "
                     f"rank {obj['rank_note']}; solve statuses: {', '.join(obj['statuses'])}. "
                     "Its values are those `medalloc run` reports for the stage "
                     f"{obj['criterion']}; the location measures are not: they count one "
                     "year's base-year residents.")
    return "\n".join(lines)


def write_outputs(folder: Path, analysis: Analysis, sentences: list[Sentence],
                  extra: dict[str, Any], draw: Callable[[Path], None] | None) -> None:
    """Write every file into ``folder`` (the temporary folder the job swaps in at the end)."""
    tables = {"ranking.csv": analysis.ranking, "marginal.csv": analysis.marginal,
              "robustness.csv": analysis.robustness, "pairings.csv": analysis.pairings}
    for name, frame in tables.items():
        write_csv(frame, folder / name)
    document = {**extra, **analysis.facts, "conclusion": sentences}
    (folder / "justification.json").write_text(
        json.dumps(_json_safe(document), ensure_ascii=False, indent=2, allow_nan=False)
        + "\n", encoding="utf-8")
    (folder / "justification.md").write_text(markdown(analysis, sentences), encoding="utf-8")
    if draw is not None:
        draw(folder / "justification_map.png")
