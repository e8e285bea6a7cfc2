"""The run report's sections: overview, indicators, plan by town and tier, coverage, sites."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from optimizer.report.figures import Figure, service_label
from optimizer.report.html import bullets, esc, figure, missing, paragraph, section, table
from optimizer.report.outputs import CoverageOutputs, RunOutputs, facility_changes

__all__ = [
    "coverage_section",
    "indicators_section",
    "overview_section",
    "plan_section",
    "sub_centres_section",
    "why_here_section",
]

_TIER_ORDER = ("tertiary_hospital", "secondary_hospital", "specialist_hospital", "sub_centre",
               "township_health_centre", "community_health_centre", "central_village_clinic",
               "village_clinic")


def pct(value: object) -> str:
    """``0.998105`` -> ``"99.8 %"``; blank for missing."""
    return "" if missing(value) else f"{float(str(value)) * 100:.1f} %"


def whole(value: object) -> str:
    """A whole number with thousands separators; blank for missing."""
    return "" if missing(value) else f"{round(float(str(value))):,}"


def signed(value: object) -> str:
    """A signed whole number (``+12``, ``-3``, ``0``)."""
    return "" if missing(value) else f"{round(float(str(value))):+,}"


def number(value: object) -> str:
    """Up to three decimals, trailing zeros dropped; ``inf`` as written."""
    if missing(value):
        return ""
    number_ = float(str(value))
    return f"{number_:,.3f}".rstrip("0").rstrip(".") if abs(number_) != float("inf") else str(
        number_)


def years_of(run: RunOutputs) -> tuple[int, int]:
    """First and last plan year of ``towns.csv``."""
    years = sorted(int(y) for y in run.towns["year"].unique())
    return years[0], years[-1]


def overview_section(run: RunOutputs, figures: Sequence[Figure]) -> str:
    """The scenario in words and the answers in brief."""
    summary = run.summary
    first, last = years_of(run)
    status = str(summary.get("status", "unknown"))
    gap = summary.get("gap")
    proof = ("proven optimal" if status == "optimal" else
             f"{status}, best solution found within a relative gap of {number(gap)}")
    population: dict[str, Any] = summary.get("population", {}) or {}
    pop_text = ", ".join(f"{whole(v)} in {y}" for y, v in sorted(population.items()))
    met = int(run.indicators["met"].sum())
    total = len(run.indicators)
    items = [
        f"Scenario {summary.get('scenario', '')}: {summary.get('description', '')}",
        f"Plan years {first}–{last}; residents {pop_text}." if pop_text else
        f"Plan years {first}–{last}.",
        f"Solution status: {proof}.",
        f"{met} of {total} indicator rows are met"
        + ("." if met == total else f"; {total - met} are not (listed in red below)."),
    ]
    for key, shares in sorted((summary.get("coverage_shares") or {}).items()):
        if isinstance(shares, dict) and shares:
            ordered = sorted(shares.items())
            items.append(f"Residents within {key}: {pct(ordered[0][1])} in {ordered[0][0]}, "
                         f"{pct(ordered[-1][1])} in {ordered[-1][0]}.")
    subs = [s for s in summary.get("sub_centres", []) or [] if isinstance(s, dict)]
    if subs:
        items.append("Sub-centres: " + "; ".join(_sub_centre_words(s) for s in subs) + ".")
    clinics = summary.get("central_village_clinics") or {}
    if isinstance(clinics, dict) and clinics:
        year = max(clinics, key=str)
        items.append(f"Central village clinics in {year}: {whole(clinics[year].get('count'))}.")
    cost = summary.get("cost")
    if isinstance(cost, dict) and cost.get("value") is not None:
        unit = cost.get("unit_words") or cost.get("unit", "")
        items.append(f"Cost of the additions over the plan years: {number(cost['value'])} "
                     f"{unit} (one-off costs of upgrades, clinics and new beds, plus the yearly "
                     "pay of added posts over the years they are filled; the [costs] "
                     "assumptions).")
    beds = _bed_moves(run)
    if beds:
        items.append(beds)
    return section("overview", "The plan in brief", [bullets(items)])


def indicators_section(run: RunOutputs, figures: Sequence[Figure]) -> str:
    """Plan targets against what the plan achieves: the final year first, then earlier years."""
    frame = run.indicators.copy()
    years = pd.to_numeric(frame["year"], errors="coerce")
    last = years.max()
    frame["year"] = years.map(lambda y: "" if pd.isna(y) else str(int(y)))
    frame["met"] = frame["met"].map(
        lambda m: '<span class="met">met</span>' if m else '<span class="unmet">NOT met</span>')
    columns = [c for c in ("indicator", "year", "kind", "target", "achieved", "met",
                           "shortfall_pct", "note") if c in frame.columns]
    if "achieved" in frame:
        frame["achieved"] = pd.to_numeric(frame["achieved"], errors="coerce")

    def render(rows: pd.DataFrame) -> str:
        return table(rows[columns], {"target": number, "achieved": _number_or_na,
                                     "shortfall_pct": _percent_gap},
                     numeric=("target", "achieved", "shortfall_pct"), raw=("met",),
                     row_class=lambda row: "unmet" if "NOT" in str(row["met"]) else "")

    final = frame[(years == last) | years.isna()]
    earlier = frame[(years < last)]
    parts = [
        paragraph("Every policy number of the scenario with the value the plan reaches "
                  "(indicators.csv). 'cap' rows must stay at or below the target, 'floor' rows "
                  "at or above it. 'binding' targets (约束性) are hard; 'expected' ones (预期性) "
                  "may fall short, and the gap is shown in % of the target. A target counts as "
                  "met when the achieved figure is within one part in a billion of it; the "
                  "data's own year is compared at the precision the plan states."),
        f"<h3>{esc('' if pd.isna(last) else int(last))}</h3>", render(final),
    ]
    if not earlier.empty:
        parts += ["<h3>Earlier plan years</h3>", render(earlier)]
    maps = [figure(f.file, f.caption, f.title) for f in figures if f.file.startswith("per_")]
    if maps:
        parts.append("<h3>Each town against the district targets</h3>")
        parts.append(f'<div class="figs">{"".join(maps)}</div>')
    return section("indicators", "Plan targets and what the plan achieves", parts)


def plan_section(run: RunOutputs, figures: Sequence[Figure], town_names: dict[str, str]) -> str:
    """The allocation summarised by town and by tier, and the facilities that change."""
    first, last = years_of(run)
    resources = sorted(set(run.plan["resource"]))
    changes = {r: facility_changes(run.plan, r) for r in resources}
    by_town = _grouped(changes, "town_code")
    by_town.insert(0, "town", by_town.index.map(lambda c: town_names.get(c, c)))
    by_tier = _grouped(changes, "tier")
    by_tier = by_tier.reindex([t for t in _TIER_ORDER if t in by_tier.index]
                              + [t for t in by_tier.index if t not in _TIER_ORDER])
    by_tier.insert(0, "tier (after the plan)", by_tier.index)
    columns = list(by_town.columns[1:])
    parts = [
        paragraph(f"Each cell reads 'level before the plan → level in {last} (change)', "
                  f"before meaning the data's levels entering {first} (plan.csv)."),
        "<h3>By town</h3>",
        table(by_town.reset_index(drop=True), numeric=columns),
        "<h3>By tier</h3>",
        table(by_tier.reset_index(drop=True), numeric=columns),
    ]
    parts += [figure(f.file, f.caption, f.title) for f in figures
              if f.file.startswith("changes_")]
    moved = []
    for resource in resources:
        frame = changes[resource]
        frame = frame[(frame["change"] != 0) | (frame["tier"] != frame["tier_before"])]
        if frame.empty:
            continue
        frame = frame.assign(resource=resource, town=frame["town_code"].map(
            lambda c: town_names.get(c, c)))
        moved.append(frame)
    if moved:
        every = pd.concat(moved, ignore_index=True)
        every = every[every["tier"] != "central_village_clinic"]
        every = every.sort_values(["resource", "change", "facility_id"])
        parts.append("<h3>Facilities whose levels or tier change (central village clinics "
                     "are listed in the sub-centres section)</h3>")
        shown = every[["resource", "name_zh", "town", "tier_before", "tier", "before", "after",
                       "change"]].rename(columns={"name_zh": "facility",
                                                  "tier_before": "tier before",
                                                  "tier": f"tier in {last}",
                                                  "after": f"in {last}"})
        parts.append(table(shown, {"before": whole, f"in {last}": whole, "change": signed},
                           numeric=("before", f"in {last}", "change")))
    return section("plan", "The allocation plan: what moves where", parts)


def coverage_section(run: RunOutputs, figures: Sequence[Figure], town_names: dict[str, str],
                     before: CoverageOutputs | None) -> str:
    """Coverage per town before and after the plan; who is still outside."""
    first, last = years_of(run)
    parts: list[str] = []
    towns = run.towns
    for column in sorted(c for c in towns.columns if c.startswith("covered_share_")):
        service = column.removeprefix("covered_share_")
        label = service_label(run.summary, service)
        rows = []
        for code, group in towns.groupby("town_code", sort=True):
            at = group.set_index("year")
            share_first = float(str(at.loc[first, column]))
            share_last = float(str(at.loc[last, column]))
            if math.isnan(share_first) and math.isnan(share_last):
                continue
            pop_first = float(str(at.loc[first, "population"]))
            pop_last = float(str(at.loc[last, "population"]))
            rows.append({
                "town": town_names.get(str(code), str(code)),
                f"residents {last}": pop_last,
                f"outside {first}": 1 - share_first,
                f"outside {last}": 1 - share_last,
                f"residents outside {first}": pop_first * (1 - share_first),
                f"residents outside {last}": pop_last * (1 - share_last),
            })
        if not rows:
            continue
        frame = pd.DataFrame(rows).sort_values(
            [f"residents outside {last}", f"residents outside {first}", "town"],
            ascending=[False, False, True])
        still = frame[frame[f"residents outside {last}"] >= 0.5]
        total_first = frame[f"residents outside {first}"].sum()
        total_last = frame[f"residents outside {last}"].sum()
        parts.append(f"<h3>{esc(label)}</h3>")
        if still.empty:
            words = f"After the plan nobody in scope is outside {label}."
        else:
            names = ", ".join(
                f"{town} ({whole(value)})" for town, value in
                zip(still["town"].head(8), still[f"residents outside {last}"].head(8),
                    strict=True))
            words = (f"Residents outside {label}: about {whole(total_first)} in {first}, "
                     f"about {whole(total_last)} in {last}. Still outside in {last}: {names}"
                     + (" and others." if len(still) > 8 else "."))
        parts.append(f'<div class="box">{esc(words)}</div>')
        parts += [figure(f.file, f.caption, f.title) for f in figures
                  if f.file == f"gaps_{service}.png"]
        fmt: dict[str, Callable[[Any], str]] = {
            c: (pct if c.startswith("outside") else whole) for c in frame.columns if c != "town"}
        parts.append(table(frame, fmt, numeric=[c for c in frame.columns if c != "town"]))
    parts.append(paragraph(
        "Town shares come from towns.csv; residents outside are the town's residents times its "
        "share outside (rounded). Which villages remain outside after the plan is not in the "
        "run's files; the village points on the 'before' maps come from the coverage job of "
        "the same data when the run folder holds one (coverage/).", "note"))
    if before is not None:
        flags = sorted(c for c in before.coverage.columns if c.startswith("covered_primary_"))
        if flags:
            outside = before.coverage[~before.coverage[flags[0]].astype(bool)]
            outside = outside.sort_values(["population", "demand_id"], ascending=[False, True])
            outside = outside.assign(town=outside["town_code"].map(
                lambda c: town_names.get(c, c)))
            parts.append(f"<h3>Largest villages outside before the plan "
                         f"({esc(flags[0])}, coverage/coverage.csv)</h3>")
            parts.append(table(outside.head(15)[["name_zh", "town", "population"]],
                               {"population": whole}, numeric=("population",)))
    return section("coverage", "Coverage before and after: who is still outside", parts)


def sub_centres_section(run: RunOutputs, figures: Sequence[Figure], town_names: dict[str, str],
                        justification: str) -> str:
    """The chosen sub-centres, their partners and why; catchments; central village clinics."""
    subs = [s for s in run.summary.get("sub_centres", []) or [] if isinstance(s, dict)]
    parts: list[str] = []
    if subs:
        frame = pd.DataFrame([{
            "sub-centre": s.get("name_zh", s.get("facility_id")),
            "town": s.get("town", ""),
            "consortium partners": "、".join(str(p) for p in s.get("partners", []) or []),
            "why": _why(s),
        } for s in subs])
        parts.append(table(frame))
    else:
        parts.append(paragraph("This scenario upgrades no sub-centre."))
    parts += [figure(f.file, f.caption, f.title) for f in figures if f.file == "catchments.png"]
    parts.append(justification)
    clinics = run.summary.get("central_village_clinics") or {}
    if isinstance(clinics, dict) and clinics:
        year = max(clinics, key=str)
        ids = set(clinics[year].get("facility_ids", []) or [])
        plan = run.plan[run.plan["facility_id"].isin(ids)].drop_duplicates("facility_id")
        per_town = plan.groupby("town_code").size()
        text = "; ".join(f"{town_names.get(str(c), str(c))} {n}" for c, n in per_town.items())
        parts.append(f"<h3>Central village clinics in {esc(year)}: {whole(len(ids))}</h3>")
        parts.append(paragraph(f"By town: {text}." if text else "None."))
    return section("sites", "Sub-centres and why", parts)


def _why(sub: dict[str, Any]) -> str:
    for key in ("why", "reason"):
        if sub.get(key):
            return str(sub[key])
    if sub.get("fixed_by_scenario"):
        return "fixed by the scenario"
    return "chosen by the model among the scenario's candidates"


def _sub_centre_words(sub: dict[str, Any]) -> str:
    partners = "、".join(str(p) for p in sub.get("partners", []) or [])
    text = f"{sub.get('town', sub.get('facility_id'))} ({_why(sub)}"
    return text + (f"; partners {partners})" if partners else ")")


def _bed_moves(run: RunOutputs) -> str:
    if "beds" not in set(run.plan["resource"]):
        return ""
    beds = facility_changes(run.plan, "beds")
    cut, added = beds[beds["change"] < 0], beds[beds["change"] > 0]
    first, last = years_of(run)
    words = (f"Beds {first}→{last}: {whole(beds['before'].sum())} → "
             f"{whole(beds['after'].sum())}; "
             + (f"{len(cut)} facilities cut {whole(-cut['change'].sum())}" if len(cut)
                else "no facility cuts beds")
             + (f", {len(added)} add {whole(added['change'].sum())}" if len(added)
                else ", none adds beds"))
    if len(cut):
        top = cut.sort_values(["change", "facility_id"]).head(3)
        words += " (largest cuts: " + ", ".join(
            f"{r.name_zh} {signed(r.change)}" for r in top.itertuples(index=False)) + ")"
    return words + "."


def _grouped(changes: dict[str, pd.DataFrame], key: str) -> pd.DataFrame:
    """Per ``key`` and resource: ``'before → after (±change)'`` text."""
    columns = {}
    for resource, frame in changes.items():
        sums = frame.groupby(key, sort=True)[["before", "after", "change"]].sum()
        columns[resource.replace("_", " ")] = [
            f"{whole(b)} → {whole(a)} ({signed(c)})" if c else f"{whole(a)}"
            for b, a, c in zip(sums["before"], sums["after"], sums["change"], strict=True)
        ]
        index = sums.index
    return pd.DataFrame(columns, index=index.astype(str))


def _number_or_na(value: Any) -> str:
    return "n/a" if value is None or pd.isna(value) else number(value)


def _percent_gap(value: Any) -> str:
    if value is None or pd.isna(value) or float(str(value)) == 0.0:
        return ""
    return f"{float(str(value)):.2f} % short"


def why_here_section(run: RunOutputs) -> str:
    """Every facility whose level ends the plan changed, with its need and the reason.

    A level can move in any period (beds cut by 2027, then kept): the reason shown is that of
    the period with the largest change, named by its last year.
    """
    plan = run.plan
    if "reason" not in plan.columns:
        return section("why", "Why here", [paragraph("This run has no reasons (an older "
                                                     "output folder).")])
    last_year = int(plan["year"].max())
    decided = plan[~plan["reason_kind"].isin(["data", "fixed"])]
    rows = []
    for _, group in decided.groupby(["facility_id", "resource"], sort=True):
        part = group.sort_values("year").reset_index(drop=True)
        start, end = int(part["before"].iloc[0]), int(part["after"].iloc[-1])
        if start == end:
            continue
        moves = part["change"].abs().to_numpy()
        biggest = part.iloc[len(moves) - 1 - int(moves[::-1].argmax())]  # latest on ties
        final = part.iloc[-1]
        rows.append({
            "facility": final["name_zh"], "resource": final["resource"], "from": start,
            "to": end, "need": "" if pd.isna(final["need"]) else f"{float(final['need']):,.1f}",
            "reason": biggest["reason_kind"], "period": int(biggest["year"]),
            "why": biggest["reason"],
        })
    frame = pd.DataFrame(rows, columns=["facility", "resource", "from", "to", "need", "reason",
                                        "period", "why"])
    warnings = run.summary.get("warnings") or []
    parts = [paragraph(f"Each facility whose level in {last_year} differs from the data's, with "
                       f"its need in {last_year} (from the residents it serves and the "
                       "scenario's norms) and the rule behind its largest move, in the plan "
                       "period ending in the year shown (plan.csv: need, served, need_ratio, "
                       "reason_kind, reason)."),
             table(frame, numeric=("from", "to", "need"))]
    if warnings:
        parts.append(paragraph("Far from need: " + "; ".join(map(str, warnings)) + "."))
    return section("why", "Why here", parts)
