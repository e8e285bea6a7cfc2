"""The "How sure" section: the draws' probabilities, from an uncertainty folder's files.

Shows, for the set a justification defends: P(best), P(within x %), P(top k) with their
binomial standard errors and the rank and shortfall intervals per measure
(``probabilities.csv``); how often each town is in the best set (``towns_in_best.csv``); which
uncertain input moves the conclusion (``sensitivity.csv``, the headline measure) and what data
would settle the question (``uncertainty.json``). Every number is read from those files.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from optimizer.report.html import bullets, esc, missing, paragraph, table
from optimizer.report.uncertainty_outputs import UncertaintyOutputs
from optimizer.uncertainty.conclusion import SETTLE_SHARE

__all__ = ["uncertainty_html"]

_GROUPS_SHOWN = 10


def _pct(value: object) -> str:
    return "" if missing(value) else f"{100 * float(str(value)):.1f} %"


def _pm(p: object, se: object) -> str:
    return "" if missing(p) else f"{_pct(p)} ± {100 * float(str(se)):.1f}"


def _interval(low: object, mid: object, high: object, digits: int, unit: str = "") -> str:
    if missing(low) or missing(high):
        return ""
    spec = f".{digits}f"
    return (f"{float(str(low)):{spec}}{unit} – {float(str(high)):{spec}}{unit} "
            f"(median {float(str(mid)):{spec}}{unit})")


def _measure_labels(facts: dict[str, Any]) -> dict[str, str]:
    service = facts.get("service", {})
    who = "rural residents" if service.get("population") == "rural" else "residents"
    minutes = service.get("minutes")
    within = f" within {minutes:g} min" if isinstance(minutes, int | float) else ""
    return {"covered": f"{who}{within} of a sub-centre or hospital",
            "mean_minutes": "mean travel time to the nearest sub-centre or hospital",
            "worst_town_minutes": "worst-served town's mean travel time"}


def _probabilities(frame: pd.DataFrame, facts: dict[str, Any]) -> str:
    labels = _measure_labels(facts)
    head = str(facts.get("headline", "covered"))
    rows = []
    for row in frame.to_dict("records"):
        measure = str(row["measure"])
        rows.append({
            "measure": labels.get(measure, measure) + (" (headline)" if measure == head else ""),
            "P(best)": _pm(row["p_best"], row["p_best_se"]),
            f"P(within {float(row['within_percent']):g} %)": _pm(row["p_within"],
                                                                 row["p_within_se"]),
            f"P(top {int(row['top_k'])})": _pm(row["p_top_k"], row["p_top_k_se"]),
            "rank, 90 % of draws": _interval(row["rank_p05"], row["rank_median"],
                                             row["rank_p95"], 0),
            "shortfall, 90 % of draws": _interval(row["regret_pct_p05"],
                                                  row["regret_pct_median"],
                                                  row["regret_pct_p95"], 2, " %"),
            "scenario's own numbers": (f"rank {int(row['nominal_rank'])}, "
                                       f"{float(row['nominal_regret_pct']):.2f} % short"),
        })
    shown = pd.DataFrame(rows)
    return table(shown, numeric=[c for c in shown.columns if c.startswith("P(")])


def _towns(frame: pd.DataFrame, facts: dict[str, Any]) -> str:
    head = f"share_in_best_{facts.get('headline', 'covered')}"
    shares = [c for c in frame.columns if c.startswith("share_in_best_")]
    if head not in frame:
        return paragraph("towns_in_best.csv has no column for the headline measure.", "note")
    labels = _measure_labels(facts)
    ordered = frame.sort_values([head, "town_code"], ascending=[False, True], kind="stable")
    shown = pd.DataFrame({"town": ordered["name_zh"].astype(str),
                          "chosen": ["yes" if str(c).lower() == "true" else ""
                                     for c in ordered["chosen"]]})
    for column in [head, *[c for c in shares if c != head]]:
        measure = column.removeprefix("share_in_best_")
        shown[f"in the best set by {labels.get(measure, measure)}"] = [
            _pct(v) for v in ordered[column]]
    return table(shown, numeric=list(shown.columns[2:]))


def _inputs(frame: pd.DataFrame, facts: dict[str, Any]) -> tuple[str, str]:
    """The table of input groups and the sentence on the data that would settle it."""
    head = str(facts.get("headline", "covered"))
    settle = {str(g.get("group")): g for g in facts.get("sensitivity", [])
              if isinstance(g, dict)}
    rows = frame[frame["measure"].astype(str).eq(head)].sort_values(
        ["variance_share", "group"], ascending=[False, True], kind="stable")
    if rows.empty:
        return (paragraph("No draws with one input group at a time were made "
                          "(sensitivity_draws = 0), so no input is singled out.", "note"), "")
    moving = rows[rows["variance_share"] > 0]
    shown = moving.head(_GROUPS_SHOWN)
    within = facts.get("within_percent", 5)
    out = pd.DataFrame({
        "input": shown["label"].astype(str),
        "share of the variance": [_pct(v) for v in shown["variance_share"]],
        f"P(within {within:g} %) with it alone": [_pct(v) for v in shown["p_within_alone"]],
        "P(best) with it alone": [_pct(v) for v in shown["p_best_alone"]],
        "data that would settle it": [str(settle.get(str(g), {}).get("settle", ""))
                                      for g in shown["group"]],
    })
    html = table(out, numeric=list(out.columns[1:4]))
    rest = len(rows) - len(shown)
    if rest:
        html += paragraph(f"{rest} more input groups move the chosen set's shortfall by less "
                          "(or not at all); all are in sensitivity.csv.", "note")
    big = rows[rows["variance_share"] >= SETTLE_SHARE]
    small = rows[rows["variance_share"] < SETTLE_SHARE]
    items = [f"Would settle it: {esc(settle.get(str(g), {}).get('settle', label))} "
             f"({_pct(s)} of the variance)"
             for g, label, s in zip(big["group"], big["label"], big["variance_share"],
                                    strict=True)]
    if len(small):
        names = ", ".join(str(v) for v in small["label"].head(6))
        more = f" and {len(small) - 6} more" if len(small) > 6 else ""
        items.append(esc(f"Would not: {names}{more} (each below {SETTLE_SHARE:.0%} of the "
                         "variance)"))
    draws = rows["draws"].iloc[0]
    lead = paragraph(f"Each input group made uncertain alone over the first {int(draws)} draws; "
                     "its share is the variance of the chosen set's shortfall it causes alone "
                     "over the sum across groups (interactions are not apportioned).", "note")
    return lead + html, bullets(items, raw=True)


def uncertainty_html(found: UncertaintyOutputs | None, chosen_codes: list[str] | None = None
                     ) -> str:
    """The section's HTML; a note when the files are missing or judge another set.

    Parameters
    ----------
    found : UncertaintyOutputs or None
        The folder's files (None: the justification was made without draws).
    chosen_codes : list of str, optional
        The justification's chosen town codes; draws of another set are not shown.
    """
    if found is None:
        return paragraph("This justification was made without uncertainty draws: run "
                         "`medalloc justify ... --draws N` to state it as probabilities.",
                         "note")
    facts, probabilities = found.facts, found.probabilities
    towns, sensitivity = found.towns_in_best, found.sensitivity
    if facts is None or probabilities is None or towns is None or sensitivity is None:
        return paragraph(f"The uncertainty files of this justification are missing or "
                         f"unreadable in {found.folder.name}/ ({', '.join(found.missing)}): "
                         "rerun `medalloc justify ... --draws N`.", "note")
    if chosen_codes is not None and sorted(facts.get("chosen_codes", [])) != sorted(
            chosen_codes):
        return paragraph(f"The draws in {found.folder.name}/ judge {facts.get('chosen')}, not "
                         "this justification's set: rerun `medalloc justify ... --draws N`.",
                         "note")
    n, sets = facts.get("draws"), facts.get("sets")
    lost = facts.get("missing") or []
    parts = [paragraph(
        f"{n} seeded draws (seed {facts.get('seed')}) of what the data marks estimated and what "
        f"the scenario assumes; each recomputes travel and coverage and reranks all {sets} "
        f"admissible sets. Files: {found.folder.name}/probabilities.csv, towns_in_best.csv, "
        "sensitivity.csv, uncertainty.json."
        + (f" {len(lost)} draws were lost and are not counted." if lost else ""))]
    verdict = (facts.get("conclusion") or [{}])[-1]
    if verdict:
        parts.append(f'<div class="box"><p>{esc(verdict.get("en", ""))}</p>'
                     f'<p>{esc(verdict.get("zh", ""))}</p></div>')
    parts += ["<h3>How likely the chosen set is the best, close to it, among the best "
              "(probabilities.csv)</h3>", _probabilities(probabilities, facts)]
    parts += ["<h3>Towns in the best set (towns_in_best.csv)</h3>",
              _towns(towns, facts)]
    table_html, settle_html = _inputs(sensitivity, facts)
    parts += ["<h3>Which input moves the conclusion (sensitivity.csv)</h3>", table_html]
    if settle_html:
        parts += ["<h3>What data would settle the question</h3>", settle_html]
    return "\n".join(parts)
