"""The sections of a coverage job's report: who is outside each threshold, by town and village."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from optimizer.report.figures import Figure
from optimizer.report.html import bullets, esc, figure, paragraph, section, table
from optimizer.report.i18n import group_name, share_column_label, text
from optimizer.report.outputs import CoverageOutputs
from optimizer.report.run_sections import number, pct, whole

__all__ = ["gaps_section", "outside_section"]


def outside_section(cov: CoverageOutputs, lang: str = "en") -> str:
    """Residents and villages outside each tier group's thresholds (summary.json)."""
    summary = cov.summary
    items = [text("out.travel", lang, mode=group_name(str(summary.get("mode", "")), lang),
                  residents=whole(summary.get("total_residents")),
                  villages=whole(summary.get("total_villages")))]
    care, threshold, residents, share, villages = (text(f"col.{k}", lang) for k in (
        "care", "threshold", "residents_outside", "share_outside", "villages_outside"))
    rows = [
        {care: group_name(str(o.get("group")), lang), threshold: o.get("threshold_minutes"),
         residents: o.get("residents"), share: o.get("share_residents"),
         villages: o.get("villages")}
        for o in summary.get("outside", []) or [] if isinstance(o, dict)
    ]
    parts = [bullets(items)]
    if rows:
        parts.append(table(pd.DataFrame(rows),
                           {threshold: number, residents: whole, share: pct, villages: whole},
                           numeric=(threshold, residents, share, villages)))
    parts += _travel_model(summary)
    if cov.inequality is not None and not cov.inequality.empty:
        parts.append(f"<h3>{esc(text('out.inequality', lang))}</h3>")
        parts.append(table(cov.inequality, {"gini": number, "decile_ratio": number},
                           numeric=("gini", "decile_ratio")))
        parts.append(paragraph(text("out.gini", lang), "note"))
    return section("outside", text("toc.outside", lang), parts)


def _travel_model(summary: dict[str, object]) -> list[str]:
    """What the figures rest on: both travel models side by side, or straight lines named."""
    model = summary.get("travel_model")
    if not isinstance(model, dict):
        return []
    parts = []
    rows = model.get("comparison")
    if isinstance(rows, list) and rows:
        frame = pd.DataFrame(rows).rename(columns={
            "group": "care", "threshold_minutes": "threshold (min)",
            "share_network": "outside on roads", "share_straight_line": "outside on lines",
            "change_points": "change (points)",
            "straight_line_gaps_confirmed": "line gaps also road gaps"})
        parts.append("<h3>Road network against straight lines</h3>")
        parts.append(table(frame, {"threshold (min)": number, "outside on roads": pct,
                                   "outside on lines": pct, "change (points)": number,
                                   "line gaps also road gaps": pct},
                           numeric=("threshold (min)", "outside on roads", "outside on lines",
                                    "change (points)", "line gaps also road gaps")))
    sentence = model.get("sentence")
    if isinstance(sentence, dict) and sentence.get("en"):
        parts.append(paragraph(str(sentence["en"])))
    if model.get("attribution"):
        parts.append(paragraph(f"Roads: {model['attribution']}", "note"))
    return parts


def gaps_section(cov: CoverageOutputs, figures: Sequence[Figure],
                 town_names: dict[str, str], lang: str = "en") -> str:
    """Maps, the towns table and the largest uncovered villages per group."""
    parts = [figure(f.file, f.caption, f.title) for f in figures if f.file.startswith("gaps_")]
    shares = [c for c in cov.towns.columns if c.startswith("covered_share_")]
    towns = cov.towns[["town_code", "population", *shares]].copy()
    town, population = text("col.town", lang), text("col.population", lang)
    towns.insert(0, town, towns["town_code"].map(lambda c: town_names.get(c, c)))
    towns = towns.drop(columns=["town_code"]).rename(
        columns={"population": population} | {c: share_column_label(c, lang) for c in shares})
    numeric = [c for c in towns.columns if c != town]
    parts.append(f"<h3>{text('gaps.towns', lang)}</h3>")  # trusted text, unescaped as before
    parts.append(table(towns, {c: (whole if c == population else pct) for c in numeric},
                       numeric=numeric))
    flags = [c for c in cov.coverage.columns if c.startswith("covered_")]
    for flag in flags:
        outside = cov.coverage[~cov.coverage[flag].astype(bool)]
        if outside.empty:
            continue
        _, group, minutes = flag.split("_", 2)
        minutes_col = f"nearest_{group}_minutes"
        outside = outside.sort_values(["population", "demand_id"], ascending=[False, True])
        residents, nearest = text("col.residents", lang), text("col.minutes_nearest", lang)
        frame = pd.DataFrame({
            text("col.village", lang): outside["name_zh"],
            town: outside["town_code"].map(lambda c: town_names.get(c, c)),
            residents: outside["population"],
            nearest: outside.get(minutes_col),
        })
        heading = text("gaps.largest", lang, minutes=minutes, group=group_name(group, lang),
                       n=len(outside))
        parts.append(f"<h3>{esc(heading)}</h3>")
        parts.append(table(frame.head(15), {residents: whole, nearest: number},
                           numeric=(residents, nearest)))
    return section("gaps", text("toc.gaps", lang), parts)

