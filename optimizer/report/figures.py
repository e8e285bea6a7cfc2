"""Choose and draw the static maps of a run, a coverage job or a justification from their files."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from optimizer.report.i18n import TEXTS, group_name, resource_name, service_name, text
from optimizer.report.outputs import (
    CoverageOutputs,
    JustifyOutputs,
    RunOutputs,
    Target,
    facility_changes,
    resource_targets,
)
from optimizer.report.static_maps import (
    GapPanel,
    MapLayers,
    catchments_map,
    coverage_gaps_map,
    per_capita_map,
    plan_changes_map,
)
from optimizer.report.vocabulary import per_capita_zh

__all__ = [
    "HOSPITAL_TIERS",
    "Figure",
    "coverage_figures",
    "justify_figures",
    "run_figures",
    "service_label",
]

HOSPITAL_TIERS = ("tertiary_hospital", "secondary_hospital")
_PER = re.compile(r"_per_(\d+)$")


@dataclass(frozen=True)
class Figure:
    """A PNG written into the output folder and the sentence that explains it."""

    file: str
    title: str
    caption: str


def service_label(summary: dict[str, object], service: str) -> str:
    """``"primary (all, 15 min)"`` for ``"primary"``, from ``summary.json``'s coverage shares."""
    shares = summary.get("coverage_shares")
    if isinstance(shares, dict):
        for key in sorted(shares):
            if str(key).split(" ")[0] == service:
                return str(key)
    return service


def run_figures(out_dir: Path, run: RunOutputs, layers: MapLayers,
                before: CoverageOutputs | None,
                justify: JustifyOutputs | None = None, *, lang: str = "en") -> list[Figure]:
    """Draw a run's maps into ``out_dir``: gaps before/after, changes, catchments, per capita.

    ``before`` is the coverage job of the same data, when the run folder holds one (its
    uncovered villages are drawn on the 'before' panel).
    """
    figures: list[Figure] = []
    years = sorted(int(y) for y in run.towns["year"].unique())
    first, last = years[0], years[-1]
    at = {y: run.towns[run.towns["year"] == y].set_index("town_code") for y in (first, last)}
    tiers_before = dict(zip(layers.facilities["facility_id"],
                            layers.facilities["tier"].astype(str), strict=True))
    tiers_after = _tiers(run.plan, last)
    for column in sorted(c for c in run.towns.columns if c.startswith("covered_share_")):
        service = column.removeprefix("covered_share_")
        label = service_name(service_label(run.summary, service), lang)
        panels = []
        for year, tiers, when in ((first, tiers_before, text("fig.before", lang)),
                                  (last, tiers_after, text("fig.after", lang))):
            shares = at[year][column].dropna()
            outside = {str(code): 1.0 - float(v) for code, v in shares.items()}
            villages = _before_villages(before, service) if year == first else None
            panels.append(GapPanel(title=text("fig.panel", lang, year=year, when=when),
                                   share_outside=outside,
                                   villages=villages, tiers=_drawn(tiers)))
        name = f"gaps_{service}.png"
        coverage_gaps_map(out_dir / name, layers, panels,
                          text("fig.gaps_title", lang, label=label), lang=lang)
        caption = text("fig.gaps_caption", lang, label=label, first=first, last=last)
        if before is not None:
            caption += text("fig.gaps_villages", lang)
        figures.append(Figure(name, text("fig.gaps_name", lang, label=label), caption))

    beds = facility_changes(run.plan, "beds") if "beds" in set(run.plan["resource"]) else None
    if beds is not None:
        plan_changes_map(out_dir / "changes_beds.png", layers, beds,
                         resource_name("beds", lang),
                         text("fig.beds_title", lang, first=first, last=last), lang=lang)
        figures.append(Figure(
            "changes_beds.png", text("fig.beds_name", lang),
            text("fig.beds_caption", lang, first=first, last=last)))

    chosen = [str(s["facility_id"]) for s in _sub_centres(run.summary)]
    if chosen:
        figures.append(_catchments(out_dir, layers, run, chosen, justify, lang))

    for target in _last_targets(run):
        if target.column not in run.towns.columns:
            continue
        panels_pc = [
            (text("fig.panel", lang, year=year, when=when),
             {str(k): float(v) for k, v in at[year][target.column].dropna().items()})
            for year, when in ((first, text("fig.before", lang)),
                               (last, text("fig.after", lang)))
        ]
        label = (per_capita_zh(target.resource, target.base) if lang == "zh" else
                 f"{target.resource.replace('_', ' ')} per {target.base:,}")
        name = f"per_{target.base}_{target.resource}.png"
        sense = text(f"word.{target.sense}", lang) if f"word.{target.sense}" in TEXTS \
            else target.sense
        per_capita_map(out_dir / name, layers, panels_pc, target, label, lang=lang,
                       sense=sense)
        figures.append(Figure(
            name, text("fig.per_name", lang, label=label),
            text("fig.per_caption", lang, label=label, sense=sense,
                 target=f"{target.target:g}", year=target.year)))
    return figures


def coverage_figures(out_dir: Path, cov: CoverageOutputs, layers: MapLayers, *,
                     lang: str = "en") -> list[Figure]:
    """Draw a coverage job's gap maps, one per tier group at its first threshold."""
    figures: list[Figure] = []
    thresholds = cov.summary.get("thresholds", {})
    if not isinstance(thresholds, dict):
        return figures
    for group in sorted(thresholds):
        minutes = float(thresholds[group][0])
        label = f"{minutes:g}"
        flag = f"covered_{group}_{label}"
        share = f"covered_share_{group}_{label}"
        if flag not in cov.coverage.columns or share not in cov.towns.columns:
            continue
        outside_rows = cov.coverage[~cov.coverage[flag].astype(bool)]
        if outside_rows.empty:
            continue
        shares = {str(r.town_code): 1.0 - float(getattr(r, share))
                  for r in cov.towns.itertuples(index=False)}
        nearest = f"nearest_{group}_facility_id"
        ids = sorted(set(cov.coverage[nearest].dropna().astype(str))) \
            if nearest in cov.coverage.columns else []
        tiers = layers.facilities.set_index("facility_id")["tier"].astype(str)
        care = group_name(group, lang)
        panel = GapPanel(title=text("fig.cov_panel", lang, n=len(outside_rows), label=label),
                         share_outside=shares,
                         villages=outside_rows[["demand_id", "population"]],
                         tiers=_drawn({i: tiers[i] for i in ids if i in tiers.index}))
        name = f"gaps_{group}_{label}.png"
        title = text("fig.cov_title", lang, label=label, group=care)
        coverage_gaps_map(out_dir / name, layers, [panel], title, lang=lang)
        figures.append(Figure(name, title,
                              text("fig.cov_caption", lang, label=label, group=care)))
    return figures


def justify_figures(out_dir: Path, run: RunOutputs, layers: MapLayers,
                    justify: JustifyOutputs, *, lang: str = "en") -> list[Figure]:
    """The catchments map comparing the chosen sub-centres with the best-ranked set."""
    chosen = [str(s["facility_id"]) for s in _sub_centres(run.summary)]
    return [_catchments(out_dir, layers, run, chosen, justify, lang)] if chosen else []


def best_set(justify: JustifyOutputs | None, layers: MapLayers) -> list[str] | None:
    """The best-ranked sub-centre set in ``ranking.csv`` (rank 1), as facility ids, if any."""
    if justify is None or justify.ranking is None or justify.ranking.empty:
        return None
    ranking = justify.ranking
    rank = next((c for c in ("rank", "objective_rank", "covered_rank") if c in ranking.columns),
                None)
    if rank is not None:
        ranking = ranking.sort_values(rank, kind="stable")
    row = ranking.iloc[0]
    for column in ("facility_ids", "sites", "set", "sub_centres", "towns"):
        if column in ranking.columns and isinstance(row[column], str):
            return _resolve(row[column], layers)
    return None


def _resolve(text: str, layers: MapLayers) -> list[str]:
    """Facility ids named in ``text`` (ids, town codes or Chinese names; ';' '|' ',' '+' split)."""
    parts = [p.strip() for p in re.split(r"[;|,+/ ]+", text) if p.strip()]
    facilities = layers.facilities
    found: list[str] = []
    for part in parts:
        if part in set(facilities["facility_id"]):
            found.append(part)
            continue
        towns = layers.towns[(layers.towns["code"] == part) | (layers.towns["name_zh"] == part)]
        if len(towns):
            code = str(towns["code"].iloc[0])
            centres = facilities[(facilities["town_code"].astype(str) == code)
                                 & facilities["tier"].isin(["township_health_centre",
                                                            "community_health_centre",
                                                            "sub_centre"])]
            if len(centres):
                found.append(str(centres["facility_id"].iloc[0]))
    return sorted(set(found))


def _catchments(out_dir: Path, layers: MapLayers, run: RunOutputs, chosen: list[str],
                justify: JustifyOutputs | None, lang: str = "en") -> Figure:
    names = {str(s["facility_id"]): text("fig.sub_centre", lang,
                                         town=s.get("town", s["facility_id"]))
             for s in _sub_centres(run.summary)}
    anchors = sorted(layers.facilities.loc[layers.facilities["tier"].isin(HOSPITAL_TIERS),
                                           "facility_id"])
    panels: list[tuple[str, list[str]]] = [(text("fig.chosen", lang), sorted(chosen))]
    best = best_set(justify, layers)
    if best and sorted(best) != sorted(chosen):
        panels.append((text("fig.best", lang), best))
        town_of = dict(zip(layers.towns["code"], layers.towns["name_zh"].astype(str),
                           strict=True))
        for site in best:
            if site not in names:
                row = layers.facilities[layers.facilities["facility_id"] == site]
                code = str(row["town_code"].iloc[0]) if len(row) else ""
                names[site] = text("fig.best_site", lang, town=town_of.get(code, site))
    catchments_map(out_dir / "catchments.png", layers, panels, names, anchors,
                   text("fig.catch_title", lang), lang=lang)
    caption = text("fig.catch_caption", lang)
    if len(panels) > 1:
        caption += text("fig.catch_right", lang)
    elif best:
        caption += text("fig.catch_same", lang)
    return Figure("catchments.png", text("fig.catch_name", lang), caption)


def _sub_centres(summary: dict[str, object]) -> list[dict[str, object]]:
    value = summary.get("sub_centres")
    return [s for s in value if isinstance(s, dict)] if isinstance(value, list) else []


def _tiers(plan: pd.DataFrame, year: int) -> dict[str, str]:
    """Facility id -> its tier in ``year`` (plan.csv)."""
    rows = plan[plan["year"] == year].drop_duplicates("facility_id")
    return dict(zip(rows["facility_id"].astype(str), rows["tier"].astype(str), strict=True))


def _drawn(tiers: dict[str, str]) -> dict[str, str]:
    """Leave plain village clinics off the maps: there is one on every village."""
    return {k: v for k, v in tiers.items() if v != "village_clinic"}


def _before_villages(before: CoverageOutputs | None, service: str) -> pd.DataFrame | None:
    if before is None:
        return None
    flags = sorted(c for c in before.coverage.columns if c.startswith(f"covered_{service}_"))
    if not flags:
        return None
    rows = before.coverage[~before.coverage[flags[0]].astype(bool)]
    return rows[["demand_id", "population"]]


def _last_targets(run: RunOutputs) -> list[Target]:
    targets = resource_targets(run.indicators)
    if not targets:
        return []
    last = max(t.year for t in targets)
    return [t for t in targets if t.year == last]
