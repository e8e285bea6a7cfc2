"""The run report's sections: overview, indicators, plan by town and tier, coverage, sites."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from optimizer.report.figures import Figure, service_label
from optimizer.report.html import bullets, esc, figure, missing, paragraph, section, table
from optimizer.report.i18n import (
    indicator_label,
    kind_name,
    reason_kind_name,
    resource_name,
    service_name,
    text,
    tier_name,
)
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


def overview_section(run: RunOutputs, figures: Sequence[Figure], lang: str = "en") -> str:
    """The scenario in words and the answers in brief."""
    summary = run.summary
    first, last = years_of(run)
    status = str(summary.get("status", "unknown"))
    gap = summary.get("gap")
    proof = (text("run.proven", lang) if status == "optimal" else
             text("run.gap", lang, status=status, gap=number(gap)))
    population: dict[str, Any] = summary.get("population", {}) or {}
    pop_text = text("run.pop_sep", lang).join(
        text("run.pop_year", lang, value=whole(v), year=y) for y, v in sorted(population.items()))
    allocated = run.indicators
    if "scope" in allocated.columns:  # plan figures the model only takes as inputs: not met/unmet
        allocated = allocated[allocated["scope"].fillna("allocated").eq("allocated")]
    met = int(allocated["met"].fillna(False).astype(bool).sum())
    total = len(allocated)
    inputs = len(run.indicators) - total
    items = [
        text("run.scenario", lang, scenario=summary.get("scenario", ""),
             description=summary.get("description", "")),
        text("run.years_pop", lang, first=first, last=last, population=pop_text) if pop_text
        else text("run.years", lang, first=first, last=last),
        text("run.status", lang, proof=proof),
        text("run.met_all", lang, met=met, total=total) if met == total else
        text("run.met_some", lang, met=met, total=total, unmet=total - met),
        text("run.scopes", lang, inputs=inputs),
    ]
    for key, shares in sorted((summary.get("coverage_shares") or {}).items()):
        if isinstance(shares, dict) and shares:
            ordered = sorted(shares.items())
            items.append(text("run.within", lang, key=service_name(str(key), lang),
                              first_share=pct(ordered[0][1]), first=ordered[0][0],
                              last_share=pct(ordered[-1][1]), last=ordered[-1][0]))
    subs = [s for s in summary.get("sub_centres", []) or [] if isinstance(s, dict)]
    if subs:
        items.append(text("run.subs", lang, subs=text("sites.list_sep", lang).join(
            _sub_centre_words(s, lang) for s in subs)))
    clinics = summary.get("central_village_clinics") or {}
    if isinstance(clinics, dict) and clinics:
        year = max(clinics, key=str)
        items.append(text("run.clinics", lang, year=year,
                          count=whole(clinics[year].get("count"))))
    cost = summary.get("cost")
    if isinstance(cost, dict) and cost.get("value") is not None:
        unit = cost.get("unit_words") or cost.get("unit", "")
        items.append(text("run.cost", lang, value=number(cost["value"]), unit=unit))
    beds = _bed_moves(run, lang)
    if beds:
        items.append(beds)
    return section("overview", text("toc.overview", lang), [bullets(items)])


def indicators_section(run: RunOutputs, figures: Sequence[Figure], lang: str = "en") -> str:
    """Plan targets against what the plan achieves: the final year first, then earlier years."""
    frame = run.indicators.copy()
    years = pd.to_numeric(frame["year"], errors="coerce")
    last = years.max()
    frame["year"] = years.map(lambda y: "" if pd.isna(y) else str(int(y)))
    scopes = (frame["scope"].fillna("allocated").astype(str).tolist()
              if "scope" in frame.columns else ["allocated"] * len(frame))
    unmet = {index for (index, met), scope in zip(frame["met"].items(), scopes, strict=True)
             if not met and scope == "allocated"}
    frame["met"] = [
        esc(text("ind.input", lang)) if scope == "input" else
        f'<span class="met">{esc(text("ind.met", lang))}</span>' if met else
        f'<span class="unmet">{esc(text("ind.unmet", lang))}</span>'
        for met, scope in zip(frame["met"], scopes, strict=True)]
    frame["indicator"] = frame["indicator"].map(lambda i: indicator_label(str(i), lang))
    if "kind" in frame.columns:
        frame["kind"] = frame["kind"].map(lambda k: k if missing(k) else kind_name(str(k), lang))
    columns = [c for c in ("indicator", "year", "kind", "target", "achieved", "met",
                           "shortfall_pct", "note") if c in frame.columns]
    if "achieved" in frame:
        frame["achieved"] = pd.to_numeric(frame["achieved"], errors="coerce")
    heads = {c: text(f"col.{c}", lang) for c in columns}

    def render(rows: pd.DataFrame) -> str:
        shown = rows[columns].rename(columns=heads)
        return table(shown, {heads.get("target", ""): number,
                             heads.get("achieved", ""): lambda v: _number_or_na(v, lang),
                             heads.get("shortfall_pct", ""): lambda v: _percent_gap(v, lang)},
                     numeric=[heads[c] for c in ("target", "achieved", "shortfall_pct")
                              if c in heads], raw=(heads["met"],),
                     row_class=lambda row: "unmet" if row.name in unmet else "")

    final = frame[(years == last) | years.isna()]
    earlier = frame[(years < last)]
    parts = [
        paragraph(text("ind.intro", lang)),
        f"<h3>{esc('' if pd.isna(last) else int(last))}</h3>", render(final),
    ]
    if not earlier.empty:
        parts += [f"<h3>{esc(text('ind.earlier', lang))}</h3>", render(earlier)]
    maps = [figure(f.file, f.caption, f.title) for f in figures if f.file.startswith("per_")]
    if maps:
        parts.append(f"<h3>{esc(text('ind.maps', lang))}</h3>")
        parts.append(f'<div class="figs">{"".join(maps)}</div>')
    return section("indicators", text("toc.indicators", lang), parts)


def plan_section(run: RunOutputs, figures: Sequence[Figure], town_names: dict[str, str],
                 lang: str = "en") -> str:
    """The allocation summarised by town and by tier, and the facilities that change."""
    first, last = years_of(run)
    resources = sorted(set(run.plan["resource"]))
    changes = {r: facility_changes(run.plan, r) for r in resources}
    by_town = _grouped(changes, "town_code", lang)
    by_town.insert(0, text("col.town", lang), by_town.index.map(lambda c: town_names.get(c, c)))
    by_tier = _grouped(changes, "tier", lang)
    by_tier = by_tier.reindex([t for t in _TIER_ORDER if t in by_tier.index]
                              + [t for t in by_tier.index if t not in _TIER_ORDER])
    by_tier.insert(0, text("plan.tier_after", lang),
                   [tier_name(str(t), lang) for t in by_tier.index])
    columns = list(by_town.columns[1:])
    parts = [
        paragraph(text("plan.cells", lang, first=first, last=last)),
        f"<h3>{esc(text('plan.by_town', lang))}</h3>",
        table(by_town.reset_index(drop=True), numeric=columns),
        f"<h3>{esc(text('plan.by_tier', lang))}</h3>",
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
        parts.append(f"<h3>{esc(text('plan.changed', lang))}</h3>")
        shown = every[["resource", "name_zh", "town", "tier_before", "tier", "before", "after",
                       "change"]].copy()
        if lang != "en":
            shown["resource"] = shown["resource"].map(lambda r: resource_name(str(r), lang))
            for column in ("tier_before", "tier"):
                shown[column] = shown[column].map(lambda t: tier_name(str(t), lang))
        before, after = text("col.before", lang), text("col.in_year", lang, last=last)
        change = text("col.change", lang)
        shown = shown.rename(columns={"resource": text("col.resource", lang),
                                      "name_zh": text("col.facility", lang),
                                      "town": text("col.town", lang),
                                      "tier_before": text("col.tier_before", lang),
                                      "tier": text("col.tier_in", lang, last=last),
                                      "before": before, "after": after, "change": change})
        parts.append(table(shown, {before: whole, after: whole, change: signed},
                           numeric=(before, after, change)))
    return section("plan", text("sec.plan", lang), parts)


def coverage_section(run: RunOutputs, figures: Sequence[Figure], town_names: dict[str, str],
                     before: CoverageOutputs | None, lang: str = "en") -> str:
    """Coverage per town before and after the plan; who is still outside."""
    first, last = years_of(run)
    parts: list[str] = []
    towns = run.towns
    for column in sorted(c for c in towns.columns if c.startswith("covered_share_")):
        service = column.removeprefix("covered_share_")
        label = service_name(service_label(run.summary, service), lang)
        town = text("col.town", lang)
        residents_last = text("col.residents_in", lang, last=last)
        outside_first, outside_last = (text("col.outside_in", lang, year=y) for y in (first, last))
        people_first, people_last = (text("col.residents_outside_in", lang, year=y)
                                     for y in (first, last))
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
                town: town_names.get(str(code), str(code)),
                residents_last: pop_last,
                outside_first: 1 - share_first,
                outside_last: 1 - share_last,
                people_first: pop_first * (1 - share_first),
                people_last: pop_last * (1 - share_last),
            })
        if not rows:
            continue
        frame = pd.DataFrame(rows).sort_values(
            [people_last, people_first, town], ascending=[False, False, True])
        still = frame[frame[people_last] >= 0.5]
        total_first = frame[people_first].sum()
        total_last = frame[people_last].sum()
        parts.append(f"<h3>{esc(label)}</h3>")
        if still.empty:
            words = text("cov.nobody", lang, label=label)
        else:
            names = text("run.pop_sep", lang).join(
                text("cov.town_count", lang, town=name, value=whole(value)) for name, value in
                zip(still[town].head(8), still[people_last].head(8), strict=True))
            words = (text("cov.outside", lang, label=label, first_total=whole(total_first),
                          first=first, last_total=whole(total_last), last=last, names=names)
                     + text("cov.others" if len(still) > 8 else "cov.end", lang))
        parts.append(f'<div class="box">{esc(words)}</div>')
        parts += [figure(f.file, f.caption, f.title) for f in figures
                  if f.file == f"gaps_{service}.png"]
        shares = (outside_first, outside_last)
        fmt: dict[str, Callable[[Any], str]] = {
            c: (pct if c in shares else whole) for c in frame.columns if c != town}
        parts.append(table(frame, fmt, numeric=[c for c in frame.columns if c != town]))
    parts.append(paragraph(text("cov.note", lang), "note"))
    if before is not None:
        flags = sorted(c for c in before.coverage.columns if c.startswith("covered_primary_"))
        if flags:
            outside = before.coverage[~before.coverage[flags[0]].astype(bool)]
            outside = outside.sort_values(["population", "demand_id"], ascending=[False, True])
            outside = outside.assign(town=outside["town_code"].map(
                lambda c: town_names.get(c, c)))
            parts.append(f"<h3>{esc(text('cov.largest_before', lang, flag=flags[0]))}</h3>")
            population = text("col.population", lang)
            shown = outside.head(15)[["name_zh", "town", "population"]].rename(columns={
                "name_zh": text("col.name_zh", lang), "town": text("col.town", lang),
                "population": population})
            parts.append(table(shown, {population: whole}, numeric=(population,)))
    return section("coverage", text("sec.coverage", lang), parts)


def sub_centres_section(run: RunOutputs, figures: Sequence[Figure], town_names: dict[str, str],
                        justification: str, lang: str = "en") -> str:
    """The chosen sub-centres, their partners and why; catchments; central village clinics."""
    subs = [s for s in run.summary.get("sub_centres", []) or [] if isinstance(s, dict)]
    parts: list[str] = []
    if subs:
        frame = pd.DataFrame([{
            text("col.sub_centre", lang): s.get("name_zh", s.get("facility_id")),
            text("col.town", lang): s.get("town", ""),
            text("col.partners", lang): "、".join(str(p) for p in s.get("partners", []) or []),
            text("col.why", lang): _why(s, lang),
        } for s in subs])
        parts.append(table(frame))
    else:
        parts.append(paragraph(text("sites.none", lang)))
    parts += [figure(f.file, f.caption, f.title) for f in figures if f.file == "catchments.png"]
    parts.append(justification)
    clinics = run.summary.get("central_village_clinics") or {}
    if isinstance(clinics, dict) and clinics:
        year = max(clinics, key=str)
        ids = set(clinics[year].get("facility_ids", []) or [])
        plan = run.plan[run.plan["facility_id"].isin(ids)].drop_duplicates("facility_id")
        per_town = plan.groupby("town_code").size()
        sep = text("sites.list_sep", lang)
        listed = sep.join(f"{town_names.get(str(c), str(c))} {n}" for c, n in per_town.items())
        heading = text("sites.clinics", lang, year=year, count=whole(len(ids)))
        parts.append(f"<h3>{esc(heading)}</h3>")
        parts.append(paragraph(text("sites.by_town", lang, text=listed) if listed
                               else text("sites.none_listed", lang)))
    return section("sites", text("toc.sites", lang), parts)


def _why(sub: dict[str, Any], lang: str = "en") -> str:
    for key in ("why", "reason"):
        if sub.get(key):
            return str(sub[key])
    if sub.get("fixed_by_scenario"):
        return text("run.fixed", lang)
    return text("run.chosen", lang)


def _sub_centre_words(sub: dict[str, Any], lang: str = "en") -> str:
    partners = "、".join(str(p) for p in sub.get("partners", []) or [])
    words = f"{sub.get('town', sub.get('facility_id'))} ({_why(sub, lang)}"
    if lang == "zh":
        words = f"{sub.get('town', sub.get('facility_id'))}（{_why(sub, lang)}"
    return words + (text("run.partners", lang, partners=partners) if partners
                    else text("run.close", lang))


def _bed_moves(run: RunOutputs, lang: str = "en") -> str:
    if "beds" not in set(run.plan["resource"]):
        return ""
    beds = facility_changes(run.plan, "beds")
    cut, added = beds[beds["change"] < 0], beds[beds["change"] > 0]
    first, last = years_of(run)
    words = (text("run.bed_moves", lang, first=first, last=last,
                  before=whole(beds["before"].sum()), after=whole(beds["after"].sum()))
             + (text("run.bed_cuts", lang, n=len(cut), beds=whole(-cut["change"].sum()))
                if len(cut) else text("run.no_cuts", lang))
             + (text("run.bed_adds", lang, n=len(added), beds=whole(added["change"].sum()))
                if len(added) else text("run.no_adds", lang)))
    if len(cut):
        top = cut.sort_values(["change", "facility_id"]).head(3)
        words += text("run.largest_cuts", lang, cuts=text("run.pop_sep", lang).join(
            f"{r.name_zh} {signed(r.change)}" for r in top.itertuples(index=False)))
    return words + text("cov.end", lang)


def _grouped(changes: dict[str, pd.DataFrame], key: str, lang: str = "en") -> pd.DataFrame:
    """Per ``key`` and resource: ``'before → after (±change)'`` text."""
    columns = {}
    for resource, frame in changes.items():
        sums = frame.groupby(key, sort=True)[["before", "after", "change"]].sum()
        name = resource_name(resource, lang) if lang == "zh" else resource.replace("_", " ")
        columns[name] = [
            f"{whole(b)} → {whole(a)} ({signed(c)})" if c else f"{whole(a)}"
            for b, a, c in zip(sums["before"], sums["after"], sums["change"], strict=True)
        ]
        index = sums.index
    return pd.DataFrame(columns, index=index.astype(str))


def _number_or_na(value: Any, lang: str = "en") -> str:
    return text("ind.na", lang) if value is None or pd.isna(value) else number(value)


def _percent_gap(value: Any, lang: str = "en") -> str:
    if value is None or pd.isna(value) or float(str(value)) == 0.0:
        return ""
    return text("ind.short", lang, pct=f"{float(str(value)):.2f}")


def why_here_section(run: RunOutputs, lang: str = "en") -> str:
    """Every facility whose level ends the plan changed, with its need and the reason.

    A level can move in any period (beds cut by 2027, then kept): the reason shown is that of
    the period with the largest change, named by its last year.
    """
    plan = run.plan
    if "reason" not in plan.columns:
        return section("why", text("toc.why", lang), [paragraph(text("why.none", lang))])
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
            "facility": final["name_zh"], "resource": resource_name(str(final["resource"]), lang),
            "from": start,
            "to": end, "need": "" if pd.isna(final["need"]) else f"{float(final['need']):,.1f}",
            "reason": reason_kind_name(str(biggest["reason_kind"]), lang),
            "period": int(biggest["year"]),
            "why": biggest["reason"],
        })
    keys = ["facility", "resource", "from", "to", "need", "reason", "period", "why"]
    heads = {k: text(f"col.{k}", lang) for k in keys}
    frame = pd.DataFrame(rows, columns=keys).rename(columns=heads)
    warnings = run.summary.get("warnings") or []
    parts = [paragraph(text("why.intro", lang, last=last_year)),
             table(frame, numeric=(heads["from"], heads["to"], heads["need"]))]
    if warnings:
        parts.append(paragraph(text("why.far", lang) + text("sites.list_sep", lang).join(
            map(str, warnings)) + text("cov.end", lang)))
    return section("why", text("toc.why", lang), parts)
